//! Python-faithful JSON values for plugins: decoding a record the way
//! Python's `json.loads` reads it, rendering a value as Python's `str()` /
//! `repr()` writes it, and the verdict event the reference decodes from a
//! journal record (`VerdictEvent.from_record`).
//!
//! The value type, the reader and the renderers are `dos-py`'s (the host's
//! own), re-exported here under their 1.x paths: `NaN` / `Infinity` /
//! `-Infinity` literals are accepted, integers keep their exact decimal text
//! (so a value outside `i64` is still an integer, not a float), object key
//! order is kept and a duplicate key keeps its first position with the last
//! value. [`py_str`] renders a value as Python's `str()` would.
//!
//! Exporters use [`VerdictEvent::decode_batch`] to read the host's
//! journal-shaped [`EventRef`]s.

use crate::EventRef;

pub use dos_py::repr::{write_float_repr, write_str_repr, write_str_repr_with};
pub use dos_py::value::{py_repr, py_str, PyValue};

/// Parse one JSON document the way Python's `json.loads` reads it; the
/// error is Python's `JSONDecodeError` text.
pub fn parse(text: &str) -> Result<PyValue, String> {
    dos_py::json::loads(text).map_err(|e| e.message(text.as_bytes()))
}

/// One verdict event, with the reference's tolerant field coercions applied.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VerdictEvent {
    /// The dimension (`liveness`, `verify`, …), or `""`.
    pub syscall: String,
    /// The verdict token, or `""`.
    pub verdict: String,
    /// Correlation id, or `""`.
    pub run_id: String,
    /// Lane, or `""`.
    pub lane: String,
    /// Subject, or `""`.
    pub subject: String,
    /// Timestamp text (`YYYY-MM-DDTHH:MM:SSZ`), or `""`.
    pub ts: String,
    /// Who recorded it; `kernel` when absent or empty.
    pub source: String,
    /// Evidence scalars, in record order (`{}` when not an object).
    pub detail: Vec<(String, PyValue)>,
}

impl VerdictEvent {
    /// Decode one journal-shaped record. Fields follow `from_record`:
    /// `str(v)` when truthy, else `""` (`source` falls back to `kernel`);
    /// a non-object `detail` becomes empty. A record that is not a JSON
    /// object is an error.
    pub fn decode(record: &str) -> Result<VerdictEvent, String> {
        let PyValue::Dict(fields) = parse(record)? else {
            return Err("record is not a JSON object".to_string());
        };
        let get = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        let text = |key: &str| match get(key) {
            Some(v) if v.truthy() => py_str(v),
            _ => String::new(),
        };
        let mut source = text("source");
        if source.is_empty() {
            source = "kernel".to_string();
        }
        let detail = match get("detail") {
            Some(PyValue::Dict(items)) => items.clone(),
            _ => Vec::new(),
        };
        Ok(VerdictEvent {
            syscall: text("syscall"),
            verdict: text("verdict"),
            run_id: text("run_id"),
            lane: text("lane"),
            subject: text("subject"),
            ts: text("ts"),
            source,
            detail,
        })
    }

    /// Decode a whole batch, in order. The first record that does not decode
    /// fails the batch with `event seq <seq> is unreadable: <why>`.
    pub fn decode_batch(events: &[EventRef<'_>]) -> Result<Vec<VerdictEvent>, String> {
        events
            .iter()
            .map(|e| {
                VerdictEvent::decode(e.record.as_str())
                    .map_err(|why| format!("event seq {} is unreadable: {why}", e.seq))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_applies_from_record_coercions() {
        let e = VerdictEvent::decode(
            r#"{"syscall": 12, "verdict": ["a", 1], "run_id": 0, "lane": null, "subject": false,
                "source": "", "detail": [1], "ts": "2026-11-21T21:23:14Z", "extra": 1}"#,
        )
        .unwrap();
        assert_eq!(e.syscall, "12");
        assert_eq!(e.verdict, "['a', 1]");
        assert_eq!(e.run_id, "");
        assert_eq!(e.lane, "");
        assert_eq!(e.subject, "");
        assert_eq!(e.source, "kernel");
        assert!(e.detail.is_empty());
        assert_eq!(e.ts, "2026-11-21T21:23:14Z");
        assert!(VerdictEvent::decode("[1, 2]").is_err());
        assert!(VerdictEvent::decode("not json").is_err());
    }

    #[test]
    fn decode_batch_names_the_first_unreadable_seq() {
        use abi_stable::std_types::RStr;
        let ok = r#"{"syscall": "verify", "verdict": "PASS"}"#;
        let events = [
            EventRef {
                seq: 4,
                record: RStr::from(ok),
            },
            EventRef {
                seq: 7,
                record: RStr::from("[1]"),
            },
            EventRef {
                seq: 9,
                record: RStr::from("{"),
            },
        ];
        let all = VerdictEvent::decode_batch(&events[..1]).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].verdict, "PASS");
        assert_eq!(
            VerdictEvent::decode_batch(&events).unwrap_err(),
            "event seq 7 is unreadable: record is not a JSON object"
        );
        assert!(VerdictEvent::decode_batch(&[]).unwrap().is_empty());
    }
}
