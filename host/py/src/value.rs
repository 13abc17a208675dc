//! Decoded values in Python's terms: the owned [`PyValue`] that
//! [`crate::json::loads`] returns, Python truthiness, `str()` / `repr()`
//! and `==` of values, for [`PyValue`] and for `serde_json::Value`.

use crate::repr::{write_float_repr, write_str_repr};
use serde_json::Value;

/// A decoded JSON value, in Python's terms.
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    /// `null` → `None`.
    None,
    /// `true` / `false`.
    Bool(bool),
    /// An integer literal, as canonical decimal text (any size).
    Int(String),
    /// A number with a fraction or exponent, or `NaN` / `Infinity`.
    Float(f64),
    /// A string.
    Str(String),
    /// An array.
    List(Vec<PyValue>),
    /// An object, in first-seen key order (a duplicate key holds the last value).
    Dict(Vec<(String, PyValue)>),
}

impl PyValue {
    /// Python truthiness: `None`, `False`, `0`, `0.0`, `""`, `[]`, `{}` are false.
    pub fn truthy(&self) -> bool {
        match self {
            PyValue::None => false,
            PyValue::Bool(b) => *b,
            PyValue::Int(t) => t != "0",
            PyValue::Float(f) => *f != 0.0,
            PyValue::Str(s) => !s.is_empty(),
            PyValue::List(v) => !v.is_empty(),
            PyValue::Dict(v) => !v.is_empty(),
        }
    }

    /// The integer as `i64`, if it is an integer that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            PyValue::Int(t) => t.parse().ok(),
            _ => None,
        }
    }

    /// Python's type name of the value (`NoneType`, `int`, `dict`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            PyValue::None => "NoneType",
            PyValue::Bool(_) => "bool",
            PyValue::Int(_) => "int",
            PyValue::Float(_) => "float",
            PyValue::Str(_) => "str",
            PyValue::List(_) => "list",
            PyValue::Dict(_) => "dict",
        }
    }

    /// The value stored under `key` in a dict.
    pub fn get(&self, key: &str) -> Option<&PyValue> {
        match self {
            PyValue::Dict(items) => items.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Exact integer text of a finite, integral float.
fn float_int_text(f: f64) -> Option<String> {
    (f.is_finite() && f.fract() == 0.0).then(|| {
        let s = format!("{f:.0}");
        if s == "-0" {
            "0".into()
        } else {
            s
        }
    })
}

fn int_text(v: &PyValue) -> Option<&str> {
    match v {
        PyValue::Bool(b) => Some(if *b { "1" } else { "0" }),
        PyValue::Int(t) => Some(t),
        _ => None,
    }
}

/// Python's `==` of two decoded values: `1 == 1.0 == True`, `NaN` never
/// equal, dicts compared without order, lists in order.
pub fn py_eq(a: &PyValue, b: &PyValue) -> bool {
    use PyValue::*;
    match (a, b) {
        (None, None) => true,
        (Str(x), Str(y)) => x == y,
        (List(x), List(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q)),
        (Dict(x), Dict(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.iter().find(|(j, _)| j == k).is_some_and(|(_, w)| py_eq(v, w)))
        }
        (Float(x), Float(y)) => x == y,
        (Float(f), other) | (other, Float(f)) => match (int_text(other), float_int_text(*f)) {
            (Some(i), Some(g)) => i == g,
            _ => false,
        },
        (x, y) => match (int_text(x), int_text(y)) {
            (Some(i), Some(j)) => i == j,
            _ => false,
        },
    }
}

/// Python's `str()` of a value: strings as themselves, everything else as `repr`.
pub fn py_str(v: &PyValue) -> String {
    match v {
        PyValue::Str(s) => s.clone(),
        other => py_repr(other),
    }
}

/// Python's `repr()` of a value.
pub fn py_repr(v: &PyValue) -> String {
    let mut out = String::new();
    write_repr(&mut out, v);
    out
}

/// Append Python's `repr()` of a value to `out`.
pub fn write_repr(out: &mut String, v: &PyValue) {
    match v {
        PyValue::None => out.push_str("None"),
        PyValue::Bool(true) => out.push_str("True"),
        PyValue::Bool(false) => out.push_str("False"),
        PyValue::Int(t) => out.push_str(t),
        PyValue::Float(f) => write_float_repr(out, *f),
        PyValue::Str(s) => write_str_repr(out, s),
        PyValue::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(out, item);
            }
            out.push(']');
        }
        PyValue::Dict(items) => {
            out.push('{');
            for (i, (k, item)) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str_repr(out, k);
                out.push_str(": ");
                write_repr(out, item);
            }
            out.push('}');
        }
    }
}

