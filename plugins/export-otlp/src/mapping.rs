//! Pure mapping from verdict events to OTLP log records (reference
//! `build_records`), plus the request envelope and size-based batching.

use dos_plugin_api::pyvalue::{py_str, PyValue, VerdictEvent};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use std::ops::Range;

/// The instrumentation scope name every record is emitted under.
pub const SCOPE_NAME: &str = "dos.verdict";

/// OTLP `SEVERITY_NUMBER_INFO`.
pub const SEV_INFO: i32 = 9;
/// OTLP `SEVERITY_NUMBER_WARN`.
pub const SEV_WARN: i32 = 13;
/// OTLP `SEVERITY_NUMBER_ERROR`.
pub const SEV_ERROR: i32 = 17;

const ERROR_TOKENS: [&str; 6] = [
    "STALLED",
    "WASTEFUL",
    "BLOCK",
    "REJECT_POISON",
    "UNRESUMABLE",
    "NOT_SHIPPED",
];
const WARN_TOKENS: [&str; 10] = [
    "SPINNING",
    "DIMINISHING",
    "COSTLY",
    "OPEN",
    "WARN",
    "DEFER",
    "RECENTLY_ATTEMPTED",
    "QUIET_INCOMPLETE",
    "HELD",
    "DIVERGED",
];

/// The severity number for a verdict token (compared upper-cased):
/// ERROR, WARN, or INFO for anything else.
pub fn severity_number(verdict: &str) -> i32 {
    let v = verdict.to_uppercase();
    if ERROR_TOKENS.contains(&v.as_str()) {
        SEV_ERROR
    } else if WARN_TOKENS.contains(&v.as_str()) {
        SEV_WARN
    } else {
        SEV_INFO
    }
}

/// The record body: `"{syscall} {verdict}"` with surrounding whitespace stripped.
pub fn body_text(syscall: &str, verdict: &str) -> String {
    format!("{syscall} {verdict}").trim().to_string()
}

/// Seconds since the Unix epoch for a valid UTC civil date and time.
pub use dos_py::time::epoch_seconds;

fn num(text: &str, range: Range<usize>) -> Option<i64> {
    let part = text.get(range)?;
    if part.bytes().all(|b| b.is_ascii_digit()) {
        part.parse().ok()
    } else {
        None
    }
}

/// Parse the journal's `ts` (`YYYY-MM-DDTHH:MM:SSZ`; a fraction of a second
/// and a `+00:00` suffix are also accepted) into nanoseconds since the
/// epoch. Anything else, or a time before 1970, gives `None`.
pub fn parse_ts(ts: &str) -> Option<u64> {
    let b = ts.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let secs = epoch_seconds(
        num(ts, 0..4)?,
        num(ts, 5..7)?,
        num(ts, 8..10)?,
        num(ts, 11..13)?,
        num(ts, 14..16)?,
        num(ts, 17..19)?,
    )?;
    let mut rest = ts.get(19..)?;
    let mut nanos: u64 = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        for (i, c) in frac.bytes().take(digits).enumerate() {
            if i < 9 {
                nanos = nanos * 10 + u64::from(c - b'0');
            }
        }
        for _ in digits..9 {
            nanos *= 10;
        }
        rest = &frac[digits..];
    }
    if !matches!(rest, "Z" | "z" | "+00:00") {
        return None;
    }
    let secs = u64::try_from(secs).ok()?;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

fn string_value(s: String) -> Option<AnyValue> {
    Some(AnyValue {
        value: Some(any_value::Value::StringValue(s)),
    })
}

fn kv(key: &str, value: Option<AnyValue>) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value,
        ..Default::default()
    }
}

/// An attribute value for one `detail` entry, as the reference types it:
/// str → string, bool → bool, int → int (`None` when outside `i64`: the
/// reference's SDK drops such an attribute), float → double, anything else
/// → Python `str()` of it.
pub fn detail_value(v: &PyValue) -> Option<AnyValue> {
    let value = match v {
        PyValue::Str(s) => any_value::Value::StringValue(s.clone()),
        PyValue::Bool(b) => any_value::Value::BoolValue(*b),
        PyValue::Int(_) => any_value::Value::IntValue(v.as_i64()?),
        PyValue::Float(f) => any_value::Value::DoubleValue(*f),
        PyValue::None | PyValue::List(_) | PyValue::Dict(_) => any_value::Value::StringValue(py_str(v)),
    };
    Some(AnyValue { value: Some(value) })
}

