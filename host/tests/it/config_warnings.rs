//! Issue #12 weak spot: `dos.toml` typos are reported (file, line, nearest
//! known name) by commands, and by hooks only under `--debug`.

use crate::support::hooks_common;

use std::process::Command;

fn run(args: &[&str], cwd: &std::path::Path, stdin: &[u8]) -> (i32, String, String) {
    let o = hooks_common::run(env!("CARGO_BIN_EXE_dos"), cwd, args, &[], stdin);
    (o.code, o.stdout, o.stderr)
}

#[test]
fn typos_warn_in_commands_and_only_under_debug_in_hooks() {
    let ws = tempfile::tempdir().unwrap();
    let toml = ws.path().join("dos.toml");
    std::fs::write(
        &toml,
        "# workspace\n[pathz]\nlane_journal = \"j.jsonl\"\n\n[plugins]\ncall_timeout_ms = 10\npaht = []\n",
    )
    .unwrap();
    let w = ws.path().to_str().unwrap();
    let (code, _, err) = run(&["--workspace", w, "lease-lane", "live"], ws.path(), b"");
    assert_eq!(code, 0, "{err}");
    let t = toml.display();
    assert_eq!(
        err,
        format!(
            "warning: {t}:2: unknown table `[pathz]` (did you mean `paths`?) — it is ignored\n\
             warning: {t}:7: unknown key `paht` in [plugins] (did you mean `paths`?) — it is ignored\n"
        )
    );
    let event = serde_json::json!({"cwd": ws.path()}).to_string();
    let (code, _, err) = run(&["hook", "stop"], ws.path(), event.as_bytes());
    assert_eq!((code, err.as_str()), (0, ""));
    let (code, _, err) = run(&["hook", "stop", "--debug"], ws.path(), event.as_bytes());
    assert_eq!(code, 0);
    assert!(
        err.contains(&format!("{t}:2: unknown table `[pathz]` (did you mean `paths`?)")),
        "{err}"
    );
    // A wrong-typed value names its line.
    std::fs::write(&toml, "[plugins]\n\ncall_timeout_ms = \"soon\"\n").unwrap();
    let (code, _, err) = run(&["--workspace", w, "plugins"], ws.path(), b"");
    assert_ne!(code, 0);
    assert!(
        err.contains(&format!(
            "{t}:3: `plugins.call_timeout_ms` must be a non-negative integer, found a string"
        )),
        "{err}"
    );
}

#[test]
fn per_call_hooks_report_config_notes_only_under_debug() {
    let ws = tempfile::tempdir().unwrap();
    let toml = ws.path().join("dos.toml");
    std::fs::write(&toml, "[tool_stream]\nrepeat_nn = 3\n").unwrap();
    let event = serde_json::json!({"cwd": ws.path(), "session_id": "s", "tool_name": "Bash",
        "tool_input": {"command": "ls"}, "tool_response": "x"})
    .to_string();
    let (code, _, err) = run(&["hook", "posttool"], ws.path(), event.as_bytes());
    assert_eq!((code, err.as_str()), (0, ""));
    let (code, _, err) = run(&["hook", "posttool", "--debug"], ws.path(), event.as_bytes());
    assert_eq!(code, 0);
    let t = toml.display();
    assert!(
        err.contains(&format!(
            "[dos hook posttool] warning: {t}:2: unknown key `repeat_nn` in [tool_stream] (did you mean `repeat_n`?) — it is ignored"
        )),
        "{err}"
    );
    std::fs::remove_file(&toml).unwrap();
    assert!(Command::new("mkfifo").arg(&toml).status().unwrap().success());
    let (code, _, err) = run(&["hook", "posttool", "--debug"], ws.path(), event.as_bytes());
    assert_eq!(code, 0);
    assert!(
        err.contains(&format!(
            "dos.toml not used: cannot use {t}: it is a FIFO, not a regular file"
        )),
        "{err}"
    );
}
