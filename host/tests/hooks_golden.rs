//! Every golden transcript of the hooks spec (Appendix A, extracted into
//! `fixtures/hooks/golden.json` by `extract_golden.py`): stdin → stdout,
//! exit code, stderr where shown, and the files written. Where we
//! deliberately differ from the reference (the exec-capability advisory in
//! pretool), the case is overridden here and the reason is stated.

mod hooks_common;

use hooks_common::{mask_ts, run};
use serde_json::Value;
use std::path::Path;

const BIN: &str = env!("CARGO_BIN_EXE_dos");

fn golden() -> Vec<Value> {
    let text = include_str!("fixtures/hooks/golden.json");
    serde_json::from_str(text).expect("golden.json")
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or("")
}

/// Run one case in `ws`; returns a list of mismatches.
fn check_case(ws: &Path, case: &Value, expect_stdout: Option<&str>) -> Vec<String> {
    let root = ws.to_str().unwrap();
    let sub = |t: &str| t.replace("/ws", root);
    let args: Vec<String> = case["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let env: Vec<(String, String)> = case["env"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let out = run(BIN, ws, &args, &env, sub(s(case, "stdin")).as_bytes());
    let title = s(case, "title");
    let mut bad = Vec::new();
    let want = expect_stdout.unwrap_or(s(case, "stdout"));
    if out.stdout != want {
        bad.push(format!(
            "{title}: stdout\n  got:  {:?}\n  want: {:?}",
            out.stdout, want
        ));
    }
    if out.code != case["code"].as_i64().unwrap() as i32 {
        bad.push(format!("{title}: exit {} want {}", out.code, case["code"]));
    }
    if let Some(err) = case["stderr"].as_str() {
        if out.stderr != sub(err) {
            bad.push(format!(
                "{title}: stderr\n  got:  {:?}\n  want: {:?}",
                out.stderr, err
            ));
        }
    }
    for (path, want) in case["files"].as_object().unwrap() {
        let got = std::fs::read_to_string(ws.join(path)).unwrap_or_default();
        if mask_ts(&got) != want.as_str().unwrap() {
            bad.push(format!("{title}: file {path}\n  got:  {got:?}\n  want: {want:?}"));
        }
    }
    bad
}

fn group(name_prefix: &str) -> Value {
    golden()
        .into_iter()
        .find(|g| s(g, "group").starts_with(name_prefix))
        .unwrap_or_else(|| panic!("group {name_prefix}"))
}

fn run_group_sequential(prefix: &str, skip: &dyn Fn(&str) -> bool, setup: &dyn Fn(&Path)) {
    let g = group(prefix);
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let mut bad = Vec::new();
    for case in g["cases"].as_array().unwrap() {
        if skip(s(case, "title")) {
            continue;
        }
        bad.extend(check_case(dir.path(), case, None));
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn golden_posttool_sequences() {
    for g in ["G-PT1", "G-PT2", "G-PT5"] {
        run_group_sequential(g, &|_| false, &|_| {});
    }
}

#[test]
fn golden_posttool_pt5_writes_nothing() {
    let g = group("G-PT5");
    let dir = tempfile::tempdir().unwrap();
    for case in g["cases"].as_array().unwrap() {
        assert!(check_case(dir.path(), case, None).is_empty());
    }
    assert!(!dir.path().join(".dos").exists());
}

#[test]
fn golden_posttool_dialects_third_call() {
    // Each case is the third identical call in a fresh session.
    let g = group("G-PT3");
    let mut bad = Vec::new();
    for case in g["cases"].as_array().unwrap() {
        let dir = tempfile::tempdir().unwrap();
        let stdin = s(case, "stdin").replace("/ws", dir.path().to_str().unwrap());
        for _ in 0..2 {
            run(BIN, dir.path(), &["hook", "posttool"], &[], stdin.as_bytes());
        }
        bad.extend(check_case(dir.path(), case, None));
        let stream = std::fs::read_to_string(dir.path().join(".dos/streams/dl.jsonl")).unwrap();
        assert_eq!(
            stream.lines().count(),
            3,
            "unknown dialect still records the step"
        );
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn golden_posttool_run_id_stamped_on_firing_records() {
    let g = group("G-PT4");
    let case = &g["cases"][0];
    let dir = tempfile::tempdir().unwrap();
    let stdin = s(case, "stdin").replace("/ws", dir.path().to_str().unwrap());
    for _ in 0..3 {
        run(
            BIN,
            dir.path(),
            &["hook", "posttool"],
            &[("CID_RUN_ID", "run-xyz")],
            stdin.as_bytes(),
        );
    }
    let bad = check_case(dir.path(), case, None);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn golden_marker_budget() {
    run_group_sequential("G-MK", &|_| false, &|_| {});
}

/// Our fix: pretool consults the exec-capability classifier and advises
/// (never denies) on a command that grants arbitrary execution.
fn exec_advisory(program_repr: &str) -> String {
    format!(
        "{{\"hookSpecificOutput\": {{\"additionalContext\": \"DOS exec-capability (advisory): the command invokes {program_repr}, an arbitrary-code-execution entry point \\u2014 it can run any code, escaping a narrower per-command gate (GRANTS_ARBITRARY_EXEC) This call can run any code, so a narrower per-command allow-list does not bound what it does \\u2014 proceeding; prefer a narrower command if one does the job.\", \"hookEventName\": \"PreToolUse\"}}}}\n"
    )
}

#[test]
fn golden_pretool_passthrough_and_exec_advisory() {
    let g = group("G-PRE");
    let dir = tempfile::tempdir().unwrap();
    let mut bad = Vec::new();
    for case in g["cases"].as_array().unwrap().iter().take(7) {
        let title = s(case, "title");
        let want = if title.contains("python -c") {
            Some(exec_advisory("'python'"))
        } else if title.contains("sudo rm x") {
            Some(exec_advisory("'sudo'"))
        } else if title.contains("env A=1 bash") {
            Some(exec_advisory("'bash'"))
        } else {
            None
        };
        bad.extend(check_case(dir.path(), case, want.as_deref()));
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(
        !dir.path().join(".dos").exists(),
        "pretool passthrough writes nothing"
    );
}

#[test]
fn golden_pretool_self_modify() {
    // The live-lease cases run in hooks_pretool_leases.rs (they need a fresh lease).
    run_group_sequential("G-PRE", &|t| !t.contains("SELF_MODIFY"), &|ws| {
        std::fs::create_dir_all(ws.join("src/dos")).unwrap();
        std::fs::write(ws.join("src/dos/arbiter.py"), "x").unwrap();
    });
}

#[test]
fn golden_exec_capability() {
    run_group_sequential("G-XCAP", &|_| false, &|_| {});
}

#[test]
fn golden_hook_exit() {
    run_group_sequential("G-HEX", &|_| false, &|_| {});
}
