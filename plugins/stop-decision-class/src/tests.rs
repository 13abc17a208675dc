//! Expected texts were printed by the reference policy (dos-kernel 0.22.0)
//! fed the same rows.

use super::*;
use dos_plugin_api::StopStance;
use proptest::prelude::*;
use serde_json::json;

const TAIL: &str =
    ". Host policy halts the loop on this class — resolve it (`dos decisions` / F9) before relaunching.";

fn queue() -> Value {
    json!([
        {"kind": "ARBITER_REFUSE", "resolver_kind": "HUMAN", "lane": "api", "reason_token": "", "reason_text": "all concurrent cluster lanes are held by live loops — no free lane to auto-pick. Wait for one to finish, then re-invoke.", "run_id": "", "run_ts": "", "age_seconds": null, "source_path": "/x", "evidence": [], "proposed_command": "", "handle": "", "dup_count": 1},
        {"kind": "SOAK_GATE", "resolver_kind": "HUMAN", "lane": "web", "reason_text": "soak open until 2099-01-01 (P9-soak)"},
        {"kind": "WEDGE", "resolver_kind": "HUMAN", "lane": "", "reason_text": ""},
        {"kind": "PREFLIGHT_REFUSE", "resolver_kind": "HUMAN", "lane": "it's", "reason_text": "x".repeat(130)},
        {"kind": "LIVENESS", "resolver_kind": "ORACLE", "lane": "ops", "reason_text": "run 42 SPINNING for 900s", "proposed_command": "dos stop 42"}
    ])
}

fn state(q: Value) -> Value {
    json!({"scope": "api", STATE_KEY: q})
}

fn decide(classes: &[&str], st: &Value) -> StopVerdict {
    DecisionClassStopPolicy::new(classes).decide(st).unwrap()
}

#[test]
fn stop_texts_match_the_reference() {
    let table: Vec<(&[&str], StopVerdict)> = vec![
        (
            &["arbiter_refuse", " wedge "],
            StopVerdict::stop(
                format!("a ARBITER_REFUSE decision is pending (lane 'api'): all concurrent cluster lanes are held by live loops — no free lane to auto-pick. Wait for one to finish, then re-invoke.{TAIL}"),
                "stop_on_arbiter_refuse",
                vec!["ARBITER_REFUSE lane=api".into(), "stop_classes=['ARBITER_REFUSE', 'WEDGE']".into()],
            ),
        ),
        (
            &["SOAK_GATE"],
            StopVerdict::stop(
                format!("a SOAK_GATE decision is pending (lane 'web'): soak open until 2099-01-01 (P9-soak){TAIL}"),
                "stop_on_soak_gate",
                vec!["SOAK_GATE lane=web".into(), "stop_classes=['SOAK_GATE']".into()],
            ),
        ),
        (
            &["WEDGE"],
            StopVerdict::stop(
                format!("a WEDGE decision is pending (lane '-'): WEDGE{TAIL}"),
                "stop_on_wedge",
                vec!["WEDGE lane=-".into(), "stop_classes=['WEDGE']".into()],
            ),
        ),
        (
            &["PREFLIGHT_REFUSE"],
            StopVerdict::stop(
                format!("a PREFLIGHT_REFUSE decision is pending (lane \"it's\"): {}{TAIL}", "x".repeat(120)),
                "stop_on_preflight_refuse",
                vec!["PREFLIGHT_REFUSE lane=it's".into(), "stop_classes=['PREFLIGHT_REFUSE']".into()],
            ),
        ),
    ];
    for (classes, want) in table {
        assert_eq!(decide(classes, &state(queue())), want, "{classes:?}");
    }
}

#[test]
fn the_default_fires_on_a_pending_liveness_halt() {
    // The fix: the queue carries every resolver, so an ORACLE-routed LIVENESS
    // row halts the loop (the reference's HUMAN-only read never saw it).
    let v = DecisionClassStopPolicy::default()
        .decide(&state(queue()))
        .unwrap();
    assert_eq!(
        v,
        StopVerdict::stop(
            format!("a LIVENESS decision is pending (lane 'ops'): run 42 SPINNING for 900s{TAIL}"),
            "stop_on_liveness",
            vec!["LIVENESS lane=ops".into(), "stop_classes=['LIVENESS']".into()],
        )
    );
}

#[test]
fn defer_texts_match_the_reference() {
    let mut without_halt = queue();
    if let Some(rows) = without_halt.as_array_mut() {
        rows.pop();
    }
    let v = decide(&["LIVENESS"], &state(without_halt));
    assert_eq!(v.stance, StopStance::Defer);
    assert_eq!(v.cause_key, "stop_policy");
    assert_eq!(
        v.reason,
        "no pending decision in the halt classes ['LIVENESS'] (4 HUMAN decision(s) pending, all evidence-only)."
    );
    let v = decide(&["LIVENESS", "WEDGE"], &state(json!([])));
    assert_eq!(
        v.reason,
        "no pending decision in the halt classes ['LIVENESS', 'WEDGE'] (0 HUMAN decision(s) pending, all evidence-only)."
    );
    // Only HUMAN-routed rows (or rows that do not say) are counted as HUMAN.
    let v = decide(&[], &state(queue()));
    assert_eq!(
        v.reason,
        "no pending decision in the halt classes [] (4 HUMAN decision(s) pending, all evidence-only)."
    );
    assert!(v.evidence.is_empty());
    let v = decide(
        &["X"],
        &state(json!([{"kind": "WEDGE"}, {"kind": "WEDGE", "resolver_kind": "JUDGE"}, 7])),
    );
    assert!(v.reason.contains("(1 HUMAN decision(s) pending"), "{}", v.reason);
}

