//! Python's view of a parsed TOML value (what `tomllib.load` hands the
//! reference): `str()`, `repr()` and truthiness, for messages that quote a
//! configuration value. A TOML datetime is shown as its TOML text (Python
//! would show a `datetime`; no message of the reference quotes one).

use crate::repr::{write_float_repr, write_str_repr};
use toml::Value;

/// Python's `str()` of a parsed TOML value.
pub fn toml_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => toml_repr(other),
    }
}

/// Python's `repr()` of a parsed TOML value (`'x'`, `True`, `1.5`, `inf`,
/// `['a', 1]`, `{'k': 'v'}`).
pub fn toml_repr(v: &Value) -> String {
    let mut out = String::new();
    write_toml_repr(&mut out, v);
    out
}

fn write_toml_repr(out: &mut String, v: &Value) {
    match v {
        Value::String(s) => write_str_repr(out, s),
        Value::Integer(i) => out.push_str(&i.to_string()),
        Value::Float(f) => write_float_repr(out, *f),
        Value::Boolean(true) => out.push_str("True"),
        Value::Boolean(false) => out.push_str("False"),
        Value::Datetime(d) => out.push_str(&d.to_string()),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_toml_repr(out, item);
            }
            out.push(']');
        }
        Value::Table(t) => {
            out.push('{');
            for (i, (k, item)) in t.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str_repr(out, k);
                out.push_str(": ");
                write_toml_repr(out, item);
            }
            out.push('}');
        }
    }
}

/// Python's type name of a parsed TOML value (`str`, `int`, `datetime`, …).
pub fn toml_type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "str",
        Value::Integer(_) => "int",
        Value::Float(_) => "float",
        Value::Boolean(_) => "bool",
        Value::Datetime(_) => "datetime",
        Value::Array(_) => "list",
        Value::Table(_) => "dict",
    }
}

/// Python truthiness of a parsed TOML value.
pub fn toml_truthy(v: &Value) -> bool {
    match v {
        Value::String(s) => !s.is_empty(),
        Value::Integer(i) => *i != 0,
        Value::Float(f) => *f != 0.0,
        Value::Boolean(b) => *b,
        Value::Datetime(_) => true,
        Value::Array(a) => !a.is_empty(),
        Value::Table(t) => !t.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn str_and_repr_table() {
        // Right-hand sides: CPython 3.11's str()/repr() of tomllib's value.
        let doc: toml::Table = toml::from_str(
            "s = \"it's\"\ni = 3\nf = 1.5\ng = inf\nb = true\na = [\"x\", 2]\nt = { k = \"v\" }\ne = \"\"\n",
        )
        .unwrap();
        let r = |k: &str| toml_repr(&doc[k]);
        assert_eq!(r("s"), "\"it's\"");
        assert_eq!(toml_str(&doc["s"]), "it's");
        assert_eq!(r("i"), "3");
        assert_eq!(r("f"), "1.5");
        assert_eq!(r("g"), "inf");
        assert_eq!(r("b"), "True");
        assert_eq!(r("a"), "['x', 2]");
        assert_eq!(r("t"), "{'k': 'v'}");
        assert!(!toml_truthy(&doc["e"]) && toml_truthy(&doc["a"]));
        assert_eq!(toml_type_name(&doc["t"]), "dict");
        assert_eq!(toml_type_name(&doc["g"]), "float");
    }
}
