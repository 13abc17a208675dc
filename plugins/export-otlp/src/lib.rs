//! Exporter plugin `otlp`: ships verdict events to an OpenTelemetry
//! collector as OTLP/HTTP protobuf log records (reference `export_otlp`),
//! with the official `opentelemetry-proto` types, `prost` and blocking `ureq`
//! (no async runtime).
//!
//! Endpoint ladder: `endpoint` (CLI `--endpoint` or `[exporters.otlp]
//! endpoint`) › `$DOS_OTLP_ENDPOINT` › `$OTEL_EXPORTER_OTLP_ENDPOINT` ›
//! `DOS_OTLP_ENDPOINT` in the workspace `.env` › `http://localhost:4318`.
//! Messages name the endpoint as resolved; requests go to [`logs_url`] of it.
//!
//! Record mapping as the reference (`body`, severity numbers, `dos.*`
//! attributes; see [`mapping`]). Fixes over the reference:
//! * an endpoint without a path POSTs to `/v1/logs` (an explicit path is
//!   kept as given);
//! * the whole batch goes in one request, split only above
//!   `max_request_bytes` (default 4 MiB) of encoded size;
//! * the resource carries `service.name` (`service_name`, default
//!   `dos.verdict`, the name the reference meant to send);
//! * each record carries the event's own `ts` as `time_unix_nano`;
//! * delivery is confirmed: refused connections and HTTP errors report
//!   `exported = 0` (or the records delivered before a failing batch), so the
//!   host never advances its cursor past undelivered events. 429/502/503/504
//!   and lost connections are retried with bounded exponential backoff,
//!   honouring `Retry-After`; other statuses fail at once; a partial success
//!   reports `exported = sent − rejected` and is not retried.
//!
//! Settings (all optional, from `dos.toml [exporters.otlp]`):
//! `timeout_ms` (per request, default 10000), `retry_max_attempts`
//! (default 4, 1 = no retry), `retry_initial_ms` (default 250),
//! `retry_max_delay_ms` (default 4000), `retry_max_wait_ms` (total wait cap,
//! default 10000), `max_request_bytes` (default 4194304), `service_name`,
//! `headers` (a table, or `k=v,k2=v2`; else `$OTEL_EXPORTER_OTLP_HEADERS`).
//!
//! No detail shows a secret: URL userinfo, header values and `Bearer` /
//! `Basic` credentials (also when a server echoes them) are masked
//! ([`redact`]). A 2xx answer whose body is cut off mid-way is a failure.
//!
//! A `cdylib` loaded by the `dos` plugin host: it depends on `dos-plugin-api`
//! only, never on the host crates (`dos-core`, `dos-plugin-host`, `dos`).

pub mod mapping;
pub mod redact;
pub mod transport;

use dos_plugin_api::pyvalue::VerdictEvent;
use dos_plugin_api::{dotenv, DriverConfig, EventRef, ExportResult, Exporter, PluginError, Registry};
use prost::Message;
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};
pub use transport::logs_url;
use transport::{Client, Outcome, RetryPolicy};

/// Endpoint used when no rung of the ladder names one.
pub const DEFAULT_ENDPOINT: &str = "http://localhost:4318";
/// `service.name` used when none is configured.
pub const DEFAULT_SERVICE_NAME: &str = "dos.verdict";
/// Largest encoded request before a batch is split.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;
/// Per-request timeout unless `timeout_ms` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The endpoint ladder: explicit › `$DOS_OTLP_ENDPOINT` ›
/// `$OTEL_EXPORTER_OTLP_ENDPOINT` › `.env` `DOS_OTLP_ENDPOINT` (only that
/// key) › [`DEFAULT_ENDPOINT`]. Empty values skip a rung; `dotenv` is only
/// called when the earlier rungs are empty.
pub fn resolve_endpoint<E>(
    explicit: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
    dotenv: impl FnOnce(&str) -> Result<Option<String>, E>,
) -> Result<String, E> {
    if let Some(e) = explicit.filter(|e| !e.is_empty()) {
        return Ok(e.to_string());
    }
    for key in ["DOS_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"] {
        if let Some(e) = env(key).filter(|e| !e.is_empty()) {
            return Ok(e);
        }
    }
    if let Some(e) = dotenv("DOS_OTLP_ENDPOINT")?.filter(|e| !e.is_empty()) {
        return Ok(e);
    }
    Ok(DEFAULT_ENDPOINT.to_string())
}

