//! Text projections of the queue: the action bar (`next_steps`), the plain
//! list (`dos decisions`) and the detail page (`dos decisions show N`).

use super::model::{Decision, DecisionKind, ResolverKind, Urgency};
use super::reasons::ReasonRegistry;
use super::rows::cut;
use std::collections::BTreeMap;

/// The ordered `(key, command)` actions for one decision.
pub fn next_steps(d: &Decision) -> Vec<(&'static str, String)> {
    let mut steps = Vec::new();
    if d.kind == DecisionKind::Liveness {
        if !d.proposed_command.is_empty() {
            steps.push(("k", d.proposed_command.clone()));
        } else if !d.handle.is_empty() {
            steps.push(("k", format!("# stop the run with handle: {}", d.handle)));
        }
        steps.push(("l", "# let it ride (take no action)".into()));
        steps.push(("c", "<copy selected command>".into()));
        return steps;
    }
    let lane = d.lane.as_str();
    steps.push((
        "r",
        if lane.is_empty() {
            "/replan".into()
        } else {
            format!("/replan --scope {lane}")
        },
    ));
    if matches!(
        d.kind,
        DecisionKind::ArbiterRefuse | DecisionKind::PreflightRefuse
    ) {
        steps.push((
            "f",
            if lane.is_empty() {
                "dos arbitrate --force".into()
            } else {
                format!("dos arbitrate --lane {lane} --force")
            },
        ));
    }
    if d.resolver_kind == ResolverKind::Judge {
        if !d.run_ts.is_empty() {
            steps.push(("j", format!("dos judge wedge {}", d.run_ts)));
        } else {
            let reference = [d.run_id.as_str(), d.reason_token.as_str()]
                .into_iter()
                .find(|s| !s.is_empty())
                .unwrap_or("?");
            steps.push(("j", format!("python -m dos.drivers.llm_judge {reference}")));
        }
    }
    if !d.reason_token.is_empty() {
        steps.push(("m", format!("dos man wedge {}", d.reason_token)));
    }
    steps.push(("c", "<copy selected command>".into()));
    steps
}

fn action_label(key: &str) -> &str {
    match key {
        "k" => "stop",
        "r" => "replan",
        "f" => "force",
        "j" => "judge",
        "m" => "man",
        other => other,
    }
}

