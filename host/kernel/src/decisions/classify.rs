//! Pure rules of the decisions queue: token hygiene, lane-handle
//! normalisation, backpressure prose, resolver routing, the envelope refusal
//! test and supersession of journal refusals.

use super::journal_read::{int_seq, text_or_empty, Entry};
use super::model::{DecisionKind, ResolverKind};
use super::reasons::ReasonRegistry;
use dos_py::value::json_str as py_str;
use dos_py::value::truthy_opt as truthy;
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};

use dos_py::text::{is_py_space as py_space, py_strip};

/// A regex `\w` character (Unicode).
fn word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `raw` as an UPPER-cased closed token, or `""` when it is prose: admitted
/// iff the registry knows it or it has the shape `^[A-Z][A-Z0-9_]{1,63}$`.
pub fn clean_token(raw: &str, reasons: &ReasonRegistry) -> String {
    let candidate = py_strip(raw).to_uppercase();
    if candidate.is_empty() {
        return String::new();
    }
    if reasons.get(&candidate).is_some() || has_token_shape(&candidate) {
        candidate
    } else {
        String::new()
    }
}

fn has_token_shape(s: &str) -> bool {
    let mut chars = s.chars();
    let n = s.chars().count();
    matches!(chars.next(), Some('A'..='Z'))
        && (2..=64).contains(&n)
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Byte offsets of case-insensitive occurrences of the ASCII `needle` in `hay`.
fn find_ci(hay: &str, needle: &str) -> Vec<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    if n.len() > h.len() {
        return Vec::new();
    }
    (0..=h.len() - n.len())
        .filter(|&i| hay.is_char_boundary(i) && h[i..i + n.len()].eq_ignore_ascii_case(n))
        .collect()
}

fn boundary_before(s: &str, at: usize) -> bool {
    !s[..at].chars().next_back().is_some_and(word_char)
}

fn boundary_after(s: &str, at: usize) -> bool {
    !s[at..].chars().next().is_some_and(word_char)
}

/// Cut `s` at the start of the whitespace run preceding byte `at`.
fn cut_with_leading_space(s: &str, at: usize) -> &str {
    s[..at].trim_end_matches(py_space)
}

/// Normalise a scope/lane string to its bare dynamic lane handle: drop a
/// `cluster …` tail (word-bounded, case-insensitive), then a `(…` tail, then
/// keep the segment after the last `/`.
pub fn dynamic_lane_handle(raw: &str) -> String {
    let mut s = py_strip(raw);
    if s.is_empty() {
        return String::new();
    }
    if let Some(at) = find_ci(s, "cluster")
        .into_iter()
        .find(|&at| boundary_before(s, at) && boundary_after(s, at + 7) && !s[at + 7..].contains('\n'))
    {
        s = cut_with_leading_space(s, at);
    }
    if let Some(at) = s
        .char_indices()
        .filter(|&(_, c)| c == '(')
        .map(|(i, _)| i)
        .find(|&at| !s[at..].contains('\n'))
    {
        s = cut_with_leading_space(s, at);
    }
    let tail = s.rsplit('/').next().unwrap_or(s);
    py_strip(tail).to_string()
}

/// Whether `text` holds `word` with word boundaries (case-sensitive), or only
/// a leading boundary when `trailing` is false.
fn has_word(text: &str, word: &str, case_insensitive: bool, trailing: bool) -> bool {
    let hits: Vec<usize> = if case_insensitive {
        find_ci(text, word)
    } else {
        text.match_indices(word).map(|(i, _)| i).collect()
    };
    hits.into_iter()
        .any(|at| boundary_before(text, at) && (!trailing || boundary_after(text, at + word.len())))
}

/// True when a refusal's prose is a backpressure shape (it self-resolves);
/// an `exact-glob overlap` collision always vetoes.
pub fn is_backpressure(text: &str) -> bool {
    if !find_ci(text, "exact-glob overlap").is_empty() {
        return false;
    }
    !find_ci(text, "already held by a live loop").is_empty()
        || has_word(text, "GLOBAL_LOOP_CEILING", false, true)
        || has_word(text, "CLASS_BUDGET", true, false)
        || !find_ci(text, "overlap too large").is_empty()
        || !find_ci(text, "unknown blast radius").is_empty()
        || has_word(text, "LANE_CAPACITY_SATURATED", false, true)
}

/// Who can resolve a (non-LIVENESS) decision.
pub fn resolver_for(kind: DecisionKind, token: &str, reasons: &ReasonRegistry, text: &str) -> ResolverKind {
    if kind == DecisionKind::SoakGate {
        return ResolverKind::Human;
    }
    if matches!(kind, DecisionKind::ArbiterRefuse | DecisionKind::PreflightRefuse) && is_backpressure(text) {
        return ResolverKind::Backpressure;
    }
    if token.is_empty() {
        return ResolverKind::Human;
    }
    match reasons.category_for(token) {
        "STALE_CLAIM" | "TRUE_DRAIN" => ResolverKind::Oracle,
        "OPERATOR_GATE" => ResolverKind::Human,
        _ => ResolverKind::Judge,
    }
}

