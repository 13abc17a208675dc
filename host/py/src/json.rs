//! The one JSON reader, with Python's `json.loads` rules: `NaN` /
//! `Infinity` / `-Infinity` accepted, integers of any size kept as their text
//! (at most 4,300 digits, Python's limit), lone surrogates (`\ud800`) and
//! surrogate-escaped invalid UTF-8 bytes kept, duplicate keys (the last value
//! wins, in the first key's place), raw control characters in strings and
//! a leading BOM rejected, errors worded and placed as Python words them
//! ([`ParseError::message`]).
//!
//! The reader is zero-copy: strings stay as spans of the input and are
//! decoded on demand, so a 100 MB `tool_response` is never copied to be
//! hashed. [`loads`] decodes to the owned [`PyValue`]; [`to_json`] to a
//! `serde_json::Value`. Nesting deeper than [`MAX_DEPTH`] is a parse error
//! (the reference raises `RecursionError`).

use crate::value::PyValue;
use serde_json::{Map, Number, Value};

/// Deepest nesting accepted; deeper documents are treated as invalid.
pub const MAX_DEPTH: usize = 1000;
use crate::int::MAX_INT_DIGITS;

/// One parsed JSON value borrowing from the input.
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer literal: its exact text (`-?digits`).
    Int(&'a str),
    /// A number with a fraction or exponent, or `NaN` / `Infinity`.
    Float(f64),
    /// A string literal (escaped contents, without the quotes).
    Str(RawStr<'a>),
    /// An array.
    Arr(Vec<Val<'a>>),
    /// An object, members in document order (duplicates kept; see [`Val::get`]).
    Obj(Vec<(RawStr<'a>, Val<'a>)>),
    /// A validated array or object of more than [`LAZY_NODES`] values, kept
    /// as its text (only [`parse_object_lazy`] makes one): hashing streams
    /// it, so a huge result never becomes a tree of nodes. Not an object to
    /// [`Val::get`]; see [`raw_subset`].
    Raw(&'a [u8]),
}

/// A top-level member holding more values than this stays [`Val::Raw`].
pub const LAZY_NODES: usize = 4096;

/// The raw contents of a JSON string literal (between the quotes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawStr<'a> {
    /// The escaped bytes.
    pub raw: &'a [u8],
    /// Whether `raw` contains a backslash escape.
    pub escaped: bool,
}

/// A decoded string, with Python's lone surrogates replaced by `?`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PyStr {
    /// The text; each lone surrogate (or undecodable byte) is a `?`.
    pub text: String,
    /// Whether the original held a lone surrogate (Python cannot write it
    /// as UTF-8: the reference's record write fails).
    pub has_surrogate: bool,
}

impl<'a> RawStr<'a> {
    /// Decode into a [`PyStr`].
    pub fn decode(&self) -> PyStr {
        let mut text = String::with_capacity(self.raw.len());
        let mut has_surrogate = false;
        self.decode_chunks(|piece, sur| {
            has_surrogate |= sur;
            text.push_str(piece);
        });
        PyStr { text, has_surrogate }
    }

    /// Feed the decoded text to `sink` piece by piece; lone surrogates and
    /// undecodable bytes arrive as `"?"` with the flag set.
    pub fn decode_chunks<F: FnMut(&str, bool)>(&self, mut sink: F) {
        self.decode_units(|piece| match piece {
            Piece::Text(t) => sink(t, false),
            Piece::Surrogate(_) => sink("?", true),
        })
    }

    /// The Python string as code points, in generalized UTF-8: each lone
    /// surrogate (a `\uD800`-style escape, or U+DC80+byte for an undecodable
    /// byte, as surrogateescape makes it) is written as the 3-byte sequence of
    /// its code point. Byte order of these keys is code point order, and two
    /// keys are equal exactly when the Python strings are: what
    /// `json.dumps(sort_keys=True)` sorts and de-duplicates by.
    pub fn code_point_key(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.raw.len());
        self.decode_units(|piece| match piece {
            Piece::Text(t) => out.extend_from_slice(t.as_bytes()),
            Piece::Surrogate(u) => out.extend_from_slice(&[
                0xE0 | (u >> 12) as u8,
                0x80 | ((u >> 6) & 0x3F) as u8,
                0x80 | (u & 0x3F) as u8,
            ]),
        });
        out
    }

    /// Feed the decoded Python string to `sink` as text runs and lone
    /// surrogates (undecodable bytes arrive as surrogateescape's U+DC80+byte).
    fn decode_units<F: FnMut(Piece<'_>)>(&self, mut sink: F) {
        let raw = self.raw;
        let mut i = 0;
        while i < raw.len() {
            // A run of plain bytes up to the next backslash.
            let end = if self.escaped {
                memchr(b'\\', &raw[i..]).map_or(raw.len(), |p| i + p)
            } else {
                raw.len()
            };
            if end > i {
                utf8_surrogateescape(&raw[i..end], &mut sink);
                i = end;
                continue;
            }
            // An escape at `i`.
            let (unit, next) = match raw.get(i + 1) {
                Some(b'u') => match hex4(raw, i + 2) {
                    Some(u) => (u, i + 6),
                    None => return,
                },
                Some(c) => {
                    let s = match c {
                        b'"' => "\"",
                        b'\\' => "\\",
                        b'/' => "/",
                        b'b' => "\u{8}",
                        b'f' => "\u{c}",
                        b'n' => "\n",
                        b'r' => "\r",
                        b't' => "\t",
                        _ => return,
                    };
                    sink(Piece::Text(s));
                    i += 2;
                    continue;
                }
                None => return,
            };
            i = next;
            if (0xD800..0xDC00).contains(&unit) {
                // A high surrogate: paired only with an immediately following \uDC00-\uDFFF.
                if raw.get(i) == Some(&b'\\') && raw.get(i + 1) == Some(&b'u') {
                    if let Some(low) = hex4(raw, i + 2) {
                        if (0xDC00..0xE000).contains(&low) {
                            let c = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                            if let Some(ch) = char::from_u32(c) {
                                let mut buf = [0u8; 4];
                                sink(Piece::Text(ch.encode_utf8(&mut buf)));
                            }
                            i += 6;
                            continue;
                        }
                    }
                }
                sink(Piece::Surrogate(unit));
            } else if (0xDC00..0xE000).contains(&unit) {
                sink(Piece::Surrogate(unit));
            } else if let Some(ch) = char::from_u32(unit) {
                let mut buf = [0u8; 4];
                sink(Piece::Text(ch.encode_utf8(&mut buf)));
            }
        }
    }

    /// Whether two keys are the same Python string.
    pub fn eq_str_raw(&self, other: &RawStr<'_>) -> bool {
        if !self.escaped && !other.escaped {
            return self.raw == other.raw;
        }
        self.code_point_key() == other.code_point_key()
    }

    /// Whether the decoded string equals `s` (fast path for unescaped keys).
    pub fn eq_str(&self, s: &str) -> bool {
        if !self.escaped {
            return self.raw == s.as_bytes();
        }
        self.decode().text == s && !self.decode().has_surrogate
    }
}

