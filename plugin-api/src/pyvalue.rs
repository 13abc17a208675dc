//! Python-faithful JSON values: decoding a record the way Python's
//! `json.loads` reads it, rendering a value as Python's `str()` / `repr()`
//! writes it, and the verdict event the reference decodes from a journal
//! record (`VerdictEvent.from_record`).
//!
//! The record is parsed with a small, tolerant reader that behaves like
//! Python's `json.loads` where it matters here: `NaN` / `Infinity` /
//! `-Infinity` literals are accepted, integers keep their exact decimal text
//! (so a value outside `i64` is still an integer, not a float), object key
//! order is kept and a duplicate key keeps its first position with the last
//! value. [`py_str`] renders a value as Python's `str()` would.
//!
//! Exporters use [`VerdictEvent::decode_batch`] to read the host's
//! journal-shaped [`EventRef`]s. The module has no dependencies beyond `std`.

use crate::EventRef;
use std::fmt::Write;

/// A decoded JSON value, in Python's terms.
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    /// `null` → `None`.
    None,
    /// `true` / `false`.
    Bool(bool),
    /// An integer literal, as canonical decimal text (any size).
    Int(String),
    /// A number with a fraction or exponent, or `NaN` / `Infinity`.
    Float(f64),
    /// A string.
    Str(String),
    /// An array.
    List(Vec<PyValue>),
    /// An object, in first-seen key order.
    Dict(Vec<(String, PyValue)>),
}

impl PyValue {
    /// Python truthiness: `None`, `False`, `0`, `0.0`, `""`, `[]`, `{}` are false.
    pub fn truthy(&self) -> bool {
        match self {
            PyValue::None => false,
            PyValue::Bool(b) => *b,
            PyValue::Int(t) => t != "0",
            PyValue::Float(f) => *f != 0.0,
            PyValue::Str(s) => !s.is_empty(),
            PyValue::List(v) => !v.is_empty(),
            PyValue::Dict(v) => !v.is_empty(),
        }
    }

    /// The integer as `i64`, if it is an integer that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            PyValue::Int(t) => t.parse().ok(),
            _ => None,
        }
    }
}

/// Python's `str()` of a value: strings as themselves, everything else as `repr`.
pub fn py_str(v: &PyValue) -> String {
    match v {
        PyValue::Str(s) => s.clone(),
        other => {
            let mut out = String::new();
            write_repr(&mut out, other);
            out
        }
    }
}

/// Python's `repr()` of a value.
pub fn py_repr(v: &PyValue) -> String {
    let mut out = String::new();
    write_repr(&mut out, v);
    out
}

fn write_repr(out: &mut String, v: &PyValue) {
    match v {
        PyValue::None => out.push_str("None"),
        PyValue::Bool(true) => out.push_str("True"),
        PyValue::Bool(false) => out.push_str("False"),
        PyValue::Int(t) => out.push_str(t),
        PyValue::Float(f) => write_float_repr(out, *f),
        PyValue::Str(s) => write_str_repr(out, s),
        PyValue::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(out, item);
            }
            out.push(']');
        }
        PyValue::Dict(items) => {
            out.push('{');
            for (i, (k, item)) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str_repr(out, k);
                out.push_str(": ");
                write_repr(out, item);
            }
            out.push('}');
        }
    }
}

/// Python's `repr(float)`: shortest round-trip digits; `inf`, `-inf`, `nan`.
pub fn write_float_repr(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("nan");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "inf" } else { "-inf" });
    } else {
        crate::pyjson::write_float(out, f);
    }
}

/// Whether Python's `str.isprintable()` holds for `c` (close approximation:
/// control, format, separator-other-than-space, private-use and
/// non-characters are not printable).
fn printable(c: char) -> bool {
    let u = c as u32;
    !matches!(u,
        0x00..=0x1f | 0x7f..=0xa0 | 0xad
        | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x180e | 0x1680
        | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x206f
        | 0x3000 | 0xd800..=0xf8ff | 0xfeff | 0xfff9..=0xfffb | 0xfffe | 0xffff
        | 0xe0001 | 0xe0020..=0xe007f | 0xf0000..)
}