/// The refusal reason of an `ACQUIRE` that is really a refusal (its `reason`,
/// or `lease.reason`, matches `^\s*REFUSED\b` case-insensitively), else `""`.
pub fn acquire_refusal_reason(e: &Entry) -> String {
    let mut reason = e.get("reason");
    if !truthy(reason) {
        if let Some(Value::Object(lease)) = e.get("lease") {
            reason = lease.get("reason");
        }
    }
    let reason = text_or_empty(reason);
    let trimmed = reason.trim_start_matches(py_space);
    let starts = trimmed.len() >= 7
        && trimmed.is_char_boundary(7)
        && trimmed[..7].eq_ignore_ascii_case("refused")
        && boundary_after(trimmed, 7);
    if starts {
        reason
    } else {
        String::new()
    }
}

/// The envelope refusal test: `Some(short)` when the envelope is a refusal.
pub fn envelope_refusal(env: &Map<String, Value>, reasons: &ReasonRegistry) -> Option<String> {
    let verdict = py_strip(&text_or_empty(env.get("verdict"))).to_uppercase();
    let v_or_q = if verdict.is_empty() { "?" } else { verdict.as_str() };
    if truthy(env.get("do_not_render")) {
        return Some(format!("do_not_render verdict={v_or_q}"));
    }
    if truthy(env.get("blocked")) && !truthy(env.get("all_clear")) {
        return Some(format!("blocked verdict={v_or_q}"));
    }
    if !verdict.is_empty() && verdict != "LIVE" && verdict != "ACCEPT" {
        return Some(format!("verdict={verdict}"));
    }
    match env.get("reason_class") {
        None | Some(Value::Null) => None,
        Some(rc) => {
            let raw = py_str(rc);
            reasons.is_refusal(&raw).then(|| format!("reason_class={raw}"))
        }
    }
}

/// Whether the entry is a refusal (`REFUSE`, or an `ACQUIRE` whose reason says `REFUSED`).
fn is_refusal_entry(e: &Entry) -> bool {
    match e.get("op").and_then(Value::as_str) {
        Some("REFUSE") => true,
        Some("ACQUIRE") => !acquire_refusal_reason(e).is_empty(),
        _ => false,
    }
}

