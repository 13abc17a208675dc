//! Python string semantics the reference relies on (`str.isspace`,
//! `str.splitlines`, truthiness of JSON values), so extraction and matching
//! agree with it character for character.

use serde_json::Value;

/// Python's `str.isspace` for one character (Rust's `is_whitespace` plus the
/// ASCII information separators U+001C..U+001F).
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()` (no arguments).
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// Python's `str.splitlines()` (no `keepends`): splits on `\n`, `\r\n`, `\r`,
/// `\v`, `\f`, U+001C..U+001E, U+0085, U+2028 and U+2029; a trailing line
/// break does not produce an empty last line.
pub fn py_splitlines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let is_break = matches!(
            c,
            '\n' | '\r'
                | '\u{0b}'
                | '\u{0c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if !is_break {
            continue;
        }
        out.push(&s[start..i]);
        let mut end = i + c.len_utf8();
        if c == '\r' {
            if let Some((_, '\n')) = iter.peek() {
                iter.next();
                end += 1;
            }
        }
        start = end;
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// Python truthiness of a JSON value (`bool(x)` after `json.loads`).
pub fn py_truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().map(|f| f != 0.0).unwrap_or(true),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn splitlines_table() {
        let table: [(&str, &[&str]); 7] = [
            ("", &[]),
            ("a", &["a"]),
            ("a\n", &["a"]),
            ("a\r\nb", &["a", "b"]),
            ("a\rb\u{2028}c", &["a", "b", "c"]),
            ("a\n\nb", &["a", "", "b"]),
            ("x\u{0b}y\u{85}", &["x", "y"]),
        ];
        for (input, expected) in table {
            assert_eq!(py_splitlines(input), expected, "{input:?}");
        }
    }

    #[test]
    fn truthiness_table() {
        let table = [
            (json!(true), true),
            (json!(1), true),
            (json!("false"), true),
            (json!(false), false),
            (json!(0), false),
            (json!(0.0), false),
            (json!(""), false),
            (json!(null), false),
            (json!([]), false),
            (json!({"a": 1}), true),
        ];
        for (v, expected) in table {
            assert_eq!(py_truthy(Some(&v)), expected, "{v}");
        }
        assert!(!py_truthy(None));
    }
}
