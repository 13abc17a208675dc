//! Parsing one journal line as Python's `json.loads` would accept it.
//!
//! `serde_json` is strict; Python's reader is not. Two differences matter for
//! journals the reference wrote:
//!
//! * the literals `NaN`, `Infinity` and `-Infinity` (Python writes them for
//!   non-finite floats);
//! * lone UTF-16 surrogate escapes (`"\ud800"`).
//!
//! Decision: such a line is a record, not a corrupt line (the reference reads
//! it). A JSON value cannot carry a non-finite number to a plugin, so the
//! literals are read as the strings `"NaN"`, `"Infinity"` and `"-Infinity"`,
//! and a lone surrogate as U+FFFD. The line is then reported as *lossy*, so
//! the exporter receives a re-encoded record rather than the raw line.

use serde_json::Value;

/// A parsed line: the value, and whether parsing had to substitute anything.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The JSON value.
    pub value: Value,
    /// `true` when non-finite literals or lone surrogates were substituted.
    pub lossy: bool,
}

/// Parse `text` (already stripped) like `json.loads` (`dos_py`'s reader);
/// `None` if it is not JSON.
pub fn parse(text: &str) -> Option<Parsed> {
    let v = dos_py::json::parse(text.as_bytes()).ok()?;
    let (value, lossy) = dos_py::json::to_json(&v);
    Some(Parsed { value, lossy })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn python_literals_and_surrogates_table() {
        let deep = format!("{{\"a\": {}{}}}", "[".repeat(200), "]".repeat(200));
        let deep_value: serde_json::Value = {
            let mut v = json!([]);
            for _ in 1..200 {
                v = json!([v]);
            }
            json!({ "a": v })
        };
        let table = [
            (r#"{"a": 1}"#, Some((json!({"a": 1}), false))),
            (r#"{"a": NaN}"#, Some((json!({"a": "NaN"}), true))),
            (
                r#"{"a": [Infinity, -Infinity]}"#,
                Some((json!({"a": ["Infinity", "-Infinity"]}), true)),
            ),
            (
                r#"{"a": "NaN Infinity"}"#,
                Some((json!({"a": "NaN Infinity"}), false)),
            ),
            (r#"{"a": "\ud800x"}"#, Some((json!({"a": "\u{fffd}x"}), true))),
            (r#"{"a": "\udc00"}"#, Some((json!({"a": "\u{fffd}"}), true))),
            (r#"{"a": "\ud83d\ude00"}"#, Some((json!({"a": "😀"}), false))),
            (r#"{"a": "q\"NaN"}"#, Some((json!({"a": "q\"NaN"}), false))),
            ("garbage", None),
            ("{\"a\": NaN", None),
        ];
        for (text, expected) in table {
            let got = parse(text).map(|p| (p.value, p.lossy));
            assert_eq!(got, expected, "{text}");
        }
        // Deeper than serde_json's 128 levels: Python reads it.
        assert_eq!(
            parse(&deep).map(|p| (p.value, p.lossy)),
            Some((deep_value, false))
        );
    }
}
