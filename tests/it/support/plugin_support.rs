//! Shared helpers for the cross-crate plugin tests: build fixture crates with
//! cargo (into `target/fixtures`, so test runs never contend for the main
//! build directory) and make throwaway workspaces. Included by the
//! `dos-tests` package and by the `dos` package's tests, each of which
//! provides `support::dos_exe()`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// The repository root (the parent of `host/` and of `tests/`, the two
/// packages that include this file).
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the package has a parent")
        .to_path_buf()
}

/// Whether cargo set `name` for this test process to describe the package
/// under test or its build (`CARGO_MANIFEST_DIR`, `CARGO_PKG_*`,
/// `CARGO_BIN_EXE_*`, `OUT_DIR`, …). Passed on to a nested cargo, they look
/// like a changed environment to any build script that declares
/// `rerun-if-env-changed` on one of them (ring does, under ureq): the nested
/// build recompiles that crate and everything above it (the `http` plugins,
/// `dos` itself), and the next outer `cargo test` recompiles them back.
pub(crate) fn is_package_var(name: &str) -> bool {
    matches!(
        name,
        "CARGO_MANIFEST_DIR"
            | "CARGO_MANIFEST_PATH"
            | "CARGO_MANIFEST_LINKS"
            | "CARGO_CRATE_NAME"
            | "CARGO_BIN_NAME"
            | "CARGO_PRIMARY_PACKAGE"
            | "CARGO_TARGET_TMPDIR"
            | "CARGO_RUSTC_CURRENT_DIR"
            | "OUT_DIR"
    ) || ["CARGO_PKG_", "CARGO_BIN_EXE_", "CARGO_CFG_"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// Remove from `cmd`'s environment each of `names` that [`is_package_var`].
pub(crate) fn remove_package_vars<I>(cmd: &mut Command, names: I)
where
    I: IntoIterator,
    I::Item: AsRef<std::ffi::OsStr>,
{
    for name in names {
        let name = name.as_ref();
        if name.to_str().is_some_and(is_package_var) {
            cmd.env_remove(name);
        }
    }
}

/// The cargo running these tests, for a nested build: it sees the
/// environment the outer `cargo test` saw, so what that built stays fresh.
pub(crate) fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    remove_package_vars(&mut cmd, std::env::vars_os().map(|(k, _)| k));
    cmd
}

/// Where fixture crates are built.
pub(crate) fn fixture_target() -> PathBuf {
    repo_root().join("target").join("fixtures")
}

/// The file name cargo gives the cdylib of library crate `lib`.
pub(crate) fn dylib_name(lib: &str) -> String {
    format!(
        "{}{lib}.{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_EXTENSION
    )
}

/// Build the out-of-workspace crate at `manifest_dir` (relative to the repo
/// root) and return the path of its cdylib `lib`. Concurrent callers are
/// serialised by cargo's own build-directory lock.
pub(crate) fn build_fixture(manifest_dir: &str, lib: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    let built = BUILT.get_or_init(|| Mutex::new(Vec::new()));
    let mut done = built.lock().unwrap_or_else(|p| p.into_inner());
    let out = fixture_target().join("debug").join(dylib_name(lib));
    if done.iter().any(|d| d == manifest_dir) {
        return out;
    }
    let manifest = repo_root().join(manifest_dir).join("Cargo.toml");
    let status = cargo()
        .args(["build", "--quiet", "--manifest-path"])
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", fixture_target())
        .env_remove("RUSTFLAGS")
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building fixture {manifest_dir} failed");
    assert!(out.is_file(), "fixture {} missing after build", out.display());
    done.push(manifest_dir.to_string());
    out
}

/// Build a standard plugin of this workspace (`-p package`) into the same
/// target directory as the `dos` binary under test (reusing everything
/// `cargo test --workspace` already compiled) and return its cdylib path.
pub(crate) fn build_workspace_plugin(package: &str) -> PathBuf {
    let lib = package.replace('-', "_");
    let bin_dir = Path::new(super::dos_exe())
        .parent()
        .expect("bin dir")
        .to_path_buf();
    let target = bin_dir.parent().expect("target dir").to_path_buf();
    let release = bin_dir.file_name().is_some_and(|p| p == "release");
    let mut cmd = cargo();
    cmd.args(["build", "--quiet", "-p", package, "--manifest-path"])
        .arg(repo_root().join("Cargo.toml"));
    if release {
        cmd.arg("--release");
    }
    let status = cmd.env("CARGO_TARGET_DIR", &target).status().expect("cargo runs");
    assert!(status.success(), "building plugin {package} failed");
    let out = bin_dir.join(dylib_name(&lib));
    assert!(out.is_file(), "plugin {} missing after build", out.display());
    out
}

/// A temp workspace with `dos.toml` holding `toml`.
pub(crate) fn workspace(toml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("dos.toml"), toml).expect("write dos.toml");
    dir
}

/// TOML for a `[plugins] paths` list.
pub(crate) fn plugin_paths_toml(paths: &[&Path], extra: &str) -> String {
    let list: Vec<String> = paths
        .iter()
        .map(|p| format!("{:?}", p.display().to_string()))
        .collect();
    format!("[plugins]\npaths = [{}]\n{extra}", list.join(", "))
}

/// The hostile fixture plugin (every in-process misbehaviour).
pub(crate) fn hostile() -> PathBuf {
    build_fixture("tests/fixtures/hostile", "dos_hostile_fixture")
}

/// An export batch with these seqs.
pub(crate) fn batch(seqs: &[i64]) -> std::sync::Arc<dos_plugin_host::EventBatch> {
    let mut b = dos_plugin_host::EventBatch::default();
    for s in seqs {
        b.push(*s, &format!(r#"{{"seq": {s}, "verdict": "OK"}}"#));
    }
    std::sync::Arc::new(b)
}

/// An empty CLI option bag.
pub(crate) fn no_bag() -> serde_json::Map<String, serde_json::Value> {
    serde_json::Map::new()
}

/// Panic texts carry the plugin's source location (` at src/lib.rs:NN`);
/// drop it so expectations don't depend on line numbers.
pub(crate) fn without_location(text: &str) -> String {
    let mut out = text.to_string();
    while let Some(i) = out.find(" at src/lib.rs:") {
        let end = out[i + 15..]
            .find(|c: char| !c.is_ascii_digit())
            .map_or(out.len(), |j| i + 15 + j);
        out.replace_range(i..end, "");
    }
    out
}
