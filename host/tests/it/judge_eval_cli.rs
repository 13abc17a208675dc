//! `dos judge-eval` end to end: the reference's goldens through the real
//! `similarity` and `operator-decision` plugins, the truthiness fixes, and
//! hostile judges that must abstain, never agree.

use crate::support::plugin_support as support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/judge")
}

fn dos(ws: &Path, cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dos"))
        .args(args)
        .arg("--workspace")
        .arg(ws)
        .current_dir(cwd)
        .env_remove("DISPATCH_WORKSPACE")
        .env_remove("DOS_PLUGIN_PATH")
        .env_remove("DOS_SIMILARITY_THRESHOLD")
        .env_remove("DOS_SIMILARITY_CMD")
        .env_remove("DOS_LLM_JUDGE_CMD")
        .output()
        .expect("dos runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn judges_ws() -> tempfile::TempDir {
    let sim = build_workspace_plugin("dos-judge-similarity");
    let op = build_workspace_plugin("dos-judge-operator-decision");
    workspace(&plugin_paths_toml(&[&sim, &op], "default_dir = false\n"))
}

#[test]
fn reference_goldens_through_the_real_plugins() {
    let ws = judges_ws();
    let golden: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("golden.json")).expect("golden"))
            .expect("golden json");
    let scratch = tempfile::tempdir().expect("tmp");
    for g in &golden {
        let args: Vec<&str> = g["args"]
            .as_array()
            .expect("args")
            .iter()
            .map(|a| a.as_str().expect("arg"))
            .collect();
        // Error cases run where their (possibly missing) file is named.
        let cwd = match g.get("cwd_files").and_then(Value::as_object) {
            Some(files) => {
                for (name, body) in files {
                    if let Some(b) = body.as_str() {
                        std::fs::write(scratch.path().join(name), b).expect("write case file");
                    }
                }
                scratch.path().to_path_buf()
            }
            None => fixtures(),
        };
        let mut full = vec!["judge-eval"];
        full.extend(args.iter());
        let (code, out, err) = dos(ws.path(), &cwd, &full);
        assert_eq!(out, g["stdout"].as_str().expect("stdout"), "{args:?}\n{err}");
        assert_eq!(err, g["stderr"].as_str().expect("stderr"), "{args:?}");
        assert_eq!(i64::from(code), g["exit"].as_i64().expect("exit"), "{args:?}");
    }
    assert!(golden.len() >= 15);
}

#[test]
fn unknown_judge_lists_what_is_known() {
    let ws = judges_ws();
    let (code, out, err) = dos(
        ws.path(),
        &fixtures(),
        &["judge-eval", "--judge", "nope", "--cases", "cases.jsonl"],
    );
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err,
        "error: unknown judge 'nope'; known: abstain, operator-decision, similarity\n"
    );
}

