//! The two hook plugin groups, over the plugin host's generic JSON channel
//! (no FFI table change):
//!
//! `hook_dialects` — a runtime's wire dialect:
//! - `parse`: input `{"moment": "pre"|"post"|"stop"|"session", "event": {…}}`
//!   (the runtime's own event); output `{"event": {…}}`, the event in Claude
//!   Code's shape (`tool_name`, `tool_input`, `tool_response`,
//!   `hook_event_name`, `session_id`, `cwd`).
//! - `render`: input `{"moment": …, "verdict": {"action": "pass"|"warn"|"deny",
//!   "reason": "…", "context": "…"}}`; output `{"output": {…}}` (the object
//!   to print) or `{"output": null}` (print nothing).
//!
//! `hook_installs` — where and how `dos init --hooks` wires a runtime:
//! - `spec`: input `{}`; output an [`InstallSpec`] object.
//!
//! Fail-soft: a dialect plugin that fails, panics, times out or answers
//! garbage makes the hook print nothing (exit 0); an installer that does
//! makes `dos init` report it and write nothing. The built-in dialects and
//! installers are listed in both groups and cannot be shadowed. `dos-hook`
//! never loads a plugin: an unknown dialect there is a note pointing at
//! `dos hook VERB`.

use crate::cli::hook_cmd::HookCmd;
use crate::hooks::dialect::{self, ExternalDialect, HookVerdict, Moment, BUILTIN_NAMES};
use crate::hooks::install::{InstallSpec, BUILTIN_RUNTIMES};
use crate::plugin_host::handles::GenericHandle;
use crate::plugin_host::{PluginHost, ResolveError};
use crate::workspace::Workspace;
use dos_hook::PerCallCmd;
use dos_plugin_api::Group;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// The wire form of a verdict.
pub(crate) fn verdict_wire(verdict: &HookVerdict) -> Value {
    match verdict {
        HookVerdict::Pass => json!({"action": "pass", "reason": "", "context": ""}),
        HookVerdict::Warn { context } => json!({"action": "warn", "reason": "", "context": context}),
        HookVerdict::Deny { reason, context } => {
            json!({"action": "deny", "reason": reason, "context": context})
        }
    }
}

/// A `hook_dialects` plugin driver (kept with its host, which owns the
/// loaded library and any worker).
pub(crate) struct PluginDialect {
    _host: PluginHost,
    handle: GenericHandle,
}

impl ExternalDialect for PluginDialect {
    fn parse(&mut self, moment: Moment, event: &Value) -> Option<Value> {
        let input = json!({"moment": moment.wire_name(), "event": event});
        match self.handle.call("parse", &input) {
            Ok(Value::Object(mut m)) => match m.remove("event") {
                Some(v @ Value::Object(_)) => Some(v),
                _ => None,
            },
            _ => None,
        }
    }

    fn render(&mut self, verdict: &HookVerdict, moment: Moment) -> Option<Value> {
        let input = json!({"moment": moment.wire_name(), "verdict": verdict_wire(verdict)});
        match self.handle.call("render", &input) {
            Ok(Value::Object(mut m)) => match m.remove("output") {
                Some(v @ Value::Object(_)) => Some(v),
                _ => None,
            },
            _ => None,
        }
    }
}

/// The `--dialect` and `--workspace` of a hook command line.
fn dialect_and_workspace(cmd: &HookCmd) -> Option<(&str, Option<&PathBuf>)> {
    let (dialect, ws) = match cmd {
        HookCmd::PerCall(PerCallCmd::Pretool(a)) => (a.dialect.as_deref(), a.common.workspace.as_ref()),
        HookCmd::PerCall(PerCallCmd::Posttool(a)) => (a.dialect.as_deref(), a.common.workspace.as_ref()),
        HookCmd::PerCall(PerCallCmd::Marker(_)) => (None, None),
        HookCmd::Stop(a) => (a.dialect.as_deref(), a.workspace.as_ref()),
    };
    dialect
        .filter(|d| !d.is_empty() && !BUILTIN_NAMES.contains(d))
        .map(|d| (d, ws))
}

/// For `dos hook VERB --dialect NAME` where NAME is not built in: load the
/// workspace's plugins and install NAME's `hook_dialects` driver for this
/// process. Anything that goes wrong leaves it uninstalled (the verb then
/// treats the dialect as unknown and prints nothing).
pub(crate) fn prepare(top_workspace: Option<&PathBuf>, cmd: &HookCmd) {
    let Some((name, ws)) = dialect_and_workspace(cmd) else {
        return;
    };
    let load = std::panic::AssertUnwindSafe(|| {
        let ws = Workspace::resolve(ws.or(top_workspace).map(PathBuf::as_path)).ok()?;
        let host = PluginHost::for_workspace(&ws, false).ok()?;
        let handle = host.generic(Group::HookDialects, name, &Map::new()).ok()?;
        Some(PluginDialect { _host: host, handle })
    });
    if let Ok(Some(d)) = std::panic::catch_unwind(load) {
        dialect::install_external(name, Box::new(d));
    }
}

