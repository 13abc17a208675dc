//! A driver's configuration ([`DriverConfig`]) and the errors that name what
//! was wrong in it ([`ConfigError`]).
//!
//! The host hands every constructor one JSON object: the driver's `dos.toml`
//! table (`[notifiers.teams]`), overlaid with the CLI options the operator
//! gave, plus the keys the host adds (`root`, `state_dir`, and `dry_run` when
//! the command has one). Read it into a typed struct with
//! [`DriverConfig::parse`], or key by key with the accessors.
//!
//! A value of the wrong type is never mistaken for an absent one. The typed
//! readers ([`parse`](DriverConfig::parse), [`get`](DriverConfig::get)) return
//! the error. The 1.0 accessors ([`str`](DriverConfig::str),
//! [`int`](DriverConfig::int), …) keep their signatures, so they return
//! `None` and *record* the error in the construction under way: a constructor
//! the SDK runs (through [`export_plugin!`](crate::export_plugin) or
//! [`DriverConfig::construct`]) then fails with that error even if it
//! returned a driver.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::fmt;

/// A configuration value that cannot be used, naming the table, the key and
/// what was wrong: `[notifiers.teams] url: expected a string, found integer 8765`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The driver's table (`notifiers.teams`), or `""` outside a construction.
    pub table: String,
    /// The offending key (`url`, `headers.Authorization`), or `""` for the whole table.
    pub key: String,
    /// What was wrong (`expected a string, found integer 8765`).
    pub problem: String,
}

impl ConfigError {
    /// An error about `key`, attributed to the table under construction (if any).
    pub fn new(key: impl Into<String>, problem: impl Into<String>) -> Self {
        ConfigError {
            table: current_table().unwrap_or_default(),
            key: key.into(),
            problem: problem.into(),
        }
    }

    /// The standard wrong-type error: `expected <expected>, found <value>`.
    pub fn wrong_type(key: &str, expected: &str, found: &Value) -> Self {
        ConfigError::new(key, format!("expected {expected}, found {}", describe(found)))
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.table.is_empty() {
            write!(f, "[{}] ", self.table)?;
        }
        if self.key.is_empty() {
            f.write_str(&self.problem)
        } else {
            write!(f, "{}: {}", self.key, self.problem)
        }
    }
}

impl std::error::Error for ConfigError {}

impl From<ConfigError> for crate::PluginError {
    fn from(e: ConfigError) -> Self {
        crate::PluginError(e.to_string())
    }
}

/// A JSON value described in TOML's words, for error messages:
/// `integer 8765`, `float 0.5`, `string "x"`, `boolean true`, `array`, `table`.
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) if n.is_f64() => format!("float {n}"),
        Value::Number(n) => format!("integer {n}"),
        Value::String(s) => format!("string {}", Value::String(s.clone())),
        Value::Array(_) => "array".to_string(),
        Value::Object(_) => "table".to_string(),
    }
}

struct Scope {
    table: String,
    errors: Vec<ConfigError>,
}

thread_local! {
    /// The constructions under way on this thread (innermost last).
    static SCOPES: RefCell<Vec<Scope>> = const { RefCell::new(Vec::new()) };
}

fn current_table() -> Option<String> {
    SCOPES.with(|s| s.borrow().last().map(|sc| sc.table.clone()))
}

fn record(error: ConfigError) {
    SCOPES.with(|s| {
        if let Some(scope) = s.borrow_mut().last_mut() {
            scope.errors.push(error);
        }
    });
}

/// Pops the scope even if the constructor panics.
struct ScopeGuard;
impl Drop for ScopeGuard {
    fn drop(&mut self) {
        SCOPES.with(|s| {
            s.borrow_mut().pop();
        });
    }
}

/// A driver's configuration: its `dos.toml` table overlaid with the CLI's
/// options, plus the host's `root`, `state_dir` and (when the command has
/// one) `dry_run`. See the [module docs](self) for how wrong types are reported.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DriverConfig(pub Map<String, Value>);

