//! Helpers for plugin tests (feature `test-support`; enable it only in
//! `[dev-dependencies]`): a tiny recording HTTP/1.1 server, self-removing
//! temporary directories, journal-shaped `(seq, record)` pairs and an
//! injectable environment. `dos_plugin_api::test_support` re-exports them
//! next to what needs the FFI types (the harness, `event_refs`).
//!
//! The server accepts a bounded number of connections on 127.0.0.1, records
//! each request and answers from a script.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One recorded request.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// The request line without its line ending (`POST /x HTTP/1.1`).
    pub request_line: String,
    /// The method (`POST`).
    pub method: String,
    /// The request target (path and query).
    pub target: String,
    /// Header (lower-cased name, value) pairs in wire order.
    pub headers: Vec<(String, String)>,
    /// The body (`Content-Length` bytes), as UTF-8 text.
    pub body: String,
}

impl Recorded {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }
}

/// What to answer to one request.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The reason phrase on the status line.
    pub reason: &'static str,
    /// Extra headers, written before `Content-Length` and `Connection`.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: String,
    /// Sleep this long before answering (to provoke client timeouts).
    pub delay: Duration,
}

impl Reply {
    /// A reply with that status line and body, no extra headers, no delay.
    pub fn new(status: u16, reason: &'static str, body: &str) -> Self {
        Reply {
            status,
            reason,
            headers: Vec::new(),
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }
    /// `200 OK` with a JSON body and `Content-Type: application/json`.
    pub fn json(body: &str) -> Self {
        let mut r = Reply::new(200, "OK", body);
        r.headers.push(("Content-Type", "application/json".into()));
        r
    }
    /// Add a header.
    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }
    /// Answer only after `d`.
    pub fn delayed(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }
}

/// A running server: its base URL and the thread that returns the recordings.
pub struct Server {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub base: String,
    handle: JoinHandle<Vec<Recorded>>,
}

impl Server {
    /// Serve `replies`, one connection each, then stop. Gives up waiting for
    /// a connection after 20 s so a failing test cannot hang.
    pub fn start(replies: Vec<Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        listener.set_nonblocking(true).expect("nonblocking");
        let handle = std::thread::spawn(move || {
            let mut out = Vec::new();
            for reply in replies {
                let deadline = Instant::now() + Duration::from_secs(20);
                let stream = loop {
                    match listener.accept() {
                        Ok((s, _)) => break Some(s),
                        Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
                        Err(_) => break None,
                    }
                };
                let Some(stream) = stream else { break };
                out.push(handle_one(stream, &reply));
            }
            out
        });
        Server { base, handle }
    }

    /// Wait for the server thread; `Err` when it panicked.
    pub fn join(self) -> std::thread::Result<Vec<Recorded>> {
        self.handle.join()
    }

    /// Wait for the server thread and return what it recorded.
    pub fn finish(self) -> Vec<Recorded> {
        self.join().expect("server thread")
    }
}

fn handle_one(stream: TcpStream, reply: &Reply) -> Recorded {
    stream.set_nonblocking(false).expect("blocking");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut rec = Recorded::default();
    let mut line = String::new();
    reader.read_line(&mut line).expect("request line");
    rec.request_line = line.trim_end().to_string();
    let mut parts = line.split_whitespace();
    rec.method = parts.next().unwrap_or_default().to_string();
    rec.target = parts.next().unwrap_or_default().to_string();
    let mut length = 0usize;
    for _ in 0..200 {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((n, v)) = l.split_once(':') {
            let n = n.trim().to_ascii_lowercase();
            let v = v.trim().to_string();
            if n == "content-length" {
                length = v.parse().unwrap_or(0);
            }
            rec.headers.push((n, v));
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).expect("body");
    rec.body = String::from_utf8(body).expect("utf-8 body");
    std::thread::sleep(reply.delay);
    let mut out = stream;
    let mut text = format!("HTTP/1.1 {} {}\r\n", reply.status, reply.reason);
    for (n, v) in &reply.headers {
        text.push_str(&format!("{n}: {v}\r\n"));
    }
    text.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{}",
        reply.body.len(),
        reply.body
    ));
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    rec
}

/// A URL on 127.0.0.1 whose port refuses connections (bound, then released).
pub fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}/closed")
}

/// A fresh empty directory `dos-<tag>-…` under the system temp dir, unique
/// per process and call. The caller owns it; see [`TempDir`] for one that is
/// removed on drop.
pub fn fresh_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "dos-{tag}-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir
}

/// A fresh empty directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Create one named after `tag` (see [`fresh_dir`]).
    pub fn new(tag: &str) -> TempDir {
        TempDir(fresh_dir(tag))
    }
    /// Its path.
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A journal's text as `(seq, record)` pairs: one record a line, seq from 1.
pub fn journal_events(text: &str) -> Vec<(i64, String)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i as i64 + 1, l.to_string()))
        .collect()
}

/// An injectable process environment that holds only `pairs` (first match wins).
pub fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |k| {
        pairs
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| v.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_records_and_answers() {
        let server = Server::start(vec![Reply::json("{}").header("X-A", "1")]);
        let mut s = TcpStream::connect(server.base.trim_start_matches("http://")).unwrap();
        s.write_all(b"POST /p?q=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
            .unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        assert_eq!(
            answer,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-A: 1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
        );
        let recs = server.finish();
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].request_line, "POST /p?q=1 HTTP/1.1");
        assert_eq!(
            (recs[0].method.as_str(), recs[0].target.as_str()),
            ("POST", "/p?q=1")
        );
        assert_eq!(recs[0].header("HOST"), Some("x"));
        assert_eq!(recs[0].body, "hi");
    }

    #[test]
    fn temp_dirs_are_fresh_and_removed() {
        let a = TempDir::new("ts");
        let b = TempDir::new("ts");
        assert_ne!(a.path(), b.path());
        assert!(a.path().is_dir());
        let p = a.path().to_path_buf();
        drop(a);
        assert!(!p.exists());
    }

    #[test]
    fn journal_batches() {
        let events = journal_events("{\"a\": 1}\n{\"b\": 2}\n");
        assert_eq!(
            events,
            vec![(1, "{\"a\": 1}".to_string()), (2, "{\"b\": 2}".to_string())]
        );
    }

    #[test]
    fn env_of_reads_only_its_pairs() {
        let env = env_of(&[("A", "1"), ("A", "2")]);
        assert_eq!(env("A").as_deref(), Some("1"));
        assert_eq!(env("PATH"), None);
    }
}
