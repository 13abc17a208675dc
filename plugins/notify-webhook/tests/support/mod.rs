//! A tiny recording HTTP/1.1 server for tests: accepts a bounded number of
//! connections on 127.0.0.1, records each request, answers from a script.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One recorded request.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    pub method: String,
    pub target: String,
    /// Header (lower-cased name, value) pairs in wire order.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
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
    pub status: u16,
    pub reason: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    /// Sleep this long before answering (to provoke client timeouts).
    pub delay: Duration,
}

impl Reply {
    pub fn new(status: u16, reason: &'static str, body: &str) -> Self {
        Reply {
            status,
            reason,
            headers: Vec::new(),
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }
    pub fn json(body: &str) -> Self {
        let mut r = Reply::new(200, "OK", body);
        r.headers.push(("Content-Type", "application/json".into()));
        r
    }
    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }
    pub fn delayed(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }
}

/// A running server: its base URL and the thread that returns the recordings.
pub struct Server {
    pub base: String,
    handle: JoinHandle<Vec<Recorded>>,
}

impl Server {
    /// Serve `replies`, one connection each, then stop. Gives up waiting for
    /// a connection after 10 s so a failing test cannot hang.
    pub fn start(replies: Vec<Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        listener.set_nonblocking(true).expect("nonblocking");
        let handle = std::thread::spawn(move || {
            let mut out = Vec::new();
            for reply in replies {
                let deadline = Instant::now() + Duration::from_secs(10);
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

    /// Wait for the server thread and return what it recorded.
    pub fn finish(self) -> Vec<Recorded> {
        self.handle.join().expect("server thread")
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

/// A port on 127.0.0.1 that refuses connections (bound, then released).
pub fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}/closed")
}

/// A fresh empty directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
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
        TempDir(dir)
    }
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