impl DriverConfig {
    /// Parse a configuration object from JSON text.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Run the constructor `ctor` for the driver whose table is `table`
    /// (`notifiers.teams`): errors name that table, and a wrong-typed value
    /// an accessor met fails the construction. The SDK calls every
    /// registered constructor this way; tests may too. Since 1.5.0.
    ///
    /// ```
    /// use dos_plugin_api::DriverConfig;
    /// let cfg = DriverConfig::from_json(r#"{"url": 8765}"#).unwrap();
    /// let built = cfg.construct("notifiers.teams", |c| Ok(c.str("url").unwrap_or("none").to_string()));
    /// assert_eq!(built.unwrap_err().0, "[notifiers.teams] url: expected a string, found integer 8765");
    /// ```
    pub fn construct<T>(
        &self,
        table: &str,
        ctor: impl FnOnce(&DriverConfig) -> Result<T, crate::PluginError>,
    ) -> Result<T, crate::PluginError> {
        SCOPES.with(|s| {
            s.borrow_mut().push(Scope {
                table: table.to_string(),
                errors: Vec::new(),
            })
        });
        let guard = ScopeGuard;
        let built = ctor(self);
        let recorded = SCOPES.with(|s| {
            s.borrow_mut()
                .last_mut()
                .map(|sc| std::mem::take(&mut sc.errors))
                .unwrap_or_default()
        });
        drop(guard);
        let value = built?;
        match recorded.into_iter().next() {
            Some(e) => Err(e.into()),
            None => Ok(value),
        }
    }

