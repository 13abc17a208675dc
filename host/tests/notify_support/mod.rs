//! Test support for `dos notify` over real HTTP: a recording HTTP/1.1 server
//! on 127.0.0.1, the notifier plugins built by cargo next to the `dos`
//! binary, and temp workspaces.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One recorded request.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// `POST`, …
    pub method: String,
    /// Path and query as sent.
    pub target: String,
    /// `(name, value)` in wire order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl Recorded {
    /// The value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What to answer to one request.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub reason: &'static str,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// Body.
    pub body: String,
    /// Wait this long before answering.
    pub delay: Duration,
}

impl Reply {
    /// A plain reply.
    pub fn new(status: u16, reason: &'static str, body: &str) -> Reply {
        Reply {
            status,
            reason,
            headers: Vec::new(),
            body: body.into(),
            delay: Duration::ZERO,
        }
    }
    /// A 200 JSON reply.
    pub fn json(body: &str) -> Reply {
        Reply::new(200, "OK", body).header("Content-Type", "application/json")
    }
    /// Add a header.
    pub fn header(mut self, name: &'static str, value: &str) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
    /// Answer late.
    pub fn delayed(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }
}

/// A server answering a fixed script of replies, one connection each.
pub struct Server {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    handle: JoinHandle<Vec<Recorded>>,
}

fn read_request(stream: &mut TcpStream) -> Option<Recorded> {
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        let (n, v) = h.split_once(':')?;
        headers.push((n.trim().to_string(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

impl Server {
    /// Serve `replies` in order (one per connection), then stop; gives up
    /// waiting for a connection after 20 s so a failing test cannot hang.
    pub fn start(replies: Vec<Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        listener.set_nonblocking(true).expect("nonblocking");
        let handle = std::thread::spawn(move || {
            let mut out = Vec::new();
            for reply in replies {
                let deadline = Instant::now() + Duration::from_secs(20);
                let mut stream = loop {
                    match listener.accept() {
                        Ok((s, _)) => break Some(s),
                        Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
                        Err(_) => break None,
                    }
                };
                let Some(stream) = stream.as_mut() else { break };
                stream.set_nonblocking(false).ok();
                let Some(rec) = read_request(stream) else { break };
                out.push(rec);
                std::thread::sleep(reply.delay);
                let mut head = format!(
                    "HTTP/1.1 {} {}\r\nContent-Length: {}\r\nConnection: close\r\n",
                    reply.status,
                    reply.reason,
                    reply.body.len()
                );
                for (n, v) in &reply.headers {
                    head.push_str(&format!("{n}: {v}\r\n"));
                }
                head.push_str("\r\n");
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(reply.body.as_bytes());
                let _ = stream.flush();
            }
            out
        });
        Server { base, handle }
    }

    /// Stop waiting and return what was recorded.
    pub fn finish(self) -> Vec<Recorded> {
        self.handle.join().expect("server thread")
    }
}

/// A URL on 127.0.0.1 where nothing listens.
pub fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}/closed")
}

/// Build the notifier plugins (once per test binary) into the directory of
/// the `dos` binary under test, where plugin discovery finds them.
pub fn build_plugins() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let exe = PathBuf::from(env!("CARGO_BIN_EXE_dos"));
        let profile_dir = exe.parent().expect("bin dir");
        let target = profile_dir.parent().expect("target dir");
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build",
            "-q",
            "-p",
            "dos-notify-webhook",
            "-p",
            "dos-notify-slack",
            "--manifest-path",
        ])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(target);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build for the notifier plugins");
        assert!(status.success(), "building the notifier plugins failed");
    });
}

/// A fresh workspace directory (canonical path) with the given files.
pub fn workspace(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(tmp.path()).expect("canonical");
    for (rel, text) in files {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, text).expect("write");
    }
    (tmp, root)
}

/// The result of one `dos` run.
#[derive(Debug)]
pub struct Run {
    /// stdout.
    pub stdout: String,
    /// stderr.
    pub stderr: String,
    /// Exit code.
    pub code: i32,
}

/// Run `dos` in `root` with only the given notifier environment.
pub fn dos(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dos"));
    cmd.args(args).current_dir(root);
    for (k, _) in std::env::vars() {
        if k.starts_with("DOS_") || k.starts_with("SLACK_") || k.starts_with("DISPATCH_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run dos");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}