/// 0.30's `_GENAI_ATTR_MAP`: the journal's spend-breakdown counts also ride
/// under OpenTelemetry's GenAI usage names (after the `dos.detail.*` forms;
/// only numeric values, only when present).
pub const GENAI_USAGE: [(&str, &str); 5] = [
    ("evidence.breakdown.input", "gen_ai.usage.input_tokens"),
    ("evidence.breakdown.output", "gen_ai.usage.output_tokens"),
    (
        "evidence.breakdown.cache_read",
        "gen_ai.usage.cache_read.input_tokens",
    ),
    (
        "evidence.breakdown.cache_creation",
        "gen_ai.usage.cache_creation.input_tokens",
    ),
    (
        "evidence.breakdown.reasoning",
        "gen_ai.usage.reasoning.output_tokens",
    ),
];

/// One event as an OTLP log record: body, severity number, the `dos.*`
/// attributes in the reference's order (0.30: then the `gen_ai.usage.*`
/// ones, see [`GENAI_USAGE`]), the event's own time (when its `ts`
/// parses) and `observed_nanos` as the observed time. Detail integers that
/// do not fit `i64` are dropped and counted in `dropped_attributes_count`.
pub fn log_record(event: &VerdictEvent, observed_nanos: u64) -> LogRecord {
    let mut attributes = vec![
        kv("dos.syscall", string_value(event.syscall.clone())),
        kv("dos.verdict", string_value(event.verdict.clone())),
    ];
    for (key, value) in [
        ("dos.run_id", &event.run_id),
        ("dos.lane", &event.lane),
        ("dos.subject", &event.subject),
        ("dos.source", &event.source),
    ] {
        if !value.is_empty() {
            attributes.push(kv(key, string_value(value.clone())));
        }
    }
    let mut dropped = 0u32;
    for (key, value) in &event.detail {
        match detail_value(value) {
            Some(v) => attributes.push(kv(&format!("dos.detail.{key}"), Some(v))),
            None => dropped += 1,
        }
    }
    for (source, target) in GENAI_USAGE {
        // The last duplicate wins, as a Python dict built from the JSON would.
        let found = event.detail.iter().rev().find(|(k, _)| k == source);
        if let Some(v @ (PyValue::Int(_) | PyValue::Float(_))) = found.map(|(_, v)| v) {
            match detail_value(v) {
                Some(v) => attributes.push(kv(target, Some(v))),
                None => dropped += 1,
            }
        }
    }
    LogRecord {
        time_unix_nano: parse_ts(&event.ts).unwrap_or(0),
        observed_time_unix_nano: observed_nanos,
        severity_number: severity_number(&event.verdict),
        body: string_value(body_text(&event.syscall, &event.verdict)),
        attributes,
        dropped_attributes_count: dropped,
        ..Default::default()
    }
}

/// The resource every request carries: `service.name` plus the
/// `telemetry.sdk.*` identity of this exporter.
pub fn resource(service_name: &str) -> Resource {
    Resource {
        attributes: vec![
            kv("service.name", string_value(service_name.to_string())),
            kv("telemetry.sdk.name", string_value("dos-export-otlp".to_string())),
            kv("telemetry.sdk.language", string_value("rust".to_string())),
            kv(
                "telemetry.sdk.version",
                string_value(env!("CARGO_PKG_VERSION").to_string()),
            ),
        ],
        ..Default::default()
    }
}

