//! The `hook-observation` append is strictly downstream of the decision: a
//! metrics path that cannot be written (a file where the directory should
//! be, a directory where the log should be, a FIFO with no reader, a symlink
//! out of the workspace) changes neither a hook's output nor its exit code,
//! never hangs, and never writes through the symlink.

use crate::support::hooks_common;

use hooks_common::HookBin;
use std::path::Path;

const PRE: &str = r#"{"session_id": "f1", "hook_event_name": "PreToolUse", "tool_name": "Edit", "tool_input": {"file_path": "src/dos/arbiter.py"}, "cwd": "/ws"}"#;
const POST: &str = r#"{"session_id": "f1", "tool_name": "Bash", "tool_input": {"command": "ls"}, "tool_response": "x", "cwd": "/ws"}"#;

/// The stdout and exit code of a pretool deny and a posttool step in `ws`.
fn outputs(bin: &HookBin, ws: &Path) -> Vec<(String, i32)> {
    std::fs::create_dir_all(ws.join("src/dos")).unwrap();
    std::fs::write(ws.join("src/dos/arbiter.py"), "x").unwrap();
    let root = ws.to_str().unwrap();
    [(["hook", "pretool"], PRE), (["hook", "posttool"], POST)]
        .iter()
        .map(|(args, ev)| {
            let out = bin
                .run(ws, args, &[("DOS_LOOP", "1")], ev.replace("/ws", root).as_bytes())
                .unwrap();
            (out.stdout, out.code)
        })
        .collect()
}

#[test]
fn unwritable_metrics_never_change_the_verdict() {
    type Setup = fn(&Path, &Path);
    let outside = tempfile::tempdir().unwrap();
    let setups: Vec<(&str, Setup)> = vec![
        ("metrics is a file", |ws, _| {
            std::fs::create_dir_all(ws.join(".dos")).unwrap();
            std::fs::write(ws.join(".dos/metrics"), "not a dir").unwrap();
        }),
        ("the log is a directory", |ws, _| {
            std::fs::create_dir_all(ws.join(".dos/metrics/observations.jsonl")).unwrap();
        }),
        ("the log is a FIFO with no reader", |ws, _| {
            std::fs::create_dir_all(ws.join(".dos/metrics")).unwrap();
            let made = std::process::Command::new("mkfifo")
                .arg(ws.join(".dos/metrics/observations.jsonl"))
                .status();
            assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        }),
        ("the log is a symlink out of the workspace", |ws, out| {
            std::fs::create_dir_all(ws.join(".dos/metrics")).unwrap();
            std::fs::write(out.join("victim"), "").unwrap();
            std::os::unix::fs::symlink(out.join("victim"), ws.join(".dos/metrics/observations.jsonl"))
                .unwrap();
        }),
        ("metrics is a symlink out of the workspace", |ws, out| {
            std::fs::create_dir_all(ws.join(".dos")).unwrap();
            std::fs::create_dir_all(out.join("dir")).unwrap();
            std::os::unix::fs::symlink(out.join("dir"), ws.join(".dos/metrics")).unwrap();
        }),
    ];
    for bin in HookBin::built() {
        let clean = tempfile::tempdir().unwrap();
        let want = outputs(&bin, clean.path());
        assert!(want[0].0.contains("\"permissionDecision\": \"deny\""), "{want:?}");
        assert_eq!(
            std::fs::read_to_string(clean.path().join(".dos/metrics/observations.jsonl"))
                .unwrap()
                .lines()
                .count(),
            2,
            "a writable log gets both records"
        );
        for (name, setup) in &setups {
            let ws = tempfile::tempdir().unwrap();
            setup(ws.path(), outside.path());
            assert_eq!(outputs(&bin, ws.path()), want, "{name} [{}]", bin.path());
        }
    }
    assert_eq!(
        std::fs::read_to_string(outside.path().join("victim")).unwrap(),
        ""
    );
    assert_eq!(std::fs::read_dir(outside.path().join("dir")).unwrap().count(), 0);
}