/// Percent-decode a header value (`OTEL_EXPORTER_OTLP_HEADERS` format);
/// malformed escapes are kept literally.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let Some(hex) = s
                .get(i + 1..i + 3)
                .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
            {
                if let Ok(v) = u8::from_str_radix(hex, 16) {
                    out.push(v);
                    i += 3;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parse `k=v,k2=v2` headers (OTel env format: trimmed, values
/// percent-decoded); entries without `=` or with an empty key are skipped.
pub fn parse_headers(text: &str) -> Vec<(String, String)> {
    text.split(',')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            let k = k.trim();
            (!k.is_empty()).then(|| (k.to_string(), percent_decode(v.trim())))
        })
        .collect()
}

fn cfg_u64(cfg: &DriverConfig, key: &str) -> Option<u64> {
    match cfg.0.get(key)? {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Tunables read once from the driver configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retry rules per request.
    pub retry: RetryPolicy,
    /// `service.name` on the resource.
    pub service_name: String,
    /// Extra request headers (e.g. an API key).
    pub headers: Vec<(String, String)>,
    /// Split batches above this many encoded bytes.
    pub max_request_bytes: usize,
}

impl Settings {
    /// Read the settings; absent or unusable values take the defaults.
    pub fn from_config(cfg: &DriverConfig) -> Self {
        let ms = |key: &str, default: u64| Duration::from_millis(cfg_u64(cfg, key).unwrap_or(default));
        let defaults = RetryPolicy::default();
        let headers = match cfg.0.get("headers") {
            Some(Value::Object(map)) => map
                .iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k.clone(), s.clone())),
                    Value::Number(n) => Some((k.clone(), n.to_string())),
                    Value::Bool(b) => Some((k.clone(), b.to_string())),
                    _ => None,
                })
                .collect(),
            Some(Value::String(s)) => parse_headers(s),
            _ => std::env::var("OTEL_EXPORTER_OTLP_HEADERS")
                .map(|s| parse_headers(&s))
                .unwrap_or_default(),
        };
        Settings {
            timeout: match cfg_u64(cfg, "timeout_ms") {
                Some(0) | None => DEFAULT_TIMEOUT,
                Some(v) => Duration::from_millis(v),
            },
            retry: RetryPolicy {
                max_attempts: cfg_u64(cfg, "retry_max_attempts")
                    .map(|v| v.clamp(1, 100) as u32)
                    .unwrap_or(defaults.max_attempts),
                initial: ms("retry_initial_ms", defaults.initial.as_millis() as u64),
                max_delay: ms("retry_max_delay_ms", defaults.max_delay.as_millis() as u64),
                max_total_wait: ms("retry_max_wait_ms", defaults.max_total_wait.as_millis() as u64),
            },
            service_name: cfg
                .str("service_name")
                .unwrap_or(DEFAULT_SERVICE_NAME)
                .to_string(),
            headers,
            max_request_bytes: cfg_u64(cfg, "max_request_bytes")
                .filter(|v| *v > 0)
                .map(|v| usize::try_from(v).unwrap_or(usize::MAX))
                .unwrap_or(DEFAULT_MAX_REQUEST_BYTES),
        }
    }
}

/// The `otlp` exporter, configured once per command.
pub struct OtlpExporter {
    root: PathBuf,
    endpoint: Option<String>,
    dry_run: bool,
    settings: Settings,
}

