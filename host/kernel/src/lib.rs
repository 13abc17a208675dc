//! `dos-core`: the kernel that judges — workspace and configuration, the
//! verdict and lane journals, lanes, decisions, the ship oracle, the agent
//! hooks' decisions and the files they keep under `.dos/`.
//!
//! It loads no plugins and may not depend on `dos-plugin-host`, `dos-hook`,
//! the `dos` binary, `abi_stable` or `libloading`. Where a verb can be
//! extended by a plugin (hook dialects), the kernel defines the seam and its
//! built-in baseline ([`hooks::dialect::ExternalDialect`]) and the `dos`
//! binary plugs the plugin host in. The standalone `dos-hook` binary depends
//! on this crate only. The one interim exception: the Python-semantics
//! helpers (`pyjson`, `pyvalue`, `pystr`) still come from `dos-plugin-api`,
//! whose `abi_stable` the kernel does not use, until they have a crate of
//! their own.

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
pub mod pyrepr;
pub mod run_id;
pub mod safe_fs;
pub mod tailscan;
pub mod workspace;
pub mod yaml;

pub use dos_plugin_api::pyjson;
