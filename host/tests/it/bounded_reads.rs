//! Issue #12 fault 5: every read of a user-named file is bounded. The stop
//! hook's `transcript_path` may be `/dev/zero` or a FIFO, and `dos.toml` may
//! be a FIFO: no hook or command may hang or grow without bound. Each child
//! runs under a wall-clock watchdog: a hang kills it and fails the test.

use crate::support::hooks_common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const WATCHDOG: Duration = Duration::from_secs(20);

struct Out {
    stdout: String,
    stderr: String,
    code: i32,
}

/// Run `bin args` in `cwd` with `stdin`; kill it and fail if it outlives
/// the watchdog.
fn run_bounded(bin: &str, cwd: &Path, args: &[&str], stdin: &[u8]) -> Out {
    let mut child = Command::new(bin)
        .args(args)
        .current_dir(cwd)
        .env_remove("DISPATCH_OBSERVE")
        .env_remove("DISPATCH_WORKSPACE")
        .env_remove("DISPATCH_VERDICT_JOURNAL_PATH")
        .env_remove("DISPATCH_LANE_JOURNAL_PATH")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut sin = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = sin.write_all(&data);
    });
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > WATCHDOG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`{bin} {args:?}` still running after {WATCHDOG:?}: it hangs (killed)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    let _ = writer.join();
    Out {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

fn dos() -> &'static str {
    env!("CARGO_BIN_EXE_dos")
}

fn mkfifo(p: &Path) {
    let st = Command::new("mkfifo").arg(p).status().expect("mkfifo");
    assert!(st.success());
}

fn stop_event(ws: &Path, transcript: &Path) -> Vec<u8> {
    serde_json::json!({"cwd": ws, "transcript_path": transcript})
        .to_string()
        .into_bytes()
}

const CLAIM_TURN: &str =
    "{\"type\":\"assistant\",\"message\":{\"role\":\"assistant\",\"content\":\"DOS-CLAIM: AUTH AUTH2\"}}\n";

#[test]
fn stop_hook_transcript_dev_zero_and_fifo_do_not_hang_or_bloat() {
    let ws = tempfile::tempdir().unwrap();
    let none = run_bounded(
        dos(),
        ws.path(),
        &["hook", "stop"],
        &stop_event(ws.path(), &ws.path().join("missing")),
    );
    assert_eq!(none.code, 0);
    let zero = run_bounded(
        dos(),
        ws.path(),
        &["hook", "stop"],
        &stop_event(ws.path(), Path::new("/dev/zero")),
    );
    assert_eq!(
        (zero.code, &zero.stdout, &zero.stderr),
        (0, &none.stdout, &none.stderr),
        "/dev/zero is no transcript"
    );
    let fifo = ws.path().join("transcript.fifo");
    mkfifo(&fifo);
    let f = run_bounded(dos(), ws.path(), &["hook", "stop"], &stop_event(ws.path(), &fifo));
    assert_eq!(
        (f.code, &f.stdout, &f.stderr),
        (0, &none.stdout, &none.stderr),
        "a FIFO is no transcript"
    );
    let dbg = run_bounded(
        dos(),
        ws.path(),
        &["hook", "stop", "--debug"],
        &stop_event(ws.path(), &fifo),
    );
    assert_eq!((dbg.code, &dbg.stdout), (0, &none.stdout));
}

#[test]
fn a_huge_transcript_is_read_by_its_tail_with_the_same_verdict() {
    let ws = tempfile::tempdir().unwrap();
    let small = ws.path().join("small.jsonl");
    std::fs::write(&small, CLAIM_TURN).unwrap();
    let expected = run_bounded(
        dos(),
        ws.path(),
        &["hook", "stop"],
        &stop_event(ws.path(), &small),
    );
    assert!(expected.stdout.contains("AUTH AUTH2"), "{}", expected.stdout);
    // 40 MiB of user turns, then the claim: only the end is scanned.
    let big = ws.path().join("big.jsonl");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
        let filler = format!(
            "{{\"type\":\"user\",\"message\":{{\"role\":\"user\",\"content\":\"{}\"}}}}\n",
            "x".repeat(1000)
        );
        for _ in 0..(40 << 20) / filler.len() {
            f.write_all(filler.as_bytes()).unwrap();
        }
        // An early claim far outside the tail must not count (the reference
        // reads the last turn only, too).
        f.write_all(CLAIM_TURN.replace("AUTH2", "AUTH9").as_bytes())
            .unwrap();
        f.write_all(filler.as_bytes()).unwrap();
        f.write_all(CLAIM_TURN.as_bytes()).unwrap();
    }
    let got = run_bounded(dos(), ws.path(), &["hook", "stop"], &stop_event(ws.path(), &big));
    assert_eq!((got.code, &got.stdout), (0, &expected.stdout));
}

#[test]
fn a_fifo_dos_toml_hangs_no_hook_and_fails_commands_by_name() {
    let ws = tempfile::tempdir().unwrap();
    let toml = ws.path().join("dos.toml");
    mkfifo(&toml);
    // Hooks: silent, exit 0.
    let t = ws.path().join("t.jsonl");
    std::fs::write(&t, CLAIM_TURN).unwrap();
    let stop = run_bounded(dos(), ws.path(), &["hook", "stop"], &stop_event(ws.path(), &t));
    assert_eq!(stop.code, 0);
    assert!(stop.stderr.is_empty(), "stop hook stays quiet: {}", stop.stderr);
    let event = serde_json::json!({"cwd": ws.path(), "session_id": "s", "tool_name": "Bash",
        "tool_input": {"command": "ls"}, "tool_response": "x"})
    .to_string();
    for bin in [dos(), hooks_common::dos_hook_bin()] {
        let args: &[&str] = if bin == dos() {
            &["hook", "posttool"]
        } else {
            &["posttool"]
        };
        let o = run_bounded(bin, ws.path(), args, event.as_bytes());
        assert_eq!(
            (o.code, o.stdout.as_str()),
            (0, ""),
            "{bin} posttool: {}",
            o.stderr
        );
        let args: &[&str] = if bin == dos() {
            &["hook", "marker"]
        } else {
            &["marker"]
        };
        let o = run_bounded(bin, ws.path(), args, event.as_bytes());
        assert_eq!(o.code, 0, "{bin} marker: {}", o.stderr);
    }
    // Commands: a clear error naming the file.
    let toml_s = toml.display().to_string();
    for args in [
        &["lease-lane", "live"][..],
        &["export", "--to", "file", "--since", "auto"][..],
    ] {
        let mut full = vec!["--workspace", ws.path().to_str().unwrap()];
        full.extend_from_slice(args);
        let o = run_bounded(dos(), ws.path(), &full, b"");
        assert_ne!(o.code, 0, "{args:?}");
        assert!(
            o.stderr.contains(&toml_s) && o.stderr.contains("FIFO"),
            "{args:?}: {}",
            o.stderr
        );
    }
}
