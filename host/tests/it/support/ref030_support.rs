//! The dos-kernel 0.30.0 reference for tests: `DOS_TEST_REF030` (a `dos`
//! executable), else the project-local virtualenv `target/ref030-venv`
//! (`.ci/run` prepares it; made here on first use, under a file lock, so
//! `cargo test` alone suffices).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned reference version.
pub(crate) const VERSION: &str = "0.30.0";

/// The 0.30 virtualenv's directory.
pub(crate) fn venv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo root")
        .join("target")
        .join("ref030-venv")
}

/// The 0.30 `dos` executable, installing it on first use.
pub(crate) fn dos() -> PathBuf {
    if let Some(p) = std::env::var_os("DOS_TEST_REF030") {
        return PathBuf::from(p);
    }
    let venv = venv();
    let exe = venv.join("bin").join("dos");
    if exe.is_file() {
        return exe;
    }
    let target = venv.parent().expect("target dir").to_path_buf();
    std::fs::create_dir_all(&target).expect("target dir");
    let lock = std::fs::File::create(target.join("ref030-venv.lock")).expect("lock file");
    lock.lock().expect("lock");
    if !exe.is_file() {
        let made = Command::new("python3").arg("-m").arg("venv").arg(&venv).status();
        assert!(
            made.is_ok_and(|s| s.success()),
            "python3 -m venv failed: dos-kernel {VERSION} is needed for this test"
        );
        let pip = Command::new(venv.join("bin").join("pip"))
            .args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                &format!("dos-kernel=={VERSION}"),
            ])
            .status();
        assert!(
            pip.is_ok_and(|s| s.success()),
            "pip install dos-kernel=={VERSION} failed"
        );
    }
    assert!(exe.is_file(), "{} missing after installing", exe.display());
    exe
}

/// The 0.30 virtualenv's Python (for reading files with 0.30's own readers).
pub(crate) fn python() -> PathBuf {
    dos().parent().expect("bin dir").join("python")
}
