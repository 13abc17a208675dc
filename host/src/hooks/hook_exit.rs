//! A plain shell hook's exit code → an intervention verb (pure), and the
//! `--map CODE=VERB,…` grammar.

use super::pyrepr::repr;
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

/// Parse a Python `int()` literal: surrounding whitespace, a sign, digits
/// with single underscores between them (any Unicode decimal digits).
pub fn py_int(text: &str) -> Option<i64> {
    let t = text.trim();
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return None;
    }
    let mut v: i64 = 0;
    for c in body.chars() {
        if c == '_' {
            continue;
        }
        let d = c.to_digit(10).or_else(|| unicode_decimal(c))? as i64;
        v = v.checked_mul(10)?.checked_add(d)?;
    }
    Some(if neg { -v } else { v })
}

/// The value of a non-ASCII Unicode decimal digit (the common blocks).
fn unicode_decimal(c: char) -> Option<u32> {
    const ZEROS: &[u32] = &[
        0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xDE6, 0xE50,
        0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0xFF10,
    ];
    let u = c as u32;
    ZEROS.iter().find(|z| (**z..**z + 10).contains(&u)).map(|z| u - z)
}

/// Parse `--map`: entries split on `,`, trimmed, blanks dropped; later
/// entries win; merged over the default `{2: BLOCK}`.
pub fn parse_map(spec: Option<&str>) -> Result<BTreeMap<i64, String>, MapError> {
    let mut map = BTreeMap::new();
    map.insert(2, "BLOCK".to_string());
    for entry in spec
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let Some((code, verb)) = entry.split_once('=') else {
            return Err(MapError::NoEquals(entry.into()));
        };
        let code = py_int(code).ok_or_else(|| MapError::Bad(entry.into()))?;
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
    pub code: i64,
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
pub fn classify(code: i64, map: &BTreeMap<i64, String>) -> ExitVerdict {
    if code == 0 {
        return ExitVerdict {
            code,
            intervention: None,
            matched: true,
            reason: format!("exit {code} — the hook script approved; proceed (no intervention)"),
        };
    }
    match map.get(&code) {
        Some(verb) => {
            let tail = if code == 2 && verb == "BLOCK" {
                " — CC's blocking-error code"
            } else {
                ""
            };
            ExitVerdict {
                code,
                intervention: Some(verb.clone()),
                matched: true,
                reason: format!("exit {code} → {verb} (a declared hook-exit mapping{tail})"),
            }
        }
        None => ExitVerdict {
            code,
            intervention: Some("WARN".into()),
            matched: false,
            reason: format!("exit {code} → WARN (a non-zero code with no declared mapping — the fail-safe fallback: inform, never silently pass or block)"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let v = classify(*code, &parse_map(*map).unwrap());
            assert_eq!((v.token(), v.exit_code()), (*token, *exit), "{code} {map:?}");
        }
        assert_eq!(
            classify(2, &parse_map(None).unwrap()).reason,
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
    }
}
