//! The `otlp` exporter against a tiny real HTTP server on loopback that
//! decodes each body with the official `ExportLogsServiceRequest` type.

use dos_export_otlp::mapping::parse_ts;
use dos_export_otlp::OtlpExporter;
use dos_plugin_api::abi_stable::std_types::RSlice;
use dos_plugin_api::test_support::{event_refs as refs, fresh_dir, journal_events};
use dos_plugin_api::{DriverConfig, ExportResult, Exporter};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value as V;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use prost::Message;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const JOURNAL: &str = include_str!("../fixtures/journal13.jsonl");

fn journal() -> Vec<(i64, String)> {
    journal_events(JOURNAL)
}

fn temp_root(tag: &str) -> PathBuf {
    fresh_dir(&format!("otlp-{tag}"))
}

/// Fast retries so failure paths finish quickly.
fn config(mut json: serde_json::Value) -> DriverConfig {
    let defaults = serde_json::json!({
        "retry_initial_ms": 1, "retry_max_delay_ms": 5, "retry_max_wait_ms": 2000, "timeout_ms": 3000
    });
    if let (Some(obj), Some(d)) = (json.as_object_mut(), defaults.as_object()) {
        for (k, v) in d {
            obj.entry(k.clone()).or_insert(v.clone());
        }
        if !obj.contains_key("root") {
            obj.insert("root".into(), serde_json::json!(temp_root("cfg")));
        }
    }
    DriverConfig::from_json(&json.to_string()).unwrap()
}

fn export(cfg: &DriverConfig, events: &[(i64, String)]) -> ExportResult {
    OtlpExporter::new(cfg).export(&refs(events)).unwrap()
}

/// One scripted answer.
#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    delay: Duration,
}

fn reply(status: u16) -> Reply {
    Reply {
        status,
        headers: Vec::new(),
        body: Vec::new(),
        delay: Duration::ZERO,
    }
}

/// One request as the server saw it.
#[derive(Debug)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn decode(&self) -> ExportLogsServiceRequest {
        ExportLogsServiceRequest::decode(self.body.as_slice())
            .expect("body decodes as ExportLogsServiceRequest")
    }
}

struct Server {
    base: String,
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Vec<Seen>>,
}

impl Server {
    /// Serve one connection per scripted reply (then keep answering with the
    /// last one), until `finish` or a 20 s safety deadline.
    fn start(replies: Vec<Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(20);
            let mut seen = Vec::new();
            while !flag.load(Ordering::SeqCst) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let r = replies
                            .get(seen.len())
                            .or(replies.last())
                            .cloned()
                            .unwrap_or_else(|| reply(200));
                        if let Some(s) = handle_one(stream, &r) {
                            seen.push(s);
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
            seen
        });
        Server { base, stop, handle }
    }

    fn finish(self) -> Vec<Seen> {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.join().unwrap()
    }
}

