//! Pure normalisation of source records into `Decision` rows, and the
//! collection pipeline (recency filter, resolver filter, de-duplication,
//! ranking). The I/O that gathers the records lives in `sources`.

use super::classify::{
    acquire_refusal_reason, clean_token, dynamic_lane_handle, envelope_refusal, resolver_for,
    superseded_refusals,
};
use super::journal_read::{int_seq, text_or_empty, Entry};
use super::model::{Decision, DecisionKind, ResolverKind};
use super::reasons::ReasonRegistry;
use dos_py::text::py_strip;
use dos_py::time::{age_seconds, Micros};
use dos_py::value::json_str as py_str;
use dos_py::value::truthy_opt as truthy;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The token every soak row carries.
pub const SOAK_TOKEN: &str = "LANE_BLOCKED_ON_SOAK_GATED_PHASES";

fn seq_label(e: &Entry) -> String {
    e.get("seq").map(py_str).unwrap_or_else(|| "?".into())
}

fn stamp(v: Option<&Value>) -> Option<String> {
    truthy(v).then(|| v.map(py_str).unwrap_or_default())
}

fn row(kind: DecisionKind, resolver_kind: ResolverKind, source_path: &str) -> Decision {
    Decision {
        kind,
        resolver_kind,
        lane: String::new(),
        reason_token: String::new(),
        reason_text: String::new(),
        run_id: String::new(),
        run_ts: String::new(),
        age_seconds: None,
        source_path: source_path.to_string(),
        evidence: Vec::new(),
        proposed_command: String::new(),
        handle: String::new(),
        dup_count: 1,
    }
}

fn first_text(e: &Entry, keys: &[&str]) -> String {
    keys.iter()
        .map(|k| text_or_empty(e.get(*k)))
        .find(|s| !s.is_empty())
        .unwrap_or_default()
}

/// Rows from the lane journal: unsuperseded `REFUSE`s and mislabeled
/// `ACQUIRE` refusals (ARBITER_REFUSE), and every `HALT` (LIVENESS).
pub fn journal_rows(
    entries: &[Entry],
    source_path: &str,
    reasons: &ReasonRegistry,
    now: Micros,
) -> Vec<Decision> {
    let superseded = superseded_refusals(entries);
    let is_superseded = |e: &Entry| int_seq(e).is_some_and(|s| superseded.contains(&s));
    let mut out = Vec::new();
    for e in entries {
        let op = e.get("op").and_then(Value::as_str).unwrap_or("");
        // Parsed only for the rows that become decisions, not for every
        // HEARTBEAT/RELEASE line of a long journal.
        let age = || age_seconds(stamp(e.get("ts")).as_deref(), now);
        match op {
            "REFUSE" | "ACQUIRE" => {
                let (text, evidence) = if op == "REFUSE" {
                    let text = text_or_empty(e.get("reason"));
                    let text = if text.is_empty() {
                        "lane refused".to_string()
                    } else {
                        text
                    };
                    (text, vec![format!("journal seq #{}", seq_label(e))])
                } else {
                    let recovered = acquire_refusal_reason(e);
                    if recovered.is_empty() {
                        continue;
                    }
                    let evidence = vec![
                        format!("journal seq #{}", seq_label(e)),
                        "recovered: refusal logged under op=ACQUIRE (docs/139)".to_string(),
                    ];
                    (recovered, evidence)
                };
                if is_superseded(e) {
                    continue;
                }
                let token = clean_token(&text_or_empty(e.get("reason_class")), reasons);
                let kind = DecisionKind::ArbiterRefuse;
                let mut d = row(kind, resolver_for(kind, &token, reasons, &text), source_path);
                d.lane = dynamic_lane_handle(&text_or_empty(e.get("lane")));
                d.reason_token = token;
                d.reason_text = text;
                d.run_id = first_text(e, &["run_id", "root_id"]);
                d.age_seconds = age();
                d.evidence = evidence;
                out.push(d);
            }
            "HALT" => {
                let handle = text_or_empty(e.get("handle"));
                let command = text_or_empty(e.get("command"));
                let reason = text_or_empty(e.get("reason"));
                let mut evidence = vec![
                    format!("handle={}", if handle.is_empty() { "?" } else { handle.as_str() }),
                    format!("journal seq #{}", seq_label(e)),
                ];
                if !command.is_empty() {
                    evidence.push(format!("proposed: {command}"));
                }
                let mut d = row(DecisionKind::Liveness, ResolverKind::Oracle, source_path);
                d.lane = text_or_empty(e.get("lane"));
                d.reason_text = if reason.is_empty() {
                    "watchdog proposed stop".into()
                } else {
                    reason
                };
                d.run_id = text_or_empty(e.get("run_id"));
                d.age_seconds = age();
                d.evidence = evidence;
                d.proposed_command = command;
                d.handle = handle;
                out.push(d);
            }
            _ => {}
        }
    }
    out
}

