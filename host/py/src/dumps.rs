//! JSON text exactly as Python's `json.dumps` writes it, so files under
//! `.dos/` and wire bodies stay byte-compatible with the reference.
//!
//! Differences from `serde_json`'s writer that matter for compatibility:
//! `", "` / `": "` separators, Python's float `repr` (`1.0`, `1e+16`,
//! `1e-05`), `\uXXXX` escapes in lower-case hex, and optional `sort_keys` /
//! `ensure_ascii`. One deliberate fix over the reference: U+2028, U+2029 and
//! U+0085 are always written escaped, because line-splitting readers (Python's
//! `str.splitlines`) would otherwise cut a record in two.

use crate::json::{RawStr, Val};
use serde_json::Value;
use std::fmt::Write;

/// How to render: the subset of `json.dumps` options the reference uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// `sort_keys=True`.
    pub sort_keys: bool,
    /// `ensure_ascii=True` (escape every non-ASCII character).
    pub ensure_ascii: bool,
    /// `separators=(",", ":")` instead of the defaults `(", ", ": ")`.
    pub compact: bool,
    /// `indent=N` (0 = one line).
    pub indent: u8,
}

impl Style {
    /// `json.dumps(v, sort_keys=True, ensure_ascii=False)` — the journal's style.
    pub const RECORD: Style = Style {
        sort_keys: true,
        ensure_ascii: false,
        compact: false,
        indent: 0,
    };
    /// `json.dumps(v)` — Python's defaults (insertion order, ASCII only).
    pub const DEFAULT: Style = Style {
        sort_keys: false,
        ensure_ascii: true,
        compact: false,
        indent: 0,
    };
    /// `json.dumps(v, indent=2)` — the CLI's `--json` style.
    pub const PRETTY: Style = Style {
        sort_keys: false,
        ensure_ascii: true,
        compact: false,
        indent: 2,
    };
    /// `json.dumps(v, indent=2, sort_keys=True)`.
    pub const PRETTY_SORTED: Style = Style {
        sort_keys: true,
        ensure_ascii: true,
        compact: false,
        indent: 2,
    };
}

/// Render `value` in `style`.
pub fn dumps(value: &Value, style: Style) -> String {
    let mut out = String::with_capacity(128);
    write_value(&mut out, value, style);
    out
}

/// Append `value` rendered in `style` to `out`.
pub fn write_value(out: &mut String, value: &Value, style: Style) {
    write_nested(out, value, style, 0);
}

fn separator(out: &mut String, style: Style, depth: usize, first: bool) {
    if style.indent > 0 {
        if !first {
            out.push(',');
        }
        out.push('\n');
        for _ in 0..(depth * style.indent as usize) {
            out.push(' ');
        }
    } else if !first {
        out.push_str(if style.compact { "," } else { ", " });
    }
}

fn close(out: &mut String, style: Style, depth: usize) {
    if style.indent > 0 {
        out.push('\n');
        for _ in 0..(depth * style.indent as usize) {
            out.push(' ');
        }
    }
}

fn write_nested(out: &mut String, value: &Value, style: Style, depth: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(u) = n.as_u64() {
                let _ = write!(out, "{u}");
            } else if let Some(f) = n.as_f64() {
                write_float(out, f);
            } else {
                out.push_str(&n.to_string());
            }
        }
        Value::String(s) => write_str(out, s, style.ensure_ascii),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                separator(out, style, depth + 1, i == 0);
                write_nested(out, item, style, depth + 1);
            }
            if !items.is_empty() {
                close(out, style, depth);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            if style.sort_keys {
                entries.sort_by(|a, b| a.0.cmp(b.0));
            }
            let empty = entries.is_empty();
            for (i, (k, v)) in entries.into_iter().enumerate() {
                separator(out, style, depth + 1, i == 0);
                write_str(out, k, style.ensure_ascii);
                out.push_str(if style.compact { ":" } else { ": " });
                write_nested(out, v, style, depth + 1);
            }
            if !empty {
                close(out, style, depth);
            }
            out.push('}');
        }
    }
}

/// A destination for streamed JSON text (a `String`, a hasher).
pub trait Sink {
    /// Take the next piece.
    fn put(&mut self, s: &str);
}

impl Sink for String {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
}

/// Append a JSON string literal the way Python escapes it (plus the
/// U+2028 / U+2029 / U+0085 escapes, see the module docs).
pub fn write_str(out: &mut String, s: &str, ensure_ascii: bool) {
    out.push('"');
    escape(out, s, ensure_ascii, true);
    out.push('"');
}

