//! `dos scout` end to end: the reference's goldens for rules 0 and 9, the
//! stop policy from `dos.toml` / `--stop-policy`, the real `decision-class`
//! plugin firing on a pending LIVENESS halt read from a real lane journal,
//! and hostile policies that must never halt the loop.

use crate::support::plugin_support as support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

fn dos(ws: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dos"))
        .args(args)
        .arg("--workspace")
        .arg(ws)
        .current_dir(ws)
        .env_remove("DISPATCH_WORKSPACE")
        .env_remove("DOS_PLUGIN_PATH")
        .output()
        .expect("dos runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn decision_class() -> PathBuf {
    build_workspace_plugin("dos-stop-decision-class")
}

fn hostile() -> PathBuf {
    build_fixture("tests/fixtures/hostile", "dos_hostile_fixture")
}

/// A workspace whose `[plugins]` loads exactly `libs`, plus `extra` TOML.
fn ws_with(libs: &[&Path], extra: &str) -> tempfile::TempDir {
    workspace(&plugin_paths_toml(libs, &format!("default_dir = false\n{extra}")))
}

const LIVENESS_TAIL: &str =
    ". Host policy halts the loop on this class — resolve it (`dos decisions` / F9) before relaunching.";

fn write_journal(ws: &Path, lines: &[&str]) {
    let dir = ws.join(".dos");
    std::fs::create_dir_all(&dir).expect("mkdir .dos");
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(dir.join("lane-journal.jsonl"), text).expect("write journal");
}

const HALT: &str = r#"{"seq": 7, "op": "HALT", "lane": "ops", "handle": "h-42", "command": "dos stop 42", "reason": "run 42 SPINNING for 900s", "run_id": "RID-42", "ts": "2026-11-21T00:00:00+00:00"}"#;
const REFUSE: &str = r#"{"seq": 3, "op": "REFUSE", "lane": "api", "reason_class": "LANE_BLOCKED_ON_OPERATOR_DECISION", "reason": "waiting on decision #12", "ts": "2026-11-21T00:00:00+00:00"}"#;

#[test]
fn reference_goldens_without_a_policy() {
    let ws = ws_with(&[], "");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scout/golden.jsonl"),
    )
    .expect("golden file");
    let mut n = 0;
    for line in text.lines() {
        let g: Value = serde_json::from_str(line).expect("golden line");
        let state = g["state"].as_str().expect("state");
        let (code, out, err) = dos(ws.path(), &["scout", "--state-json", state]);
        assert_eq!(out, g["stdout"].as_str().expect("stdout"), "state {state}\n{err}");
        assert_eq!(
            i64::from(code),
            g["exit"].as_i64().expect("exit"),
            "state {state}"
        );
        n += 1;
    }
    assert!(n >= 20, "only {n} goldens");
}

