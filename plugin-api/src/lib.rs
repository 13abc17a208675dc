#![deny(missing_docs)]
//! `dos-plugin-api`: the stable interface between the `dos` host and the
//! exporters, notifiers, stop policies and judges it loads from `cdylib` files.
//!
//! Plugin authors implement the plain traits in [`sdk`] ([`Exporter`],
//! [`Notifier`], [`StopPolicy`], [`Judge`]), register constructors in a
//! registration function and export the file with [`export_plugin!`]. The
//! frozen FFI tables live in [`ffi`]; see its docs for the versioning rule.
//! The plugin author's guide is this crate's `README.md`.
//!
//! A complete notifier plugin, with its configuration read into a typed
//! struct (the host hands every constructor its `dos.toml` table):
//!
//! ```
//! use dos_plugin_api::{DriverConfig, Notification, Notifier, NotifyResult, PluginError, Registry};
//!
//! #[derive(serde::Deserialize)]
//! struct Config {
//!     url: String,
//!     #[serde(default)]
//!     dry_run: bool,
//! }
//!
//! struct Hook(Config);
//!
//! impl Notifier for Hook {
//!     fn send(&mut self, n: &Notification) -> Result<NotifyResult, PluginError> {
//!         if self.0.dry_run {
//!             // `dry_run` means: build the message, send nothing.
//!             return Ok(NotifyResult { delivered: false, detail: format!("dry run: {}", n.title), ..Default::default() });
//!         }
//!         Ok(NotifyResult { delivered: true, detail: format!("posted to {}", self.0.url), ..Default::default() })
//!     }
//! }
//!
//! fn register(r: &mut Registry) {
//!     r.notifier("hook", |cfg: &DriverConfig| Ok(Hook(cfg.parse::<Config>()?)));
//! }
//!
//! dos_plugin_api::export_plugin!(name: "dos-notify-hook", version: "0.1.0", register: register);
//!
//! # fn main() {
//! let cfg = DriverConfig::from_json(r#"{"url": "http://127.0.0.1:9/x", "dry_run": true}"#).unwrap();
//! let mut hook = Hook(cfg.parse().unwrap());
//! let n = Notification { severity: dos_plugin_api::Severity::Info, title: "hi".into(), summary: String::new(),
//!                        fields: vec![], key: String::new(), source: String::new(), action: None };
//! assert!(!hook.send(&n).unwrap().delivered);
//! # }
//! ```
//!
//! The crate is the FFI tables ([`ffi`]), the types ([`types`],
//! [`config`]), the SDK ([`sdk`]) and the evidence adapter ([`evidence`]).
//! Shared helpers are re-exported under their 1.x paths from the crates
//! that own them: from `dos-py` (Python's semantics, the host's own),
//! [`pyjson`] (`json.dumps`), [`pyvalue`] (Python-faithful record decoding
//! and `str()` rendering) and [`pystr`] (Python `str` behaviours); from
//! `dos-plugin-support`, [`dotenv`], [`process`] (a shell command with a
//! timeout, Unix), and behind optional cargo features `http` (a blocking
//! `ureq` POST edge) and `test-support` (test helpers).

pub mod config;
pub use dos_plugin_support::dotenv;
pub mod evidence;
// abi_stable's `#[sabi_trait]` and `StableAbi` derives expand to `unsafe`
// impls and calls (the layout-checked vtables that make the tables safe to
// share across the FFI boundary); the module has no hand-written `unsafe`.
#[allow(unsafe_code)]
pub mod ffi;
#[cfg(feature = "http")]
pub use dos_plugin_support::http;
#[cfg(unix)]
pub use dos_plugin_support::process;
pub mod pyjson;
pub mod pystr;
pub mod pyvalue;
pub mod sdk;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod types;

pub use config::ConfigError;
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

/// The author's guide (`README.md`), compiled as doctests so its Rust
/// examples keep building.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
