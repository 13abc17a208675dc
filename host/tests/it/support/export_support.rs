//! Shared helpers for the `export_*` integration tests: run the real `dos`
//! binary in a temp workspace, with the real exporter plugins built next to it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// The spec's 13-line golden journal (§11.1), written by the reference.
pub(crate) const JOURNAL13: &str = include_str!("../../fixtures/journal13.jsonl");

/// The `dos` binary under test.
pub(crate) fn dos_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dos"))
}

/// A `dos` command in `ws`, with every variable that could redirect it removed.
pub(crate) fn dos(ws: &Path) -> Command {
    let mut c = Command::new(dos_bin());
    c.current_dir(ws);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().to_string();
        if k.starts_with("DISPATCH_") || k.starts_with("DOS_") || k.starts_with("OTEL_") {
            c.env_remove(&k);
        }
    }
    c
}

/// Run and capture.
pub(crate) fn run(ws: &Path, args: &[&str]) -> Output {
    dos(ws).args(args).output().expect("dos runs")
}

/// stdout as text.
pub(crate) fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub(crate) fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Build the exporter plugin crates `pkgs` into the target directory the
/// `dos` binary lives in (so the host finds them next to itself). Panics —
/// never skips — when a plugin cannot be built.
pub(crate) fn ensure_plugins(pkgs: &[&str]) {
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    let missing: Vec<&str> = pkgs
        .iter()
        .copied()
        .filter(|p| !built.iter().any(|b| b == p))
        .collect();
    if missing.is_empty() {
        return;
    }
    let bin_dir = dos_bin().parent().expect("bin dir").to_path_buf();
    // target/<profile>/dos → target dir is two levels up.
    let target_dir = bin_dir.parent().expect("target dir").to_path_buf();
    let profile = bin_dir
        .file_name()
        .expect("profile")
        .to_string_lossy()
        .to_string();
    let mut c = super::plugin_support::cargo();
    c.arg("build").arg("--quiet");
    if profile == "release" {
        c.arg("--release");
    }
    for p in &missing {
        c.arg("-p").arg(p);
    }
    c.env("CARGO_TARGET_DIR", &target_dir)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let status = c.status().expect("cargo runs");
    assert!(status.success(), "building the plugin crates {missing:?} failed");
    built.extend(missing.iter().map(|s| s.to_string()));
}

/// A temp workspace with `dos.toml` and the journal `text` under `.dos/`.
pub(crate) fn workspace(journal: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("dos.toml"), "").expect("dos.toml");
    if !journal.is_empty() {
        std::fs::create_dir_all(dir.path().join(".dos")).expect(".dos");
        std::fs::write(dir.path().join(".dos/verdict-journal.jsonl"), journal).expect("journal");
    }
    dir
}

/// The first `n` lines of the 13-line journal.
pub(crate) fn journal_lines(n: usize) -> String {
    JOURNAL13.lines().take(n).map(|l| format!("{l}\n")).collect()
}

/// The canonical workspace path as `dos` prints it.
pub(crate) fn root(ws: &tempfile::TempDir) -> PathBuf {
    std::fs::canonicalize(ws.path()).expect("canonical root")
}
