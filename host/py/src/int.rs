//! Python's `int()`: of a string (any size, Unicode decimal digits,
//! underscores, surrounding whitespace, the 4,300-digit limit) and of a
//! decoded JSON value.

use crate::text::is_py_space;
use crate::unicode_tables::DECIMAL_ZEROS;
use serde_json::Value;

/// Python 3.11's default limit on the digits `int()` converts.
pub const MAX_INT_DIGITS: usize = 4300;

/// A Python `int` of any size, as canonical decimal text (`-` sign, no
/// leading zeros, `0` for zero).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PyInt(String);

impl PyInt {
    /// Whether this is zero.
    pub fn is_zero(&self) -> bool {
        self.0 == "0"
    }

    /// The value as `i64`, if it fits.
    pub fn to_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }

    /// The decimal text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as a JSON number when `serde_json` can hold it exactly
    /// (`i64`/`u64`), else `None` (the caller writes the digits itself).
    pub fn json_number(&self) -> Option<Value> {
        if let Some(i) = self.to_i64() {
            return Some(i.into());
        }
        self.0.parse::<u64>().ok().map(Into::into)
    }
}

impl From<i64> for PyInt {
    fn from(v: i64) -> Self {
        PyInt(v.to_string())
    }
}

impl std::fmt::Display for PyInt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why there is no `i64` for a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PyIntError {
    /// Python's `int()` raises `ValueError` / `TypeError` on it.
    #[error("not an integer Python can read")]
    Syntax,
    /// Python reads an integer (or raises `OverflowError`, for ±inf), but
    /// it does not fit an `i64`.
    #[error("integer out of range")]
    Overflow,
}

/// The value of a decimal digit, as `int()` reads it (any Unicode `Nd`).
pub fn decimal_value(c: char) -> Option<u32> {
    if c.is_ascii_digit() {
        return Some(c as u32 - '0' as u32);
    }
    let i = DECIMAL_ZEROS.partition_point(|z| *z <= c);
    let zero = *DECIMAL_ZEROS.get(i.checked_sub(1)?)?;
    let d = c as u32 - zero as u32;
    (d < 10).then_some(d)
}

/// Python's `int(text)` of any size: surrounding whitespace (`str.isspace`
/// but for U+001C..U+001F),
/// an optional sign, decimal digits (any Unicode decimal digits) with single
/// underscores between them, at most 4,300 digits. `None` where Python
/// raises `ValueError`.
pub fn parse_int(text: &str) -> Option<PyInt> {
    // int() strips what `str.isspace` calls space except U+001C..U+001F
    // (CPython reads ASCII with `Py_ISSPACE`).
    let t = text.trim_matches(|c: char| is_py_space(c) && !('\u{1c}'..='\u{1f}').contains(&c));
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return None;
    }
    let mut digits = String::with_capacity(body.len());
    let mut count = 0usize;
    for c in body.chars() {
        if c == '_' {
            continue;
        }
        count += 1;
        let d = decimal_value(c)?;
        if !(digits.is_empty() && d == 0) {
            digits.push(char::from_digit(d, 10)?);
        }
    }
    if count > MAX_INT_DIGITS {
        return None;
    }
    Some(PyInt(match (digits.is_empty(), neg) {
        (true, _) => "0".into(),
        (false, true) => format!("-{digits}"),
        (false, false) => digits,
    }))
}

/// [`parse_int`] as an `i64`, telling a string Python cannot read
/// ([`PyIntError::Syntax`]) from an integer too big for an `i64`.
pub fn py_int_checked(text: &str) -> Result<i64, PyIntError> {
    parse_int(text)
        .ok_or(PyIntError::Syntax)?
        .to_i64()
        .ok_or(PyIntError::Overflow)
}

/// Python's `int(text)` when it fits an `i64`; `None` when Python would
/// raise or the value does not fit.
pub fn py_int(text: &str) -> Option<i64> {
    py_int_checked(text).ok()
}