    /// Read the whole table into `T`. Unknown keys are ignored unless `T`
    /// says `#[serde(deny_unknown_fields)]` (then the host's `root`,
    /// `state_dir` and `dry_run` must be fields). Errors name the key and the
    /// expected type. Since 1.5.0.
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct Teams { url: String, #[serde(default)] dry_run: bool }
    ///
    /// let ok = dos_plugin_api::DriverConfig::from_json(r#"{"url": "http://x", "root": "/w"}"#).unwrap();
    /// assert_eq!(ok.parse::<Teams>().unwrap().url, "http://x");
    ///
    /// let bad = dos_plugin_api::DriverConfig::from_json(r#"{"url": 8765}"#).unwrap();
    /// assert_eq!(bad.parse::<Teams>().err().unwrap().to_string(), "url: expected a string, found integer 8765");
    /// ```
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        let value = Value::Object(self.0.clone());
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let key = if path == "." { String::new() } else { path };
            serde_problem(key, &e.into_inner().to_string())
        })
    }

    /// One key read as `T`: `Ok(None)` when absent or `null`, an error naming
    /// the key when it does not fit `T`. Since 1.5.0.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, ConfigError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => serde_path_to_error::deserialize(v.clone())
                .map(Some)
                .map_err(|e| {
                    let inner = e.path().to_string();
                    let full = if inner == "." {
                        key.to_string()
                    } else {
                        format!("{key}.{inner}")
                    };
                    serde_problem(full, &e.into_inner().to_string())
                }),
        }
    }

    fn wrong(&self, key: &str, expected: &str, found: &Value) {
        record(ConfigError::wrong_type(key, expected, found));
    }

    /// A non-empty string value, if present. An empty string counts as
    /// absent; any other type is reported (see the [module docs](self)).
    pub fn str(&self, key: &str) -> Option<&str> {
        match self.0.get(key) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.as_str()),
            None | Some(Value::Null) | Some(Value::String(_)) => None,
            Some(other) => {
                self.wrong(key, "a string", other);
                None
            }
        }
    }

    /// An integer value (a JSON integer or a decimal string, as Python's
    /// `int()` reads it), if present and non-zero. Other values are reported.
    pub fn int(&self, key: &str) -> Option<i64> {
        let v = self.0.get(key)?;
        match v {
            Value::Null => None,
            Value::Number(n) if n.as_i64().is_some() => n.as_i64().filter(|v| *v != 0),
            Value::String(s) => match s.trim().parse::<i64>() {
                Ok(n) => Some(n).filter(|v| *v != 0),
                Err(_) => {
                    self.wrong(key, "an integer", v);
                    None
                }
            },
            other => {
                self.wrong(key, "an integer", other);
                None
            }
        }
    }

    /// A float value (a JSON number or a decimal string, as Python's
    /// `float()` reads it), if present. Other values are reported.
    pub fn float(&self, key: &str) -> Option<f64> {
        let v = self.0.get(key)?;
        match v {
            Value::Null => None,
            Value::Number(n) => n.as_f64(),
            Value::String(s) => match py_float_text(s) {
                Some(f) => Some(f),
                None => {
                    self.wrong(key, "a number", v);
                    None
                }
            },
            other => {
                self.wrong(key, "a number", other);
                None
            }
        }
    }

    /// A boolean value; absent means `false`. Other values are reported.
    pub fn flag(&self, key: &str) -> bool {
        match self.0.get(key) {
            Some(Value::Bool(b)) => *b,
            None | Some(Value::Null) => false,
            Some(other) => {
                self.wrong(key, "a boolean", other);
                false
            }
        }
    }

    /// A list of strings (a JSON array of strings, or one string), if
    /// present. A non-string item or another type is reported.
    pub fn strings(&self, key: &str) -> Option<Vec<String>> {
        match self.0.get(key)? {
            Value::Null => None,
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item.as_str() {
                        Some(s) => out.push(s.to_string()),
                        None => self.wrong(&format!("{key}[{i}]"), "a string", item),
                    }
                }
                Some(out)
            }
            Value::String(s) => Some(vec![s.clone()]),
            other => {
                self.wrong(key, "an array of strings", other);
                None
            }
        }
    }

    /// The workspace root the host ran in (`root`), or `.`.
    pub fn root(&self) -> std::path::PathBuf {
        std::path::PathBuf::from(self.str("root").unwrap_or("."))
    }

    /// Whether the operator asked for a dry run. A driver that sends or
    /// writes anything must not do so when this is true.
    pub fn dry_run(&self) -> bool {
        self.flag("dry_run")
    }

    /// The workspace's state directory (`state_dir`, normally `<root>/.dos`).
    /// Since 1.1.0.
    pub fn state_dir(&self) -> std::path::PathBuf {
        match self.str("state_dir") {
            Some(p) => std::path::PathBuf::from(p),
            None => self.root().join(".dos"),
        }
    }

    /// A duration given in milliseconds under `key`, if present and positive.
    /// Since 1.1.0.
    pub fn millis(&self, key: &str) -> Option<std::time::Duration> {
        self.int(key)
            .filter(|v| *v > 0)
            .map(|v| std::time::Duration::from_millis(v as u64))
    }
}

/// Python's `float(str)` for the common cases: surrounding whitespace,
/// `inf`/`nan` spellings and `_` digit separators are accepted.
fn py_float_text(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || t.starts_with('_') || t.ends_with('_') || t.contains("__") {
        return None;
    }
    let cleaned: String = t.chars().filter(|c| *c != '_').collect();
    let lower = cleaned.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    let negative = lower.starts_with('-');
    match unsigned {
        "inf" | "infinity" => Some(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }),
        "nan" => Some(f64::NAN),
        _ if unsigned
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-')) =>
        {
            cleaned.parse().ok()
        }
        _ => None,
    }
}