/// The escaped contents of a JSON string literal (no quotes), as Python's
/// `json.dumps` writes them: `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`,
/// other controls as lower-case `\u00XX`; with `ensure_ascii` every
/// non-ASCII character as `\uXXXX` (surrogate pairs above U+FFFF); with
/// `separators` also U+2028, U+2029 and U+0085 (our fix, see the module docs;
/// digests that must equal the reference's pass `false`).
pub fn escape<S: Sink + ?Sized>(out: &mut S, s: &str, ensure_ascii: bool, separators: bool) {
    let mut start = 0;
    for (i, ch) in s.char_indices() {
        let esc: Option<&str> = match ch {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{08}' => Some("\\b"),
            '\u{0c}' => Some("\\f"),
            _ => None,
        };
        let needs_hex = (ch as u32) < 0x20
            || (separators && matches!(ch, '\u{2028}' | '\u{2029}' | '\u{85}'))
            || (ensure_ascii && !ch.is_ascii());
        if esc.is_none() && !needs_hex {
            continue;
        }
        out.put(&s[start..i]);
        start = i + ch.len_utf8();
        match esc {
            Some(e) => out.put(e),
            None => {
                let mut units = [0u16; 2];
                for unit in ch.encode_utf16(&mut units) {
                    out.put(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.put(&s[start..]);
}

/// Append a float as Python's `float.__repr__` (which `json.dumps` uses).
pub fn write_float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("NaN");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    // `{:e}` gives the shortest round-trip digits: "-1.2345e-7".
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if neg {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        if point <= 0 {
            out.push_str("0.");
            for _ in 0..(-point) {
                out.push('0');
            }
            out.push_str(&digits);
        } else {
            let point = point as usize;
            if digits.len() <= point {
                out.push_str(&digits);
                for _ in digits.len()..point {
                    out.push('0');
                }
                out.push_str(".0");
            } else {
                out.push_str(&digits[..point]);
                out.push('.');
                out.push_str(&digits[point..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
}

/// `json.dumps(v, sort_keys=True, ensure_ascii=False)` of a parsed
/// [`Val`] into `s`, streamed: exactly the reference's bytes (U+2028 and
/// friends written raw, lone surrogates as `?`), for digests that must match
/// its. A duplicate key keeps the last value; keys sort by code point on the
/// Python string.
pub fn dump_val(v: &Val<'_>, s: &mut dyn Sink) {
    match v {
        Val::Null => s.put("null"),
        Val::Bool(true) => s.put("true"),
        Val::Bool(false) => s.put("false"),
        Val::Int(t) => {
            if *t == "-0" {
                s.put("0")
            } else {
                s.put(t)
            }
        }
        Val::Float(f) => {
            let mut out = String::new();
            write_float(&mut out, *f);
            s.put(&out);
        }
        Val::Str(raw) => dump_str(raw, s),
        Val::Arr(items) => {
            s.put("[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    s.put(", ");
                }
                dump_val(item, s);
            }
            s.put("]");
        }
        Val::Raw(text) => dump_raw(text, s),
        Val::Obj(members) => {
            // As the reference: the last duplicate wins and keys sort by code
            // point on the Python string (lone surrogates included); only the
            // output replaces each surrogate with `?`, so `"\ud83d"` sorts
            // after `"a"` and two distinct surrogate keys both stay.
            let mut keyed: Vec<(Vec<u8>, &RawStr<'_>, &Val<'_>)> =
                members.iter().map(|(k, v)| (k.code_point_key(), k, v)).collect();
            keyed.reverse();
            keyed.sort_by(|a, b| a.0.cmp(&b.0)); // stable: the last duplicate sorts first
            keyed.dedup_by(|later, earlier| later.0 == earlier.0);
            s.put("{");
            for (i, (_, k, v)) in keyed.iter().enumerate() {
                if i > 0 {
                    s.put(", ");
                }
                dump_str(k, s);
                s.put(": ");
                dump_val(v, s);
            }
            s.put("}");
        }
    }
}

/// `dumps` of a [`Val::Raw`] container, streamed from its text: array
/// items one by one; object members (16 bytes each) sorted by code point
/// and de-duplicated as for [`Val::Obj`], their values streamed in turn.
fn dump_raw(text: &[u8], s: &mut dyn Sink) {
    match text.first() {
        Some(b'[') => {
            s.put("[");
            let mut first = true;
            crate::json::raw_items(text, |item| {
                if !std::mem::take(&mut first) {
                    s.put(", ");
                }
                dump_raw(item, s);
            });
            s.put("]");
        }
        Some(b'{') => {
            let mut members = crate::json::raw_members(text);
            // Sort by key, the last duplicate first; keep that one.
            members.sort_unstable_by(|a, b| {
                compare_keys(&a.key(text), &b.key(text))
                    .then_with(|| b.value(text).as_ptr().cmp(&a.value(text).as_ptr()))
            });
            members.dedup_by(|later, earlier| later.key(text).eq_str_raw(&earlier.key(text)));
            s.put("{");
            for (i, m) in members.iter().enumerate() {
                if i > 0 {
                    s.put(", ");
                }
                dump_str(&m.key(text), s);
                s.put(": ");
                dump_raw(m.value(text), s);
            }
            s.put("}");
        }
        Some(b'"') => {
            let raw = &text[1..text.len().saturating_sub(1).max(1)];
            dump_str(
                &RawStr {
                    raw,
                    escaped: raw.contains(&b'\\'),
                },
                s,
            );
        }
        _ => match crate::json::parse(text) {
            Ok(v) => dump_val(&v, s),
            Err(_) => s.put("null"),
        },
    }
}

/// Code point order of two keys (byte order when neither needs decoding).
fn compare_keys(a: &RawStr<'_>, b: &RawStr<'_>) -> std::cmp::Ordering {
    let plain = |k: &RawStr<'_>| !k.escaped && std::str::from_utf8(k.raw).is_ok();
    if plain(a) && plain(b) {
        a.raw.cmp(b.raw)
    } else {
        a.code_point_key().cmp(&b.code_point_key())
    }
}

/// A string literal of a [`RawStr`] as [`dump_val`] writes it (each lone
/// surrogate or undecodable byte as `?`).
pub fn dump_str(raw: &RawStr<'_>, s: &mut dyn Sink) {
    s.put("\"");
    raw.decode_chunks(|piece, _| escape(s, piece, false, false));
    s.put("\"");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn float(f: f64) -> String {
        let mut s = String::new();
        write_float(&mut s, f);
        s
    }

    #[test]
    fn floats_match_python_repr() {
        let table: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1.5, "1.5"),
            (100.0, "100.0"),
            (123456.789, "123456.789"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (9999999999999998.0, "9999999999999998.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.234e-7, "1.234e-07"),
            (1e100, "1e+100"),
            (2.5e-300, "2.5e-300"),
            (0.82, "0.82"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (value, expected) in table {
            assert_eq!(float(*value), *expected, "repr of {value:?}");
        }
    }

    #[test]
    fn record_style_sorts_and_spaces() {
        let v = json!({"b": 1, "a": {"z": [1, 2.0], "y": null}, "c": "plän"});
        assert_eq!(
            dumps(&v, Style::RECORD),
            r#"{"a": {"y": null, "z": [1, 2.0]}, "b": 1, "c": "plän"}"#
        );
    }

    #[test]
    fn default_style_escapes_non_ascii_lowercase() {
        let v = json!({"k": "é😀"});
        assert_eq!(dumps(&v, Style::DEFAULT), r#"{"k": "\u00e9\ud83d\ude00"}"#);
    }

    #[test]
    fn control_and_line_separators_are_escaped() {
        let v = json!("a\u{1}b\u{2028}c\u{2029}d\u{85}e\u{7f}\t\"\\");
        assert_eq!(
            dumps(&v, Style::RECORD),
            "\"a\\u0001b\\u2028c\\u2029d\\u0085e\u{7f}\\t\\\"\\\\\""
        );
    }

    #[test]
    fn indent_matches_python() {
        let v = json!({"a": [1, {"b": []}], "c": {}});
        assert_eq!(
            dumps(&v, Style::PRETTY),
            "{\n  \"a\": [\n    1,\n    {\n      \"b\": []\n    }\n  ],\n  \"c\": {}\n}"
        );
    }

    #[test]
    fn compact_separators() {
        let v = json!({"a": [1, 2]});
        let style = Style {
            compact: true,
            ..Style::DEFAULT
        };
        assert_eq!(dumps(&v, style), r#"{"a":[1,2]}"#);
    }
}
