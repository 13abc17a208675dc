//! `dos quickstart`, the README's demo: every act must show its outcome
//! through the real binary, the real hooks and real plugin files (file
//! exporter, webhook notifier, decision-class stop policy) and the
//! standalone `dos-hook` beside `dos`, in a throwaway workspace.

use crate::support::plugin_support as support;

use std::process::Command;

#[test]
fn quickstart_runs_every_act_through_real_plugins() {
    let plugins: Vec<String> = ["dos-export-file", "dos-notify-webhook", "dos-stop-decision-class"]
        .iter()
        .map(|p| support::build_workspace_plugin(p).display().to_string())
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let keep = dir.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_dos"))
        .args(["quickstart", "--keep"])
        .arg(&keep)
        .current_dir(dir.path())
        .env("DOS_PLUGIN_PATH", plugins.join(":"))
        .env_remove("DISPATCH_WORKSPACE")
        .env_remove("DISPATCH_OBSERVE")
        .output()
        .expect("dos runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    for expected in [
        "  SHIPPED AUTH AUTH1 ",
        "  NOT_SHIPPED AUTH AUTH2 (via none)",
        r#"{"decision": "block", "reason": "DOS verify: you claimed AUTH AUTH2 (via none) shipped"#,
        r#""cause_key": "stop_on_liveness","#,
        "→ sent via webhook: posted HTTP 200",
        "listener received: POST /dos-hook HTTP/1.1",
        "$ dos init --hooks claude-code .",
        "wired 3 DOS hook(s) into ",
        ".claude/settings.json  Stop         dos hook stop --workspace .",
        "/dos-hook pretool --workspace .",
        "call 3: REPEATING",
        "call 5: STALLED",
        "$ … | dos-hook posttool\n    call 6: STALLED",
        "DOS exec-capability (advisory)",
        "hook_posttool       6  ADVANCING=2 REPEATING=2 STALLED=2",
        "→ shipped 10/10 via file: appended 10 event(s) to",
        "cursor: 10  (persisted)",
        "# export · 0 event(s) pending (since seq 10) · transport=file",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?} in:\n{stdout}");
    }
    let exported = std::fs::read_to_string(keep.join("verdicts.jsonl")).expect("export written");
    assert_eq!(exported.lines().count(), 10);
    let journal = std::fs::read_to_string(keep.join(".dos/verdict-journal.jsonl")).expect("journal");
    assert_eq!(
        exported, journal,
        "the file exporter writes the journal's own lines"
    );
}

/// Without the plugins beside it (a lone copy of the binary), the demo says
/// which acts failed and exits 1 — it does not wait on a listener that no
/// notifier will ever reach — and leaves no temporary workspace behind.
#[test]
fn quickstart_without_plugins_fails_fast_and_cleans_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lone = dir.path().join("dos");
    crate::support::copy_executable(std::path::Path::new(env!("CARGO_BIN_EXE_dos")), &lone);
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).expect("tmp");
    let out = Command::new(&lone)
        .arg("quickstart")
        .current_dir(dir.path())
        .env("TMPDIR", &tmp)
        .env_remove("DOS_PLUGIN_PATH")
        .env_remove("DISPATCH_WORKSPACE")
        .env_remove("DISPATCH_OBSERVE")
        .output()
        .expect("dos runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("listener received nothing"), "{stdout}");
    assert!(
        stderr.contains("some acts did not show their outcome"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_dir(&tmp).expect("tmp").count(),
        0,
        "temp workspace left behind"
    );
}
