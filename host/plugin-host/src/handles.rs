//! Host-side handles for resolved drivers. Every method returns the group's
//! result type and never fails: errors, panics, timeouts and contract
//! violations degrade to the safe result (exporter: nothing exported;
//! notifier: not delivered; stop policy: DEFER; judge: ABSTAIN) with a detail
//! naming the driver, its source and the failure.

use super::batch::EventBatch;
use super::failsoft::{Caller, Failure};
use abi_stable::std_types::{RErr, ROk, RSlice, RStr};
use dos_plugin_api::ffi::{DriverBox, ExporterBox, JudgeBox, NotifierBox, StopPolicyBox};
use dos_plugin_api::{
    Claim, EventRef, ExportResult, Exporter, Group, Judge, JudgeVerdict, Notification, Notifier,
    NotifyResult, StopPolicy, StopVerdict,
};
use serde::de::DeserializeOwned;
use std::path::PathBuf;
use std::sync::Arc;

/// Where a resolved driver comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriverSource {
    /// Compiled into the host.
    Builtin,
    /// Loaded from a plugin file.
    Plugin {
        /// The file.
        path: PathBuf,
        /// The plugin's declared name.
        plugin: String,
        /// The plugin's declared version.
        version: String,
        /// The plugin-api version it was built against.
        api_version: String,
    },
}

impl DriverSource {
    /// `built-in` or the plugin file's path.
    pub fn label(&self) -> String {
        match self {
            DriverSource::Builtin => "built-in".into(),
            DriverSource::Plugin { path, .. } => path.display().to_string(),
        }
    }
}

/// What a handle is: group, name, source.
#[derive(Debug, Clone)]
pub struct DriverInfo {
    /// The group.
    pub group: Group,
    /// The name it was resolved by.
    pub name: String,
    /// Where it came from.
    pub source: DriverSource,
}

impl DriverInfo {
    fn who(&self) -> String {
        format!("{} '{}' ({})", self.group.noun(), self.name, self.source.label())
    }
}

/// Decode a driver's JSON answer; a bad answer is a contract violation.
pub(crate) fn decode<T: DeserializeOwned>(json: &str, what: &str) -> Result<T, Failure> {
    serde_json::from_str(json).map_err(|e| Failure::Invalid(format!("not a {what}: {e}")))
}

