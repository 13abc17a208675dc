//! Python's `repr()` of a string, which the reference uses to quote names in
//! messages (`'bash'`, `"it's"`, `'zero\u200bwidth'`).

/// `repr(s)` as Python 3 renders it.
pub fn repr(s: &str) -> String {
    crate::pyrepr::py_repr_with(s, is_printable)
}

/// Python's `str.isprintable` for one character (approximated: controls,
/// format characters, separators other than space, private use and
/// unassigned-looking ranges are not printable).
fn is_printable(c: char) -> bool {
    let u = c as u32;
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(u,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F
        | 0x202A..=0x202E | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB
        | 0xE000..=0xF8FF | 0xF0000..=0x10FFFF | 0xE0000..=0xE007F | 0xFFFE | 0xFFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_table() {
        let table = [
            ("bash", "'bash'"),
            ("it's", "\"it's\""),
            ("a\"b'c", "'a\"b\\'c'"),
            ("zero\u{200b}width", "'zero\\u200bwidth'"),
            ("pythön", "'pythön'"),
            ("a\\b\n", "'a\\\\b\\n'"),
            ("\u{1}\u{85}", "'\\x01\\x85'"),
            ("nb\u{a0}sp", "'nb\\xa0sp'"),
        ];
        for (input, expected) in table {
            assert_eq!(repr(input), expected, "{input:?}");
        }
    }
}
