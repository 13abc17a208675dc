//! Python `repr` of strings and string lists, for the messages that quote a
//! value the way the reference does (`got 'abc'`, `['A', 'B']`).

/// Python's `repr(str)`: single quotes unless the text has `'` and no `"`.
pub fn py_repr(s: &str) -> String {
    crate::pyrepr::py_repr_with(s, |c| !is_unprintable(c))
}

/// Python's `repr(list_of_str)`: `['A', 'B']`.
pub fn py_list_repr<S: AsRef<str>>(items: &[S]) -> String {
    let parts: Vec<String> = items.iter().map(|s| py_repr(s.as_ref())).collect();
    format!("[{}]", parts.join(", "))
}

/// Control, format, separator and private-use characters Python does not print
/// verbatim (an approximation of `str.isprintable` without Unicode tables:
/// exact for ASCII, Latin-1 and the common separators).
fn is_unprintable(c: char) -> bool {
    let n = c as u32;
    n < 0x20
        || (0x7f..=0xa0).contains(&n)
        || n == 0xad
        || matches!(n, 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x206f | 0x3000 | 0xfeff)
        || (0xe000..=0xf8ff).contains(&n)
        || (0xd800..=0xdfff).contains(&n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_table() {
        let table = [
            ("abc", "'abc'"),
            ("it's", "\"it's\""),
            ("a\"b'c", "'a\"b\\'c'"),
            ("tab\there", "'tab\\there'"),
            ("é✓", "'é✓'"),
            ("\u{1}", "'\\x01'"),
        ];
        for (input, expected) in table {
            assert_eq!(py_repr(input), expected, "{input}");
        }
        assert_eq!(py_list_repr(&["A", "B"]), "['A', 'B']");
    }
}
