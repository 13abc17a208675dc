//! `dos init --hooks RUNTIME` end to end, for every built-in runtime: the
//! written config parses in the runtime's format, its commands run (through
//! `sh -c`, as the runtime would) and answer an event of that runtime's
//! shape; the user's config is merged, never clobbered; reruns are
//! byte-identical; diverged entries are kept unless `--force`; a malformed
//! config is an error that writes nothing; `--dry-run` writes nothing.

use crate::support::init_common;

use crate::support::dos_exe;
use init_common::{bin_dir, dos, run_hook, run_hook_in_loop, text};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One runtime under test.
struct Runtime {
    name: &'static str,
    config: &'static str,
    toml: bool,
    /// The PRE event name the config must wire.
    pre_event: &'static str,
    /// The stop event name.
    stop_event: &'static str,
    /// The runtime's PRE event for a write to the kernel file at `{F}` in `{W}`.
    pre_json: &'static str,
    /// A substring of the runtime's deny answer.
    deny: &'static str,
}

const CC_PRE: &str = r#"{"session_id": "s1", "hook_event_name": "PreToolUse", "tool_name": "Write", "tool_input": {"file_path": "{F}", "content": "x"}, "cwd": "{W}"}"#;
const CC_DENY: &str = r#""permissionDecision": "deny""#;

const RUNTIMES: [Runtime; 7] = [
    Runtime {
        name: "claude-code",
        config: ".claude/settings.json",
        toml: false,
        pre_event: "PreToolUse",
        stop_event: "Stop",
        pre_json: CC_PRE,
        deny: CC_DENY,
    },
    Runtime {
        name: "claude-cowork",
        config: ".claude/settings.json",
        toml: false,
        pre_event: "PreToolUse",
        stop_event: "Stop",
        pre_json: CC_PRE,
        deny: CC_DENY,
    },
    Runtime {
        name: "codex",
        config: ".codex/config.toml",
        toml: true,
        pre_event: "PreToolUse",
        stop_event: "Stop",
        pre_json: CC_PRE,
        deny: CC_DENY,
    },
    Runtime {
        name: "antigravity",
        config: ".agents/hooks.json",
        toml: false,
        pre_event: "PreToolUse",
        stop_event: "Stop",
        pre_json: CC_PRE,
        deny: r#"{"decision": "deny", "reason": "DOS PRE-admission"#,
    },
    Runtime {
        name: "gemini",
        config: ".gemini/settings.json",
        toml: false,
        pre_event: "BeforeTool",
        stop_event: "AfterAgent",
        pre_json: r#"{"session_id": "g1", "hook_event_name": "BeforeTool", "tool_name": "write_file", "tool_input": {"file_path": "{F}", "content": "x"}, "cwd": "{W}"}"#,
        deny: r#""continue": false"#,
    },
    Runtime {
        name: "cursor",
        config: ".cursor/hooks.json",
        toml: false,
        pre_event: "beforeShellExecution",
        stop_event: "stop",
        pre_json: r#"{"conversation_id": "c1", "hook_event_name": "beforeShellExecution", "command": "sed -i s/a/b/ src/dos/arbiter.py", "cwd": "{W}", "workspace_roots": ["{W}"]}"#,
        deny: r#""permission": "deny""#,
    },
    Runtime {
        name: "copilot-cli",
        config: ".github/hooks/dos.json",
        toml: false,
        pre_event: "preToolUse",
        stop_event: "agentStop",
        pre_json: r#"{"timestamp": 1, "cwd": "{W}", "toolName": "edit", "toolArgs": "{\"path\": \"{F}\"}"}"#,
        deny: r#"{"permissionDecision": "deny", "permissionDecisionReason": "DOS PRE-admission"#,
    },
];

/// A workspace holding the kernel file the PRE hook refuses to let an agent edit.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(tmp.path()).unwrap();
    std::fs::create_dir_all(root.join("src/dos")).unwrap();
    std::fs::write(root.join("src/dos/arbiter.py"), "").unwrap();
    (tmp, root)
}