/// Python's `int(v)` of a decoded JSON value: `bool` as 0/1, an integer as
/// itself, a float truncated (`nan` is a `ValueError`, `±inf` an
/// `OverflowError`), a string as [`parse_int`]; `None`, lists and dicts are
/// a `TypeError` ([`PyIntError::Syntax`]).
pub fn int_value(v: &Value) -> Result<i64, PyIntError> {
    // 2^63 as a float: the first value past the i64 range.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    match v {
        Value::Bool(b) => Ok(i64::from(*b)),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Ok(i),
            (None, Some(_), _) => Err(PyIntError::Overflow),
            (None, None, Some(f)) if f.is_nan() => Err(PyIntError::Syntax),
            (None, None, Some(f)) if f.trunc() < LIMIT && f.trunc() >= -LIMIT => Ok(f.trunc() as i64),
            _ => Err(PyIntError::Overflow),
        },
        Value::String(s) => py_int_checked(s),
        Value::Null | Value::Array(_) | Value::Object(_) => Err(PyIntError::Syntax),
    }
}

/// Python's `int(v or 0)`: a falsy value (or none) is 0, else [`int_value`].
pub fn int_value_or_zero(v: Option<&Value>) -> Result<i64, PyIntError> {
    match v {
        Some(v) if crate::value::truthy(v) => int_value(v),
        _ => Ok(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn py_int_table() {
        // CPython 3.11: int(s), or None where it raises ValueError.
        let table = [
            ("5", Some(5)),
            ("+11", Some(11)),
            (" 7 ", Some(7)),
            ("1_0", Some(10)),
            ("-3", Some(-3)),
            ("0", Some(0)),
            ("007", Some(7)),
            ("-0", Some(0)),
            (" +1_2 \n", Some(12)),
            ("\u{3000}4\u{85}", Some(4)),
            ("\u{1c}7", None),
            ("7\u{1f}", None),
            ("\u{661}\u{662}", Some(12)),
            ("\u{ff13}", Some(3)),
            ("1.5", None),
            ("abc", None),
            ("", None),
            ("1__0", None),
            ("_1", None),
            ("1_", None),
            ("+", None),
            ("- 1", None),
            ("\u{b2}", None), // superscript two: a digit, not a decimal
            ("99999999999999999999999", None),
        ];
        for (s, expected) in table {
            assert_eq!(py_int(s), expected, "{s:?}");
        }
        let checked = [
            ("9223372036854775807", Ok(i64::MAX)),
            ("-9223372036854775808", Ok(i64::MIN)),
            ("9223372036854775808", Err(PyIntError::Overflow)),
            (" -1_000_000_000_000_000_000_000 ", Err(PyIntError::Overflow)),
            ("1e30", Err(PyIntError::Syntax)),
            ("", Err(PyIntError::Syntax)),
        ];
        for (s, expected) in checked {
            assert_eq!(py_int_checked(s), expected, "{s:?}");
        }
        assert!(parse_int(&"1".repeat(MAX_INT_DIGITS)).is_some());
        assert!(parse_int(&"1".repeat(MAX_INT_DIGITS + 1)).is_none());
        assert_eq!(parse_int("-00_12").unwrap().as_str(), "-12");
        assert_eq!(parse_int(" -000 ").unwrap().as_str(), "0");
    }

    #[test]
    fn int_of_values_table() {
        let table = [
            (json!(41), Ok(41)),
            (json!("41"), Ok(41)),
            (json!(3.9), Ok(3)),
            (json!(-3.9), Ok(-3)),
            (json!(true), Ok(1)),
            (json!(false), Ok(0)),
            (json!([1]), Err(PyIntError::Syntax)),
            (json!(null), Err(PyIntError::Syntax)),
            (json!("NaN"), Err(PyIntError::Syntax)),
            (json!(1e30), Err(PyIntError::Overflow)),
            (json!(9_223_372_036_854_775_808u64), Err(PyIntError::Overflow)),
        ];
        for (v, want) in table {
            assert_eq!(int_value(&v), want, "{v}");
        }
        assert_eq!(int_value_or_zero(Some(&json!([]))), Ok(0));
        assert_eq!(int_value_or_zero(Some(&json!(""))), Ok(0));
        assert_eq!(int_value_or_zero(None), Ok(0));
        assert_eq!(int_value_or_zero(Some(&json!([0]))), Err(PyIntError::Syntax));
    }
}
