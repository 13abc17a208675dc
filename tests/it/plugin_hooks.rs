//! The hook_dialects and hook_installs plugin groups end to end, with a real
//! fixture `.so` for an invented runtime ("tallyho"): `dos init --hooks
//! tallyho` wires it, the wired commands answer tallyho's events through
//! the plugin dialect, `dos-hook` stays loader-free, and hostile dialect
//! and installer plugins are fail-soft (the hook silent with exit 0; init
//! reports and writes nothing).

use crate::support::plugin_support as support;
use crate::support::{dos_exe, init_common};

use init_common::{dos, run, run_env, text};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture() -> PathBuf {
    support::build_fixture("tests/fixtures/hook-runtime", "dos_hook_runtime_fixture")
}

/// A git workspace whose dos.toml loads the fixture, holding the kernel file
/// the PRE hook refuses to let an agent edit.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let so = fixture();
    let tmp = support::workspace(&support::plugin_paths_toml(&[so.as_path()], ""));
    let root = std::fs::canonicalize(tmp.path()).unwrap();
    std::fs::create_dir_all(root.join("src/dos")).unwrap();
    std::fs::write(root.join("src/dos/arbiter.py"), "").unwrap();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(args)
            .current_dir(&root)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@t")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@t")
            .output()
            .unwrap();
        assert!(ok.status.success(), "git {args:?}");
    };
    git(&["init", "-q", "."]);
    git(&["commit", "-q", "--allow-empty", "-m", "start"]);
    (tmp, root)
}

/// tallyho's PRE event: a write to the kernel file.
fn tallyho_pre(root: &Path) -> String {
    format!(
        r#"{{"kind": "before", "tool": "Write", "args": {{"file_path": "{}/src/dos/arbiter.py", "content": "x"}}, "dir": "{}", "chat": "t1"}}"#,
        root.display(),
        root.display()
    )
}

/// Claude Code's PRE event for the same write.
fn cc_pre(root: &Path) -> String {
    format!(
        r#"{{"session_id": "c1", "hook_event_name": "PreToolUse", "tool_name": "Write", "tool_input": {{"file_path": "{}/src/dos/arbiter.py", "content": "x"}}, "cwd": "{}"}}"#,
        root.display(),
        root.display()
    )
}

const DENY_REASON: &str =
    "DOS PRE-admission: lane 'Write' would edit the orchestrator's own running code (src/dos/arbiter.py)";

