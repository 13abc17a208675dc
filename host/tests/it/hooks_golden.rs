//! Every golden transcript of the hooks spec (Appendix A, extracted into
//! `fixtures/hooks/golden.json` by `extract_golden.py`): stdin → stdout,
//! exit code, stderr where shown, and the files written. Where we
//! deliberately differ from the reference (the exec-capability advisory in
//! pretool), the case is overridden here and the reason is stated.
//!
//! Each case runs through every binary that serves it: `dos hook VERB` and
//! the standalone `dos-hook VERB` (posttool, marker, pretool), and, in
//! `golden_through_static_hook`, the `cargo static-hook` build.

use crate::support::hooks_common;

use hooks_common::{mask_ts, to_030, HookBin};
use serde_json::Value;
use std::path::Path;

fn golden() -> Vec<Value> {
    let text = include_str!("../fixtures/hooks/golden.json");
    serde_json::from_str(text).expect("golden.json")
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or("")
}

/// Run one case in `ws` through `bin`; returns a list of mismatches (none
/// when `bin` does not serve the case's command).
fn check_case(bin: &HookBin, ws: &Path, case: &Value, expect_stdout: Option<&str>) -> Vec<String> {
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
    let Some(out) = bin.run(ws, &args, &env, sub(s(case, "stdin")).as_bytes()) else {
        return Vec::new();
    };
    let title = format!("{} [{}]", s(case, "title"), bin.path());
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

fn run_group_sequential(bin: &HookBin, prefix: &str, skip: &dyn Fn(&str) -> bool, setup: &dyn Fn(&Path)) {
    let g = group(prefix);
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let mut bad = Vec::new();
    for case in g["cases"].as_array().unwrap() {
        if skip(s(case, "title")) {
            continue;
        }
        bad.extend(check_case(bin, dir.path(), case, None));
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Every golden group, run through one binary.
const ALL: &[fn(&HookBin)] = &[
    posttool_sequences,
    posttool_pt5_writes_nothing,
    posttool_dialects_third_call,
    posttool_run_id_stamped_on_firing_records,
    marker_budget,
    pretool_passthrough_and_exec_advisory,
    pretool_self_modify,
    exec_capability,
    hook_exit,
];

fn on_built(check: fn(&HookBin)) {
    for bin in HookBin::built() {
        check(&bin);
    }
}

#[test]
fn golden_posttool_sequences() {
    on_built(posttool_sequences);
}

fn posttool_sequences(bin: &HookBin) {
    for g in ["G-PT1", "G-PT2", "G-PT5"] {
        run_group_sequential(bin, g, &|_| false, &|_| {});
    }
}

#[test]
fn golden_posttool_pt5_writes_nothing() {
    on_built(posttool_pt5_writes_nothing);
}

fn posttool_pt5_writes_nothing(bin: &HookBin) {
    let g = group("G-PT5");
    let dir = tempfile::tempdir().unwrap();
    for case in g["cases"].as_array().unwrap() {
        assert!(check_case(bin, dir.path(), case, None).is_empty());
    }
    assert!(!dir.path().join(".dos").exists());
}

#[test]
fn golden_posttool_dialects_third_call() {
    on_built(posttool_dialects_third_call);
}

fn posttool_dialects_third_call(bin: &HookBin) {
    // Each case is the third identical call in a fresh session.
    let g = group("G-PT3");
    let mut bad = Vec::new();
    for case in g["cases"].as_array().unwrap() {
        let dir = tempfile::tempdir().unwrap();
        let stdin = s(case, "stdin").replace("/ws", dir.path().to_str().unwrap());
        for _ in 0..2 {
            bin.run(dir.path(), &["hook", "posttool"], &[], stdin.as_bytes());
        }
        bad.extend(check_case(bin, dir.path(), case, None));
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
    on_built(posttool_run_id_stamped_on_firing_records);
}

fn posttool_run_id_stamped_on_firing_records(bin: &HookBin) {
    let g = group("G-PT4");
    let case = &g["cases"][0];
    let dir = tempfile::tempdir().unwrap();
    let stdin = s(case, "stdin").replace("/ws", dir.path().to_str().unwrap());
    for _ in 0..3 {
        bin.run(
            dir.path(),
            &["hook", "posttool"],
            &[("CID_RUN_ID", "run-xyz")],
            stdin.as_bytes(),
        );
    }
    let bad = check_case(bin, dir.path(), case, None);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn golden_marker_budget() {
    on_built(marker_budget);
}

fn marker_budget(bin: &HookBin) {
    run_group_sequential(bin, "G-MK", &|_| false, &|_| {});
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
    on_built(pretool_passthrough_and_exec_advisory);
}

fn pretool_passthrough_and_exec_advisory(bin: &HookBin) {
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
        bad.extend(check_case(bin, dir.path(), case, want.as_deref()));
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    let written: Vec<_> = std::fs::read_dir(dir.path().join(".dos"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        written,
        ["metrics"],
        "pretool passthrough writes only its observation (0.30)"
    );
}

#[test]
fn golden_pretool_self_modify() {
    on_built(pretool_self_modify);
}

fn pretool_self_modify(bin: &HookBin) {
    // The live-lease cases run in hooks_pretool_leases.rs (they need a fresh
    // lease). The spec's 0.22 transcripts were recorded from an interactive
    // session; 0.30 denies SELF_MODIFY only inside a loop (its operator
    // warning is pinned in hooks030_golden.rs), so they run as a loop here,
    // with 0.30's hook-surface remedies and nudge wording.
    let g = group("G-PRE");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src/dos")).unwrap();
    std::fs::write(dir.path().join("src/dos/arbiter.py"), "x").unwrap();
    let mut bad = Vec::new();
    for case in g["cases"].as_array().unwrap() {
        if !s(case, "title").contains("SELF_MODIFY") {
            continue;
        }
        let mut case = case.clone();
        case["env"]["DOS_LOOP"] = "1".into();
        case["stdout"] = to_030(s(&case, "stdout"), "\\u2014").into();
        for (_, v) in case["files"].as_object_mut().unwrap() {
            *v = to_030(v.as_str().unwrap(), "\u{2014}").into();
        }
        bad.extend(check_case(bin, dir.path(), &case, None));
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn golden_exec_capability() {
    on_built(exec_capability);
}

fn exec_capability(bin: &HookBin) {
    run_group_sequential(bin, "G-XCAP", &|_| false, &|_| {});
}

#[test]
fn golden_hook_exit() {
    on_built(hook_exit);
}

fn hook_exit(bin: &HookBin) {
    run_group_sequential(bin, "G-HEX", &|_| false, &|_| {});
}

#[cfg(all(target_os = "linux", target_pointer_width = "64", target_endian = "little"))]
/// Whether a 64-bit little-endian ELF file asks for a program interpreter
/// (a `PT_INTERP` program header): what a dynamically linked binary has.
fn has_interpreter(elf: &[u8]) -> bool {
    assert_eq!(&elf[..6], b"\x7fELF\x02\x01", "a 64-bit little-endian ELF file");
    let u16_at = |at: usize| u16::from_le_bytes([elf[at], elf[at + 1]]) as usize;
    let phoff = u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap()) as usize;
    let (entry_size, count) = (u16_at(0x36), u16_at(0x38));
    (0..count).any(|i| {
        let at = phoff + i * entry_size;
        u32::from_le_bytes(elf[at..at + 4].try_into().unwrap()) == 3 // PT_INTERP
    })
}

/// The packaging path the README gives for the lowest-latency hooks: `cargo
/// static-hook` must link, produce a binary that needs no dynamic loader,
/// and answer every golden case byte for byte like `dos hook`.
#[test]
#[cfg(all(target_os = "linux", target_pointer_width = "64", target_endian = "little"))]
fn golden_through_static_hook() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = crate::support::plugin_support::cargo()
        .args(["--quiet", "static-hook"])
        .current_dir(root)
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo static-hook failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = root.join("target/static-hook/release/dos-hook");
    let elf = std::fs::read(&bin).expect("static dos-hook");
    let dynamic = std::fs::read(hooks_common::dos_hook_bin()).expect("dos-hook");
    assert!(
        has_interpreter(&dynamic),
        "the check tells a dynamic binary apart"
    );
    assert!(
        !has_interpreter(&elf),
        "{} has a PT_INTERP header: it is not statically linked",
        bin.display()
    );
    let bin = HookBin::Standalone(bin.display().to_string());
    for check in ALL {
        check(&bin);
    }
}
