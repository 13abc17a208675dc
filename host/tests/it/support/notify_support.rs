//! Test support for `dos notify` over real HTTP: the plugin SDK's recording
//! HTTP/1.1 server on 127.0.0.1 (the one the notifier plugins' own tests
//! use), the notifier plugins built by cargo next to the `dos` binary, and
//! temp workspaces.

#![allow(dead_code, unused_imports)] // each test module uses a different part

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub(crate) use dos_plugin_api::test_support::{refused_url, Recorded, Reply, Server};

/// Build the notifier plugins (once per process) into the directory of
/// the `dos` binary under test, where plugin discovery finds them.
pub(crate) fn build_plugins() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let exe = PathBuf::from(env!("CARGO_BIN_EXE_dos"));
        let profile_dir = exe.parent().expect("bin dir");
        let target = profile_dir.parent().expect("target dir");
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        let mut cmd = super::plugin_support::cargo();
        cmd.args([
            "build",
            "-q",
            "-p",
            "dos-notify-webhook",
            "-p",
            "dos-notify-slack",
            "--manifest-path",
        ])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(target);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build for the notifier plugins");
        assert!(status.success(), "building the notifier plugins failed");
    });
}

/// A fresh workspace directory (canonical path) with the given files.
pub(crate) fn workspace(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(tmp.path()).expect("canonical");
    for (rel, text) in files {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, text).expect("write");
    }
    (tmp, root)
}

/// The result of one `dos` run.
#[derive(Debug)]
pub(crate) struct Run {
    /// stdout.
    pub stdout: String,
    /// stderr.
    pub stderr: String,
    /// Exit code.
    pub code: i32,
}

/// Run `dos` in `root` with only the given notifier environment.
pub(crate) fn dos(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dos"));
    cmd.args(args).current_dir(root);
    for (k, _) in std::env::vars() {
        if k.starts_with("DOS_") || k.starts_with("SLACK_") || k.starts_with("DISPATCH_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run dos");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}