/// Turn serde's message into `expected …, found …` wording.
fn serde_problem(key: String, message: &str) -> ConfigError {
    let found_expected = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
        .and_then(|rest| rest.split_once(", expected "));
    let problem = if let Some((found, expected)) = found_expected {
        format!("expected {expected}, found {}", toml_words(found))
    } else if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        let key = if key.is_empty() {
            field.to_string()
        } else {
            format!("{key}.{field}")
        };
        return ConfigError::new(key, "missing (required)");
    } else if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, tail) = rest.split_once('`').unwrap_or((rest, ""));
        // The path already ends at the unknown key.
        let key = if key.is_empty() { field.to_string() } else { key };
        let tail = tail.trim_start_matches(", ");
        let problem = if tail.is_empty() {
            "unknown key".to_string()
        } else {
            format!("unknown key; {tail}")
        };
        return ConfigError::new(key, problem);
    } else {
        message.to_string()
    };
    ConfigError::new(key, problem)
}

/// serde's `integer \`8765\``, `floating point \`0.5\``, `map`, `sequence`
/// in TOML's words: `integer 8765`, `float 0.5`, `table`, `array`.
fn toml_words(found: &str) -> String {
    let plain = found.replace('`', "");
    if let Some(rest) = plain.strip_prefix("floating point ") {
        return format!("float {rest}");
    }
    match plain.as_str() {
        "map" => "table".to_string(),
        "sequence" => "array".to_string(),
        "unit value" => "null".to_string(),
        _ => plain,
    }
}

/// `#[serde(deserialize_with = "dos_plugin_api::config::py_int")]`: an
/// integer the way Python's `int()` reads a setting — a JSON integer, a
/// float (truncated toward zero), or a decimal string with surrounding
/// whitespace. For keys the reference coerces with `int()`. Since 1.5.0.
pub fn py_int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    use serde::de::Error;
    let v = Value::deserialize(d)?;
    match &v {
        Value::Number(_) | Value::String(_) | Value::Bool(_) => dos_py::int::int_value(&v)
            .map_err(|_| D::Error::custom(format!("expected an integer, found {}", describe(&v)))),
        _ => Err(D::Error::custom(format!(
            "expected an integer, found {}",
            describe(&v)
        ))),
    }
}

/// `#[serde(deserialize_with = "dos_plugin_api::config::py_float")]`: a
/// number the way Python's `float()` reads a setting — a JSON number or a
/// numeric string (`" 2.5 "`, `"inf"`). Since 1.5.0.
pub fn py_float<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    use serde::de::Error;
    let v = Value::deserialize(d)?;
    match &v {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| D::Error::custom("expected a number, found an out-of-range number")),
        Value::String(s) => py_float_text(s)
            .ok_or_else(|| D::Error::custom(format!("expected a number, found {}", describe(&v)))),
        Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
        _ => Err(D::Error::custom(format!(
            "expected a number, found {}",
            describe(&v)
        ))),
    }
}

/// [`py_float`] for an optional key (`Option<f64>`; `null` is absent).
/// Use with `#[serde(default, deserialize_with = "dos_plugin_api::config::py_float_opt")]`.
/// Since 1.5.0.
pub fn py_float_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let v = Value::deserialize(d)?;
    if v.is_null() {
        return Ok(None);
    }
    py_float(v).map(Some).map_err(serde::de::Error::custom)
}

/// `#[serde(default, deserialize_with = "dos_plugin_api::config::string_pairs")]`:
/// a table of string values (`[notifiers.webhook.headers]`) as ordered
/// `(key, value)` pairs; a non-string value is an error naming its key
/// (`headers.X-Retry: expected a string, found integer 3`). Since 1.5.0.
pub fn string_pairs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
    struct Pairs;
    impl<'de> serde::de::Visitor<'de> for Pairs {
        type Value = Vec<(String, String)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a table of strings")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(key) = map.next_key::<String>()? {
                let value: String = map.next_value()?;
                out.push((key, value));
            }
            Ok(out)
        }
    }
    d.deserialize_map(Pairs)
}

/// `#[serde(default, deserialize_with = "dos_plugin_api::config::non_empty")]`:
/// an optional string where `""` counts as unset (the reference's
/// `value or fallback`). Since 1.5.0.
pub fn non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

#[cfg(test)]
mod tests;
