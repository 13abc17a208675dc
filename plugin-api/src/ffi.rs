#![allow(non_camel_case_types, non_local_definitions)]
//! The frozen FFI surface: the root module every plugin file exports and the
//! trait-object tables the host calls through.
//!
//! # Versioning rule
//!
//! Everything in this module is frozen for a major version of `dos-plugin-api`.
//! abi_stable rejects a plugin whose root module or vtables have *fewer* fields
//! than the host expects, so growing a table would lock out every older plugin.
//! Growth therefore travels as data: configuration, contexts, results and the
//! less frequent value types cross the boundary as JSON text, and new groups use
//! the generic [`new_driver`](PluginRoot::new_driver) channel. A minor release may
//! add JSON keys (readers ignore unknown keys and default missing ones), new
//! groups, and helpers; only a major release may touch this file.

use abi_stable::{
    declare_root_module_statics,
    library::RootModule,
    package_version_strings, sabi_trait,
    sabi_types::VersionStrings,
    std_types::{RResult, RSlice, RStr, RString},
    StableAbi,
};

/// One verdict event handed to an exporter, borrowed from the host's batch
/// buffer so the host allocates nothing per event.
///
/// `record` is the event in the verdict journal's own line shape (one JSON
/// object, sorted keys, no trailing newline); `seq` is its journal sequence
/// number, repeated here so exporters can compute cursors without parsing.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy)]
pub struct EventRef<'a> {
    /// The event's journal sequence number.
    pub seq: i64,
    /// The event as one JSON object in the journal's line shape.
    pub record: RStr<'a>,
}

/// Why a plugin call did not produce a value.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct FfiError {
    /// [`FfiError::RETURNED`] or [`FfiError::PANICKED`]; other values are
    /// reserved and treated as "returned".
    pub kind: u32,
    /// Human-readable text: the error's message or the panic payload.
    pub message: RString,
}

impl FfiError {
    /// The driver returned an error value.
    pub const RETURNED: u32 = 1;
    /// The driver panicked; the SDK caught it before it reached the boundary.
    pub const PANICKED: u32 = 2;
}

/// Result of every fallible call across the boundary.
pub type FfiResult<T> = RResult<T, FfiError>;

/// Exporter driver table: ships a batch of verdict events.
#[sabi_trait]
pub trait ExporterFfi: Send {
    /// Export `events`; `ctx` is a JSON object of call options (may be `{}`).
    /// Returns an `ExportResult` as JSON.
    fn export(&mut self, events: RSlice<'_, EventRef<'_>>, ctx: RStr<'_>) -> FfiResult<RString>;
}

/// Notifier driver table: delivers one notification.
#[sabi_trait]
pub trait NotifierFfi: Send {
    /// Send the `Notification` given as JSON; returns a `NotifyResult` as JSON.
    fn send(&mut self, notification: RStr<'_>) -> FfiResult<RString>;
}

/// Stop-policy driver table: decides whether the loop halts.
#[sabi_trait]
pub trait StopPolicyFfi: Send {
    /// Decide on the scout-state view given as JSON; returns a `StopVerdict` as JSON.
    fn decide(&mut self, state: RStr<'_>) -> FfiResult<RString>;
}

/// Judge driver table: rules on one claim.
#[sabi_trait]
pub trait JudgeFfi: Send {
    /// Rule on the `Claim` given as JSON; returns a `JudgeVerdict` as JSON.
    fn rule(&mut self, claim: RStr<'_>) -> FfiResult<RString>;
}

/// Generic driver table for groups added after this major version froze:
/// a method name and a JSON input in, JSON out.
#[sabi_trait]
pub trait DriverFfi: Send {
    /// Invoke `method` with a JSON `input`; returns JSON.
    fn call(&mut self, method: RStr<'_>, input: RStr<'_>) -> FfiResult<RString>;
}

/// An owned exporter trait object.
pub type ExporterBox = ExporterFfi_TO<'static, abi_stable::std_types::RBox<()>>;
/// An owned notifier trait object.
pub type NotifierBox = NotifierFfi_TO<'static, abi_stable::std_types::RBox<()>>;
/// An owned stop-policy trait object.
pub type StopPolicyBox = StopPolicyFfi_TO<'static, abi_stable::std_types::RBox<()>>;
/// An owned judge trait object.
pub type JudgeBox = JudgeFfi_TO<'static, abi_stable::std_types::RBox<()>>;
/// An owned generic driver trait object.
pub type DriverBox = DriverFfi_TO<'static, abi_stable::std_types::RBox<()>>;

/// The root module of a plugin file. Constructors take the driver name and its
/// configuration as a JSON object (the CLI's option bag merged with the
/// driver's `dos.toml` table).
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginRoot_Ref)))]
#[sabi(missing_field(panic))]
pub struct PluginRoot {
    /// The plugin's manifest as JSON: name, version, api_version, drivers.
    pub manifest: extern "C" fn() -> FfiResult<RString>,
    /// Construct the exporter `name`.
    pub new_exporter: extern "C" fn(name: RStr<'_>, config: RStr<'_>) -> FfiResult<ExporterBox>,
    /// Construct the notifier `name`.
    pub new_notifier: extern "C" fn(name: RStr<'_>, config: RStr<'_>) -> FfiResult<NotifierBox>,
    /// Construct the stop policy `name`.
    pub new_stop_policy: extern "C" fn(name: RStr<'_>, config: RStr<'_>) -> FfiResult<StopPolicyBox>,
    /// Construct the judge `name`.
    pub new_judge: extern "C" fn(name: RStr<'_>, config: RStr<'_>) -> FfiResult<JudgeBox>,
    /// Construct a driver of any other group (`group`, `name`).
    #[sabi(last_prefix_field)]
    pub new_driver: extern "C" fn(group: RStr<'_>, name: RStr<'_>, config: RStr<'_>) -> FfiResult<DriverBox>,
}

impl RootModule for PluginRoot_Ref {
    declare_root_module_statics! {PluginRoot_Ref}
    const BASE_NAME: &'static str = "dos_plugin";
    const NAME: &'static str = "dos_plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}