impl OtlpExporter {
    /// Build from the driver configuration (`endpoint`, `root`, `dry_run`
    /// and the [`Settings`] keys).
    pub fn new(cfg: &DriverConfig) -> Self {
        OtlpExporter {
            root: cfg.root(),
            endpoint: cfg.str("endpoint").map(str::to_string),
            dry_run: cfg.dry_run(),
            settings: Settings::from_config(cfg),
        }
    }

    fn endpoint(&self) -> Result<String, PluginError> {
        resolve_endpoint(
            self.endpoint.as_deref(),
            |k| std::env::var(k).ok(),
            |k| {
                dotenv::load(&self.root)
                    .map(|mut m| m.remove(k))
                    .map_err(|e| PluginError(e.0))
            },
        )
    }
}

use dos_py::time::now_nanos;

impl Exporter for OtlpExporter {
    fn export(&mut self, events: &[EventRef<'_>]) -> Result<ExportResult, PluginError> {
        let endpoint = self.endpoint()?;
        // Every detail leaves through here: no secret is ever shown.
        let secrets = redact::Secrets::new(&endpoint, &self.settings.headers);
        let done =
            |exported: u64, detail: String| ExportResult::for_batch(events, exported, secrets.scrub(&detail));
        let n = events.len();
        if n == 0 {
            return Ok(done(0, format!("no new events for {endpoint}")));
        }
        let decoded = match VerdictEvent::decode_batch(events) {
            Ok(d) => d,
            Err(why) => return Ok(done(0, format!("error: {why}"))),
        };
        if self.dry_run {
            return Ok(done(
                0,
                format!("[dry-run] would emit {n} OTLP log record(s) to {endpoint}"),
            ));
        }
        let url = match logs_url(&endpoint) {
            Ok(u) => u,
            Err(why) => {
                return Ok(done(
                    0,
                    format!("error: invalid OTLP endpoint '{endpoint}': {why}"),
                ))
            }
        };
        let observed = now_nanos();
        let records: Vec<_> = decoded.iter().map(|e| mapping::log_record(e, observed)).collect();
        let s = &self.settings;
        let client = Client::new(s.timeout, s.headers.clone());
        let mut accepted: u64 = 0;
        let mut rejected: u64 = 0;
        let mut messages: Vec<String> = Vec::new();
        for range in mapping::batches(&s.service_name, &records, s.max_request_bytes) {
            let sent = range.len() as u64;
            let body = mapping::request(&s.service_name, records[range].to_vec()).encode_to_vec();
            let outcome = transport::deliver(
                &url,
                &s.retry,
                || client.post(&url, &body),
                std::thread::sleep,
                transport::clock_jitter,
                SystemTime::now,
            );
            match outcome {
                Outcome::Delivered { rejected: r, message } => {
                    let r = r.min(sent);
                    accepted += sent - r;
                    rejected += r;
                    if r > 0 && !message.is_empty() && !messages.contains(&message) {
                        messages.push(message);
                    }
                }
                Outcome::Failed { reason } => {
                    let detail = if accepted + rejected == 0 {
                        format!("error: {reason}")
                    } else {
                        format!("error: {reason} ({accepted} of {n} record(s) delivered before the failure)")
                    };
                    return Ok(done(accepted, detail));
                }
            }
        }
        if rejected == 0 {
            return Ok(done(
                accepted,
                format!("emitted {accepted} OTLP log record(s) to {endpoint}"),
            ));
        }
        let why = if messages.is_empty() {
            String::new()
        } else {
            format!(": {}", messages.join("; "))
        };
        Ok(done(
            accepted,
            format!("emitted {accepted} of {n} OTLP log record(s) to {endpoint}; the collector rejected {rejected}{why}"),
        ))
    }
}

fn register(r: &mut Registry) {
    r.exporter("otlp", |cfg| Ok(OtlpExporter::new(cfg)));
}

dos_plugin_api::export_plugin!(name: "dos-export-otlp", version: env!("CARGO_PKG_VERSION"), register: register);

#[cfg(test)]
mod tests {
    use super::*;
    use dos_plugin_api::test_support::env_of;

