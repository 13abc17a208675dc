//! Python's `repr()` of a string, which the reference embeds in reason texts
//! (`effect 'orders:4' is PRESENT`).

use std::fmt::Write;

fn printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    // Format characters (Cf) commonly met, private use and unassigned surrogates.
    !matches!(u, 0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F
        | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB
        | 0xE000..=0xF8FF | 0xF0000..=0x10FFFF)
}

/// `repr(s)` for a Python `str`.
pub fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
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
                let _ = if u <= 0xFF {
                    write!(out, "\\x{u:02x}")
                } else if u <= 0xFFFF {
                    write!(out, "\\u{u:04x}")
                } else {
                    write!(out, "\\U{u:08x}")
                };
            }
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::py_repr;

    #[test]
    fn repr_table() {
        let table = [
            ("it's", "\"it's\""),
            ("a\"b'c", "'a\"b\\'c'"),
            ("tab\there", "'tab\\there'"),
            ("é✓", "'é✓'"),
            (" orders:4 ", "' orders:4 '"),
            ("back\\slash", "'back\\\\slash'"),
            ("nl\n", "'nl\\n'"),
            ("\u{1}", "'\\x01'"),
            ("\u{2028}", "'\\u2028'"),
        ];
        for (input, want) in table {
            assert_eq!(py_repr(input), want, "{input:?}");
        }
    }
}
