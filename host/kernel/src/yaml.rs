//! YAML files the kernel reads (the soak index, the run registry), converted
//! to JSON values at the boundary so every decision works on one value type.

use serde_json::{Map, Value};
use std::path::Path;
use yaml_rust2::{Yaml, YamlLoader};

/// Convert a YAML node into JSON. Non-string keys become their Python `str()`
/// (`True`, `1`, `None`); aliases and bad values become null.
pub fn to_json(y: &Yaml) -> Value {
    match y {
        Yaml::Real(s) => s
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::String(s.clone())),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        Yaml::Hash(h) => {
            let mut m = Map::new();
            for (k, v) in h {
                let key = match to_json(k) {
                    Value::String(s) => s,
                    Value::Null => "None".into(),
                    Value::Bool(true) => "True".into(),
                    Value::Bool(false) => "False".into(),
                    other => other.to_string(),
                };
                m.insert(key, to_json(v));
            }
            Value::Object(m)
        }
        _ => Value::Null,
    }
}

/// The first document of a YAML text as JSON (`Null` for an empty text);
/// `None` when the text is not YAML.
pub fn parse_first(text: &str) -> Option<Value> {
    let docs = YamlLoader::load_from_str(text).ok()?;
    Some(docs.first().map(to_json).unwrap_or(Value::Null))
}

/// Read `path` as UTF-8 YAML; `None` when missing, unreadable or malformed.
pub fn load(path: &Path) -> Option<Value> {
    let bytes = std::fs::read(path).ok()?;
    parse_first(&String::from_utf8(bytes).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn conversion_table() {
        let table = [
            ("a: 1\nb: [x, 2.5]\n", json!({"a": 1, "b": ["x", 2.5]})),
            ("1: one\ntrue: yes\n", json!({"1": "one", "True": "yes"})),
            ("", Value::Null),
            ("- 1\n- ~\n", json!([1, null])),
        ];
        for (text, expected) in table {
            assert_eq!(parse_first(text), Some(expected), "{text:?}");
        }
        assert_eq!(parse_first("a: [unclosed"), None);
    }
}
