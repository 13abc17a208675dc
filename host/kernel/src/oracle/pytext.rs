//! Python string semantics the reference relies on (`str.isspace`,
//! `str.splitlines` — shared with plugins through `dos_plugin_api::pystr` —
//! and truthiness of JSON values), so extraction and matching agree with it
//! character for character.

use serde_json::Value;

pub use dos_plugin_api::pystr::{is_py_space, py_splitlines, py_strip};

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
