//! Counter lines (pure): one line per distinct `(syscall, verdict)` pair,
//! written in the receiver's tag dialect ([`TagFormat`]).

use std::collections::BTreeMap;

/// How the `syscall` and `verdict` tags are written into a counter line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TagFormat {
    /// DogStatsD `|#tag:val` extension (the reference's, byte-identical):
    /// `dos.verdict:3|c|#syscall:verify,verdict:NOT_SHIPPED`.
    #[default]
    Dogstatsd,
    /// Plain StatsD with the tags folded into the dotted Graphite name:
    /// `dos.verdict.verify.NOT_SHIPPED:3|c`.
    Graphite,
    /// Telegraf's InfluxDB-style tags in the metric name:
    /// `dos.verdict,syscall=verify,verdict=NOT_SHIPPED:3|c`.
    Influx,
}

impl TagFormat {
    /// Every format with its configuration name, in documentation order.
    pub const ALL: [(TagFormat, &'static str); 3] = [
        (TagFormat::Dogstatsd, "dogstatsd"),
        (TagFormat::Graphite, "graphite"),
        (TagFormat::Influx, "influx"),
    ];

    /// The format called `name` (exact, lowercase), if any.
    pub fn from_name(name: &str) -> Option<TagFormat> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }

    /// The configuration name of this format.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("dogstatsd", |(_, n)| n)
    }

    /// Characters that would change the meaning of a line in this format.
    /// All formats share the StatsD/DogStatsD delimiters (`|` `:` `,` `#`
    /// space `\n` `\t` `\r`); Graphite adds its path separator `.`, Influx
    /// its key/value separator `=`.
    fn is_separator(self, c: char) -> bool {
        matches!(c, '|' | ':' | ',' | '#' | ' ' | '\n' | '\t' | '\r')
            || (self == TagFormat::Graphite && c == '.')
            || (self == TagFormat::Influx && c == '=')
    }

    /// Replace this format's separators in a tag value with `_`; an empty
    /// result becomes `none`.
    pub fn sanitize(self, value: &str) -> String {
        let out: String = value
            .chars()
            .map(|c| if self.is_separator(c) { '_' } else { c })
            .collect();
        if out.is_empty() {
            "none".to_string()
        } else {
            out
        }
    }

    /// One counter line for already-sanitized tags.
    pub fn line(self, prefix: &str, count: u64, syscall: &str, verdict: &str) -> String {
        match self {
            TagFormat::Dogstatsd => format!("{prefix}:{count}|c|#syscall:{syscall},verdict:{verdict}"),
            TagFormat::Graphite => format!("{prefix}.{syscall}.{verdict}:{count}|c"),
            TagFormat::Influx => format!("{prefix},syscall={syscall},verdict={verdict}:{count}|c"),
        }
    }
}

/// The DogStatsD tag sanitizer (the reference's `_sanitize_tag`).
pub fn sanitize_tag(value: &str) -> String {
    TagFormat::Dogstatsd.sanitize(value)
}

