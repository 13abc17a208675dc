//! The `dos` kernel host as a library: workspace and configuration, the
//! plugin host, and the command implementations the `dos` binary dispatches
//! to. Tests and benchmarks call these directly.

pub mod cli;
pub mod config;
pub mod hooks;
pub mod journal;
pub mod plugin_host;
pub mod workspace;

pub use dos_plugin_api::pyjson;
