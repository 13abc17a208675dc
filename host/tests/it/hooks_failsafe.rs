//! Fail-safe behaviour of the hook verbs and the fixes over the reference:
//! hostile input never produces output or escapes `.dos/`, torn files are
//! repaired on append, deep JSON and wrong-typed config stay silent, a huge
//! stdin is handled, and a session file is read from its tail only.

use crate::support::hooks_common;

use hooks_common::{run, HookBin};
use std::path::Path;

const BIN: &str = env!("CARGO_BIN_EXE_dos");

fn ev(ws: &Path, sid: &str, result: &str) -> String {
    format!(
        r#"{{"session_id": {sid}, "tool_name": "Bash", "tool_input": {{"command": "ls"}}, "tool_response": {result}, "cwd": "{}"}}"#,
        ws.display()
    )
}

fn post(ws: &Path, stdin: &[u8], extra: &[&str]) -> hooks_common::Out {
    let mut args = vec!["hook", "posttool"];
    args.extend(extra);
    run(BIN, ws, &args, &[], stdin)
}

#[test]
fn bad_stdin_is_silent_for_every_verb() {
    for bin in HookBin::built() {
        bad_stdin_is_silent(&bin);
    }
}

fn bad_stdin_is_silent(bin: &HookBin) {
    let ws = tempfile::tempdir().unwrap();
    let deep = format!("{{\"a\": {}1{}}}", "[".repeat(5000), "]".repeat(5000));
    let inputs: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"   \n".to_vec(),
        b"{not json".to_vec(),
        b"\xef\xbb\xbf{}".to_vec(),
        b"{} trailing".to_vec(),
        b"[1,2]".to_vec(),
        b"\"str\"".to_vec(),
        b"{}".to_vec(),
        deep.into_bytes(),
        b"\xff\xfe\x00garbage".to_vec(),
    ];
    for input in &inputs {
        for verb in ["posttool", "pretool"] {
            let out = bin.run(ws.path(), &["hook", verb], &[], input).unwrap();
            assert_eq!(
                (out.code, out.stdout.as_str()),
                (0, ""),
                "{bin:?} {verb} {:?}",
                String::from_utf8_lossy(input)
            );
        }
        let out = bin
            .run(ws.path(), &["hook", "marker", "--loop"], &[], input)
            .unwrap();
        assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{bin:?} marker");
    }
    assert!(!ws.path().join(".dos").exists());
}

#[test]
fn hostile_session_ids_stay_inside_dot_dos() {
    for bin in HookBin::built() {
        hostile_session_ids(&bin);
    }
}

fn hostile_session_ids(bin: &HookBin) {
    let ws = tempfile::tempdir().unwrap();
    let post = |ws: &Path, stdin: &[u8], extra: &[&str]| {
        let mut args = vec!["hook", "posttool"];
        args.extend(extra);
        bin.run(ws, &args, &[], stdin).unwrap()
    };
    for sid in [
        r#""../../escape""#,
        r#""/etc/passwd""#,
        r#""..\\..\\x""#,
        r#""a/../../b""#,
        r#""\u0000..""#,
    ] {
        let out = post(ws.path(), ev(ws.path(), sid, "\"x\"").as_bytes(), &[]);
        assert_eq!(out.code, 0);
    }
    let long = format!("\"{}\"", "a".repeat(5000));
    assert_eq!(
        post(ws.path(), ev(ws.path(), &long, "\"x\"").as_bytes(), &[]).stdout,
        ""
    );
    let mut names: Vec<String> = std::fs::read_dir(ws.path().join(".dos/streams"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec!["ab.jsonl", "escape.jsonl", "etcpasswd.jsonl", "x.jsonl"]
    );
    let top: Vec<_> = std::fs::read_dir(ws.path()).unwrap().collect();
    assert_eq!(top.len(), 1, "only .dos/ was created");
}

#[test]
fn torn_tail_gets_a_newline_before_our_record() {
    let ws = tempfile::tempdir().unwrap();
    let good = r#"{"args_digest": "66468969a379ba21", "op": "STEP", "result_digest": "2d711642b726b044", "schema": {"family": "tool-stream", "version": 1}, "step_index": 0, "tool_name": "Bash", "ts": "2026-01-01T00:00:00Z"}"#;
    let dir = ws.path().join(".dos/streams");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("s1.jsonl"),
        format!("{good}\n{good}\n{{\"args_digest\": \"66468969a3"),
    )
    .unwrap();
    let e = ev(ws.path(), "\"s1\"", "\"x\"");
    let out = post(ws.path(), e.as_bytes(), &[]);
    assert!(out.stdout.contains("REPEATING"), "{}", out.stdout);
    let out = post(ws.path(), e.as_bytes(), &[]);
    assert!(
        out.stdout.contains("results 4 times"),
        "the record after the torn line stays readable: {}",
        out.stdout
    );
    let text = std::fs::read_to_string(dir.join("s1.jsonl")).unwrap();
    assert_eq!(text.lines().count(), 5);
    assert!(text.lines().nth(2).unwrap().ends_with("\"66468969a3"));
}

