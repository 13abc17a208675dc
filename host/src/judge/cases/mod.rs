//! Labelled judge-eval cases from a JSONL file (reference:
//! `dos.cli._load_judge_cases`): one JSON object per line with
//! `claim_text`, `truth` and optional `stated_reason`, `evidence`,
//! `subject`; blank lines and `#` comments are skipped.
//!
//! Fixes over the reference (each bad input is an error naming the line,
//! never a crash or a silent mis-read):
//! * `truth` is a real boolean: `"false"`, `"no"`, `"0"` are false (the
//!   reference's Python truthiness made the string `"false"` TRUE); an
//!   unrecognised string, a list or an object is an error;
//! * a string `evidence` is one item (the reference split it into characters);
//! * a line that is valid JSON but not an object is an error naming the line
//!   (the reference crashed on a bare number).

use dos_plugin_api::Claim;
use serde_json::{Map, Value};

/// One labelled claim: what was claimed, and whether it was in fact true.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Case {
    /// The claim the judge rules on.
    pub claim: Claim,
    /// Ground truth: the claim is real (`true`) or a lie (`false`).
    pub truth: bool,
}

impl Case {
    /// A case with only a claim text and its ground truth.
    #[cfg(test)]
    pub(crate) fn labelled(claim_text: &str, truth: bool) -> Case {
        Case {
            claim: Claim {
                claim_text: claim_text.into(),
                ..Claim::default()
            },
            truth,
        }
    }
}

/// Why a cases file cannot be used (rendered as `error: …`, exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CasesError {
    /// The file cannot be read (Python's `[Errno N] msg: 'path'` shape).
    #[error("{0}")]
    Io(String),
    /// A line is not UTF-8.
    #[error("{path}:{line}: not valid UTF-8 (byte 0x{byte:02x} at byte {offset} of the line)")]
    Utf8 {
        /// The path as given.
        path: String,
        /// 1-based line number.
        line: usize,
        /// The first offending byte.
        byte: u8,
        /// Its 0-based offset within the line.
        offset: usize,
    },
    /// A line is not JSON.
    #[error("{path}:{line}: not valid JSON ({message})")]
    Json {
        /// The path as given.
        path: String,
        /// 1-based line number.
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// A line is JSON but not an object.
    #[error("{path}:{line}: each case needs 'claim_text' and 'truth' (got {found}, not a JSON object)")]
    NotObject {
        /// The path as given.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What it was (`a number`).
        found: &'static str,
    },
    /// An object without `claim_text` or `truth`.
    #[error("{path}:{line}: each case needs 'claim_text' and 'truth' (got keys: {keys})")]
    MissingKeys {
        /// The path as given.
        path: String,
        /// 1-based line number.
        line: usize,
        /// The sorted keys, as a Python list repr.
        keys: String,
    },
    /// A field has a value that cannot mean what the field needs.
    #[error("{path}:{line}: '{key}' {problem}")]
    Field {
        /// The path as given.
        path: String,
        /// 1-based line number.
        line: usize,
        /// The field.
        key: &'static str,
        /// What is wrong (`must be true or false (got the string 'maybe')`).
        problem: String,
    },
}

use dos_py::repr::str_repr as py_repr;

/// What a JSON value is, in words.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Python's `str()` of a JSON scalar; `None` for a list or an object.
fn py_str(v: &Value) -> Option<String> {
    match v {
        Value::Array(_) | Value::Object(_) => None,
        scalar => Some(dos_py::value::json_str(scalar)),
    }
}

/// `truth` as a boolean: JSON booleans, numbers (non-zero = true), null
/// (false) and the strings true/false/yes/no/1/0 (any case, trimmed; `""`
/// is false). Anything else is unusable.
pub(crate) fn truth_of(v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Null => Ok(false),
        Value::Number(n) => Ok(n.as_f64().is_some_and(|f| f != 0.0)),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(true),
            "false" | "no" | "0" | "" => Ok(false),
            _ => Err(format!("must be true or false (got the string {})", py_repr(s))),
        },
        other => Err(format!("must be true or false (got {})", kind(other))),
    }
}

