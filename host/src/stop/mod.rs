//! The stop-policy seam (reference: `dos.stop_policy`): how the host asks a
//! policy whether the loop should halt, with two guarantees the caller can
//! rely on:
//!
//! * **fail-to-DEFER** — a policy that panics, errors, hangs or answers with
//!   the wrong shape never halts the loop; it DEFERs with the reference's
//!   texts ([`run_stop_policy`]; plugin handles already do this across the
//!   FFI boundary, in-process policies get the same treatment here);
//! * **the resource floor** — a measured can't-launch wall STOPs whatever the
//!   policy would have said, and the policy is not even asked
//!   ([`stop_under_resource_floor`]).
//!
//! Which policy is active comes from `--stop-policy NAME` or
//! `dos.toml [scout] stop_policy` ([`configured_policy_name`]), resolved by
//! name through the plugin host (built-in `never` first, unshadowable; an
//! unknown name is a loud error) by [`resolve_stop_policy`].

use crate::config::{Config, ConfigError};
use crate::plugin_host::handles::{StopPolicyHandle, DEFER_RAISED_TAIL};
use crate::plugin_host::{PluginHost, ResolveError};
use dos_plugin_api::sdk::panic_payload_text;
#[cfg(test)]
use dos_plugin_api::StopPolicy;
use dos_plugin_api::StopVerdict;
use serde_json::{Map, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// `<why>` in the floor's texts when the host gave no reason.
pub(crate) const FLOOR_DEFAULT_WHY: &str = "host cannot launch more work";
/// The floor's cause key.
pub(crate) const FLOOR_CAUSE_KEY: &str = "resource_blocked";

/// Anything that can be asked for a stop verdict on a state view.
pub(crate) trait StopDecide {
    /// The policy's name, for failure texts.
    fn name(&self) -> &str;
    /// Decide on `view` (the scout state as JSON, with `pending_decisions`).
    fn decide(&mut self, view: &Value) -> StopVerdict;
}

impl StopDecide for StopPolicyHandle {
    fn name(&self) -> &str {
        &self.info.name
    }
    fn decide(&mut self, view: &Value) -> StopVerdict {
        StopPolicyHandle::decide(self, view)
    }
}

/// An in-process policy (a [`StopPolicy`] implemented by a library user):
/// an `Err` becomes the reference's `raised (...)` DEFER.
#[cfg(test)]
pub(crate) struct InProcess<P> {
    /// The name it is known by.
    pub name: String,
    /// The policy.
    pub policy: P,
}

#[cfg(test)]
impl<P: StopPolicy> StopDecide for InProcess<P> {
    fn name(&self) -> &str {
        &self.name
    }
    fn decide(&mut self, view: &Value) -> StopVerdict {
        match self.policy.decide(view) {
            Ok(v) => v,
            Err(e) => raised(&self.name, &format!("error: {}", e.0)),
        }
    }
}

/// A policy given as a closure (tests).
#[cfg(test)]
pub(crate) struct FnPolicy<F> {
    /// The name it is known by.
    pub name: String,
    /// The decision function.
    pub f: F,
}

#[cfg(test)]
impl<F: FnMut(&Value) -> StopVerdict> StopDecide for FnPolicy<F> {
    fn name(&self) -> &str {
        &self.name
    }
    fn decide(&mut self, view: &Value) -> StopVerdict {
        (self.f)(view)
    }
}

/// The reference's DEFER for a policy that could not answer.
pub(crate) fn raised(name: &str, cause: &str) -> StopVerdict {
    StopVerdict::defer(
        format!("stop policy '{name}' raised ({cause}) — {DEFER_RAISED_TAIL}"),
        Vec::new(),
    )
}

/// Run one policy, enforcing fail-to-DEFER: whatever goes wrong inside it,
/// the answer is a DEFER naming the failure, never a STOP.
pub(crate) fn run_stop_policy(policy: &mut dyn StopDecide, view: &Value) -> StopVerdict {
    let name = policy.name().to_string();
    match catch_unwind(AssertUnwindSafe(|| policy.decide(view))) {
        Ok(v) => v,
        Err(payload) => raised(&name, &format!("panic: {}", panic_payload_text(payload))),
    }
}

/// The host's measured can't-launch wall.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ResourceFloor {
    /// The host cannot launch more work right now.
    pub blocked: bool,
    /// Why (operator-facing); empty = no reason given.
    pub reason: String,
}

impl ResourceFloor {
    /// The floor's own STOP, if it is up.
    pub(crate) fn verdict(&self) -> Option<StopVerdict> {
        if !self.blocked {
            return None;
        }
        let why = if self.reason.is_empty() {
            FLOOR_DEFAULT_WHY
        } else {
            &self.reason
        };
        Some(StopVerdict::stop(
            format!("resource_blocked floor: {why}"),
            FLOOR_CAUSE_KEY,
            vec![format!("resource_blocked: {why}")],
        ))
    }
}

/// Decide loop-STOP under the resource floor: a blocked floor STOPs and the
/// policy is not called (no policy can keep a doomed loop alive); otherwise
/// the policy's answer through [`run_stop_policy`].
pub(crate) fn stop_under_resource_floor(
    policy: &mut dyn StopDecide,
    floor: &ResourceFloor,
    view: &Value,
) -> StopVerdict {
    match floor.verdict() {
        Some(stop) => stop,
        None => run_stop_policy(policy, view),
    }
}

/// The active policy's name: `--stop-policy` wins over `dos.toml [scout]
/// stop_policy`; an empty value counts as not set. `None` = no policy wired
/// (the scout skips its stop-policy rule, as the reference does).
pub(crate) fn configured_policy_name(
    config: &Config,
    flag: Option<&str>,
) -> Result<Option<String>, ConfigError> {
    let name = match flag {
        Some(f) => Some(f.to_string()),
        None => config.string("scout", "stop_policy")?.map(str::to_string),
    };
    Ok(name.filter(|n| !n.is_empty()))
}

/// Resolve a stop policy by name (built-ins first; unknown → the loud
/// `unknown stop policy 'X'; known: …` error). Its `dos.toml
/// [stop_policies.NAME]` table is its configuration.
pub(crate) fn resolve_stop_policy(host: &PluginHost, name: &str) -> Result<StopPolicyHandle, ResolveError> {
    host.stop_policy(name, &Map::new())
}

#[cfg(test)]
mod tests;
