//! Helpers shared by the integration test modules, one submodule per
//! concern. `plugin_support` is shared with the cross-crate plugin tests
//! (the `dos-tests` package under the repository's `tests/`), which include
//! the same file.

pub(crate) mod collectd_support;
pub(crate) mod export_support;
pub(crate) mod hooks_common;
pub(crate) mod init_common;
pub(crate) mod notify_support;
#[path = "../../../../tests/it/support/plugin_support.rs"]
pub(crate) mod plugin_support;
pub(crate) mod ref030_support;

/// The `dos` binary under test: cargo builds it for this package's tests.
pub(crate) fn dos_exe() -> &'static str {
    env!("CARGO_BIN_EXE_dos")
}

/// Copy the executable `from` to `to` for a test to run the copy. The copy
/// is written by a `cp` child, never through a file descriptor of this
/// process: every test here runs in one process, and a sibling test's
/// spawn that forks while this process holds the copy open for writing
/// carries that descriptor until its exec, so running the copy then fails
/// with ETXTBSY ("Text file busy"). [`tests`] shows it.
pub(crate) fn copy_executable(from: &std::path::Path, to: &std::path::Path) {
    let status = std::process::Command::new("cp")
        .arg("--")
        .arg(from)
        .arg(to)
        .status()
        .expect("cp runs");
    assert!(status.success(), "cp {} {} failed", from.display(), to.display());
}

#[cfg(test)]
mod tests {
    use std::process::Command;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    /// Copies run at once while other threads keep spawning processes,
    /// as sibling tests do: each copy must run (an in-process
    /// `std::fs::copy` fails here with ETXTBSY a few times in a hundred).
    #[test]
    fn a_copied_executable_runs_while_other_threads_spawn() {
        let src = ["/bin/true", "/usr/bin/true"]
            .iter()
            .map(std::path::Path::new)
            .find(|p| p.is_file())
            .expect("a `true` executable");
        let stop = Arc::new(AtomicBool::new(false));
        let spawners: Vec<_> = (0..2)
            .map(|_| {
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let _ = Command::new(src).status();
                    }
                })
            })
            .collect();
        let dir = tempfile::tempdir().expect("tempdir");
        let mut busy = 0;
        for i in 0..300 {
            let copy = dir.path().join(format!("true-{i}"));
            super::copy_executable(src, &copy);
            match Command::new(&copy).status() {
                Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => busy += 1,
                Err(e) => panic!("{}: {e}", copy.display()),
                Ok(s) => assert!(s.success(), "{s:?}"),
            }
        }
        stop.store(true, Ordering::Relaxed);
        for s in spawners {
            s.join().expect("spawner");
        }
        assert_eq!(busy, 0, "copies refused with ETXTBSY out of 300");
    }

    /// A nested cargo sees none of the variables cargo sets for a test
    /// process about its package (else ring and all above it rebuild), and
    /// everything else.
    #[test]
    fn a_nested_build_sees_no_package_variables() {
        use super::plugin_support::{is_package_var, remove_package_vars};
        let package = [
            "CARGO_MANIFEST_DIR",
            "CARGO_PKG_NAME",
            "CARGO_BIN_EXE_dos",
            "OUT_DIR",
        ];
        let kept = [
            "CARGO",
            "CARGO_HOME",
            "CARGO_TARGET_DIR",
            "RUSTFLAGS",
            "DOS_TEST_KEPT",
        ];
        let mut cmd = Command::new("env");
        for name in package.iter().chain(&kept) {
            cmd.env(name, "set");
        }
        remove_package_vars(&mut cmd, package.iter().chain(&kept));
        let out = cmd.output().expect("env runs");
        assert!(out.status.success(), "{out:?}");
        let seen = String::from_utf8_lossy(&out.stdout);
        let names: Vec<&str> = seen
            .lines()
            .filter_map(|l| l.split_once('=').map(|(k, _)| k))
            .collect();
        for name in package {
            assert!(is_package_var(name), "{name}");
            assert!(!names.contains(&name), "{name} reached the nested build");
        }
        for name in kept {
            assert!(!is_package_var(name), "{name}");
            assert!(names.contains(&name), "{name} was dropped");
        }
    }
}
