//! `dos.toml`: read once per command, queried with typed accessors whose
//! errors name the key and what was wrong.

use crate::safe_fs::SafeFsError;
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
    /// The file is a FIFO, device or directory, or larger than
    /// [`MAX_CONFIG_BYTES`]: it is not read at all (a FIFO would hang).
    #[error("cannot use {path}: {reason}")]
    Unusable {
        /// The file.
        path: PathBuf,
        /// What is wrong with it (`it is a FIFO, not a regular file`).
        reason: String,
    },
    /// The file is not valid TOML.
    #[error("{path} is not valid TOML: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A value has the wrong type, at a known line of the file.
    #[error("{}:{line}: `{key}` must be {expected}, found {found}", .path.display())]
    TypeAt {
        /// The file.
        path: PathBuf,
        /// The 1-based line of the key.
        line: usize,
        /// Dotted key (`plugins.call_timeout_ms`).
        key: String,
        /// What was expected (`an integer`).
        expected: &'static str,
        /// What was found (`a string`).
        found: &'static str,
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
    /// The file's text, to name the line of a bad value.
    text: Option<std::sync::Arc<str>>,
    /// Unknown tables and keys (see [`crate::config_check`]).
    diagnostics: Vec<String>,
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

/// The largest `dos.toml` read; a configuration is a few KiB.
pub const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// Read the bytes of a configuration file, bounded: `Ok(None)` when it does
/// not exist; a FIFO (never opened blocking), device, directory or oversized
/// file is an error naming it.
pub fn read_config_bytes(path: &Path) -> Result<Option<Vec<u8>>, ConfigError> {
    match crate::safe_fs::read_regular(path, MAX_CONFIG_BYTES) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(match crate::safe_fs::refusal(e) {
            Ok(SafeFsError::NotRegular { kind, .. }) => ConfigError::Unusable {
                path: path.to_path_buf(),
                reason: format!("it is {kind}, not a regular file"),
            },
            Ok(SafeFsError::TooLarge { size, cap, .. }) => ConfigError::Unusable {
                path: path.to_path_buf(),
                reason: format!("it is {size} bytes, above the {cap}-byte limit for a configuration file"),
            },
            Ok(other) => ConfigError::Unusable {
                path: path.to_path_buf(),
                reason: other.to_string(),
            },
            Err(source) => ConfigError::Read {
                path: path.to_path_buf(),
                source,
            },
        }),
    }
}

impl Config {
    /// Read `path`; a missing file is an empty configuration.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let Some(bytes) = read_config_bytes(path)? else {
            return Ok(Config::default());
        };
        let text = String::from_utf8(bytes).map_err(|e| ConfigError::Read {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        })?;
        Config::parse(&text, path)
    }

    /// Parse TOML text that came from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let table: Table = text.parse().map_err(|e: toml::de::Error| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim().replace('\n', " "),
        })?;
        let diagnostics =
            crate::config_check::check(text, &table, path, &crate::config_check::PLUGIN_GROUP_TABLES);
        Ok(Config {
            table,
            path: Some(path.to_path_buf()),
            text: Some(text.into()),
            diagnostics,
        })
    }

    /// Warnings about unknown tables and keys (file, line, nearest name).
    pub fn diagnostics(&self) -> &[String] {
        &self.diagnostics
    }

    /// Print the diagnostics to stderr, once per process (commands call this
    /// when they open the workspace; hooks never do).
    pub fn warn_once(&self) {
        use std::sync::atomic::{AtomicBool, Ordering};
        static WARNED: AtomicBool = AtomicBool::new(false);
        if self.diagnostics.is_empty() || WARNED.swap(true, Ordering::SeqCst) {
            return;
        }
        for d in &self.diagnostics {
            eprintln!("{d}");
        }
    }

    /// A type error for `table.key`, naming its line when the text shows it.
    fn type_error(
        &self,
        table: &str,
        key: Option<&str>,
        expected: &'static str,
        found: &'static str,
    ) -> ConfigError {
        let full = match key {
            Some(k) => format!("{table}.{k}"),
            None => table.to_string(),
        };
        let line = self.text.as_deref().and_then(|t| match key {
            Some(k) => crate::config_check::key_line(t, table, k),
            None => crate::config_check::table_line(t, table),
        });
        match (line, &self.path) {
            (Some(line), Some(path)) => ConfigError::TypeAt {
                path: path.clone(),
                line,
                key: full,
                expected,
                found,
            },
            _ => ConfigError::Type {
                key: full,
                expected,
                found,
            },
        }
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
            Some(other) => Err(self.type_error(key, None, "a table", kind(other))),
        }
    }

    /// A nested table `[outer.inner]`, if present.
    pub fn subtable(&self, outer: &str, inner: &str) -> Result<Option<&Table>, ConfigError> {
        match self.table(outer)?.and_then(|t| t.get(inner)) {
            None => Ok(None),
            Some(Value::Table(t)) => Ok(Some(t)),
            Some(other) => Err(self.type_error(outer, Some(inner), "a table", kind(other))),
        }
    }

    /// A string `[table] key`.
    pub fn string(&self, table: &str, key: &str) -> Result<Option<&str>, ConfigError> {
        match self.table(table)?.and_then(|t| t.get(key)) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.type_error(table, Some(key), "a string", kind(other))),
        }
    }

    /// A non-negative integer `[table] key`.
    pub fn uint(&self, table: &str, key: &str) -> Result<Option<u64>, ConfigError> {
        match self.table(table)?.and_then(|t| t.get(key)) {
            None => Ok(None),
            Some(Value::Integer(i)) if *i >= 0 => Ok(Some(*i as u64)),
            Some(other) => Err(self.type_error(
                table,
                Some(key),
                "a non-negative integer",
                if matches!(other, Value::Integer(_)) {
                    "a negative integer"
                } else {
                    kind(other)
                },
            )),
        }
    }

    /// A boolean `[table] key`.
    pub fn boolean(&self, table: &str, key: &str) -> Result<Option<bool>, ConfigError> {
        match self.table(table)?.and_then(|t| t.get(key)) {
            None => Ok(None),
            Some(Value::Boolean(b)) => Ok(Some(*b)),
            Some(other) => Err(self.type_error(table, Some(key), "a boolean", kind(other))),
        }
    }

    /// A list of strings `[table] key` (a single string counts as a list of one).
    pub fn strings(&self, table: &str, key: &str) -> Result<Option<Vec<String>>, ConfigError> {
        match self.table(table)?.and_then(|t| t.get(key)) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(self.type_error(table, Some(key), "an array of strings", kind(other))),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(self.type_error(table, Some(key), "an array of strings", kind(other))),
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
            "dos.toml:2: `plugins.call_timeout_ms` must be a non-negative integer, found a string"
        );
        let e = c.strings("plugins", "paths").unwrap_err().to_string();
        assert_eq!(
            e,
            "dos.toml:3: `plugins.paths` must be an array of strings, found an integer"
        );
        let e = cfg("x = 1\nplugins = 3\n")
            .table("plugins")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "dos.toml:2: `plugins` must be a table, found an integer");
        assert_eq!(
            cfg("[pathz]\n").diagnostics(),
            ["warning: dos.toml:1: unknown table `[pathz]` (did you mean `paths`?) — it is ignored"]
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
