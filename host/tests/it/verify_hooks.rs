//! `dos verify` / `dos hook stop` behaviour beyond the reference replay: the
//! fixes we make over the reference, the help digest, journal recording,
//! fail-safe input handling and `dos init` (the quickstart demo has its own test, `demo.rs`).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// How `dos hook stop ARGS` is invoked.
fn hook_stop_argv(rest: &[&str]) -> Vec<String> {
    ["hook", "stop"]
        .into_iter()
        .chain(rest.iter().copied())
        .map(String::from)
        .collect()
}

struct Out {
    stdout: String,
    stderr: String,
    rc: i32,
}

fn dos(dir: &Path, argv: &[String], stdin: &str, env: &[(&str, &str)]) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dos"));
    cmd.args(argv)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars() {
        if k.starts_with("DISPATCH_") || k.starts_with("DOS_") || k.starts_with("JOB_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn");
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(stdin.as_bytes());
    }
    let o = child.wait_with_output().expect("wait");
    Out {
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        rc: o.status.code().unwrap_or(-1),
    }
}

fn hook(ws: &Path, args: &[&str], stdin: &str) -> Out {
    dos(ws, &hook_stop_argv(args), stdin, &[])
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args([
            "-c",
            "user.email=t@example.com",
            "-c",
            "user.name=T",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdout(Stdio::null())
        .status()
        .expect("git")
        .success();
    assert!(ok, "git {args:?}");
}

/// A repo where AUTH1 shipped and nothing else did.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    git(dir.path(), &["init", "-q"]);
    std::fs::write(dir.path().join("login.py"), "x\n").expect("write");
    git(dir.path(), &["add", "-A"]);
    git(
        dir.path(),
        &["commit", "-q", "-m", "AUTH1: ship the login endpoint"],
    );
    dir
}

fn transcript(ws: &Path, text: &str) -> String {
    let line = serde_json::json!({"type": "assistant", "message": {"role": "assistant", "content": [{"type": "text", "text": text}]}});
    let p = ws.join("t.jsonl");
    std::fs::write(&p, format!("{line}\n")).expect("write");
    serde_json::json!({"transcript_path": p, "cwd": ws}).to_string()
}

const REASON_AUTH2: &str = "DOS verify: you claimed AUTH AUTH2 (via none) shipped, but git has no commit backing it. Land the commit (with the ship-stamp grammar) or correct the claim before stopping.";

#[test]
fn two_claims_one_backed_blocks_with_the_exact_reason() {
    let ws = workspace();
    let event = transcript(ws.path(), "Done.\nDOS-CLAIM: AUTH AUTH1\nDOS-CLAIM: AUTH AUTH2");
    let out = hook(ws.path(), &[], &event);
    assert_eq!(out.rc, 0);
    assert_eq!(
        out.stdout,
        format!("{{\"decision\": \"block\", \"reason\": \"{REASON_AUTH2}\"}}\n")
    );
    // As the reference: an explicit Claude Code dialect renders its DENY at
    // moment STOP (pinned with every dialect by `golden_stop_every_dialect`).
    let out = hook(ws.path(), &["--dialect", "claude-code"], &event);
    assert_eq!(
        out.stdout,
        format!("{{\"hookSpecificOutput\": {{\"hookEventName\": \"Stop\", \"permissionDecision\": \"deny\", \"permissionDecisionReason\": \"{REASON_AUTH2}\"}}}}\n")
    );
    let out = hook(ws.path(), &["--dialect", "bogus"], &event);
    assert!(out.stdout.starts_with("{\"decision\": \"block\""));
    assert!(
        out.stderr.contains("dos hook stop: unknown --dialect 'bogus'"),
        "{}",
        out.stderr
    );
}

/// The reference's stop goldens (hooks spec Appendix A, group G-STOP,
/// recorded from dos-kernel 0.22 and unchanged in 0.30): the default block,
/// `--json`, the loop guard, and the block in every dialect — an explicit
/// `--dialect claude-code` is the DENY at moment STOP, not the default's
/// `{"decision": "block"}` — through the one dialect renderer.
#[test]
fn golden_stop_every_dialect() {
    let golden: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/hooks/golden.json")).expect("golden.json");
    let group = golden
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == "G-STOP")
        .expect("the G-STOP group");
    let dir = tempfile::tempdir().expect("tempdir");
    let ws = dir.path();
    git(ws, &["init", "-q"]);
    std::fs::write(ws.join("a.txt"), "a\n").expect("write");
    git(ws, &["add", "a.txt"]);
    git(ws, &["commit", "-q", "-m", "AUTH: AUTH1 add login"]);
    let turn = |claim: &str| {
        format!(
            "{}\n{}\n",
            r#"{"type":"user","message":{"role":"user","content":"do it"}}"#,
            serde_json::json!({"type": "assistant", "message": {"role": "assistant",
                "content": [{"type": "text", "text": format!("Done.\nDOS-CLAIM: {claim}")}]}})
        )
    };
    let (shipped, unshipped) = (ws.join("t-auth1.jsonl"), ws.join("t-auth2.jsonl"));
    std::fs::write(&shipped, turn("AUTH AUTH1")).expect("write");
    std::fs::write(&unshipped, turn("AUTH AUTH2")).expect("write");
    let cases = group["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 9);
    for case in cases {
        let title = case["title"].as_str().unwrap();
        let transcript = if title.contains("AUTH1 shipped") {
            &shipped
        } else {
            &unshipped
        };
        let stdin = case["stdin"]
            .as_str()
            .unwrap()
            .replace("/ws", ws.to_str().unwrap())
            .replace("(scratch)", transcript.to_str().unwrap());
        let argv: Vec<String> = case["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        let out = dos(ws, &argv, &stdin, &[]);
        assert_eq!(out.stdout, case["stdout"].as_str().unwrap(), "{title}");
        assert_eq!(i64::from(out.rc), case["code"].as_i64().unwrap(), "{title}");
        if let Some(err) = case["stderr"].as_str() {
            assert_eq!(out.stderr, err, "{title}");
        }
    }
}

#[test]
fn string_false_does_not_take_the_loop_guard() {
    let ws = workspace();
    let mut event: serde_json::Value =
        serde_json::from_str(&transcript(ws.path(), "DOS-CLAIM: AUTH AUTH2")).expect("json");
    event["stop_hook_active"] = serde_json::json!("false");
    let out = hook(ws.path(), &[], &event.to_string());
    assert!(out.stdout.contains("\"decision\": \"block\""), "{}", out.stdout);
    event["stop_hook_active"] = serde_json::json!(true);
    assert_eq!(hook(ws.path(), &[], &event.to_string()).stdout, "");
}

#[test]
fn bad_input_is_silent_and_exits_zero() {
    let ws = workspace();
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let deep_obj = ["{\"a\": ", &"{\"b\": ".repeat(3000), "1", &"}".repeat(3001)].concat();
    let bad_toml = ws.path().join("dos.toml");
    for stdin in [
        "",
        "not json",
        "[1,2]",
        "\u{feff}{}",
        "{} {}",
        deep.as_str(),
        deep_obj.as_str(),
        "{\"cwd\": 5, \"transcript_path\": [1]}",
    ] {
        let out = hook(ws.path(), &[], stdin);
        assert_eq!((out.stdout.as_str(), out.rc), ("", 0), "{stdin:.40}");
    }
    std::fs::write(
        &bad_toml,
        "[stamp]\nsubject_dirs = 5\n[paths]\nlane_journal = [1]\n",
    )
    .expect("write");
    let event = transcript(ws.path(), "DOS-CLAIM: AUTH AUTH1");
    let out = hook(ws.path(), &["--json"], &event);
    assert_eq!(out.rc, 0);
    assert!(
        out.stdout.starts_with("{\"checked\": 1, \"ok\": true"),
        "{}",
        out.stdout
    );
    std::fs::write(&bad_toml, "[stamp\n").expect("write");
    let out = hook(ws.path(), &["--json"], &event);
    assert!(
        out.stdout.starts_with("{\"checked\": 1, \"ok\": true"),
        "{}",
        out.stdout
    );
}

#[test]
fn help_digest_prints_once_per_session() {
    let ws = workspace();
    let dos_dir = ws.path().join(".dos");
    std::fs::create_dir_all(&dos_dir).expect("mkdir");
    let rec = |i: &str, holder: &str, ts: &str| {
        format!("{{\"op\": \"ENFORCE\", \"holder\": \"{holder}\", \"intervention\": \"{i}\", \"ts\": \"{ts}\"}}\n")
    };
    let journal = [
        rec("BLOCK", "sess-1", "2026-01-01T00:00:00Z"),
        rec("warn", "sess-1", "2026-01-01T00:01:00Z"),
        rec("OBSERVE", "sess-1", "2026-01-01T00:02:00Z"),
        rec("BLOCK", "other", "2026-01-01T00:03:00Z"),
    ]
    .concat();
    std::fs::write(dos_dir.join("lane-journal.jsonl"), journal).expect("write");
    let event = serde_json::json!({"session_id": "sess-1", "cwd": ws.path()}).to_string();
    let first = hook(ws.path(), &[], &event);
    assert_eq!(first.stdout, "");
    assert_eq!(
        first.stderr,
        "[dos] DOS has caught 2 things (1 blocked, 1 warned). Run `dos helped` for the breakdown.\n"
    );
    assert_eq!(
        std::fs::read_to_string(dos_dir.join("help-digest/sess-1")).expect("stamp"),
        "2026-01-01T00:02:00Z"
    );
    assert_eq!(hook(ws.path(), &[], &event).stderr, "");
}

#[test]
fn verdicts_are_recorded_when_armed() {
    let ws = workspace();
    let armed = [("DISPATCH_OBSERVE", "1")];
    let out = dos(
        ws.path(),
        &["verify".into(), "AUTH".into(), "AUTH1".into()],
        "",
        &armed,
    );
    assert_eq!(out.rc, 0);
    let out = dos(
        ws.path(),
        &["verify".into(), "AUTH".into(), "AUTH2".into()],
        "",
        &[],
    );
    assert_eq!(out.rc, 1);
    let event = transcript(ws.path(), "DOS-CLAIM: AUTH AUTH2");
    dos(ws.path(), &hook_stop_argv(&[]), &event, &armed);
    let text = std::fs::read_to_string(ws.path().join(".dos/verdict-journal.jsonl")).expect("journal");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("line"))
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["syscall"], "verify");
    assert_eq!(lines[0]["verdict"], "SHIPPED");
    assert_eq!(lines[0]["subject"], "AUTH::AUTH1");
    assert_eq!(lines[0]["detail"], serde_json::json!({"source": "grep-subject"}));
    assert_eq!(
        (lines[1]["syscall"].as_str(), lines[1]["verdict"].as_str()),
        (Some("hook_stop"), Some("BLOCK"))
    );
    assert_eq!(lines[1]["seq"], 2);
}