/// Python's `repr(str)`: single quotes unless the text has `'` and no `"`.
pub fn write_str_repr(out: &mut String, s: &str) {
    write_str_repr_with(out, s, printable);
}

/// Python's `repr(str)` with the caller's notion of "printable": quotes and
/// the `\\`, `\n`, `\r`, `\t` escapes as Python writes them, every other
/// character for which `printable` is false as `\xNN` / `\uNNNN` /
/// `\UNNNNNNNN`. For plugins that keep a narrower approximation than
/// [`write_str_repr`]'s.
pub fn write_str_repr_with(out: &mut String, s: &str, printable: impl Fn(char) -> bool) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if printable(c) => out.push(c),
            c => {
                let u = c as u32;
                // Writing to a String cannot fail.
                let _ = if u < 0x100 {
                    write!(out, "\\x{u:02x}")
                } else if u < 0x10000 {
                    write!(out, "\\u{u:04x}")
                } else {
                    write!(out, "\\U{u:08x}")
                };
            }
        }
    }
    out.push(quote);
}

/// Deepest nesting the reader accepts (Python's own limit is about 1000).
const MAX_DEPTH: usize = 512;

/// Parse one JSON document the way Python's `json.loads` reads it.
pub fn parse(text: &str) -> Result<PyValue, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        i: 0,
    };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!("extra data at offset {}", p.i));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at offset {}", self.i))
    }

    fn eat(&mut self, lit: &str) -> bool {
        if self.s[self.i..].starts_with(lit.as_bytes()) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<PyValue, String> {
        if depth > MAX_DEPTH {
            return self.err("nesting too deep");
        }
        match self.s.get(self.i) {
            None => self.err("unexpected end of input"),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(PyValue::Str),
            Some(b'-' | b'0'..=b'9') => {
                if self.eat("-Infinity") {
                    Ok(PyValue::Float(f64::NEG_INFINITY))
                } else {
                    self.number()
                }
            }
            Some(_) => {
                if self.eat("null") {
                    Ok(PyValue::None)
                } else if self.eat("true") {
                    Ok(PyValue::Bool(true))
                } else if self.eat("false") {
                    Ok(PyValue::Bool(false))
                } else if self.eat("NaN") {
                    Ok(PyValue::Float(f64::NAN))
                } else if self.eat("Infinity") {
                    Ok(PyValue::Float(f64::INFINITY))
                } else {
                    self.err("expecting value")
                }
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<PyValue, String> {
        self.i += 1;
        let mut items: Vec<(String, PyValue)> = Vec::new();
        self.ws();
        if self.s.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Ok(PyValue::Dict(items));
        }
        loop {
            self.ws();
            if self.s.get(self.i) != Some(&b'"') {
                return self.err("expecting property name");
            }
            let key = self.string()?;
            self.ws();
            if self.s.get(self.i) != Some(&b':') {
                return self.err("expecting ':'");
            }
            self.i += 1;
            self.ws();
            let v = self.value(depth + 1)?;
            match items.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = v,
                None => items.push((key, v)),
            }
            self.ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(PyValue::Dict(items));
                }
                _ => return self.err("expecting ',' or '}'"),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<PyValue, String> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.s.get(self.i) == Some(&b']') {
            self.i += 1;
            return Ok(PyValue::List(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth + 1)?);
            self.ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(PyValue::List(items));
                }
                _ => return self.err("expecting ',' or ']'"),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.s.get(self.i) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<PyValue, String> {
        let start = self.i;
        let negative = self.s.get(self.i) == Some(&b'-');
        if negative {
            self.i += 1;
        }
        let int_start = self.i;
        if self.s.get(self.i) == Some(&b'0') {
            self.i += 1;
        } else if self.digits() == 0 {
            return self.err("expecting value");
        }
        let int_end = self.i;
        let mut is_float = false;
        if self.s.get(self.i) == Some(&b'.') && matches!(self.s.get(self.i + 1), Some(b'0'..=b'9')) {
            self.i += 1;
            self.digits();
            is_float = true;
        }
        if let Some(b'e' | b'E') = self.s.get(self.i) {
            let save = self.i;
            self.i += 1;
            if let Some(b'+' | b'-') = self.s.get(self.i) {
                self.i += 1;
            }
            if self.digits() == 0 {
                self.i = save;
            } else {
                is_float = true;
            }
        }
        let lit = &self.text[start..self.i];
        if is_float {
            match lit.parse::<f64>() {
                Ok(f) => Ok(PyValue::Float(f)),
                Err(_) => self.err("bad number"),
            }
        } else {
            let digits = &self.text[int_start..int_end];
            if digits == "0" || !negative {
                Ok(PyValue::Int(digits.to_string()))
            } else {
                Ok(PyValue::Int(format!("-{digits}")))
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let Some(h) = self.text.get(self.i..self.i + 4) else {
            return self.err("bad \\u escape");
        };
        match u32::from_str_radix(h, 16) {
            Ok(v) if h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                self.i += 4;
                Ok(v)
            }
            _ => self.err("bad \\u escape"),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let run_start = self.i;
            while let Some(&b) = self.s.get(self.i) {
                if b == b'"' || b == b'\\' {
                    break;
                }
                self.i += 1;
            }
            out.push_str(&self.text[run_start..self.i]);
            match self.s.get(self.i) {
                None => return self.err("unterminated string"),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(_) => {
                    self.i += 1;
                    let Some(&e) = self.s.get(self.i) else {
                        return self.err("unterminated string");
                    };
                    self.i += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let c =
                                if (0xd800..0xdc00).contains(&hi) && self.text[self.i..].starts_with("\\u") {
                                    let save = self.i;
                                    self.i += 2;
                                    let lo = self.hex4()?;
                                    if (0xdc00..0xe000).contains(&lo) {
                                        char::from_u32(0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00))
                                    } else {
                                        self.i = save;
                                        None
                                    }
                                } else {
                                    char::from_u32(hi)
                                };
                            // A lone surrogate has no Rust `char`; keep a marker.
                            out.push(c.unwrap_or('\u{fffd}'));
                        }
                        _ => return self.err("invalid escape"),
                    }
                }
            }
        }
    }
}

