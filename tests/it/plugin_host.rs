//! The plugin host against real cdylibs built by cargo: the hostile matrix
//! (every way a plugin can misbehave in-process), the versioning rule (a
//! plugin built against the frozen 1.0.0 interface still loads), layout
//! mismatches, non-plugins, conflicts, and the third-party example.

use crate::support::plugin_support as support;

use dos_core::workspace::Workspace;
use dos_plugin_api::{Claim, Notification, Severity, Stance, StopStance};
use dos_plugin_host::{PluginHost, ResolveError};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use support::*;

fn host_for(paths: &[&Path], extra: &str) -> (tempfile::TempDir, PluginHost) {
    let dir = workspace(&plugin_paths_toml(
        paths,
        &format!("default_dir = false\n{extra}"),
    ));
    let ws = Workspace::open(dir.path().to_path_buf()).expect("workspace opens");
    let host = PluginHost::for_workspace(&ws, false).expect("host builds");
    (dir, host)
}

#[test]
fn exporter_misbehaviour_degrades_to_nothing_exported() {
    let lib = hostile();
    let (_dir, host) = host_for(
        &[&lib],
        "call_timeout_ms = 300\n[exporters.sleepy]\nsleep_ms = 3000\n",
    );
    let b = batch(&[1, 2, 3]);
    let table = [
        (
            "panic-ctor",
            "could not be constructed: it panicked: constructor exploded",
        ),
        (
            "error-ctor",
            "could not be constructed: it returned an error: no config",
        ),
        ("panic-call", "panicked: export exploded on purpose"),
        ("error-call", "returned an error: transport on fire"),
        (
            "sleepy",
            "timed out after 300 ms (the stuck call's thread was abandoned)",
        ),
        ("overcount", "returned an invalid result: exported 8 > batch of 3"),
        (
            "bad-cursor",
            "returned an invalid result: cursor \"999999\" is not a seq from the batch",
        ),
    ];
    for (name, expected) in table {
        let mut handle = host.exporter(name, &no_bag()).expect("resolves");
        let mut r = handle.export(&b);
        r.detail = without_location(&r.detail);
        assert_eq!(r.exported, 0, "{name}: {r:?}");
        assert_eq!(
            r.cursor, "",
            "{name}: the wrapper never hands back a cursor on failure"
        );
        assert!(
            r.detail
                .starts_with(&format!("error: exporter '{name}' ({})", lib.display())),
            "{name}: {}",
            r.detail
        );
        assert!(r.detail.ends_with(expected), "{name}: {}", r.detail);
    }
    // The honest driver in the same file still works after all of that.
    let mut honest = host.exporter("honest", &no_bag()).expect("resolves");
    let r = honest.export(&b);
    assert_eq!((r.exported, r.cursor.as_str()), (3, "3"), "{r:?}");
}

#[test]
fn a_timed_out_driver_is_abandoned_not_called_again() {
    let lib = hostile();
    let (_dir, host) = host_for(
        &[&lib],
        "call_timeout_ms = 100\n[exporters.sleepy]\nsleep_ms = 1500\n",
    );
    let mut h = host.exporter("sleepy", &no_bag()).expect("resolves");
    let first = h.export(&batch(&[1]));
    assert!(
        first.detail.contains("timed out after 100 ms"),
        "{}",
        first.detail
    );
    let start = std::time::Instant::now();
    let second = h.export(&batch(&[2]));
    assert!(
        second
            .detail
            .contains("is unavailable: an earlier call timed out after 100 ms"),
        "{}",
        second.detail
    );
    assert!(
        start.elapsed() < std::time::Duration::from_millis(100),
        "no second wait"
    );
}

