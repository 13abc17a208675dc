//! The dos-kernel 0.30.0 hook goldens (`fixtures/hooks030/golden.json`,
//! recorded by `gen_golden.py` from 0.30's Python hook path): pretool's
//! false-positive fixes (orchestration tools, read-only Bash, operator
//! sessions warned instead of denied, the SELF_MODIFY hook-surface text and
//! nudge wording), the enforcement posture, and the `hook-observation`
//! records every verb appends to `.dos/metrics/observations.jsonl`.
//!
//! Each group runs in one fresh workspace, its cases in order, through both
//! `dos hook VERB` and the standalone `dos-hook VERB`; stdout, exit code and
//! the listed files must match byte for byte (timestamps, `latency_ms`, the
//! workspace path and the lease stamp masked).

use crate::support::hooks_common;

use hooks_common::{mask_latency, mask_ts, HookBin};
use serde_json::Value;
use std::path::Path;

fn golden() -> Vec<Value> {
    serde_json::from_str(include_str!("../fixtures/hooks030/golden.json")).expect("golden.json")
}

/// A UTC stamp of now, second resolution (a fresh lease stays live).
fn now_stamp() -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .expect("date runs");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn run_group(bin: &HookBin, g: &Value) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    let root = ws.to_str().unwrap();
    let now = now_stamp();
    let git = std::process::Command::new("git")
        .args(["init", "-q"])
        .arg(ws)
        .status();
    assert!(git.is_ok_and(|s| s.success()), "git init");
    for (rel, text) in g["setup"].as_object().unwrap() {
        let path = ws.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text.as_str().unwrap().replace("<NOW>", &now)).unwrap();
    }
    let mask = |t: &str| mask_latency(&mask_ts(&t.replace(root, "/ws").replace(&now, "<NOW>")));
    let mut bad = Vec::new();
    for case in g["cases"].as_array().unwrap() {
        let title = format!(
            "{} / {} [{}]",
            g["group"].as_str().unwrap(),
            case["title"].as_str().unwrap(),
            bin.path()
        );
        let args: Vec<&str> = case["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let env: Vec<(&str, &str)> = case["env"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
            .collect();
        let stdin = case["stdin"].as_str().unwrap().replace("/ws", root);
        let Some(out) = bin.run(ws, &args, &env, stdin.as_bytes()) else {
            continue;
        };
        let want = case["stdout"].as_str().unwrap();
        if mask(&out.stdout) != want {
            bad.push(format!(
                "{title}: stdout\n  got:  {:?}\n  want: {want:?}",
                mask(&out.stdout)
            ));
        }
        if i64::from(out.code) != case["code"].as_i64().unwrap() {
            bad.push(format!("{title}: exit {} want {}", out.code, case["code"]));
        }
        for (rel, want) in case["files"].as_object().unwrap() {
            let got = std::fs::read_to_string(ws.join(rel)).ok().map(|t| mask(&t));
            if got.as_deref() != want.as_str() {
                bad.push(format!("{title}: file {rel}\n  got:  {got:?}\n  want: {want:?}"));
            }
        }
    }
    bad
}

fn check(prefix: &str) {
    let g = golden()
        .into_iter()
        .find(|g| g["group"].as_str().unwrap().starts_with(prefix))
        .unwrap_or_else(|| panic!("group {prefix}"));
    let mut bad = Vec::new();
    for bin in HookBin::built() {
        bad.extend(run_group(&bin, &g));
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn pretool_orchestration_and_read_only_bash_pass_operator_sessions_warn() {
    check("G30-FP");
}

#[test]
fn pretool_self_modify_core_list_operator_warning_loop_deny() {
    check("G30-SM");
}

#[test]
fn pretool_enforcement_posture() {
    check("G30-POSTURE");
}

#[test]
fn posttool_observations() {
    check("G30-POST");
}

#[test]
fn stop_observations() {
    check("G30-STOP");
}

#[test]
fn marker_observations() {
    check("G30-MK");
}

#[test]
fn latency_mask() {
    assert_eq!(
        mask_latency("{\"latency_ms\": 26.464, \"op\": 1} \"latency_ms\": 1e-05}"),
        "{\"latency_ms\": <ms>, \"op\": 1} \"latency_ms\": <ms>}"
    );
    assert!(Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hooks030/gen_golden.py")
        .is_file());
}
