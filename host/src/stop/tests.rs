use super::*;
use crate::config::Config;
use dos_plugin_api::{PluginError, StopStance};
use serde_json::json;
use std::path::Path;

const RAISED_TAIL: &str =
    "deferring (a halt-gate that cannot answer never halts; it falls through to the kernel default).";

fn stopper() -> FnPolicy<impl FnMut(&Value) -> StopVerdict> {
    FnPolicy {
        name: "halt".into(),
        f: |_: &Value| StopVerdict::stop("policy says stop", "stop_on_x", vec!["e".into()]),
    }
}

#[test]
fn the_floor_stops_whatever_the_policy_says_and_does_not_call_it() {
    let mut called = false;
    let mut p = FnPolicy {
        name: "never-called".into(),
        f: |_: &Value| {
            called = true;
            StopVerdict::defer("go on", vec![])
        },
    };
    let table = [("", "host cannot launch more work"), ("spawn cap", "spawn cap")];
    for (reason, why) in table {
        let floor = ResourceFloor {
            blocked: true,
            reason: reason.into(),
        };
        let v = stop_under_resource_floor(&mut p, &floor, &json!({}));
        assert_eq!(
            v,
            StopVerdict::stop(
                format!("resource_blocked floor: {why}"),
                "resource_blocked",
                vec![format!("resource_blocked: {why}")]
            )
        );
    }
    assert!(!called, "the policy must not be consulted under the floor");
}

#[test]
fn without_the_floor_the_policy_answers() {
    let v = stop_under_resource_floor(&mut stopper(), &ResourceFloor::default(), &json!({}));
    assert_eq!(v.stance, StopStance::Stop);
    assert_eq!(v.cause_key, "stop_on_x");
}

#[test]
fn failures_defer_with_the_reference_texts() {
    let mut panicking = FnPolicy {
        name: "boom".into(),
        f: |_: &Value| -> StopVerdict { panic!("torn") },
    };
    let v = run_stop_policy(&mut panicking, &json!({}));
    assert_eq!(
        v,
        StopVerdict::defer(
            format!("stop policy 'boom' raised (panic: torn) — {RAISED_TAIL}"),
            vec![]
        )
    );

    struct Erring;
    impl StopPolicy for Erring {
        fn decide(&mut self, _s: &Value) -> Result<StopVerdict, PluginError> {
            Err(PluginError::new("torn"))
        }
    }
    let mut p = InProcess {
        name: "boom".into(),
        policy: Erring,
    };
    let v = run_stop_policy(&mut p, &json!({}));
    assert_eq!(v.stance, StopStance::Defer);
    assert_eq!(v.cause_key, "stop_policy");
    assert_eq!(
        v.reason,
        format!("stop policy 'boom' raised (error: torn) — {RAISED_TAIL}")
    );
}

#[test]
fn the_policy_name_comes_from_the_flag_or_dos_toml() {
    let cfg = |t: &str| Config::parse(t, Path::new("dos.toml")).expect("toml");
    let table: &[(&str, Option<&str>, Option<&str>)] = &[
        ("", None, None),
        (
            "[scout]\nstop_policy = \"decision-class\"\n",
            None,
            Some("decision-class"),
        ),
        (
            "[scout]\nstop_policy = \"decision-class\"\n",
            Some("never"),
            Some("never"),
        ),
        ("[scout]\nstop_policy = \"\"\n", None, None),
        ("", Some(""), None),
        ("", Some("nope"), Some("nope")),
    ];
    for (toml, flag, want) in table {
        assert_eq!(
            configured_policy_name(&cfg(toml), *flag).expect("valid"),
            want.map(str::to_string),
            "{toml:?} {flag:?}"
        );
    }
    let err = configured_policy_name(&cfg("[scout]\nstop_policy = 3\n"), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "dos.toml:2: `scout.stop_policy` must be a string, found an integer"
    );
}
