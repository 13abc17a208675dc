//! The `statsd` exporter against real UDP sockets on loopback.

use dos_export_statsd::StatsdExporter;
use dos_plugin_api::abi_stable::std_types::RSlice;
use dos_plugin_api::test_support::{event_refs as refs, fresh_dir, journal_events};
use dos_plugin_api::{DriverConfig, ExportResult, Exporter};
use std::net::UdpSocket;
use std::path::PathBuf;
use std::time::Duration;

const JOURNAL: &str = include_str!("../fixtures/journal13.jsonl");

fn journal() -> Vec<(i64, String)> {
    journal_events(JOURNAL)
}

fn record(seq: i64, syscall: &str, verdict: &str) -> (i64, String) {
    let line = format!(
        r#"{{"detail": {{}}, "lane": "", "run_id": "", "schema_family": "verdict-journal", "schema_version": 1, "seq": {seq}, "source": "kernel", "subject": "", "syscall": {}, "ts": "2026-11-21T21:23:10Z", "verdict": {}}}"#,
        json_str(syscall),
        json_str(verdict)
    );
    (seq, line)
}

fn json_str(s: &str) -> String {
    let mut out = String::new();
    dos_plugin_api::pyjson::write_str(&mut out, s, false);
    out
}

fn temp_root(tag: &str) -> PathBuf {
    fresh_dir(&format!("statsd-{tag}"))
}

fn config(json: serde_json::Value) -> DriverConfig {
    DriverConfig::from_json(&json.to_string()).unwrap()
}

fn listener(addr: &str) -> Option<(UdpSocket, u16)> {
    let sock = UdpSocket::bind(addr).ok()?;
    sock.set_read_timeout(Some(Duration::from_millis(2000))).unwrap();
    let port = sock.local_addr().unwrap().port();
    Some((sock, port))
}

/// Receive up to `max` datagrams, stopping at the first read timeout.
fn receive(sock: &UdpSocket, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    while out.len() < max {
        match sock.recv(&mut buf) {
            Ok(n) => out.push(String::from_utf8_lossy(&buf[..n]).into_owned()),
            Err(_) => break,
        }
    }
    out
}

fn export(cfg: &DriverConfig, events: &[(i64, String)]) -> ExportResult {
    StatsdExporter::new(cfg).export(&refs(events)).unwrap()
}

#[test]
fn golden_batch_one_datagram_per_counter() {
    let (sock, port) = listener("127.0.0.1:0").unwrap();
    let root = temp_root("golden");
    // `max_datagram_bytes = 0`: the reference's wire, one line per datagram.
    let cfg =
        config(serde_json::json!({"root": root, "host": "127.0.0.1", "port": port, "max_datagram_bytes": 0}));
    let result = export(&cfg, &journal());
    assert_eq!(
        result,
        ExportResult {
            exported: 13,
            detail: format!("sent 12 counter(s) for 13 event(s) to 127.0.0.1:{port}"),
            cursor: "13".into(),
        }
    );
    let got = receive(&sock, 12);
    assert_eq!(
        got,
        vec![
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
        ]
    );
}

#[test]
fn weird_tokens_sanitize_then_aggregate_without_duplicates() {
    let (sock, port) = listener("127.0.0.1:0").unwrap();
    let events = vec![
        record(1, "x|y", "V"),
        record(2, "x_y", "V"),
        record(3, "", ""),
        record(4, "custom thing", "we|ird:tok,en#x"),
        record(5, "alpha", "B"),
        record(6, "alpha", "a"),
        record(7, "alpha", "B"),
        record(8, "Zeta", "ok"),
    ];
    let cfg = config(
        serde_json::json!({"root": temp_root("weird"), "host": "127.0.0.1", "port": port, "prefix": "p", "max_datagram_bytes": 0}),
    );
    let result = export(&cfg, &events);
    assert_eq!(result.exported, 8);
    assert_eq!(
        result.detail,
        format!("sent 6 counter(s) for 8 event(s) to 127.0.0.1:{port}")
    );
    assert_eq!(
        receive(&sock, 6),
        vec![
            "p:1|c|#syscall:Zeta,verdict:ok",
            "p:2|c|#syscall:alpha,verdict:B",
            "p:1|c|#syscall:alpha,verdict:a",
            "p:1|c|#syscall:custom_thing,verdict:we_ird_tok_en_x",
            "p:1|c|#syscall:none,verdict:none",
            "p:2|c|#syscall:x_y,verdict:V",
        ]
    );
}

