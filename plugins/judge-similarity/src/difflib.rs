//! A faithful port of CPython's `difflib.SequenceMatcher` (no junk function,
//! `autojunk=True`, the defaults the reference uses), over sequences of
//! Unicode code points.
//!
//! Only what `ratio()` needs is ported: the `b2j` index with the "popular
//! element" heuristic, `find_longest_match`, and `get_matching_blocks`.

use std::collections::HashMap;

/// One matching block: `a[a_start..a_start+size] == b[b_start..b_start+size]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Match {
    /// Start in `a`.
    pub a_start: usize,
    /// Start in `b`.
    pub b_start: usize,
    /// Length of the block.
    pub size: usize,
}

/// `SequenceMatcher(None, a, b)` for sequences of `char`.
pub struct SequenceMatcher<'s> {
    a: &'s [char],
    b: &'s [char],
    /// For each non-popular element of `b`, its positions in ascending order.
    b2j: HashMap<char, Vec<usize>>,
}

impl<'s> SequenceMatcher<'s> {
    /// Index `b` the way `SequenceMatcher.__chain_b` does: when `len(b) >= 200`,
    /// every element occurring more than `len(b) // 100 + 1` times is "popular"
    /// and dropped from the index (it can still be absorbed when a match is
    /// extended, but can never seed or continue one in the scan).
    pub fn new(a: &'s [char], b: &'s [char]) -> Self {
        let mut b2j: HashMap<char, Vec<usize>> = HashMap::new();
        for (j, &c) in b.iter().enumerate() {
            b2j.entry(c).or_default().push(j);
        }
        let n = b.len();
        if n >= 200 {
            let ntest = n / 100 + 1;
            b2j.retain(|_, idxs| idxs.len() <= ntest);
        }
        SequenceMatcher { a, b, b2j }
    }

    /// The longest matching block in `a[alo..ahi]` × `b[blo..bhi]`, ties going
    /// to the earliest start in `a`, then in `b` (`find_longest_match`).
    pub fn find_longest_match(&self, alo: usize, ahi: usize, blo: usize, bhi: usize) -> Match {
        let (a, b) = (self.a, self.b);
        let (mut besti, mut bestj, mut bestsize) = (alo, blo, 0usize);
        // j2len[j + 1] = length of the match ending at a[i-1], b[j]; kept sparse
        // by remembering which slots were written, as the reference's dicts are.
        let width = b.len() + 1;
        let mut j2len = vec![0usize; width];
        let mut newj2len = vec![0usize; width];
        let mut touched: Vec<usize> = Vec::new();
        let mut new_touched: Vec<usize> = Vec::new();
        for (i, c) in a.iter().enumerate().take(ahi).skip(alo) {
            if let Some(positions) = self.b2j.get(c) {
                for &j in positions {
                    if j < blo {
                        continue;
                    }
                    if j >= bhi {
                        break;
                    }
                    let k = j2len[j] + 1;
                    newj2len[j + 1] = k;
                    new_touched.push(j + 1);
                    if k > bestsize {
                        besti = i + 1 - k;
                        bestj = j + 1 - k;
                        bestsize = k;
                    }
                }
            }
            for &slot in &touched {
                j2len[slot] = 0;
            }
            std::mem::swap(&mut j2len, &mut newj2len);
            std::mem::swap(&mut touched, &mut new_touched);
            new_touched.clear();
        }
        // Extend the best match by equal elements on each end (popular
        // elements included: there is no junk, so every element qualifies).
        while besti > alo && bestj > blo && a[besti - 1] == b[bestj - 1] {
            besti -= 1;
            bestj -= 1;
            bestsize += 1;
        }
        while besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] == b[bestj + bestsize] {
            bestsize += 1;
        }
        Match {
            a_start: besti,
            b_start: bestj,
            size: bestsize,
        }
    }

    /// The non-overlapping matching blocks, sorted (without the reference's
    /// trailing zero-size sentinel and without merging adjacent blocks, neither
    /// of which changes the matched total).
    pub fn matching_blocks(&self) -> Vec<Match> {
        let mut queue = vec![(0usize, self.a.len(), 0usize, self.b.len())];
        let mut blocks = Vec::new();
        while let Some((alo, ahi, blo, bhi)) = queue.pop() {
            let m = self.find_longest_match(alo, ahi, blo, bhi);
            if m.size == 0 {
                continue;
            }
            blocks.push(m);
            if alo < m.a_start && blo < m.b_start {
                queue.push((alo, m.a_start, blo, m.b_start));
            }
            if m.a_start + m.size < ahi && m.b_start + m.size < bhi {
                queue.push((m.a_start + m.size, ahi, m.b_start + m.size, bhi));
            }
        }
        blocks.sort();
        blocks
    }

    /// `2·M / (len(a) + len(b))`, or 1.0 when both are empty (`ratio()`).
    pub fn ratio(&self) -> f64 {
        let total = self.a.len() + self.b.len();
        if total == 0 {
            return 1.0;
        }
        let matched: usize = self.matching_blocks().iter().map(|m| m.size).sum();
        2.0 * matched as f64 / total as f64
    }
}

/// `difflib.SequenceMatcher(None, a, b).ratio()` over the code points of two strings.
pub fn ratio(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    SequenceMatcher::new(&a, &b).ratio()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn longest_match_matches_the_reference_docs() {
        // From the difflib documentation.
        let (a, b) = (chars(" abcd"), chars("abcd abcd"));
        let m = SequenceMatcher::new(&a, &b).find_longest_match(0, 5, 0, 9);
        assert_eq!((m.a_start, m.b_start, m.size), (0, 4, 5));
        let (a, b) = (chars("qabxcd"), chars("abycdf"));
        let blocks = SequenceMatcher::new(&a, &b).matching_blocks();
        let got: Vec<_> = blocks.iter().map(|m| (m.a_start, m.b_start, m.size)).collect();
        assert_eq!(got, vec![(1, 0, 2), (4, 3, 2)]);
    }

    #[test]
    fn ratios_match_cpython() {
        // Values printed by CPython 3.11's difflib.
        let cases: &[(&str, &str, f64)] = &[
            ("abcd", "bcde", 0.75),
            ("", "", 1.0),
            ("a", "", 0.0),
            (
                "private Thread currentThread;",
                "private volatile Thread currentThread;",
                0.8656716417910447,
            ),
        ];
        for (a, b, want) in cases {
            assert_eq!(ratio(a, b), *want, "{a:?} vs {b:?}");
        }
    }

    proptest! {
        #[test]
        fn ratio_is_a_fraction(a in "[ab c]{0,40}", b in "[ab c]{0,260}") {
            let r = ratio(&a, &b);
            prop_assert!((0.0..=1.0).contains(&r));
        }

        #[test]
        fn identical_short_strings_score_one(a in "\\PC{0,120}") {
            prop_assert_eq!(ratio(&a, &a), 1.0);
        }

        #[test]
        fn blocks_are_real_matches(a in "[abc]{0,30}", b in "[abc]{0,220}") {
            let (ac, bc) = (chars(&a), chars(&b));
            let sm = SequenceMatcher::new(&ac, &bc);
            for m in sm.matching_blocks() {
                prop_assert_eq!(&ac[m.a_start..m.a_start + m.size], &bc[m.b_start..m.b_start + m.size]);
            }
        }
    }
}
