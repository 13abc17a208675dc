//! `dos-hook`: the per-tool-call hooks (`posttool`, `pretool`, `marker`) as a
//! small binary of their own, the counterpart of the reference's native
//! `dos/_bin/dos-hook`. Same verbs, flags, files and output as `dos hook …`;
//! its crate depends on `dos-core` only (no plugin host, no plugin loading),
//! so it starts faster.

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    std::process::exit(dos_hook::run_native(&args));
}