#[test]
fn ipv6_loopback_works() {
    let Some((sock, port)) = listener("[::1]:0") else {
        eprintln!("skipping: IPv6 loopback is not configured here");
        return;
    };
    for host in ["::1", "[::1]"] {
        let cfg = config(
            serde_json::json!({"root": temp_root("v6"), "host": host, "port": port, "max_datagram_bytes": 0}),
        );
        let result = export(&cfg, &journal()[..2]);
        assert_eq!(result.exported, 2, "{result:?}");
        assert_eq!(
            result.detail,
            format!("sent 2 counter(s) for 2 event(s) to [::1]:{port}")
        );
        assert_eq!(
            receive(&sock, 2),
            vec![
                "dos.verdict:1|c|#syscall:efficiency,verdict:WASTEFUL",
                "dos.verdict:1|c|#syscall:exec_capability,verdict:GRANTS_ARBITRARY_EXEC",
            ]
        );
    }
}

#[test]
fn empty_batch_beats_dry_run_and_has_no_cursor() {
    let cfg = config(
        serde_json::json!({"root": temp_root("empty"), "host": "127.0.0.1", "port": 9, "dry_run": true}),
    );
    assert_eq!(
        export(&cfg, &[]),
        ExportResult {
            exported: 0,
            detail: "no new events for 127.0.0.1:9".into(),
            cursor: String::new(),
        }
    );
}

#[test]
fn dry_run_sends_nothing() {
    let (sock, port) = listener("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let cfg = config(
        serde_json::json!({"root": temp_root("dry"), "host": "127.0.0.1", "port": port, "dry_run": true}),
    );
    let result = export(&cfg, &journal());
    assert_eq!(
        result,
        ExportResult {
            exported: 0,
            detail: format!("[dry-run] would send 12 counter(s) for 13 event(s) to 127.0.0.1:{port}"),
            cursor: "13".into(),
        }
    );
    assert!(receive(&sock, 1).is_empty());
}

#[test]
fn bad_port_reports_the_reference_error() {
    let cfg = config(serde_json::json!({"root": temp_root("badport"), "host": "127.0.0.1", "port": 70000}));
    assert_eq!(
        export(&cfg, &journal()),
        ExportResult {
            exported: 0,
            detail: "error: sendto(): port must be 0-65535.".into(),
            cursor: "13".into(),
        }
    );
}

#[test]
fn unresolvable_host_is_an_error_result() {
    let cfg = config(
        serde_json::json!({"root": temp_root("nohost"), "host": "no-such-host.invalid", "port": 8125}),
    );
    let result = export(&cfg, &journal()[..1]);
    assert_eq!(result.exported, 0);
    assert!(
        result
            .detail
            .starts_with("error: cannot resolve host 'no-such-host.invalid'"),
        "{}",
        result.detail
    );
    assert_eq!(result.cursor, "1");
}

#[test]
fn workspace_dotenv_routes_when_env_is_silent() {
    if std::env::var_os("DOS_STATSD_HOST").is_some() || std::env::var_os("DOS_STATSD_PORT").is_some() {
        eprintln!("skipping: DOS_STATSD_* is set in this environment");
        return;
    }
    let (sock, port) = listener("127.0.0.1:0").unwrap();
    let root = temp_root("dotenv");
    std::fs::write(
        root.join(".env"),
        format!("# statsd\nDOS_STATSD_HOST='127.0.0.1'\nDOS_STATSD_PORT=\"{port}\"\n"),
    )
    .unwrap();
    let cfg = config(serde_json::json!({"root": root, "host": "", "port": 0}));
    let result = export(&cfg, &journal()[..1]);
    assert_eq!(
        result.detail,
        format!("sent 1 counter(s) for 1 event(s) to 127.0.0.1:{port}")
    );
    assert_eq!(
        receive(&sock, 1),
        vec!["dos.verdict:1|c|#syscall:efficiency,verdict:WASTEFUL"]
    );
}

