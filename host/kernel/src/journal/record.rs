//! One verdict-journal record: its fields, its byte-exact line form, and the
//! tolerant decoding the reference applies when reading.

use dos_py::dumps::{dumps, Style};
use dos_py::int::{int_value_or_zero, PyIntError};
use dos_py::value::{json_str as py_str, truthy};
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
    let n = match int_value_or_zero(v) {
        Ok(n) => n,
        Err(PyIntError::Syntax) => 0,
        Err(PyIntError::Overflow) => return Err(SeqOutOfRange),
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
        use dos_py::time::{format_ts, parse_ts};
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
