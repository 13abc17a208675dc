//! The few `dos.toml` tables the hooks read, with the reference's coercions
//! (Python `int()`, truthiness) and its fallbacks. Only the tables a verb
//! needs are looked at, and the file is not parsed at all when none of them
//! is mentioned in it (the common case), which keeps the hook path cheap.
//!
//! Two kinds of problem: a *value* error (e.g. `repeat_n = 0`, a TOML syntax
//! error) warns on stderr and keeps the defaults, as the reference does; a
//! *type* error (e.g. `repeat_n = [1]`, where the reference crashes) makes the
//! hook stand down: no output, exit 0, the reason on stderr.

use super::marker::MarkerPolicy;
use super::tool_stream::StreamPolicy;
use dos_py::int::py_int;
use dos_py::repr::{float_repr, str_repr as repr};
use dos_py::toml_value::{toml_repr as value_repr, toml_truthy as truthy};
use std::path::{Path, PathBuf};
use toml::{Table, Value};

/// A table that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableError {
    /// Warn and keep the defaults.
    Value(String),
    /// Stand down (the hook emits nothing).
    Type(String),
}

/// The workspace's `dos.toml`, read once and parsed lazily.
#[derive(Debug, Default)]
pub struct HookConfig {
    path: PathBuf,
    text: Option<String>,
    parsed: Option<Result<Table, String>>,
    /// Why the file could not be used (a FIFO, too large…), for `--debug`.
    unusable: Option<String>,
}

impl HookConfig {
    /// Read `<root>/dos.toml` (missing or unreadable = empty).
    pub fn load(root: &Path) -> HookConfig {
        let path = root.join("dos.toml");
        // Bounded and FIFO-safe; unusable = empty, as unreadable always was.
        let (bytes, unusable) = match crate::config::read_config_bytes(&path) {
            Ok(b) => (b, None),
            Err(e) => (None, Some(e.to_string())),
        };
        let text = bytes
            .and_then(|b| String::from_utf8(b).ok())
            .map(|t| t.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(t));
        HookConfig {
            path,
            text,
            parsed: None,
            unusable,
        }
    }

    /// Under `--debug`, say why the file was not used and which of its
    /// tables and keys are unknown (file, line, nearest name). Parses the
    /// file only when debugging.
    pub fn say_notes(&mut self, dbg: &super::io::Debug) {
        if !dbg.on {
            return;
        }
        if let Some(why) = &self.unusable {
            dbg.say(&format!("dos.toml not used: {why}"));
        }
        if let Some(Ok(table)) = self.parse() {
            let text = self.text.as_deref().unwrap_or("");
            for note in crate::config_check::check(
                text,
                &table,
                &self.path,
                &crate::config_check::PLUGIN_GROUP_TABLES,
            ) {
                dbg.say(&note);
            }
        }
    }

