//! The hooks still answer, byte for byte, on a big event whose values are
//! kept as text (more than 4,096 nodes; issue 12's memory fix): posttool
//! repeats fire with the digest of the canonical bytes, pretool still sees
//! the `file_path` of a huge `tool_input`, stop still reads its fields. The
//! memory itself is measured by `benches/hook_memory.rs`.

use crate::support::hooks_common;

use hooks_common::HookBin;
use sha2::{Digest, Sha256};

/// `[0, 1, 2, …]` with `n` items: the event text and its canonical bytes.
fn big_array(n: usize) -> (String, String) {
    let items: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    (
        format!("[{}]", items.join(",")),
        format!("[{}]", items.join(", ")),
    )
}

#[test]
fn posttool_fires_on_a_big_result_with_its_exact_digest() {
    let (text, canonical) = big_array(1_000_000);
    let digest: String = Sha256::digest(canonical.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    for bin in HookBin::built() {
        let ws = tempfile::tempdir().unwrap();
        let event = format!(
            r#"{{"session_id": "big", "tool_name": "Read", "tool_input": {{"file_path": "/a"}}, "tool_response": {text}, "cwd": "{}"}}"#,
            ws.path().display()
        );
        let mut last = None;
        for _ in 0..3 {
            last = bin.run(ws.path(), &["hook", "posttool"], &[], event.as_bytes());
        }
        let out = last.unwrap();
        assert_eq!(out.code, 0, "{bin:?}");
        assert!(
            out.stdout.contains(&format!("REPEATING: `Read` returned BYTE-IDENTICAL results 3 times in a row (env-authored digest {digest})")),
            "{bin:?}: {}",
            out.stdout
        );
    }
}

#[test]
fn pretool_reads_file_path_from_a_big_tool_input() {
    let (text, _) = big_array(200_000);
    for bin in HookBin::built() {
        let ws = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(ws.path().join("src/dos")).unwrap();
        std::fs::write(ws.path().join("src/dos/arbiter.py"), "x").unwrap();
        let event = format!(
            r#"{{"session_id": "bp", "tool_name": "Write", "tool_input": {{"content": {text}, "file_path": "src/dos/arbiter.py"}}, "cwd": "{}"}}"#,
            ws.path().display()
        );
        // A loop session: dos-kernel 0.30 denies a kernel edit only inside a
        // loop (an operator's session is warned, issue #15 item 2).
        let out = bin
            .run(
                ws.path(),
                &["hook", "pretool"],
                &[("DOS_LOOP", "1")],
                event.as_bytes(),
            )
            .unwrap();
        assert!(
            out.stdout.contains("\"permissionDecision\": \"deny\""),
            "{bin:?}: {}",
            out.stdout
        );
    }
}

#[test]
fn stop_reads_its_fields_next_to_a_big_value() {
    let (text, _) = big_array(200_000);
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        ws.path().join("t.jsonl"),
        "{\"type\":\"assistant\",\"message\":{\"role\":\"assistant\",\"content\":\"Done.\\nDOS-CLAIM: AUTH AUTH2\"}}\n",
    )
    .unwrap();
    let event = format!(
        r#"{{"last_assistant_message": {text}, "session_id": "s", "stop_hook_active": false, "transcript_path": "{0}/t.jsonl", "cwd": "{0}"}}"#,
        ws.path().display()
    );
    let bin = &HookBin::built()[0];
    let out = bin
        .run(ws.path(), &["hook", "stop"], &[], event.as_bytes())
        .unwrap();
    assert!(
        out.stdout.starts_with("{\"decision\": \"block\""),
        "{}",
        out.stdout
    );
}
