//! The fail-soft call machinery shared by every driver handle: a panic, an
//! error, a timeout or an abandoned driver becomes a [`Failure`] value; the
//! handles turn that into their group's safe result.
//!
//! With a timeout, calls run on one worker thread per driver and the caller
//! waits at most `timeout`. A thread cannot be killed: on timeout the stuck
//! thread is abandoned (it keeps the driver locked until it returns, if ever)
//! and every later call on that driver fails at once.

use super::quarantine::Flight;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Why a driver call produced no usable value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The driver returned an error.
    Returned(String),
    /// The driver panicked (caught by the SDK or by the host).
    Panicked(String),
    /// The driver's answer broke the contract.
    Invalid(String),
    /// The call did not finish within the timeout.
    TimedOut(Duration),
    /// An earlier call timed out; the driver is no longer called.
    Abandoned(Duration),
    /// The driver's constructor failed, so there is nothing to call.
    Construct(Box<Failure>),
    /// The isolated worker serving the driver failed (crash, exit, hang,
    /// garbage on the pipe); the worker is gone.
    Worker {
        /// The plugin's declared name.
        plugin: String,
        /// What happened to the worker.
        fault: super::isolate::fault::WorkerFault,
    },
    /// An earlier call failed in a way that retires the driver.
    Disabled(Box<Failure>),
}

fn millis(d: &Duration) -> u128 {
    d.as_millis()
}

impl Failure {
    /// A phrase completing "exporter 'x' (source) …".
    pub fn describe(&self) -> String {
        match self {
            Failure::Returned(m) => format!("returned an error: {m}"),
            Failure::Panicked(m) => format!("panicked: {m}"),
            Failure::Invalid(m) => format!("returned an invalid result: {m}"),
            Failure::TimedOut(d) => {
                format!(
                    "timed out after {} ms (the stuck call's thread was abandoned)",
                    millis(d)
                )
            }
            Failure::Abandoned(d) => {
                format!("is unavailable: an earlier call timed out after {} ms", millis(d))
            }
            Failure::Construct(inner) => format!("could not be constructed: it {}", inner.describe()),
            Failure::Worker { plugin, fault } => {
                format!(
                    "failed in its isolated worker (plugin {plugin}): the worker {}",
                    fault.describe()
                )
            }
            Failure::Disabled(inner) => format!("is unavailable: an earlier call {}", inner.describe()),
        }
    }

    /// A short cause for texts shaped like the reference's `raised (...)`.
    pub fn cause(&self) -> String {
        match self {
            Failure::Returned(m) => format!("error: {m}"),
            Failure::Panicked(m) => format!("panic: {m}"),
            Failure::Invalid(m) => format!("invalid result: {m}"),
            Failure::TimedOut(d) => format!("timed out after {} ms; call abandoned", millis(d)),
            Failure::Abandoned(d) => format!("unavailable after a timeout of {} ms", millis(d)),
            Failure::Construct(inner) => match inner.as_ref() {
                Failure::Returned(m) => format!("constructor failed: {m}"),
                other => format!("constructor failed: {}", other.cause()),
            },
            Failure::Worker { plugin, fault } => {
                format!("isolated worker of plugin {plugin} {}", fault.describe())
            }
            Failure::Disabled(inner) => format!("unavailable after: {}", inner.cause()),
        }
    }

    /// Map an SDK error value from across the boundary.
    pub fn from_ffi(e: dos_plugin_api::FfiError) -> Failure {
        if e.kind == dos_plugin_api::FfiError::PANICKED {
            Failure::Panicked(e.message.into_string())
        } else {
            Failure::Returned(e.message.into_string())
        }
    }
}

type Slot<D> = Arc<Mutex<Option<Box<D>>>>;
type Job = Box<dyn FnOnce() + Send>;

/// Owns one driver and runs every call to it fail-softly.
pub struct Caller<D: ?Sized + Send + 'static> {
    slot: Slot<D>,
    timeout: Option<Duration>,
    worker: Option<Sender<Job>>,
    broken: Option<Failure>,
    flight: Option<Flight>,
    /// The driver is plugin code in this process: its calls run with
    /// stdout pointed at stderr ([`super::stdout_guard`]).
    plugin_code: bool,
}

