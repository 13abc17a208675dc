//! The `dos` kernel host as a library: workspace and configuration, the
//! plugin host, and the command implementations the `dos` binary dispatches
//! to. Tests and benchmarks call these directly.

pub mod cli;
pub mod config;
pub mod config_check;
pub mod decisions;
pub mod demo;
pub mod export;
pub mod hooks;
pub mod journal;
pub mod judge;
pub mod lanes;
pub mod notify;
pub mod observe;
pub mod oracle;
pub mod plugin_host;
pub mod run_id;
pub mod safe_fs;
pub mod scout;
pub mod stop;
pub mod tailscan;
pub mod witness;
pub mod workspace;
pub mod yaml;