#[test]
fn decision_class_fires_on_a_pending_liveness_halt() {
    let lib = decision_class();
    let ws = ws_with(&[&lib], "[scout]\nstop_policy = \"decision-class\"\n");
    write_journal(ws.path(), &[REFUSE, HALT]);
    let (code, out, err) = dos(ws.path(), &["scout", "--state-json", r#"{"scope": "api"}"#]);
    assert_eq!(code, 6, "{out}{err}");
    let d: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(d["activity"], "stop");
    assert_eq!(d["rule_id"], 1);
    assert_eq!(d["gate"], Value::Null);
    assert_eq!(d["needs_lane"], false);
    assert_eq!(d["cause_key"], "stop_on_liveness");
    assert_eq!(
        d["reason"],
        format!("a LIVENESS decision is pending (lane 'ops'): run 42 SPINNING for 900s{LIVENESS_TAIL}")
    );
    assert_eq!(
        d["evidence"],
        serde_json::json!(["LIVENESS lane=ops", "stop_classes=['LIVENESS']"])
    );
    // Pretty, sorted keys, ASCII-only (the em dash is escaped).
    assert!(
        out.starts_with("{\n  \"activity\": \"stop\",\n  \"auto_runnable\": true,\n"),
        "{out}"
    );
    assert!(out.contains("\\u2014"), "{out}");
}

#[test]
fn without_a_halt_the_policy_defers_and_the_scout_dispatches() {
    let lib = decision_class();
    let ws = ws_with(&[&lib], "[scout]\nstop_policy = \"decision-class\"\n");
    write_journal(ws.path(), &[REFUSE]);
    let (code, out, _) = dos(ws.path(), &["scout", "--state-json", r#"{"scope": "api"}"#]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\"rule_id\": 9"), "{out}");
}

#[test]
fn configured_classes_reach_the_plugin() {
    let lib = decision_class();
    let ws = ws_with(
        &[&lib],
        "[scout]\nstop_policy = \"decision-class\"\n[stop_policies.decision-class]\nstop_classes = [\"arbiter_refuse\"]\n",
    );
    write_journal(ws.path(), &[REFUSE, HALT]);
    let (code, out, err) = dos(ws.path(), &["scout"]);
    assert_eq!(code, 6, "{out}{err}");
    let d: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(d["cause_key"], "stop_on_arbiter_refuse");
    assert_eq!(
        d["evidence"],
        serde_json::json!(["ARBITER_REFUSE lane=api", "stop_classes=['ARBITER_REFUSE']"])
    );
}

#[test]
fn the_flag_overrides_dos_toml_and_the_floor_overrides_the_policy() {
    let lib = decision_class();
    let ws = ws_with(&[&lib], "[scout]\nstop_policy = \"decision-class\"\n");
    write_journal(ws.path(), &[HALT]);
    let (code, out, _) = dos(ws.path(), &["scout", "--stop-policy", "never"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\"rule_id\": 9"), "{out}");
    let (code, out, _) = dos(
        ws.path(),
        &[
            "scout",
            "--state-json",
            r#"{"resource_blocked": true, "resource_block_reason": "spawn cap"}"#,
        ],
    );
    assert_eq!(code, 6);
    assert!(out.contains("\"rule_id\": 0"), "{out}");
    assert!(out.contains("resource_blocked: spawn cap"), "{out}");
}

#[test]
fn an_unknown_policy_is_a_loud_error() {
    let lib = decision_class();
    let ws = ws_with(&[&lib], "[scout]\nstop_policy = \"nope\"\n");
    let (code, out, err) = dos(ws.path(), &["scout"]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert_eq!(
        err,
        "error: unknown stop policy 'nope'; known: decision-class, never\n"
    );
    // Loud even when the resource floor would answer alone.
    let (code, _, err) = dos(
        ws.path(),
        &[
            "scout",
            "--stop-policy",
            "bogus",
            "--state-json",
            r#"{"resource_blocked": true}"#,
        ],
    );
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: unknown stop policy 'bogus'; known: decision-class, never\n"
    );
}

#[test]
fn hostile_policies_never_halt_the_loop() {
    let lib = hostile();
    let ws = ws_with(&[&lib], "call_timeout_ms = 300\n");
    for mode in ["panic", "error", "sleep", "garbage"] {
        let state = format!(r#"{{"mode": "{mode}", "scope": "api"}}"#);
        let (code, out, err) = dos(
            ws.path(),
            &["scout", "--stop-policy", "boom", "--state-json", &state],
        );
        assert_eq!(code, 0, "{mode}: {out}{err}");
        assert!(out.contains("\"activity\": \"dispatch\""), "{mode}: {out}");
    }
    // The same plugin answering soundly does halt.
    let (code, out, _) = dos(
        ws.path(),
        &[
            "scout",
            "--stop-policy",
            "boom",
            "--state-json",
            r#"{"mode": "ok"}"#,
        ],
    );
    assert_eq!(code, 6, "{out}");
    assert!(out.contains("\"cause_key\": \"stop_on_test\""), "{out}");
    assert!(out.contains("\"reason\": \"halt now\""), "{out}");
}

#[test]
fn bad_input_and_out_of_scope_rules_exit_2() {
    let ws = ws_with(&[], "");
    let table: &[(&str, &str)] = &[
        ("[1]", "error: --state-json must be a JSON object (got a list)\n"),
        (
            r#"{"health": {"action": "route_unstick", "cause_key": "x"}}"#,
            "error: scout rule 4 (health route_unstick → unstick) is not implemented by this host — only rules 0 (resource floor), 1 (stop policy) and 9 (dispatch) are; see `dos scout --help`\n",
        ),
        (
            r#"{"resource_blocked": "perhaps"}"#,
            "error: --state-json: 'resource_blocked' must be true or false (got the string \"perhaps\")\n",
        ),
    ];
    for (state, want) in table {
        let (code, out, err) = dos(ws.path(), &["scout", "--state-json", state]);
        assert_eq!((code, out.as_str(), err.as_str()), (2, "", *want), "{state}");
    }
    let (code, out, _) = dos(ws.path(), &["scout", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("OUT OF SCOPE"), "{out}");
}

#[test]
fn a_string_false_does_not_block() {
    // The reference's bool("false") is True and would halt on rule 0.
    let ws = ws_with(&[], "");
    let (code, out, _) = dos(
        ws.path(),
        &["scout", "--state-json", r#"{"resource_blocked": "false"}"#],
    );
    assert_eq!(code, 0, "{out}");
}