/// Run `job`, turning a panic into [`Failure::Panicked`].
fn unwind_guarded<R>(job: impl FnOnce() -> Result<R, Failure>) -> Result<R, Failure> {
    match catch_unwind(AssertUnwindSafe(job)) {
        Ok(r) => r,
        Err(payload) => Err(Failure::Panicked(dos_plugin_api::sdk::panic_payload_text(
            payload,
        ))),
    }
}

impl<D: ?Sized + Send + 'static> Caller<D> {
    /// Construct the driver with `ctor` under the same guards as a call.
    /// `timeout = None` calls directly on the caller's thread.
    pub fn construct(
        timeout: Option<Duration>,
        ctor: impl FnOnce() -> Result<Box<D>, Failure> + Send + 'static,
    ) -> Self {
        Self::build(timeout, None, false, ctor)
    }

    /// [`construct`](Self::construct) for a driver that is in-process plugin
    /// code: every call (the constructor included) runs with stdout pointed
    /// at stderr, and is noted in the crash journal under `flight` (if any)
    /// while it runs.
    pub fn construct_marked(
        timeout: Option<Duration>,
        flight: Option<Flight>,
        ctor: impl FnOnce() -> Result<Box<D>, Failure> + Send + 'static,
    ) -> Self {
        Self::build(timeout, flight, true, ctor)
    }

    fn build(
        timeout: Option<Duration>,
        flight: Option<Flight>,
        plugin_code: bool,
        ctor: impl FnOnce() -> Result<Box<D>, Failure> + Send + 'static,
    ) -> Self {
        let mut caller = Caller {
            slot: Arc::new(Mutex::new(None)),
            timeout,
            worker: None,
            broken: None,
            flight,
            plugin_code,
        };
        let slot = caller.slot.clone();
        let outcome = caller.run(move || {
            let driver = ctor()?;
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(driver);
            Ok(())
        });
        if let Err(failure) = outcome {
            caller.broken = Some(match failure {
                Failure::TimedOut(d) => Failure::Construct(Box::new(Failure::TimedOut(d))),
                other => Failure::Construct(Box::new(other)),
            });
        }
        caller
    }

    /// Whether construction failed (or a call timed out); the failure if so.
    pub fn broken(&self) -> Option<&Failure> {
        self.broken.as_ref()
    }

    /// Call the driver. Never panics and never blocks past the timeout.
    pub fn call<R: Send + 'static>(
        &mut self,
        f: impl FnOnce(&mut D) -> Result<R, Failure> + Send + 'static,
    ) -> Result<R, Failure> {
        if let Some(b) = &self.broken {
            return Err(b.clone());
        }
        let slot = self.slot.clone();
        let outcome = self.run(move || {
            let mut guard = slot.lock().unwrap_or_else(|p| p.into_inner());
            match guard.as_mut() {
                Some(driver) => f(driver),
                None => Err(Failure::Invalid("driver missing".into())),
            }
        });
        match &outcome {
            Err(Failure::TimedOut(d)) => self.broken = Some(Failure::Abandoned(*d)),
            Err(f @ Failure::Worker { .. }) => self.broken = Some(Failure::Disabled(Box::new(f.clone()))),
            _ => {}
        }
        outcome
    }

    fn run<R: Send + 'static>(
        &mut self,
        job: impl FnOnce() -> Result<R, Failure> + Send + 'static,
    ) -> Result<R, Failure> {
        // In flight exactly while this thread waits for the call: a call
        // that times out is abandoned, not a crash, and must not stay marked
        // (the next run would count this process as one that died in it).
        let _in_flight = self.flight.as_ref().map(Flight::enter);
        // The same span for stdout: a plugin's prints go to stderr.
        let _stdout = self.plugin_code.then(super::stdout_guard::redirect);
        let Some(timeout) = self.timeout else {
            return unwind_guarded(job);
        };
        let guarded = move || unwind_guarded(job);
        let worker = match &self.worker {
            Some(w) => w.clone(),
            None => {
                let (tx, rx) = channel::<Job>();
                let spawned = std::thread::Builder::new()
                    .name("dos-plugin-call".into())
                    .spawn(move || {
                        while let Some(job) = spin_then_recv(&rx, None) {
                            job();
                        }
                    });
                if let Err(e) = spawned {
                    return Err(Failure::Returned(format!("cannot start the call thread: {e}")));
                }
                self.worker = Some(tx.clone());
                tx
            }
        };
        let (done_tx, done_rx) = channel();
        let sent = worker.send(Box::new(move || {
            let _ = done_tx.send(guarded());
        }));
        if sent.is_err() {
            return Err(Failure::Returned("the call thread is gone".into()));
        }
        match spin_then_recv(&done_rx, Some(timeout)) {
            Some(r) => r,
            None => {
                // Abandon the stuck worker: dropping our sender lets it exit if
                // the call ever returns.
                self.worker = None;
                Err(Failure::TimedOut(timeout))
            }
        }
    }
}

