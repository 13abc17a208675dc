//! The value types of the four seams, as plain Rust data. They cross the
//! boundary as JSON, so a minor release can add fields (with defaults) without
//! breaking either side.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// The plugin groups the host knows. Groups beyond the four hot ones travel
/// through the generic driver channel and are named by string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// `dos.exporters`: ship verdict events somewhere.
    Exporters,
    /// `dos.notifiers`: tell a human something.
    Notifiers,
    /// `dos.stop_policies`: decide whether the loop halts.
    StopPolicies,
    /// `dos.judges`: rule on a claim the oracle could not settle.
    Judges,
    /// `dos.evidence_sources`: gather un-authored evidence (generic channel).
    EvidenceSources,
    /// `dos.hook_dialects`: parse a runtime's hook event and render a verdict
    /// in its output shape (generic channel).
    HookDialects,
    /// `dos.hook_installs`: where and how `dos init --hooks` wires a runtime
    /// (generic channel).
    HookInstalls,
}

impl Group {
    /// Every group, in display order.
    pub const ALL: [Group; 7] = [
        Group::Exporters,
        Group::Notifiers,
        Group::StopPolicies,
        Group::Judges,
        Group::EvidenceSources,
        Group::HookDialects,
        Group::HookInstalls,
    ];

    /// The group's key as written in manifests and `dos.toml` (`stop_policies`).
    pub fn key(self) -> &'static str {
        match self {
            Group::Exporters => "exporters",
            Group::Notifiers => "notifiers",
            Group::StopPolicies => "stop_policies",
            Group::Judges => "judges",
            Group::EvidenceSources => "evidence_sources",
            Group::HookDialects => "hook_dialects",
            Group::HookInstalls => "hook_installs",
        }
    }

    /// The singular noun used in messages (`unknown stop policy 'x'`).
    pub fn noun(self) -> &'static str {
        match self {
            Group::Exporters => "exporter",
            Group::Notifiers => "notifier",
            Group::StopPolicies => "stop policy",
            Group::Judges => "judge",
            Group::EvidenceSources => "evidence source",
            Group::HookDialects => "hook dialect",
            Group::HookInstalls => "hook installer",
        }
    }

    /// Parse a group key (`exporters`, `stop_policies`, …).
    pub fn from_key(key: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.key() == key)
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// One driver a plugin provides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriverDecl {
    /// The group key (`exporters`, …). Kept as a string so a newer plugin can
    /// declare a group an older host does not know; the host ignores it.
    pub group: String,
    /// The name operators select it by (`otlp`).
    pub name: String,
}

/// What a plugin file declares about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The plugin's own name (`dos-export-otlp`).
    pub name: String,
    /// The plugin's own version.
    pub version: String,
    /// The `dos-plugin-api` version it was built against.
    pub api_version: String,
    /// The drivers it provides.
    pub drivers: Vec<DriverDecl>,
}

/// The outcome of one export call (reference: `ExportResult`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ExportResult {
    /// How many events the transport confirmed.
    pub exported: u64,
    /// Human-readable detail.
    #[serde(default)]
    pub detail: String,
    /// Decimal seq of the last event handed over, or `""` for an empty batch.
    #[serde(default)]
    pub cursor: String,
}

impl ExportResult {
    /// The reference's cursor for a batch: the max seq (floor 0) as decimal, or
    /// `""` when the batch is empty.
    pub fn cursor_for(events: &[crate::EventRef<'_>]) -> String {
        if events.is_empty() {
            return String::new();
        }
        events.iter().map(|e| e.seq).fold(0, i64::max).to_string()
    }

    /// The result of exporting `events`: `exported` of them confirmed, the
    /// batch's [`cursor_for`](Self::cursor_for) as the cursor.
    /// Since 1.2.0.
    pub fn for_batch(events: &[crate::EventRef<'_>], exported: u64, detail: String) -> ExportResult {
        ExportResult {
            exported,
            detail,
            cursor: ExportResult::cursor_for(events),
        }
    }
}

/// How loud a notification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Severity {
    /// Routine.
    #[serde(rename = "INFO")]
    Info,
    /// Worth a look.
    #[serde(rename = "WARN")]
    Warn,
    /// Act now.
    #[serde(rename = "URGENT")]
    Urgent,
}

impl Severity {
    /// The wire token (`INFO`, `WARN`, `URGENT`).
    pub fn token(self) -> &'static str {
        match self {
            Severity::Info => "INFO",
            Severity::Warn => "WARN",
            Severity::Urgent => "URGENT",
        }
    }
}

/// A message for a human (reference: `Notification`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// How loud.
    pub severity: Severity,
    /// One-line title.
    pub title: String,
    /// Plain-text body.
    #[serde(default)]
    pub summary: String,
    /// Ordered `(label, value)` pairs.
    #[serde(default)]
    pub fields: Vec<(String, String)>,
    /// Edit-in-place identity; `""` posts a new message every time.
    #[serde(default)]
    pub key: String,
    /// Who produced it.
    #[serde(default)]
    pub source: String,
    /// The one read-only view to open when the message is clicked (0.30);
    /// absent on the wire when `None`, so older plugins see the old shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<NotifyAction>,
}

/// What a notification's reader can open (reference 0.30: `NotifyAction`):
/// a label, the `dos` command that opens the view, an optional deep link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NotifyAction {
    /// The human verb, e.g. `review the decisions queue`.
    #[serde(default)]
    pub label: String,
    /// The copy-pasteable command, e.g. `dos decisions --workspace /ws`.
    #[serde(default)]
    pub command: String,
    /// An explicit deep link (empty: none).
    #[serde(default)]
    pub url: String,
}