/// One verdict event, with the reference's tolerant field coercions applied.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VerdictEvent {
    /// The dimension (`liveness`, `verify`, …), or `""`.
    pub syscall: String,
    /// The verdict token, or `""`.
    pub verdict: String,
    /// Correlation id, or `""`.
    pub run_id: String,
    /// Lane, or `""`.
    pub lane: String,
    /// Subject, or `""`.
    pub subject: String,
    /// Timestamp text (`YYYY-MM-DDTHH:MM:SSZ`), or `""`.
    pub ts: String,
    /// Who recorded it; `kernel` when absent or empty.
    pub source: String,
    /// Evidence scalars, in record order (`{}` when not an object).
    pub detail: Vec<(String, PyValue)>,
}

impl VerdictEvent {
    /// Decode one journal-shaped record. Fields follow `from_record`:
    /// `str(v)` when truthy, else `""` (`source` falls back to `kernel`);
    /// a non-object `detail` becomes empty. A record that is not a JSON
    /// object is an error.
    pub fn decode(record: &str) -> Result<VerdictEvent, String> {
        let PyValue::Dict(fields) = parse(record)? else {
            return Err("record is not a JSON object".to_string());
        };
        let get = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        let text = |key: &str| match get(key) {
            Some(v) if v.truthy() => py_str(v),
            _ => String::new(),
        };
        let mut source = text("source");
        if source.is_empty() {
            source = "kernel".to_string();
        }
        let detail = match get("detail") {
            Some(PyValue::Dict(items)) => items.clone(),
            _ => Vec::new(),
        };
        Ok(VerdictEvent {
            syscall: text("syscall"),
            verdict: text("verdict"),
            run_id: text("run_id"),
            lane: text("lane"),
            subject: text("subject"),
            ts: text("ts"),
            source,
            detail,
        })
    }

