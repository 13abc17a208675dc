//! Reliability of `dos export` and the journal under hostile input and
//! failing I/O, with the real binary and the real exporter plugins (issue
//! #12): out-of-range seqs, torn export files, a FIFO journal, an unwritable
//! cursor, a corrupt cursor file.

use crate::support::export_support;

use dos_core::journal::VerdictEvent;
use export_support::*;
use std::path::Path;

/// A canonical journal line for `seq`.
fn line(seq: i64) -> String {
    let mut e = VerdictEvent::new("verify", "SHIPPED");
    e.seq = seq;
    e.ts = "2026-11-21T21:23:14Z".into();
    e.subject = format!("p::{seq}");
    e.to_line() + "\n"
}

fn journal_of(ws: &Path) -> std::path::PathBuf {
    ws.join(".dos/verdict-journal.jsonl")
}

/// Seqs of every line of a journal (panics on a line that is not a record).
fn seqs(path: &Path) -> Vec<i64> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            v["seq"].as_i64().unwrap_or(-1)
        })
        .collect()
}

/// Fault 3: a record whose seq is out of range (`1e30`, `2^63`, a huge
/// string, `i64::MAX` itself) never drives the next seq: appended records
/// keep unique, increasing seqs, and `--since auto` keeps moving.
#[test]
fn out_of_range_seqs_neither_saturate_the_journal_nor_stall_the_cursor() {
    ensure_plugins(&["dos-export-file"]);
    let bad = [
        r#"{"seq": 1e30, "syscall": "verify", "verdict": "X"}"#,
        r#"{"seq": 9223372036854775808, "syscall": "verify", "verdict": "X"}"#,
        r#"{"seq": "99999999999999999999999", "syscall": "verify", "verdict": "X"}"#,
    ];
    let mut text = line(1) + &line(2);
    for b in bad {
        text.push_str(b);
        text.push('\n');
    }
    text.push_str(&line(9_223_372_036_854_775_807).replace("p::9223372036854775807", "max"));
    let ws = workspace(&text);
    let journal = journal_of(ws.path());
    // The writer: next seqs are 3 and 4, whatever the bad lines say.
    let e = VerdictEvent::new("verify", "SHIPPED");
    assert_eq!(dos_core::journal::append(&journal, &e).unwrap(), 3);
    assert_eq!(dos_core::journal::append(&journal, &e).unwrap(), 4);

    let export = |ws: &Path| {
        run(
            ws,
            &["export", "--to", "file", "--path", "out.jsonl", "--since", "auto"],
        )
    };
    let o = export(ws.path());
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("shipped 8/8 via file"), "{}", out(&o));
    assert!(out(&o).contains("cursor: 4  (persisted)"), "{}", out(&o));
    assert!(
        err(&o).contains("warning: 4 record(s) of ")
            && err(&o).contains("carry a seq that is not an integer the journal can order (first: 1e+30)"),
        "{}",
        err(&o)
    );
    // `dos observe` reads them the same way and says so.
    let o = run(ws.path(), &["observe", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert!(err(&o).contains("warning: 4 record(s) of "), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(&out(&o)).expect("observe --json");
    let observed: Vec<i64> = v["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["seq"].as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(observed, vec![1, 2, 0, 0, 0, 0, 3, 4]);
    // The out-of-range records were shipped as seq 0; nothing else changed.
    assert_eq!(seqs(&ws.path().join("out.jsonl")), vec![1, 2, 0, 0, 0, 0, 3, 4]);

    // More records: the next export ships exactly them.
    assert_eq!(dos_core::journal::append(&journal, &e).unwrap(), 5);
    assert_eq!(dos_core::journal::append(&journal, &e).unwrap(), 6);
    let o = export(ws.path());
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("shipped 2/2 via file"), "{}", out(&o));
    assert!(out(&o).contains("cursor: 6  (persisted)"), "{}", out(&o));
    let all = seqs(&journal);
    let good: Vec<i64> = all.iter().copied().filter(|s| *s > 0 && *s < i64::MAX).collect();
    assert_eq!(good, vec![1, 2, 3, 4, 5, 6], "unique and increasing: {all:?}");
}

/// Every line of `path` parses as a JSON object (no torn or glued lines).
fn assert_all_lines_parse(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.ends_with('\n'),
        "ends mid-line: {:?}",
        &text[text.len().saturating_sub(80)..]
    );
    for (i, l) in text.lines().enumerate() {
        let v: Result<serde_json::Value, _> = serde_json::from_str(l);
        assert!(
            v.as_ref().is_ok_and(|v| v.is_object()),
            "line {} of {} is not a record: {l:?}",
            i + 1,
            path.display()
        );
    }
}

fn journal_with(n: i64) -> String {
    (1..=n).map(line).collect()
}

/// Fault 4, first half: a target file that does not end in `\n` (a line
/// someone left unfinished) gets the export on a fresh line.
#[test]
fn the_file_exporter_starts_on_a_fresh_line() {
    ensure_plugins(&["dos-export-file"]);
    let ws = workspace(&journal_with(3));
    let target = ws.path().join("out.jsonl");
    std::fs::write(
        &target,
        "{\"seq\": 0, \"note\": \"complete\"}\n{\"seq\": 0, \"torn\": tr",
    )
    .unwrap();
    let o = run(ws.path(), &["export", "--to", "file", "--path", "out.jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let text = std::fs::read_to_string(&target).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert_eq!(
        lines[1], "{\"seq\": 0, \"torn\": tr",
        "the torn line is left as it was"
    );
    assert_eq!(format!("{}\n", lines[2..].join("\n")), journal_with(3));
}

/// Fault 4, second half: a write that fails part-way (the file size limit
/// set by `ulimit -f`, with SIGXFSZ ignored: the kernel writes what fits,
/// then fails with EFBIG, just as a full disk ends with ENOSPC) leaves the
/// file at its last good length, and the next export appends cleanly.
#[test]
fn a_write_that_fails_part_way_is_cut_back_and_the_next_export_is_clean() {
    ensure_plugins(&["dos-export-file"]);
    let ws = workspace(&journal_with(120));
    let target = ws.path().join("out.jsonl");
    // 60,000 bytes of complete records; the limit is 64 KiB.
    let filler = format!("{{\"seq\": 0, \"pad\": \"{}\"}}\n", "x".repeat(98));
    let before: String = filler.repeat(60_000 / filler.len());
    std::fs::write(&target, &before).unwrap();
    let journal_bytes = journal_with(120).len();
    assert!(before.len() < 65_536 && before.len() + journal_bytes > 65_536 + 4096);
    let limited = std::process::Command::new("bash")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 64 && exec \"$@\"")
        .arg("bash")
        .arg(dos_bin())
        .args(["export", "--to", "file", "--path", "out.jsonl", "--since", "auto"])
        .current_dir(ws.path())
        .env_remove("DOS_PLUGIN_PATH")
        .output()
        .expect("bash runs");
    assert_eq!(
        limited.status.code(),
        Some(1),
        "{}{}",
        out(&limited),
        err(&limited)
    );
    assert!(
        out(&limited).contains("NOT shipped 0/120 via file: error:"),
        "{}",
        out(&limited)
    );
    assert_eq!(
        std::fs::metadata(&target).unwrap().len(),
        before.len() as u64,
        "cut back to the last good length"
    );
    assert!(!ws.path().join(".dos/export-cursor.file").exists());
    let o = run(
        ws.path(),
        &["export", "--to", "file", "--path", "out.jsonl", "--since", "auto"],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("shipped 120/120 via file"), "{}", out(&o));
    assert_all_lines_parse(&target);
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        before + &journal_with(120)
    );
}

