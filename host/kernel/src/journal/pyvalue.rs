//! The few Python built-ins whose exact behaviour shows in this area's
//! output: `str()` / `repr()` of decoded JSON values, `int()` of a string,
//! and `str.strip()`.

use crate::pyjson::write_float;
use serde_json::Value;

/// Python's `str.isspace()` / `str.strip()` (U+001C..U+001F included,
/// U+FEFF not): the plugin API's, shared with plugins.
pub use dos_plugin_api::pystr::{is_py_space, py_strip};

/// Python's `int(s)` for a decimal string: surrounding whitespace, an
/// optional sign, ASCII digits with single underscores between them.
/// `None` when Python would raise — or when the value does not fit an i64.
pub fn py_int(s: &str) -> Option<i64> {
    py_int_checked(s).ok()
}

/// Why [`py_int_checked`] has no i64 for a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PyIntError {
    /// Python's `int()` would raise on it.
    Syntax,
    /// Python reads an integer, but it does not fit an i64.
    Overflow,
}

/// [`py_int`], telling a string Python cannot read from an integer too big
/// for an i64 (the journal warns about the second kind only).
pub fn py_int_checked(s: &str) -> Result<i64, PyIntError> {
    let t = py_strip(s);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'+') => (false, &t[1..]),
        Some(b'-') => (true, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return Err(PyIntError::Syntax);
    }
    let mut v: Option<i64> = Some(0);
    for c in digits.chars().filter(|c| *c != '_') {
        let d = i64::from(c.to_digit(10).ok_or(PyIntError::Syntax)? as u8);
        v = v
            .and_then(|v| v.checked_mul(10))
            .and_then(|v| v.checked_add(if neg { -d } else { d }));
    }
    v.ok_or(PyIntError::Overflow)
}

/// Python's `repr()` of a string: `'…'`, or `"…"` when the text holds `'`
/// and no `"` (the plugin SDK's writer, so `dos observe` and the exporters
/// quote alike).
pub fn py_repr_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    dos_plugin_api::pyvalue::write_str_repr(&mut out, s);
    out
}

/// Python's `str()` of a decoded JSON value (spec §0.4).
pub fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// Python's `repr()` of a decoded JSON value.
pub fn py_repr(v: &Value) -> String {
    let mut out = String::new();
    write_repr(&mut out, v);
    out
}

fn write_repr(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else if let Some(f) = n.as_f64() {
                write_float(out, f);
            }
        }
        Value::String(s) => out.push_str(&py_repr_str(s)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&py_repr_str(k));
                out.push_str(": ");
                write_repr(out, item);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn py_int_table() {
        let table = [
            ("5", Some(5)),
            ("+11", Some(11)),
            (" 7 ", Some(7)),
            ("1_0", Some(10)),
            ("-3", Some(-3)),
            ("0", Some(0)),
            (" +1_2 \n", Some(12)),
            ("1.5", None),
            ("abc", None),
            ("", None),
            ("1__0", None),
            ("_1", None),
            ("1_", None),
            ("+", None),
            ("99999999999999999999999", None),
        ];
        for (s, expected) in table {
            assert_eq!(py_int(s), expected, "{s:?}");
        }
        let checked = [
            ("9223372036854775807", Ok(i64::MAX)),
            ("-9223372036854775808", Ok(i64::MIN)),
            ("9223372036854775808", Err(PyIntError::Overflow)),
            (" -1_000_000_000_000_000_000_000 ", Err(PyIntError::Overflow)),
            ("1e30", Err(PyIntError::Syntax)),
            ("", Err(PyIntError::Syntax)),
        ];
        for (s, expected) in checked {
            assert_eq!(py_int_checked(s), expected, "{s:?}");
        }
    }

    #[test]
    fn repr_and_str_table() {
        assert_eq!(py_repr_str("NULL"), "'NULL'");
        assert_eq!(py_repr_str("it's"), "\"it's\"");
        assert_eq!(py_repr_str("a\"b'c"), "'a\"b\\'c'");
        // CPython 3.11: repr('\xad\xa0\u200b\u3000') == "'\\xad\\xa0\\u200b\\u3000'".
        assert_eq!(
            py_repr_str("\u{ad}\u{a0}\u{200b}\u{3000}"),
            "'\\xad\\xa0\\u200b\\u3000'"
        );
        let v = json!({"b": 2, "a": [3, {"y": 1, "x": 2}]});
        assert_eq!(py_str(&v), "{'b': 2, 'a': [3, {'y': 1, 'x': 2}]}");
        assert_eq!(py_str(&json!(["a", 1])), "['a', 1]");
        assert_eq!(py_str(&json!(null)), "None");
        assert_eq!(py_str(&json!(true)), "True");
        assert_eq!(py_str(&json!(0.1)), "0.1");
        assert_eq!(py_str(&json!("x")), "x");
    }

    #[test]
    fn strip_matches_python() {
        assert_eq!(py_strip("\u{1c} a \u{85}"), "a");
        assert_eq!(py_strip("\u{feff}a"), "\u{feff}a");
    }
}
