//! The workspace `.env` reader every reference driver shares, and the
//! setting ladder built on it (explicit value › process env › `.env`).

use dos_py::text::{py_splitlines, py_strip};
use std::collections::HashMap;
use std::path::Path;

/// Why a `.env` file could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotenvError(pub String);

impl std::fmt::Display for DotenvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DotenvError {}

/// Parse `.env` text the reference's way: strip each line; skip blanks,
/// `#` comments and lines without `=`; split at the first `=`; strip the key;
/// strip the value, then trim every leading/trailing `"`, then every `'`.
/// Later duplicates win; no `export ` prefix or inline-comment handling.
pub fn parse(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for line in py_splitlines(text) {
        let line = py_strip(line);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = py_strip(value).trim_matches('"').trim_matches('\'');
        out.insert(py_strip(key).to_string(), value.to_string());
    }
    out
}

/// Read `<root>/.env`. Missing or unreadable → empty; invalid UTF-8 is an
/// error naming the file (the reference raises there too).
pub fn load(root: &Path) -> Result<HashMap<String, String>, DotenvError> {
    let path = root.join(".env");
    match std::fs::read(&path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok(parse(&text)),
            Err(e) => Err(DotenvError(format!(
                "{} is not valid UTF-8 (invalid byte at offset {})",
                path.display(),
                e.utf8_error().valid_up_to()
            ))),
        },
        Err(_) => Ok(HashMap::new()),
    }
}

/// The first non-empty value of `key` in the process environment, then in
/// `<root>/.env`.
pub fn lookup(root: &Path, key: &str) -> Result<Option<String>, DotenvError> {
    if let Ok(v) = std::env::var(key) {
        if !v.is_empty() {
            return Ok(Some(v));
        }
    }
    Ok(load(root)?.remove(key).filter(|v| !v.is_empty()))
}

/// One rung ladder: the explicit value › `env(key)` (the process
/// environment, injectable for tests) › the workspace `.env` from
/// `dotenv_file` (called only when needed, as the reference does). Empty
/// values fall through. Since 1.2.0.
pub fn resolve_setting(
    explicit: Option<&str>,
    key: &str,
    env: &dyn Fn(&str) -> Option<String>,
    dotenv_file: &dyn Fn() -> Result<HashMap<String, String>, DotenvError>,
) -> Result<Option<String>, DotenvError> {
    if let Some(v) = explicit.filter(|v| !v.is_empty()) {
        return Ok(Some(v.to_string()));
    }
    if let Some(v) = env(key).filter(|v| !v.is_empty()) {
        return Ok(Some(v));
    }
    Ok(dotenv_file()?.remove(key).filter(|v| !v.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_the_reference() {
        let text = "# c\n\nA=1\n B = \"two\" \nC='three'\nD=\"'h2'\" # c\nnoeq\nexport E=5\nA=last\n";
        let map = parse(text);
        assert_eq!(map.get("A").map(String::as_str), Some("last"));
        assert_eq!(map.get("B").map(String::as_str), Some("two"));
        assert_eq!(map.get("C").map(String::as_str), Some("three"));
        assert_eq!(map.get("D").map(String::as_str), Some("h2'\" # c"));
        assert_eq!(map.get("export E").map(String::as_str), Some("5"));
        assert!(!map.contains_key("noeq"));
        // Python's splitlines()/strip(): \f, lone \r, U+2028 break lines;
        // U+001F is stripped.
        let map = parse("A=1\x0cB=2\rC=\x1f3\x1f\u{2028}D=4");
        let got: Vec<(&str, &str)> = ["A", "B", "C", "D"]
            .iter()
            .map(|k| (*k, map.get(*k).map_or("-", String::as_str)))
            .collect();
        assert_eq!(got, [("A", "1"), ("B", "2"), ("C", "3"), ("D", "4")]);
    }

    #[test]
    fn ladder_table() {
        // (explicit, env, .env, expected)
        type Row<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>, Option<&'a str>);
        let table: &[Row] = &[
            (Some("flag"), Some("env"), Some("dot"), Some("flag")),
            (Some(""), Some("env"), Some("dot"), Some("env")),
            (None, Some(""), Some("dot"), Some("dot")),
            (None, None, Some("dot"), Some("dot")),
            (None, None, Some(""), None),
            (None, None, None, None),
        ];
        for (explicit, env, dot, expected) in table {
            let env_val = env.map(str::to_string);
            let dot_val = dot.map(str::to_string);
            let got = resolve_setting(*explicit, "K", &|_| env_val.clone(), &|| {
                Ok(dot_val.iter().map(|v| ("K".to_string(), v.clone())).collect())
            });
            assert_eq!(
                got,
                Ok(expected.map(str::to_string)),
                "{explicit:?} {env:?} {dot:?}"
            );
        }
        // The .env is not read when an earlier rung answers (a broken file is harmless then).
        let broken = || Err(DotenvError("bad".into()));
        assert_eq!(
            resolve_setting(None, "K", &|_| Some("env".into()), &broken),
            Ok(Some("env".into()))
        );
        assert!(resolve_setting(None, "K", &|_| None, &broken).is_err());
    }
}
