//! Run an operator-configured shell command with a prompt on stdin and a hard
//! timeout (the reference's `subprocess.run(cmd, shell=True, input=…,
//! capture_output=True, timeout=…)`).
//!
//! The command runs as `/bin/sh -c <cmd>` in a process group of its own, so a
//! timeout kills the whole pipeline (the shell and everything it started),
//! not only the shell.
//!
//! Unix only (it relies on process groups and `/bin/sh`); `std` only, no
//! `unsafe`.

use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How often the runner looks at the child while it waits.
const POLL: Duration = Duration::from_millis(10);

/// Why a command produced no usable output.
#[derive(Debug)]
pub enum RunError {
    /// The shell could not be started.
    Spawn(std::io::Error),
    /// Waiting for the child failed.
    Wait(std::io::Error),
    /// The command ran past its time limit and was killed.
    Timeout(Duration),
    /// The command exited unsuccessfully (status, start of its stderr).
    Exit(ExitStatus, String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Spawn(e) => write!(f, "could not start the command: {e}"),
            RunError::Wait(e) => write!(f, "could not wait for the command: {e}"),
            RunError::Timeout(t) => write!(f, "command timed out after {} s and was killed", t.as_secs_f64()),
            RunError::Exit(status, stderr) if stderr.is_empty() => write!(f, "command failed ({status})"),
            RunError::Exit(status, stderr) => write!(f, "command failed ({status}): {stderr}"),
        }
    }
}

/// Kill the child's whole process group, then the child itself, and reap it.
fn kill_tree(child: &mut Child) {
    let pgid = child.id();
    // The child leads its own group (`process_group(0)`), so its pid is the
    // group id. `kill -9 -PGID` is understood by dash, bash and busybox.
    let _ = Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("kill -9 -{pgid}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// Run `cmd` through `/bin/sh -c`, feed it `input` on stdin, and return its
/// stdout once it exits with status 0 — all within `timeout`.
pub fn run_shell(cmd: &str, input: &[u8], timeout: Duration) -> Result<Vec<u8>, RunError> {
    use std::os::unix::process::CommandExt;

    let deadline = Instant::now() + timeout;
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(RunError::Spawn)?;

    if let Some(mut stdin) = child.stdin.take() {
        let input = input.to_vec();
        // A command that never reads its stdin must not block us: write from a
        // thread and ignore a broken pipe.
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    let (tx, rx) = mpsc::channel::<(u8, Vec<u8>)>();
    if let Some(mut out) = child.stdout.take() {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = out.read_to_end(&mut buf);
            let _ = tx.send((0, buf));
        });
    }
    if let Some(mut err) = child.stderr.take() {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = err.read_to_end(&mut buf);
            let _ = tx.send((1, buf));
        });
    }
    drop(tx);

    let mut status: Option<ExitStatus> = None;
    let mut stdout: Option<Vec<u8>> = None;
    let mut stderr: Option<Vec<u8>> = None;
    loop {
        if status.is_none() {
            match child.try_wait() {
                Ok(s) => status = s,
                Err(e) => {
                    kill_tree(&mut child);
                    return Err(RunError::Wait(e));
                }
            }
        }
        if status.is_some() && stdout.is_some() && stderr.is_some() {
            break;
        }
        let now = Instant::now();
        if now >= deadline {
            kill_tree(&mut child);
            return Err(RunError::Timeout(timeout));
        }
        match rx.recv_timeout(POLL.min(deadline - now)) {
            Ok((0, buf)) => stdout = Some(buf),
            Ok((_, buf)) => stderr = Some(buf),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                stdout.get_or_insert_with(Vec::new);
                stderr.get_or_insert_with(Vec::new);
                if status.is_none() {
                    std::thread::sleep(POLL.min(deadline.saturating_duration_since(Instant::now())));
                }
            }
        }
    }
    let (Some(status), Some(stdout)) = (status, stdout) else {
        return Err(RunError::Wait(std::io::Error::other("lost track of the command")));
    };
    if !status.success() {
        let text = String::from_utf8_lossy(&stderr.unwrap_or_default())
            .trim()
            .to_string();
        let short: String = text.chars().take(200).collect();
        return Err(RunError::Exit(status, short));
    }
    Ok(stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_stdout_and_feeds_stdin() {
        let out = run_shell("tr a-z A-Z", b"hello", Duration::from_secs(10)).unwrap();
        assert_eq!(out, b"HELLO");
    }

    #[test]
    fn non_zero_exit_is_an_error() {
        let err = run_shell("echo boom >&2; exit 3", b"", Duration::from_secs(10)).unwrap_err();
        assert!(matches!(err, RunError::Exit(_, ref s) if s == "boom"), "{err}");
    }

    #[test]
    fn timeout_kills_the_whole_pipeline() {
        let start = Instant::now();
        let err = run_shell("sleep 5; echo late", b"", Duration::from_millis(300)).unwrap_err();
        assert!(matches!(err, RunError::Timeout(_)), "{err}");
        assert!(start.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn a_command_that_ignores_a_large_stdin_still_finishes() {
        let big = vec![b'x'; 1 << 20];
        let out = run_shell("echo ok", &big, Duration::from_secs(10)).unwrap();
        assert_eq!(out, b"ok\n");
    }
}