/// Run `dos ARGS` in `ws`, failing (and killing it) if it has not ended
/// within 30 s: a hang is a test failure, not a stuck test run.
fn run_bounded(ws: &Path, args: &[&str]) -> std::process::Output {
    let child = dos(ws)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("dos starts");
    let pid = rustix::process::Pid::from_raw(child.id() as i32).expect("pid");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(std::time::Duration::from_secs(30)) {
        Ok(output) => output.expect("output"),
        Err(_) => {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            panic!("dos {args:?} hung");
        }
    }
}

fn mkfifo(path: &Path) {
    let st = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(st.success());
}

/// Fault 5 (journal part): a FIFO where the journal should be never hangs
/// `dos export` or `dos observe`: both end with exit 1 and an error naming
/// the file and what it is.
#[test]
fn a_fifo_journal_is_refused_not_waited_on() {
    ensure_plugins(&["dos-export-file"]);
    let ws = workspace("");
    std::fs::create_dir_all(ws.path().join(".dos")).unwrap();
    let journal = journal_of(ws.path());
    mkfifo(&journal);
    let cases: [&[&str]; 4] = [
        &["export", "--to", "file", "--path", "out.jsonl"],
        &["export", "--to", "file", "--path", "out.jsonl", "--tail", "3"],
        &["observe"],
        &["observe", "--json"],
    ];
    for args in cases {
        let o = run_bounded(ws.path(), args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}{}", out(&o), err(&o));
        assert!(
            err(&o).contains(&format!(
                "cannot read {}: is a FIFO (named pipe), not a regular file",
                journal.display()
            )),
            "{args:?}: {}",
            err(&o)
        );
    }
}