/// The first `n` code points of `s`.
pub fn cut(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The row for one verdict envelope, when it is a refusal.
pub fn envelope_row(
    env: &Map<String, Value>,
    file_name: &str,
    source_path: &str,
    reasons: &ReasonRegistry,
    now: Micros,
) -> Option<Decision> {
    let short = envelope_refusal(env, reasons)?;
    let token = clean_token(&text_or_empty(env.get("reason_class")), reasons);
    let verdict = py_strip(&text_or_empty(env.get("verdict"))).to_uppercase();
    let reason = text_or_empty(env.get("reason"));
    let text = [reason, short.clone(), verdict]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| "no-pick".into());
    let lane = match env.get("scope") {
        Some(Value::Object(scope)) => dynamic_lane_handle(&text_or_empty(scope.get("lane"))),
        Some(Value::String(scope)) => dynamic_lane_handle(scope),
        _ => dynamic_lane_handle(&text_or_empty(env.get("lane"))),
    };
    let preflight =
        truthy(env.get("do_not_render")) || (truthy(env.get("blocked")) && !truthy(env.get("all_clear")));
    let kind = if preflight {
        DecisionKind::PreflightRefuse
    } else {
        DecisionKind::Wedge
    };
    let mut d = row(kind, resolver_for(kind, &token, reasons, &text), source_path);
    d.lane = lane;
    d.reason_token = token;
    d.reason_text = cut(&text, 300).to_string();
    d.run_id = first_text(env, &["run_id", "root_id"]);
    d.run_ts = text_or_empty(env.get("run_ts"));
    let stamp = stamp(env.get("generated_at")).or_else(|| stamp(env.get("ts")));
    d.age_seconds = age_seconds(stamp.as_deref(), now);
    d.evidence = vec![format!("envelope {file_name}"), short];
    Some(d)
}

/// Each mapping item of a soak list, keyed by `id`, `phase` or its index.
fn keyed_entries<'a>(items: &mut Vec<(String, &'a Map<String, Value>)>, list: &'a [Value]) {
    for (i, e) in list.iter().enumerate() {
        if let Value::Object(m) = e {
            let key = [text_or_empty(m.get("id")), text_or_empty(m.get("phase"))]
                .into_iter()
                .find(|s| !s.is_empty())
                .unwrap_or_else(|| i.to_string());
            items.push((key, m));
        }
    }
}

/// Rows for the open windows of a parsed soak index (`today` = UTC `YYYY-MM-DD`).
pub fn soak_rows(data: &Value, source_path: &str, today: &str) -> Vec<Decision> {
    let mut items: Vec<(String, &Map<String, Value>)> = Vec::new();
    match data {
        Value::Object(map) => {
            let seq = if truthy(map.get("soaks")) {
                map.get("soaks")
            } else {
                map.get("entries")
            };
            match seq {
                Some(Value::Array(list)) => keyed_entries(&mut items, list),
                _ => {
                    for (k, e) in map {
                        if let Value::Object(m) = e {
                            items.push((k.clone(), m));
                        }
                    }
                }
            }
        }
        Value::Array(list) => keyed_entries(&mut items, list),
        _ => {}
    }
    let mut out = Vec::new();
    for (key, e) in items {
        let deadline = ["soak_until", "deadline", "until", "soak_deadline"]
            .iter()
            .map(|k| e.get(*k))
            .find(|v| truthy(*v))
            .flatten();
        let d_str = deadline
            .map(|v| cut(&py_str(v), 10).to_string())
            .unwrap_or_default();
        if d_str.is_empty() || d_str.as_str() < today {
            continue;
        }
        let phase = {
            let p = text_or_empty(e.get("phase"));
            if p.is_empty() {
                key.clone()
            } else {
                p
            }
        };
        let mut d = row(DecisionKind::SoakGate, ResolverKind::Human, source_path);
        d.lane = first_text(e, &["lane", "series", "plan"]);
        d.reason_token = SOAK_TOKEN.into();
        d.reason_text = format!("soak open until {d_str} ({phase})");
        d.evidence = vec![format!("soak_until={d_str}"), format!("phase={phase}")];
        out.push(d);
    }
    out
}