/// Why a plugin installer could not be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InstallerError {
    /// No built-in and no plugin provides the runtime.
    #[error("unknown runtime {} for --hooks — known: {known}", dos_py::repr::str_repr(.name))]
    Unknown {
        /// The runtime asked for.
        name: String,
        /// Every runtime that can be installed.
        known: String,
    },
    /// The plugin failed, or answered something unusable.
    #[error("the hook_installs plugin for {} failed: {reason}", dos_py::repr::str_repr(.name))]
    Failed {
        /// The runtime.
        name: String,
        /// Why.
        reason: String,
    },
}

/// The installer spec a `hook_installs` plugin gives for `name`, with the
/// workspace at `root` supplying the plugin search path.
pub(crate) fn plugin_installer(root: &Path, name: &str) -> Result<InstallSpec, InstallerError> {
    let failed = |reason: String| InstallerError::Failed {
        name: name.to_string(),
        reason,
    };
    let ws = Workspace::open(root.to_path_buf()).map_err(|e| failed(e.to_string()))?;
    let host = PluginHost::for_workspace(&ws, false).map_err(|e| failed(e.to_string()))?;
    let mut handle = match host.generic(Group::HookInstalls, name, &Map::new()) {
        Ok(h) => h,
        Err(ResolveError::Unknown { .. }) => {
            let mut known: Vec<String> = BUILTIN_RUNTIMES.iter().map(|s| s.to_string()).collect();
            known.extend(host.known_names(Group::HookInstalls));
            known.sort();
            known.dedup();
            return Err(InstallerError::Unknown {
                name: name.to_string(),
                known: known.join(", "),
            });
        }
        Err(e) => return Err(failed(e.to_string())),
    };
    let answer = handle.call("spec", &Value::Object(Map::new())).map_err(failed)?;
    if !answer.is_object() {
        return Err(failed("its spec is not a JSON object".into()));
    }
    let mut spec: InstallSpec = serde_json::from_value(answer)
        .map_err(|e| failed(format!("its spec is not an installer spec: {e}")))?;
    if spec.runtime.is_empty() {
        spec.runtime = name.to_string();
    }
    if spec.runtime != name {
        return Err(failed(format!(
            "its spec is for runtime {}, not {}",
            dos_py::repr::str_repr(&spec.runtime),
            dos_py::repr::str_repr(name)
        )));
    }
    spec.validate()
        .map_err(|e| failed(format!("its spec is unusable: {e}")))?;
    Ok(spec)
}

/// The plugin-provided installer names of the workspace at `root`
/// (empty when its plugins cannot be loaded).
pub(crate) fn plugin_installer_names(root: &Path) -> Vec<String> {
    let Ok(ws) = Workspace::open(root.to_path_buf()) else {
        return Vec::new();
    };
    let Ok(host) = PluginHost::for_workspace(&ws, false) else {
        return Vec::new();
    };
    host.known_names(Group::HookInstalls)
        .into_iter()
        .filter(|n| !BUILTIN_RUNTIMES.contains(&n.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_wire_forms() {
        assert_eq!(verdict_wire(&HookVerdict::Pass)["action"], "pass");
        let d = verdict_wire(&HookVerdict::Deny {
            reason: "r".into(),
            context: "c".into(),
        });
        assert_eq!(d, json!({"action": "deny", "reason": "r", "context": "c"}));
    }

    struct Upper;
    impl ExternalDialect for Upper {
        fn parse(&mut self, _: Moment, event: &Value) -> Option<Value> {
            Some(json!({"tool_name": event["t"]}))
        }
        fn render(&mut self, v: &HookVerdict, m: Moment) -> Option<Value> {
            Some(json!({"m": m.wire_name(), "v": verdict_wire(v)["action"]}))
        }
    }

    #[test]
    fn an_installed_external_dialect_renders_and_parses() {
        assert!(dialect::Dialect::resolve(Some("upper")).is_err());
        dialect::install_external("upper", Box::new(Upper));
        let d = dialect::Dialect::resolve(Some("upper")).unwrap();
        let out = dialect::render(
            d,
            &HookVerdict::Deny {
                reason: "r".into(),
                context: String::new(),
            },
            Moment::Stop,
        );
        assert_eq!(out, Some(json!({"m": "stop", "v": "deny"})));
        let parsed =
            crate::hooks::dialect_input::normalize(Some("upper"), Moment::Pre, br#"{"t": "Bash"}"#.to_vec());
        assert_eq!(parsed, br#"{"tool_name":"Bash"}"#.to_vec());
        assert!(dialect::Dialect::resolve(Some("other")).is_err());
    }
}