fn parse(rt: &Runtime, body: &str) -> Value {
    if rt.toml {
        let t: toml::Table = body
            .parse()
            .unwrap_or_else(|e| panic!("{}: invalid TOML: {e}\n{body}", rt.name));
        serde_json::to_value(t).unwrap()
    } else {
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{}: invalid JSON: {e}\n{body}", rt.name))
    }
}

/// The commands wired on one event.
fn event_commands(rt: &Runtime, doc: &Value, event: &str) -> Vec<String> {
    let mut out = Vec::new();
    dos_core::hooks::install::commands_under(&doc["hooks"][event], &mut out);
    assert!(!out.is_empty(), "{}: nothing wired on {event}: {doc}", rt.name);
    out
}

fn pre_event(rt: &Runtime, root: &Path) -> String {
    let kernel = root.join("src/dos/arbiter.py");
    rt.pre_json
        .replace("{F}", &kernel.display().to_string())
        .replace("{W}", &root.display().to_string())
}

fn read(root: &Path, rt: &Runtime) -> String {
    std::fs::read_to_string(root.join(rt.config)).unwrap()
}

#[test]
fn fresh_workspace_every_runtime_wires_commands_that_answer_its_events() {
    let native = bin_dir().join("dos-hook");
    for rt in &RUNTIMES {
        let (_tmp, root) = workspace();
        let out = dos(&root, &["init", "--hooks", rt.name, "."]);
        assert_eq!(out.status.code(), Some(0), "{}: {}", rt.name, text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains(&format!("into {}", root.join(rt.config).display())),
            "{stdout}"
        );
        assert!(
            stdout.contains("per-call hooks run ") && stdout.contains("the stop hook runs `dos hook stop`"),
            "{stdout}"
        );
        assert!(root.join("dos.toml").is_file());
        let doc = parse(rt, &read(&root, rt));

        let pre = event_commands(rt, &doc, rt.pre_event);
        assert!(
            pre[0].starts_with(&format!("{} pretool --workspace .", native.display())),
            "{pre:?}"
        );
        // dos-kernel 0.30 (issue #15 item 2): an operator's session is warned
        // about the kernel edit, a dispatch loop is denied it.
        let answer = run_hook(&root, &pre[0], &pre_event(rt, &root));
        assert_eq!(answer.status.code(), Some(0), "{}", rt.name);
        let said = text(&answer.stdout);
        assert!(
            said.contains("(advisory, operator session)") && !said.contains(rt.deny),
            "{}: pretool answered {said:?} (stderr {})",
            rt.name,
            text(&answer.stderr)
        );
        let answer = run_hook_in_loop(&root, &pre[0], &pre_event(rt, &root));
        assert_eq!(answer.status.code(), Some(0), "{}", rt.name);
        let said = text(&answer.stdout);
        assert!(
            said.contains(rt.deny),
            "{}: pretool in a loop answered {said:?} (stderr {})",
            rt.name,
            text(&answer.stderr)
        );

        let stop = event_commands(rt, &doc, rt.stop_event);
        assert!(stop[0].starts_with("dos hook stop --workspace ."), "{stop:?}");
        let stop_event = format!(
            r#"{{"session_id": "s1", "hook_event_name": "Stop", "cwd": "{}"}}"#,
            root.display()
        );
        let answer = run_hook(&root, &stop[0], &stop_event);
        assert_eq!(
            (answer.status.code(), text(&answer.stdout)),
            (Some(0), String::new()),
            "{}: {}",
            rt.name,
            text(&answer.stderr)
        );

        let mut all = Vec::new();
        dos_core::hooks::install::commands_under(&doc, &mut all);
        let post = all.iter().find(|c| c.contains(" posttool ")).unwrap();
        let answer = run_hook(&root, post, &pre_event(rt, &root));
        assert_eq!(answer.status.code(), Some(0), "{}: {post}", rt.name);
    }
}

/// Write `body` as `rt`'s config in `root`; its path.
fn write_config(root: &Path, rt: &Runtime, body: &str) -> PathBuf {
    let path = root.join(rt.config);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, body).unwrap();
    path
}

