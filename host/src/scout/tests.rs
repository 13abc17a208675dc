use super::*;
use crate::stop::FnPolicy;
use dos_plugin_api::StopVerdict;
use serde_json::json;

fn st(j: &str) -> ScoutState {
    ScoutState::from_json(j).expect("valid state")
}

fn policy(v: StopVerdict) -> FnPolicy<impl FnMut(&Value) -> StopVerdict> {
    FnPolicy {
        name: "p".into(),
        f: move |_: &Value| v.clone(),
    }
}

#[test]
fn rule_1_stops_with_the_policy_verdict() {
    let mut p = policy(StopVerdict::stop(
        "a ARBITER_REFUSE decision is pending (lane 'api'): x",
        "stop_on_arbiter_refuse",
        vec!["ARBITER_REFUSE lane=api".into()],
    ));
    let d = scout_decide(&st(r#"{"scope": "api"}"#), &[], Some(&mut p)).unwrap();
    assert_eq!(
        d.to_json(),
        json!({"activity": "stop", "rule_id": 1, "confidence": "high", "auto_runnable": true,
               "needs_lane": false, "scope": "api", "focus": "not-started", "gate": null,
               "reason": "a ARBITER_REFUSE decision is pending (lane 'api'): x",
               "cause_key": "stop_on_arbiter_refuse", "evidence": ["ARBITER_REFUSE lane=api"]})
    );
    assert_eq!(d.exit_code(), 6);
}

#[test]
fn rule_1_fills_in_an_empty_stop_verdict() {
    let mut p = policy(StopVerdict::stop("", "", vec![]));
    let d = scout_decide(&st("{}"), &[], Some(&mut p)).unwrap();
    assert_eq!(d.reason, POLICY_DEFAULT_REASON);
    assert_eq!(d.cause_key, "stop_policy");
    assert_eq!(d.evidence, vec!["stop_policy".to_string()]);
}

#[test]
fn defer_and_never_fall_through_to_dispatch_unchanged() {
    let plain = scout_decide(&st(r#"{"scope": "api"}"#), &[], None).unwrap();
    for v in [
        StopVerdict::defer("no", vec![]),
        StopVerdict {
            stance: StopStance::Never,
            reason: "never".into(),
            cause_key: "stop_policy".into(),
            evidence: vec![],
        },
    ] {
        let mut p = policy(v);
        let d = scout_decide(&st(r#"{"scope": "api"}"#), &[], Some(&mut p)).unwrap();
        assert_eq!(d, plain);
    }
    assert_eq!(plain.rule_id, 9);
    assert_eq!(plain.exit_code(), 0);
}

#[test]
fn the_floor_wins_and_the_policy_is_not_asked() {
    let mut asked = false;
    let mut p = FnPolicy {
        name: "p".into(),
        f: |_: &Value| {
            asked = true;
            StopVerdict::stop("x", "y", vec![])
        },
    };
    let d = scout_decide(&st(r#"{"resource_blocked": true}"#), &[], Some(&mut p)).unwrap();
    assert_eq!((d.rule_id, d.cause_key.as_str()), (0, "resource_blocked"));
    assert_eq!(
        d.reason,
        "can't launch more — host cannot launch more work right now. The only condition under which the scout halts; wait for capacity to free, then re-run."
    );
    assert!(!asked);
}

#[test]
fn a_panicking_policy_never_halts() {
    let mut p = FnPolicy {
        name: "boom".into(),
        f: |_: &Value| -> StopVerdict { panic!("torn") },
    };
    let d = scout_decide(&st("{}"), &[], Some(&mut p)).unwrap();
    assert_eq!(d.activity, Activity::Dispatch);
}

#[test]
fn the_policy_sees_the_state_and_the_queue() {
    let mut seen = Value::Null;
    let queue = vec![json!({"kind": "LIVENESS"})];
    let mut p = FnPolicy {
        name: "spy".into(),
        f: |v: &Value| {
            seen = v.clone();
            StopVerdict::defer("", vec![])
        },
    };
    scout_decide(
        &st(r#"{"scope": "api", "mode": "x", "pending_decisions": "forged"}"#),
        &queue,
        Some(&mut p),
    )
    .unwrap();
    assert_eq!(
        seen,
        json!({"scope": "api", "mode": "x", "pending_decisions": [{"kind": "LIVENESS"}]})
    );
}

#[test]
fn routing_rules_are_reported_out_of_scope() {
    let table: &[(&str, u32)] = &[
        (r#"{"health": {"action": "route_unstick"}}"#, 4),
        (r#"{"health": {"action": "overlap_block"}}"#, 5),
        (
            r#"{"health": {"action": "route_replan"}, "open_soaks": ["S1"]}"#,
            6,
        ),
        (r#"{"health": {"action": "route_replan"}}"#, 7),
        (r#"{"replan_due": true}"#, 7),
        (
            r#"{"health": {"action": "route_replan"}, "recent_replan_ran": true}"#,
            7,
        ),
    ];
    for (j, rule) in table {
        let e = scout_decide(&st(j), &[], None).unwrap_err();
        assert_eq!(e.rule_id, *rule, "{j}");
        assert!(e.to_string().contains("not implemented by this host"), "{e}");
    }
}

#[test]
fn bad_state_values_name_the_key() {
    let table: &[(&str, &str)] = &[
        ("[1]", "--state-json must be a JSON object (got a list)"),
        (
            r#"{"gate": "fast"}"#,
            "--state-json: unknown gate \"fast\" — expected hard|soft|drive",
        ),
        (
            r#"{"gate": null}"#,
            "--state-json: unknown gate null — expected hard|soft|drive",
        ),
        (
            r#"{"resource_blocked": "maybe"}"#,
            "--state-json: 'resource_blocked' must be true or false (got the string \"maybe\")",
        ),
        (
            r#"{"same_day_unstick_count": "lots"}"#,
            "--state-json: 'same_day_unstick_count' must be an integer (got the string \"lots\")",
        ),
        (
            r#"{"scoreboard": {"runs_7d": [1]}}"#,
            "--state-json: 'scoreboard.runs_7d' must be an integer (got a list)",
        ),
        (
            r#"{"open_soaks": [{"a": 1}]}"#,
            "--state-json: 'open_soaks' items must be text (got an object)",
        ),
        (
            r#"{"health": "proceed"}"#,
            "--state-json: 'health' must be a `dos health` verdict object (got a string)",
        ),
    ];
    for (j, want) in table {
        assert_eq!(ScoutState::from_json(j).unwrap_err().to_string(), *want, "{j}");
    }
    assert!(ScoutState::from_json("{")
        .unwrap_err()
        .to_string()
        .starts_with("--state-json is not valid JSON ("));
}

#[test]
fn string_booleans_mean_what_they_spell() {
    let s = st(r#"{"resource_blocked": "false", "replan_due": "0", "fixes_landing_since_unstick": "no"}"#);
    assert!(!s.resource_blocked && !s.replan_due && !s.fixes_landing_since_unstick);
    let s = st(r#"{"open_escalated_decisions": "362", "same_day_unstick_count": "3"}"#);
    assert_eq!(s.open_escalated_decisions, vec!["362".to_string()]);
    assert_eq!(s.same_day_unstick_count, 3);
}
