//! `dos-core`: the kernel that judges — workspace and configuration, the
//! verdict and lane journals, lanes, decisions, the ship oracle, the agent
//! hooks' decisions and the files they keep under `.dos/`.
//!
//! It loads no plugins and may not depend on `dos-plugin-host`, `dos-hook`,
//! the `dos` binary, `abi_stable` or `libloading`. Where a verb can be
//! extended by a plugin (hook dialects), the kernel defines the seam and its
//! built-in baseline ([`hooks::dialect::ExternalDialect`]) and the `dos`
//! binary plugs the plugin host in. The standalone `dos-hook` binary depends
//! on this crate only. Python's semantics (`json.dumps`/`json.loads`,
//! `repr`, `int()`, the calendar, the clock) come from `dos-py`.

pub mod config;
pub mod config_check;
pub mod decisions;
pub mod export_cursor;
pub mod hooks;
pub mod journal;
pub mod lanes;
pub mod locked_append;
pub mod observe;
pub mod oracle;
pub mod run_id;
pub mod safe_fs;
pub mod tailscan;
pub mod workspace;
pub mod yaml;