    fn parse(&mut self) -> Option<Result<Table, String>> {
        let text = self.text.as_ref()?;
        Some(
            self.parsed
                .get_or_insert_with(|| {
                    text.parse::<Table>()
                        .map_err(|e| e.message().trim().replace('\n', " "))
                })
                .clone(),
        )
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The top-level table `name`: `Ok(None)` when absent. Parses the file
    /// only if its text mentions `name`.
    pub fn table(&mut self, name: &str) -> Result<Option<Table>, TableError> {
        let Some(text) = &self.text else {
            return Ok(None);
        };
        if !text.contains(name) {
            return Ok(None);
        }
        let parsed = self.parsed.get_or_insert_with(|| {
            text.parse::<Table>()
                .map_err(|e| e.message().trim().replace('\n', " "))
        });
        match parsed {
            Err(msg) => Err(TableError::Value(msg.clone())),
            Ok(t) => match t.get(name) {
                None => Ok(None),
                Some(Value::Table(t)) => Ok(Some(t.clone())),
                Some(other) => Err(TableError::Type(format!(
                    "[{name}] must be a table, found {}",
                    other.type_str()
                ))),
            },
        }
    }

    /// The stderr line for a table error (the reference's wording for value
    /// errors).
    pub fn describe(&self, label: &str, e: &TableError) -> String {
        let root = self.path.parent().unwrap_or(Path::new(""));
        match e {
            TableError::Value(m) => format!(
                "warning: ignoring malformed [{label}] in {}/dos.toml: {m}",
                root.display()
            ),
            TableError::Type(m) => format!(
                "error: malformed [{label}] in {}/dos.toml: {m} — the hook stands down (no output)",
                root.display()
            ),
        }
    }
}

/// Python `int(value)` for a TOML value.
pub fn py_int_value(key: &str, v: &Value) -> Result<i64, TableError> {
    match v {
        Value::Integer(i) => Ok(*i),
        Value::Boolean(b) => Ok(*b as i64),
        Value::Float(f) if f.is_nan() => Err(TableError::Value("cannot convert float NaN to integer".into())),
        Value::Float(f) if f.is_infinite() => Err(TableError::Value(
            "cannot convert float infinity to integer".into(),
        )),
        Value::Float(f) => Ok(f.trunc() as i64),
        Value::String(s) => py_int(s)
            .ok_or_else(|| TableError::Value(format!("invalid literal for int() with base 10: {}", repr(s)))),
        other => Err(TableError::Type(format!(
            "{key} must be an integer, found {}",
            other.type_str()
        ))),
    }
}


/// `[tool_stream]` → policy (a present non-empty table replaces the whole
/// policy; missing keys take defaults).
pub fn stream_policy(table: Option<&Table>) -> Result<StreamPolicy, TableError> {
    let Some(t) = table.filter(|t| !t.is_empty()) else {
        return Ok(StreamPolicy::default());
    };
    let d = StreamPolicy::default();
    let repeat_n = t
        .get("repeat_n")
        .map(|v| py_int_value("repeat_n", v))
        .transpose()?
        .unwrap_or(d.repeat_n);
    let stall_n = t
        .get("stall_n")
        .map(|v| py_int_value("stall_n", v))
        .transpose()?
        .unwrap_or(d.stall_n);
    let ignore = match t.get("ignore_tools") {
        None => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(other) => {
            return Err(TableError::Type(format!(
                "ignore_tools must be a list of tool names, found {}",
                other.type_str()
            )))
        }
    };
    StreamPolicy::new(repeat_n, stall_n, ignore).map_err(TableError::Value)
}

/// `[marker]` → policy (a present table overrides only the keys it names).
pub fn marker_policy(table: Option<&Table>) -> Result<MarkerPolicy, TableError> {
    let mut p = MarkerPolicy::default();
    let Some(t) = table else {
        return Ok(p);
    };
    if let Some(v) = t.get("max_streak") {
        let n = py_int_value("max_streak", v)?;
        if n < 0 {
            return Err(TableError::Value("max_streak must be non-negative".into()));
        }
        p.max_streak = n;
    }
    match t.get("arm_on_env") {
        Some(Value::String(s)) => {
            p.arm_on_env = [s.trim()]
                .into_iter()
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect()
        }
        Some(Value::Array(items)) => {
            p.arm_on_env = items
                .iter()
                .filter_map(Value::as_str)
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect()
        }
        _ => {}
    }
    if let Some(v) = t.get("respect_stop_hook_active") {
        p.respect_stop_hook_active = truthy(v);
    }
    Ok(p)
}

/// `[exec_capability] extra`: a list of names or one comma-separated string.
pub fn exec_extra(table: Option<&Table>) -> Vec<String> {
    match table.and_then(|t| t.get("extra")) {
        Some(Value::String(s)) => super::exec_capability::parse_extra(s),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .flat_map(super::exec_capability::parse_extra)
            .collect(),
        _ => Vec::new(),
    }
}

/// The `[overlap]` settings the PRE admission uses.
#[derive(Debug, Clone, PartialEq)]
pub struct OverlapConfig {
    /// The soft-overlap tolerance in (0, 1] (default ⅓).
    pub ratio_max: f64,
    /// The scorer name (`prefix` is the only built-in; no plugins exist).
    pub policy: String,
}

impl Default for OverlapConfig {
    fn default() -> Self {
        OverlapConfig {
            ratio_max: 1.0 / 3.0,
            policy: "prefix".into(),
        }
    }
}

/// Python `float(v)` of a TOML value (`None` where Python raises).
fn py_float(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Boolean(b) => Some(f64::from(u8::from(*b))),
        Value::String(s) => {
            let t = dos_py::text::py_strip(s);
            let lower = t.to_ascii_lowercase();
            let body = lower.trim_start_matches(['+', '-']);
            if matches!(body, "inf" | "infinity" | "nan") {
                return lower.parse::<f64>().ok();
            }
            if t.starts_with('_') || t.ends_with('_') || t.contains("__") {
                return None;
            }
            t.replace('_', "").parse::<f64>().ok()
        }
        _ => None,
    }
}