/// Whether the recency filter drops `d` (LIVENESS and SOAK_GATE never age out;
/// an undated point-in-time row always does).
pub fn is_stale(d: &Decision, max_age_seconds: Option<f64>) -> bool {
    let Some(max) = max_age_seconds else { return false };
    if matches!(d.kind, DecisionKind::SoakGate | DecisionKind::Liveness) {
        return false;
    }
    match d.age_seconds {
        None => true,
        Some(age) => (age as f64) > max,
    }
}

/// Collapse rows with the same `(kind, lane, reason_token, reason_text)` into
/// the first one, counting them in `dup_count`.
pub fn dedup(rows: Vec<Decision>) -> Vec<Decision> {
    let mut index: HashMap<(DecisionKind, String, String, String), usize> = HashMap::new();
    let mut out: Vec<Decision> = Vec::new();
    for d in rows {
        let key = (
            d.kind,
            d.lane.clone(),
            d.reason_token.clone(),
            d.reason_text.clone(),
        );
        match index.get(&key) {
            Some(&i) => out[i].dup_count += 1,
            None => {
                index.insert(key, out.len());
                out.push(d);
            }
        }
    }
    out
}

/// The collection pipeline over already-normalised rows (in source order):
/// recency filter, resolver filter, dedup, stable sort by (kind rank, oldest
/// first, undated last).
pub fn finish(rows: Vec<Decision>, max_age_seconds: Option<f64>, resolver: Option<&str>) -> Vec<Decision> {
    let want = resolver.map(|r| py_strip(r).to_uppercase());
    let kept: Vec<Decision> = rows
        .into_iter()
        .filter(|d| !is_stale(d, max_age_seconds))
        .filter(|d| want.as_deref().is_none_or(|w| d.resolver_kind.token() == w))
        .collect();
    let mut out = dedup(kept);
    out.sort_by_key(|d| (d.kind.rank(), -d.age_seconds.unwrap_or(-1)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decisions::journal_read::parse_all;
    use dos_py::time::parse_iso;
    use serde_json::json;

    fn now() -> Micros {
        parse_iso("2026-11-21T21:00:00Z").unwrap()
    }

    #[test]
    fn journal_rows_shapes() {
        let journal = [
            r#"{"op":"REFUSE","lane":"apply cluster (A)","reason":"","reason_class":"lane_drained","root_id":"R0","seq":1,"ts":"2026-11-21T20:59:00Z"}"#,
            r#"{"op":"HALT","lane":"main (x)","handle":"pid:1","command":null,"seq":null,"ts":"2026-11-21T20:00:00Z"}"#,
            r#"{"op":"HALT"}"#,
            r#"{"op":"ACQUIRE","lane":"d","reason":"REFUSED: busy","seq":3}"#,
            r#"{"op":"ACQUIRE","lane":"e","reason":"lane-lease:me","seq":4}"#,
        ]
        .join("\n");
        let rows = journal_rows(&parse_all(&journal), "/j", &ReasonRegistry::builtin(), now());
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].lane, "apply");
        assert_eq!(rows[0].reason_text, "lane refused");
        assert_eq!(rows[0].reason_token, "LANE_DRAINED");
        assert_eq!(rows[0].resolver_kind, ResolverKind::Oracle);
        assert_eq!(rows[0].run_id, "R0");
        assert_eq!(rows[0].age_seconds, Some(60));
        assert_eq!(rows[1].lane, "main (x)");
        assert_eq!(rows[1].evidence, vec!["handle=pid:1", "journal seq #None"]);
        assert_eq!(rows[2].evidence, vec!["handle=?", "journal seq #?"]);
        assert_eq!(rows[2].reason_text, "watchdog proposed stop");
        assert_eq!(
            rows[3].evidence[1],
            "recovered: refusal logged under op=ACQUIRE (docs/139)"
        );
    }

    #[test]
    fn envelope_rows_shapes() {
        let r = ReasonRegistry::builtin();
        let env = |v: Value| v.as_object().cloned().unwrap();
        let d = envelope_row(
            &env(json!({"verdict":"DRAIN","reason_class":"some prose","scope":"apply cluster (AFR)","run_id":"RID-7","ts":"2026-11-21T20:00:00Z"})),
            ".verdict-a.json",
            "/v/.verdict-a.json",
            &r,
            now(),
        )
        .unwrap();
        assert_eq!(
            (d.kind, d.lane.as_str(), d.reason_text.as_str()),
            (DecisionKind::Wedge, "apply", "verdict=DRAIN")
        );
        assert_eq!(d.resolver_kind, ResolverKind::Human);
        assert_eq!(d.age_seconds, Some(3600));
        let long = "x".repeat(400);
        let d = envelope_row(
            &env(json!({"do_not_render":true,"reason":long,"scope":{"lane":"web"}})),
            "f",
            "p",
            &r,
            now(),
        )
        .unwrap();
        assert_eq!(d.kind, DecisionKind::PreflightRefuse);
        assert_eq!(d.reason_text.chars().count(), 300);
        assert_eq!(d.age_seconds, None);
        assert!(envelope_row(&env(json!({"verdict":"ACCEPT"})), "f", "p", &r, now()).is_none());
    }

    #[test]
    fn soak_shapes() {
        let today = "2026-11-21";
        let shapes = [
            json!({"soaks": [{"phase": "P1", "soak_until": "2099-01-01", "lane": "web"}, {"phase": "P0", "soak_until": "2000-01-01"}]}),
            json!({"entries": [{"id": "P1", "deadline": "2099-01-01", "lane": "web"}]}),
            json!({"P1": {"until": "2099-01-01T10:00:00", "series": "web"}, "x": 3}),
            json!([{"soak_deadline": "2099-01-01", "plan": "web", "phase": "P1"}]),
        ];
        for s in shapes {
            let rows = soak_rows(&s, "/s", today);
            assert_eq!(rows.len(), 1, "{s}");
            assert_eq!(rows[0].reason_text, "soak open until 2099-01-01 (P1)");
            assert_eq!(rows[0].lane, "web");
        }
        let rows = soak_rows(&json!([{"soak_until": today}]), "/s", today);
        assert_eq!(rows[0].reason_text, format!("soak open until {today} (0)"));
    }

    fn d(kind: DecisionKind, lane: &str, age: Option<i64>) -> Decision {
        let mut d = row(kind, ResolverKind::Human, "p");
        d.lane = lane.into();
        d.age_seconds = age;
        d
    }

    #[test]
    fn pipeline_filters_dedups_and_ranks() {
        use DecisionKind::*;
        let rows = vec![
            d(SoakGate, "s", None),
            d(Wedge, "w", None),
            d(ArbiterRefuse, "a", Some(5)),
            d(ArbiterRefuse, "b", Some(50)),
            d(ArbiterRefuse, "a", Some(7)),
            d(Liveness, "l", Some(10_000_000)),
            d(PreflightRefuse, "old", Some(10_000_000)),
        ];
        let out = finish(rows.clone(), Some(30.0 * 86400.0), Some("human"));
        let lanes: Vec<(&str, usize)> = out.iter().map(|d| (d.lane.as_str(), d.dup_count)).collect();
        assert_eq!(lanes, vec![("l", 1), ("b", 1), ("a", 2), ("s", 1)]);
        let out = finish(rows, None, Some("ORACLE"));
        assert!(out.is_empty());
    }

    proptest::proptest! {
        #[test]
        fn dedup_conserves_rows_and_ranking_is_ordered(
            specs in proptest::collection::vec((0u8..5, 0u8..3, proptest::option::of(0i64..100)), 0..40)
        ) {
            use DecisionKind::*;
            let kinds = [Liveness, ArbiterRefuse, PreflightRefuse, Wedge, SoakGate];
            let rows: Vec<Decision> = specs
                .iter()
                .map(|(k, lane, age)| d(kinds[*k as usize], &lane.to_string(), *age))
                .collect();
            let n = rows.len();
            let out = finish(rows, None, None);
            proptest::prop_assert_eq!(out.iter().map(|d| d.dup_count).sum::<usize>(), n);
            for w in out.windows(2) {
                let key = |d: &Decision| (d.kind.rank(), -d.age_seconds.unwrap_or(-1));
                proptest::prop_assert!(key(&w[0]) <= key(&w[1]));
            }
        }
    }
}