/// Build the counter lines for a batch of `(syscall, verdict)` pairs: empty
/// tokens count as `none`, pairs are grouped by their tags *as sanitized for
/// `format`* (so no two lines are identical) and sorted by them in
/// code-point order.
pub fn build_lines<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    prefix: &str,
    format: TagFormat,
) -> Vec<String> {
    let mut counts: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (syscall, verdict) in pairs {
        let key = (format.sanitize(syscall), format.sanitize(verdict));
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
        .into_iter()
        .map(|((s, v), n)| format.line(prefix, n, &s, &v))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use TagFormat::{Dogstatsd, Graphite, Influx};

    #[test]
    fn names_round_trip_and_are_exact() {
        for (f, n) in TagFormat::ALL {
            assert_eq!(TagFormat::from_name(n), Some(f));
            assert_eq!(f.name(), n);
        }
        for bad in ["", "Graphite", "statsd", " influx", "datadog"] {
            assert_eq!(TagFormat::from_name(bad), None, "{bad:?}");
        }
        assert_eq!(TagFormat::default(), Dogstatsd);
    }

    #[test]
    fn sanitize_table() {
        let cases = [
            (Dogstatsd, "liveness", "liveness"),
            (Dogstatsd, "", "none"),
            (Dogstatsd, "a|b:c,d#e f\ng\th\ri", "a_b_c_d_e_f_g_h_i"),
            (Dogstatsd, "plän—1", "plän—1"),
            (Dogstatsd, "a.b=c", "a.b=c"),
            (Graphite, "a|b:c,d#e f\ng\th\ri", "a_b_c_d_e_f_g_h_i"),
            (Graphite, "a.b=c", "a_b=c"),
            (Graphite, "...", "___"),
            (Graphite, "", "none"),
            (Influx, "a|b:c,d#e f\ng\th\ri", "a_b_c_d_e_f_g_h_i"),
            (Influx, "a.b=c", "a.b_c"),
            (Influx, "", "none"),
            (Influx, "plän—1", "plän—1"),
        ];
        for (format, raw, want) in cases {
            assert_eq!(format.sanitize(raw), want, "{format:?} {raw:?}");
        }
        assert_eq!(sanitize_tag("x y"), "x_y");
    }

    #[test]
    fn line_table() {
        let cases = [
            (Dogstatsd, "dos.verdict:667|c|#syscall:verify,verdict:NOT_SHIPPED"),
            (Graphite, "dos.verdict.verify.NOT_SHIPPED:667|c"),
            (Influx, "dos.verdict,syscall=verify,verdict=NOT_SHIPPED:667|c"),
        ];
        for (format, want) in cases {
            assert_eq!(format.line("dos.verdict", 667, "verify", "NOT_SHIPPED"), want);
        }
    }

    #[test]
    fn lines_aggregate_sort_and_never_duplicate() {
        let pairs = [
            ("verify", "NOT_SHIPPED"),
            ("liveness", "STALLED"),
            ("verify", "NOT_SHIPPED"),
            ("alpha", "a"),
            ("alpha", "B"),
            ("Zeta", "ok"),
            ("x|y", "V"),
            ("x_y", "V"),
            ("none", "none"),
            ("custom thing", "we|ird:tok,en#x"),
        ];
        let lines = build_lines(pairs, "dos.verdict", Dogstatsd);
        assert_eq!(
            lines,
            vec![
                "dos.verdict:1|c|#syscall:Zeta,verdict:ok",
                "dos.verdict:1|c|#syscall:alpha,verdict:B",
                "dos.verdict:1|c|#syscall:alpha,verdict:a",
                "dos.verdict:1|c|#syscall:custom_thing,verdict:we_ird_tok_en_x",
                "dos.verdict:1|c|#syscall:liveness,verdict:STALLED",
                "dos.verdict:1|c|#syscall:none,verdict:none",
                "dos.verdict:2|c|#syscall:verify,verdict:NOT_SHIPPED",
                "dos.verdict:2|c|#syscall:x_y,verdict:V",
            ]
        );
        assert_eq!(
            build_lines([("a", "b")], "my.pfx", Dogstatsd),
            vec!["my.pfx:1|c|#syscall:a,verdict:b"]
        );
    }

    #[test]
    fn graphite_groups_on_its_own_sanitizing() {
        // `a.b`/`c` and `a`/`b.c` would both fold to `p.a.b.c` without
        // sanitizing the dot; `x.y` and `x_y` are the same Graphite path.
        let pairs = [("a.b", "c"), ("a", "b.c"), ("x.y", "V"), ("x_y", "V"), ("", "")];
        assert_eq!(
            build_lines(pairs, "p", Graphite),
            vec!["p.a.b_c:1|c", "p.a_b.c:1|c", "p.none.none:1|c", "p.x_y.V:2|c"]
        );
        // The same pairs stay apart in DogStatsD, where `.` is harmless.
        assert_eq!(build_lines(pairs, "p", Dogstatsd).len(), 5);
    }

    #[test]
    fn influx_groups_on_its_own_sanitizing() {
        let pairs = [("k=v", "A"), ("k_v", "A"), ("s p", "a,b")];
        assert_eq!(
            build_lines(pairs, "dos.verdict", Influx),
            vec![
                "dos.verdict,syscall=k_v,verdict=A:2|c",
                "dos.verdict,syscall=s_p,verdict=a_b:1|c",
            ]
        );
    }
}