/// Host-side exporter backend (a plugin table or a built-in).
pub trait ExportBackend: Send {
    /// Export, reporting failures as values.
    fn export(&mut self, events: &[EventRef<'_>]) -> Result<ExportResult, Failure>;
}

impl ExportBackend for ExporterBox {
    fn export(&mut self, events: &[EventRef<'_>]) -> Result<ExportResult, Failure> {
        match ExporterFfi::export(self, RSlice::from_slice(events), RStr::from("{}")) {
            ROk(json) => decode(json.as_str(), "ExportResult"),
            RErr(e) => Err(Failure::from_ffi(e)),
        }
    }
}

impl ExportBackend for Box<dyn Exporter> {
    fn export(&mut self, events: &[EventRef<'_>]) -> Result<ExportResult, Failure> {
        Exporter::export(self.as_mut(), events).map_err(|e| Failure::Returned(e.0))
    }
}

use dos_plugin_api::ffi::{DriverFfi, ExporterFfi, JudgeFfi, NotifierFfi, StopPolicyFfi};

/// Host-side notifier backend.
pub trait NotifyBackend: Send {
    /// Send, reporting failures as values.
    fn send(&mut self, n: &Notification) -> Result<NotifyResult, Failure>;
}

impl NotifyBackend for NotifierBox {
    fn send(&mut self, n: &Notification) -> Result<NotifyResult, Failure> {
        let json = serde_json::to_string(n).map_err(|e| Failure::Invalid(e.to_string()))?;
        match NotifierFfi::send(self, RStr::from(json.as_str())) {
            ROk(out) => decode(out.as_str(), "NotifyResult"),
            RErr(e) => Err(Failure::from_ffi(e)),
        }
    }
}

impl NotifyBackend for Box<dyn Notifier> {
    fn send(&mut self, n: &Notification) -> Result<NotifyResult, Failure> {
        Notifier::send(self.as_mut(), n).map_err(|e| Failure::Returned(e.0))
    }
}

/// Host-side stop-policy backend.
pub trait StopBackend: Send {
    /// Decide, reporting failures as values.
    fn decide(&mut self, state: &serde_json::Value) -> Result<StopVerdict, Failure>;
}

impl StopBackend for StopPolicyBox {
    fn decide(&mut self, state: &serde_json::Value) -> Result<StopVerdict, Failure> {
        let json = state.to_string();
        match StopPolicyFfi::decide(self, RStr::from(json.as_str())) {
            ROk(out) => decode(out.as_str(), "StopVerdict"),
            RErr(e) => Err(Failure::from_ffi(e)),
        }
    }
}

impl StopBackend for Box<dyn StopPolicy> {
    fn decide(&mut self, state: &serde_json::Value) -> Result<StopVerdict, Failure> {
        StopPolicy::decide(self.as_mut(), state).map_err(|e| Failure::Returned(e.0))
    }
}

/// Host-side judge backend.
pub trait JudgeBackend: Send {
    /// Rule, reporting failures as values.
    fn rule(&mut self, claim: &Claim) -> Result<JudgeVerdict, Failure>;
}

impl JudgeBackend for JudgeBox {
    fn rule(&mut self, claim: &Claim) -> Result<JudgeVerdict, Failure> {
        let json = serde_json::to_string(claim).map_err(|e| Failure::Invalid(e.to_string()))?;
        match JudgeFfi::rule(self, RStr::from(json.as_str())) {
            ROk(out) => decode(out.as_str(), "JudgeVerdict"),
            RErr(e) => Err(Failure::from_ffi(e)),
        }
    }
}

impl JudgeBackend for Box<dyn Judge> {
    fn rule(&mut self, claim: &Claim) -> Result<JudgeVerdict, Failure> {
        Judge::rule(self.as_mut(), claim).map_err(|e| Failure::Returned(e.0))
    }
}

/// Host-side generic-channel backend.
pub trait GenericBackend: Send {
    /// Call `method`, reporting failures as values.
    fn call(&mut self, method: &str, input: &serde_json::Value) -> Result<serde_json::Value, Failure>;
}

impl GenericBackend for DriverBox {
    fn call(&mut self, method: &str, input: &serde_json::Value) -> Result<serde_json::Value, Failure> {
        let json = input.to_string();
        match DriverFfi::call(self, RStr::from(method), RStr::from(json.as_str())) {
            ROk(out) => decode(out.as_str(), "JSON value"),
            RErr(e) => Err(Failure::from_ffi(e)),
        }
    }
}

/// A resolved exporter.
pub struct ExporterHandle {
    /// What it is.
    pub info: DriverInfo,
    caller: Caller<dyn ExportBackend>,
}

/// Check an exporter's answer against the batch it was given.
pub fn validate_export(result: &ExportResult, batch: &EventBatch) -> Result<(), String> {
    let n = batch.len() as u64;
    if result.exported > n {
        return Err(format!("exported {} > batch of {n}", result.exported));
    }
    if !result.cursor.is_empty() {
        let ok = result
            .cursor
            .parse::<i64>()
            .is_ok_and(|c| c == 0 || batch.seqs().any(|s| s == c));
        if !ok {
            return Err(format!("cursor {:?} is not a seq from the batch", result.cursor));
        }
    }
    Ok(())
}

impl ExporterHandle {
    pub(crate) fn new(info: DriverInfo, caller: Caller<dyn ExportBackend>) -> Self {
        ExporterHandle { info, caller }
    }

    /// Why the driver is unusable, if its constructor failed.
    pub fn construct_failure(&self) -> Option<String> {
        self.caller
            .broken()
            .map(|f| format!("{} {}", self.info.who(), f.describe()))
    }

    /// Export `batch`; never fails.
    pub fn export(&mut self, batch: &Arc<EventBatch>) -> ExportResult {
        let shared = Arc::clone(batch);
        let outcome = self.caller.call(move |d| {
            let refs = shared.refs();
            let result = d.export(&refs)?;
            validate_export(&result, &shared).map_err(Failure::Invalid)?;
            Ok(result)
        });
        match outcome {
            Ok(r) => r,
            Err(f) => ExportResult {
                exported: 0,
                detail: format!("error: {} {}", self.info.who(), f.describe()),
                cursor: String::new(),
            },
        }
    }
}

/// A resolved notifier.
pub struct NotifierHandle {
    /// What it is.
    pub info: DriverInfo,
    caller: Caller<dyn NotifyBackend>,
}

impl NotifierHandle {
    pub(crate) fn new(info: DriverInfo, caller: Caller<dyn NotifyBackend>) -> Self {
        NotifierHandle { info, caller }
    }

    /// Send `n`; never fails.
    pub fn send(&mut self, n: &Notification) -> NotifyResult {
        let n = n.clone();
        match self.caller.call(move |d| d.send(&n)) {
            Ok(r) => r,
            Err(f) => NotifyResult {
                delivered: false,
                detail: format!("error: {} {}", self.info.who(), f.describe()),
                reference: String::new(),
            },
        }
    }
}

/// The tail of the reference's fail-to-DEFER texts.
pub const DEFER_RAISED_TAIL: &str =
    "deferring (a halt-gate that cannot answer never halts; it falls through to the kernel default).";
/// The tail of the reference's wrong-type DEFER text.
pub const DEFER_TYPE_TAIL: &str =
    "deferring (a policy that does not return the verdict type cannot be trusted to halt the loop).";
/// The tail of the reference's fail-to-ABSTAIN texts.
pub const ABSTAIN_RAISED_TAIL: &str =
    "abstaining (an advisory adjudicator that cannot answer punts to a human, it never auto-clears).";
/// The tail of the reference's wrong-type ABSTAIN text.
pub const ABSTAIN_TYPE_TAIL: &str =
    "abstaining (a judge that does not return the verdict type cannot be trusted to clear a claim).";

/// A resolved stop policy.
pub struct StopPolicyHandle {
    /// What it is.
    pub info: DriverInfo,
    caller: Caller<dyn StopBackend>,
}

impl StopPolicyHandle {
    pub(crate) fn new(info: DriverInfo, caller: Caller<dyn StopBackend>) -> Self {
        StopPolicyHandle { info, caller }
    }

    /// Decide on `state`; never fails (a failure is DEFER).
    pub fn decide(&mut self, state: &serde_json::Value) -> StopVerdict {
        let state = state.clone();
        let name = &self.info.name;
        let source = self.info.source.label();
        match self.caller.call(move |d| d.decide(&state)) {
            Ok(v) => v,
            Err(Failure::Invalid(m)) => StopVerdict::defer(
                format!("stop policy '{name}' returned a malformed result ({m}; {source}), not a StopVerdict — {DEFER_TYPE_TAIL}"),
                Vec::new(),
            ),
            Err(f) => StopVerdict::defer(
                format!("stop policy '{name}' raised ({}; {source}) — {DEFER_RAISED_TAIL}", f.cause()),
                Vec::new(),
            ),
        }
    }
}

/// A resolved judge.
pub struct JudgeHandle {
    /// What it is.
    pub info: DriverInfo,
    caller: Caller<dyn JudgeBackend>,
}

impl JudgeHandle {
    pub(crate) fn new(info: DriverInfo, caller: Caller<dyn JudgeBackend>) -> Self {
        JudgeHandle { info, caller }
    }

    /// Why the judge is unusable, if its constructor failed.
    pub fn construct_failure(&self) -> Option<String> {
        self.caller
            .broken()
            .map(|f| format!("{} {}", self.info.who(), f.describe()))
    }

    /// Rule on `claim`; never fails (a failure is ABSTAIN, never AGREE).
    pub fn rule(&mut self, claim: &Claim) -> JudgeVerdict {
        let claim = claim.clone();
        let name = &self.info.name;
        let source = self.info.source.label();
        let outcome = self.caller.call(move |d| {
            let v = d.rule(&claim)?;
            if !v.cost.is_finite() {
                return Err(Failure::Invalid(format!("non-finite cost {}", v.cost)));
            }
            Ok(v)
        });
        match outcome {
            Ok(v) => v,
            Err(Failure::Invalid(m)) => JudgeVerdict::abstain(
                format!("judge '{name}' returned a malformed result ({m}; {source}), not a JudgeVerdict — {ABSTAIN_TYPE_TAIL}"),
                Vec::new(),
                0.0,
            ),
            Err(f) => JudgeVerdict::abstain(
                format!("judge '{name}' raised ({}; {source}) — {ABSTAIN_RAISED_TAIL}", f.cause()),
                Vec::new(),
                0.0,
            ),
        }
    }
}

/// A resolved driver of a generic-channel group.
pub struct GenericHandle {
    /// What it is.
    pub info: DriverInfo,
    caller: Caller<dyn GenericBackend>,
}

impl GenericHandle {
    pub(crate) fn new(info: DriverInfo, caller: Caller<dyn GenericBackend>) -> Self {
        GenericHandle { info, caller }
    }

    /// Call `method`; a failure is an error text naming the driver (the
    /// caller picks the group's safe result).
    pub fn call(&mut self, method: &str, input: &serde_json::Value) -> Result<serde_json::Value, String> {
        let (method, input) = (method.to_string(), input.clone());
        self.caller
            .call(move |d| d.call(&method, &input))
            .map_err(|f| format!("{} {}", self.info.who(), f.describe()))
    }
}