#[test]
fn an_unreadable_queue_defers() {
    let table: &[(Value, &str)] = &[
        (json!({"scope": "api"}), "KeyError('pending_decisions')"),
        (json!(null), "KeyError('pending_decisions')"),
        (json!([]), "KeyError('pending_decisions')"),
        (
            json!({STATE_KEY: null}),
            "TypeError('pending_decisions must be a list of decisions, not NoneType')",
        ),
        (
            json!({STATE_KEY: {"kind": "LIVENESS"}}),
            "TypeError('pending_decisions must be a list of decisions, not dict')",
        ),
        (
            json!({STATE_KEY: "LIVENESS"}),
            "TypeError('pending_decisions must be a list of decisions, not str')",
        ),
        (
            json!({STATE_KEY: 3}),
            "TypeError('pending_decisions must be a list of decisions, not int')",
        ),
    ];
    for (st, problem) in table {
        let v = DecisionClassStopPolicy::default().decide(st).unwrap();
        assert_eq!(
            v,
            StopVerdict::defer(
                format!("decision-class policy could not read the queue ({problem}) — deferring (no halt)."),
                vec![]
            ),
            "{st}"
        );
    }
}

#[test]
fn first_match_in_ranked_order_wins_and_kind_matching_ignores_case() {
    let q = json!([
        {"kind": "wedge", "lane": "b", "reason_text": "second."},
        {"kind": "WEDGE", "lane": "a", "reason_text": "first"},
    ]);
    let v = decide(&["Wedge"], &state(q));
    // The kind is shown as the row spells it; the cause key is lower-cased.
    assert_eq!(
        v.reason,
        format!("a wedge decision is pending (lane 'b'): second.{TAIL}")
    );
    assert_eq!(v.cause_key, "stop_on_wedge");
    assert_eq!(v.evidence[0], "wedge lane=b");
}

#[test]
fn malformed_rows_are_skipped_or_read_leniently() {
    let q = json!([
        "LIVENESS",
        {"kind": 5, "lane": "x"},
        {"kind": "LIVENESS", "lane": null, "reason_text": null},
    ]);
    let v = DecisionClassStopPolicy::default().decide(&state(q)).unwrap();
    assert_eq!(
        v.reason,
        format!("a LIVENESS decision is pending (lane '-'): LIVENESS{TAIL}")
    );
    assert_eq!(
        v.evidence,
        vec!["LIVENESS lane=-".to_string(), "stop_classes=['LIVENESS']".into()]
    );
}

#[test]
fn the_reason_cut_counts_code_points() {
    let q = json!([{"kind": "LIVENESS", "lane": "é", "reason_text": "é".repeat(200)}]);
    let v = DecisionClassStopPolicy::default().decide(&state(q)).unwrap();
    assert!(v
        .reason
        .contains(&format!("(lane 'é'): {}{TAIL}", "é".repeat(120))));
}

#[test]
fn classes_are_normalised() {
    let cfg = |v: Value| {
        let mut m = serde_json::Map::new();
        m.insert("stop_classes".into(), v);
        DriverConfig(m)
    };
    let names = |c: &BTreeSet<String>| c.iter().cloned().collect::<Vec<_>>();
    let ok: &[(Value, &[&str])] = &[
        (json!(null), &["LIVENESS"]),
        (
            json!([" wedge ", "arbiter_refuse", "", "  ", "WEDGE"]),
            &["ARBITER_REFUSE", "WEDGE"],
        ),
        (json!("liveness, wedge"), &["LIVENESS", "WEDGE"]),
        (json!([]), &[]),
    ];
    for (v, want) in ok {
        assert_eq!(
            names(&classes_from_config(&cfg(v.clone())).unwrap()),
            *want,
            "{v}"
        );
    }
    assert_eq!(
        names(&classes_from_config(&DriverConfig::default()).unwrap()),
        ["LIVENESS"]
    );
    for bad in [json!(5), json!(["LIVENESS", 3]), json!({"a": 1}), json!(true)] {
        let err = classes_from_config(&cfg(bad.clone())).unwrap_err();
        assert!(
            err.0
                .starts_with("decision-class: stop_classes must be a list of strings"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn python_repr_of_strings() {
    let table: &[(&str, &str)] = &[
        ("api", "'api'"),
        ("it's", "\"it's\""),
        ("a'b\"c", "'a\\'b\"c'"),
        ("back\\slash", "'back\\\\slash'"),
        ("tab\tnl\n", "'tab\\tnl\\n'"),
        ("\u{7f}\u{1}", "'\\x7f\\x01'"),
        ("é日", "'é日'"),
        ("\u{a0}\u{2028}", "'\\xa0\\u2028'"),
    ];
    for (s, want) in table {
        assert_eq!(py_repr(s), *want, "{s:?}");
    }
}

proptest! {
    #[test]
    fn never_stops_on_a_kind_outside_the_classes(kinds in proptest::collection::vec("[A-Z_]{0,12}", 0..8)) {
        let rows: Vec<Value> = kinds.iter().map(|k| json!({"kind": k, "resolver_kind": "HUMAN"})).collect();
        let classes: Vec<&str> = vec!["LIVENESS"];
        let v = decide(&classes, &state(Value::Array(rows)));
        let has = kinds.iter().any(|k| k == "LIVENESS");
        prop_assert_eq!(v.stance == StopStance::Stop, has);
    }
}