/// Position of `needle` in `hay`.
fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|b| *b == needle)
}

fn hex4(raw: &[u8], at: usize) -> Option<u32> {
    let s = raw.get(at..at + 4)?;
    let mut v = 0u32;
    for b in s {
        v = v * 16 + (*b as char).to_digit(16)?;
    }
    Some(v)
}

/// A piece of a decoded Python string.
enum Piece<'s> {
    /// A run of ordinary text.
    Text(&'s str),
    /// One lone surrogate code point (U+D800..U+DFFF).
    Surrogate(u32),
}

/// Decode UTF-8 as Python's surrogateescape does: every byte of an invalid
/// sequence becomes the lone surrogate U+DC00+byte.
fn utf8_surrogateescape<F: FnMut(Piece<'_>)>(mut bytes: &[u8], sink: &mut F) {
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                if !s.is_empty() {
                    sink(Piece::Text(s));
                }
                return;
            }
            Err(e) => {
                let good = e.valid_up_to();
                if good > 0 {
                    if let Ok(s) = std::str::from_utf8(&bytes[..good]) {
                        sink(Piece::Text(s));
                    }
                }
                let bad = e.error_len().unwrap_or(bytes.len() - good);
                for b in &bytes[good..good + bad] {
                    sink(Piece::Surrogate(0xDC00 + u32::from(*b)));
                }
                bytes = &bytes[good + bad..];
            }
        }
    }
}

