//! `dos export --to otlp` end to end through the real `otlp` plugin: a
//! scripted OTLP/HTTP receiver in the test (statuses, Retry-After, refused
//! connections) and the independent receiver `oteltap` (PyPI). The cursor
//! must never move past undelivered events.
//!
//! oteltap: set `DOS_TEST_OTELTAP` to its executable, or have `oteltap` on
//! PATH (`.ci/run` installs it: `python3 -m venv .venv-oteltap &&
//! .venv-oteltap/bin/pip install oteltap`). These tests fail — they never
//! skip — when the plugin or the receiver is missing.

use crate::support::export_support;

use export_support::*;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use prost::Message;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request the scripted receiver saw.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    content_type: String,
    body_len: usize,
    /// The body decoded with the official OTLP proto types.
    request: Option<ExportLogsServiceRequest>,
}

impl Seen {
    /// Every log record in the request.
    fn records(&self) -> Vec<LogRecord> {
        let Some(req) = &self.request else {
            return Vec::new();
        };
        req.resource_logs
            .iter()
            .flat_map(|rl| rl.scope_logs.iter())
            .flat_map(|sl| sl.log_records.iter().cloned())
            .collect()
    }

    /// The `service.name` resource attribute of the first resource.
    fn service_name(&self) -> Option<String> {
        let resource = self.request.as_ref()?.resource_logs.first()?.resource.as_ref()?;
        resource
            .attributes
            .iter()
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                any_value::Value::StringValue(s) => Some(s.clone()),
                _ => None,
            })
    }
}

/// Serve `script` (one status line + extra headers per request, the last
/// repeated) on a loopback port; returns the port and the requests log.
fn scripted_receiver(script: Vec<(u16, &'static str)>) -> (u16, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for (i, conn) in listener.incoming().enumerate().take(64) {
            let Ok(mut s) = conn else { break };
            let (status, extra) = script[i.min(script.len() - 1)];
            if let Some(req) = read_request(&mut s) {
                log.lock().unwrap().push(req);
            }
            let reason = match status {
                200 => "OK",
                400 => "Bad Request",
                503 => "Service Unavailable",
                _ => "Status",
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status} {reason}\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\nConnection: close\r\n{extra}\r\n"
            );
        }
    });
    (port, seen)
}

fn read_request(s: &mut TcpStream) -> Option<Seen> {
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut r = BufReader::new(s.try_clone().ok()?);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_string();
    let (mut len, mut ct) = (0usize, String::new());
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        match k.trim().to_ascii_lowercase().as_str() {
            "content-length" => len = v.trim().parse().ok()?,
            "content-type" => ct = v.trim().to_string(),
            _ => {}
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).ok()?;
    let request = ExportLogsServiceRequest::decode(body.as_slice()).ok();
    Some(Seen {
        path,
        content_type: ct,
        body_len: len,
        request,
    })
}

fn cursor(ws: &tempfile::TempDir) -> Option<String> {
    std::fs::read_to_string(ws.path().join(".dos/export-cursor.otlp")).ok()
}

#[test]
fn otlp_retries_503_with_retry_after_then_delivers() {
    ensure_plugins(&["dos-export-otlp"]);
    let (port, seen) = scripted_receiver(vec![(503, "Retry-After: 1\r\n"), (200, "")]);
    let ws = workspace(JOURNAL13);
    let endpoint = format!("http://127.0.0.1:{port}");
    let o = run(
        ws.path(),
        &[
            "export",
            "--to",
            "otlp",
            "--endpoint",
            &endpoint,
            "--since",
            "auto",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("→ shipped 13/13 via otlp"), "{}", out(&o));
    assert!(out(&o).ends_with("  cursor: 13  (persisted)\n"), "{}", out(&o));
    assert_eq!(cursor(&ws).as_deref(), Some("13\n"));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "one retried request for the whole batch: {seen:?}");
    for s in &seen {
        assert_eq!(s.path, "/v1/logs");
        assert_eq!(s.content_type, "application/x-protobuf");
        assert!(s.body_len > 0);
        let records = s.records();
        assert_eq!(records.len(), 13, "the whole batch in one request");
        assert_eq!(
            s.service_name().as_deref(),
            Some("dos.verdict"),
            "service.name is set"
        );
        // The event's own timestamp: the fixture's first record is 2026-11-21T21:23:10Z.
        assert_eq!(
            records[0].time_unix_nano, 1_795_296_190_000_000_000,
            "the event's own ts is sent"
        );
        assert!(records
            .iter()
            .all(|r| r.attributes.iter().any(|kv| kv.key == "dos.syscall")));
    }
}