/// `evidence` as a list of lines: absent/null → none; a string → that one
/// line; a list → each scalar item as text. Anything else is unusable.
pub(crate) fn evidence_of(v: Option<&Value>) -> Result<Vec<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(if s.is_empty() { Vec::new() } else { vec![s.clone()] }),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                py_str(item).ok_or_else(|| format!("item {i} must be text (got {})", kind(item)))
            })
            .collect(),
        Some(other) => Err(format!("must be a list of strings (got {})", kind(other))),
    }
}

/// Parse one non-blank, non-comment line (already trimmed).
pub(crate) fn parse_line(path: &str, line: usize, text: &str) -> Result<Case, CasesError> {
    let value: Value = serde_json::from_str(text).map_err(|e| CasesError::Json {
        path: path.into(),
        line,
        message: e.to_string(),
    })?;
    let Value::Object(obj) = value else {
        return Err(CasesError::NotObject {
            path: path.into(),
            line,
            found: kind(&value),
        });
    };
    let (Some(claim_text), Some(truth)) = (obj.get("claim_text"), obj.get("truth")) else {
        let keys: Vec<String> = {
            let mut k: Vec<&String> = obj.keys().collect();
            k.sort();
            k.into_iter().map(|s| py_repr(s)).collect()
        };
        return Err(CasesError::MissingKeys {
            path: path.into(),
            line,
            keys: format!("[{}]", keys.join(", ")),
        });
    };
    let field_err = |key: &'static str, problem: String| CasesError::Field {
        path: path.into(),
        line,
        key,
        problem,
    };
    let text_field = |key: &'static str, obj: &Map<String, Value>| -> Result<String, CasesError> {
        match obj.get(key) {
            None => Ok(String::new()),
            Some(v) => py_str(v).ok_or_else(|| field_err(key, format!("must be text (got {})", kind(v)))),
        }
    };
    let claim_text = py_str(claim_text)
        .ok_or_else(|| field_err("claim_text", format!("must be text (got {})", kind(claim_text))))?;
    let truth = truth_of(truth).map_err(|p| field_err("truth", p))?;
    let evidence = evidence_of(obj.get("evidence")).map_err(|p| field_err("evidence", p))?;
    Ok(Case {
        claim: Claim {
            claim_text,
            stated_reason: text_field("stated_reason", &obj)?,
            evidence,
            subject: text_field("subject", &obj)?,
        },
        truth,
    })
}

/// Parse a whole cases file's bytes. `path` is the path as the user gave it.
pub(crate) fn parse(path: &str, bytes: &[u8]) -> Result<Vec<Case>, CasesError> {
    let mut cases = Vec::new();
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = i + 1;
        let text = std::str::from_utf8(raw).map_err(|e| CasesError::Utf8 {
            path: path.into(),
            line,
            byte: raw[e.valid_up_to()],
            offset: e.valid_up_to(),
        })?;
        let s = text.trim();
        if s.is_empty() || s.starts_with('#') {
            continue;
        }
        cases.push(parse_line(path, line, s)?);
    }
    Ok(cases)
}

/// Python's rendering of an OS error: `[Errno 2] No such file or directory: 'x'`.
pub(crate) fn io_message(path: &str, e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => {
            let text = e.to_string();
            let strerror = text
                .strip_suffix(&format!(" (os error {n})"))
                .unwrap_or(&text)
                .to_string();
            format!("[Errno {n}] {strerror}: {}", py_repr(path))
        }
        None => format!("{path}: {e}"),
    }
}

/// Read and parse the cases file at `path`.
pub(crate) fn load(path: &str) -> Result<Vec<Case>, CasesError> {
    let bytes = std::fs::read(path).map_err(|e| CasesError::Io(io_message(path, &e)))?;
    parse(path, &bytes)
}

#[cfg(test)]
mod tests;
