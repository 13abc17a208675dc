//! A fast, allocation-free check that a journal line is *canonical*: exactly
//! the bytes the kernel writer produces for the event the line decodes to.
//!
//! A canonical line can be handed to an exporter as-is (its re-encoding
//! would be the same bytes), which is what makes draining a large journal
//! cheap: no JSON tree is built for it. Anything else takes the slow path
//! (tolerant parse → `from_record` → re-encode), so a false "not canonical"
//! only costs time, never correctness.
//!
//! Canonical means: the eleven record keys in sorted order with Python's
//! `", "` / `": "` separators; `schema_family` `"verdict-journal"`,
//! `schema_version` `1`; an integer `seq` in the i64 range (below
//! `i64::MAX`) written without a sign of `-0`; a non-empty `source`; string values for the text fields;
//! an object `detail` whose nested objects have strictly increasing keys;
//! numbers as Python writes them; strings with exactly Python's escapes. Raw
//! U+2028 / U+2029 / U+0085 inside strings (the reference writes them raw,
//! we write them escaped) are accepted either way: both decode identically.

use dos_py::dumps::write_float;

/// The seq of `line` if it is canonical (see the module docs), else `None`.
pub fn canonical_seq(line: &str) -> Option<i64> {
    let (seq, end) = canonical_prefix(line.as_bytes())?;
    (end == line.len()).then_some(seq)
}

/// Parse a canonical record at the start of `b` (which may continue past
/// it, e.g. with the next lines of a read buffer): its seq and the offset
/// just after its closing `}`. A canonical record never contains a raw
/// control byte, so it never runs past a `\n`. The bytes are not checked to
/// be UTF-8 here; a caller starting from bytes must check that itself.
pub fn canonical_prefix(b: &[u8]) -> Option<(i64, usize)> {
    let mut p = Parser { b, i: 0 };
    p.lit(b"{\"detail\": ")?;
    p.object(0)?;
    // Each string's opening quote is matched with the literal before it.
    p.lit(b", \"lane\": \"")?;
    p.string_body()?;
    p.lit(b", \"run_id\": \"")?;
    p.string_body()?;
    p.lit(b", \"schema_family\": \"verdict-journal\", \"schema_version\": 1, \"seq\": ")?;
    // i64::MAX has no successor: such a record takes the slow path, which
    // reads its seq as out of range.
    let seq = p.integer().filter(|s| *s != i64::MAX)?;
    p.lit(b", \"source\": \"")?;
    if p.peek() == Some(b'"') {
        return None; // empty source decodes to "kernel"
    }
    p.string_body()?;
    p.lit(b", \"subject\": \"")?;
    p.string_body()?;
    p.lit(b", \"syscall\": \"")?;
    p.string_body()?;
    p.lit(b", \"ts\": \"")?;
    p.string_body()?;
    p.lit(b", \"verdict\": \"")?;
    p.string_body()?;
    p.lit(b"}")?;
    Some((seq, p.i))
}

/// Eight bytes of `b` from `k` as a little-endian word (`k + 8 <= b.len()`).
#[inline(always)]
fn word(b: &[u8], k: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[k..k + 8]);
    u64::from_le_bytes(w)
}

/// `a == b` for a constant `b`, a word at a time (no `memcmp` call).
#[inline(always)]
fn eq_const<const N: usize>(a: &[u8; N], b: &[u8; N]) -> bool {
    if N < 8 {
        return a == b;
    }
    let mut diff = 0u64;
    let mut k = 0;
    while k + 8 <= N {
        diff |= word(a, k) ^ word(b, k);
        k += 8;
    }
    if k < N {
        diff |= word(a, N - 8) ^ word(b, N - 8);
    }
    diff == 0
}

/// Bytes that end the fast run inside a string: `"`, `\`, controls.
static STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// A mask whose lowest set bit marks the first byte of `w` (little-endian)
/// that is `"`, `\` or below 0x20; zero when there is none. Bits above the
/// first match may be spurious, the lowest one never is.
#[inline]
fn stop_mask(w: u64) -> u64 {
    let zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    zero(w ^ (LO * b'"' as u64)) | zero(w ^ (LO * b'\\' as u64)) | (w.wrapping_sub(LO * 0x20) & !w & HI)
}

