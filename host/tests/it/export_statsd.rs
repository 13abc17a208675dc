//! `dos export --to statsd` end to end: the real `statsd` plugin sending to a
//! real UDP socket on loopback (spec §7, §11.7), with the cursor persisted
//! only after the send; and against a real StatsD server, collectd's
//! `statsd` plugin, which is why `--tag-format` exists: collectd (like Etsy
//! statsd) rejects the reference's DogStatsD tags and counts Graphite names.

use crate::support::collectd_support;
use crate::support::export_support;

use collectd_support::Collectd;
use export_support::*;
use std::collections::BTreeMap;
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
    receive_split(sock, n, false)
}

/// Counter lines as they arrive, however they were packed into datagrams.
fn receive_lines(sock: &UdpSocket, n: usize) -> Vec<String> {
    receive_split(sock, n, true)
}

/// Up to `n` datagrams, or with `lines` up to `n` lines of them.
fn receive_split(sock: &UdpSocket, n: usize, lines: bool) -> Vec<String> {
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 2048];
    while got.len() < n {
        let Ok(k) = sock.recv(&mut buf) else { break };
        let text = String::from_utf8_lossy(&buf[..k]).into_owned();
        if lines {
            got.extend(text.split('\n').map(String::from));
        } else {
            got.push(text);
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
    // All twelve lines fit one datagram under the default 1432-byte limit.
    assert_eq!(receive_lines(&sock, 12), EXPECTED);
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

/// One journal line per `(syscall, verdict)`, seq from 1.
fn journal_of(pairs: &[(String, String)]) -> String {
    let json = |s: &str| serde_json::Value::String(s.to_string()).to_string();
    pairs
        .iter()
        .enumerate()
        .map(|(i, (syscall, verdict))| {
            format!(
                "{{\"detail\": {{}}, \"lane\": \"\", \"run_id\": \"\", \"schema_family\": \"verdict-journal\", \"schema_version\": 1, \"seq\": {}, \"source\": \"kernel\", \"subject\": \"\", \"syscall\": {}, \"ts\": \"2026-11-21T21:23:10Z\", \"verdict\": {}}}\n",
                i + 1,
                json(syscall),
                json(verdict)
            )
        })
        .collect()
}

/// The fleet: 667 × verify NOT_SHIPPED, 667 × liveness STALLED, 667
/// events over 60 custom verdicts (so the lines need more than one 1432-byte
/// datagram), and one event with separators in both tokens.
fn fleet() -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for i in 0..667 {
        pairs.push(("verify".to_string(), "NOT_SHIPPED".to_string()));
        pairs.push(("liveness".to_string(), "STALLED".to_string()));
        pairs.push(("custom".to_string(), format!("V{:02}", i % 60)));
    }
    pairs.push(("odd.sys call".to_string(), "a:b|c#d".to_string()));
    pairs
}

/// What collectd should count for [`fleet`] under `tag_format = "graphite"`.
fn fleet_graphite_counters() -> BTreeMap<String, f64> {
    let mut want = BTreeMap::new();
    want.insert("dos.verdict.verify.NOT_SHIPPED".to_string(), 667.0);
    want.insert("dos.verdict.liveness.STALLED".to_string(), 667.0);
    for v in 0..60 {
        // 667 = 60 × 11 + 7: V00..V06 get one more.
        let n = if v < 7 { 12.0 } else { 11.0 };
        want.insert(format!("dos.verdict.custom.V{v:02}"), n);
    }
    want.insert("dos.verdict.odd_sys_call.a_b_c_d".to_string(), 1.0);
    want
}

fn export_to(ws: &std::path::Path, port: u16, extra: &[&str]) -> std::process::Output {
    let port = port.to_string();
    let mut args = vec![
        "export",
        "--to",
        "statsd",
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--since",
        "auto",
    ];
    args.extend_from_slice(extra);
    run(ws, &args)
}

#[test]
fn collectd_counts_graphite_lines() {
    ensure_plugins(&["dos-export-statsd"]);
    let Some(collectd) = Collectd::start() else { return };
    let ws = workspace(&journal_of(&fleet()));
    let o = export_to(ws.path(), collectd.port, &["--tag-format", "graphite"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert_eq!(
        out(&o),
        format!(
            "# export · 2002 event(s) pending · transport=statsd\n  → shipped 2002/2002 via statsd: sent 63 counter(s) for 2002 event(s) to 127.0.0.1:{}\n  cursor: 2002  (persisted)\n",
            collectd.port
        )
    );
    let want = fleet_graphite_counters();
    let seen = collectd.wait_for_counters(&want);
    assert_eq!(seen, want, "collectd's CSV counters");
    assert!(!collectd.log().contains("Unable to parse"), "{}", collectd.log());
    // `--since auto` resumes from the persisted cursor: nothing new to send.
    let o = export_to(ws.path(), collectd.port, &["--tag-format", "graphite"]);
    assert!(
        out(&o).contains("NOT shipped 0/0 via statsd: no new events"),
        "{}",
        out(&o)
    );
}

#[test]
fn collectd_rejects_the_default_dogstatsd_tags() {
    ensure_plugins(&["dos-export-statsd"]);
    let Some(collectd) = Collectd::start() else { return };
    let ws = workspace(&journal_of(&fleet()));
    let o = export_to(ws.path(), collectd.port, &[]);
    // UDP cannot tell: the exporter reports the datagrams as sent ...
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("shipped 2002/2002 via statsd"), "{}", out(&o));
    // ... and collectd refuses every DogStatsD line.
    for line in [
        "dos.verdict:667|c|#syscall:verify,verdict:NOT_SHIPPED",
        "dos.verdict:667|c|#syscall:liveness,verdict:STALLED",
        "dos.verdict:1|c|#syscall:odd.sys_call,verdict:a_b_c_d",
    ] {
        let needle = format!("statsd plugin: Unable to parse line: \"{line}\"");
        assert!(
            collectd.wait_for_log(&needle),
            "no {needle:?} in:\n{}",
            collectd.log()
        );
    }
    // A plain line sent after them is counted, so by the time it shows in the
    // CSV output collectd has handled (and dropped) every dos line.
    let canary = UdpSocket::bind("127.0.0.1:0").unwrap();
    canary
        .send_to(b"canary:1|c", ("127.0.0.1", collectd.port))
        .unwrap();
    let want = BTreeMap::from([("canary".to_string(), 1.0)]);
    let seen = collectd.wait_for_counters(&want);
    assert_eq!(seen, want, "only the canary is recorded");
    assert_eq!(collectd.log().matches("Unable to parse line").count(), 63);
}

#[test]
fn collectd_keeps_influx_tags_in_the_metric_name() {
    // collectd accepts Telegraf's form but does not parse its tags: each pair
    // becomes one metric whose name still holds `,syscall=…,verdict=…`. It
    // counts, but graphite is the form to use with collectd.
    ensure_plugins(&["dos-export-statsd"]);
    let Some(collectd) = Collectd::start() else { return };
    let ws = workspace(JOURNAL13);
    let o = export_to(ws.path(), collectd.port, &["--tag-format", "influx"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let want: BTreeMap<String, f64> = EXPECTED
        .iter()
        .map(|line| {
            let (head, tags) = line.split_once("|c|#").unwrap();
            let (prefix, count) = head.split_once(':').unwrap();
            let tags = tags
                .replace("syscall:", "syscall=")
                .replace("verdict:", "verdict=");
            (format!("{prefix},{tags}"), count.parse().unwrap())
        })
        .collect();
    assert_eq!(want["dos.verdict,syscall=verify,verdict=NOT_SHIPPED"], 2.0);
    let seen = collectd.wait_for_counters(&want);
    assert_eq!(seen, want);
    assert!(!collectd.log().contains("Unable to parse"), "{}", collectd.log());
}

#[test]
fn bad_tag_format_sends_nothing_and_keeps_the_cursor() {
    ensure_plugins(&["dos-export-statsd"]);
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind loopback");
    let port = sock.local_addr().unwrap().port();
    let ws = workspace(JOURNAL13);
    let o = export_to(ws.path(), port, &["--tag-format", "xml"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    assert!(
        out(&o).contains(
            "  → NOT shipped 0/13 via statsd: error: tag_format \"xml\" is not one of: dogstatsd, graphite, influx (set by --tag-format or [exporters.statsd] tag_format)\n"
        ),
        "{}",
        out(&o)
    );
    assert!(!ws.path().join(".dos/export-cursor.statsd").exists());
    sock.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    assert!(receive(&sock, 1).is_empty(), "nothing may be sent");
    // Same from dos.toml.
    std::fs::write(
        ws.path().join("dos.toml"),
        "[exporters.statsd]\ntag_format = \"Graphite\"\n",
    )
    .unwrap();
    let o = export_to(ws.path(), port, &[]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    assert!(
        out(&o).contains("error: tag_format \"Graphite\" is not one of"),
        "{}",
        out(&o)
    );
    assert!(!ws.path().join(".dos/export-cursor.statsd").exists());
    assert!(receive(&sock, 1).is_empty(), "nothing may be sent");
}

#[test]
fn tag_format_from_dos_toml_and_the_flag_wins() {
    ensure_plugins(&["dos-export-statsd"]);
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind loopback");
    let port = sock.local_addr().unwrap().port();
    let ws = workspace(&journal_lines(2));
    std::fs::write(
        ws.path().join("dos.toml"),
        "[exporters.statsd]\ntag_format = \"graphite\"\n",
    )
    .unwrap();
    let o = run(
        ws.path(),
        &["export", "--to", "statsd", "--port", &port.to_string()],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert_eq!(
        receive(&sock, 1),
        ["dos.verdict.efficiency.WASTEFUL:1|c\ndos.verdict.exec_capability.GRANTS_ARBITRARY_EXEC:1|c"]
    );
    let o = run(
        ws.path(),
        &[
            "export",
            "--to",
            "statsd",
            "--port",
            &port.to_string(),
            "--tag-format",
            "dogstatsd",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert_eq!(receive_lines(&sock, 2), EXPECTED_FIRST_TWO);
}

const EXPECTED_FIRST_TWO: [&str; 2] = [
    "dos.verdict:1|c|#syscall:efficiency,verdict:WASTEFUL",
    "dos.verdict:1|c|#syscall:exec_capability,verdict:GRANTS_ARBITRARY_EXEC",
];
