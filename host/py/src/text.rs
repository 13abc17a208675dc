//! Python `str` behaviours whose results show in the reference's bytes:
//! `str.isspace()`, `str.isprintable()`, `str.strip()`, `str.splitlines()`,
//! `s[:n]`, and the text of `str(OSError)`.

use crate::unicode_tables::{NOT_PRINTABLE, SPACE};

fn in_ranges(table: &[(char, char)], c: char) -> bool {
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Python's `str.isspace()` for one character (CPython's table: the
/// bidirectional classes WS/B/S and category Zs; U+001C–U+001F included,
/// U+180E, U+200B and U+FEFF not).
pub fn is_py_space(c: char) -> bool {
    if c.is_ascii() {
        return matches!(c, '\t'..='\r' | '\u{1c}'..=' ');
    }
    in_ranges(SPACE, c)
}

/// Python's `str.isprintable()` for one character, from CPython's own table:
/// false for controls, format characters, separators other than the ASCII
/// space, private use, surrogates and unassigned code points. What `repr`
/// escapes.
pub fn is_printable(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    !in_ranges(NOT_PRINTABLE, c)
}

/// Python's `str.strip()` with no argument.
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// Whether Python's `str.splitlines()` breaks a line at `c`.
pub fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\u{0b}'
            | '\u{0c}'
            | '\u{1c}'
            | '\u{1d}'
            | '\u{1e}'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Python's `str.splitlines()` (no `keepends`): splits on `\n`, `\r\n`,
/// `\r`, `\v`, `\f`, U+001C..U+001E, U+0085, U+2028 and U+2029; a trailing
/// line break does not produce an empty last line.
pub fn py_splitlines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if !is_line_break(c) {
            continue;
        }
        out.push(&s[start..i]);
        let mut end = i + c.len_utf8();
        if c == '\r' {
            if let Some((_, '\n')) = iter.peek() {
                iter.next();
                end += 1;
            }
        }
        start = end;
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// Python's `s[:n]`: the first `n` code points of `s` (all of it when shorter).
pub fn cut(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// An operating-system error as `(errno, message)`, the message without
/// Rust's ` (os error N)` suffix; `None` when `e` carries no OS error code.
pub fn os_error(e: &std::io::Error) -> Option<(i32, String)> {
    let code = e.raw_os_error()?;
    let text = e.to_string();
    let suffix = format!(" (os error {code})");
    Some((code, text.strip_suffix(&suffix).unwrap_or(&text).to_string()))
}

/// Render an I/O error the way Python does (`[Errno 111] Connection refused`);
/// an error without an OS code renders as its plain text.
pub fn io_error_text(e: &std::io::Error) -> String {
    match os_error(e) {
        Some((code, msg)) => format!("[Errno {code}] {msg}"),
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitlines_table() {
        let table: [(&str, &[&str]); 8] = [
            ("", &[]),
            ("a", &["a"]),
            ("a\n", &["a"]),
            ("a\r\nb", &["a", "b"]),
            ("a\rb\u{2028}c", &["a", "b", "c"]),
            ("a\n\nb", &["a", "", "b"]),
            ("x\u{0b}y\u{85}", &["x", "y"]),
            ("r\r\r\nz\u{1c}", &["r", "", "z"]),
        ];
        for (input, expected) in table {
            assert_eq!(py_splitlines(input), expected, "{input:?}");
        }
    }

    #[test]
    fn space_and_strip() {
        assert!(is_py_space('\u{1c}') && is_py_space('\u{85}') && is_py_space(' '));
        assert!(!is_py_space('x') && !is_py_space('\u{200b}') && !is_py_space('\u{180e}'));
        assert!(!is_py_space('\u{feff}'));
        assert_eq!(py_strip("\u{1c} a b\u{2028}\n"), "a b");
        assert_eq!(py_strip("\u{feff}a"), "\u{feff}a");
    }

    #[test]
    fn printable_table() {
        // CPython 3.11: [c.isprintable() for c in ...]
        let table = [
            (' ', true),
            ('~', true),
            ('\u{7f}', false),
            ('\u{a0}', false),
            ('\u{ad}', false),
            ('é', true),
            ('\u{378}', false), // unassigned
            ('\u{200b}', false),
            ('\u{2028}', false),
            ('\u{3000}', false),
            ('\u{e000}', false),
            ('\u{1f600}', true),
            ('\u{e0001}', false),
            ('\u{10ffff}', false),
        ];
        for (c, want) in table {
            assert_eq!(is_printable(c), want, "{c:?}");
        }
    }

    #[test]
    fn cut_counts_code_points() {
        assert_eq!(cut("héllo", 2), "hé");
        assert_eq!(cut("hé", 5), "hé");
        assert_eq!(cut("", 0), "");
    }

    #[test]
    fn os_errors_render_like_python() {
        let refused = std::io::Error::from_raw_os_error(111);
        let (code, msg) = os_error(&refused).unwrap();
        assert_eq!(code, 111);
        assert!(!msg.contains("os error"), "{msg}");
        assert_eq!(io_error_text(&refused), format!("[Errno 111] {msg}"));
        let plain = std::io::Error::other("boom");
        assert_eq!(os_error(&plain), None);
        assert_eq!(io_error_text(&plain), "boom");
    }
}
