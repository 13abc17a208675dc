//! The `dos` binary: everything lives in the library; this only dispatches.

fn main() {
    std::process::exit(dos::cli::run(std::env::args_os()));
}
