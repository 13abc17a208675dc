//! The host's side of one worker process: start it, send a request frame,
//! read the answer within a deadline, and on any trouble kill it and say
//! what happened ([`WorkerFault`]).
//!
//! Both pipe ends are non-blocking; waiting happens in `poll(2)` with the
//! time left, so a worker that stops reading or answering can never block
//! the host past its deadline.

use super::fault::WorkerFault;
use super::protocol::{self, Ready, HEADER_LEN, RESP_READY};
use std::io::{ErrorKind, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// The hidden `dos` subcommand a worker runs.
pub const WORKER_SUBCOMMAND: &str = "__plugin-worker";

/// How long a worker that closed its pipe gets to finish dying before it is
/// killed (so its real exit status can be reported).
const REAP_GRACE: Duration = Duration::from_secs(2);

/// A running worker process serving one plugin file.
pub struct WorkerProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// What the worker reported after loading the file.
    pub ready: Ready,
}

enum PipeTrouble {
    Closed,
    Deadline,
    Garbage(String),
    Io(std::io::Error),
}

fn deadline_of(timeout: Option<Duration>) -> Option<Instant> {
    timeout.map(|t| Instant::now() + t)
}

fn wait_for<Fd: std::os::fd::AsFd>(
    fd: &Fd,
    flags: rustix::event::PollFlags,
    deadline: Option<Instant>,
) -> Result<(), PipeTrouble> {
    loop {
        let left = match deadline {
            Some(d) => {
                let now = Instant::now();
                if now >= d {
                    return Err(PipeTrouble::Deadline);
                }
                Some(d - now)
            }
            None => None,
        };
        let ts = left.and_then(|l| rustix::event::Timespec::try_from(l).ok());
        let mut fds = [rustix::event::PollFd::new(fd, flags)];
        match rustix::event::poll(&mut fds, ts.as_ref()) {
            Ok(0) => continue,
            Ok(_) => return Ok(()),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(PipeTrouble::Io(e.into())),
        }
    }
}

