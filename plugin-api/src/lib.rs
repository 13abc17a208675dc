//! `dos-plugin-api`: the stable interface between the `dos` host and the
//! exporters, notifiers, stop policies and judges it loads from `cdylib` files.
//!
//! Plugin authors implement the plain traits in [`sdk`] ([`Exporter`],
//! [`Notifier`], [`StopPolicy`], [`Judge`]), register constructors in a
//! registration function and export the file with [`export_plugin!`]. The
//! frozen FFI tables live in [`ffi`]; see its docs for the versioning rule.
//! The plugin author's guide is this crate's `README.md`.
//!
//! Shared helpers for plugins: [`pyvalue`] (Python-faithful record decoding
//! and `str()` rendering), [`pystr`] (Python `str` behaviours), [`process`]
//! (a shell command with a timeout, Unix), and behind optional cargo features
//! `http` (a blocking `ureq` POST edge) and `test-support` (test helpers).

pub mod dotenv;
pub mod evidence;
pub mod ffi;
#[cfg(feature = "http")]
pub mod http;
#[cfg(unix)]
pub mod process;
pub mod pyjson;
pub mod pystr;
pub mod pyvalue;
pub mod sdk;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod types;

pub use ffi::{EventRef, FfiError, FfiResult, PluginRoot, PluginRoot_Ref};
pub use sdk::{
    guarded, Exporter, GenericDriver, Judge, Notifier, PluginError, PluginGlue, Registry, StopPolicy,
};
pub use types::{
    Claim, DriverConfig, DriverDecl, ExportResult, Group, JudgeVerdict, Manifest, Notification, NotifyAction,
    NotifyResult, Severity, Stance, StopStance, StopVerdict,
};

/// Re-exported so the [`export_plugin!`] expansion and authors use the exact
/// abi_stable this interface was built with.
pub use abi_stable;

/// The version of this interface crate, recorded in every plugin's manifest.
pub const API_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The interface's major version: plugins load only into hosts of the same major.
pub const API_MAJOR: &str = "1";