/// Python truthiness of a decoded `serde_json` value (`bool(x)` after
/// `json.loads`).
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_none_or(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

/// [`truthy`] of an optional value (absent is false).
pub fn truthy_opt(v: Option<&Value>) -> bool {
    v.is_some_and(truthy)
}

/// Python's `str()` of a decoded `serde_json` value.
pub fn json_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => json_repr(other),
    }
}

/// Python's `repr()` of a decoded `serde_json` value.
pub fn json_repr(v: &Value) -> String {
    let mut out = String::new();
    write_json_repr(&mut out, v);
    out
}

fn write_json_repr(out: &mut String, v: &Value) {
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
                write_float_repr(out, f);
            }
        }
        Value::String(s) => write_str_repr(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json_repr(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str_repr(out, k);
                out.push_str(": ");
                write_json_repr(out, item);
            }
            out.push('}');
        }
    }
}

/// Python's type name of a decoded `serde_json` value.
pub fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::loads;
    use serde_json::json;

    #[test]
    fn str_of_values_matches_python() {
        // Right-hand sides: CPython 3.11's str(json.loads(left)).
        let cases: &[(&str, &str)] = &[
            ("null", "None"),
            ("true", "True"),
            ("false", "False"),
            ("12", "12"),
            ("-0", "0"),
            ("123456789012345678901234567890", "123456789012345678901234567890"),
            ("0.1", "0.1"),
            ("1e16", "1e+16"),
            ("1E400", "inf"),
            ("-Infinity", "-inf"),
            ("NaN", "nan"),
            ("100.0", "100.0"),
            ("\"plain\"", "plain"),
            ("[\"a\", 1]", "['a', 1]"),
            (
                r#"{"b": 2, "a": [3, {"y": 1, "x": 2}]}"#,
                "{'b': 2, 'a': [3, {'y': 1, 'x': 2}]}",
            ),
            (r#"["it's"]"#, r#"["it's"]"#),
            (r#"["a\"b'c"]"#, r#"['a"b\'c']"#),
            (
                r#"["t\tn\nb\\ \u0001 \u00e4 \u2028"]"#,
                r"['t\tn\nb\\ \x01 ä \u2028']",
            ),
            (r#"["\ud83d\ude00"]"#, "['😀']"),
            (r#"{"a": 1, "b": 2, "a": 3}"#, "{'a': 3, 'b': 2}"),
            ("[]", "[]"),
            ("{}", "{}"),
        ];
        for (text, want) in cases {
            let v = loads(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(py_str(&v), *want, "{text}");
        }
    }

    #[test]
    fn truthiness_table() {
        for (text, want) in [
            ("null", false),
            ("0", false),
            ("-0", false),
            ("0.0", false),
            ("-0.0", false),
            ("\"\"", false),
            ("[]", false),
            ("{}", false),
            ("false", false),
            ("NaN", true),
            ("1", true),
            ("[0]", true),
            ("\"0\"", true),
        ] {
            assert_eq!(loads(text).unwrap().truthy(), want, "{text}");
            let (v, _) = crate::json::to_json(&crate::json::parse(text.as_bytes()).unwrap());
            if text != "NaN" {
                assert_eq!(truthy(&v), want, "{text}");
            }
        }
        assert!(!truthy_opt(None));
    }

    #[test]
    fn json_str_and_repr() {
        let v = json!({"b": 2, "a": [3, {"y": 1, "x": 2}]});
        assert_eq!(json_str(&v), "{'b': 2, 'a': [3, {'y': 1, 'x': 2}]}");
        assert_eq!(json_str(&json!(["a", 1])), "['a', 1]");
        assert_eq!(json_str(&json!(null)), "None");
        assert_eq!(json_str(&json!(true)), "True");
        assert_eq!(json_str(&json!(0.1)), "0.1");
        assert_eq!(json_str(&json!("x")), "x");
        assert_eq!(json_repr(&json!("it's")), "\"it's\"");
        assert_eq!(json_type_name(&json!(1.0)), "float");
    }

    #[test]
    fn equality_probe() {
        let eq = |a: &str, b: &str| py_eq(&loads(a).unwrap(), &loads(b).unwrap());
        assert!(eq("1", "1.0"));
        assert!(eq("true", "1"));
        assert!(eq("false", "0"));
        assert!(eq("{\"x\":1,\"y\":2}", "{\"y\":2,\"x\":1}"));
        assert!(!eq("[1,2]", "[2,1]"));
        assert!(!eq("NaN", "NaN"));
        assert!(eq("1e400", "1e400"));
        assert!(!eq(
            "12345678901234567890123456789012345678901",
            "12345678901234567890123456789012345678902"
        ));
        assert!(eq("1.0000000000000001", "1"));
        assert!(eq("null", "null"));
        assert!(!eq("null", "0"));
        assert!(!eq("\"1\"", "1"));
        assert!(!eq("{\"x\":1}", "{\"y\":1}"));
    }
}