#[test]
fn default_route_without_any_setting() {
    if std::env::var_os("DOS_STATSD_HOST").is_some() || std::env::var_os("DOS_STATSD_PORT").is_some() {
        return;
    }
    let cfg = config(serde_json::json!({"root": temp_root("default"), "dry_run": true}));
    assert_eq!(
        export(&cfg, &journal()[..3]).detail,
        "[dry-run] would send 3 counter(s) for 3 event(s) to 127.0.0.1:8125"
    );
}

#[test]
fn invalid_utf8_dotenv_is_an_error_like_the_reference() {
    if std::env::var_os("DOS_STATSD_HOST").is_some() {
        return;
    }
    let root = temp_root("badenv");
    std::fs::write(root.join(".env"), b"\xffDOS_STATSD_HOST=x\n").unwrap();
    let cfg = config(serde_json::json!({"root": root, "port": 9}));
    let err = StatsdExporter::new(&cfg).export(&refs(&journal())).unwrap_err();
    assert!(err.0.contains("not valid UTF-8"), "{err}");
    // Explicit host and port never touch the file.
    let cfg = config(serde_json::json!({"root": root, "host": "127.0.0.1", "port": 9, "dry_run": true}));
    assert!(StatsdExporter::new(&cfg).export(&refs(&journal())).is_ok());
}

#[test]
fn unreadable_record_is_reported_not_shipped() {
    let cfg = config(serde_json::json!({"root": temp_root("garbage"), "host": "127.0.0.1", "port": 9}));
    let events = vec![record(1, "a", "b"), (2, "not json".to_string())];
    let result = export(&cfg, &events);
    assert_eq!(result.exported, 0);
    assert!(
        result.detail.starts_with("error: event seq 2 is unreadable"),
        "{}",
        result.detail
    );
    assert_eq!(result.cursor, "2");
}

#[test]
fn through_the_plugin_root_module() {
    let (sock, port) = listener("127.0.0.1:0").unwrap();
    let root = dos_export_statsd::__dos_plugin_root();
    let manifest = (root.manifest())().unwrap();
    let manifest: serde_json::Value = serde_json::from_str(manifest.as_str()).unwrap();
    assert_eq!(manifest["name"], "dos-export-statsd");
    assert_eq!(
        manifest["drivers"],
        serde_json::json!([{"group": "exporters", "name": "statsd"}])
    );
    let cfg = serde_json::json!({"root": temp_root("ffi"), "host": "127.0.0.1", "port": port}).to_string();
    let mut exporter = (root.new_exporter())("statsd".into(), cfg.as_str().into()).unwrap();
    let events = journal();
    let evs = refs(&events[..1]);
    let out = exporter.export(RSlice::from_slice(&evs), "{}".into()).unwrap();
    let out: ExportResult = serde_json::from_str(out.as_str()).unwrap();
    assert_eq!(out.exported, 1);
    assert_eq!(out.cursor, "1");
    assert_eq!(receive(&sock, 1).len(), 1);
}