    type Pairs = &'static [(&'static str, &'static str)];

    #[test]
    fn endpoint_ladder() {
        let cases: &[(Option<&str>, Pairs, Pairs, &str)] = &[
            (
                Some("http://a"),
                &[("DOS_OTLP_ENDPOINT", "http://b")],
                &[],
                "http://a",
            ),
            (Some(""), &[("DOS_OTLP_ENDPOINT", "http://b")], &[], "http://b"),
            (
                None,
                &[
                    ("DOS_OTLP_ENDPOINT", "http://b"),
                    ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c"),
                ],
                &[("DOS_OTLP_ENDPOINT", "http://d")],
                "http://b",
            ),
            (
                None,
                &[
                    ("DOS_OTLP_ENDPOINT", ""),
                    ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c"),
                ],
                &[("DOS_OTLP_ENDPOINT", "http://d")],
                "http://c",
            ),
            (None, &[], &[("DOS_OTLP_ENDPOINT", "http://d")], "http://d"),
            (
                None,
                &[],
                &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://e")],
                DEFAULT_ENDPOINT,
            ),
            (None, &[], &[], DEFAULT_ENDPOINT),
        ];
        for (explicit, env, dotenv, want) in cases {
            let dot = env_of(dotenv);
            let got = resolve_endpoint::<()>(*explicit, env_of(env), |k| Ok(dot(k))).unwrap();
            assert_eq!(got, *want, "{explicit:?} {env:?} {dotenv:?}");
        }
        let lazy = resolve_endpoint(Some("http://a"), |_| None, |_| Err::<Option<String>, _>("unread"));
        assert_eq!(lazy, Ok("http://a".to_string()));
        let err = resolve_endpoint(None, |_| None, |_| Err::<Option<String>, _>("bad"));
        assert_eq!(err, Err("bad"));
    }

    #[test]
    fn headers_parse() {
        assert_eq!(
            parse_headers("api-key=abc%20d, x = y ,broken,=v,k=a=b"),
            vec![
                ("api-key".to_string(), "abc d".to_string()),
                ("x".to_string(), "y".to_string()),
                ("k".to_string(), "a=b".to_string()),
            ]
        );
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%41%"), "A%");
    }

    #[test]
    fn settings_from_config() {
        let cfg = DriverConfig::from_json(
            r#"{"timeout_ms": 1500, "retry_max_attempts": "2", "retry_initial_ms": 0,
                "retry_max_delay_ms": 10, "retry_max_wait_ms": 20, "max_request_bytes": 1000,
                "service_name": "svc", "headers": {"x-key": "v", "n": 1}}"#,
        )
        .unwrap();
        let s = Settings::from_config(&cfg);
        assert_eq!(s.timeout, Duration::from_millis(1500));
        assert_eq!(
            s.retry,
            RetryPolicy {
                max_attempts: 2,
                initial: Duration::ZERO,
                max_delay: Duration::from_millis(10),
                max_total_wait: Duration::from_millis(20),
            }
        );
        assert_eq!(s.service_name, "svc");
        assert_eq!(s.max_request_bytes, 1000);
        assert_eq!(
            s.headers,
            vec![
                ("x-key".to_string(), "v".to_string()),
                ("n".to_string(), "1".to_string())
            ]
        );
        let d = Settings::from_config(
            &DriverConfig::from_json(r#"{"headers": {}, "retry_max_attempts": 0}"#).unwrap(),
        );
        assert_eq!(d.timeout, DEFAULT_TIMEOUT);
        assert_eq!(d.retry.max_attempts, 1);
        assert_eq!(d.service_name, DEFAULT_SERVICE_NAME);
        assert_eq!(d.max_request_bytes, DEFAULT_MAX_REQUEST_BYTES);
    }
}
