//! A small, tolerant reader of the lane journal (`lane-journal.jsonl`), for
//! the read-only projections (decisions queue, `notify top`).
//!
//! Semantics follow the reference's `read_all`, with the project's fix: records
//! are split on `\n` only, so a U+2028 / U+2029 / U+0085 inside a value never
//! splits a record. Invalid UTF-8 is replaced, never fatal; a missing or
//! unreadable file has no entries; an unparseable last line is a torn append
//! and is dropped; an unparseable earlier line becomes a `_CORRUPT` sentinel;
//! valid JSON that is not an object is skipped.
//!
//! The reader itself is the lane journal's own ([`crate::lanes::journal`]):
//! `read_all` / `parse_all` are `read_records` / `parse_records`, and
//! `truthy` is the same Python truthiness.

use serde_json::Value;

pub use crate::lanes::journal::{parse_records as parse_all, read_records as read_all, Entry, OP_CORRUPT};

/// `str(entry.get(key) or "")`: the value as text, empty when falsy.
pub fn text_or_empty(v: Option<&Value>) -> String {
    crate::lanes::journal::py_str(v)
}

/// The entry's `seq` when it is an integer (booleans and floats excluded).
pub fn int_seq(e: &Entry) -> Option<i64> {
    match e.get("seq") {
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerant_reading() {
        let text = "{\"op\": \"A\", \"seq\": 1}\n\nnot json\n[1, 2]\n{\"op\": \"B\", \"r\": \"x\u{2028}y\"}\n{\"op\": \"C\"";
        let entries = parse_all(text);
        let ops: Vec<&str> = entries.iter().map(|e| e["op"].as_str().unwrap()).collect();
        assert_eq!(ops, vec!["A", "_CORRUPT", "B"]);
        assert_eq!(entries[1]["_line"], Value::from(2));
        assert_eq!(entries[2]["r"], Value::from("x\u{2028}y"));
    }

    #[test]
    fn torn_tail_followed_by_blank_line_is_corrupt() {
        let entries = parse_all("{\"op\": \"A\"}\n{\"op\"\n\n");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1]["op"], Value::from("_CORRUPT"));
        assert!(parse_all("{\"op\": \"A\"}\r\n{\"op\"").len() == 1);
    }

    #[test]
    fn int_seq_takes_integers_only() {
        assert_eq!(int_seq(&parse_all("{\"seq\": true}")[0]), None);
        assert_eq!(int_seq(&parse_all("{\"seq\": 3.0}")[0]), None);
    }
}
