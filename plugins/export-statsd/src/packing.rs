//! Packing counter lines into UDP datagrams (pure).
//!
//! StatsD servers (collectd, Etsy statsd, Telegraf, DogStatsD) split a
//! datagram on `\n`, so several lines can share one. Lines are packed in
//! order, greedily, joined by `\n` with no trailing newline, into datagrams of
//! at most `max` bytes. A line is never split: a line that alone is longer
//! than `max` is sent alone in its own datagram (splitting would corrupt it,
//! dropping it would lose the count; a receiver with a smaller buffer may
//! still truncate it). `max == 0` sends one line per datagram (the
//! reference's wire form).

/// The largest UDP payload over IPv4 (65535 − 8 − 20).
pub const MAX_UDP_PAYLOAD: usize = 65_507;

/// The common safe datagram size: fits a 1500-byte Ethernet MTU after IPv6
/// and UDP headers with room for tunnels (the size DogStatsD clients use).
pub const SAFE_DATAGRAM_BYTES: usize = 1432;

/// Pack `lines` into datagrams of at most `max` bytes (see the module doc).
pub fn pack(lines: &[String], max: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in lines {
        let fits = !current.is_empty() && max > 0 && current.len() + 1 + line.len() <= max;
        if fits {
            current.push('\n');
            current.push_str(line);
            continue;
        }
        if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        current.push_str(line);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn owned(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn pack_table() {
        let lines = owned(&["aaaa", "bb", "cccccc", "d"]);
        let cases: [(usize, &[&str]); 8] = [
            (0, &["aaaa", "bb", "cccccc", "d"]),
            (1, &["aaaa", "bb", "cccccc", "d"]),
            (7, &["aaaa\nbb", "cccccc", "d"]),
            (8, &["aaaa\nbb", "cccccc\nd"]),
            (13, &["aaaa\nbb", "cccccc\nd"]),
            (14, &["aaaa\nbb\ncccccc", "d"]),
            (15, &["aaaa\nbb\ncccccc", "d"]),
            (16, &["aaaa\nbb\ncccccc\nd"]),
        ];
        for (max, want) in cases {
            assert_eq!(pack(&lines, max), owned(want), "max {max}");
        }
        assert_eq!(pack(&lines, 1432), owned(&["aaaa\nbb\ncccccc\nd"]));
        assert!(pack(&[], 1432).is_empty());
    }

    #[test]
    fn an_oversized_line_goes_alone() {
        let lines = owned(&["ab", "0123456789", "cd", "ef"]);
        assert_eq!(pack(&lines, 5), owned(&["ab", "0123456789", "cd\nef"]));
    }

    fn line() -> impl Strategy<Value = String> {
        // Counter lines never contain `\n` (it is sanitized out of tags).
        "[a-z0-9.:|#,=_é]{1,40}"
    }

    proptest! {
        #[test]
        fn packing_never_splits_and_respects_the_limit(
            lines in proptest::collection::vec(line(), 0..60),
            max in 0usize..200,
        ) {
            let datagrams = pack(&lines, max);
            // Never split, never reorder, never drop: the datagrams' lines
            // are exactly the input lines.
            let back: Vec<String> = datagrams
                .iter()
                .flat_map(|d| d.split('\n').map(str::to_string))
                .collect();
            prop_assert_eq!(&back, &lines);
            for d in &datagrams {
                prop_assert!(!d.is_empty());
                let one_line = !d.contains('\n');
                if max == 0 {
                    prop_assert!(one_line, "max 0 packs nothing: {:?}", d);
                } else {
                    prop_assert!(d.len() <= max || one_line, "{} > {}: {:?}", d.len(), max, d);
                }
            }
            // Greedy: the next datagram's first line would not have fitted.
            if max > 0 {
                for pair in datagrams.windows(2) {
                    let first_next = pair[1].split('\n').next().unwrap_or_default();
                    prop_assert!(pair[0].len() + 1 + first_next.len() > max);
                }
            }
        }
    }
}
