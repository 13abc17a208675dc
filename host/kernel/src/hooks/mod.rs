//! Agent hooks: the pure decisions (tool-stream repetition, wait-marker
//! budget, exec capability, hook exit codes, PRE admission), the JSON reader
//! and digests they rest on, the per-session files under `.dos/`, and the
//! dialect renderers (shared with the stop hook). The CLI verbs that wire
//! them to stdin/stdout live in the `dos-hook` crate.
//!
//! Verdict-journal syscalls recorded when `DISPATCH_OBSERVE` is armed:
//! `hook_posttool` (ADVANCING/REPEATING/STALLED), `hook_marker`
//! (BLOCK/EXHAUSTED/UNARMED/RESET), `hook_pretool` (PASS/WARN/DENY),
//! `exec_capability` and `hook_exit` (as the reference).

pub mod admission;
pub mod canon;
pub mod config;
pub mod dialect;
pub mod dialect_input;
pub mod exec_capability;
pub mod footprint;
pub mod hook_exit;
pub mod install;
pub mod install_merge;
pub mod io;
pub mod leases;
pub mod marker;
pub mod observation;
pub mod posture;
pub mod pretool;
pub mod session;
pub mod store;
pub mod tool_stream;
