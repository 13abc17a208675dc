//! Region (tree) algebra: when two lanes' file globs can be worked on at once.

/// Normalise one glob to a comparable prefix: `\` → `/`, trim, case-fold,
/// truncate at the first `*` (a leading glob becomes `""`, the universe).
pub fn normalize(glob: &str) -> String {
    let folded: String = glob.replace('\\', "/").trim().to_lowercase();
    match folded.find('*') {
        Some(i) => folded[..i].to_string(),
        None => folded,
    }
}

/// Whether two normalised prefixes collide (either is a prefix of the other).
pub fn collide(a: &str, b: &str) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// Whether two trees are disjoint: false if either is empty (or only empty
/// strings), or any pair of entries collides.
pub fn disjoint<A: AsRef<str>, B: AsRef<str>>(a: &[A], b: &[B]) -> bool {
    let na: Vec<String> = a
        .iter()
        .map(AsRef::as_ref)
        .filter(|s| !s.is_empty())
        .map(normalize)
        .collect();
    let nb: Vec<String> = b
        .iter()
        .map(AsRef::as_ref)
        .filter(|s| !s.is_empty())
        .map(normalize)
        .collect();
    if na.is_empty() || nb.is_empty() {
        return false;
    }
    !na.iter().any(|x| nb.iter().any(|y| collide(x, y)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disjointness_table() {
        let table: &[(&[&str], &[&str], bool)] = &[
            (&["src/api/**"], &["src/**"], false),
            (&["Src/**"], &["src/x"], false),
            (&["**/*"], &["docs/a"], false),
            (&["docs/ui-*"], &["docs/svc-*"], true),
            (&["src\\api\\**"], &["src/api/x"], false),
            (&["  docs/** "], &["src/**"], true),
            (&[], &["src/**"], false),
            (&[""], &["src/**"], false),
            (&["", "docs/**"], &["src/**"], true),
            (&["src/api/**"], &["src/worker/**"], true),
        ];
        for (a, b, want) in table {
            assert_eq!(disjoint(a, b), *want, "{a:?} vs {b:?}");
            assert_eq!(disjoint(b, a), *want, "symmetric {a:?} vs {b:?}");
        }
    }
}
