//! One verdict-journal record: its fields, its byte-exact line form, and the
//! tolerant decoding the reference applies when reading.

use super::pyvalue::{py_int_checked, py_str, PyIntError};
use crate::pyjson::{dumps, Style};
use serde_json::{Map, Value};

/// The journal's schema family tag.
pub const SCHEMA_FAMILY: &str = "verdict-journal";
/// The journal's schema version.
pub const SCHEMA_VERSION: i64 = 1;

/// One verdict event (reference: `VerdictEvent`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VerdictEvent {
    /// UTC `YYYY-MM-DDTHH:MM:SSZ`; empty = stamp with now when written.
    pub ts: String,
    /// 1-based journal sequence; 0 = assign the next one when written.
    pub seq: i64,
    /// The dimension (`verify`, `hook_exit`, …).
    pub syscall: String,
    /// The verdict token.
    pub verdict: String,
    /// Correlation id or empty.
    pub run_id: String,
    /// Lane or empty.
    pub lane: String,
    /// Subject or empty (verify: `plan::phase`).
    pub subject: String,
    /// Evidence scalars.
    pub detail: Map<String, Value>,
    /// `kernel` unless a sensor wrote it.
    pub source: String,
}

impl VerdictEvent {
    /// A kernel event for `syscall` with `verdict`.
    pub fn new(syscall: &str, verdict: &str) -> Self {
        VerdictEvent {
            syscall: syscall.into(),
            verdict: verdict.into(),
            source: "kernel".into(),
            ..Default::default()
        }
    }

    /// The record as a JSON object (all eleven fields).
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("detail".into(), Value::Object(self.detail.clone()));
        m.insert("lane".into(), Value::String(self.lane.clone()));
        m.insert("run_id".into(), Value::String(self.run_id.clone()));
        m.insert("schema_family".into(), Value::String(SCHEMA_FAMILY.into()));
        m.insert("schema_version".into(), Value::from(SCHEMA_VERSION));
        m.insert("seq".into(), Value::from(self.seq));
        let source = if self.source.is_empty() {
            "kernel"
        } else {
            self.source.as_str()
        };
        m.insert("source".into(), Value::String(source.into()));
        m.insert("subject".into(), Value::String(self.subject.clone()));
        m.insert("syscall".into(), Value::String(self.syscall.clone()));
        m.insert("ts".into(), Value::String(self.ts.clone()));
        m.insert("verdict".into(), Value::String(self.verdict.clone()));
        Value::Object(m)
    }

    /// The in-memory / `--json` form (reference `to_dict`): insertion order
    /// `schema_family, schema_version, ts, seq, syscall, verdict, run_id,
    /// lane, subject, detail, source`.
    pub fn to_dict(&self) -> Value {
        let mut m = Map::new();
        m.insert("schema_family".into(), Value::String(SCHEMA_FAMILY.into()));
        m.insert("schema_version".into(), Value::from(SCHEMA_VERSION));
        m.insert("ts".into(), Value::String(self.ts.clone()));
        m.insert("seq".into(), Value::from(self.seq));
        m.insert("syscall".into(), Value::String(self.syscall.clone()));
        m.insert("verdict".into(), Value::String(self.verdict.clone()));
        m.insert("run_id".into(), Value::String(self.run_id.clone()));
        m.insert("lane".into(), Value::String(self.lane.clone()));
        m.insert("subject".into(), Value::String(self.subject.clone()));
        m.insert("detail".into(), Value::Object(self.detail.clone()));
        m.insert("source".into(), Value::String(self.source.clone()));
        Value::Object(m)
    }

    /// Decode a journal record the tolerant way the reference does
    /// (`from_record`, spec §2.5): text fields become Python `str()` of a
    /// truthy value or `""`; `source` defaults to `kernel`; `seq` is
    /// `int(v or 0)` with anything unconvertible — including ±Infinity, which
    /// crashes the reference — read as 0; a non-object `detail` is `{}`;
    /// schema fields and unknown keys are dropped.
    pub fn from_record(rec: &Map<String, Value>) -> VerdictEvent {
        let text = |k: &str| match rec.get(k) {
            Some(v) if truthy(v) => py_str(v),
            _ => String::new(),
        };
        let source = text("source");
        VerdictEvent {
            ts: text("ts"),
            seq: coerce_seq(rec.get("seq")),
            syscall: text("syscall"),
            verdict: text("verdict"),
            run_id: text("run_id"),
            lane: text("lane"),
            subject: text("subject"),
            detail: match rec.get("detail") {
                Some(Value::Object(m)) => m.clone(),
                _ => Map::new(),
            },
            source: if source.is_empty() {
                "kernel".into()
            } else {
                source
            },
        }
    }

    /// The record's line (no trailing newline), byte-identical to the
    /// reference's `json.dumps(sort_keys=True, ensure_ascii=False)` except that
    /// U+2028/U+2029/U+0085 are escaped.
    pub fn to_line(&self) -> String {
        dumps(&self.to_value(), Style::RECORD)
    }
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn now_ts() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    format_ts(secs)
}

