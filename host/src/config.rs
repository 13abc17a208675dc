//! `dos.toml`: read once per command, queried with typed accessors whose
//! errors name the key and what was wrong.

use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use toml::{Table, Value};

/// Why `dos.toml` (or one of its values) cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{path} is not valid TOML: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A value has the wrong type.
    #[error("dos.toml: `{key}` must be {expected}, found {found}")]
    Type {
        /// Dotted key (`plugins.call_timeout_ms`).
        key: String,
        /// What was expected (`an integer`).
        expected: &'static str,
        /// What was found (`a string`).
        found: &'static str,
    },
}

/// The parsed `dos.toml`.
#[derive(Debug, Clone, Default)]
pub struct Config {
    table: Table,
    path: Option<PathBuf>,
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a datetime",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

impl Config {
    /// Read `path`; a missing file is an empty configuration.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        Config::parse(&text, path)
    }

    /// Parse TOML text that came from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let table: Table = text.parse().map_err(|e: toml::de::Error| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim().replace('\n', " "),
        })?;
        Ok(Config {
            table,
            path: Some(path.to_path_buf()),
        })
    }

    /// Where the configuration came from, if a file was read.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// A top-level table, if present (error if the key holds something else).
    pub fn table(&self, key: &str) -> Result<Option<&Table>, ConfigError> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Value::Table(t)) => Ok(Some(t)),
            Some(other) => Err(ConfigError::Type {
                key: key.into(),
                expected: "a table",
                found: kind(other),
            }),
        }
    }

    /// A nested table `[outer.inner]`, if present.
    pub fn subtable(&self, outer: &str, inner: &str) -> Result<Option<&Table>, ConfigError> {
        match self.table(outer)?.and_then(|t| t.get(inner)) {
            None => Ok(None),
            Some(Value::Table(t)) => Ok(Some(t)),
            Some(other) => Err(ConfigError::Type {
                key: format!("{outer}.{inner}"),
                expected: "a table",
                found: kind(other),
            }),
        }
    }

    /// A string `[table] key`.
    pub fn string(&self, table: &str, key: &str) -> Result<Option<&str>, ConfigError> {
        match self.table(table)?.and_then(|t| t.get(key)) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(ConfigError::Type {
                key: format!("{table}.{key}"),
                expected: "a string",
                found: kind(other),
            }),
        }
    }

    /// A non-negative integer `[table] key`.
    pub fn uint(&self, table: &str, key: &str) -> Result<Option<u64>, ConfigError> {
        match self.table(table)?.and_then(|t| t.get(key)) {
            None => Ok(None),
            Some(Value::Integer(i)) if *i >= 0 => Ok(Some(*i as u64)),
            Some(other) => Err(ConfigError::Type {
                key: format!("{table}.{key}"),
                expected: "a non-negative integer",
                found: if matches!(other, Value::Integer(_)) {
                    "a negative integer"
                } else {
                    kind(other)
                },
            }),
        }
    }

    /// A boolean `[table] key`.
    pub fn boolean(&self, table: &str, key: &str) -> Result<Option<bool>, ConfigError> {
        match self.table(table)?.and_then(|t| t.get(key)) {
            None => Ok(None),
            Some(Value::Boolean(b)) => Ok(Some(*b)),
            Some(other) => Err(ConfigError::Type {
                key: format!("{table}.{key}"),
                expected: "a boolean",
                found: kind(other),
            }),
        }
    }

    /// A list of strings `[table] key` (a single string counts as a list of one).
    pub fn strings(&self, table: &str, key: &str) -> Result<Option<Vec<String>>, ConfigError> {
        let full = || format!("{table}.{key}");
        match self.table(table)?.and_then(|t| t.get(key)) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(ConfigError::Type {
                        key: full(),
                        expected: "an array of strings",
                        found: kind(other),
                    }),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(ConfigError::Type {
                key: full(),
                expected: "an array of strings",
                found: kind(other),
            }),
        }
    }

    /// A table rendered as a JSON object (for a driver's configuration).
    pub fn table_as_json(table: &Table) -> serde_json::Map<String, Json> {
        table.iter().map(|(k, v)| (k.clone(), toml_to_json(v))).collect()
    }
}

/// Convert a TOML value to JSON (datetimes become their TOML text).
pub fn toml_to_json(v: &Value) -> Json {
    match v {
        Value::String(s) => Json::String(s.clone()),
        Value::Integer(i) => Json::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .unwrap_or(Json::Null),
        Value::Boolean(b) => Json::Bool(*b),
        Value::Datetime(d) => Json::String(d.to_string()),
        Value::Array(items) => Json::Array(items.iter().map(toml_to_json).collect()),
        Value::Table(t) => Json::Object(Config::table_as_json(t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> Config {
        Config::parse(text, Path::new("dos.toml")).expect("valid toml")
    }

    #[test]
    fn typed_errors_name_the_key() {
        let c = cfg("[plugins]\ncall_timeout_ms = \"fast\"\npaths = [1]\n");
        let e = c.uint("plugins", "call_timeout_ms").unwrap_err().to_string();
        assert_eq!(
            e,
            "dos.toml: `plugins.call_timeout_ms` must be a non-negative integer, found a string"
        );
        let e = c.strings("plugins", "paths").unwrap_err().to_string();
        assert_eq!(
            e,
            "dos.toml: `plugins.paths` must be an array of strings, found an integer"
        );
    }

    #[test]
    fn parse_error_names_the_file() {
        let e = Config::parse("[plugins\n", Path::new("/w/dos.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("/w/dos.toml is not valid TOML:"), "{e}");
    }

    #[test]
    fn missing_values_are_none() {
        let c = cfg("");
        assert!(c.uint("plugins", "call_timeout_ms").unwrap().is_none());
        assert!(c.subtable("exporters", "otlp").unwrap().is_none());
    }
}
