//! Helpers for the cross-crate plugin tests. `plugin_support` (fixture and
//! workspace plugin builds, throwaway workspaces) and `init_common` (running
//! `dos` and wired hook commands) are shared with the `dos` package's tests,
//! which include the same files; both call [`dos_exe`].

#[path = "../../../host/tests/it/support/init_common.rs"]
pub(crate) mod init_common;
pub(crate) mod plugin_support;

use std::path::Path;
use std::sync::OnceLock;

/// The features `cargo test --workspace` unifies onto `dos-plugin-api` when
/// it builds the `dos` binaries (`test-support` from the `dos` package's
/// dev-dependency, `http` from the judge and notifier plugins). Building
/// with them makes [`dos_exe`]'s build a no-op in a workspace run; were they
/// ever to drift, that build would still be right, only slower.
const DOS_BUILD_FEATURES: &str = "dos-plugin-api/test-support,dos-plugin-api/http";

/// The `dos` binary under test, built (once per process) into the target
/// directory of this test binary. `CARGO_BIN_EXE_dos` exists only for the
/// `dos` package's own tests; this package gets the binary from cargo the
/// way it gets the plugins, so `cargo test -p dos-tests` alone never runs a
/// stale `dos`.
pub(crate) fn dos_exe() -> &'static str {
    static EXE: OnceLock<String> = OnceLock::new();
    EXE.get_or_init(build_dos)
}

fn build_dos() -> String {
    // This binary is <target>/<profile>/deps/it-<hash>.
    let me = std::env::current_exe().expect("test binary path");
    let profile_dir = me
        .parent()
        .and_then(Path::parent)
        .expect("test binary under <target>/<profile>/deps");
    let target = profile_dir.parent().expect("target dir");
    let release = profile_dir.file_name().is_some_and(|p| p == "release");
    let mut cmd = plugin_support::cargo();
    cmd.args([
        "build",
        "--quiet",
        "-p",
        "dos",
        "--bins",
        "--features",
        DOS_BUILD_FEATURES,
    ])
    .arg("--manifest-path")
    .arg(plugin_support::repo_root().join("Cargo.toml"));
    if release {
        cmd.arg("--release");
    }
    let status = cmd.env("CARGO_TARGET_DIR", target).status().expect("cargo runs");
    assert!(status.success(), "building the dos binaries failed");
    let exe = profile_dir.join(format!("dos{}", std::env::consts::EXE_SUFFIX));
    assert!(exe.is_file(), "{} missing after the build", exe.display());
    exe.display().to_string()
}
