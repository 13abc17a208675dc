//! POSIX shell-word splitting (no expansion), for the worker command line.

/// Split `s` into words: whitespace separates, `'…'` is literal, `"…"`
/// honours `\"`, `\\`, `\$`, `` \` ``; a bare `\` escapes the next char.
pub fn split(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => cur.push(ch),
                        None => return Err("No closing quotation".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(ch @ ('"' | '\\' | '$' | '`')) => cur.push(ch),
                            Some(ch) => {
                                cur.push('\\');
                                cur.push(ch);
                            }
                            None => return Err("No closing quotation".into()),
                        },
                        Some(ch) => cur.push(ch),
                        None => return Err("No closing quotation".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(ch) => cur.push(ch),
                    None => return Err("No escaped character".into()),
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    #[test]
    fn split_table() {
        let table: &[(&str, &[&str])] = &[
            (
                "claude -p \"/dos-dispatch-loop --lane docs\"",
                &["claude", "-p", "/dos-dispatch-loop --lane docs"],
            ),
            ("a 'b c' d\\ e", &["a", "b c", "d e"]),
            ("  ", &[]),
            ("x \"\"", &["x", ""]),
        ];
        for (s, want) in table {
            assert_eq!(super::split(s).unwrap(), *want, "{s}");
        }
        assert!(super::split("echo 'unbalanced").is_err());
    }
}
