//! What happened to an isolated worker, in words: pure mapping from the
//! facts the client gathers (exit status, deadline, protocol error) to the
//! text that ends up in a driver's safe result.

use std::time::Duration;

/// How an isolated worker failed a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerFault {
    /// The worker was killed by a signal (its number).
    Signaled(i32),
    /// The worker exited on its own with this code.
    Exited(i32),
    /// The worker ended with a status that is neither (platform oddity).
    Ended(String),
    /// No answer before the deadline; the worker was killed.
    TimedOut(Duration),
    /// The worker wrote something that is not a protocol frame; it was killed.
    Garbage(String),
    /// The worker could not be started.
    Spawn(String),
    /// The pipe failed for another reason; the worker was killed.
    Io(String),
}

/// The name and meaning of signal `sig` (`SIGSEGV`, "segmentation fault").
pub fn signal_name(sig: i32) -> (String, &'static str) {
    use rustix::process::Signal;
    let table: [(Signal, &str, &str); 12] = [
        (Signal::SEGV, "SIGSEGV", "segmentation fault"),
        (Signal::ABORT, "SIGABRT", "abort"),
        (Signal::BUS, "SIGBUS", "bus error"),
        (Signal::ILL, "SIGILL", "illegal instruction"),
        (Signal::FPE, "SIGFPE", "arithmetic exception"),
        (Signal::KILL, "SIGKILL", "killed"),
        (Signal::TERM, "SIGTERM", "terminated"),
        (Signal::INT, "SIGINT", "interrupted"),
        (Signal::HUP, "SIGHUP", "hang-up"),
        (Signal::PIPE, "SIGPIPE", "broken pipe"),
        (Signal::TRAP, "SIGTRAP", "trace trap"),
        (Signal::SYS, "SIGSYS", "bad system call"),
    ];
    table
        .iter()
        .find(|(s, _, _)| s.as_raw() == sig)
        .map(|(_, name, meaning)| (name.to_string(), *meaning))
        .unwrap_or_else(|| (format!("signal {sig}"), "unknown signal"))
}

impl WorkerFault {
    /// A phrase completing "its isolated worker …".
    pub fn describe(&self) -> String {
        match self {
            WorkerFault::Signaled(sig) => {
                let (name, meaning) = signal_name(*sig);
                format!("was killed by {name} ({meaning})")
            }
            WorkerFault::Exited(code) => format!("exited with code {code}"),
            WorkerFault::Ended(how) => format!("ended: {how}"),
            WorkerFault::TimedOut(d) => {
                format!("timed out after {} ms and was killed", d.as_millis())
            }
            WorkerFault::Garbage(m) => format!("broke the protocol and was killed: {m}"),
            WorkerFault::Spawn(m) => format!("could not be started: {m}"),
            WorkerFault::Io(m) => format!("lost its pipe and was killed: {m}"),
        }
    }

    /// A short cause (`SIGSEGV`, `exit code 3`, `timeout 300 ms`).
    pub fn short(&self) -> String {
        match self {
            WorkerFault::Signaled(sig) => signal_name(*sig).0,
            WorkerFault::Exited(code) => format!("exit code {code}"),
            WorkerFault::Ended(how) => how.clone(),
            WorkerFault::TimedOut(d) => format!("timeout after {} ms", d.as_millis()),
            WorkerFault::Garbage(_) => "protocol garbage".into(),
            WorkerFault::Spawn(_) => "worker start failed".into(),
            WorkerFault::Io(_) => "pipe error".into(),
        }
    }

    /// Classify an exit status the client observed after the pipe broke.
    pub fn from_status(status: std::process::ExitStatus) -> WorkerFault {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            WorkerFault::Signaled(sig)
        } else if let Some(code) = status.code() {
            WorkerFault::Exited(code)
        } else {
            WorkerFault::Ended(status.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_name_what_happened() {
        let table = [
            (
                WorkerFault::Signaled(11),
                "was killed by SIGSEGV (segmentation fault)",
                "SIGSEGV",
            ),
            (
                WorkerFault::Signaled(6),
                "was killed by SIGABRT (abort)",
                "SIGABRT",
            ),
            (
                WorkerFault::Signaled(64),
                "was killed by signal 64 (unknown signal)",
                "signal 64",
            ),
            (WorkerFault::Exited(3), "exited with code 3", "exit code 3"),
            (
                WorkerFault::TimedOut(Duration::from_millis(300)),
                "timed out after 300 ms and was killed",
                "timeout after 300 ms",
            ),
            (
                WorkerFault::Garbage("junk".into()),
                "broke the protocol and was killed: junk",
                "protocol garbage",
            ),
        ];
        for (fault, long, short) in table {
            assert_eq!(fault.describe(), long);
            assert_eq!(fault.short(), short);
        }
    }
}