/// Puts something bad where the cursor file goes.
type MakeCursor = fn(&Path);

/// A FIFO or an oversized file where the cursor should be never hangs or
/// bloats `--since auto`; a corrupt cursor is quoted in at most 120 bytes.
#[test]
fn a_bad_cursor_file_is_reported_briefly_and_never_hangs() {
    ensure_plugins(&["dos-export-file"]);
    let ws = workspace(&journal_with(2));
    let cursor = ws.path().join(".dos/export-cursor.file");
    let args = ["export", "--to", "file", "--path", "out.jsonl", "--since", "auto"];
    let y120 = "y".repeat(120);
    let table: [(&str, MakeCursor, String); 3] = [
        (
            "180 KB of garbage: its size is named, nothing of it quoted",
            |c| std::fs::write(c, "x".repeat(180_000)).unwrap(),
            "is unusable (it is 180000 bytes long (at most 65536 expected)); draining from the start".into(),
        ),
        (
            "10 KB of garbage: quoted, cut at 120 bytes",
            |c| std::fs::write(c, "y".repeat(10_000)).unwrap(),
            format!("'{y120}'… (10000 bytes) is not an integer seq"),
        ),
        (
            "a FIFO: refused at once",
            |c| {
                std::fs::remove_file(c).unwrap();
                mkfifo(c);
            },
            "is unusable (is a FIFO (named pipe), not a regular file); draining from the start".into(),
        ),
    ];
    for (what, make, expected) in table {
        make(&cursor);
        let o = run_bounded(ws.path(), &args);
        assert_eq!(o.status.code(), Some(0), "{what}: {}{}", out(&o), err(&o));
        assert!(err(&o).contains(&expected), "{what}: {}", err(&o));
        assert!(err(&o).len() < 1000, "{what}: {} bytes of warning", err(&o).len());
    }
}

/// A cursor that cannot be written after a successful delivery fails the
/// run (exit 1) with a message that the next run re-ships; text and JSON.
#[test]
fn a_cursor_write_failure_after_delivery_fails_the_run() {
    ensure_plugins(&["dos-export-file"]);
    let ws = workspace(&journal_with(3));
    // A directory where the cursor file goes: the rename onto it fails
    // (chmod would not stop root).
    std::fs::create_dir_all(ws.path().join(".dos/export-cursor.file/x")).unwrap();
    for json in [false, true] {
        let mut args = vec!["export", "--to", "file", "--path", "out.jsonl", "--since", "auto"];
        if json {
            args.push("--json");
        }
        let o = run_bounded(ws.path(), &args);
        assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
        assert!(
            err(&o).contains(
                "error: 3 event(s) were delivered, but the export cursor was not persisted (cannot write "
            ) && err(&o).contains("the next --since auto run will ship them again"),
            "{}",
            err(&o)
        );
        if json {
            let v: serde_json::Value = serde_json::from_str(&out(&o)).expect("stdout is JSON");
            assert_eq!(v["result"]["exported"], 3);
        } else {
            assert!(
                out(&o).contains("cursor: 3  (NOT persisted: cannot write "),
                "{}",
                out(&o)
            );
        }
    }
}