#[test]
fn stop_policy_failures_defer_with_the_reference_texts() {
    let lib = hostile();
    let (_dir, host) = host_for(&[&lib], "call_timeout_ms = 500\n");
    let src = lib.display().to_string();
    let tail =
        "deferring (a halt-gate that cannot answer never halts; it falls through to the kernel default).";
    let cases = [
        (
            json!({"mode": "panic"}),
            format!("stop policy 'boom' raised (panic: policy exploded; {src}) — {tail}"),
        ),
        (
            json!({"mode": "error"}),
            format!("stop policy 'boom' raised (error: torn; {src}) — {tail}"),
        ),
    ];
    for (state, expected) in cases {
        let mut p = host.stop_policy("boom", &no_bag()).expect("resolves");
        let v = p.decide(&state);
        assert_eq!(v.stance, StopStance::Defer);
        assert_eq!(without_location(&v.reason), expected);
        assert_eq!(v.cause_key, "stop_policy");
    }
    let mut p = host.stop_policy("boom", &no_bag()).expect("resolves");
    let v = p.decide(&json!({"mode": "sleep"}));
    assert_eq!(v.stance, StopStance::Defer);
    assert!(v.reason.contains("timed out after 500 ms"), "{}", v.reason);
    let mut p = host.stop_policy("boom", &no_bag()).expect("resolves");
    let v = p.decide(&json!({"mode": "ok"}));
    assert_eq!(
        (v.stance, v.cause_key.as_str()),
        (StopStance::Stop, "stop_on_test")
    );
}

#[test]
fn judge_failures_abstain_never_agree() {
    let lib = hostile();
    let (_dir, host) = host_for(&[&lib], "");
    let claim = |t: &str| Claim {
        claim_text: t.into(),
        ..Claim::default()
    };
    for text in ["nan", "error", "panic"] {
        let mut j = host.judge("boom", &no_bag()).expect("resolves");
        let v = j.rule(&claim(text));
        assert_eq!(v.stance, Stance::Abstain, "{text}: {v:?}");
        assert!(v.why.starts_with("judge 'boom' "), "{}", v.why);
    }
    let mut j = host.judge("boom", &no_bag()).expect("resolves");
    assert!(j
        .rule(&claim("nan"))
        .why
        .contains("not a JudgeVerdict — abstaining"));
    assert_eq!(j.rule(&claim("agree")).stance, Stance::Agree);
}

#[test]
fn notifier_failures_are_not_delivered() {
    let lib = hostile();
    let (_dir, host) = host_for(&[&lib], "");
    let mut n = host.notifier("boom", &no_bag()).expect("resolves");
    for (title, expected) in [
        ("panic", "panicked: notifier exploded"),
        ("x", "returned an error: smtp is down"),
    ] {
        let note = Notification {
            action: None,
            severity: Severity::Warn,
            title: title.into(),
            summary: String::new(),
            fields: vec![],
            key: String::new(),
            source: String::new(),
        };
        let r = n.send(&note);
        assert!(!r.delivered);
        assert!(without_location(&r.detail).ends_with(expected), "{}", r.detail);
    }
}

#[test]
fn builtins_are_never_shadowed_and_unknown_names_fail_loudly() {
    let lib = hostile();
    let (_dir, host) = host_for(&[&lib], "");
    let mut null = host.exporter("null", &no_bag()).expect("resolves");
    assert_eq!(null.info.source.label(), "built-in");
    assert!(null.export(&batch(&[4])).detail.starts_with("null sink"));
    let conflict = host
        .inventory()
        .conflicts
        .iter()
        .find(|c| c.name == "null")
        .expect("conflict recorded");
    assert_eq!(conflict.winner, "built-in");
    let err = host.exporter("nosuch", &no_bag()).err().expect("unknown");
    assert_eq!(
        err.to_string(),
        "unknown exporter 'nosuch'; known: bad-cursor, error-call, error-ctor, honest, null, overcount, \
         panic-call, panic-ctor, sleepy"
    );
    let err = host.judge("NULL", &no_bag()).err().expect("case-sensitive");
    assert_eq!(err.to_string(), "unknown judge 'NULL'; known: abstain, boom");
}