/// Seqs of refusals a later journal event resolved: a `RELEASE`/`SCAVENGE`
/// or a genuine `ACQUIRE` (seq strictly greater) of the refused lane or of a
/// lane named in its `blocking_trees`.
pub fn superseded_refusals(entries: &[Entry]) -> BTreeSet<i64> {
    // Only the latest freeing/acquire seq per lane matters: some event is
    // later than S iff the latest one is.
    let mut latest: HashMap<String, i64> = HashMap::new();
    for e in entries {
        let (Some(s), lane) = (int_seq(e), text_or_empty(e.get("lane"))) else {
            continue;
        };
        if lane.is_empty() {
            continue;
        }
        let counts = match e.get("op").and_then(Value::as_str) {
            Some("RELEASE" | "SCAVENGE") => true,
            Some("ACQUIRE") => acquire_refusal_reason(e).is_empty(),
            _ => false,
        };
        if counts {
            let slot = latest.entry(lane).or_insert(s);
            *slot = (*slot).max(s);
        }
    }
    let mut out = BTreeSet::new();
    for e in entries.iter().filter(|e| is_refusal_entry(e)) {
        let Some(s) = int_seq(e) else { continue };
        let mut watch: Vec<String> = Vec::new();
        if let Some(Value::Object(bt)) = e.get("blocking_trees") {
            watch.extend(bt.keys().filter(|k| !k.is_empty()).cloned());
        }
        let own = text_or_empty(e.get("lane"));
        if !own.is_empty() {
            watch.push(own);
        }
        let later = |lane: &String| latest.get(lane).is_some_and(|&x| x > s);
        if watch.iter().any(later) {
            out.insert(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decisions::journal_read::parse_all;

    #[test]
    fn token_hygiene_table() {
        let r = ReasonRegistry::builtin();
        let table = [
            ("lane_drained", "LANE_DRAINED"),
            ("EVERY CONCURRENCY-FREE LANE IS BUSY", ""),
            ("some prose reason here", ""),
            ("  no_pickable_work_shape ", "NO_PICKABLE_WORK_SHAPE"),
            ("A", ""),
            (&"A".repeat(65), ""),
            (&"A".repeat(64), &"A".repeat(64)),
            ("", ""),
            ("   ", ""),
        ];
        for (raw, expected) in table {
            assert_eq!(clean_token(raw, &r), expected, "{raw}");
        }
    }

    #[test]
    fn lane_handle_table() {
        let table = [
            ("apply cluster (AFR, ALO, ANC)", "apply"),
            ("apply (AFR, ALO)", "apply"),
            ("a/b/apply", "apply"),
            ("zeta cluster (A, B)", "zeta"),
            ("apply", "apply"),
            ("my-cluster-x", "my-"),
            ("clusters", "clusters"),
            ("  ", ""),
            ("Cluster", ""),
            ("web/ (x)", ""),
        ];
        for (raw, expected) in table {
            assert_eq!(dynamic_lane_handle(raw), expected, "{raw}");
        }
    }

    #[test]
    fn backpressure_table() {
        let table = [
            ("lane 'gamma' is already held by a live loop", true),
            ("ALREADY HELD BY A LIVE LOOP", true),
            ("GLOBAL_LOOP_CEILING reached", true),
            ("global_loop_ceiling reached", false),
            ("xGLOBAL_LOOP_CEILING", false),
            ("class_budget_exhausted", true),
            ("overlap too large (1/2)", true),
            ("unknown blast radius", true),
            ("LANE_CAPACITY_SATURATED", true),
            ("lane_capacity_saturated", false),
            ("exact-glob overlap; already held by a live loop", false),
            ("packet refused at preflight", false),
        ];
        for (text, expected) in table {
            assert_eq!(is_backpressure(text), expected, "{text}");
        }
    }

    #[test]
    fn resolver_routing_table() {
        use DecisionKind::*;
        use ResolverKind::*;
        let r = ReasonRegistry::builtin();
        let table = [
            (SoakGate, "", "", Human),
            (ArbiterRefuse, "", "already held by a live loop", Backpressure),
            (Wedge, "", "already held by a live loop", Human),
            (Wedge, "", "", Human),
            (ArbiterRefuse, "LANE_DRAINED", "x", Oracle),
            (ArbiterRefuse, "LANE_ALL_INFLIGHT_OR_DEFERRED", "x", Oracle),
            (ArbiterRefuse, "LANE_BLOCKED_ON_OPERATOR_DECISION", "x", Human),
            (Wedge, "SELF_MODIFY", "x", Judge),
            (Wedge, "NO_PICKABLE_WORK_SHAPE", "x", Judge),
        ];
        for (kind, token, text, expected) in table {
            assert_eq!(
                resolver_for(kind, token, &r, text),
                expected,
                "{kind:?} {token} {text}"
            );
        }
    }

    #[test]
    fn acquire_refusal_table() {
        let table = [
            (r#"{"op":"ACQUIRE","reason":"REFUSED: busy"}"#, "REFUSED: busy"),
            (r#"{"op":"ACQUIRE","reason":"  refused busy"}"#, "  refused busy"),
            (r#"{"op":"ACQUIRE","reason":"REFUSEDX"}"#, ""),
            (
                r#"{"op":"ACQUIRE","reason":"","lease":{"reason":"REFUSED"}}"#,
                "REFUSED",
            ),
            (r#"{"op":"ACQUIRE","reason":"lane-lease:me"}"#, ""),
            (r#"{"op":"ACQUIRE"}"#, ""),
        ];
        for (line, expected) in table {
            let e = &parse_all(line)[0];
            assert_eq!(acquire_refusal_reason(e), expected, "{line}");
        }
    }

    #[test]
    fn envelope_refusal_table() {
        let r = ReasonRegistry::builtin();
        let table = [
            (
                r#"{"do_not_render":true,"verdict":"LIVE"}"#,
                Some("do_not_render verdict=LIVE"),
            ),
            (r#"{"blocked":true}"#, Some("blocked verdict=?")),
            (r#"{"blocked":true,"all_clear":true}"#, None),
            (r#"{"verdict":" drain "}"#, Some("verdict=DRAIN")),
            (r#"{"verdict":"ACCEPT"}"#, None),
            (r#"{"verdict":"LIVE","reason_class":""}"#, Some("reason_class=")),
            (r#"{"reason_class":null}"#, None),
            (r#"{}"#, None),
        ];
        for (text, expected) in table {
            let env: Map<String, Value> = serde_json::from_str(text).unwrap();
            assert_eq!(envelope_refusal(&env, &r).as_deref(), expected, "{text}");
        }
    }

    #[test]
    fn supersession_table() {
        let journal = [
            r#"{"op":"REFUSE","lane":"alpha","seq":1,"blocking_trees":{"beta":[]}}"#,
            r#"{"op":"REFUSE","lane":"gamma","seq":2}"#,
            r#"{"op":"REFUSE","lane":"delta","seq":3}"#,
            r#"{"op":"REFUSE","lane":"eps","seq":true}"#,
            r#"{"op":"ACQUIRE","lane":"zeta","seq":4,"reason":"REFUSED: busy"}"#,
            r#"{"op":"RELEASE","lane":"beta","seq":5}"#,
            r#"{"op":"ACQUIRE","lane":"gamma","seq":6,"reason":"lane-lease:x"}"#,
            r#"{"op":"ACQUIRE","lane":"delta","seq":7,"reason":"REFUSED again"}"#,
            r#"{"op":"RELEASE","lane":"eps","seq":8}"#,
            r#"{"op":"SCAVENGE","lane":"zeta","seq":2}"#,
        ]
        .join("\n");
        let entries = parse_all(&journal);
        let got: Vec<i64> = superseded_refusals(&entries).into_iter().collect();
        assert_eq!(got, vec![1, 2]);
    }
}