#[test]
fn init_wires_a_plugin_runtime_whose_commands_answer_its_events() {
    let (_tmp, root) = workspace();
    let toml_before = std::fs::read_to_string(root.join("dos.toml")).unwrap();
    let out = dos(&root, &["init", "--hooks", "tallyho", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("wired 3 DOS hook(s) into ")
            && said.contains(".tallyho/hooks.json: before, after, end"),
        "{said}"
    );
    assert!(
        said.contains("a plugin dialect is served by `dos hook`, not dos-hook"),
        "{said}"
    );
    assert!(
        said.contains("note: tallyho reads .tallyho/hooks.json at start-up."),
        "{said}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("dos.toml")).unwrap(),
        toml_before
    );

    let body = std::fs::read_to_string(root.join(".tallyho/hooks.json")).unwrap();
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["version"], 2);
    let pre = doc["hooks"]["before"][0]["command"].as_str().unwrap();
    assert_eq!(pre, "dos hook pretool --workspace . --dialect tallyho");
    let stop = doc["hooks"]["end"][0]["command"].as_str().unwrap();
    assert_eq!(stop, "dos hook stop --workspace . --dialect tallyho");

    // The wired PRE command, run as the runtime runs it, answers in tallyho's
    // shape: a note for an operator's session, a refusal inside a dispatch
    // loop (dos-kernel 0.30, issue #15 item 2).
    let answer = init_common::run_hook(&root, pre, &tallyho_pre(&root));
    assert_eq!(answer.status.code(), Some(0));
    let line = text(&answer.stdout);
    let v: Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?} {}", text(&answer.stderr)));
    assert_eq!(
        (v["tallyho"].as_str(), v["at"].as_str()),
        (Some("note"), Some("pre")),
        "{line}"
    );
    assert!(
        v["why"]
            .as_str()
            .unwrap()
            .contains("(advisory, operator session)"),
        "{line}"
    );
    let answer = init_common::run_hook_in_loop(&root, pre, &tallyho_pre(&root));
    assert_eq!(answer.status.code(), Some(0));
    let line = text(&answer.stdout);
    let v: Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?} {}", text(&answer.stderr)));
    assert_eq!(
        (v["tallyho"].as_str(), v["at"].as_str()),
        (Some("refuse"), Some("pre")),
        "{line}"
    );
    assert!(v["why"].as_str().unwrap().starts_with(DENY_REASON), "{line}");

    // The stop hook renders through the same dialect.
    let event = format!(r#"{{"session_id": "s1", "cwd": "{}"}}"#, root.display());
    let answer = run(
        &root,
        "sh",
        &["-c", &format!("{stop} --plan AUTH --phase AUTH9")],
        &event,
    );
    let v: Value = serde_json::from_slice(&answer.stdout).unwrap();
    assert_eq!(
        (v["tallyho"].as_str(), v["at"].as_str()),
        (Some("refuse"), Some("stop"))
    );
    assert!(v["why"].as_str().unwrap().contains("you claimed AUTH AUTH9"));

    // The stop event is parsed by the dialect too: its transcript's claim is checked.
    let transcript = root.join("transcript.jsonl");
    let claim = r#"{"type": "assistant", "message": {"role": "assistant", "content": [{"type": "text", "text": "Done.\nDOS-CLAIM: AUTH AUTH7"}]}}"#;
    std::fs::write(&transcript, format!("{claim}\n")).unwrap();
    let event = format!(
        r#"{{"kind": "end", "dir": "{}", "chat": "s2", "transcript": "{}"}}"#,
        root.display(),
        transcript.display()
    );
    let answer = init_common::run_hook(&root, stop, &event);
    let v: Value = serde_json::from_slice(&answer.stdout)
        .unwrap_or_else(|e| panic!("{e}: {:?} {}", text(&answer.stdout), text(&answer.stderr)));
    assert!(
        v["why"].as_str().unwrap().contains("you claimed AUTH AUTH7"),
        "{v}"
    );

    // Idempotent, and doctor sees the runtime wired and healthy.
    assert_eq!(
        dos(&root, &["init", "--hooks", "tallyho", "."]).status.code(),
        Some(0)
    );
    assert_eq!(
        std::fs::read_to_string(root.join(".tallyho/hooks.json")).unwrap(),
        body
    );
    let doctor = dos(&root, &["doctor"]);
    let report = text(&doctor.stdout);
    assert!(report.contains("runtime hooks       tallyho (3)"), "{report}");
}