#[test]
fn broken_files_are_skipped_and_explained() {
    let dir = tempfile::tempdir().expect("temp");
    let empty = dir.path().join(dylib_name("dos_export_ghost"));
    std::fs::write(&empty, b"").expect("write");
    let not_plugin = build_fixture("tests/fixtures/not-a-plugin", "not_a_plugin");
    let mismatch = build_fixture("tests/fixtures/abi/mismatch-exporter", "dos_mismatch_exporter");
    let missing = dir.path().join("nope.so");
    let (_ws, host) = host_for(&[&empty, &not_plugin, &mismatch, &missing], "");
    let inv = host.inventory();
    assert!(inv.plugins.is_empty());
    let reason = |p: &Path| {
        inv.failures
            .iter()
            .find(|f| f.path == p)
            .map(|f| f.reason.clone())
            .expect("failure")
    };
    assert_eq!(reason(&empty), "empty file, not a shared library");
    assert!(
        reason(&not_plugin).starts_with("not a dos plugin"),
        "{}",
        reason(&not_plugin)
    );
    let m = reason(&mismatch);
    assert!(
        m.starts_with("built against another plugin interface (layout mismatch)"),
        "{m}"
    );
    assert!(
        m.lines().count() == 1 && m.len() < 420,
        "condensed to one short line: {m}"
    );
    assert_eq!(reason(&missing), "no such file");
    // Naming a driver only the broken file would provide says exactly that.
    match host.exporter("ghost", &no_bag()) {
        Err(ResolveError::Broken { path, reason, .. }) => {
            assert_eq!(path, empty.display().to_string());
            assert_eq!(reason, "empty file, not a shared library");
        }
        other => panic!("expected a broken-provider error, got {:?}", other.err()),
    }
}

#[test]
fn a_plugin_built_against_the_frozen_1_0_interface_still_loads() {
    let legacy = build_fixture("tests/fixtures/abi/legacy-exporter", "dos_legacy_exporter");
    let (_dir, host) = host_for(&[&legacy], "");
    let mut h = host
        .exporter("legacy", &no_bag())
        .expect("legacy plugin resolves");
    match &h.info.source {
        dos_plugin_host::handles::DriverSource::Plugin { api_version, .. } => {
            assert_eq!(api_version, "1.0.0")
        }
        other => panic!("unexpected source {other:?}"),
    }
    assert_ne!(
        dos_plugin_api::API_VERSION,
        "1.0.0",
        "the host must be newer than the frozen plugin"
    );
    let r = h.export(&batch(&[5, 6]));
    assert_eq!((r.exported, r.cursor.as_str()), (2, "6"), "{r:?}");
}

#[test]
fn the_third_party_example_builds_outside_the_workspace_and_loads() {
    let hello = build_fixture("examples/hello-exporter", "hello_exporter");
    let (dir, host) = host_for(&[&hello], "[exporters.hello]\ngreeting = \"hi\"\n");
    let mut h = host.exporter("hello", &no_bag()).expect("resolves");
    let r = h.export(&batch(&[7, 8]));
    assert_eq!(r.exported, 2, "{r:?}");
    let text = std::fs::read_to_string(dir.path().join("hello.txt")).expect("greetings written");
    assert_eq!(text, "hi #7 OK\nhi #8 OK\n");
}

fn dos(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = Command::new(crate::support::dos_exe())
        .args(args)
        .current_dir(cwd)
        .env_remove("DOS_PLUGIN_PATH")
        .env_remove("DISPATCH_WORKSPACE")
        .output()
        .expect("dos runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn dos_plugins_lists_sources_conflicts_and_failures() {
    let lib = hostile();
    let dir = tempfile::tempdir().expect("temp");
    let empty = dir.path().join("libbroken.so");
    std::fs::write(&empty, b"").expect("write");
    let ws = workspace(&plugin_paths_toml(&[&lib, &empty], "default_dir = false\n"));
    let (code, out, _) = dos(&["plugins", "--json"], ws.path());
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).expect("json");
    let exporters = v["groups"]["exporters"].as_array().expect("exporters");
    let null = exporters
        .iter()
        .find(|e| e["name"] == "null")
        .expect("null listed");
    assert_eq!(null["source"], "built-in");
    let honest = exporters
        .iter()
        .find(|e| e["name"] == "honest")
        .expect("honest listed");
    assert_eq!(honest["source"], lib.display().to_string());
    assert_eq!(honest["plugin"], "dos-hostile-fixture");
    assert_eq!(v["conflicts"][0]["name"], "null");
    assert_eq!(v["failures"][0]["reason"], "empty file, not a shared library");
    let (code, text, _) = dos(&["plugins"], ws.path());
    assert_eq!(code, 0);
    assert!(
        text.contains("# plugins · 1 file(s) loaded · 1 failed · 1 conflict(s)"),
        "{text}"
    );
    assert!(
        text.contains("judges\n  abstain              built-in\n  boom "),
        "{text}"
    );
}

