//! Python's `repr()` of `str` and `float` (and lists of strings), which the
//! reference embeds in reason texts, errors and rendered values
//! (`effect 'orders:4' is PRESENT`, `['A', 'B']`, `1e+16`).

use crate::text::is_printable;
use std::fmt::Write;

/// Python's `repr(str)` appended to `out`: single quotes unless the text
/// has `'` and no `"`; `\\`, `\n`, `\r`, `\t` and the quote escaped; every
/// character `str.isprintable()` rejects as `\xNN` / `\uNNNN` / `\UNNNNNNNN`.
pub fn write_str_repr(out: &mut String, s: &str) {
    write_str_repr_with(out, s, is_printable);
}

/// [`write_str_repr`] with the caller's notion of "printable". Kept for the
/// plugin API's public path (plugins may pass their own rule); everything in
/// this workspace uses [`write_str_repr`], which is CPython's.
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

/// Python's `repr(s)` for a `str`.
pub fn str_repr(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_str_repr(&mut out, s);
    out
}

/// Python's `repr()` of a list of strings: `['A', 'B']`.
pub fn list_repr<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let mut out = String::from("[");
    for (i, s) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_str_repr(&mut out, s.as_ref());
    }
    out.push(']');
    out
}

/// Python's `repr(float)` appended to `out`: shortest round-trip digits
/// (`0.1`, `1e+16`, `1e-05`, `100.0`); `inf`, `-inf`, `nan`.
pub fn write_float_repr(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("nan");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "inf" } else { "-inf" });
    } else {
        crate::dumps::write_float(out, f);
    }
}

/// Python's `repr(float)`.
pub fn float_repr(f: f64) -> String {
    let mut out = String::new();
    write_float_repr(&mut out, f);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn str_repr_table() {
        // Each right-hand side is CPython 3.11's repr() of the left.
        let table = [
            ("bash", "'bash'"),
            ("it's", "\"it's\""),
            ("a\"b'c", "'a\"b\\'c'"),
            ("tab\there", "'tab\\there'"),
            ("é✓", "'é✓'"),
            (" orders:4 ", "' orders:4 '"),
            ("back\\slash", "'back\\\\slash'"),
            ("nl\n", "'nl\\n'"),
            ("\u{1}", "'\\x01'"),
            ("\u{2028}", "'\\u2028'"),
            ("zero\u{200b}width", "'zero\\u200bwidth'"),
            ("\u{1}\u{85}", "'\\x01\\x85'"),
            ("nb\u{a0}sp", "'nb\\xa0sp'"),
            ("\u{ad}\u{a0}\u{200b}\u{3000}", "'\\xad\\xa0\\u200b\\u3000'"),
            ("\u{378}", "'\\u0378'"),
            ("\u{e0001}😀", "'\\U000e0001😀'"),
        ];
        for (input, want) in table {
            assert_eq!(str_repr(input), want, "{input:?}");
        }
        assert_eq!(list_repr(["A", "B"]), "['A', 'B']");
        assert_eq!(list_repr(Vec::<String>::new()), "[]");
    }

    #[test]
    fn float_repr_table() {
        for (f, want) in [
            (0.1, "0.1"),
            (1e16, "1e+16"),
            (100.0, "100.0"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (-0.0, "-0.0"),
        ] {
            assert_eq!(float_repr(f), want);
        }
    }
}