fn handle_one(mut stream: TcpStream, r: &Reply) -> Option<Seen> {
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        if buf.len() > 1 << 16 {
            return None;
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    std::thread::sleep(r.delay);
    let mut out = format!(
        "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        r.status,
        r.body.len()
    );
    for (k, v) in &r.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let _ = stream.write_all(out.as_bytes());
    let _ = stream.write_all(&r.body);
    let _ = stream.flush();
    Some(Seen {
        method,
        path,
        headers,
        body,
    })
}

fn attrs(r: &LogRecord) -> Vec<(String, V)> {
    r.attributes
        .iter()
        .map(|KeyValue { key, value, .. }| (key.clone(), value.clone().and_then(|v| v.value).unwrap()))
        .collect()
}

fn s(v: &str) -> V {
    V::StringValue(v.to_string())
}

fn records(req: &ExportLogsServiceRequest) -> Vec<LogRecord> {
    req.resource_logs
        .iter()
        .flat_map(|rl| rl.scope_logs.iter())
        .flat_map(|sl| sl.log_records.iter().cloned())
        .collect()
}

#[test]
fn whole_batch_in_one_request_to_v1_logs() {
    let server = Server::start(vec![reply(200)]);
    let base = server.base.clone();
    let cfg = config(serde_json::json!({"endpoint": base}));
    let result = export(&cfg, &journal());
    let seen = server.finish();
    assert_eq!(
        result,
        ExportResult {
            exported: 13,
            detail: format!("emitted 13 OTLP log record(s) to {base}"),
            cursor: "13".into(),
        }
    );
    assert_eq!(seen.len(), 1);
    let req = &seen[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/v1/logs");
    assert_eq!(req.header("content-type"), Some("application/x-protobuf"));
    let decoded = req.decode();
    assert_eq!(decoded.resource_logs.len(), 1);
    let rl = &decoded.resource_logs[0];
    let resource = attrs_of(rl.resource.as_ref().unwrap().attributes.as_slice());
    assert_eq!(resource[0], ("service.name".to_string(), s("dos.verdict")));
    assert_eq!(rl.scope_logs.len(), 1);
    assert_eq!(rl.scope_logs[0].scope.as_ref().unwrap().name, "dos.verdict");
    let recs = records(&decoded);
    assert_eq!(recs.len(), 13);

    // seq 10: liveness STALLED on lane main.
    let r = &recs[9];
    assert_eq!(r.severity_number, 17);
    assert_eq!(r.body.clone().and_then(|b| b.value), Some(s("liveness STALLED")));
    assert_eq!(
        attrs(r),
        vec![
            ("dos.syscall".into(), s("liveness")),
            ("dos.verdict".into(), s("STALLED")),
            ("dos.run_id".into(), s("RID-1M7ZZW861C96B40")),
            ("dos.lane".into(), s("main")),
            ("dos.source".into(), s("kernel")),
        ]
    );
    assert_eq!(r.time_unix_nano, parse_ts("2026-11-21T21:23:27Z").unwrap());
    assert!(r.observed_time_unix_nano > r.time_unix_nano);
    assert!(r.severity_text.is_empty());

    // seq 5: typed detail attributes.
    assert_eq!(
        attrs(&recs[4]),
        vec![
            ("dos.syscall".into(), s("hook_exit")),
            ("dos.verdict".into(), s("BLOCK")),
            ("dos.source".into(), s("kernel")),
            ("dos.detail.code".into(), V::IntValue(2)),
            ("dos.detail.intervention".into(), s("BLOCK")),
            ("dos.detail.matched".into(), V::BoolValue(true)),
        ]
    );
    // seq 12: non-ASCII subject, detail string.
    assert_eq!(
        attrs(&recs[11]),
        vec![
            ("dos.syscall".into(), s("verify")),
            ("dos.verdict".into(), s("NOT_SHIPPED")),
            ("dos.subject".into(), s("plän::P—1")),
            ("dos.source".into(), s("kernel")),
            ("dos.detail.source".into(), s("none")),
        ]
    );
    let severities: Vec<i32> = recs.iter().map(|r| r.severity_number).collect();
    assert_eq!(severities, [17, 9, 9, 13, 17, 17, 13, 17, 9, 17, 9, 17, 9]);
}

fn attrs_of(kvs: &[KeyValue]) -> Vec<(String, V)> {
    kvs.iter()
        .map(|kv| (kv.key.clone(), kv.value.clone().and_then(|v| v.value).unwrap()))
        .collect()
}

#[test]
fn explicit_path_is_kept() {
    let server = Server::start(vec![reply(200)]);
    let endpoint = format!("{}/custom/logs", server.base);
    let cfg = config(serde_json::json!({"endpoint": endpoint}));
    let result = export(&cfg, &journal()[..2]);
    let seen = server.finish();
    assert_eq!(result.exported, 2);
    assert_eq!(
        result.detail,
        format!("emitted 2 OTLP log record(s) to {endpoint}")
    );
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/custom/logs");
}

#[test]
fn bad_request_fails_at_once() {
    let server = Server::start(vec![Reply {
        headers: vec![("Content-Type", "text/plain".into())],
        body: b"unsupported attribute".to_vec(),
        ..reply(400)
    }]);
    let cfg = config(serde_json::json!({"endpoint": server.base, "retry_max_attempts": 5}));
    let result = export(&cfg, &journal());
    let seen = server.finish();
    assert_eq!(seen.len(), 1, "a 400 is never retried");
    assert_eq!(
        result,
        ExportResult {
            exported: 0,
            detail: format!(
                "error: HTTP 400 Bad Request from {}/v1/logs: unsupported attribute",
                seen_base(&cfg)
            ),
            cursor: "13".into(),
        }
    );
}

fn seen_base(cfg: &DriverConfig) -> String {
    cfg.str("endpoint").unwrap_or_default().to_string()
}

#[test]
fn service_unavailable_with_retry_after_is_retried() {
    let server = Server::start(vec![
        Reply {
            headers: vec![("Retry-After", "0".into())],
            ..reply(503)
        },
        reply(200),
    ]);
    let cfg = config(serde_json::json!({"endpoint": server.base}));
    let result = export(&cfg, &journal());
    let seen = server.finish();
    assert_eq!(result.exported, 13, "{result:?}");
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].body, seen[1].body, "the retry resends the same request");
}

