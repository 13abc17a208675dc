//! Stop-policy plugin `decision-class`: STOP the loop on the first pending
//! decision of a configured class, else DEFER (reference:
//! `dos.drivers.decision_stop.DecisionClassStopPolicy`).
//!
//! The policy is pure. The host hands it the scout state as a JSON object
//! carrying the full ranked decisions queue — every resolver, not only
//! `HUMAN` — under `pending_decisions`, each element in the shape of the
//! reference's `Decision.to_dict` (`kind`, `resolver_kind`, `lane`,
//! `reason_text`, …). Reading every resolver is a fix over the reference,
//! whose HUMAN-only read hides `LIVENESS` rows (they route to `ORACLE`), so
//! its default could never fire.
//!
//! Configuration: `stop_classes` — a list of decision kinds (or one string,
//! comma-separated), each trimmed and upper-cased, empty entries dropped;
//! default `["LIVENESS"]`.
//!
//! A `cdylib` loaded by the `dos` plugin host: it depends on `dos-plugin-api`
//! only, never on the host crates (`dos-core`, `dos-plugin-host`, `dos`).

#![forbid(unsafe_code)]

use dos_plugin_api::pystr::is_py_space;
use dos_plugin_api::{DriverConfig, PluginError, Registry, StopPolicy, StopVerdict};
use serde_json::Value;
use std::collections::BTreeSet;

/// The policy's registered name.
pub const POLICY_NAME: &str = "decision-class";
/// The state key holding the ranked decisions queue.
pub const STATE_KEY: &str = "pending_decisions";
/// The classes halted on when none are configured.
pub const DEFAULT_STOP_CLASSES: &[&str] = &["LIVENESS"];
/// Longest stretch of a decision's reason text quoted in a STOP reason (code points).
pub const REASON_CUT: usize = 120;

/// Normalise configured classes: trim, upper-case, drop empties, de-duplicate.
/// The set iterates in code-point order, as Python's `sorted` does.
pub fn normalise_classes<S: AsRef<str>>(classes: &[S]) -> BTreeSet<String> {
    classes
        .iter()
        .map(|c| c.as_ref().trim_matches(is_py_space).to_uppercase())
        .filter(|c| !c.is_empty())
        .collect()
}

pub use dos_py::repr::{list_repr as py_list_repr, str_repr as py_repr};

use dos_py::value::json_type_name as py_type_name;

/// A string field of a decision row; anything else (missing, null, wrong type) is `""`.
fn field<'v>(row: &'v Value, key: &str) -> &'v str {
    row.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The verdict for a queue (pure): STOP on the first row whose kind
/// (upper-cased) is in `classes`, else DEFER. Non-object rows are skipped.
pub fn decide_on_queue(classes: &BTreeSet<String>, rows: &[Value]) -> StopVerdict {
    let sorted = py_list_repr(classes);
    for row in rows.iter().filter(|r| r.is_object()) {
        let kind = field(row, "kind");
        if !classes.contains(&kind.to_uppercase()) {
            continue;
        }
        let lane = match field(row, "lane") {
            "" => "-",
            l => l,
        };
        let text = match field(row, "reason_text") {
            "" => kind,
            t => t,
        };
        let cut: String = text.chars().take(REASON_CUT).collect();
        return StopVerdict::stop(
            format!(
                "a {kind} decision is pending (lane {}): {cut}. Host policy halts the loop on this class — resolve it (`dos decisions` / F9) before relaunching.",
                py_repr(lane)
            ),
            format!("stop_on_{}", kind.to_lowercase()),
            vec![format!("{kind} lane={lane}"), format!("stop_classes={sorted}")],
        );
    }
    // The count keeps the reference's meaning: rows a human must resolve. A
    // row without a `resolver_kind` counts, as a HUMAN-only queue's rows would.
    let human = rows
        .iter()
        .filter(|r| r.is_object())
        .filter(|r| {
            matches!(r.get("resolver_kind"), None | Some(Value::Null)) || field(r, "resolver_kind") == "HUMAN"
        })
        .count();
    StopVerdict::defer(
        format!("no pending decision in the halt classes {sorted} ({human} HUMAN decision(s) pending, all evidence-only)."),
        vec![],
    )
}

/// The verdict for a whole scout state (pure): the queue under
/// `pending_decisions`, or a DEFER saying the queue could not be read.
pub fn decide_on_state(classes: &BTreeSet<String>, state: &Value) -> StopVerdict {
    let problem = match state.get(STATE_KEY) {
        Some(Value::Array(rows)) => return decide_on_queue(classes, rows),
        None => format!("KeyError({})", py_repr(STATE_KEY)),
        Some(other) => format!(
            "TypeError({})",
            py_repr(&format!(
                "{STATE_KEY} must be a list of decisions, not {}",
                py_type_name(other)
            ))
        ),
    };
    StopVerdict::defer(
        format!("decision-class policy could not read the queue ({problem}) — deferring (no halt)."),
        vec![],
    )
}

/// Read `stop_classes` from the configuration: absent → the default; a list
/// of strings or one comma-separated string → those classes; anything else is
/// a configuration error.
pub fn classes_from_config(cfg: &DriverConfig) -> Result<BTreeSet<String>, PluginError> {
    match cfg.0.get("stop_classes") {
        None | Some(Value::Null) => Ok(normalise_classes(DEFAULT_STOP_CLASSES)),
        Some(Value::String(s)) => Ok(normalise_classes(&s.split(',').collect::<Vec<_>>())),
        Some(Value::Array(items)) => {
            let mut names = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::String(s) => names.push(s.as_str()),
                    other => {
                        return Err(PluginError::new(format!(
                            "decision-class: stop_classes must be a list of strings (got a {} entry)",
                            py_type_name(other)
                        )))
                    }
                }
            }
            Ok(normalise_classes(&names))
        }
        Some(other) => Err(PluginError::new(format!(
            "decision-class: stop_classes must be a list of strings (got a {})",
            py_type_name(other)
        ))),
    }
}

/// The `decision-class` stop policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionClassStopPolicy {
    classes: BTreeSet<String>,
}

impl DecisionClassStopPolicy {
    /// A policy halting on these classes (normalised).
    pub fn new<S: AsRef<str>>(classes: &[S]) -> Self {
        DecisionClassStopPolicy {
            classes: normalise_classes(classes),
        }
    }

    /// Build from the driver configuration (`stop_classes`).
    pub fn from_config(cfg: &DriverConfig) -> Result<Self, PluginError> {
        Ok(DecisionClassStopPolicy {
            classes: classes_from_config(cfg)?,
        })
    }

    /// The normalised classes, sorted.
    pub fn classes(&self) -> &BTreeSet<String> {
        &self.classes
    }
}

impl Default for DecisionClassStopPolicy {
    fn default() -> Self {
        DecisionClassStopPolicy::new(DEFAULT_STOP_CLASSES)
    }
}

impl StopPolicy for DecisionClassStopPolicy {
    fn decide(&mut self, state: &Value) -> Result<StopVerdict, PluginError> {
        Ok(decide_on_state(&self.classes, state))
    }
}

fn register(r: &mut Registry) {
    r.stop_policy(POLICY_NAME, DecisionClassStopPolicy::from_config);
}

dos_plugin_api::export_plugin!(name: "dos-stop-decision-class", version: env!("CARGO_PKG_VERSION"), register: register);

#[cfg(test)]
mod tests;
