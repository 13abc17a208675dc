//! The plugin author's side: plain Rust traits, a registry of constructors,
//! and the glue that turns them into the FFI tables with every panic caught.

use crate::ffi::{
    DriverBox, DriverFfi, DriverFfi_TO, EventRef, ExporterBox, ExporterFfi, ExporterFfi_TO, FfiError,
    FfiResult, JudgeBox, JudgeFfi, JudgeFfi_TO, NotifierBox, NotifierFfi, NotifierFfi_TO, StopPolicyBox,
    StopPolicyFfi, StopPolicyFfi_TO,
};
use crate::types::{
    Claim, DriverConfig, DriverDecl, ExportResult, Group, JudgeVerdict, Manifest, Notification, NotifyResult,
    StopVerdict,
};
use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RBox, RErr, ROk, RSlice, RStr, RString};
use serde::Serialize;
use std::cell::RefCell;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// An error a driver returns; the host turns it into the group's safe result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginError(pub String);

impl PluginError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        PluginError(message.into())
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PluginError {}

impl From<String> for PluginError {
    fn from(s: String) -> Self {
        PluginError(s)
    }
}

impl From<&str> for PluginError {
    fn from(s: &str) -> Self {
        PluginError(s.to_string())
    }
}

/// An exporter: ships a batch of verdict events and says how many landed.
pub trait Exporter: Send {
    /// Export the batch. Report only what the transport confirmed in
    /// `exported`; the host never advances its cursor past undelivered events.
    fn export(&mut self, events: &[EventRef<'_>]) -> Result<ExportResult, PluginError>;
}

/// A notifier: delivers one message to a human.
pub trait Notifier: Send {
    /// Deliver the notification.
    fn send(&mut self, notification: &Notification) -> Result<NotifyResult, PluginError>;
}

/// A stop policy: decides whether the autonomous loop halts.
pub trait StopPolicy: Send {
    /// Decide on a read-only view of the scout state (a JSON object).
    fn decide(&mut self, state: &serde_json::Value) -> Result<StopVerdict, PluginError>;
}

/// A judge: rules on one claim from un-authored evidence.
pub trait Judge: Send {
    /// Rule on the claim.
    fn rule(&mut self, claim: &Claim) -> Result<JudgeVerdict, PluginError>;
}

/// A driver of a group served by the generic channel (e.g. evidence sources).
pub trait GenericDriver: Send {
    /// Invoke `method` with a JSON input; return JSON.
    fn call(&mut self, method: &str, input: &serde_json::Value) -> Result<serde_json::Value, PluginError>;
}

type Ctor<T> = Box<dyn Fn(&DriverConfig) -> Result<T, PluginError> + Send + Sync>;
type GenericEntry = (String, String, Ctor<Box<dyn GenericDriver>>);

/// The constructors one plugin file provides, filled by the author's
/// registration function.
#[derive(Default)]
pub struct Registry {
    exporters: Vec<(String, Ctor<Box<dyn Exporter>>)>,
    notifiers: Vec<(String, Ctor<Box<dyn Notifier>>)>,
    stop_policies: Vec<(String, Ctor<Box<dyn StopPolicy>>)>,
    judges: Vec<(String, Ctor<Box<dyn Judge>>)>,
    generic: Vec<GenericEntry>,
}

impl Registry {
    /// Provide the exporter `name`.
    pub fn exporter<E, F>(&mut self, name: &str, ctor: F) -> &mut Self
    where
        E: Exporter + 'static,
        F: Fn(&DriverConfig) -> Result<E, PluginError> + Send + Sync + 'static,
    {
        self.exporters.push((
            name.to_string(),
            Box::new(move |c| Ok(Box::new(ctor(c)?) as Box<dyn Exporter>)),
        ));
        self
    }

    /// Provide the notifier `name`.
    pub fn notifier<N, F>(&mut self, name: &str, ctor: F) -> &mut Self
    where
        N: Notifier + 'static,
        F: Fn(&DriverConfig) -> Result<N, PluginError> + Send + Sync + 'static,
    {
        self.notifiers.push((
            name.to_string(),
            Box::new(move |c| Ok(Box::new(ctor(c)?) as Box<dyn Notifier>)),
        ));
        self
    }

    /// Provide the stop policy `name`.
    pub fn stop_policy<P, F>(&mut self, name: &str, ctor: F) -> &mut Self
    where
        P: StopPolicy + 'static,
        F: Fn(&DriverConfig) -> Result<P, PluginError> + Send + Sync + 'static,
    {
        self.stop_policies.push((
            name.to_string(),
            Box::new(move |c| Ok(Box::new(ctor(c)?) as Box<dyn StopPolicy>)),
        ));
        self
    }

    /// Provide the judge `name`.
    pub fn judge<J, F>(&mut self, name: &str, ctor: F) -> &mut Self
    where
        J: Judge + 'static,
        F: Fn(&DriverConfig) -> Result<J, PluginError> + Send + Sync + 'static,
    {
        self.judges.push((
            name.to_string(),
            Box::new(move |c| Ok(Box::new(ctor(c)?) as Box<dyn Judge>)),
        ));
        self
    }

    /// Provide the driver `name` of a generic-channel `group` (e.g. `evidence_sources`).
    pub fn generic<D, F>(&mut self, group: &str, name: &str, ctor: F) -> &mut Self
    where
        D: GenericDriver + 'static,
        F: Fn(&DriverConfig) -> Result<D, PluginError> + Send + Sync + 'static,
    {
        self.generic.push((
            group.to_string(),
            name.to_string(),
            Box::new(move |c| Ok(Box::new(ctor(c)?) as Box<dyn GenericDriver>)),
        ));
        self
    }

    /// Provide the evidence source `name` (group `evidence_sources`), served
    /// over the generic channel's `describe` / `gather` protocol. Since 1.3.0.
    pub fn evidence_source<S, F>(&mut self, name: &str, ctor: F) -> &mut Self
    where
        S: crate::evidence::EvidenceSource + 'static,
        F: Fn(&DriverConfig) -> Result<S, PluginError> + Send + Sync + 'static,
    {
        self.generic(Group::EvidenceSources.key(), name, move |c| {
            Ok(crate::evidence::EvidenceAdapter(ctor(c)?))
        })
    }

    /// The (group, name) pairs this registry provides, in registration order.
    pub fn drivers(&self) -> Vec<DriverDecl> {
        let decl = |g: Group, n: &String| DriverDecl {
            group: g.key().to_string(),
            name: n.clone(),
        };
        let mut out: Vec<DriverDecl> = Vec::new();
        out.extend(self.exporters.iter().map(|(n, _)| decl(Group::Exporters, n)));
        out.extend(self.notifiers.iter().map(|(n, _)| decl(Group::Notifiers, n)));
        out.extend(
            self.stop_policies
                .iter()
                .map(|(n, _)| decl(Group::StopPolicies, n)),
        );
        out.extend(self.judges.iter().map(|(n, _)| decl(Group::Judges, n)));
        out.extend(self.generic.iter().map(|(g, n, _)| DriverDecl {
            group: g.clone(),
            name: n.clone(),
        }));
        out
    }
}

thread_local! {
    /// Set while the SDK runs author code, so the panic hook captures the
    /// message quietly instead of printing it.
    static CAPTURE: RefCell<Option<Option<String>>> = const { RefCell::new(None) };
}

fn install_quiet_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let captured = CAPTURE.with(|c| {
                let mut slot = c.borrow_mut();
                match slot.as_mut() {
                    Some(inner) => {
                        let location = info.location().map(|l| format!(" at {}:{}", l.file(), l.line()));
                        *inner = Some(format!(
                            "{}{}",
                            payload_text(info.payload()),
                            location.unwrap_or_default()
                        ));
                        true
                    }
                    None => false,
                }
            });
            if !captured {
                previous(info);
            }
        }));
    });
}