/// A user config with keys and a hook of their own on the PRE event.
fn user_config(rt: &Runtime) -> String {
    if rt.toml {
        "model = \"o3\"   # keep this comment\n\n[[hooks.PreToolUse]]\n[[hooks.PreToolUse.hooks]]\ntype = \"command\"\ncommand = \"./my-guard.sh\"\n".into()
    } else {
        format!(
            "{{\n    \"zeta\": true,\n    \"hooks\": {{\n        \"{}\": [\n            {{\"command\": \"./my-guard.sh\"}}\n        ]\n    }},\n    \"alpha\": {{\"b\": 1, \"a\": 2}}\n}}\n",
            rt.pre_event
        )
    }
}

#[test]
fn existing_config_keeps_the_users_hooks_and_a_second_run_is_byte_identical() {
    for rt in &RUNTIMES {
        let (_tmp, root) = workspace();
        let user = user_config(rt);
        write_config(&root, rt, &user);
        let out = dos(&root, &["init", "--hooks", rt.name, "."]);
        assert_eq!(out.status.code(), Some(0), "{}: {}", rt.name, text(&out.stderr));
        let first = read(&root, rt);
        let doc = parse(rt, &first);
        let pre = event_commands(rt, &doc, rt.pre_event);
        assert_eq!(
            pre[0], "./my-guard.sh",
            "{}: the user's hook stays first",
            rt.name
        );
        assert_eq!(pre.len(), 2, "{pre:?}");
        if rt.toml {
            assert!(
                first.starts_with(&user),
                "{}: bytes outside the block changed:\n{first}",
                rt.name
            );
            assert_eq!(doc["model"], "o3");
        } else {
            let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
            assert_eq!(&keys[..3], ["zeta", "hooks", "alpha"], "{}", rt.name);
            let inner: Vec<&String> = doc["alpha"].as_object().unwrap().keys().collect();
            assert_eq!(inner, ["b", "a"]);
        }
        let again = dos(&root, &["init", "--hooks", rt.name, "."]);
        assert_eq!(again.status.code(), Some(0));
        assert_eq!(read(&root, rt), first, "{}: second run changed the file", rt.name);
        assert!(
            text(&again.stdout).contains("already wired"),
            "{}",
            text(&again.stdout)
        );
    }
}

#[test]
fn a_diverged_dos_entry_is_kept_without_force_and_repaired_with_it() {
    for rt in &RUNTIMES {
        let (_tmp, root) = workspace();
        assert_eq!(
            dos(&root, &["init", "--hooks", rt.name, "."]).status.code(),
            Some(0)
        );
        let canonical = read(&root, rt);
        let tampered = canonical.replacen("pretool --workspace .", "pretool --workspace /elsewhere", 1);
        assert_ne!(tampered, canonical);
        std::fs::write(root.join(rt.config), &tampered).unwrap();

        let out = dos(&root, &["init", "--hooks", rt.name, "."]);
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(
            read(&root, rt),
            tampered,
            "{}: diverged entry was overwritten",
            rt.name
        );
        assert!(
            text(&out.stdout).contains("diverged DOS hook(s) untouched"),
            "{}",
            text(&out.stdout)
        );

        let out = dos(&root, &["init", "--force", "--hooks", rt.name, "."]);
        assert_eq!(out.status.code(), Some(0));
        assert!(text(&out.stdout).contains("repaired"), "{}", text(&out.stdout));
        let repaired = read(&root, rt);
        assert!(!repaired.contains("/elsewhere"), "{}: {repaired}", rt.name);
        let doc = parse(rt, &repaired);
        assert_eq!(
            event_commands(rt, &doc, rt.pre_event).len(),
            1,
            "{}: {repaired}",
            rt.name
        );
    }
}

#[test]
fn a_malformed_config_is_an_error_naming_file_and_line_and_nothing_is_written() {
    for rt in &RUNTIMES {
        let (_tmp, root) = workspace();
        let bad = if rt.toml {
            "model = \"x\"\n[hooks\n"
        } else {
            "{\n  \"hooks\": {\n    oops\n  }\n}\n"
        };
        let path = write_config(&root, rt, bad);
        let out = dos(&root, &["init", "--hooks", rt.name, "."]);
        assert_eq!(out.status.code(), Some(1), "{}", rt.name);
        let err = text(&out.stderr);
        let line = if rt.toml { "line 2" } else { "line 3" };
        assert!(
            err.contains(&path.display().to_string()) && err.contains(line),
            "{}: {err}",
            rt.name
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), bad);
        assert!(
            !root.join("dos.toml").exists(),
            "{}: dos.toml written despite the error",
            rt.name
        );
    }
}