impl<'a> Val<'a> {
    /// The last value stored under `key` in an object (Python: last wins).
    pub fn get(&self, key: &str) -> Option<&Val<'a>> {
        match self {
            Val::Obj(members) => members.iter().rev().find(|(k, _)| k.eq_str(key)).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The decoded string, if this is a string.
    pub fn as_str(&self) -> Option<PyStr> {
        match self {
            Val::Str(s) => Some(s.decode()),
            _ => None,
        }
    }

    /// Whether this is an object.
    pub fn is_obj(&self) -> bool {
        matches!(self, Val::Obj(_))
    }

    /// The value as Python sees it after `json.loads` (a duplicate key keeps
    /// its first position with the last value; a lone surrogate reads `?`).
    pub fn to_py(&self) -> PyValue {
        match self {
            Val::Null => PyValue::None,
            Val::Bool(b) => PyValue::Bool(*b),
            Val::Int(t) => PyValue::Int(if *t == "-0" { "0".into() } else { (*t).to_string() }),
            Val::Float(f) => PyValue::Float(*f),
            Val::Str(s) => PyValue::Str(s.decode().text),
            Val::Arr(items) => PyValue::List(items.iter().map(Val::to_py).collect()),
            Val::Obj(members) => {
                let mut out: Vec<(Vec<u8>, String, PyValue)> = Vec::with_capacity(members.len());
                for (k, v) in members {
                    let key = k.code_point_key();
                    let value = v.to_py();
                    match out.iter_mut().find(|(seen, _, _)| *seen == key) {
                        Some(slot) => slot.2 = value,
                        None => out.push((key, k.decode().text, value)),
                    }
                }
                PyValue::Dict(out.into_iter().map(|(_, k, v)| (k, v)).collect())
            }
            Val::Raw(text) => parse(text).map(|v| v.to_py()).unwrap_or(PyValue::None),
        }
    }

    /// Python's `str()` of the value: `12345` → `12345`, `["a"]` → `['a']`,
    /// `true` → `True`, `1.0` → `1.0`, `{"a": 1}` → `{'a': 1}`.
    pub fn py_str(&self) -> String {
        match self {
            Val::Str(s) => s.decode().text,
            other => crate::value::py_str(&other.to_py()),
        }
    }

    /// Python truthiness.
    pub fn truthy(&self) -> bool {
        match self {
            Val::Null => false,
            Val::Bool(b) => *b,
            Val::Int(t) => t.bytes().any(|b| (b'1'..=b'9').contains(&b)),
            Val::Float(f) => *f != 0.0,
            Val::Str(s) => !s.raw.is_empty(),
            Val::Arr(a) => !a.is_empty(),
            Val::Obj(o) => !o.is_empty(),
            // Only a container of more than LAZY_NODES values is kept raw.
            Val::Raw(_) => true,
        }
    }
}

/// Why a document did not parse: Python's `JSONDecodeError` message and
/// the byte offset it points at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} at byte {at}")]
pub struct ParseError {
    /// What was wrong, in Python's words (`Expecting value`).
    pub what: &'static str,
    /// Where, as a byte offset into the input.
    pub at: usize,
}

impl ParseError {
    /// The text of Python's `JSONDecodeError` for `input`:
    /// `Expecting value: line 1 column 1 (char 0)` (line, column and char
    /// count code points, as Python's `str` positions do).
    pub fn message(&self, input: &[u8]) -> String {
        let before = &input[..self.at.min(input.len())];
        // One code point per UTF-8 lead byte (an invalid byte is one too).
        let chars = |b: &[u8]| b.iter().filter(|c| (**c & 0xC0) != 0x80).count();
        let pos = chars(before);
        let line = before.iter().filter(|c| **c == b'\n').count() + 1;
        let col = match before.iter().rposition(|c| *c == b'\n') {
            Some(nl) => chars(&before[nl..]),
            None => pos + 1,
        };
        format!("{}: line {line} column {col} (char {pos})", self.what)
    }
}

/// `json.loads(text)` to an owned [`PyValue`] (a lone surrogate reads `?`,
/// as [`RawStr::decode`] has it).
pub fn loads(text: &str) -> Result<PyValue, ParseError> {
    parse(text.as_bytes()).map(|v| v.to_py())
}

/// A parsed value as a `serde_json::Value`, and whether anything had to be
/// substituted: `NaN` / `Infinity` / `-Infinity` (which a JSON value cannot
/// hold) become the strings `"NaN"`, `"Infinity"`, `"-Infinity"`, and a
/// lone surrogate or undecodable byte U+FFFD. Integers keep what
/// `serde_json` makes of their text (beyond `u64`, a float); a duplicate key
/// keeps its first place with the last value, as a Python dict does.
pub fn to_json(v: &Val<'_>) -> (Value, bool) {
    let mut lossy = false;
    let value = to_json_inner(v, &mut lossy);
    (value, lossy)
}

fn to_json_inner(v: &Val<'_>, lossy: &mut bool) -> Value {
    match v {
        Val::Null => Value::Null,
        Val::Bool(b) => Value::Bool(*b),
        Val::Int(t) => serde_json::from_str::<Number>(t)
            .map(Value::Number)
            .unwrap_or_else(|_| Value::String((*t).to_string())),
        Val::Float(f) => match Number::from_f64(*f) {
            Some(n) => Value::Number(n),
            None => {
                *lossy = true;
                let text = if f.is_nan() {
                    "NaN"
                } else if *f > 0.0 {
                    "Infinity"
                } else {
                    "-Infinity"
                };
                Value::String(text.to_string())
            }
        },
        Val::Str(s) => Value::String(json_text(s, lossy)),
        Val::Arr(items) => Value::Array(items.iter().map(|i| to_json_inner(i, lossy)).collect()),
        Val::Obj(members) => {
            let mut m = Map::with_capacity(members.len());
            for (k, v) in members {
                let key = json_text(k, lossy);
                let value = to_json_inner(v, lossy);
                m.insert(key, value);
            }
            Value::Object(m)
        }
        Val::Raw(text) => match parse(text) {
            Ok(v) => to_json_inner(&v, lossy),
            Err(_) => Value::Null,
        },
    }
}

/// The string with each lone surrogate (or undecodable byte) as U+FFFD.
fn json_text(s: &RawStr<'_>, lossy: &mut bool) -> String {
    let mut text = String::with_capacity(s.raw.len());
    s.decode_chunks(|piece, surrogate| {
        if surrogate {
            *lossy = true;
            text.push('\u{fffd}');
        } else {
            text.push_str(piece);
        }
    });
    text
}

/// Parse one JSON document (surrounding JSON whitespace allowed).
pub fn parse(input: &[u8]) -> Result<Val<'_>, ParseError> {
    let mut p = Parser::new(input, false);
    p.bom()?;
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i != p.b.len() {
        return Err(p.err("Extra data"));
    }
    Ok(v)
}