/// The outcome of one notification (reference: `NotifyResult`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NotifyResult {
    /// Whether the transport confirmed delivery.
    pub delivered: bool,
    /// Human-readable detail.
    #[serde(default)]
    pub detail: String,
    /// The transport's message reference, for edit-in-place.
    #[serde(default, rename = "ref")]
    pub reference: String,
}

/// A stop policy's stance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopStance {
    /// Halt the loop.
    #[serde(rename = "STOP")]
    Stop,
    /// No opinion; fall through to the kernel default.
    #[serde(rename = "DEFER")]
    Defer,
    /// Never halt.
    #[serde(rename = "NEVER")]
    Never,
}

/// A stop policy's answer (reference: `StopVerdict`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopVerdict {
    /// STOP, DEFER or NEVER.
    pub stance: StopStance,
    /// Why.
    pub reason: String,
    /// Machine key for the cause (`stop_policy` unless a STOP names its own).
    #[serde(default = "default_cause_key")]
    pub cause_key: String,
    /// Supporting evidence lines.
    #[serde(default)]
    pub evidence: Vec<String>,
}

fn default_cause_key() -> String {
    "stop_policy".to_string()
}

impl StopVerdict {
    /// A STOP with its own cause key.
    pub fn stop(reason: impl Into<String>, cause_key: impl Into<String>, evidence: Vec<String>) -> Self {
        StopVerdict {
            stance: StopStance::Stop,
            reason: reason.into(),
            cause_key: cause_key.into(),
            evidence,
        }
    }
    /// A DEFER (cause key `stop_policy`).
    pub fn defer(reason: impl Into<String>, evidence: Vec<String>) -> Self {
        StopVerdict {
            stance: StopStance::Defer,
            reason: reason.into(),
            cause_key: default_cause_key(),
            evidence,
        }
    }
    /// A NEVER (cause key `stop_policy`).
    pub fn never(reason: impl Into<String>, evidence: Vec<String>) -> Self {
        StopVerdict {
            stance: StopStance::Never,
            reason: reason.into(),
            cause_key: default_cause_key(),
            evidence,
        }
    }
}

/// A claim an agent made, for a judge (reference: `Claim`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Claim {
    /// What the agent asserted.
    pub claim_text: String,
    /// The agent's own justification (narration; distrust it).
    #[serde(default)]
    pub stated_reason: String,
    /// Un-authored evidence lines.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Opaque subject id; a judge must not need it.
    #[serde(default)]
    pub subject: String,
}

/// A judge's stance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stance {
    /// The evidence supports the claim.
    #[serde(rename = "AGREE")]
    Agree,
    /// The evidence does not support the claim.
    #[serde(rename = "DISAGREE")]
    Disagree,
    /// Cannot tell; route to a human.
    #[serde(rename = "ABSTAIN")]
    Abstain,
}

/// A judge's ruling (reference: `JudgeVerdict`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgeVerdict {
    /// AGREE, DISAGREE or ABSTAIN.
    pub stance: Stance,
    /// Why.
    pub why: String,
    /// Supporting evidence lines.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// The judge's own cost unit, summed verbatim; must be finite.
    #[serde(default)]
    pub cost: f64,
}

impl JudgeVerdict {
    /// An AGREE.
    pub fn agree(why: impl Into<String>, evidence: Vec<String>, cost: f64) -> Self {
        JudgeVerdict {
            stance: Stance::Agree,
            why: why.into(),
            evidence,
            cost,
        }
    }
    /// A DISAGREE.
    pub fn disagree(why: impl Into<String>, evidence: Vec<String>, cost: f64) -> Self {
        JudgeVerdict {
            stance: Stance::Disagree,
            why: why.into(),
            evidence,
            cost,
        }
    }
    /// An ABSTAIN.
    pub fn abstain(why: impl Into<String>, evidence: Vec<String>, cost: f64) -> Self {
        JudgeVerdict {
            stance: Stance::Abstain,
            why: why.into(),
            evidence,
            cost,
        }
    }
}

pub use crate::config::DriverConfig;

impl crate::EventRef<'_> {
    /// Decode the record into a JSON object (the journal's line shape).
    /// Since 1.1.0.
    pub fn to_json(&self) -> Result<serde_json::Map<String, Value>, serde_json::Error> {
        serde_json::from_str(self.record.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn value_types_use_reference_tokens() {
        let v = StopVerdict::stop("r", "stop_on_liveness", vec!["e".into()]);
        assert_eq!(
            serde_json::to_value(&v).ok(),
            Some(
                json!({"stance": "STOP", "reason": "r", "cause_key": "stop_on_liveness", "evidence": ["e"]})
            )
        );
        let n: NotifyResult =
            serde_json::from_value(json!({"delivered": true, "ref": "1.2"})).expect("decodes");
        assert_eq!(n.reference, "1.2");
        let s: Result<StopVerdict, _> = serde_json::from_value(json!({"stance": "HALT", "reason": "x"}));
        assert!(s.is_err(), "a stance outside the vocabulary is rejected");
        let d: StopVerdict =
            serde_json::from_value(json!({"stance": "DEFER", "reason": "x"})).expect("decodes");
        assert_eq!(d.cause_key, "stop_policy");
    }
}