/// How long a waiting side polls before it sleeps. Waking a sleeping thread
/// costs tens of microseconds on some VMs; a short poll keeps back-to-back
/// calls (a drain, a judge-eval run) off that path.
const SPIN: Duration = Duration::from_micros(40);

/// Receive from `rx`: poll briefly, then block (up to `timeout`, or for
/// good). `None` when the deadline passed or the sender is gone.
fn spin_then_recv<T>(rx: &Receiver<T>, timeout: Option<Duration>) -> Option<T> {
    let start = Instant::now();
    loop {
        match rx.try_recv() {
            Ok(v) => return Some(v),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) if start.elapsed() < SPIN => std::hint::spin_loop(),
            Err(TryRecvError::Empty) => break,
        }
    }
    match timeout {
        None => rx.recv().ok(),
        Some(t) => rx.recv_timeout(t.saturating_sub(start.elapsed())).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    trait Counter: Send {
        fn bump(&mut self) -> u32;
    }
    struct C(u32);
    impl Counter for C {
        fn bump(&mut self) -> u32 {
            self.0 += 1;
            self.0
        }
    }

    fn make(timeout: Option<Duration>) -> Caller<dyn Counter> {
        Caller::construct(timeout, || Ok(Box::new(C(0)) as Box<dyn Counter>))
    }

    #[test]
    fn direct_and_threaded_calls_reach_the_driver() {
        for timeout in [None, Some(Duration::from_secs(5))] {
            let mut c = make(timeout);
            assert_eq!(c.call(|d| Ok(d.bump())), Ok(1));
            assert_eq!(c.call(|d| Ok(d.bump())), Ok(2));
        }
    }

    #[test]
    fn panics_become_failures() {
        for timeout in [None, Some(Duration::from_secs(5))] {
            let mut c = make(timeout);
            let r: Result<(), Failure> = c.call(|_| panic!("kaput"));
            assert_eq!(r, Err(Failure::Panicked("kaput".into())));
            assert_eq!(
                c.call(|d| Ok(d.bump())),
                Ok(1),
                "driver still usable after a panic"
            );
        }
    }

    #[test]
    fn timeout_abandons_the_driver() {
        let mut c = make(Some(Duration::from_millis(50)));
        let r: Result<(), Failure> = c.call(|_| {
            std::thread::sleep(Duration::from_millis(400));
            Ok(())
        });
        assert_eq!(r, Err(Failure::TimedOut(Duration::from_millis(50))));
        assert_eq!(
            c.call(|d| Ok(d.bump())),
            Err(Failure::Abandoned(Duration::from_millis(50)))
        );
    }

    #[test]
    fn constructor_failure_is_remembered() {
        let mut c: Caller<dyn Counter> =
            Caller::construct(None, || Err(Failure::Returned("no config".into())));
        let r = c.call(|d| Ok(d.bump()));
        assert_eq!(
            r,
            Err(Failure::Construct(Box::new(Failure::Returned(
                "no config".into()
            ))))
        );
        let mut c: Caller<dyn Counter> =
            Caller::construct(Some(Duration::from_secs(1)), || panic!("ctor boom"));
        assert!(matches!(c.call(|d| Ok(d.bump())), Err(Failure::Construct(_))));
    }

    #[test]
    fn a_constructor_error_is_named_once() {
        let returned = Failure::Construct(Box::new(Failure::Returned("[judges.x] k: bad".into())));
        assert_eq!(returned.cause(), "constructor failed: [judges.x] k: bad");
        let panicked = Failure::Construct(Box::new(Failure::Panicked("boom".into())));
        assert_eq!(panicked.cause(), "constructor failed: panic: boom");
    }
}
