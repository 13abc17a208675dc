//! Helpers shared by the `dos init` / `dos doctor` / hook-plugin tests: run
//! the built `dos` (or any program, e.g. `sh -c` with a wired command line)
//! with the built binaries first on PATH, so a wired `dos hook …` resolves.
//! Shared by the `dos` package's tests and the `dos-tests` package, each of
//! which provides `support::dos_exe()`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The `dos` binary under test (`CARGO_BIN_EXE_dos` in the `dos` package,
/// built on first use in `dos-tests`).
pub(crate) use super::dos_exe;

/// The directory holding `dos` and `dos-hook`.
pub(crate) fn bin_dir() -> PathBuf {
    Path::new(dos_exe()).parent().expect("bin dir").to_path_buf()
}

/// PATH with the built binaries first.
pub(crate) fn path_env() -> String {
    format!(
        "{}:{}",
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Run `program ARGS` in `dir` with `stdin`, a clean DOS environment and
/// the built binaries on PATH: an operator's session, outside any loop.
pub(crate) fn run(dir: &Path, program: &str, args: &[&str], stdin: &str) -> Output {
    run_env(dir, program, args, stdin, &[])
}

/// [`run`] with `env` set on top of the clean DOS environment.
pub(crate) fn run_env(dir: &Path, program: &str, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(dir).env("PATH", path_env());
    for k in [
        "DISPATCH_WORKSPACE",
        "DOS_PLUGIN_PATH",
        "DOS_LOOP",
        "CID_RUN_ID",
        "DISPATCH_LOOP_TS",
        "DOS_HOOK_POSTURE",
    ] {
        cmd.env_remove(k);
    }
    cmd.envs(env.iter().copied());
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

/// Run `dos ARGS` in `dir`.
pub(crate) fn dos(dir: &Path, args: &[&str]) -> Output {
    run(dir, dos_exe(), args, "")
}

/// Run a wired command line as the runtime does: `sh -c` with the event on stdin.
pub(crate) fn run_hook(dir: &Path, command: &str, event: &str) -> Output {
    run(dir, "sh", &["-c", command], event)
}

/// [`run_hook`] inside a dispatch loop (`DOS_LOOP=1`), where dos-kernel 0.30
/// still denies what it only warns an operator's session about (issue #15
/// item 2).
pub(crate) fn run_hook_in_loop(dir: &Path, command: &str, event: &str) -> Output {
    run_env(dir, "sh", &["-c", command], event, &[("DOS_LOOP", "1")])
}

/// Lossy text of a captured stream.
pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every regular file under `root` with its bytes (sorted), skipping the
/// top-level names in `skip`.
pub(crate) fn files_under(root: &Path, skip: &[&str]) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(root).expect("read_dir") {
        let p = e.expect("entry").path();
        if p.file_name().is_some_and(|n| skip.iter().any(|s| n == *s)) {
            continue;
        }
        if p.is_dir() {
            out.extend(files_under(&p, skip));
        } else {
            let bytes = std::fs::read(&p).expect("read");
            out.push((p, bytes));
        }
    }
    out.sort();
    out
}