#[test]
fn unwritable_state_is_silent() {
    for bin in HookBin::built() {
        let ws = tempfile::tempdir().unwrap();
        std::fs::write(ws.path().join(".dos"), "a file").unwrap();
        let e = ev(ws.path(), "\"s\"", "\"x\"");
        let out = bin
            .run(ws.path(), &["hook", "posttool", "--debug"], &[], e.as_bytes())
            .unwrap();
        assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{bin:?}");
        assert!(out.stderr.contains("accumulator write error"), "{}", out.stderr);
        let marker = ["hook", "marker", "--loop", "--session-id", "m"];
        let out = bin.run(ws.path(), &marker, &[], b"").unwrap();
        assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{bin:?}");
    }
}

/// As the reference (spec §0.5, a quirk kept for byte-compatibility): the
/// stream file is opened before the record is encoded, so an empty file
/// stays behind and no record is written.
#[test]
fn lone_surrogate_tool_name_writes_nothing() {
    let ws = tempfile::tempdir().unwrap();
    let e = format!(
        r#"{{"session_id": "s", "tool_name": "\ud800", "tool_response": "x", "cwd": "{}"}}"#,
        ws.path().display()
    );
    let out = post(ws.path(), e.as_bytes(), &[]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
    let stream = std::fs::read(ws.path().join(".dos/streams/s.jsonl")).expect("an empty stream file");
    assert!(stream.is_empty());
}

#[test]
fn wrong_typed_config_stands_down_and_value_errors_warn() {
    let ws = tempfile::tempdir().unwrap();
    let e = ev(ws.path(), "\"s\"", "\"x\"");
    std::fs::write(ws.path().join("dos.toml"), "[tool_stream]\nrepeat_n = [1]\n").unwrap();
    let out = post(ws.path(), e.as_bytes(), &[]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
    assert!(out.stderr.contains("malformed [tool_stream]"), "{}", out.stderr);
    assert!(!ws.path().join(".dos").exists());
    std::fs::write(ws.path().join("dos.toml"), "[tool_stream]\nrepeat_n = 0\n").unwrap();
    for _ in 0..3 {
        post(ws.path(), e.as_bytes(), &[]);
    }
    let out = post(ws.path(), e.as_bytes(), &[]);
    assert!(out.stdout.contains("REPEATING"));
    assert!(
        out.stderr.contains("ignoring malformed [tool_stream]")
            && out.stderr.contains("repeat_n must be >= 1")
    );
    std::fs::write(ws.path().join("dos.toml"), "[marker]\nmax_streak = [1]\n").unwrap();
    let out = run(
        BIN,
        ws.path(),
        &["hook", "marker", "--loop", "--session-id", "m"],
        &[],
        b"",
    );
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
    assert!(out.stderr.contains("malformed [marker]"));
}

#[test]
fn negative_max_markers_is_safe() {
    let ws = tempfile::tempdir().unwrap();
    let out = run(
        BIN,
        ws.path(),
        &[
            "hook",
            "marker",
            "--loop",
            "--session-id",
            "m",
            "--max-markers",
            "-1",
        ],
        &[],
        b"",
    );
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
    let out = run(
        BIN,
        ws.path(),
        &["hook", "marker", "--max-markers", "x"],
        &[],
        b"",
    );
    assert_eq!(out.code, 2);
}

#[test]
fn hundred_megabyte_stdin() {
    let ws = tempfile::tempdir().unwrap();
    let big = "y".repeat(100 * 1024 * 1024);
    let e = ev(ws.path(), "\"big\"", &format!("\"{big}\""));
    let out = post(ws.path(), e.as_bytes(), &[]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
    let text = std::fs::read_to_string(ws.path().join(".dos/streams/big.jsonl")).unwrap();
    assert!(text.contains("\"step_index\": 0"));
}

#[test]
fn long_sessions_are_read_from_the_tail() {
    // 100k distinct prior steps (~20 MB): the step index continues and a
    // fresh identical run is still detected.
    let ws = tempfile::tempdir().unwrap();
    let dir = ws.path().join(".dos/streams");
    std::fs::create_dir_all(&dir).unwrap();
    let mut body = String::new();
    for i in 0..100_000 {
        body.push_str(&format!("{{\"args_digest\": \"{i:016x}\", \"op\": \"STEP\", \"result_digest\": \"2d711642b726b044\", \"schema\": {{\"family\": \"tool-stream\", \"version\": 1}}, \"step_index\": {i}, \"tool_name\": \"Bash\", \"ts\": \"2026-01-01T00:00:00Z\"}}\n"));
    }
    std::fs::write(dir.join("long.jsonl"), body).unwrap();
    let e = ev(ws.path(), "\"long\"", "\"x\"");
    let start = std::time::Instant::now();
    for _ in 0..2 {
        post(ws.path(), e.as_bytes(), &[]);
    }
    let out = post(ws.path(), e.as_bytes(), &["--debug"]);
    assert!(out.stdout.contains("REPEATING"));
    assert!(out.stderr.contains("step_index=100002"), "{}", out.stderr);
    assert!(start.elapsed().as_secs() < 20);
}

#[test]
fn observation_records_hook_verdicts() {
    let ws = tempfile::tempdir().unwrap();
    let e = ev(ws.path(), "\"s\"", "\"x\"");
    for _ in 0..3 {
        run(
            BIN,
            ws.path(),
            &["hook", "posttool"],
            &[("DISPATCH_OBSERVE", "1")],
            e.as_bytes(),
        );
    }
    run(
        BIN,
        ws.path(),
        &["hook", "marker", "--session-id", "m"],
        &[("DISPATCH_OBSERVE", "yes"), ("DOS_LOOP", "1")],
        b"",
    );
    let j = std::fs::read_to_string(ws.path().join(".dos/verdict-journal.jsonl")).unwrap();
    let lines: Vec<&str> = j.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(
        lines[2].contains("\"syscall\": \"hook_posttool\"")
            && lines[2].contains("\"verdict\": \"REPEATING\"")
    );
    assert!(
        lines[3].contains("\"syscall\": \"hook_marker\"")
            && lines[3].contains("\"verdict\": \"BLOCK\"")
            && lines[3].contains("\"seq\": 4")
    );
}

#[test]
fn observation_follows_the_job_layout() {
    // `--job` hooks record where `dos export --job` reads: docs/_plans/.
    let ws = tempfile::tempdir().unwrap();
    let e = ev(ws.path(), "\"s\"", "\"x\"");
    let pre = r#"{"session_id": "s", "tool_name": "Bash", "tool_input": {"command": "ls"}}"#;
    let observe = [("DISPATCH_OBSERVE", "1")];
    for bin in HookBin::built() {
        bin.run(ws.path(), &["hook", "posttool", "--job"], &observe, e.as_bytes());
        bin.run(
            ws.path(),
            &["hook", "pretool", "--driver", "job"],
            &observe,
            pre.as_bytes(),
        );
        // A lane-taxonomy-only driver keeps the generic layout.
        bin.run(
            ws.path(),
            &["hook", "posttool", "--driver", "ci_status"],
            &observe,
            e.as_bytes(),
        );
    }
    run(BIN, ws.path(), &["exec-capability", "--job", "ls"], &observe, b"");
    let plans = std::fs::read_to_string(ws.path().join("docs/_plans/verdict-journal.jsonl")).unwrap();
    let syscalls: Vec<&str> = plans
        .lines()
        .map(|l| {
            l.split("\"syscall\": \"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(
        syscalls,
        [
            "hook_posttool",
            "hook_pretool",
            "hook_posttool",
            "hook_pretool",
            "exec_capability"
        ]
    );
    let generic = std::fs::read_to_string(ws.path().join(".dos/verdict-journal.jsonl")).unwrap();
    assert_eq!(generic.lines().count(), 2, "{generic}");
    let (out, _, code) = {
        let o = run(
            BIN,
            ws.path(),
            &["export", "--job", "--to", "null", "--since", "0"],
            &[],
            b"",
        );
        (o.stdout, o.stderr, o.code)
    };
    assert_eq!(code, 0);
    assert!(out.contains("5 event(s)"), "{out}");
}

#[test]
fn standalone_binary_names_what_it_does_not_serve() {
    let ws = tempfile::tempdir().unwrap();
    let bin = hooks_common::dos_hook_bin();
    let out = run(bin, ws.path(), &["stop"], &[], b"{}");
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("`dos hook stop`"), "{}", out.stderr);
    let out = run(bin, ws.path(), &["export"], &[], b"");
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("unrecognized subcommand 'export'"),
        "{}",
        out.stderr
    );
    let out = run(bin, ws.path(), &["posttool", "--bogus"], &[], b"{}");
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("Usage: dos-hook posttool"), "{}", out.stderr);
    let out = run(BIN, ws.path(), &["hook", "posttool", "--bogus"], &[], b"{}");
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("Usage: dos hook posttool"), "{}", out.stderr);
    let out = run(bin, ws.path(), &["--version"], &[], b"");
    assert_eq!(
        (out.code, out.stdout.trim()),
        (0, concat!("dos-hook ", env!("CARGO_PKG_VERSION")))
    );
    assert!(!ws.path().join(".dos").exists());
}

#[test]
fn a_broken_stderr_under_debug_still_exits_zero() {
    // `--debug` writes to stderr; with its reader gone every write fails.
    // That is our fault, not the agent's: exit 0 and nothing on stdout.
    use std::io::Write;
    use std::process::{Command, Stdio};
    for bin in HookBin::built() {
        let ws = tempfile::tempdir().unwrap();
        let e = ev(ws.path(), "\"s\"", "\"x\"");
        let argv = bin.argv(&["hook", "posttool", "--debug"]).unwrap();
        let mut child = Command::new(bin.path())
            .args(&argv)
            .current_dir(ws.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stderr.take());
        child.stdin.take().unwrap().write_all(e.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{bin:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "", "{bin:?}");
    }
}

#[test]
fn observation_honours_the_configured_journal_path() {
    for bin in HookBin::built() {
        let ws = tempfile::tempdir().unwrap();
        std::fs::write(
            ws.path().join("dos.toml"),
            "[paths]\nverdict_journal = \"logs/v.jsonl\"\n",
        )
        .unwrap();
        let e = ev(ws.path(), "\"s\"", "\"x\"");
        bin.run(
            ws.path(),
            &["hook", "posttool"],
            &[("DISPATCH_OBSERVE", "1")],
            e.as_bytes(),
        );
        let j = std::fs::read_to_string(ws.path().join("logs/v.jsonl")).unwrap_or_default();
        assert!(j.contains("\"syscall\": \"hook_posttool\""), "{bin:?}: {j:?}");
        assert!(!ws.path().join(".dos/verdict-journal.jsonl").exists(), "{bin:?}");
    }
}