/// Parse an event: a JSON document that must be an object to matter.
/// `Ok(None)` = valid JSON that is not an object (nothing is built for it).
/// Only the members named in `keep` are kept (later duplicates replace
/// earlier ones, as `get` reads them), plus the first other member, so an
/// object with only unknown keys is still non-empty; a kept member holding
/// more than [`LAZY_NODES`] values stays [`Val::Raw`]. Memory is therefore
/// bounded by the kept members, not by the document.
pub fn parse_object_lazy<'a>(input: &'a [u8], keep: &[&str]) -> Result<Option<Val<'a>>, ParseError> {
    let mut p = Parser::new(input, true);
    p.bom()?;
    p.ws();
    if p.b.get(p.i) != Some(&b'{') {
        p.value(0)?;
        p.ws();
        return if p.i == p.b.len() {
            Ok(None)
        } else {
            Err(p.err("Extra data"))
        };
    }
    p.nodes += 1;
    let mut members: Vec<(RawStr<'a>, Val<'a>)> = Vec::new();
    let mut other_kept = false;
    p.members(|p, key| {
        let (start, before) = (p.i, p.nodes);
        p.value(1)?;
        let text = &input[start..p.i];
        let known = keep.iter().any(|k| key.eq_str(k));
        if known || !other_kept {
            other_kept |= !known;
            let value = if p.nodes - before > LAZY_NODES && u32::try_from(text.len()).is_ok() {
                Val::Raw(text)
            } else {
                parse(text)?
            };
            match members.iter_mut().find(|(k, _)| known && k.eq_str_raw(&key)) {
                Some(slot) => *slot = (key, value),
                None => members.push((key, value)),
            }
        }
        Ok(())
    })?;
    p.ws();
    if p.i != p.b.len() {
        return Err(p.err("Extra data"));
    }
    Ok(Some(Val::Obj(members)))
}