#[test]
fn otlp_400_fails_at_once_and_keeps_the_cursor() {
    ensure_plugins(&["dos-export-otlp"]);
    let (port, seen) = scripted_receiver(vec![(400, "")]);
    let ws = workspace(JOURNAL13);
    let endpoint = format!("http://127.0.0.1:{port}");
    let o = run(
        ws.path(),
        &[
            "export",
            "--to",
            "otlp",
            "--endpoint",
            &endpoint,
            "--since",
            "auto",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("NOT shipped 0/13 via otlp"), "{}", out(&o));
    assert!(
        out(&o).contains("(not persisted: nothing was delivered)"),
        "{}",
        out(&o)
    );
    assert_eq!(cursor(&ws), None);
    assert_eq!(seen.lock().unwrap().len(), 1, "a 400 is not retried");
}

#[test]
fn otlp_refused_connection_fails_and_keeps_the_cursor() {
    ensure_plugins(&["dos-export-otlp"]);
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let ws = workspace(JOURNAL13);
    std::fs::create_dir_all(ws.path().join(".dos")).unwrap();
    std::fs::write(ws.path().join(".dos/export-cursor.otlp"), "9\n").unwrap();
    let endpoint = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let o = run(
        ws.path(),
        &[
            "export",
            "--to",
            "otlp",
            "--endpoint",
            &endpoint,
            "--since",
            "auto",
        ],
    );
    assert!(started.elapsed() < Duration::from_secs(60), "bounded retries");
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    assert!(
        out(&o).starts_with("# export · 4 event(s) pending (since seq 9) · transport=otlp\n"),
        "{}",
        out(&o)
    );
    assert_eq!(
        cursor(&ws).as_deref(),
        Some("9\n"),
        "never past undelivered events"
    );
}

fn oteltap_exe() -> PathBuf {
    if let Some(p) = std::env::var_os("DOS_TEST_OTELTAP") {
        return PathBuf::from(p);
    }
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        if dir.join("oteltap").is_file() {
            return dir.join("oteltap");
        }
    }
    // The project-local virtualenv `.ci/run` prepares; made here on first use
    // (python3 + PyPI) so `cargo test --workspace` alone suffices.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo root")
        .to_path_buf();
    let venv = root.join("target").join("oteltap-venv");
    let exe = venv.join("bin").join("oteltap");
    if exe.is_file() {
        return exe;
    }
    std::fs::create_dir_all(root.join("target")).expect("target dir");
    let lock = std::fs::File::create(root.join("target").join("oteltap-venv.lock")).expect("lock file");
    lock.lock().expect("lock");
    if !exe.is_file() {
        let made = Command::new("python3").arg("-m").arg("venv").arg(&venv).status();
        assert!(
            made.is_ok_and(|s| s.success()),
            "python3 -m venv failed: oteltap is needed for this test"
        );
        let pip = Command::new(venv.join("bin").join("pip"))
            .args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "oteltap==1.0.0",
            ])
            .status();
        assert!(pip.is_ok_and(|s| s.success()), "pip install oteltap failed");
    }
    assert!(
        exe.is_file(),
        "oteltap not found at {} after installing",
        exe.display()
    );
    exe
}

struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn otlp_against_oteltap() {
    ensure_plugins(&["dos-export-otlp"]);
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut tap = Reaped(
        Command::new(oteltap_exe())
            .args(["--port", &port.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("oteltap starts"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "oteltap did not start listening");
        std::thread::sleep(Duration::from_millis(100));
    }
    let ws = workspace(JOURNAL13);
    let endpoint = format!("http://127.0.0.1:{port}");
    let o = run(
        ws.path(),
        &[
            "export",
            "--to",
            "otlp",
            "--endpoint",
            &endpoint,
            "--since",
            "auto",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert_eq!(cursor(&ws).as_deref(), Some("13\n"));
    // Read oteltap's NDJSON until every body has shown up.
    let stdout = tap.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let wanted = [
        "liveness STALLED",
        "verify NOT_SHIPPED",
        "breaker CLOSED",
        "hook_exit BLOCK",
    ];
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !wanted.iter().all(|w| seen.contains(w)) && Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(500)) {
            seen.push_str(&line);
            seen.push('\n');
        }
    }
    for w in wanted {
        assert!(seen.contains(w), "oteltap never saw {w:?}:\n{seen}");
    }
    assert!(seen.contains("dos.syscall"), "dos.* attributes:\n{seen}");
}
