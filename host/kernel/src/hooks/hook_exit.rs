//! A plain shell hook's exit code → an intervention verb (pure), and the
//! `--map CODE=VERB,…` grammar.

use dos_py::int::{parse_int, PyInt};
use dos_py::repr::str_repr as repr;
use std::collections::BTreeMap;

/// The intervention verbs a mapping may name.
pub const VERBS: &[&str] = &["OBSERVE", "WARN", "BLOCK", "DEFER"];

/// A bad `--map` entry (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    /// No `=`.
    #[error("--map entry {} must be CODE=VERB (e.g. 3=DEFER)", repr(.0))]
    NoEquals(String),
    /// Bad code or verb.
    #[error("--map entry {}: CODE must be an integer and VERB one of OBSERVE/WARN/BLOCK/DEFER", repr(.0))]
    Bad(String),
}

/// Parse `--map`: entries split on `,`, trimmed, blanks dropped; later
/// entries win; merged over the default `{2: BLOCK}`.
pub fn parse_map(spec: Option<&str>) -> Result<BTreeMap<PyInt, String>, MapError> {
    let mut map = BTreeMap::new();
    map.insert(PyInt::from(2), "BLOCK".to_string());
    for entry in spec
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let Some((code, verb)) = entry.split_once('=') else {
            return Err(MapError::NoEquals(entry.into()));
        };
        let code = parse_int(code).ok_or_else(|| MapError::Bad(entry.into()))?;
        let verb = verb.trim().to_uppercase();
        if !VERBS.contains(&verb.as_str()) {
            return Err(MapError::Bad(entry.into()));
        }
        map.insert(code, verb);
    }
    Ok(map)
}

/// The classification of one exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitVerdict {
    /// The code.
    pub code: PyInt,
    /// The verb (`None` = PASS).
    pub intervention: Option<String>,
    /// Whether the code was declared (0 always counts).
    pub matched: bool,
    /// Why.
    pub reason: String,
}

impl ExitVerdict {
    /// `PASS` or the verb.
    pub fn token(&self) -> &str {
        self.intervention.as_deref().unwrap_or("PASS")
    }

    /// The CLI exit code: PASS 0, BLOCK 3, WARN 4, DEFER 5, OBSERVE 6.
    pub fn exit_code(&self) -> i32 {
        match self.intervention.as_deref() {
            None => 0,
            Some("BLOCK") => 3,
            Some("WARN") => 4,
            Some("DEFER") => 5,
            Some("OBSERVE") => 6,
            Some(_) => 7,
        }
    }
}

/// Classify `code` under `map`.
pub fn classify(code: PyInt, map: &BTreeMap<PyInt, String>) -> ExitVerdict {
    if code.is_zero() {
        return ExitVerdict {
            intervention: None,
            matched: true,
            reason: format!("exit {code} — the hook script approved; proceed (no intervention)"),
            code,
        };
    }
    match map.get(&code) {
        Some(verb) => {
            let tail = if code == PyInt::from(2) && verb == "BLOCK" {
                " — CC's blocking-error code"
            } else {
                ""
            };
            ExitVerdict {
                reason: format!("exit {code} → {verb} (a declared hook-exit mapping{tail})"),
                code,
                intervention: Some(verb.clone()),
                matched: true,
            }
        }
        None => ExitVerdict {
            reason: format!("exit {code} → WARN (a non-zero code with no declared mapping — the fail-safe fallback: inform, never silently pass or block)"),
            code,
            intervention: Some("WARN".into()),
            matched: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dos_py::int::py_int;

    #[test]
    fn exit_table() {
        let table: &[(i64, Option<&str>, &str, i32)] = &[
            (0, None, "PASS", 0),
            (2, None, "BLOCK", 3),
            (1, None, "WARN", 4),
            (3, Some("3=DEFER"), "DEFER", 5),
            (4, Some("4=observe"), "OBSERVE", 6),
            (2, Some("2=WARN"), "WARN", 4),
            (0, Some("0=BLOCK"), "PASS", 0),
            (5, Some("5=BLOCK"), "BLOCK", 3),
            (3, Some(" 3 = defer "), "DEFER", 5),
            (3, Some("+3=BLOCK"), "BLOCK", 3),
            (3, Some("3=DEFER,3=BLOCK"), "BLOCK", 3),
            (3, Some(",,"), "WARN", 4),
        ];
        for (code, map, token, exit) in table {
            let v = classify(PyInt::from(*code), &parse_map(*map).unwrap());
            assert_eq!((v.token(), v.exit_code()), (*token, *exit), "{code} {map:?}");
        }
        assert_eq!(
            classify(PyInt::from(2), &parse_map(None).unwrap()).reason,
            "exit 2 → BLOCK (a declared hook-exit mapping — CC's blocking-error code)"
        );
    }

    #[test]
    fn map_errors() {
        assert_eq!(
            parse_map(Some("3")).unwrap_err().to_string(),
            "--map entry '3' must be CODE=VERB (e.g. 3=DEFER)"
        );
        for bad in ["3=NOPE", "3=DEFER=X", "3=pass", "x=BLOCK"] {
            assert_eq!(
                parse_map(Some(bad)).unwrap_err().to_string(),
                format!(
                    "--map entry '{bad}': CODE must be an integer and VERB one of OBSERVE/WARN/BLOCK/DEFER"
                )
            );
        }
    }

    #[test]
    fn python_int_literals() {
        assert_eq!(py_int("1_0"), Some(10));
        assert_eq!(py_int(" 2"), Some(2));
        assert_eq!(py_int("-1"), Some(-1));
        assert_eq!(py_int("٣"), Some(3));
        assert_eq!(py_int("1__0"), None);
        assert_eq!(py_int("abc"), None);
        assert_eq!(py_int("9223372036854775808"), None);
    }

    #[test]
    fn big_int_literals_keep_every_digit() {
        let big = |t: &str| parse_int(t).map(|p| p.to_string());
        assert_eq!(big("9223372036854775808").as_deref(), Some("9223372036854775808"));
        assert_eq!(
            big(" -0009_223_372_036_854_775_809").as_deref(),
            Some("-9223372036854775809")
        );
        assert_eq!(big("-0").as_deref(), Some("0"));
        assert_eq!(big(&"1".repeat(4300)).map(|s| s.len()), Some(4300));
        assert_eq!(big(&"1".repeat(4301)), None);
        let v = classify(
            parse_int("18446744073709551616").unwrap(),
            &parse_map(Some("18446744073709551616=DEFER")).unwrap(),
        );
        assert_eq!((v.token(), v.exit_code()), ("DEFER", 5));
    }
}