#[test]
fn dos_plugins_check_reports_or_explains() {
    let lib = hostile();
    let cwd = tempfile::tempdir().expect("temp");
    let (code, out, _) = dos(&["plugins", "check", &lib.display().to_string()], cwd.path());
    assert_eq!(code, 0);
    assert!(out.contains("plugin    dos-hostile-fixture 0.1.0"), "{out}");
    assert!(out.contains("provides  stop_policies/boom"), "{out}");
    let mismatch = build_fixture("tests/fixtures/abi/mismatch-exporter", "dos_mismatch_exporter");
    let (code, _, err) = dos(&["plugins", "check", &mismatch.display().to_string()], cwd.path());
    assert_eq!(code, 1);
    assert!(err.contains("layout mismatch"), "{err}");
    let (code, out, _) = dos(
        &["plugins", "check", "--json", "/definitely/missing.so"],
        cwd.path(),
    );
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["ok"], false);
    assert!(
        v["error"].as_str().unwrap_or("").starts_with("cannot read file"),
        "{v}"
    );
}

#[test]
fn nonsense_answers_from_a_raw_plugin_are_contract_violations() {
    let lib = build_fixture("tests/fixtures/raw-garbage", "dos_raw_garbage_fixture");
    let (_dir, host) = host_for(&[&lib], "");
    let src = lib.display().to_string();
    let r = host
        .exporter("garbage", &no_bag())
        .expect("resolves")
        .export(&batch(&[1]));
    assert_eq!(r.exported, 0);
    assert!(
        r.detail
            .contains("returned an invalid result: not a ExportResult"),
        "{}",
        r.detail
    );
    let n = host
        .notifier("garbage", &no_bag())
        .expect("resolves")
        .send(&Notification {
            action: None,
            severity: Severity::Info,
            title: "t".into(),
            summary: String::new(),
            fields: vec![],
            key: String::new(),
            source: String::new(),
        });
    assert!(
        !n.delivered && n.detail.contains("not a NotifyResult"),
        "{}",
        n.detail
    );
    let v = host
        .stop_policy("garbage", &no_bag())
        .expect("resolves")
        .decide(&json!({}));
    assert_eq!(v.stance, StopStance::Defer);
    assert!(
        v.reason.starts_with(
            "stop policy 'garbage' returned a malformed result (not a StopVerdict: unknown variant `HALT`"
        ),
        "{}",
        v.reason
    );
    assert!(v.reason.contains(&src));
    assert!(v.reason.ends_with("not a StopVerdict — deferring (a policy that does not return the verdict type cannot be trusted to halt the loop)."), "{}", v.reason);
    let j = host
        .judge("garbage", &no_bag())
        .expect("resolves")
        .rule(&Claim::default());
    assert_eq!(j.stance, Stance::Abstain, "a garbage AGREE never clears: {j:?}");
    let g = host
        .generic(dos_plugin_api::Group::EvidenceSources, "garbage", &no_bag())
        .expect("resolves")
        .call("gather", &json!({}));
    assert!(g.err().is_some_and(|e| e.contains("not a JSON value")));
    // A group this host does not know is ignored, not an error.
    assert!(host.inventory().failures.is_empty());
}

#[test]
fn an_evidence_source_cannot_claim_more_trust_than_it_declares() {
    let lib = hostile();
    let ws = workspace(&plugin_paths_toml(&[&lib], "default_dir = false\n"));
    let (code, out, err) = dos(
        &[
            "witness",
            "gather",
            "deploy",
            "--source",
            "overclaiming",
            "--json",
        ],
        ws.path(),
    );
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("json ({e}): {out}\n{err}"));
    let facts = &v["facts"];
    assert_eq!(
        facts["accountability"], "OS_RECORDED",
        "clamped to the declared rung: {v}"
    );
    assert_eq!(
        facts["source_name"], "overclaiming",
        "it cannot speak for another source: {v}"
    );
    assert_eq!(facts["stance"], "ATTESTED", "{v}");
    assert!(
        facts["detail"]
            .as_str()
            .is_some_and(|d| d.contains("rung clamped")),
        "{v}"
    );
    assert_eq!(code, 0, "an OS_RECORDED attestation is believed");
    assert_eq!(v["belief"]["believe"], true, "{v}");
}