#[test]
fn verify_usage_errors_exit_two() {
    let ws = workspace();
    assert_eq!(dos(ws.path(), &["verify".into(), "AUTH".into()], "", &[]).rc, 2);
    let out = dos(
        ws.path(),
        &[
            "verify".into(),
            "AUTH".into(),
            "AUTH1".into(),
            "--output".into(),
            "terse".into(),
        ],
        "",
        &[],
    );
    assert_eq!(
        (out.rc, out.stderr.as_str()),
        (2, "error: unknown renderer 'terse'; known: text, json, plain\n")
    );
    let out = dos(
        ws.path(),
        &[
            "verify".into(),
            "AUTH".into(),
            "AUTH1".into(),
            "--driver".into(),
            "nope".into(),
        ],
        "",
        &[],
    );
    assert_eq!(out.rc, 2);
    let out = dos(
        ws.path(),
        &["verify".into(), "AUTH".into(), "AUTH2".into()],
        "",
        &[("DOS_COLOR", "always")],
    );
    assert_eq!(
        out.stdout,
        "\x1b[1m\x1b[31mNOT_SHIPPED\x1b[0m AUTH AUTH2 \x1b[31m\x1b[1m(via none)\x1b[0m\n"
    );
    let out = dos(
        ws.path(),
        &["verify".into(), "AUTH".into(), "AUTH2".into()],
        "",
        &[("DOS_COLOR", "always"), ("NO_COLOR", "")],
    );
    assert_eq!(out.stdout, "NOT_SHIPPED AUTH AUTH2 (via none)\n");
}

#[test]
fn init_scaffolds_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("src")).expect("mkdir");
    let out = dos(dir.path(), &["init".into(), ".".into()], "", &[]);
    assert_eq!(out.rc, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("derived 1 concurrent lane(s) (src) + an exclusive 'global'"),
        "{}",
        out.stdout
    );
    let text = std::fs::read_to_string(dir.path().join("dos.toml")).expect("dos.toml");
    assert!(text.contains("# [plugins]") && text.contains("file, statsd, otlp"));
    assert_eq!(dos(dir.path(), &["init".into(), ".".into()], "", &[]).rc, 1);
    assert_eq!(
        dos(
            dir.path(),
            &["init".into(), ".".into(), "--force".into()],
            "",
            &[]
        )
        .rc,
        0
    );
}