/// A loopback HTTP server for at most `conns` connections: each request is
/// read (headers and `Content-Length` body), then `answer` writes the
/// reply. Returns the port.
fn http_server(conns: usize, answer: fn(&mut std::net::TcpStream)) -> u16 {
    use std::io::{BufRead, BufReader, Read};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming().take(conns) {
            let Ok(mut s) = conn else { break };
            let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(10)));
            let Ok(clone) = s.try_clone() else { continue };
            let mut r = BufReader::new(clone);
            let mut len = 0usize;
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).unwrap_or(0) == 0 || h.trim_end().is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    if k.trim().eq_ignore_ascii_case("content-length") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0u8; len];
            let _ = r.read_exact(&mut body);
            answer(&mut s);
        }
    });
    port
}

/// `dos export --to otlp --endpoint ENDPOINT EXTRA…`, bounded.
fn export_otlp(ws: &Path, endpoint: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["export", "--to", "otlp", "--endpoint", endpoint];
    args.extend_from_slice(extra);
    run_bounded(ws, &args)
}

/// OTLP: a `200` whose body stops short of its `Content-Length` (the
/// connection closed mid-body) is a failure: exit 1, the cursor stays.
#[test]
fn otlp_a_2xx_with_a_torn_body_is_not_a_delivery() {
    use std::io::Write;
    ensure_plugins(&["dos-export-otlp"]);
    let port = http_server(8, |s| {
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 100\r\n\
              Connection: close\r\n\r\n\x12\x05abc",
        );
    });
    let ws = workspace(&journal_with(3));
    let endpoint = format!("http://127.0.0.1:{port}");
    let o = export_otlp(ws.path(), &endpoint, &["--since", "auto"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    assert!(
        out(&o).contains(&format!(
            "NOT shipped 0/3 via otlp: error: HTTP 200 OK from {endpoint}/v1/logs, but its body was cut off (5 of 100 byte(s) received"
        )),
        "{}",
        out(&o)
    );
    assert!(out(&o).contains("; delivery is not confirmed"), "{}", out(&o));
    assert!(!ws.path().join(".dos/export-cursor.otlp").exists());
}

/// OTLP: no secret is printed — not the URL's `user:pass@`, not the
/// configured `Authorization` token, not when the server echoes them back
/// in an error body, and not when the collector cannot be reached.
#[test]
fn otlp_error_details_never_show_secrets() {
    use std::io::Write;
    ensure_plugins(&["dos-export-otlp"]);
    let port = http_server(8, |s| {
        let body = "denied: Authorization: Bearer tok-SECRET-123 for alice:pa55word";
        let _ = write!(
            s,
            "HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    });
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let ws = workspace(&journal_with(2));
    std::fs::write(
        ws.path().join("dos.toml"),
        "[exporters.otlp]\nretry_max_attempts = 1\nheaders = { Authorization = \"Bearer tok-SECRET-123\" }\n",
    )
    .unwrap();
    for p in [port, closed_port] {
        let endpoint = format!("http://alice:pa55word@127.0.0.1:{p}");
        let o = export_otlp(ws.path(), &endpoint, &[]);
        assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
        let all = out(&o) + &err(&o);
        for secret in ["pa55word", "alice", "tok-SECRET-123"] {
            assert!(!all.contains(secret), "{secret} printed: {all}");
        }
        assert!(all.contains(&format!("http://***@127.0.0.1:{p}")), "{all}");
        if p == port {
            assert!(
                all.contains("HTTP 401 Unauthorized from http://***@127.0.0.1:")
                    && all.contains(": denied: Authorization: *** for ***"),
                "{all}"
            );
        }
    }
}

/// Fault 1, the issue's own scenario: `dos export --to otlp` against a
/// collector that never answers, interrupted twice (Ctrl-C, then SIGTERM)
/// while the call is in flight. The runs die by those signals; the bundled
/// `otlp` plugin is not quarantined and ships on the next run.
#[test]
fn interrupting_a_slow_otlp_export_never_quarantines_the_plugin() {
    use rustix::process::{kill_process, Pid, Signal};
    use std::os::unix::process::ExitStatusExt;
    ensure_plugins(&["dos-export-otlp"]);
    let slow = http_server(2, |_| std::thread::sleep(std::time::Duration::from_secs(15)));
    let ws = workspace(&journal_with(2));
    for (sig, number) in [(Signal::INT, 2), (Signal::TERM, 15)] {
        let endpoint = format!("http://127.0.0.1:{slow}");
        let mut child = dos(ws.path())
            .args(["export", "--to", "otlp", "--endpoint", &endpoint])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("dos starts");
        let marker = ws
            .path()
            .join(format!(".dos/plugins/inflight/{}.jsonl", child.id()));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !std::fs::read_to_string(&marker).is_ok_and(|t| t.contains("exporter 'otlp'")) {
            assert!(
                child.try_wait().expect("polls").is_none(),
                "dos ended before its call"
            );
            assert!(std::time::Instant::now() < deadline, "the call never showed");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // Inside the call: give it a moment to be waiting on the collector.
        std::thread::sleep(std::time::Duration::from_millis(200));
        kill_process(Pid::from_raw(child.id() as i32).expect("pid"), sig).expect("signal");
        assert_eq!(child.wait().expect("waits").signal(), Some(number));
    }
    let ok = http_server(4, |s| {
        use std::io::Write;
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    let o = export_otlp(ws.path(), &format!("http://127.0.0.1:{ok}"), &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("shipped 2/2 via otlp"), "{}", out(&o));
    assert!(!err(&o).contains("a previous dos run"), "{}", err(&o));
    assert!(!err(&o).contains("quarantine"), "{}", err(&o));
}

/// A tmpfs of a few pages, unmounted on drop (a panicking test included).
struct SmallTmpfs {
    dir: tempfile::TempDir,
}

impl SmallTmpfs {
    /// Mount one (`mount` needs root, which CI and the dev machines are;
    /// the test fails, never skips, when it cannot).
    fn mount(size: &str) -> SmallTmpfs {
        let dir = tempfile::tempdir().expect("temp dir");
        let st = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("mount runs");
        assert!(
            st.success(),
            "cannot mount a tmpfs at {} (needs root)",
            dir.path().display()
        );
        SmallTmpfs { dir }
    }
}

impl Drop for SmallTmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Fault 4 on a real full disk: a 64 KiB tmpfs runs out mid-write (ENOSPC
/// after a partial write); the export file is cut back to its last good
/// length, and once space is freed the next export appends cleanly.
#[test]
fn a_full_tmpfs_mid_write_leaves_no_torn_line() {
    ensure_plugins(&["dos-export-file"]);
    let fs = SmallTmpfs::mount("64k");
    let target = fs.dir.path().join("out.jsonl");
    let before = journal_with(10);
    std::fs::write(&target, &before).unwrap();
    // Fill all but about one page.
    let filler = fs.dir.path().join("filler");
    let mut n = 0;
    while std::fs::write(&filler, vec![b'f'; n + 4096]).is_ok() {
        n += 4096;
    }
    std::fs::write(&filler, vec![b'f'; n.saturating_sub(4096)]).unwrap();
    let ws = workspace(&journal_with(120));
    let path = target.display().to_string();
    let args = ["export", "--to", "file", "--path", &path, "--since", "auto"];
    let o = run_bounded(ws.path(), &args);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    assert!(
        out(&o).contains("NOT shipped 0/120 via file: error: [Errno 28] No space left on device"),
        "{}",
        out(&o)
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), before, "cut back");
    std::fs::remove_file(&filler).unwrap();
    let o = run_bounded(ws.path(), &args);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert_all_lines_parse(&target);
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        before + &journal_with(120)
    );
}
