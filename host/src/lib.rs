//! The `dos` kernel host as a library: workspace and configuration, the
//! plugin host, and the command implementations the `dos` binary dispatches
//! to. Tests and benchmarks call these directly.

pub mod cli;
pub mod config;
pub mod decisions;
pub mod journal;
pub mod judge;
pub mod notify;
pub mod plugin_host;
pub mod scout;
pub mod stop;
pub mod workspace;

pub use dos_plugin_api::pyjson;
