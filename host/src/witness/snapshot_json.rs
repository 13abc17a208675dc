//! A JSON reader with Python `json.loads` semantics for state snapshots:
//! `NaN`/`Infinity`/`-Infinity` accepted, duplicate keys (last wins), exact
//! big integers, and Python's value equality (`1 == 1.0 == true`, NaN never
//! equal, objects unordered, arrays ordered).

use std::collections::BTreeMap;

/// A parsed JSON value.
#[derive(Debug, Clone)]
pub(crate) enum PyValue {
    /// `null`.
    Null,
    /// `true`/`false`.
    Bool(bool),
    /// An integer that fits i128.
    Int(i128),
    /// An integer beyond i128 (normalised decimal text, `-` sign allowed).
    BigInt(String),
    /// A float (incl. NaN / ±inf).
    Float(f64),
    /// A string.
    Str(String),
    /// An array.
    Array(Vec<PyValue>),
    /// An object (last duplicate key wins).
    Object(BTreeMap<String, PyValue>),
}

impl PyValue {
    /// Python's type name of the value.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            PyValue::Null => "NoneType",
            PyValue::Bool(_) => "bool",
            PyValue::Int(_) | PyValue::BigInt(_) => "int",
            PyValue::Float(_) => "float",
            PyValue::Str(_) => "str",
            PyValue::Array(_) => "list",
            PyValue::Object(_) => "dict",
        }
    }
}

/// Exact integer text of a finite, integral float.
fn float_int_text(f: f64) -> Option<String> {
    (f.is_finite() && f.fract() == 0.0).then(|| {
        let s = format!("{f:.0}");
        if s == "-0" {
            "0".into()
        } else {
            s
        }
    })
}

fn int_text(v: &PyValue) -> Option<String> {
    match v {
        PyValue::Bool(b) => Some(if *b { "1" } else { "0" }.into()),
        PyValue::Int(i) => Some(i.to_string()),
        PyValue::BigInt(s) => Some(s.clone()),
        _ => None,
    }
}

/// Python `==` over parsed JSON values.
pub(crate) fn py_eq(a: &PyValue, b: &PyValue) -> bool {
    use PyValue::*;
    match (a, b) {
        (Null, Null) => true,
        (Str(x), Str(y)) => x == y,
        (Array(x), Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q)),
        (Object(x), Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| py_eq(v, w)))
        }
        (Float(x), Float(y)) => x == y,
        (Float(f), other) | (other, Float(f)) => match (int_text(other), float_int_text(*f)) {
            (Some(i), Some(g)) => i == g,
            _ => false,
        },
        (x, y) => match (int_text(x), int_text(y)) {
            (Some(i), Some(j)) => i == j,
            _ => false,
        },
    }
}

/// A parse failure with Python-style position text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseError(pub String);

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    _src: &'a str,
}