#[test]
fn truthiness_fixes() {
    let ws = judges_ws();
    let dir = tempfile::tempdir().expect("tmp");
    // "false" is false, so AGREE on it is a false-clear (exit 1); string
    // evidence is one item, so similarity scores the sentence (1.000), not
    // its characters.
    std::fs::write(
        dir.path().join("c.jsonl"),
        "{\"claim_text\": \"phase AUTH2 shipped\", \"truth\": \"false\", \"evidence\": \"abc123 feat: phase AUTH2 shipped\"}\n",
    )
    .expect("write");
    let (code, out, err) = dos(
        ws.path(),
        dir.path(),
        &[
            "judge-eval",
            "--judge",
            "similarity",
            "--cases",
            "c.jsonl",
            "--json",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    let r: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(r["grid"]["false_clear"], 1, "{out}");

    let table: &[(&str, &str)] = &[
        ("# c\n7\n", "error: bad.jsonl:2: each case needs 'claim_text' and 'truth' (got a number, not a JSON object)\n"),
        (
            "{\"claim_text\": \"x\", \"truth\": \"sometimes\"}\n",
            "error: bad.jsonl:1: 'truth' must be true or false (got the string 'sometimes')\n",
        ),
        ("\n\n{\"claim_text\": \"x\", \"truth\": true}\n\"escalate defer\"\n", "error: bad.jsonl:4: each case needs 'claim_text' and 'truth' (got a string, not a JSON object)\n"),
    ];
    for (body, want) in table {
        std::fs::write(dir.path().join("bad.jsonl"), body).expect("write");
        let (code, out, err) = dos(ws.path(), dir.path(), &["judge-eval", "--cases", "bad.jsonl"]);
        assert_eq!((code, out.as_str(), err.as_str()), (2, "", *want), "{body:?}");
    }
}

#[test]
fn hostile_judges_abstain_never_agree() {
    let lib = build_fixture("tests/fixtures/hostile", "dos_hostile_fixture");
    let ws = workspace(&plugin_paths_toml(&[&lib], "default_dir = false\n"));
    let dir = tempfile::tempdir().expect("tmp");
    // All claims are false: any AGREE would be a false-clear (exit 1).
    std::fs::write(
        dir.path().join("c.jsonl"),
        "{\"claim_text\": \"panic\", \"truth\": false}\n{\"claim_text\": \"error\", \"truth\": false}\n{\"claim_text\": \"nan\", \"truth\": false}\n",
    )
    .expect("write");
    let (code, out, err) = dos(
        ws.path(),
        dir.path(),
        &["judge-eval", "--judge", "boom", "--cases", "c.jsonl", "--json"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let r: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(r["grid"]["abstain_false"], 3, "{out}");
    assert_eq!(r["total_cost"], 0.0);
    // The same plugin agreeing soundly is counted (and costed).
    std::fs::write(
        dir.path().join("a.jsonl"),
        "{\"claim_text\": \"agree\", \"truth\": false}\n",
    )
    .expect("write");
    let (code, out, _) = dos(
        ws.path(),
        dir.path(),
        &["judge-eval", "--judge", "boom", "--cases", "a.jsonl", "--json"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("\"total_cost\": 1.5"), "{out}");
}

/// `dos judge-eval --judge JUDGE --cases cases.jsonl EXTRA…` in `ws`.
fn eval_cases(ws: &Path, judge: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["judge-eval", "--judge", judge, "--cases", "cases.jsonl"];
    args.extend_from_slice(extra);
    dos(ws, &fixtures(), &args)
}

fn ctor_judges_ws(extra: &str) -> (tempfile::TempDir, PathBuf) {
    let lib = build_fixture("host/tests/fixtures/judge/ctor-judges", "dos_ctor_judges");
    let ws = workspace(&plugin_paths_toml(
        &[&lib],
        &format!("default_dir = false\n{extra}"),
    ));
    (ws, lib)
}

#[test]
fn a_judge_whose_constructor_panics_fails_the_run_instead_of_scoring_as_harmless() {
    let (ws, lib) = ctor_judges_ws("");
    let (code, out, err) = eval_cases(ws.path(), "ctor-panic", &[]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    // The host's load-time warning may precede it; the error is the last line.
    assert_eq!(
        without_location(err.lines().last().unwrap_or_default()),
        format!(
            "error: judge 'ctor-panic' ({}) could not be constructed: it panicked: constructor exploded",
            lib.display()
        )
    );
    assert!(!err.contains("constructor failed: error:"), "{err}");
}

#[test]
fn a_wrong_typed_judge_table_fails_the_run_naming_table_key_and_type() {
    let (ws, _lib) = ctor_judges_ws("[judges.typed]\nthreshold = \"high\"\n");
    let (code, out, err) = eval_cases(ws.path(), "typed", &["--json"]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(
        err.ends_with(
            "could not be constructed: it returned an error: [judges.typed] threshold: expected f64, found string \"high\"\n"
        ),
        "{err}"
    );
    // The host's warning names the cause once, without a doubled prefix.
    assert!(
        err.contains("(constructor failed: [judges.typed] threshold: expected f64, found string \"high\")"),
        "{err}"
    );
}

#[test]
fn verbose_prints_each_case_verdict_why_and_evidence() {
    let (ws, _lib) = ctor_judges_ws("[judges.typed]\nthreshold = 0.5\n");
    let (code, out, _) = eval_cases(ws.path(), "typed", &["--verbose"]);
    assert_eq!(code, 1, "it clears false claims: {out}");
    let block = out.split_once("cases\n").map(|(_, b)| b).expect("a cases block");
    let mut lines = block.lines();
    assert_eq!(
        lines.next(),
        Some("  #1   AGREE    correct-clear phase AUTH2 shipped")
    );
    assert_eq!(lines.next(), Some("       why       always (threshold 0.5)"));
    assert_eq!(lines.next(), Some("       evidence  typed: yes"));
    assert_eq!(
        lines.next(),
        Some("  #2   AGREE    FALSE-CLEAR   the login page supports OAuth")
    );

    let (_, plain, _) = eval_cases(ws.path(), "typed", &["--json"]);
    let plain: Value = serde_json::from_str(&plain).expect("json");
    assert!(
        plain.get("verdicts").is_none(),
        "--json alone keeps the reference's document"
    );
    let (_, verbose, _) = eval_cases(ws.path(), "typed", &["--json", "--verbose"]);
    let verbose: Value = serde_json::from_str(&verbose).expect("json");
    assert_eq!(verbose["verdicts"][1]["cell"], "FALSE-CLEAR");
    assert_eq!(verbose["verdicts"][1]["why"], "always (threshold 0.5)");
    assert_eq!(verbose["verdicts"][1]["evidence"][0], "typed: yes");
    assert_eq!(verbose["n"], plain["n"]);
}
