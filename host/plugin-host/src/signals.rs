//! The operator's signals (SIGINT from Ctrl-C, SIGTERM, SIGHUP) are never a
//! plugin's crash.
//!
//! A run that dies while an in-process plugin call is in flight leaves its
//! in-flight marker behind, and the next run counts that as a crash of the
//! plugin ([`super::quarantine`]). When the operator interrupts or
//! terminates a run (say, while a collector is slow), that would quarantine
//! a healthy plugin. So, once this process has a marker, a handler for
//! those three signals removes every marker of the process and then lets
//! the signal take its default course (the process dies by that signal: a
//! shell reports 130, 143 or 129, as before).
//!
//! What still counts as a crash: death by a fatal signal raised by the code
//! that ran (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT), `exit()` from inside
//! a plugin, and SIGKILL. SIGKILL cannot be caught, so it cannot be told
//! apart; its usual senders are the kernel's OOM killer (a plugin that ate
//! the memory) and an operator or supervisor ending a run that no longer
//! answers (a wedged plugin) — both about the plugin. An operator who wants
//! a run gone without blame uses Ctrl-C or `kill` (SIGTERM).
//!
//! A signal the process inherited as ignored (`nohup`, a background job of
//! a non-interactive shell) is left ignored: no handler is installed for it.
//!
//! The handler does only async-signal-safe things: it reads marker paths
//! from a fixed table of atomic pointers to C strings that are never freed,
//! calls `unlink(2)` on each, and re-raises through `signal-hook`.

use std::ffi::{c_char, c_int, CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Once;

/// The signals an operator sends to end a run.
pub const OPERATOR_SIGNALS: [c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// How many markers one process can have registered at once (one per state
/// directory in use; a process normally has one).
const SLOTS: usize = 32;

/// Marker paths to remove when an operator signal arrives: null or a
/// leaked, NUL-terminated path (leaked so that a handler that loaded a
/// pointer can always read it, whatever the registering thread does next).
static MARKERS: [AtomicPtr<c_char>; SLOTS] = [const { AtomicPtr::new(null_mut()) }; SLOTS];

static INSTALL: Once = Once::new();

/// A marker path registered with the handler; unregistered on drop.
#[derive(Debug)]
pub struct Registration {
    slot: usize,
}

impl Drop for Registration {
    fn drop(&mut self) {
        MARKERS[self.slot].store(null_mut(), Ordering::Release);
    }
}

/// Have the operator-signal handler remove `path` (installing the handler
/// on first use). `None` when the path cannot be a C string or every slot
/// is taken: an interruption then counts as before.
pub fn register_marker(path: &Path) -> Option<Registration> {
    INSTALL.call_once(install);
    let c = CString::new(path.as_os_str().as_bytes()).ok()?;
    let leaked: &'static CStr = Box::leak(c.into_boxed_c_str());
    let ptr = leaked.as_ptr().cast_mut();
    MARKERS.iter().enumerate().find_map(|(slot, cell)| {
        cell.compare_exchange(null_mut(), ptr, Ordering::AcqRel, Ordering::Acquire)
            .ok()
            .map(|_| Registration { slot })
    })
}

/// Whether `sig` is currently ignored (inherited `SIG_IGN`).
fn ignored(sig: c_int) -> bool {
    // SAFETY: `sigaction` with a null new action only reads the current
    // one into `old`, a valid, writable, zero-initialised `sigaction`
    // (all-zero is a valid bit pattern for that plain C struct).
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(sig, std::ptr::null(), &mut old) == 0 && old.sa_sigaction == libc::SIG_IGN
    }
}

fn install() {
    for sig in OPERATOR_SIGNALS {
        if ignored(sig) {
            continue;
        }
        // SAFETY: `signal-hook` requires the action to be async-signal-safe.
        // `on_operator_signal` only loads atomics, calls `unlink(2)` through
        // rustix (a plain system call, no allocation, no locks) and
        // `emulate_default_handler`, which `signal-hook` documents as
        // async-signal-safe.
        let _ = unsafe { signal_hook::low_level::register(sig, move || on_operator_signal(sig)) };
    }
}

/// The handler: forget this run's in-flight notes, then die by `sig`.
fn on_operator_signal(sig: c_int) {
    for cell in &MARKERS {
        let ptr = cell.load(Ordering::Acquire);
        if ptr.is_null() {
            continue;
        }
        // SAFETY: every non-null pointer in `MARKERS` comes from a leaked
        // `CString` (NUL-terminated, never freed, never written again).
        let path = unsafe { CStr::from_ptr(ptr) };
        let _ = rustix::fs::unlink(path);
    }
    let _ = signal_hook::low_level::emulate_default_handler(sig);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrations_take_and_free_slots() {
        let dir = tempfile::tempdir().unwrap();
        let a = register_marker(&dir.path().join("a")).unwrap();
        let b = register_marker(&dir.path().join("b")).unwrap();
        assert_ne!(a.slot, b.slot);
        let slot = a.slot;
        drop(a);
        assert!(MARKERS[slot].load(Ordering::Acquire).is_null());
        assert!(register_marker(Path::new("nul\0inside")).is_none());
    }
}
