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

/// Parse `text` (already stripped) like `json.loads`; `None` if it is not JSON.
pub fn parse(text: &str) -> Option<Parsed> {
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return Some(Parsed { value, lossy: false });
    }
    let repaired = repair(text)?;
    serde_json::from_str::<Value>(&repaired)
        .ok()
        .map(|value| Parsed { value, lossy: true })
}

/// Rewrite the Python-only tokens outside strings into strict JSON; `None`
/// when there was nothing to rewrite (the text is simply not JSON).
pub fn repair(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 16);
    let mut changed = false;
    let mut i = 0;
    let mut last = 0;
    let mut in_str = false;
    while i < b.len() {
        let c = b[i];
        if in_str {
            match c {
                b'"' => {
                    in_str = false;
                    i += 1;
                }
                b'\\' if b.get(i + 1) == Some(&b'u') => {
                    let unit = hex4(b, i + 2);
                    match unit {
                        Some(u) if (0xD800..0xDC00).contains(&u) => {
                            let low = (b.get(i + 6) == Some(&b'\\') && b.get(i + 7) == Some(&b'u'))
                                .then(|| hex4(b, i + 8))
                                .flatten();
                            if matches!(low, Some(l) if (0xDC00..0xE000).contains(&l)) {
                                i += 12;
                            } else {
                                out.push_str(&text[last..i]);
                                out.push_str("\\ufffd");
                                i += 6;
                                last = i;
                                changed = true;
                            }
                        }
                        Some(u) if (0xDC00..0xE000).contains(&u) => {
                            out.push_str(&text[last..i]);
                            out.push_str("\\ufffd");
                            i += 6;
                            last = i;
                            changed = true;
                        }
                        _ => i += 2,
                    }
                }
                b'\\' => i += 2,
                _ => i += 1,
            }
            continue;
        }
        let token: Option<(&str, &str)> = if b[i..].starts_with(b"NaN") {
            Some(("NaN", "\"NaN\""))
        } else if b[i..].starts_with(b"Infinity") {
            Some(("Infinity", "\"Infinity\""))
        } else if b[i..].starts_with(b"-Infinity") {
            Some(("-Infinity", "\"-Infinity\""))
        } else {
            None
        };
        match (c, token) {
            (b'"', _) => {
                in_str = true;
                i += 1;
            }
            (_, Some((raw, quoted))) => {
                out.push_str(&text[last..i]);
                out.push_str(quoted);
                i += raw.len();
                last = i;
                changed = true;
            }
            _ => i += 1,
        }
    }
    if !changed {
        return None;
    }
    out.push_str(&text[last..]);
    Some(out)
}

fn hex4(b: &[u8], at: usize) -> Option<u32> {
    let s = std::str::from_utf8(b.get(at..at + 4)?).ok()?;
    u32::from_str_radix(s, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn python_literals_and_surrogates_table() {
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
    }
}
