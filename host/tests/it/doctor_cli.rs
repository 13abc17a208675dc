//! `dos doctor [--json]` on real workspaces: healthy after `dos init
//! --hooks`, broken (exit 1, with the reason) for an invalid dos.toml, a
//! wired program that does not exist, a partly wired runtime and an
//! unparseable runtime config.

use crate::support::init_common;

use crate::support::dos_exe;
use init_common::{dos, text};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn initialised() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(tmp.path()).unwrap();
    let out = dos(
        &root,
        &["init", "--hooks", "claude-code", "--hooks", "codex", "."],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    (tmp, root)
}

fn doctor_json(root: &Path) -> (Option<i32>, Value) {
    let out = dos(root, &["doctor", "--json"]);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    (out.status.code(), v)
}

#[test]
fn an_initialised_workspace_is_healthy_and_reports_its_hooks() {
    let (_tmp, root) = initialised();
    std::fs::create_dir_all(root.join(".dos")).unwrap();
    std::fs::write(root.join(".dos/lane-journal.jsonl"), "0123456789").unwrap();
    let out = dos(&root, &["doctor"]);
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains(&format!("workspace root      {}\n", root.display())),
        "{said}"
    );
    assert!(
        said.contains("runtime hooks       claude-code (3), claude-cowork (3), codex (3)\n"),
        "{said}"
    );
    assert!(said.contains("(10 bytes)"), "{said}");
    assert!(said.ends_with("healthy\n"), "{said}");

    let (code, v) = doctor_json(&root);
    assert_eq!(code, Some(0));
    assert_eq!(v["healthy"], true);
    assert_eq!(v["config"]["valid"], true);
    assert_eq!(v["journals"]["lane"]["bytes"], 10);
    assert_eq!(v["lanes"]["exclusive"], serde_json::json!(["main"]));
    let hooks = v["runtime_hooks"].as_array().unwrap();
    assert_eq!(hooks.len(), 2, "{hooks:?}");
    assert_eq!(
        hooks[0]["runtimes"],
        serde_json::json!(["claude-code", "claude-cowork"])
    );
    assert!(hooks[0]["programs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["resolved"].is_string()));
    assert!(v["dos_hook"]["version"]
        .as_str()
        .unwrap()
        .starts_with("dos-hook "));
    assert_eq!(v["exit_codes"]["doctor"]["broken"], 1);
}

#[test]
fn a_wired_program_that_does_not_exist_is_broken() {
    let (_tmp, root) = initialised();
    let settings = root.join(".claude/settings.json");
    let bin = Path::new(dos_exe()).parent().unwrap().join("dos-hook");
    let body = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(
        &settings,
        body.replace(&bin.display().to_string(), "/nonexistent/dos-hook"),
    )
    .unwrap();
    let out = dos(&root, &["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("BROKEN: claude-code/claude-cowork: ")
            && text(&out.stdout).contains("runs `/nonexistent/dos-hook`, which does not exist"),
        "{}",
        text(&out.stdout)
    );
    let (code, v) = doctor_json(&root);
    assert_eq!((code, &v["healthy"]), (Some(1), &Value::Bool(false)));
}

#[test]
fn a_partly_wired_runtime_is_broken() {
    let (_tmp, root) = initialised();
    let cfg = root.join(".codex/config.toml");
    let body = std::fs::read_to_string(&cfg).unwrap();
    let start = body.find("[[hooks.Stop]]").unwrap();
    let end = body.find("# <<< dos hooks <<<").unwrap();
    std::fs::write(&cfg, format!("{}{}", &body[..start], &body[end..])).unwrap();
    let out = dos(&root, &["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("wires DOS on only 2 of 3 events (missing: Stop)"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn an_invalid_dos_toml_or_runtime_config_is_broken() {
    let (_tmp, root) = initialised();
    std::fs::create_dir_all(root.join(".gemini")).unwrap();
    std::fs::write(root.join(".gemini/settings.json"), "{oops").unwrap();
    let out = dos(&root, &["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("BROKEN: gemini: ") && text(&out.stdout).contains("not valid JSON"));

    std::fs::write(root.join("dos.toml"), "[lanes\n").unwrap();
    let (code, v) = doctor_json(&root);
    assert_eq!(code, Some(1));
    assert_eq!(v["config"]["valid"], false);
    assert!(
        v["problems"][0]
            .as_str()
            .unwrap()
            .starts_with("dos.toml is invalid"),
        "{v}"
    );
}

#[test]
fn a_bare_directory_is_healthy_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let out = dos(tmp.path(), &["doctor"]);
    assert_eq!(out.status.code(), Some(0));
    let said = text(&out.stdout);
    assert!(
        said.contains("runtime hooks       (none wired)") && said.contains("warning: no dos.toml"),
        "{said}"
    );
}