/// The inline hint of a list row: the first two actions other than `c`/`l`.
pub fn action_hints(d: &Decision) -> String {
    next_steps(d)
        .into_iter()
        .filter(|(k, _)| *k != "c" && *k != "l")
        .take(2)
        .map(|(k, _)| format!("[{k}]{}", action_label(k)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Compact age: `45s` / `18m` / `2h` / `3d` / `-` when unknown.
pub fn fmt_age(age: Option<i64>) -> String {
    match age {
        None => "-".into(),
        Some(a) if a < 60 => format!("{a}s"),
        Some(a) if a < 3600 => format!("{}m", a / 60),
        Some(a) if a < 86_400 => format!("{}h", a / 3600),
        Some(a) => format!("{}d", a / 86_400),
    }
}

/// Left-pad / right-pad by code points (Python `format` alignment).
fn pad_left(s: &str, width: usize) -> String {
    let n = s.chars().count();
    format!("{}{s}", " ".repeat(width.saturating_sub(n)))
}

fn pad_right(s: &str, width: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(width.saturating_sub(n)))
}

/// `3 now · 5 later` (empty for an empty queue).
pub fn urgency_tally(rows: &[Decision]) -> String {
    let now = rows.iter().filter(|d| d.urgency() == Urgency::Now).count();
    let later = rows.len() - now;
    let mut parts = Vec::new();
    if now > 0 {
        parts.push(format!("{now} now"));
    }
    if later > 0 {
        parts.push(format!("{later} later"));
    }
    parts.join(" · ")
}

/// The column-aligned queue table (`dos decisions --no-tui`), without a
/// trailing newline.
pub fn render_list_plain(rows: &[Decision]) -> String {
    let mut out = vec!["# operator decisions".to_string()];
    if rows.is_empty() {
        out.push("  (none pending - nothing is waiting on you)".into());
        return out.join("\n");
    }
    let tally = urgency_tally(rows);
    out.push(format!(
        "  {} pending{}",
        rows.len(),
        if tally.is_empty() {
            String::new()
        } else {
            format!("  ({tally})")
        }
    ));
    let header = "     #   age  kind              lane        waiting on / do";
    out.push(header.to_string());
    out.push(format!("  {}", "-".repeat(header.chars().count() - 2)));
    for (i, d) in rows.iter().enumerate() {
        let waiting = if d.reason_text.is_empty() {
            &d.reason_token
        } else {
            &d.reason_text
        };
        let dup = if d.dup_count > 1 {
            format!("  ×{}", d.dup_count)
        } else {
            String::new()
        };
        let hint = action_hints(d);
        let hint = if hint.is_empty() {
            hint
        } else {
            format!("   {hint}")
        };
        let lane = if d.lane.is_empty() { "-" } else { d.lane.as_str() };
        out.push(format!(
            "  {} {}  {}  {}  {}  {}{dup}{hint}",
            d.urgency().ascii_glyph(),
            pad_left(&(i + 1).to_string(), 2),
            pad_left(&fmt_age(d.age_seconds), 4),
            pad_right(d.kind.token(), 16),
            pad_right(lane, 10),
            cut(waiting, 40)
        ));
    }
    out.push(String::new());
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for d in rows {
        *by.entry(d.resolver_kind.token()).or_default() += 1;
    }
    let tally: Vec<String> = by.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    out.push(format!(
        "  → {} pending ({})  ·  `dos decisions show <#>` to drill in",
        rows.len(),
        tally.join(" · ")
    ));
    out.join("\n")
}

/// The detail page of one decision (`dos decisions show N`), without a
/// trailing newline.
pub fn render_detail_plain(d: &Decision, reasons: &ReasonRegistry) -> String {
    let spec = if d.reason_token.is_empty() {
        None
    } else {
        reasons.get(&d.reason_token)
    };
    let mut out = vec![
        format!("KIND        {}", d.kind.token()),
        format!("RESOLVER    {}", d.resolver_kind.token()),
        format!(
            "LANE        {}",
            if d.lane.is_empty() { "-" } else { d.lane.as_str() }
        ),
    ];
    if !d.reason_token.is_empty() {
        out.push(format!("REASON      {}", d.reason_token));
    }
    if let Some(s) = spec.filter(|s| !s.summary.is_empty()) {
        out.push(format!("MEANS       {}", s.summary));
    }
    out.push(format!("DETAIL      {}", d.reason_text));
    if !d.run_id.is_empty() {
        out.push(format!("RUN         {}", d.run_id));
    }
    out.push(format!("AGE         {}", fmt_age(d.age_seconds)));
    if d.dup_count > 1 {
        out.push(format!("SEEN        {}× (identical rows collapsed)", d.dup_count));
    }
    if !d.evidence.is_empty() {
        out.push(format!("EVIDENCE    {}", d.evidence.join("\n            ")));
    }
    if let Some(s) = spec.filter(|s| !s.fix.is_empty()) {
        out.push(format!("TYPICAL FIX {}", s.fix));
    }
    out.push(format!("SOURCE      {}", d.source_path));
    out.push(String::new());
    out.push("ACTIONS".into());
    for (k, cmd) in next_steps(d) {
        out.push(format!("  [{k}]  {cmd}"));
    }
    if let Some(s) = spec.filter(|s| !s.see_also.is_empty()) {
        out.push(String::new());
        out.push(format!("SEE ALSO    {}", s.see_also.join(" · ")));
    }
    out.join("\n")
}
