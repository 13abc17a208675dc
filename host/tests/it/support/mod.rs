//! Helpers shared by the integration test modules, one submodule per
//! concern. `plugin_support` is shared with the cross-crate plugin tests
//! (the `dos-tests` package under the repository's `tests/`), which include
//! the same file.

pub mod collectd_support;
pub mod export_support;
pub mod hooks_common;
pub mod init_common;
pub mod notify_support;
#[path = "../../../../tests/it/support/plugin_support.rs"]
pub mod plugin_support;
pub mod ref030_support;

/// The `dos` binary under test: cargo builds it for this package's tests.
pub fn dos_exe() -> &'static str {
    env!("CARGO_BIN_EXE_dos")
}