/// `[overlap]` → settings (the reference's `load_overlap_from_toml`): an
/// absent or empty table keeps the defaults; an unknown key or a `ratio_max`
/// that is not a number in (0, 1] is a value error (warn, keep defaults).
/// `policy` is Python `str()` of whatever is there.
pub fn overlap(table: Option<&Table>) -> Result<OverlapConfig, TableError> {
    let mut out = OverlapConfig::default();
    let Some(t) = table.filter(|t| !t.is_empty()) else {
        return Ok(out);
    };
    let mut unknown: Vec<&str> = t
        .keys()
        .map(String::as_str)
        .filter(|k| !matches!(*k, "ratio_max" | "policy"))
        .collect();
    if !unknown.is_empty() {
        unknown.sort_unstable();
        return Err(TableError::Value(format!(
            "unknown [overlap] key(s): {} (allowed: policy, ratio_max)",
            unknown.join(", ")
        )));
    }
    if let Some(raw) = t.get("ratio_max") {
        let r = py_float(raw).ok_or_else(|| {
            TableError::Value(format!(
                "[overlap] ratio_max must be a number, got {}",
                value_repr(raw)
            ))
        })?;
        if !(r > 0.0 && r <= 1.0) {
            return Err(TableError::Value(format!(
                "[overlap] ratio_max must be in (0, 1], got {}",
                float_repr(r)
            )));
        }
        out.ratio_max = r;
    }
    if let Some(p) = t.get("policy") {
        out.policy = match p {
            Value::String(s) => s.clone(),
            other => value_repr(other),
        };
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        text.parse::<Table>().unwrap()
    }

    #[test]
    fn overlap_table() {
        let ok = |t: &str| overlap(Some(&table(t)));
        assert_eq!(ok(""), Ok(OverlapConfig::default()));
        assert_eq!(ok("ratio_max = 0.25").unwrap().ratio_max, 0.25);
        assert_eq!(ok("ratio_max = \"0.5\"").unwrap().ratio_max, 0.5);
        assert_eq!(ok("ratio_max = 1").unwrap().ratio_max, 1.0);
        assert_eq!(ok("policy = \"prefix\"").unwrap().policy, "prefix");
        assert_eq!(ok("policy = 5").unwrap().policy, "5");
        assert_eq!(
            ok("ratio_max = 2"),
            Err(TableError::Value(
                "[overlap] ratio_max must be in (0, 1], got 2.0".into()
            ))
        );
        assert_eq!(
            ok("ratio_max = \"x\""),
            Err(TableError::Value(
                "[overlap] ratio_max must be a number, got 'x'".into()
            ))
        );
        assert_eq!(
            ok("zeta = 1\nalpha = 2"),
            Err(TableError::Value(
                "unknown [overlap] key(s): alpha, zeta (allowed: policy, ratio_max)".into()
            ))
        );
    }

    #[test]
    fn stream_policy_table() {
        let ok = |t: &str| stream_policy(Some(&table(t))).map(|p| (p.repeat_n, p.stall_n));
        assert_eq!(ok(""), Ok((3, 5)));
        assert_eq!(ok("repeat_n = 2\nstall_n = 3"), Ok((2, 3)));
        assert_eq!(ok("repeat_n = 2.9\nstall_n = 3"), Ok((2, 3)));
        assert_eq!(
            ok("repeat_n = \"2\"\nstall_n = true"),
            Err(TableError::Value(
                "stall_n (1) must be >= repeat_n (2) — STALLED is strictly more repetition than REPEATING"
                    .into()
            ))
        );
        assert_eq!(
            ok("repeat_n = 0"),
            Err(TableError::Value("repeat_n must be >= 1".into()))
        );
        assert_eq!(
            ok("repeat_n = \"abc\""),
            Err(TableError::Value(
                "invalid literal for int() with base 10: 'abc'".into()
            ))
        );
        assert!(matches!(ok("repeat_n = [1]"), Err(TableError::Type(_))));
        assert!(matches!(ok("ignore_tools = 5"), Err(TableError::Type(_))));
        let p = stream_policy(Some(&table("ignore_tools = \"Bash\""))).unwrap();
        assert_eq!(p.ignore_tools, vec!["bash"]);
    }

    #[test]
    fn marker_policy_table() {
        let get = |t: &str| marker_policy(Some(&table(t)));
        assert_eq!(get("max_streak = true").unwrap().max_streak, 1);
        assert_eq!(
            get("max_streak = -1"),
            Err(TableError::Value("max_streak must be non-negative".into()))
        );
        assert!(matches!(get("max_streak = [1]"), Err(TableError::Type(_))));
        assert_eq!(
            get("arm_on_env = [\"  \", \" MY_LOOP \", 5]").unwrap().arm_on_env,
            vec!["MY_LOOP"]
        );
        assert_eq!(
            get("arm_on_env = 5").unwrap().arm_on_env,
            vec!["DOS_LOOP", "CID_RUN_ID"]
        );
        assert!(get("arm_on_env = []").unwrap().arm_on_env.is_empty());
        assert!(
            !get("respect_stop_hook_active = \"\"")
                .unwrap()
                .respect_stop_hook_active
        );
    }
}
