//! `dos observe`'s pure parts: the rollup fold over verdict events and the
//! text renderings (spec §2.6, §9).

use crate::journal::VerdictEvent;
use dos_py::value::json_str as py_str;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The rollup dimension (`--by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// The verb's syscall token (default).
    Syscall,
    /// The verdict token.
    Verdict,
    /// The run id.
    RunId,
    /// The lane.
    Lane,
    /// Who wrote the event.
    Source,
}

impl By {
    /// The token used in output.
    pub fn token(self) -> &'static str {
        match self {
            By::Syscall => "syscall",
            By::Verdict => "verdict",
            By::RunId => "run_id",
            By::Lane => "lane",
            By::Source => "source",
        }
    }

    /// The dimension value of `e` (reference `_dimension_value`).
    pub fn value_of(self, e: &VerdictEvent) -> String {
        let or = |s: &str, d: &str| {
            if s.is_empty() {
                d.to_string()
            } else {
                s.to_string()
            }
        };
        match self {
            By::Syscall => or(&e.syscall, "(none)"),
            By::Verdict => or(&e.verdict, "(none)"),
            By::RunId => or(&e.run_id, "(unattributed)"),
            By::Lane => or(&e.lane, "(none)"),
            By::Source => or(&e.source, "(none)"),
        }
    }
}

/// Syscalls listed first, in this order, when folding by syscall.
pub const KNOWN_SYSCALLS: [&str; 11] = [
    "verify",
    "liveness",
    "productivity",
    "efficiency",
    "arbitrate",
    "reward",
    "breaker",
    "hook_exit",
    "pretool",
    "posttool",
    "stop",
];

/// Verdict counts per dimension value.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollup {
    /// The dimension.
    pub by: By,
    /// Events folded.
    pub total: u64,
    /// Corrupt journal lines (carried in).
    pub corrupt: u64,
    /// `counts[dim][token]`, tokens sorted.
    pub counts: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Rollup {
    /// An empty fold.
    pub fn new(by: By) -> Self {
        Rollup {
            by,
            total: 0,
            corrupt: 0,
            counts: BTreeMap::new(),
        }
    }

    /// Fold one event.
    pub fn add(&mut self, e: &VerdictEvent) {
        self.total += 1;
        let token = if e.verdict.is_empty() {
            "(none)"
        } else {
            e.verdict.as_str()
        };
        *self
            .counts
            .entry(self.by.value_of(e))
            .or_default()
            .entry(token.to_string())
            .or_default() += 1;
    }

    /// The dimension values in display order: known syscalls first (by
    /// syscall), then the rest sorted by code point.
    pub fn dimensions(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::with_capacity(self.counts.len());
        if self.by == By::Syscall {
            out.extend(
                KNOWN_SYSCALLS
                    .iter()
                    .copied()
                    .filter(|k| self.counts.contains_key(*k)),
            );
        }
        out.extend(
            self.counts
                .keys()
                .map(String::as_str)
                .filter(|k| self.by != By::Syscall || !KNOWN_SYSCALLS.contains(k)),
        );
        out
    }

    /// The JSON form (`{by, total, corrupt, dimensions, counts}`).
    pub fn to_json(&self) -> Value {
        let dims = self.dimensions();
        let mut counts = Map::new();
        for d in &dims {
            let bucket: Map<String, Value> = self.counts[*d]
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(*v)))
                .collect();
            counts.insert((*d).to_string(), Value::Object(bucket));
        }
        json!({
            "by": self.by.token(),
            "total": self.total,
            "corrupt": self.corrupt,
            "dimensions": dims,
            "counts": counts,
        })
    }
}

/// The title suffix for the filters.
fn filters(run: &str, syscall: &str) -> String {
    let mut s = String::new();
    if !run.is_empty() {
        s.push_str(&format!(" · run {run}"));
    }
    if !syscall.is_empty() {
        s.push_str(&format!(" · syscall {syscall}"));
    }
    s
}

/// The rollup text (with a trailing newline).
pub fn render_rollup(r: &Rollup, run: &str, syscall: &str) -> String {
    let mut out = format!("# observe{}\n", filters(run, syscall));
    out.push_str(&format!("  {} verdict event(s) recorded", r.total));
    if r.by != By::Syscall {
        out.push_str(&format!(", folded by {}", r.by.token()));
    }
    out.push('\n');
    if r.corrupt > 0 {
        out.push_str(&format!(
            "  ⚠ {} corrupt/unreadable journal line(s) (integrity breach — not a torn tail)\n",
            r.corrupt
        ));
    }
    if r.total == 0 {
        out.push_str("  (no verdicts recorded yet — wire a syscall to verdict_journal.record, or run with DISPATCH_OBSERVE=1)\n");
        return out;
    }
    out.push('\n');
    for d in r.dimensions() {
        let bucket = &r.counts[d];
        let n: u64 = bucket.values().sum();
        let pairs: Vec<String> = bucket.iter().map(|(t, c)| format!("{t}={c}")).collect();
        out.push_str(&format!("  {d:<16} {n:>4}  {}\n", pairs.join(" ")));
    }
    out
}

/// The history title and column header (with trailing newlines); `empty`
/// gives the "no matching events" form.
pub fn render_history_head(run: &str, syscall: &str, empty: bool) -> String {
    let mut out = format!("# observe · history{}\n", filters(run, syscall));
    if empty {
        out.push_str("  (no matching verdict events)\n");
        return out;
    }
    let header = format!(
        "  {:<20} {:<12} {:<14} subject / detail",
        "ts", "syscall", "verdict"
    );
    let dashes = "-".repeat(header.chars().count() - 2);
    out.push_str(&header);
    out.push('\n');
    out.push_str(&format!("  {dashes}\n"));
    out
}

/// One history row (with a trailing newline).
pub fn render_history_row(e: &VerdictEvent, run_filter: &str) -> String {
    let dash = |s: &str| {
        if s.is_empty() {
            "-".to_string()
        } else {
            s.to_string()
        }
    };
    let subj = if e.subject.is_empty() { &e.lane } else { &e.subject };
    let det = if e.detail.is_empty() {
        String::new()
    } else {
        let mut items: Vec<(&String, &Value)> = e.detail.iter().collect();
        items.sort_by(|a, b| a.0.cmp(b.0));
        let parts: Vec<String> = items.iter().map(|(k, v)| format!("{k}={}", py_str(v))).collect();
        format!(" {{{}}}", parts.join(", "))
    };
    let run_tag = if !e.run_id.is_empty() && run_filter.is_empty() {
        format!("  [{}]", e.run_id)
    } else {
        String::new()
    };
    format!(
        "  {:<20} {:<12} {:<14} {subj}{det}{run_tag}\n",
        dash(&e.ts),
        dash(&e.syscall),
        dash(&e.verdict)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(syscall: &str, verdict: &str, run: &str) -> VerdictEvent {
        let mut e = VerdictEvent::new(syscall, verdict);
        e.run_id = run.into();
        e
    }

    #[test]
    fn rollup_orders_known_syscalls_first() {
        let mut r = Rollup::new(By::Syscall);
        for (s, v) in [
            ("zeta", "a"),
            ("breaker", "OPEN"),
            ("verify", "X"),
            ("alpha", "B"),
            ("breaker", "CLOSED"),
            ("", ""),
        ] {
            r.add(&ev(s, v, ""));
        }
        assert_eq!(
            r.dimensions(),
            vec!["verify", "breaker", "(none)", "alpha", "zeta"]
        );
        let text = render_rollup(&r, "", "");
        assert!(
            text.contains("  breaker             2  CLOSED=1 OPEN=1\n"),
            "{text}"
        );
        assert!(text.contains("  (none)              1  (none)=1\n"), "{text}");
    }

    #[test]
    fn rollup_by_run_id() {
        let mut r = Rollup::new(By::RunId);
        r.add(&ev("liveness", "STALLED", "RID-1"));
        r.add(&ev("verify", "X", ""));
        assert_eq!(r.dimensions(), vec!["(unattributed)", "RID-1"]);
        let text = render_rollup(&r, "", "");
        assert!(
            text.starts_with("# observe\n  2 verdict event(s) recorded, folded by run_id\n\n"),
            "{text}"
        );
    }

    #[test]
    fn history_rows_match_the_reference() {
        let mut e = ev("verify", "NOT_SHIPPED", "");
        e.ts = "2026-11-21T21:23:31Z".into();
        e.subject = "plän::P—1".into();
        e.detail.insert("source".into(), json!("none"));
        assert_eq!(
            render_history_row(&e, ""),
            "  2026-11-21T21:23:31Z verify       NOT_SHIPPED    plän::P—1 {source=none}\n"
        );
        let mut e = ev("liveness", "ADVANCING", "RID-1M7ZZW861C96B40");
        e.ts = "2026-11-21T21:23:28Z".into();
        assert_eq!(
            render_history_row(&e, ""),
            "  2026-11-21T21:23:28Z liveness     ADVANCING        [RID-1M7ZZW861C96B40]\n"
        );
        assert_eq!(
            render_history_head("", "", false),
            "# observe · history\n  ts                   syscall      verdict        subject / detail\n  -----------------------------------------------------------------\n"
        );
    }
}
