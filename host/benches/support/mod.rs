//! Helpers shared by the plugin-host benches: build a fixture plugin in
//! release mode, make a batch, take a median.
#![allow(dead_code)]

use dos_plugin_host::EventBatch;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// The repository root.
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo root")
        .to_path_buf()
}

/// Build the out-of-workspace fixture crate at `dir` in release mode (into
/// `target/fixtures`) and return the path of its cdylib `lib`.
pub(crate) fn build_release_fixture(dir: &str, lib: &str) -> PathBuf {
    let target = repo_root().join("target").join("fixtures");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--quiet", "--manifest-path"])
        .arg(repo_root().join(dir).join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building {dir} failed");
    target.join("release").join(format!(
        "{}{lib}.{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_EXTENSION
    ))
}

/// The median of `v` (sorts it).
pub(crate) fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// A batch of `n` small verdict records.
pub(crate) fn batch(n: usize) -> Arc<EventBatch> {
    let mut b = EventBatch::with_capacity(n, n * 64);
    for i in 0..n {
        b.push(i as i64 + 1, r#"{"detail": {}, "seq": 1, "verdict": "SHIPPED"}"#);
    }
    Arc::new(b)
}

/// The standalone `dos-hook` binary next to `dos`, brought up to date with
/// this run's profile: it is a package of its own (`dos-hook`), so Cargo
/// gives the `dos` package's benches no `CARGO_BIN_EXE_dos-hook`.
pub(crate) fn dos_hook_bin(dos: &str) -> PathBuf {
    let out_dir = Path::new(dos).parent().expect("the profile directory");
    let target_dir = out_dir.parent().expect("the target directory");
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.args([
        "build",
        "--quiet",
        "--package",
        "dos-hook",
        "--bin",
        "dos-hook",
        "--target-dir",
    ])
    .arg(target_dir)
    .current_dir(repo_root());
    match out_dir.file_name().and_then(|p| p.to_str()) {
        Some("debug") => {}
        Some("release") => {
            c.arg("--release");
        }
        Some(profile) => {
            c.args(["--profile", profile]);
        }
        None => panic!("no profile directory in {}", out_dir.display()),
    }
    let status = c.status().expect("cargo runs");
    assert!(status.success(), "cargo build --package dos-hook failed");
    out_dir.join(format!("dos-hook{}", std::env::consts::EXE_SUFFIX))
}