/// The members named in `keys` of the raw (validated) JSON `text`, as an
/// object (an array gives an empty array: a non-object in Python's terms);
/// each member value parsed as [`parse_object_lazy`] does.
pub fn raw_subset<'a>(text: &'a [u8], keys: &[&str]) -> Val<'a> {
    if text.first() != Some(&b'{') {
        return Val::Arr(Vec::new());
    }
    parse_object_lazy(text, keys)
        .ok()
        .flatten()
        .map(|v| match v {
            Val::Obj(m) => Val::Obj(
                m.into_iter()
                    .filter(|(k, _)| keys.iter().any(|w| k.eq_str(w)))
                    .collect(),
            ),
            other => other,
        })
        .unwrap_or(Val::Obj(Vec::new()))
}

/// One member of a raw object: byte ranges of the key's contents and of the
/// value, relative to the object's text (which is below 4 GiB).
#[derive(Debug, Clone, Copy)]
pub struct RawMember {
    key: (u32, u32),
    value: (u32, u32),
}

impl RawMember {
    /// The key.
    pub fn key<'a>(&self, text: &'a [u8]) -> RawStr<'a> {
        let raw = &text[self.key.0 as usize..self.key.1 as usize];
        RawStr {
            raw,
            escaped: raw.contains(&b'\\'),
        }
    }

    /// The value's text.
    pub fn value<'a>(&self, text: &'a [u8]) -> &'a [u8] {
        &text[self.value.0 as usize..self.value.1 as usize]
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// The end of the string literal whose opening quote is at `i` (validated text).
fn string_end(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while let Some(c) = b.get(i) {
        match c {
            b'"' => return i + 1,
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    b.len()
}

/// The end of the value that starts at `i` in validated JSON text.
pub fn skip_value(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'"') => string_end(b, i),
        Some(b'[' | b'{') => {
            let mut depth = 0usize;
            let mut j = i;
            while let Some(c) = b.get(j) {
                match c {
                    b'"' => {
                        j = string_end(b, j);
                        continue;
                    }
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            return j + 1;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            b.len()
        }
        _ => {
            let mut j = i;
            while let Some(c) = b.get(j) {
                if matches!(c, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r') {
                    break;
                }
                j += 1;
            }
            j
        }
    }
}

/// The members of the validated object text `text` (starting with `{`), in
/// document order. 16 bytes per member, whatever the keys hold.
pub fn raw_members(text: &[u8]) -> Vec<RawMember> {
    let mut out = Vec::new();
    let mut i = skip_ws(text, 1);
    let at = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    while text.get(i) == Some(&b'"') {
        let key_end = string_end(text, i);
        let value_start = skip_ws(text, skip_ws(text, key_end) + 1);
        let value_end = skip_value(text, value_start);
        out.push(RawMember {
            key: (at(i + 1), at(key_end - 1)),
            value: (at(value_start), at(value_end)),
        });
        i = skip_ws(text, value_end);
        if text.get(i) == Some(&b',') {
            i = skip_ws(text, i + 1);
        }
    }
    out
}

/// Call `each` on every item of the validated array text `text` (starting with `[`).
pub fn raw_items<'a>(text: &'a [u8], mut each: impl FnMut(&'a [u8])) {
    let mut i = skip_ws(text, 1);
    while !matches!(text.get(i), None | Some(b']')) {
        let end = skip_value(text, i);
        each(&text[i..end]);
        i = skip_ws(text, end);
        if text.get(i) == Some(&b',') {
            i = skip_ws(text, i + 1);
        }
    }
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    /// Validate only: containers keep no items (nothing is allocated).
    skip: bool,
    /// Values seen so far.
    nodes: usize,
}

impl<'a> Parser<'a> {
    fn new(b: &'a [u8], skip: bool) -> Self {
        Parser {
            b,
            i: 0,
            skip,
            nodes: 0,
        }
    }

    fn err(&self, what: &'static str) -> ParseError {
        self.err_at(what, self.i)
    }

    fn err_at(&self, what: &'static str, at: usize) -> ParseError {
        ParseError { what, at }
    }

    /// `json.loads` of a `str` that starts with U+FEFF raises.
    fn bom(&self) -> Result<(), ParseError> {
        if self.b.starts_with(b"\xef\xbb\xbf") {
            return Err(self.err_at("Unexpected UTF-8 BOM (decode using utf-8-sig)", 0));
        }
        Ok(())
    }

    fn ws(&mut self) {
        while let Some(c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    fn lit(&mut self, word: &[u8]) -> bool {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Val<'a>, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.err("Nesting too deep"));
        }
        self.nodes += 1;
        match self.b.get(self.i) {
            None => Err(self.err("Expecting value")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => Ok(Val::Str(self.string()?)),
            Some(b'n') if self.lit(b"null") => Ok(Val::Null),
            Some(b't') if self.lit(b"true") => Ok(Val::Bool(true)),
            Some(b'f') if self.lit(b"false") => Ok(Val::Bool(false)),
            Some(b'N') if self.lit(b"NaN") => Ok(Val::Float(f64::NAN)),
            Some(b'I') if self.lit(b"Infinity") => Ok(Val::Float(f64::INFINITY)),
            Some(b'-') if self.b[self.i..].starts_with(b"-Infinity") => {
                self.i += 9;
                Ok(Val::Float(f64::NEG_INFINITY))
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("Expecting value")),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while matches!(self.b.get(self.i), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<Val<'a>, ParseError> {
        let start = self.i;
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match self.b.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err_at("Expecting value", start)),
        }
        let int_end = self.i;
        let mut is_float = false;
        if self.b.get(self.i) == Some(&b'.') && matches!(self.b.get(self.i + 1), Some(b'0'..=b'9')) {
            self.i += 1;
            self.digits();
            is_float = true;
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            let save = self.i;
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                // Python's scanner ends the number before a bare `e`.
                self.i = save;
            } else {
                is_float = true;
            }
        }
        let text = std::str::from_utf8(&self.b[start..self.i]).map_err(|_| self.err("bad number"))?;
        if is_float {
            let f: f64 = text.parse().map_err(|_| self.err("bad number"))?;
            Ok(Val::Float(f))
        } else {
            if int_end - start > MAX_INT_DIGITS {
                return Err(self.err_at(
                    "Exceeds the limit (4300 digits) for integer string conversion",
                    start,
                ));
            }
            Ok(Val::Int(text))
        }
    }

    fn string(&mut self) -> Result<RawStr<'a>, ParseError> {
        self.i += 1; // opening quote
        let start = self.i;
        let mut escaped = false;
        loop {
            match self.b.get(self.i) {
                None => return Err(self.err_at("Unterminated string starting at", start - 1)),
                Some(b'"') => {
                    let raw = &self.b[start..self.i];
                    self.i += 1;
                    return Ok(RawStr { raw, escaped });
                }
                Some(b'\\') => {
                    escaped = true;
                    match self.b.get(self.i + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 2,
                        Some(b'u') => {
                            if hex4(self.b, self.i + 2).is_none() {
                                return Err(self.err_at("Invalid \\uXXXX escape", self.i + 1));
                            }
                            self.i += 6;
                        }
                        None => return Err(self.err_at("Unterminated string starting at", start - 1)),
                        _ => return Err(self.err("Invalid \\escape")),
                    }
                }
                Some(c) if *c < 0x20 => return Err(self.err("Invalid control character at")),
                Some(_) => {
                    // Skip a run of ordinary bytes quickly.
                    let rest = &self.b[self.i..];
                    let n = rest
                        .iter()
                        .position(|c| *c == b'"' || *c == b'\\' || *c < 0x20)
                        .unwrap_or(rest.len());
                    self.i += n.max(1);
                }
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Val<'a>, ParseError> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
            return Ok(Val::Arr(items));
        }
        loop {
            self.ws();
            let v = self.value(depth + 1)?;
            if !self.skip {
                items.push(v);
            }
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Val::Arr(items));
                }
                _ => return Err(self.err("Expecting ',' delimiter")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Val<'a>, ParseError> {
        let mut members = Vec::new();
        self.members(|p, key| {
            let v = p.value(depth + 1)?;
            if !p.skip {
                members.push((key, v));
            }
            Ok(())
        })?;
        Ok(Val::Obj(members))
    }

    /// Walk an object's members (at `{`): `each` gets the key with the
    /// parser at the start of its value and must consume the value.
    fn members(
        &mut self,
        mut each: impl FnMut(&mut Self, RawStr<'a>) -> Result<(), ParseError>,
    ) -> Result<(), ParseError> {
        self.i += 1;
        self.ws();
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.b.get(self.i) != Some(&b'"') {
                return Err(self.err("Expecting property name enclosed in double quotes"));
            }
            let key = self.string()?;
            self.ws();
            if self.b.get(self.i) != Some(&b':') {
                return Err(self.err("Expecting ':' delimiter"));
            }
            self.i += 1;
            self.ws();
            each(self, key)?;
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.err("Expecting ',' delimiter")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_python_extensions() {
        assert_eq!(
            parse(b"NaN").map(|v| matches!(v, Val::Float(f) if f.is_nan())),
            Ok(true)
        );
        assert_eq!(parse(b" -Infinity "), Ok(Val::Float(f64::NEG_INFINITY)));
        assert_eq!(parse(b"1E400"), Ok(Val::Float(f64::INFINITY)));
        assert_eq!(
            parse(b"123456789012345678901234567890"),
            Ok(Val::Int("123456789012345678901234567890"))
        );
    }

    #[test]
    fn rejects_what_python_rejects() {
        for bad in [
            &b"\xef\xbb\xbf{}"[..],
            b"{} x",
            b"{}{}",
            b"{not json",
            b"\"a\x01\"",
            b"01",
            b"[1,]",
            b"{\"a\" 1}",
            b"\"\\x\"",
            b"",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn duplicate_keys_last_wins() {
        let v = parse(br#"{"a":1,"a":2}"#).unwrap();
        assert_eq!(v.get("a"), Some(&Val::Int("2")));
    }

    #[test]
    fn surrogates_and_bad_bytes_decode_to_question_marks() {
        let v = parse(b"\"\\ud800x\\ud83d\\ude00\xff\xfe bad\"").unwrap();
        let s = v.as_str().unwrap();
        assert_eq!(s.text, "?x\u{1F600}?? bad");
        assert!(s.has_surrogate);
    }

    #[test]
    fn lazy_event_keeps_what_is_read_and_big_values_as_text() {
        let keep = &["a", "big"];
        assert_eq!(parse_object_lazy(b" [1, 2] ", keep), Ok(None));
        assert!(parse_object_lazy(b"[1,", keep).is_err());
        assert!(parse_object_lazy(b"{\"a\": 1} x", keep).is_err());
        assert!(
            parse_object_lazy(b"{\"x\": [1,]}", keep).is_err(),
            "unread members are validated too"
        );
        let v = parse_object_lazy(br#"{"x": 1, "a": 1, "y": 2, "a": [2]}"#, keep)
            .unwrap()
            .unwrap();
        assert_eq!(
            v.get("a"),
            Some(&Val::Arr(vec![Val::Int("2")])),
            "a later duplicate wins"
        );
        assert_eq!(
            v.get("x"),
            Some(&Val::Int("1")),
            "the first unread member keeps the object non-empty"
        );
        assert_eq!(v.get("y"), None, "other unread members are dropped");
        let big = format!(
            r#"{{"big": [{}0], "a": {{"b": [{}0]}}}}"#,
            "0,".repeat(LAZY_NODES),
            "0,".repeat(10)
        );
        let v = parse_object_lazy(big.as_bytes(), keep).unwrap().unwrap();
        assert!(matches!(v.get("big"), Some(Val::Raw(t)) if t.len() == 2 * LAZY_NODES + 3));
        assert!(matches!(v.get("a"), Some(Val::Obj(_))));
        let raw = format!(
            r#"{{"content": [{}0], "file_path": "p", "file_path": "q"}}"#,
            "1,".repeat(LAZY_NODES)
        );
        let subset = raw_subset(raw.as_bytes(), &["file_path"]);
        assert_eq!(
            subset
                .get("file_path")
                .and_then(Val::as_str)
                .map(|s| s.text)
                .as_deref(),
            Some("q")
        );
        assert_eq!(subset.get("content"), None);
    }

    #[test]
    fn python_str_of_values() {
        let table: &[(&[u8], &str)] = &[
            (b"12345", "12345"),
            (br#"["a"]"#, "['a']"),
            (b"true", "True"),
            (b"null", "None"),
            (b"1.0", "1.0"),
            (b"1e16", "1e+16"),
            (
                br#"{"a":1,"b":[1.5,"x'y",null],"a":2}"#,
                r#"{'a': 2, 'b': [1.5, "x'y", None]}"#,
            ),
            (br#""plain""#, "plain"),
        ];
        for (lit, want) in table {
            assert_eq!(
                parse(lit).unwrap().py_str(),
                *want,
                "{}",
                String::from_utf8_lossy(lit)
            );
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(MAX_DEPTH + 10);
        assert!(parse(deep.as_bytes()).is_err());
        let ok = format!("{}{}", "[".repeat(900), "]".repeat(900));
        assert!(parse(ok.as_bytes()).is_ok());
    }
}