/// The text of a caught panic's payload, taking it and leaking it: dropping
/// a payload whose destructor panics would unwind again. For hosts and
/// helpers that run author code under `catch_unwind`. Since 1.4.0.
pub fn panic_payload_text(payload: Box<dyn std::any::Any + Send>) -> String {
    let text = payload_text(payload.as_ref());
    std::mem::forget(payload);
    text
}

fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

/// Run author code, turning a panic or an error into an [`FfiError`].
/// Nothing unwinds past this function, so abi_stable's exit-on-unwind guard
/// never fires for SDK plugins.
pub fn guarded<T>(f: impl FnOnce() -> Result<T, PluginError>) -> FfiResult<T> {
    install_quiet_panic_hook();
    let outer = CAPTURE.with(|c| c.borrow_mut().replace(None));
    let result = catch_unwind(AssertUnwindSafe(f));
    let message = CAPTURE
        .with(|c| std::mem::replace(&mut *c.borrow_mut(), outer))
        .flatten();
    match result {
        Ok(Ok(v)) => ROk(v),
        Ok(Err(e)) => RErr(FfiError {
            kind: FfiError::RETURNED,
            message: RString::from(e.0),
        }),
        Err(payload) => {
            let text = message.unwrap_or_else(|| payload_text(payload.as_ref()));
            // Dropping a payload whose destructor panics would unwind again; leak it.
            std::mem::forget(payload);
            RErr(FfiError {
                kind: FfiError::PANICKED,
                message: RString::from(text),
            })
        }
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<RString, PluginError> {
    serde_json::to_string(value)
        .map(RString::from)
        .map_err(|e| PluginError(format!("cannot encode result: {e}")))
}

fn parse_config(config: RStr<'_>) -> Result<DriverConfig, PluginError> {
    DriverConfig::from_json(config.as_str())
        .map_err(|e| PluginError(format!("invalid configuration JSON: {e}")))
}

fn unknown(group: &str, name: &str) -> PluginError {
    PluginError(format!("this plugin provides no {group} driver named '{name}'"))
}

struct ExporterAdapter(Box<dyn Exporter>);
impl ExporterFfi for ExporterAdapter {
    fn export(&mut self, events: RSlice<'_, EventRef<'_>>, _ctx: RStr<'_>) -> FfiResult<RString> {
        guarded(|| to_json(&self.0.export(events.as_slice())?))
    }
}

struct NotifierAdapter(Box<dyn Notifier>);
impl NotifierFfi for NotifierAdapter {
    fn send(&mut self, notification: RStr<'_>) -> FfiResult<RString> {
        guarded(|| {
            let n: Notification = serde_json::from_str(notification.as_str())
                .map_err(|e| PluginError(format!("invalid notification JSON: {e}")))?;
            to_json(&self.0.send(&n)?)
        })
    }
}

struct StopPolicyAdapter(Box<dyn StopPolicy>);
impl StopPolicyFfi for StopPolicyAdapter {
    fn decide(&mut self, state: RStr<'_>) -> FfiResult<RString> {
        guarded(|| {
            let s: serde_json::Value = serde_json::from_str(state.as_str())
                .map_err(|e| PluginError(format!("invalid state JSON: {e}")))?;
            to_json(&self.0.decide(&s)?)
        })
    }
}

struct JudgeAdapter(Box<dyn Judge>);
impl JudgeFfi for JudgeAdapter {
    fn rule(&mut self, claim: RStr<'_>) -> FfiResult<RString> {
        guarded(|| {
            let c: Claim = serde_json::from_str(claim.as_str())
                .map_err(|e| PluginError(format!("invalid claim JSON: {e}")))?;
            to_json(&self.0.rule(&c)?)
        })
    }
}

struct GenericAdapter(Box<dyn GenericDriver>);
impl DriverFfi for GenericAdapter {
    fn call(&mut self, method: RStr<'_>, input: RStr<'_>) -> FfiResult<RString> {
        guarded(|| {
            let v: serde_json::Value = serde_json::from_str(input.as_str())
                .map_err(|e| PluginError(format!("invalid input JSON: {e}")))?;
            to_json(&self.0.call(method.as_str(), &v)?)
        })
    }
}

/// The glue behind [`export_plugin!`](crate::export_plugin): a registry built
/// once, on first use, with the plugin's identity.
pub struct PluginGlue {
    name: &'static str,
    version: &'static str,
    registry: std::sync::OnceLock<Result<Registry, PluginError>>,
    register: fn(&mut Registry),
}

impl PluginGlue {
    /// Glue for a plugin called `name` at `version`, filled by `register`.
    pub const fn new(name: &'static str, version: &'static str, register: fn(&mut Registry)) -> Self {
        PluginGlue {
            name,
            version,
            registry: std::sync::OnceLock::new(),
            register,
        }
    }

    fn registry(&self) -> Result<&Registry, PluginError> {
        self.registry
            .get_or_init(|| {
                let register = self.register;
                match guarded(|| {
                    let mut r = Registry::default();
                    register(&mut r);
                    Ok(r)
                }) {
                    ROk(r) => Ok(r),
                    RErr(e) => Err(PluginError(format!("plugin registration failed: {}", e.message))),
                }
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The manifest as JSON.
    pub fn manifest(&self) -> FfiResult<RString> {
        guarded(|| {
            let registry = self.registry()?;
            to_json(&Manifest {
                name: self.name.to_string(),
                version: self.version.to_string(),
                api_version: crate::API_VERSION.to_string(),
                drivers: registry.drivers(),
            })
        })
    }

    /// Construct an exporter.
    pub fn new_exporter(&self, name: RStr<'_>, config: RStr<'_>) -> FfiResult<ExporterBox> {
        guarded(|| {
            let cfg = parse_config(config)?;
            let (_, ctor) = self
                .registry()?
                .exporters
                .iter()
                .find(|(n, _)| n == name.as_str())
                .ok_or_else(|| unknown("exporter", name.as_str()))?;
            Ok(ExporterFfi_TO::from_value(
                ExporterAdapter(cfg.construct(&format!("exporters.{name}"), |c| ctor(c))?),
                TD_Opaque,
            ))
        })
    }

    /// Construct a notifier.
    pub fn new_notifier(&self, name: RStr<'_>, config: RStr<'_>) -> FfiResult<NotifierBox> {
        guarded(|| {
            let cfg = parse_config(config)?;
            let (_, ctor) = self
                .registry()?
                .notifiers
                .iter()
                .find(|(n, _)| n == name.as_str())
                .ok_or_else(|| unknown("notifier", name.as_str()))?;
            Ok(NotifierFfi_TO::from_value(
                NotifierAdapter(cfg.construct(&format!("notifiers.{name}"), |c| ctor(c))?),
                TD_Opaque,
            ))
        })
    }

    /// Construct a stop policy.
    pub fn new_stop_policy(&self, name: RStr<'_>, config: RStr<'_>) -> FfiResult<StopPolicyBox> {
        guarded(|| {
            let cfg = parse_config(config)?;
            let (_, ctor) = self
                .registry()?
                .stop_policies
                .iter()
                .find(|(n, _)| n == name.as_str())
                .ok_or_else(|| unknown("stop policy", name.as_str()))?;
            Ok(StopPolicyFfi_TO::from_value(
                StopPolicyAdapter(cfg.construct(&format!("stop_policies.{name}"), |c| ctor(c))?),
                TD_Opaque,
            ))
        })
    }

    /// Construct a judge.
    pub fn new_judge(&self, name: RStr<'_>, config: RStr<'_>) -> FfiResult<JudgeBox> {
        guarded(|| {
            let cfg = parse_config(config)?;
            let (_, ctor) = self
                .registry()?
                .judges
                .iter()
                .find(|(n, _)| n == name.as_str())
                .ok_or_else(|| unknown("judge", name.as_str()))?;
            Ok(JudgeFfi_TO::from_value(
                JudgeAdapter(cfg.construct(&format!("judges.{name}"), |c| ctor(c))?),
                TD_Opaque,
            ))
        })
    }

    /// Construct a generic-channel driver.
    pub fn new_driver(&self, group: RStr<'_>, name: RStr<'_>, config: RStr<'_>) -> FfiResult<DriverBox> {
        guarded(|| {
            let cfg = parse_config(config)?;
            let (_, _, ctor) = self
                .registry()?
                .generic
                .iter()
                .find(|(g, n, _)| g == group.as_str() && n == name.as_str())
                .ok_or_else(|| unknown(group.as_str(), name.as_str()))?;
            Ok(DriverFfi_TO::from_value(
                GenericAdapter(cfg.construct(&format!("{group}.{name}"), |c| ctor(c))?),
                TD_Opaque,
            ))
        })
    }
}

/// Keep `RBox` in the public vocabulary for authors who build tables by hand.
pub type OpaqueBox = RBox<()>;

/// Export this crate as a dos plugin.
///
/// ```
/// use dos_plugin_api::{DriverConfig, Notification, Notifier, NotifyResult, PluginError, Registry};
///
/// struct Echo;
///
/// impl Notifier for Echo {
///     fn send(&mut self, n: &Notification) -> Result<NotifyResult, PluginError> {
///         Ok(NotifyResult { delivered: true, detail: n.title.clone(), reference: String::new() })
///     }
/// }
///
/// fn register(r: &mut Registry) {
///     r.notifier("echo", |_cfg: &DriverConfig| Ok(Echo));
/// }
///
/// dos_plugin_api::export_plugin!(name: "echo-notifier", version: "0.1.0", register: register);
/// # fn main() {}
/// ```
///
/// The crate must be a `cdylib` and depend on `abi_stable` (the root-module
/// attribute refers to it by absolute path). Every call into the plugin runs
/// under [`guarded`], so a panic becomes an error value, never a process exit.
#[macro_export]
macro_rules! export_plugin {
    (name: $name:expr, version: $version:expr, register: $register:path $(,)?) => {
        static __DOS_PLUGIN_GLUE: $crate::PluginGlue = $crate::PluginGlue::new($name, $version, $register);

        extern "C" fn __dos_manifest() -> $crate::ffi::FfiResult<$crate::abi_stable::std_types::RString> {
            __DOS_PLUGIN_GLUE.manifest()
        }
        extern "C" fn __dos_new_exporter(
            name: $crate::abi_stable::std_types::RStr<'_>,
            config: $crate::abi_stable::std_types::RStr<'_>,
        ) -> $crate::ffi::FfiResult<$crate::ffi::ExporterBox> {
            __DOS_PLUGIN_GLUE.new_exporter(name, config)
        }
        extern "C" fn __dos_new_notifier(
            name: $crate::abi_stable::std_types::RStr<'_>,
            config: $crate::abi_stable::std_types::RStr<'_>,
        ) -> $crate::ffi::FfiResult<$crate::ffi::NotifierBox> {
            __DOS_PLUGIN_GLUE.new_notifier(name, config)
        }
        extern "C" fn __dos_new_stop_policy(
            name: $crate::abi_stable::std_types::RStr<'_>,
            config: $crate::abi_stable::std_types::RStr<'_>,
        ) -> $crate::ffi::FfiResult<$crate::ffi::StopPolicyBox> {
            __DOS_PLUGIN_GLUE.new_stop_policy(name, config)
        }
        extern "C" fn __dos_new_judge(
            name: $crate::abi_stable::std_types::RStr<'_>,
            config: $crate::abi_stable::std_types::RStr<'_>,
        ) -> $crate::ffi::FfiResult<$crate::ffi::JudgeBox> {
            __DOS_PLUGIN_GLUE.new_judge(name, config)
        }
        extern "C" fn __dos_new_driver(
            group: $crate::abi_stable::std_types::RStr<'_>,
            name: $crate::abi_stable::std_types::RStr<'_>,
            config: $crate::abi_stable::std_types::RStr<'_>,
        ) -> $crate::ffi::FfiResult<$crate::ffi::DriverBox> {
            __DOS_PLUGIN_GLUE.new_driver(group, name, config)
        }

        // The root module lives in a hidden module so that the `#[no_mangle]`
        // static abi_stable generates next to it needs no documentation.
        #[doc(hidden)]
        #[allow(missing_docs)]
        pub mod __dos_plugin_export {
            /// The plugin's root module: what the `dos` host loads.
            #[$crate::abi_stable::export_root_module]
            pub fn __dos_plugin_root() -> $crate::ffi::PluginRoot_Ref {
                use $crate::abi_stable::prefix_type::PrefixTypeTrait;
                $crate::ffi::PluginRoot {
                    manifest: super::__dos_manifest,
                    new_exporter: super::__dos_new_exporter,
                    new_notifier: super::__dos_new_notifier,
                    new_stop_policy: super::__dos_new_stop_policy,
                    new_judge: super::__dos_new_judge,
                    new_driver: super::__dos_new_driver,
                }
                .leak_into_prefix()
            }
        }
        pub use __dos_plugin_export::__dos_plugin_root;
    };
}
