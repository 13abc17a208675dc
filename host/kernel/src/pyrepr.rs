//! Python's `repr()` of a string, which the reference embeds in reason texts
//! (`effect 'orders:4' is PRESENT`).

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
    py_repr_with(s, printable)
}

/// `repr(s)` for a Python `str` with the caller's notion of "printable":
/// quotes and the `\\`, `\n`, `\r`, `\t` escapes as Python writes them,
/// every other character for which `printable` is false as `\xNN` /
/// `\uNNNN` / `\UNNNNNNNN`. Areas that match the reference with a narrower
/// or wider approximation of `str.isprintable` pass their own rule.
pub fn py_repr_with(s: &str, printable: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    dos_plugin_api::pyvalue::write_str_repr_with(&mut out, s, printable);
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
