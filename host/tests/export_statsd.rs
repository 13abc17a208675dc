//! `dos export --to statsd` end to end: the real `statsd` plugin sending to a
//! real UDP socket on loopback (spec §7, §11.7), with the cursor persisted
//! only after the send.

mod export_support;

use export_support::*;
use std::net::UdpSocket;
use std::time::Duration;

const EXPECTED: [&str; 12] = [
    "dos.verdict:1|c|#syscall:breaker,verdict:CLOSED",
    "dos.verdict:1|c|#syscall:breaker,verdict:OPEN",
    "dos.verdict:1|c|#syscall:efficiency,verdict:EFFICIENT",
    "dos.verdict:1|c|#syscall:efficiency,verdict:WASTEFUL",
    "dos.verdict:1|c|#syscall:exec_capability,verdict:BOUNDED",
    "dos.verdict:1|c|#syscall:exec_capability,verdict:GRANTS_ARBITRARY_EXEC",
    "dos.verdict:1|c|#syscall:hook_exit,verdict:BLOCK",
    "dos.verdict:1|c|#syscall:liveness,verdict:ADVANCING",
    "dos.verdict:1|c|#syscall:liveness,verdict:STALLED",
    "dos.verdict:1|c|#syscall:productivity,verdict:DIMINISHING",
    "dos.verdict:1|c|#syscall:reward,verdict:REJECT_POISON",
    "dos.verdict:2|c|#syscall:verify,verdict:NOT_SHIPPED",
];

fn receive(sock: &UdpSocket, n: usize) -> Vec<String> {
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 2048];
    while got.len() < n {
        match sock.recv(&mut buf) {
            Ok(k) => got.push(String::from_utf8_lossy(&buf[..k]).into_owned()),
            Err(_) => break,
        }
    }
    got
}

fn statsd_export(bind: &str, host: &str, shown: &str) {
    ensure_plugins(&["dos-export-statsd"]);
    let sock = UdpSocket::bind(bind).expect("bind loopback");
    let port = sock.local_addr().unwrap().port().to_string();
    let ws = workspace(JOURNAL13);
    let o = run(
        ws.path(),
        &[
            "export", "--to", "statsd", "--host", host, "--port", &port, "--since", "auto",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert_eq!(
        out(&o),
        format!(
            "# export · 13 event(s) pending · transport=statsd\n  → shipped 13/13 via statsd: sent 12 counter(s) for 13 event(s) to {shown}:{port}\n  cursor: 13  (persisted)\n"
        )
    );
    assert_eq!(receive(&sock, 12), EXPECTED);
    assert_eq!(
        std::fs::read_to_string(ws.path().join(".dos/export-cursor.statsd")).unwrap(),
        "13\n"
    );
}

#[test]
fn statsd_over_udp_ipv4() {
    statsd_export("127.0.0.1:0", "127.0.0.1", "127.0.0.1");
}

#[test]
fn statsd_over_udp_ipv6() {
    statsd_export("[::1]:0", "::1", "[::1]");
}

#[test]
fn statsd_bad_port_fails_and_keeps_the_cursor() {
    ensure_plugins(&["dos-export-statsd"]);
    let ws = workspace(JOURNAL13);
    let o = run(
        ws.path(),
        &["export", "--to", "statsd", "--port", "70000", "--since", "auto"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(
        out(&o).contains("NOT shipped 0/13 via statsd: error:"),
        "{}",
        out(&o)
    );
    assert!(!ws.path().join(".dos/export-cursor.statsd").exists());
    let o = run(ws.path(), &["export", "--to", "statsd", "--dry-run"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(out(&o).contains(
        "  → NOT shipped 0/13 via statsd: [dry-run] would send 12 counter(s) for 13 event(s) to 127.0.0.1:8125\n"
    ));
}
