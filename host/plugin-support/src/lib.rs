#![deny(missing_docs)]
//! `dos-plugin-support`: the helpers plugins share that are not part of the
//! plugin interface, so changing one never moves `dos-plugin-api`'s version:
//! [`dotenv`] (the `.env` reader and the setting ladder), [`process`] (a
//! shell command with a timeout, Unix), and behind cargo features `http` (a
//! blocking `ureq` POST edge) and `test-support` (test helpers).
//!
//! `dos-plugin-api` re-exports every module under its old path
//! (`dos_plugin_api::http`, …), so plugins need not name this crate.
//!
//! What it may not depend on: no `abi_stable`, no plugin API (the interface
//! depends on it, not the other way round), no host code. Python semantics
//! come from `dos-py`.

pub mod dotenv;
#[cfg(feature = "http")]
pub mod http;
#[cfg(unix)]
pub mod process;
#[cfg(feature = "test-support")]
pub mod test_support;