#[test]
fn dry_run_prints_the_config_and_writes_nothing() {
    for rt in &RUNTIMES {
        let (_tmp, root) = workspace();
        let before = init_common::files_under(&root, &[]);
        let out = dos(&root, &["init", "--dry-run", "--hooks", rt.name, "."]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains("would wire") && stdout.contains("----- proposed"),
            "{stdout}"
        );
        assert!(stdout.contains("pretool --workspace ."), "{stdout}");
        assert_eq!(
            init_common::files_under(&root, &[]),
            before,
            "{}: --dry-run wrote something",
            rt.name
        );
    }
    let (_tmp, root) = workspace();
    let out = dos(&root, &["init", "--dry-run", "."]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("pass --hooks RUNTIME"));
}

#[test]
fn without_a_dos_hook_binary_the_hooks_call_dos_hook_verb() {
    let (_tmp, root) = workspace();
    let lone = tempfile::tempdir().unwrap();
    let exe = lone.path().join("dos");
    crate::support::copy_executable(std::path::Path::new(dos_exe()), &exe);
    let out = Command::new(&exe)
        .args(["init", "--hooks", "claude-code", "."])
        .current_dir(&root)
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("per-call hooks run `dos hook VERB`"),
        "{}",
        text(&out.stdout)
    );
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join(".claude/settings.json")).unwrap()).unwrap();
    assert_eq!(
        doc["hooks"]["PreToolUse"][0]["hooks"][0]["command"],
        "dos hook pretool --workspace ."
    );
    // In a dispatch loop, where 0.30 denies a kernel edit (issue #15 item 2).
    let answer = run_hook_in_loop(
        &root,
        "dos hook pretool --workspace .",
        &pre_event(&RUNTIMES[0], &root),
    );
    assert!(text(&answer.stdout).contains(CC_DENY), "{}", text(&answer.stdout));
}

#[test]
fn an_existing_dos_toml_is_kept_and_a_loop_gets_the_marker_hook() {
    let (_tmp, root) = workspace();
    let mine = "# mine\n[marker]\nmax_streak = 2\n";
    std::fs::write(root.join("dos.toml"), mine).unwrap();
    let out = dos(
        &root,
        &["init", "--hooks", "claude-code", "--hooks", "cursor", "."],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(root.join("dos.toml")).unwrap(), mine);
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join(".claude/settings.json")).unwrap()).unwrap();
    let mut stop = Vec::new();
    dos_core::hooks::install::commands_under(&doc["hooks"]["Stop"], &mut stop);
    assert_eq!(stop.len(), 2, "{stop:?}");
    assert!(stop[1].ends_with("dos-hook marker --workspace ."), "{stop:?}");
    let cursor: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join(".cursor/hooks.json")).unwrap()).unwrap();
    assert_eq!(
        cursor["hooks"]["stop"].as_array().unwrap().len(),
        1,
        "no marker outside Claude Code's envelope"
    );
    // Without --hooks an existing dos.toml is still an error.
    let out = dos(&root, &["init", "."]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("already exists"));
}

#[test]
fn a_config_symlinked_out_of_the_workspace_is_refused() {
    let (_tmp, root) = workspace();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join(".claude")).unwrap();
    let out = dos(&root, &["init", "--hooks", "claude-code", "."]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("leads outside the workspace"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    assert!(!root.join("dos.toml").exists());
}

#[test]
fn an_unknown_runtime_is_a_usage_error() {
    let (_tmp, root) = workspace();
    let out = dos(&root, &["init", "--hooks", "vscode", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unknown runtime 'vscode' for --hooks — known: antigravity, claude-code")
    );
    assert!(!root.join("dos.toml").exists());
}