#[test]
fn dos_hook_stays_loader_free_and_points_at_dos_hook_verb() {
    let (_tmp, root) = workspace();
    let native = Path::new(dos_exe()).parent().unwrap().join("dos-hook");
    let out = run(
        &root,
        native.to_str().unwrap(),
        &["pretool", "--workspace", ".", "--dialect", "tallyho"],
        &tallyho_pre(&root),
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "");
    let err = text(&out.stderr);
    assert!(
        err.contains("unknown hook dialect 'tallyho'")
            && err.contains("served by `dos hook VERB --dialect tallyho`"),
        "{err}"
    );
    // The same call through `dos hook` is served by the plugin (in a loop,
    // where 0.30 refuses the kernel edit: issue #15 item 2).
    let out = run_env(
        &root,
        dos_exe(),
        &["hook", "pretool", "--dialect", "tallyho"],
        &tallyho_pre(&root),
        &[("DOS_LOOP", "1")],
    );
    assert!(
        text(&out.stdout).contains(r#""tallyho": "refuse""#),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn hostile_dialect_plugins_leave_the_hook_silent() {
    let (_tmp, root) = workspace();
    for dialect in ["panics", "garbage"] {
        for verb in ["pretool", "posttool"] {
            let out = run(
                &root,
                dos_exe(),
                &["hook", verb, "--dialect", dialect],
                &cc_pre(&root),
            );
            assert_eq!(
                (out.status.code(), text(&out.stdout)),
                (Some(0), String::new()),
                "{dialect} {verb}: {}",
                text(&out.stderr)
            );
        }
        let event = format!(r#"{{"session_id": "s1", "cwd": "{}"}}"#, root.display());
        let out = run(
            &root,
            dos_exe(),
            &[
                "hook",
                "stop",
                "--plan",
                "AUTH",
                "--phase",
                "AUTH9",
                "--dialect",
                dialect,
            ],
            &event,
        );
        assert_eq!(
            (out.status.code(), text(&out.stdout)),
            (Some(0), String::new()),
            "{dialect} stop"
        );
    }
    // A plugin cannot shadow a built-in dialect: cursor stays cursor.
    let out = run(
        &root,
        dos_exe(),
        &["hook", "pretool", "--dialect", "cursor"],
        &cc_pre(&root),
    );
    assert!(
        text(&out.stdout).starts_with(r#"{"agent_message": "DOS PRE-admission"#),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn hostile_installer_plugins_are_reported_and_nothing_is_written() {
    let (_tmp, root) = workspace();
    let before = init_common::files_under(&root, &[".git", ".dos"]);
    let cases = [
        ("panics", "panicked: hook driver exploded on purpose"),
        ("errors", "returned an error: hook driver on fire"),
        ("garbage", "its spec is not a JSON object"),
        ("escape", "its spec is unusable: config_path"),
    ];
    for (name, why) in cases {
        // With a good runtime first: the whole run still writes nothing.
        let out = dos(&root, &["init", "--hooks", "claude-code", "--hooks", name, "."]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!(
                "dos init --hooks {name}: the hook_installs plugin for '{name}' failed: "
            )) && err.contains(why),
            "{name}: {err}"
        );
        assert!(err.trim_end().ends_with("(nothing was written)"), "{err}");
        assert!(
            init_common::files_under(&root, &[".git", ".dos"]) == before,
            "{name}: something was written: {:?}",
            init_common::files_under(&root, &[".git", ".dos"])
                .iter()
                .map(|f| &f.0)
                .collect::<Vec<_>>()
        );
    }
    let out = dos(&root, &["init", "--hooks", "nope", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("known: antigravity, claude-code, claude-cowork, codex, copilot-cli, cursor, errors, escape, garbage, gemini, panics, tallyho"), "{}", text(&out.stderr));
}

#[test]
fn dos_plugins_lists_both_hook_groups() {
    let (_tmp, root) = workspace();
    let out = dos(&root, &["plugins", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names = |group: &str| -> Vec<(String, String)> {
        v["groups"][group]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let source = if r["source"] == "built-in" {
                    "built-in"
                } else {
                    "plugin"
                };
                (r["name"].as_str().unwrap().to_string(), source.to_string())
            })
            .collect()
    };
    let dialects = names("hook_dialects");
    for builtin in [
        "antigravity",
        "claude-code",
        "claude-cowork",
        "codex",
        "copilot-cli",
        "cursor",
        "gemini",
        "hermes",
    ] {
        assert!(
            dialects.contains(&(builtin.into(), "built-in".into())),
            "{dialects:?}"
        );
    }
    assert!(dialects.contains(&("tallyho".into(), "plugin".into())));
    assert!(
        !dialects.contains(&("cursor".into(), "plugin".into())),
        "a built-in is never shadowed"
    );
    let installs = names("hook_installs");
    assert!(
        installs.contains(&("codex".into(), "built-in".into()))
            && installs.contains(&("tallyho".into(), "plugin".into()))
    );
    let conflicts = v["conflicts"].as_array().unwrap();
    assert!(conflicts
        .iter()
        .any(|c| c["group"] == "hook_dialects" && c["name"] == "cursor" && c["winner"] == "built-in"));
}