#[test]
fn graphite_packs_the_batch_into_one_datagram() {
    let (sock, port) = listener("127.0.0.1:0").unwrap();
    let cfg = config(serde_json::json!({
        "root": temp_root("graphite"), "host": "127.0.0.1", "port": port, "tag_format": "graphite",
    }));
    let result = export(&cfg, &journal());
    assert_eq!(
        result.detail,
        format!("sent 12 counter(s) for 13 event(s) to 127.0.0.1:{port}")
    );
    assert_eq!(result.exported, 13);
    let got = receive(&sock, 2);
    assert_eq!(
        got,
        vec![[
            "dos.verdict.breaker.CLOSED:1|c",
            "dos.verdict.breaker.OPEN:1|c",
            "dos.verdict.efficiency.EFFICIENT:1|c",
            "dos.verdict.efficiency.WASTEFUL:1|c",
            "dos.verdict.exec_capability.BOUNDED:1|c",
            "dos.verdict.exec_capability.GRANTS_ARBITRARY_EXEC:1|c",
            "dos.verdict.hook_exit.BLOCK:1|c",
            "dos.verdict.liveness.ADVANCING:1|c",
            "dos.verdict.liveness.STALLED:1|c",
            "dos.verdict.productivity.DIMINISHING:1|c",
            "dos.verdict.reward.REJECT_POISON:1|c",
            "dos.verdict.verify.NOT_SHIPPED:2|c",
        ]
        .join("\n")]
    );
}

#[test]
fn influx_lines_pack_under_the_configured_size_and_a_long_line_goes_alone() {
    let (sock, port) = listener("127.0.0.1:0").unwrap();
    let cfg = config(serde_json::json!({
        "root": temp_root("influx"), "host": "127.0.0.1", "port": port,
        "tag_format": "influx", "max_datagram_bytes": 80,
    }));
    let long = "G".repeat(70);
    let events = vec![
        record(1, "gamma", &long),
        record(2, "beta", "B"),
        record(3, "delta", "D"),
        record(4, "alpha", "A"),
        record(5, "beta", "B"),
    ];
    let result = export(&cfg, &events);
    assert_eq!(result.exported, 5, "{result:?}");
    // alpha (39 bytes) + `\n` + beta (38) = 78 fits in 80; delta would make
    // 118, so it starts the next datagram; the 108-byte gamma line exceeds
    // the limit on its own and travels alone, unsplit.
    assert_eq!(
        receive(&sock, 4),
        vec![
            "dos.verdict,syscall=alpha,verdict=A:1|c\ndos.verdict,syscall=beta,verdict=B:2|c".to_string(),
            "dos.verdict,syscall=delta,verdict=D:1|c".to_string(),
            format!("dos.verdict,syscall=gamma,verdict={long}:1|c"),
        ]
    );
}

#[test]
fn dogstatsd_packs_by_default() {
    let (sock, port) = listener("127.0.0.1:0").unwrap();
    let cfg = config(serde_json::json!({
        "root": temp_root("dogpack"), "host": "127.0.0.1", "port": port,
    }));
    assert_eq!(export(&cfg, &journal()[..2]).exported, 2);
    assert_eq!(
        receive(&sock, 2),
        vec!["dos.verdict:1|c|#syscall:efficiency,verdict:WASTEFUL\ndos.verdict:1|c|#syscall:exec_capability,verdict:GRANTS_ARBITRARY_EXEC"]
    );
}

#[test]
fn bad_wire_options_send_nothing_and_name_the_key() {
    let (sock, port) = listener("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let cases = [
        (
            serde_json::json!({"tag_format": "carbon"}),
            "error: tag_format \"carbon\" is not one of: dogstatsd, graphite, influx (set by --tag-format or [exporters.statsd] tag_format)",
        ),
        (
            serde_json::json!({"tag_format": "graphite", "max_datagram_bytes": -5}),
            "error: max_datagram_bytes -5 is not an integer from 0 to 65507 (set by [exporters.statsd] max_datagram_bytes; 0 sends one line per datagram)",
        ),
    ];
    for (extra, want) in cases {
        let mut json = serde_json::json!({"root": temp_root("badopt"), "host": "127.0.0.1", "port": port});
        for (k, v) in extra.as_object().unwrap() {
            json[k] = v.clone();
        }
        let cfg = config(json.clone());
        assert_eq!(
            export(&cfg, &journal()),
            ExportResult {
                exported: 0,
                detail: want.into(),
                cursor: "13".into(),
            }
        );
        // Also before the empty-batch and dry-run answers.
        json["dry_run"] = true.into();
        assert_eq!(export(&config(json), &[]).detail, want);
    }
    assert!(receive(&sock, 1).is_empty());
}