const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    #[inline(always)]
    fn lit<const N: usize>(&mut self, s: &[u8; N]) -> Option<()> {
        let got = self.b.get(self.i..)?.first_chunk::<N>()?;
        if eq_const(got, s) {
            self.i += N;
            Some(())
        } else {
            None
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Advance `i` to the next `"`, `\` or control byte (8 bytes at a time
    /// while it can), or to the end of the input.
    #[inline(always)]
    fn skip_plain(&mut self) {
        let b = self.b;
        let mut i = self.i;
        while i + 8 <= b.len() {
            let m = stop_mask(word(b, i));
            if m != 0 {
                self.i = i + (m.trailing_zeros() / 8) as usize;
                return;
            }
            i += 8;
        }
        while i < b.len() && !STOP[b[i] as usize] {
            i += 1;
        }
        self.i = i;
    }

    /// The rest of a canonical string after its opening quote, up to and
    /// including the closing one.
    #[inline(always)]
    fn string_body(&mut self) -> Option<()> {
        loop {
            self.skip_plain();
            match *self.b.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return Some(());
                }
                b'\\' => self.escape()?,
                _ => return None, // raw control character
            }
        }
    }

    /// A canonical string; returns its byte span including the quotes.
    #[inline]
    fn string(&mut self) -> Option<(usize, usize)> {
        let start = self.i;
        self.lit(b"\"")?;
        self.string_body()?;
        Some((start, self.i))
    }

    /// One escape inside a string, as Python writes it.
    #[cold]
    fn escape(&mut self) -> Option<()> {
        let esc = *self.b.get(self.i + 1)?;
        match esc {
            b'"' | b'\\' | b'n' | b'r' | b't' | b'b' | b'f' => self.i += 2,
            b'u' => {
                let hex = self.b.get(self.i + 2..self.i + 6)?;
                if !hex
                    .iter()
                    .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
                {
                    return None;
                }
                let text = std::str::from_utf8(hex).ok()?;
                let unit = u32::from_str_radix(text, 16).ok()?;
                let python_escape = unit < 0x20 && !matches!(unit, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d);
                if !(python_escape || matches!(unit, 0x2028 | 0x2029 | 0x85)) {
                    return None;
                }
                self.i += 6;
            }
            _ => return None,
        }
        Some(())
    }

    /// A canonical integer in the i64 range (no `+`, no leading zeros, no
    /// `-0`).
    #[inline]
    fn integer(&mut self) -> Option<i64> {
        let neg = self.peek() == Some(b'-');
        if neg {
            self.i += 1;
        }
        let digits = self.i;
        // Accumulate the magnitude as a u64 (19 digits always fit).
        let mut v: u64 = 0;
        while let Some(c) = self.peek().filter(u8::is_ascii_digit) {
            if self.i - digits == 19 {
                return None; // 20+ digits: out of range
            }
            v = v * 10 + u64::from(c - b'0');
            self.i += 1;
        }
        let n = self.i - digits;
        if n == 0 || (n > 1 && self.b[digits] == b'0') || (neg && v == 0) {
            return None;
        }
        if neg {
            // -(2^63) is the one magnitude that does not fit i64 positively.
            0i64.checked_sub_unsigned(v)
        } else {
            i64::try_from(v).ok()
        }
    }

    /// A canonical number: an integer in the i64 range, or a float written
    /// exactly as Python's `repr` writes it.
    fn number(&mut self) -> Option<()> {
        let start = self.i;
        if self.integer().is_some() && !matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            return Some(());
        }
        self.float(start)
    }

    #[cold]
    fn float(&mut self, start: usize) -> Option<()> {
        self.i = start;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            self.i += 1;
        }
        let text = std::str::from_utf8(&self.b[start..self.i]).ok()?;
        let f: f64 = text.parse().ok()?;
        if !f.is_finite() || !(text.contains('.') || text.contains('e')) {
            return None;
        }
        let mut again = String::with_capacity(text.len());
        write_float(&mut again, f);
        (again == text).then_some(())
    }

    fn value(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b't' => self.lit(b"true"),
            b'f' => self.lit(b"false"),
            b'n' => self.lit(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn object(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.lit(b"{")?;
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Some(());
        }
        let mut prev: Option<(usize, usize)> = None;
        loop {
            let key = self.string()?;
            // Sorted by code point = sorted by UTF-8 bytes — but only when
            // both keys are written without escapes; an escaped key takes the
            // slow path.
            if self.b[key.0..key.1].contains(&b'\\') {
                return None;
            }
            if let Some(p) = prev {
                if self.b[p.0 + 1..p.1 - 1] >= self.b[key.0 + 1..key.1 - 1] {
                    return None;
                }
            }
            prev = Some(key);
            self.lit(b": ")?;
            self.value(depth)?;
            match self.peek()? {
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                b',' => self.lit(b", ")?,
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.lit(b"[")?;
        if self.peek() == Some(b']') {
            self.i += 1;
            return Some(());
        }
        loop {
            self.value(depth)?;
            match self.peek()? {
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                b',' => self.lit(b", ")?,
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::record::VerdictEvent;
    use crate::journal::tolerant;
    use proptest::prelude::*;

    const GOLDEN: &str = r#"{"detail": {"code": 2, "intervention": "BLOCK", "matched": true}, "lane": "", "run_id": "", "schema_family": "verdict-journal", "schema_version": 1, "seq": 5, "source": "kernel", "subject": "", "syscall": "hook_exit", "ts": "2026-11-21T21:23:14Z", "verdict": "BLOCK"}"#;

    fn slow_canonical(line: &str) -> Option<i64> {
        let parsed = tolerant::parse(line)?;
        let map = parsed.value.as_object()?;
        let e = VerdictEvent::from_record(map);
        let escaped = line
            .replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029")
            .replace('\u{85}', "\\u0085");
        (!parsed.lossy && e.to_line() == escaped).then_some(e.seq)
    }

    #[test]
    fn canonical_table() {
        let swap = |from: &str, to: &str| GOLDEN.replacen(from, to, 1);
        let table: Vec<(String, Option<i64>)> = vec![
            (GOLDEN.into(), Some(5)),
            (swap("\"seq\": 5", "\"seq\": -5"), Some(-5)),
            (swap("\"seq\": 5", "\"seq\": -0"), None),
            (swap("\"seq\": 5", "\"seq\": 05"), None),
            (swap("\"seq\": 5", "\"seq\": 5.0"), None),
            (swap("\"seq\": 5", "\"seq\": \"5\""), None),
            (swap("\"code\": 2", "\"code\": 2.50"), None),
            (swap("\"code\": 2", "\"code\": 2.5"), Some(5)),
            (swap("\"code\": 2", "\"code\": 1e+16"), Some(5)),
            (swap("\"code\": 2", "\"code\": 1e16"), None),
            (swap("\"code\": 2", "\"code\": NaN"), None),
            (swap("\"code\": 2", "\"code\": [1, {\"a\": null}]"), Some(5)),
            (swap("\"code\": 2", "\"code\": [1,2]"), None),
            (
                swap("\"code\": 2, \"intervention\"", "\"intervention\": 1, \"code\""),
                None,
            ),
            (swap("\"BLOCK\"}", "\"B\\u00e4\"}"), None),
            (swap("\"BLOCK\"}", "\"B\u{2028}\"}"), Some(5)),
            (swap("\"BLOCK\"}", "\"B\\u2028\"}"), Some(5)),
            (swap("\"BLOCK\"}", "\"B\\u0001\"}"), Some(5)),
            (swap("\"BLOCK\"}", "\"B\\u000a\"}"), None),
            (swap("\"BLOCK\"}", "\"B\\/\"}"), None),
            (swap("\"kernel\"", "\"\""), None),
            (swap("\"verdict-journal\"", "\"other\""), None),
            (swap("\"schema_version\": 1", "\"schema_version\": 2"), None),
            (swap("}", "} "), None),
            (format!("{GOLDEN} "), None),
        ];
        for (line, expected) in table {
            assert_eq!(canonical_seq(&line), expected, "{line}");
            if expected.is_some() {
                assert_eq!(slow_canonical(&line), expected, "slow path disagrees: {line}");
            }
        }
    }

    proptest! {
        /// Whenever the fast check says canonical, the slow definition agrees.
        #[test]
        fn fast_implies_slow(
            syscall in "[a-z_\\u{e4}\\u{2028}\"\\\\]{0,8}",
            verdict in "[A-Z_\\n]{0,6}",
            seq in any::<i64>(),
            k in "[a-c]{1,3}",
            f in any::<f64>(),
            i in any::<i64>(),
        ) {
            let mut e = VerdictEvent::new(&syscall, &verdict);
            e.seq = seq;
            e.ts = "2026-11-21T21:23:14Z".into();
            e.detail.insert(k, serde_json::json!([f, i, {"z": null, "a": true}]));
            let line = e.to_line();
            let fast = canonical_seq(&line);
            if fast.is_some() {
                prop_assert_eq!(fast, slow_canonical(&line));
            }
            if f.is_finite() && seq != i64::MAX {
                prop_assert_eq!(fast, Some(seq));
            }
        }
    }
}
