//! The `dos` binary: the command line over the kernel (`dos-core`), the
//! plugin host (`dos-plugin-host`) and the per-call hooks (`dos-hook`).
//! Everything here is private to the binary: nothing depends on it. It plugs
//! the plugin host into the kernel's seams (`plugin_groups`: hook dialects
//! and installers) and owns the commands that need plugins (export, notify,
//! witness, judge, scout, stop) and the demo.

mod cli;
mod demo;
mod export;
mod judge;
mod notify;
mod plugin_groups;
mod scout;
mod stop;
mod witness;

// The kernel's and the plugin host's modules, at the paths they had when
// all of this was one crate.
use dos_core::{
    config, config_check, decisions, hooks, journal, lanes, observe, oracle, run_id, safe_fs, workspace,
};
use dos_plugin_host as plugin_host;

fn main() {
    std::process::exit(cli::run(std::env::args_os()));
}