    /// Decode a whole batch, in order. The first record that does not decode
    /// fails the batch with `event seq <seq> is unreadable: <why>`.
    pub fn decode_batch(events: &[EventRef<'_>]) -> Result<Vec<VerdictEvent>, String> {
        events
            .iter()
            .map(|e| {
                VerdictEvent::decode(e.record.as_str())
                    .map_err(|why| format!("event seq {} is unreadable: {why}", e.seq))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn str_of_values_matches_python() {
        let cases: &[(&str, &str)] = &[
            ("null", "None"),
            ("true", "True"),
            ("false", "False"),
            ("12", "12"),
            ("-0", "0"),
            ("123456789012345678901234567890", "123456789012345678901234567890"),
            ("0.1", "0.1"),
            ("1e16", "1e+16"),
            ("1E400", "inf"),
            ("-Infinity", "-inf"),
            ("NaN", "nan"),
            ("100.0", "100.0"),
            ("\"plain\"", "plain"),
            ("[\"a\", 1]", "['a', 1]"),
            (
                r#"{"b": 2, "a": [3, {"y": 1, "x": 2}]}"#,
                "{'b': 2, 'a': [3, {'y': 1, 'x': 2}]}",
            ),
            (r#"["it's"]"#, r#"["it's"]"#),
            (r#"["a\"b'c"]"#, r#"['a"b\'c']"#),
            (
                r#"["t\tn\nb\\ \u0001 \u00e4 \u2028"]"#,
                r"['t\tn\nb\\ \x01 ä \u2028']",
            ),
            (r#"["\ud83d\ude00"]"#, "['😀']"),
            ("[]", "[]"),
            ("{}", "{}"),
        ];
        for (json, want) in cases {
            let v = parse(json).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!(py_str(&v), *want, "{json}");
        }
    }

    #[test]
    fn duplicate_keys_keep_first_position_last_value() {
        let v = parse(r#"{"a": 1, "b": 2, "a": 3}"#).unwrap();
        assert_eq!(py_str(&v), "{'a': 3, 'b': 2}");
    }

    #[test]
    fn bad_json_is_an_error() {
        for bad in ["", "{", "{\"a\" 1}", "[1,]", "tru", "1 2", "\"\\x\"", "{1: 2}"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let deep = "[".repeat(MAX_DEPTH + 5);
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn truthiness() {
        for (json, want) in [
            ("null", false),
            ("0", false),
            ("0.0", false),
            ("-0.0", false),
            ("\"\"", false),
            ("[]", false),
            ("{}", false),
            ("false", false),
            ("NaN", true),
            ("1", true),
            ("[0]", true),
            ("\"0\"", true),
        ] {
            assert_eq!(parse(json).unwrap().truthy(), want, "{json}");
        }
    }

    #[test]
    fn decode_applies_from_record_coercions() {
        let e = VerdictEvent::decode(
            r#"{"syscall": 12, "verdict": ["a", 1], "run_id": 0, "lane": null, "subject": false,
                "source": "", "detail": [1], "ts": "2026-11-21T21:23:14Z", "extra": 1}"#,
        )
        .unwrap();
        assert_eq!(e.syscall, "12");
        assert_eq!(e.verdict, "['a', 1]");
        assert_eq!(e.run_id, "");
        assert_eq!(e.lane, "");
        assert_eq!(e.subject, "");
        assert_eq!(e.source, "kernel");
        assert!(e.detail.is_empty());
        assert_eq!(e.ts, "2026-11-21T21:23:14Z");
        assert!(VerdictEvent::decode("[1, 2]").is_err());
        assert!(VerdictEvent::decode("not json").is_err());
    }

    #[test]
    fn decode_batch_names_the_first_unreadable_seq() {
        use abi_stable::std_types::RStr;
        let ok = r#"{"syscall": "verify", "verdict": "PASS"}"#;
        let events = [
            EventRef {
                seq: 4,
                record: RStr::from(ok),
            },
            EventRef {
                seq: 7,
                record: RStr::from("[1]"),
            },
            EventRef {
                seq: 9,
                record: RStr::from("{"),
            },
        ];
        let all = VerdictEvent::decode_batch(&events[..1]).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].verdict, "PASS");
        assert_eq!(
            VerdictEvent::decode_batch(&events).unwrap_err(),
            "event seq 7 is unreadable: record is not a JSON object"
        );
        assert!(VerdictEvent::decode_batch(&[]).unwrap().is_empty());
    }
}