/// Format Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, UTC).
pub fn format_ts(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Parse `YYYY-MM-DDTHH:MM:SSZ` into Unix seconds.
pub fn parse_ts(ts: &str) -> Option<i64> {
    let b = ts.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| ts.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
}

// Howard Hinnant's civil-date algorithms.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Python truthiness of a decoded JSON value.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

/// A record's `seq` that the reference reads as an integer but that has no
/// place in this journal: outside the i64 range (`1e30`,
/// `9223372036854775808`, `"1_000…"` past i64, ±Infinity, which crashes the
/// reference) or `i64::MAX` itself (no successor). Such a record is read
/// with seq 0: it never drives the next seq, a cursor or a `--since` filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("seq is not an integer the journal can order (outside 0..9223372036854775807)")]
pub struct SeqOutOfRange;

/// The reference's `int(value or 0)` reading of a record's `seq`
/// (`"41"` → 41, `3.9` → 3, `true` → 1, anything Python cannot convert →
/// 0), with values Python would read but that do not fit (see
/// [`SeqOutOfRange`]) reported instead of clamped.
pub fn read_seq(v: Option<&Value>) -> Result<i64, SeqOutOfRange> {
    // 2^63 as a float: the first value past the i64 range.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    let n = match v {
        Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i,
            (None, Some(f)) if f.is_nan() => 0,
            (None, Some(f)) if f.trunc() < LIMIT && f.trunc() >= -LIMIT => f.trunc() as i64,
            _ => return Err(SeqOutOfRange),
        },
        Some(Value::Bool(true)) => 1,
        Some(Value::String(s)) => match py_int_checked(s) {
            Ok(i) => i,
            Err(PyIntError::Syntax) => 0,
            Err(PyIntError::Overflow) => return Err(SeqOutOfRange),
        },
        _ => 0,
    };
    if n == i64::MAX {
        return Err(SeqOutOfRange);
    }
    Ok(n)
}

/// [`read_seq`] with an out-of-range seq read as 0.
pub fn coerce_seq(v: Option<&Value>) -> i64 {
    read_seq(v).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_line_matches_reference() {
        let mut e = VerdictEvent::new("hook_exit", "BLOCK");
        e.seq = 5;
        e.ts = "2026-11-21T21:23:14Z".into();
        e.detail.insert("code".into(), Value::from(2));
        e.detail.insert("intervention".into(), Value::from("BLOCK"));
        e.detail.insert("matched".into(), Value::from(true));
        assert_eq!(
            e.to_line(),
            r#"{"detail": {"code": 2, "intervention": "BLOCK", "matched": true}, "lane": "", "run_id": "", "schema_family": "verdict-journal", "schema_version": 1, "seq": 5, "source": "kernel", "subject": "", "syscall": "hook_exit", "ts": "2026-11-21T21:23:14Z", "verdict": "BLOCK"}"#
        );
    }

    #[test]
    fn from_record_coercions_table() {
        use serde_json::json;
        let rec = json!({
            "syscall": 7, "verdict": true, "run_id": [], "lane": ["a", 1], "subject": 0,
            "source": "", "seq": "12", "detail": [1], "schema_version": 99, "extra": 1
        });
        let e = VerdictEvent::from_record(rec.as_object().unwrap());
        assert_eq!(e.syscall, "7");
        assert_eq!(e.verdict, "True");
        assert_eq!(e.run_id, "");
        assert_eq!(e.lane, "['a', 1]");
        assert_eq!(e.subject, "");
        assert_eq!(e.source, "kernel");
        assert_eq!(e.seq, 12);
        assert!(e.detail.is_empty());
        assert_eq!(e.ts, "");
        let nested = json!({"detail": {"b": {"y": 1, "x": 0.1}, "a": 1}, "seq": 3.9});
        let e = VerdictEvent::from_record(nested.as_object().unwrap());
        assert_eq!(e.seq, 3);
        assert_eq!(
            e.to_line(),
            r#"{"detail": {"a": 1, "b": {"x": 0.1, "y": 1}}, "lane": "", "run_id": "", "schema_family": "verdict-journal", "schema_version": 1, "seq": 3, "source": "kernel", "subject": "", "syscall": "", "ts": "", "verdict": ""}"#
        );
    }

    #[test]
    fn timestamps_round_trip() {
        for secs in [0i64, 951_782_400, 1_795_296_194, 4_102_444_800] {
            let ts = format_ts(secs);
            assert_eq!(parse_ts(&ts), Some(secs), "{ts}");
        }
        assert_eq!(format_ts(1_795_296_194), "2026-11-21T21:23:14Z");
        assert_eq!(parse_ts("2026-13-01T00:00:00Z"), None);
    }

    #[test]
    fn seq_coercion_table() {
        use serde_json::json;
        let table = [
            (json!(41), 41),
            (json!("41"), 41),
            (json!(3.9), 3),
            (json!(true), 1),
            (json!([1]), 0),
            (json!(null), 0),
            (json!("NaN"), 0),
            (json!("Infinity"), 0),
            (json!(" 1_2 "), 12),
            (json!(1e30), 0),
            (json!(-1e30), 0),
            (json!(9_223_372_036_854_775_807i64), 0),
            (json!(9_223_372_036_854_775_806i64), 9_223_372_036_854_775_806),
            (json!(9_223_372_036_854_775_808u64), 0),
            (json!("99999999999999999999"), 0),
            (json!(-5), -5),
        ];
        for (v, expected) in table {
            assert_eq!(coerce_seq(Some(&v)), expected, "{v}");
        }
        let out_of_range = [
            json!(1e30),
            json!(-1e30),
            json!(9_223_372_036_854_775_807i64),
            json!(9_223_372_036_854_775_808u64),
            json!("99999999999999999999"),
            json!(9.3e18),
        ];
        for v in out_of_range {
            assert_eq!(read_seq(Some(&v)), Err(SeqOutOfRange), "{v}");
        }
        for v in [
            json!("NaN"),
            json!([1]),
            json!(null),
            json!("1e30"),
            json!(9.2e18),
        ] {
            assert!(
                read_seq(Some(&v)).is_ok(),
                "{v}: the reference reads it (as 0 or an int)"
            );
        }
    }
}