#[test]
fn persistent_503_gives_up_after_max_attempts() {
    let server = Server::start(vec![reply(503)]);
    let cfg = config(serde_json::json!({"endpoint": server.base, "retry_max_attempts": 3}));
    let result = export(&cfg, &journal()[..1]);
    let seen = server.finish();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        result,
        ExportResult {
            exported: 0,
            detail: format!(
                "error: HTTP 503 Service Unavailable from {}/v1/logs (gave up after 3 attempts)",
                seen_base(&cfg)
            ),
            cursor: "1".into(),
        }
    );
}

#[test]
fn retry_after_beyond_the_budget_is_not_waited_for() {
    let server = Server::start(vec![Reply {
        headers: vec![("Retry-After", "3600".into())],
        ..reply(429)
    }]);
    let cfg = config(serde_json::json!({"endpoint": server.base}));
    let started = Instant::now();
    let result = export(&cfg, &journal()[..1]);
    let seen = server.finish();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(seen.len(), 1);
    assert_eq!(result.exported, 0);
    assert!(
        result
            .detail
            .starts_with("error: HTTP 429 Too Many Requests from ")
            && result.detail.contains("server asked to retry in 3600s"),
        "{}",
        result.detail
    );
}

#[test]
fn partial_success_reports_accepted_records_without_retry() {
    let partial = ExportLogsServiceResponse {
        partial_success: Some(ExportLogsPartialSuccess {
            rejected_log_records: 2,
            error_message: "records too old".into(),
        }),
    };
    let server = Server::start(vec![Reply {
        headers: vec![("Content-Type", "application/x-protobuf".into())],
        body: partial.encode_to_vec(),
        ..reply(200)
    }]);
    let cfg = config(serde_json::json!({"endpoint": server.base}));
    let result = export(&cfg, &journal());
    let seen = server.finish();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        result,
        ExportResult {
            exported: 11,
            detail: format!(
                "emitted 11 of 13 OTLP log record(s) to {}; the collector rejected 2: records too old",
                seen_base(&cfg)
            ),
            cursor: "13".into(),
        }
    );
}

#[test]
fn refused_connection_is_a_failure_not_shipped() {
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let endpoint = format!("http://127.0.0.1:{port}");
    let cfg = config(serde_json::json!({"endpoint": endpoint, "retry_max_attempts": 2}));
    let result = export(&cfg, &journal());
    eprintln!("refused: {}", result.detail);
    assert_eq!(result.exported, 0);
    assert_eq!(result.cursor, "13");
    assert!(
        result
            .detail
            .starts_with(&format!("error: cannot reach http://127.0.0.1:{port}/v1/logs: "))
            && result.detail.ends_with("(gave up after 2 attempts)"),
        "{}",
        result.detail
    );
}

#[test]
fn slow_server_times_out() {
    let server = Server::start(vec![Reply {
        delay: Duration::from_millis(1500),
        ..reply(200)
    }]);
    let cfg =
        config(serde_json::json!({"endpoint": server.base, "timeout_ms": 200, "retry_max_attempts": 1}));
    let result = export(&cfg, &journal()[..1]);
    let _ = server.finish();
    assert_eq!(result.exported, 0);
    assert_eq!(
        result.detail,
        format!(
            "error: no answer from {}/v1/logs within 200 ms (gave up after 1 attempt)",
            seen_base(&cfg)
        )
    );
}

#[test]
fn large_batches_split_by_encoded_size() {
    let server = Server::start(vec![reply(200)]);
    let limit = 900;
    let cfg = config(serde_json::json!({"endpoint": server.base, "max_request_bytes": limit}));
    let result = export(&cfg, &journal());
    let seen = server.finish();
    assert_eq!(result.exported, 13, "{result:?}");
    assert!(seen.len() > 1, "expected several requests, got {}", seen.len());
    let mut bodies = Vec::new();
    for req in &seen {
        assert!(req.body.len() <= limit, "{} > {limit}", req.body.len());
        bodies.extend(
            records(&req.decode())
                .into_iter()
                .map(|r| r.body.and_then(|b| b.value)),
        );
    }
    assert_eq!(bodies.len(), 13);
    assert_eq!(bodies[0], Some(s("efficiency WASTEFUL")));
    assert_eq!(bodies[12], Some(s("breaker CLOSED")));
}