/// One request with all `records` under one resource and one scope.
pub fn request(service_name: &str, records: Vec<LogRecord>) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(resource(service_name)),
            scope_logs: vec![ScopeLogs {
                scope: Some(InstrumentationScope {
                    name: SCOPE_NAME.to_string(),
                    ..Default::default()
                }),
                log_records: records,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// The exact encoded size of [`request`] for records whose framed sizes
/// (tag + length prefix + body) sum to `framed_records`.
fn request_len(service_name: &str, framed_records: usize) -> usize {
    let empty = request(service_name, Vec::new());
    let Some(rl) = empty.resource_logs.first() else {
        return framed_records;
    };
    let scope_base = rl.scope_logs.first().map(|s| s.encoded_len()).unwrap_or(0);
    let resource_base = ResourceLogs {
        scope_logs: Vec::new(),
        ..rl.clone()
    }
    .encoded_len();
    let scope = scope_base + framed_records;
    let resource = resource_base + 1 + prost::length_delimiter_len(scope) + scope;
    1 + prost::length_delimiter_len(resource) + resource
}

/// Split records into consecutive batches whose encoded request stays
/// within `limit` bytes. A record too large on its own travels alone.
pub fn batches(service_name: &str, records: &[LogRecord], limit: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut framed_sum = 0;
    for (i, r) in records.iter().enumerate() {
        let len = r.encoded_len();
        let framed = 1 + prost::length_delimiter_len(len) + len;
        if i > start && request_len(service_name, framed_sum + framed) > limit {
            out.push(start..i);
            start = i;
            framed_sum = 0;
        }
        framed_sum += framed;
    }
    if start < records.len() {
        out.push(start..records.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use dos_plugin_api::pyvalue::parse;

    #[test]
    fn severity_table() {
        for (token, want) in [
            ("STALLED", SEV_ERROR),
            ("WASTEFUL", SEV_ERROR),
            ("BLOCK", SEV_ERROR),
            ("REJECT_POISON", SEV_ERROR),
            ("UNRESUMABLE", SEV_ERROR),
            ("NOT_SHIPPED", SEV_ERROR),
            ("not_shipped", SEV_ERROR),
            ("SPINNING", SEV_WARN),
            ("DIMINISHING", SEV_WARN),
            ("COSTLY", SEV_WARN),
            ("OPEN", SEV_WARN),
            ("WARN", SEV_WARN),
            ("DEFER", SEV_WARN),
            ("RECENTLY_ATTEMPTED", SEV_WARN),
            ("QUIET_INCOMPLETE", SEV_WARN),
            ("HELD", SEV_WARN),
            ("diverged", SEV_WARN),
            ("GRANTS_ARBITRARY_EXEC", SEV_INFO),
            ("VACUOUS", SEV_INFO),
            ("REVERT", SEV_INFO),
            ("ADVANCING", SEV_INFO),
            ("", SEV_INFO),
        ] {
            assert_eq!(severity_number(token), want, "{token}");
        }
    }

    #[test]
    fn body_table() {
        assert_eq!(body_text("liveness", "STALLED"), "liveness STALLED");
        assert_eq!(body_text("", "OK"), "OK");
        assert_eq!(body_text("x", ""), "x");
        assert_eq!(body_text(" a ", " b "), "a   b");
    }

    #[test]
    fn ts_table() {
        let base = 1_795_296_207u64; // 2026-11-21T21:23:27Z
        for (ts, want) in [
            ("2026-11-21T21:23:27Z", Some(base * 1_000_000_000)),
            ("2026-11-21T21:23:27.5Z", Some(base * 1_000_000_000 + 500_000_000)),
            (
                "2026-11-21T21:23:27.1234567891Z",
                Some(base * 1_000_000_000 + 123_456_789),
            ),
            ("2026-11-21T21:23:27+00:00", Some(base * 1_000_000_000)),
            ("1970-01-01T00:00:00Z", Some(0)),
            ("2024-02-29T00:00:00Z", Some(1_709_164_800_000_000_000)),
            ("2023-02-29T00:00:00Z", None),
            ("2026-13-01T00:00:00Z", None),
            ("2026-11-21T24:00:00Z", None),
            ("2026-11-21T21:23:27", None),
            ("2026-11-21T21:23:27+01:00", None),
            ("2026-11-21 21:23:27Z", None),
            ("1969-12-31T23:59:59Z", None),
            ("", None),
            ("2026-1a-21T21:23:27Z", None),
        ] {
            assert_eq!(parse_ts(ts), want, "{ts}");
        }
    }

    fn attr<'a>(r: &'a LogRecord, key: &str) -> Option<&'a any_value::Value> {
        r.attributes
            .iter()
            .find(|a| a.key == key)
            .and_then(|a| a.value.as_ref())
            .and_then(|v| v.value.as_ref())
    }

    #[test]
    fn record_attributes_follow_the_reference() {
        let e = VerdictEvent::decode(
            r#"{"detail": {"code": 2, "matched": true, "ratio": 0.5, "nan": NaN, "big": 99999999999999999999,
                "none": null, "list": ["a", 1], "map": {"y": 1, "x": "z"}, "s": "text"},
                "lane": "main", "run_id": "RID-1", "seq": 5, "source": "kernel", "subject": "",
                "syscall": "hook_exit", "ts": "2026-11-21T21:23:14Z", "verdict": "BLOCK"}"#,
        )
        .unwrap();
        let r = log_record(&e, 42);
        let keys: Vec<&str> = r.attributes.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "dos.syscall",
                "dos.verdict",
                "dos.run_id",
                "dos.lane",
                "dos.source",
                "dos.detail.code",
                "dos.detail.matched",
                "dos.detail.ratio",
                "dos.detail.nan",
                "dos.detail.none",
                "dos.detail.list",
                "dos.detail.map",
                "dos.detail.s",
            ]
        );
        use any_value::Value as V;
        assert_eq!(attr(&r, "dos.detail.code"), Some(&V::IntValue(2)));
        assert_eq!(attr(&r, "dos.detail.matched"), Some(&V::BoolValue(true)));
        assert_eq!(attr(&r, "dos.detail.ratio"), Some(&V::DoubleValue(0.5)));
        assert!(matches!(attr(&r, "dos.detail.nan"), Some(V::DoubleValue(f)) if f.is_nan()));
        assert_eq!(attr(&r, "dos.detail.none"), Some(&V::StringValue("None".into())));
        assert_eq!(
            attr(&r, "dos.detail.list"),
            Some(&V::StringValue("['a', 1]".into()))
        );
        assert_eq!(
            attr(&r, "dos.detail.map"),
            Some(&V::StringValue("{'y': 1, 'x': 'z'}".into()))
        );
        assert_eq!(r.dropped_attributes_count, 1);
        assert_eq!(r.severity_number, SEV_ERROR);
        assert_eq!(
            r.body.and_then(|b| b.value),
            Some(V::StringValue("hook_exit BLOCK".into()))
        );
        assert_eq!(r.time_unix_nano, parse_ts("2026-11-21T21:23:14Z").unwrap());
        assert_eq!(r.observed_time_unix_nano, 42);
        assert!(r.severity_text.is_empty());
    }

    /// 0.30's `build_records` attribute keys for a spend breakdown (recorded
    /// from `dos.drivers.export_otlp`): numeric counts also under
    /// `gen_ai.usage.*`, a bool / string / unmapped key only as `dos.detail.*`.
    #[test]
    fn breakdown_counts_map_to_genai_usage_as_030_does() {
        let e = VerdictEvent::decode(
            r#"{"detail": {"work": 3, "evidence.tokens": 900, "evidence.breakdown.input": 100,
                "evidence.breakdown.output": 20.5, "evidence.breakdown.cache_read": true,
                "evidence.breakdown.reasoning": "n/a", "evidence.breakdown.total": 5},
                "run_id": "RID-1", "source": "kernel", "syscall": "efficiency",
                "ts": "2026-11-21T21:23:14Z", "verdict": "EFFICIENT"}"#,
        )
        .unwrap();
        let r = log_record(&e, 0);
        let keys: Vec<&str> = r.attributes.iter().map(|a| a.key.as_str()).collect();
        let want = r#"["dos.syscall", "dos.verdict", "dos.run_id", "dos.source", "dos.detail.work", "dos.detail.evidence.tokens", "dos.detail.evidence.breakdown.input", "dos.detail.evidence.breakdown.output", "dos.detail.evidence.breakdown.cache_read", "dos.detail.evidence.breakdown.reasoning", "dos.detail.evidence.breakdown.total", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"]"#;
        let want: Vec<String> = serde_json::from_str(want).unwrap();
        assert_eq!(keys, want);
        use any_value::Value as V;
        assert_eq!(attr(&r, "gen_ai.usage.input_tokens"), Some(&V::IntValue(100)));
        assert_eq!(
            attr(&r, "gen_ai.usage.output_tokens"),
            Some(&V::DoubleValue(20.5))
        );
        // No breakdown: no gen_ai attribute at all (no zero-stuffing).
        let plain =
            VerdictEvent::decode(r#"{"syscall": "x", "verdict": "OK", "detail": {"input": 1}}"#).unwrap();
        assert!(log_record(&plain, 0)
            .attributes
            .iter()
            .all(|a| !a.key.starts_with("gen_ai.")));
    }

    #[test]
    fn empty_optional_fields_are_omitted_and_source_defaults() {
        let e = VerdictEvent::decode(r#"{"syscall": "", "verdict": "", "detail": {}, "ts": ""}"#).unwrap();
        let r = log_record(&e, 1);
        let keys: Vec<&str> = r.attributes.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(keys, ["dos.syscall", "dos.verdict", "dos.source"]);
        assert_eq!(r.time_unix_nano, 0);
        assert_eq!(r.severity_number, SEV_INFO);
    }

    #[test]
    fn batches_respect_the_limit() {
        let e = VerdictEvent::decode(r#"{"syscall": "s", "verdict": "v", "detail": {"pad": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}"#)
            .unwrap();
        let records: Vec<LogRecord> = (0..20).map(|i| log_record(&e, i)).collect();
        let whole = request("svc", records.clone()).encoded_len();
        assert_eq!(batches("svc", &records, whole), vec![0..20]);
        assert_eq!(batches("svc", &records, whole - 1).len(), 2);
        assert_eq!(batches("svc", &records, usize::MAX), vec![0..20]);
        let limit = whole / 3;
        let parts = batches("svc", &records, limit);
        assert!(parts.len() >= 3, "{parts:?}");
        let mut next = 0;
        for p in &parts {
            assert_eq!(p.start, next);
            next = p.end;
            assert!(request("svc", records[p.clone()].to_vec()).encoded_len() <= limit);
        }
        assert_eq!(next, 20);
        // A limit smaller than one record still makes progress, one per batch.
        assert_eq!(batches("svc", &records[..3], 1), vec![0..1, 1..2, 2..3]);
        assert!(batches("svc", &[], 10).is_empty());
        let _ = parse("{}");
    }
}
