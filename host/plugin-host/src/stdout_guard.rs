//! While in-process plugin code runs, the process's stdout (fd 1) is its
//! stderr.
//!
//! A plugin loaded into the host shares its file descriptors: a stray
//! `println!` in a plugin would land in the middle of the host's own stdout
//! (`dos export --json`, a hook's stdout). So every in-process plugin call
//! and load holds a [`StdoutToStderr`] guard: the first guard of the process
//! flushes the host's buffered stdout, saves fd 1 (`dup`) and points fd 1 at
//! stderr (`dup2`); the last one to drop points fd 1 back at the saved
//! descriptor. Guards nest and may overlap across threads (a count under a
//! lock); dropping restores on every path, a panic's unwinding included.
//!
//! Limits: the host's own writes to stdout made while another thread is
//! inside a plugin call go to stderr too (the CLIs print their results after
//! the calls); a call abandoned after a timeout is no longer covered once
//! its caller stops waiting; bytes a plugin leaves in its own stdio buffer
//! (a line without a newline) reach wherever fd 1 points when it flushes.

use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Mutex;

struct State {
    /// Guards alive now.
    depth: usize,
    /// The real stdout while redirected (`None` when not redirected, or
    /// when fd 1 could not be saved: then nothing was changed).
    saved: Option<OwnedFd>,
}

static STATE: Mutex<State> = Mutex::new(State {
    depth: 0,
    saved: None,
});

/// Keeps fd 1 pointed at stderr while alive (see the module docs).
#[must_use = "stdout is restored when the guard drops"]
pub struct StdoutToStderr {
    _private: (),
}

/// Point fd 1 at stderr until the returned guard (and every other live
/// one) drops.
pub fn redirect() -> StdoutToStderr {
    let mut st = STATE.lock().unwrap_or_else(|p| p.into_inner());
    if st.depth == 0 {
        let _ = std::io::stdout().flush();
        st.saved = rustix::io::fcntl_dupfd_cloexec(std::io::stdout().as_fd(), 3)
            .ok()
            .filter(|_| rustix::stdio::dup2_stdout(std::io::stderr().as_fd()).is_ok());
    }
    st.depth += 1;
    StdoutToStderr { _private: () }
}

impl Drop for StdoutToStderr {
    fn drop(&mut self) {
        let mut st = STATE.lock().unwrap_or_else(|p| p.into_inner());
        st.depth = st.depth.saturating_sub(1);
        if st.depth == 0 {
            if let Some(saved) = st.saved.take() {
                let _ = rustix::stdio::dup2_stdout(&saved);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// Runs only when re-invoked by the test below (stdout and stderr are
    /// pipes there): writes through fd 1 around nested, overlapping and
    /// panicking guards.
    #[test]
    fn stdout_guard_child() {
        if std::env::var_os("DOS_STDOUT_GUARD_CHILD").is_none() {
            return;
        }
        let fd1 = |text: &str| {
            let _ = rustix::io::write(std::io::stdout().as_fd(), text.as_bytes());
        };
        fd1("out-1\n");
        let outer = redirect();
        fd1("err-1\n");
        let inner = redirect();
        fd1("err-2\n");
        drop(outer);
        fd1("err-3\n");
        let other = std::thread::spawn(|| {
            let _g = redirect();
            let _ = rustix::io::write(std::io::stdout().as_fd(), b"err-4\n");
        });
        let _ = other.join();
        drop(inner);
        fd1("out-2\n");
        let _ = std::panic::catch_unwind(|| {
            let _g = redirect();
            let _ = rustix::io::write(std::io::stdout().as_fd(), b"err-5\n");
            panic!("plugin boom");
        });
        fd1("out-3\n");
    }

    #[test]
    fn fd1_points_at_stderr_exactly_while_guards_live() {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "stdout_guard::tests::stdout_guard_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("DOS_STDOUT_GUARD_CHILD", "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = String::new();
        let mut stderr = child.stderr.take().unwrap();
        let reader = std::thread::spawn(move || {
            let _ = stderr.read_to_string(&mut err);
            err
        });
        let mut out = String::new();
        let _ = child.stdout.take().unwrap().read_to_string(&mut out);
        let err = reader.join().unwrap();
        assert!(child.wait().unwrap().success());
        // Words, not lines: the harness prints `test … ... ` before them.
        let only = |text: &str, prefix: &str| -> Vec<String> {
            text.split_whitespace()
                .filter(|w| w.starts_with(prefix))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(only(&out, "out-"), ["out-1", "out-2", "out-3"], "{out}");
        assert_eq!(only(&out, "err-"), Vec::<String>::new(), "{out}");
        assert_eq!(
            only(&err, "err-"),
            ["err-1", "err-2", "err-3", "err-4", "err-5"],
            "{err}"
        );
    }
}