#[test]
fn failure_in_a_later_batch_reports_the_delivered_prefix() {
    let server = Server::start(vec![reply(200), reply(400)]);
    let cfg = config(serde_json::json!({"endpoint": server.base, "max_request_bytes": 900}));
    let result = export(&cfg, &journal());
    let seen = server.finish();
    assert_eq!(seen.len(), 2);
    let first = records(&seen[0].decode()).len() as u64;
    assert_eq!(result.exported, first);
    assert!(
        result
            .detail
            .ends_with(&format!("({first} of 13 record(s) delivered before the failure)")),
        "{}",
        result.detail
    );
}

#[test]
fn configured_headers_and_service_name_are_sent() {
    let server = Server::start(vec![reply(200)]);
    let cfg = config(serde_json::json!({
        "endpoint": server.base, "headers": {"x-api-key": "secret"}, "service_name": "fleet-a"
    }));
    let result = export(&cfg, &journal()[..1]);
    let seen = server.finish();
    assert_eq!(result.exported, 1);
    assert_eq!(seen[0].header("x-api-key"), Some("secret"));
    let req = seen[0].decode();
    let resource = attrs_of(&req.resource_logs[0].resource.as_ref().unwrap().attributes);
    assert_eq!(resource[0], ("service.name".to_string(), s("fleet-a")));
}

#[test]
fn empty_and_dry_run_texts() {
    let cfg = config(serde_json::json!({"endpoint": "http://127.0.0.1:9", "dry_run": true}));
    assert_eq!(
        export(&cfg, &[]),
        ExportResult {
            exported: 0,
            detail: "no new events for http://127.0.0.1:9".into(),
            cursor: String::new(),
        }
    );
    assert_eq!(
        export(&cfg, &journal()),
        ExportResult {
            exported: 0,
            detail: "[dry-run] would emit 13 OTLP log record(s) to http://127.0.0.1:9".into(),
            cursor: "13".into(),
        }
    );
}

fn env_is_silent() -> bool {
    std::env::var_os("DOS_OTLP_ENDPOINT").is_none()
        && std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_none()
}

#[test]
fn default_endpoint_and_dotenv_rung() {
    if !env_is_silent() {
        eprintln!("skipping: an OTLP endpoint is set in this environment");
        return;
    }
    let cfg = config(serde_json::json!({"dry_run": true}));
    assert_eq!(
        export(&cfg, &journal()).detail,
        "[dry-run] would emit 13 OTLP log record(s) to http://localhost:4318"
    );
    let root = temp_root("dotenv");
    std::fs::write(
        root.join(".env"),
        "OTEL_EXPORTER_OTLP_ENDPOINT=http://ignored\nDOS_OTLP_ENDPOINT=\"http://from-dotenv:4318\"\n",
    )
    .unwrap();
    let cfg = config(serde_json::json!({"root": root, "endpoint": "", "dry_run": true}));
    assert_eq!(
        export(&cfg, &journal()[..1]).detail,
        "[dry-run] would emit 1 OTLP log record(s) to http://from-dotenv:4318"
    );
    std::fs::write(root.join(".env"), b"\xff\n").unwrap();
    let err = OtlpExporter::new(&cfg).export(&refs(&journal())).unwrap_err();
    assert!(err.0.contains("not valid UTF-8"), "{err}");
}

#[test]
fn invalid_endpoint_is_reported() {
    let cfg = config(serde_json::json!({"endpoint": "localhost:4318"}));
    assert_eq!(
        export(&cfg, &journal()[..1]),
        ExportResult {
            exported: 0,
            detail: "error: invalid OTLP endpoint 'localhost:4318': expected http://host[:port][/path]"
                .into(),
            cursor: "1".into(),
        }
    );
}

#[test]
fn through_the_plugin_root_module() {
    let server = Server::start(vec![reply(200)]);
    let root = dos_export_otlp::__dos_plugin_root();
    let manifest = (root.manifest())().unwrap();
    let manifest: serde_json::Value = serde_json::from_str(manifest.as_str()).unwrap();
    assert_eq!(manifest["name"], "dos-export-otlp");
    assert_eq!(
        manifest["drivers"],
        serde_json::json!([{"group": "exporters", "name": "otlp"}])
    );
    let cfg = serde_json::json!({"root": temp_root("ffi"), "endpoint": server.base}).to_string();
    let mut exporter = (root.new_exporter())("otlp".into(), cfg.as_str().into()).unwrap();
    let events = journal();
    let evs = refs(&events[..3]);
    let out = exporter.export(RSlice::from_slice(&evs), "{}".into()).unwrap();
    let out: ExportResult = serde_json::from_str(out.as_str()).unwrap();
    let seen = server.finish();
    assert_eq!(out.exported, 3);
    assert_eq!(out.cursor, "3");
    assert_eq!(seen.len(), 1);
    assert_eq!(records(&seen[0].decode()).len(), 3);
}