impl Parser<'_> {
    fn err(&self, msg: &str, at: usize) -> ParseError {
        let before = &self.chars[..at.min(self.chars.len())];
        let line = before.iter().filter(|c| **c == '\n').count() + 1;
        let col = match before.iter().rposition(|c| *c == '\n') {
            Some(i) => at - i,
            None => at + 1,
        };
        ParseError(format!("{msg}: line {line} column {col} (char {at})"))
    }

    fn ws(&mut self) {
        while matches!(self.chars.get(self.pos), Some(' ' | '\t' | '\n' | '\r')) {
            self.pos += 1;
        }
    }

    fn starts(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(i, c)| self.chars.get(self.pos + i) == Some(&c))
    }

    fn value(&mut self, depth: usize) -> Result<PyValue, ParseError> {
        if depth > 512 {
            return Err(self.err("Nesting too deep", self.pos));
        }
        let at = self.pos;
        match self.chars.get(self.pos) {
            Some('"') => Ok(PyValue::Str(self.string()?)),
            Some('{') => self.object(depth),
            Some('[') => self.array(depth),
            Some('n') if self.starts("null") => {
                self.pos += 4;
                Ok(PyValue::Null)
            }
            Some('t') if self.starts("true") => {
                self.pos += 4;
                Ok(PyValue::Bool(true))
            }
            Some('f') if self.starts("false") => {
                self.pos += 5;
                Ok(PyValue::Bool(false))
            }
            Some('N') if self.starts("NaN") => {
                self.pos += 3;
                Ok(PyValue::Float(f64::NAN))
            }
            Some('I') if self.starts("Infinity") => {
                self.pos += 8;
                Ok(PyValue::Float(f64::INFINITY))
            }
            Some('-') if self.starts("-Infinity") => {
                self.pos += 9;
                Ok(PyValue::Float(f64::NEG_INFINITY))
            }
            Some(c) if *c == '-' || c.is_ascii_digit() => self.number(),
            _ => Err(self.err("Expecting value", at)),
        }
    }

    fn number(&mut self) -> Result<PyValue, ParseError> {
        let start = self.pos;
        let digits = |p: &mut Parser| {
            let s = p.pos;
            while p.chars.get(p.pos).is_some_and(char::is_ascii_digit) {
                p.pos += 1;
            }
            p.pos - s
        };
        if self.chars.get(self.pos) == Some(&'-') {
            self.pos += 1;
        }
        if self.chars.get(self.pos) == Some(&'0') {
            self.pos += 1;
        } else if digits(self) == 0 {
            return Err(self.err("Expecting value", start));
        }
        let mut is_float = false;
        if self.chars.get(self.pos) == Some(&'.')
            && self.chars.get(self.pos + 1).is_some_and(char::is_ascii_digit)
        {
            self.pos += 1;
            digits(self);
            is_float = true;
        }
        if matches!(self.chars.get(self.pos), Some('e' | 'E')) {
            let save = self.pos;
            self.pos += 1;
            if matches!(self.chars.get(self.pos), Some('+' | '-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                self.pos = save;
            } else {
                is_float = true;
            }
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        if is_float {
            return Ok(PyValue::Float(text.parse::<f64>().unwrap_or(f64::NAN)));
        }
        Ok(match text.parse::<i128>() {
            Ok(i) => PyValue::Int(i),
            Err(_) => PyValue::BigInt(text),
        })
    }

    fn string(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(&c) = self.chars.get(self.pos) else {
                return Err(self.err("Unterminated string starting at", start));
            };
            match c {
                '"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                '\\' => {
                    let esc = self.chars.get(self.pos + 1).copied();
                    let simple = match esc {
                        Some('"') => Some('"'),
                        Some('\\') => Some('\\'),
                        Some('/') => Some('/'),
                        Some('b') => Some('\u{8}'),
                        Some('f') => Some('\u{c}'),
                        Some('n') => Some('\n'),
                        Some('r') => Some('\r'),
                        Some('t') => Some('\t'),
                        _ => None,
                    };
                    if let Some(ch) = simple {
                        out.push(ch);
                        self.pos += 2;
                    } else if esc == Some('u') {
                        let hex = |p: &Parser, at: usize| -> Option<u32> {
                            let s: String = p.chars.get(at..at + 4)?.iter().collect();
                            u32::from_str_radix(&s, 16).ok().filter(|_| s.len() == 4)
                        };
                        let Some(u) = hex(self, self.pos + 2) else {
                            return Err(self.err("Invalid \\uXXXX escape", self.pos + 1));
                        };
                        self.pos += 6;
                        if (0xD800..0xDC00).contains(&u) && self.starts("\\u") {
                            if let Some(lo) = hex(self, self.pos + 2).filter(|l| (0xDC00..0xE000).contains(l))
                            {
                                self.pos += 6;
                                let cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                                out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                                continue;
                            }
                        }
                        out.push(char::from_u32(u).unwrap_or('\u{FFFD}'));
                    } else {
                        return Err(self.err("Invalid \\escape", self.pos));
                    }
                }
                c if (c as u32) < 0x20 => return Err(self.err("Invalid control character at", self.pos)),
                c => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<PyValue, ParseError> {
        self.pos += 1;
        let mut map = BTreeMap::new();
        self.ws();
        if self.chars.get(self.pos) == Some(&'}') {
            self.pos += 1;
            return Ok(PyValue::Object(map));
        }
        loop {
            if self.chars.get(self.pos) != Some(&'"') {
                return Err(self.err("Expecting property name enclosed in double quotes", self.pos));
            }
            let key = self.string()?;
            self.ws();
            if self.chars.get(self.pos) != Some(&':') {
                return Err(self.err("Expecting ':' delimiter", self.pos));
            }
            self.pos += 1;
            self.ws();
            let v = self.value(depth + 1)?;
            map.insert(key, v);
            self.ws();
            match self.chars.get(self.pos) {
                Some(',') => {
                    self.pos += 1;
                    self.ws();
                }
                Some('}') => {
                    self.pos += 1;
                    return Ok(PyValue::Object(map));
                }
                _ => return Err(self.err("Expecting ',' delimiter", self.pos)),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<PyValue, ParseError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.ws();
        if self.chars.get(self.pos) == Some(&']') {
            self.pos += 1;
            return Ok(PyValue::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth + 1)?);
            self.ws();
            match self.chars.get(self.pos) {
                Some(',') => self.pos += 1,
                Some(']') => {
                    self.pos += 1;
                    return Ok(PyValue::Array(items));
                }
                _ => return Err(self.err("Expecting ',' delimiter", self.pos)),
            }
        }
    }
}

/// Parse one JSON document (Python `json.loads` rules; a leading BOM and
/// trailing data are errors).
pub(crate) fn parse(text: &str) -> Result<PyValue, ParseError> {
    let mut p = Parser {
        chars: text.chars().collect(),
        pos: 0,
        _src: text,
    };
    if p.chars.first() == Some(&'\u{feff}') {
        return Err(p.err("Unexpected UTF-8 BOM (decode using utf-8-sig)", 0));
    }
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.pos != p.chars.len() {
        return Err(p.err("Extra data", p.pos));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_probe() {
        let eq = |a: &str, b: &str| py_eq(&parse(a).unwrap(), &parse(b).unwrap());
        assert!(eq("1", "1.0"));
        assert!(eq("true", "1"));
        assert!(eq("false", "0"));
        assert!(eq("{\"x\":1,\"y\":2}", "{\"y\":2,\"x\":1}"));
        assert!(!eq("[1,2]", "[2,1]"));
        assert!(!eq("NaN", "NaN"));
        assert!(eq("1e400", "1e400"));
        assert!(!eq(
            "12345678901234567890123456789012345678901",
            "12345678901234567890123456789012345678902"
        ));
        assert!(eq("1.0000000000000001", "1"));
        assert!(eq("null", "null"));
        assert!(!eq("null", "0"));
        assert!(!eq("\"1\"", "1"));
    }

    #[test]
    fn error_texts() {
        let table = [
            (
                "{bad",
                "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
            ),
            ("", "Expecting value: line 1 column 1 (char 0)"),
            ("{\"a\": 1} x", "Extra data: line 1 column 10 (char 9)"),
            (
                "\u{feff}{}",
                "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)",
            ),
        ];
        for (text, want) in table {
            assert_eq!(parse(text).unwrap_err().0, want, "{text:?}");
        }
        assert!(
            matches!(parse("{\"d\":1,\"d\":2}").unwrap(), PyValue::Object(m) if matches!(m["d"], PyValue::Int(2)))
        );
    }
}