impl WorkerProcess {
    /// Start `program __plugin-worker file` and wait (until `timeout`) for
    /// its ready frame. A worker that dies while loading the file is a fault.
    pub fn spawn(
        program: &Path,
        file: &Path,
        timeout: Option<Duration>,
    ) -> Result<WorkerProcess, WorkerFault> {
        let deadline = deadline_of(timeout);
        let mut child = Command::new(program)
            .arg(WORKER_SUBCOMMAND)
            .arg(file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| WorkerFault::Spawn(format!("{}: {e}", program.display())))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(WorkerFault::Spawn("no pipes to the worker".into()));
        };
        for fd in [
            std::os::fd::AsFd::as_fd(&stdin),
            std::os::fd::AsFd::as_fd(&stdout),
        ] {
            if let Err(e) = rustix::io::ioctl_fionbio(fd, true) {
                let _ = child.kill();
                let _ = child.wait();
                return Err(WorkerFault::Spawn(format!(
                    "cannot make the pipe non-blocking: {e}"
                )));
            }
        }
        let mut w = WorkerProcess {
            child,
            stdin: Some(stdin),
            stdout,
            buf: vec![0; 64 * 1024],
            start: 0,
            end: 0,
            ready: Ready {
                pid: 0,
                manifest: None,
                error: None,
            },
        };
        let (kind, payload) = match w.read_frame(deadline) {
            Ok((k, range)) => (k, w.buf[range].to_vec()),
            Err(t) => return Err(w.fail(t, timeout)),
        };
        if kind != RESP_READY {
            return Err(w.fail(
                PipeTrouble::Garbage(format!("expected the ready frame, got kind {kind}")),
                timeout,
            ));
        }
        match serde_json::from_slice::<Ready>(&payload) {
            Ok(r) => w.ready = r,
            Err(e) => {
                return Err(w.fail(
                    PipeTrouble::Garbage(format!("unreadable ready frame: {e}")),
                    timeout,
                ))
            }
        }
        Ok(w)
    }

    /// The worker's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Send one whole request frame and read the answer frame within
    /// `timeout`. On any failure the worker is killed and reaped.
    pub fn request(&mut self, frame: &[u8], timeout: Option<Duration>) -> Result<(u8, &[u8]), WorkerFault> {
        let deadline = deadline_of(timeout);
        if let Err(t) = self.write_all(frame, deadline) {
            return Err(self.fail(t, timeout));
        }
        match self.read_frame(deadline) {
            Ok((kind, range)) => Ok((kind, &self.buf[range])),
            Err(t) => Err(self.fail(t, timeout)),
        }
    }

    fn write_all(&mut self, mut bytes: &[u8], deadline: Option<Instant>) -> Result<(), PipeTrouble> {
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(PipeTrouble::Closed);
        };
        while !bytes.is_empty() {
            match stdin.write(bytes) {
                Ok(0) => return Err(PipeTrouble::Closed),
                Ok(n) => bytes = &bytes[n..],
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    wait_for(&*stdin, rustix::event::PollFlags::OUT, deadline)?
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::BrokenPipe => return Err(PipeTrouble::Closed),
                Err(e) => return Err(PipeTrouble::Io(e)),
            }
        }
        Ok(())
    }

    /// Make at least `need` unread bytes available in the buffer.
    fn fill(&mut self, need: usize, deadline: Option<Instant>) -> Result<(), PipeTrouble> {
        while self.end - self.start < need {
            if self.start + need > self.buf.len() {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
                if need > self.buf.len() {
                    self.buf.resize(need.next_power_of_two(), 0);
                }
            }
            match self.stdout.read(&mut self.buf[self.end..]) {
                Ok(0) => return Err(PipeTrouble::Closed),
                Ok(n) => self.end += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    wait_for(&self.stdout, rustix::event::PollFlags::IN, deadline)?
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(PipeTrouble::Io(e)),
            }
        }
        Ok(())
    }

    /// Read one frame: its kind and where its payload sits in the buffer.
    fn read_frame(&mut self, deadline: Option<Instant>) -> Result<(u8, std::ops::Range<usize>), PipeTrouble> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        self.fill(HEADER_LEN, deadline)?;
        let mut head = [0u8; HEADER_LEN];
        head.copy_from_slice(&self.buf[self.start..self.start + HEADER_LEN]);
        let header = protocol::parse_header(&head).map_err(|e| PipeTrouble::Garbage(e.to_string()))?;
        self.fill(HEADER_LEN + header.len, deadline)?;
        let from = self.start + HEADER_LEN;
        self.start = from + header.len;
        Ok((header.kind, from..self.start))
    }

    /// Kill (unless it already died) and reap the worker; say what happened.
    fn fail(&mut self, trouble: PipeTrouble, timeout: Option<Duration>) -> WorkerFault {
        self.stdin = None;
        match trouble {
            PipeTrouble::Closed => {
                let limit = Instant::now() + REAP_GRACE;
                loop {
                    match self.child.try_wait() {
                        Ok(Some(status)) => return WorkerFault::from_status(status),
                        Ok(None) if Instant::now() < limit => std::thread::sleep(Duration::from_millis(2)),
                        _ => {
                            self.kill();
                            return WorkerFault::Io("the worker closed its pipe but kept running".into());
                        }
                    }
                }
            }
            PipeTrouble::Deadline => {
                self.kill();
                WorkerFault::TimedOut(timeout.unwrap_or_default())
            }
            PipeTrouble::Garbage(m) => {
                self.kill();
                WorkerFault::Garbage(m)
            }
            PipeTrouble::Io(e) => {
                self.kill();
                WorkerFault::Io(e.to_string())
            }
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for WorkerProcess {
    /// Close the request pipe (the worker exits on end of input), give it a
    /// moment to finish, then kill it: no worker outlives its host.
    fn drop(&mut self) {
        self.stdin = None;
        let limit = Instant::now() + Duration::from_millis(200);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) if Instant::now() < limit => std::thread::sleep(Duration::from_millis(1)),
                _ => {
                    self.kill();
                    return;
                }
            }
        }
    }
}
