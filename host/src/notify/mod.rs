//! The host side of the notifier seam (reference: `dos.notify`): adapters that
//! turn a projection (the decisions queue, a `dos top` frame) into a
//! [`Notification`], and the text/JSON reports of a send. Delivery itself is
//! the resolved notifier's job (`PluginHost::notifier`), whose handle never fails.

pub(crate) mod top;

use crate::decisions::rows::cut;
use crate::decisions::{Decision, DecisionKind};
use dos_plugin_api::{Notification, NotifyAction, NotifyResult, Severity};
use serde_json::{Map, Value};

/// Edit-in-place key of the decisions digest.
pub(crate) const DECISIONS_KEY: &str = "dos-decisions";
/// Field values are cut to this many code points.
pub(crate) const MAX_FIELD: usize = 300;

/// The one-character tag of a severity in text output.
pub(crate) fn severity_tag(s: Severity) -> &'static str {
    match s {
        Severity::Info => "·",
        Severity::Warn => "▲",
        Severity::Urgent => "■",
    }
}

/// The decisions digest: URGENT when a LIVENESS halt is pending, WARN for any
/// other pending row, INFO when clear; the first `max(0, top)` rows as fields
/// (`<KIND> @ <lane>` → token, else text; `  (×n)` and `  ⟶ stop: <cmd>` suffixes).
pub(crate) fn notification_for_decisions(rows: &[Decision], summary: String, top: i64) -> Notification {
    let severity = if rows.iter().any(|d| d.kind == DecisionKind::Liveness) {
        Severity::Urgent
    } else if rows.is_empty() {
        Severity::Info
    } else {
        Severity::Warn
    };
    let n = rows.len();
    let title = if n == 0 {
        "fleet clear — no pending decisions".to_string()
    } else {
        format!("{n} decision{} need you", if n == 1 { "" } else { "s" })
    };
    let k = usize::try_from(top.max(0)).unwrap_or(usize::MAX);
    let fields = rows
        .iter()
        .take(k)
        .map(|d| {
            let label = format!(
                "{} @ {}",
                d.kind.token(),
                if d.lane.is_empty() { "-" } else { &d.lane }
            );
            let mut value = [d.reason_token.as_str(), d.reason_text.as_str()]
                .into_iter()
                .find(|s| !s.is_empty())
                .unwrap_or("?")
                .to_string();
            if d.dup_count > 1 {
                value.push_str(&format!("  (×{})", d.dup_count));
            }
            if !d.proposed_command.is_empty() {
                value.push_str(&format!("  ⟶ stop: {}", d.proposed_command));
            }
            (label, cut(&value, MAX_FIELD).to_string())
        })
        .collect();
    Notification {
        action: None,
        severity,
        title,
        summary,
        fields,
        key: DECISIONS_KEY.into(),
        source: "decisions".into(),
    }
}

/// The fleet-status note: URGENT if any lane is STALLED, WARN if any is
/// SPINNING, else INFO; one field per non-FREE lane, then `recent verdicts`.
pub(crate) fn notification_for_top(frame: &top::Frame, summary: String) -> Notification {
    let word = |chip: &str| chip.split_whitespace().last().unwrap_or("").to_string();
    let count = |w: &str| frame.lanes.iter().filter(|s| word(s.chip) == w).count();
    let (adv, spin, stalled, free) = (
        count("ADVANCING"),
        count("SPINNING"),
        count("STALLED"),
        count("FREE"),
    );
    let severity = if stalled > 0 {
        Severity::Urgent
    } else if spin > 0 {
        Severity::Warn
    } else {
        Severity::Info
    };
    let mut fields: Vec<(String, String)> = frame
        .lanes
        .iter()
        .filter(|s| word(s.chip) != "FREE")
        .map(|s| {
            let lane = if s.lane.is_empty() {
                "-".to_string()
            } else {
                s.lane.clone()
            };
            let mut value = s.chip.to_string();
            if !s.holder.is_empty() {
                value.push_str("  ");
                value.push_str(&s.holder);
            }
            (lane, cut(&value, MAX_FIELD).to_string())
        })
        .collect();
    if !frame.verdicts.is_empty() {
        fields.push(("recent verdicts".into(), frame.verdicts.len().to_string()));
    }
    Notification {
        action: None,
        severity,
        title: format!("fleet: {adv} advancing · {spin} spinning · {stalled} stalled · {free} free"),
        summary,
        fields,
        key: format!("dos-top:{}", frame.workspace),
        source: "top".into(),
    }
}

/// The follow-up for a projection `source` (`decisions`, `top`, `pulse`), with
/// `--workspace <root>` (double-quoted when it holds whitespace) when `root`
/// is known; `None` for any other source (0.30's `action_for_source`).
pub(crate) fn action_for_source(source: &str, root: &str) -> Option<NotifyAction> {
    let (label, verb) = match source {
        "decisions" => ("review the decisions queue", "decisions"),
        "top" => ("open the live fleet status", "top"),
        "pulse" => ("open the fleet pulse", "pulse"),
        _ => return None,
    };
    let mut command = format!("dos {verb}");
    if !root.is_empty() {
        let quoted = if root.chars().any(char::is_whitespace) {
            format!("\"{root}\"")
        } else {
            root.to_string()
        };
        command = format!("{command} --workspace {quoted}");
    }
    Some(NotifyAction {
        label: label.into(),
        command,
        url: String::new(),
    })
}

/// `{label, command, url}`.
pub(crate) fn action_json(a: &NotifyAction) -> Value {
    let mut m = Map::new();
    m.insert("label".into(), a.label.clone().into());
    m.insert("command".into(), a.command.clone().into());
    m.insert("url".into(), a.url.clone().into());
    Value::Object(m)
}

/// The reference's `Notification.to_dict` (0.30: with `action`, `null` when none).
pub(crate) fn notification_json(n: &Notification) -> Value {
    let mut m = Map::new();
    m.insert("severity".into(), n.severity.token().into());
    m.insert("title".into(), n.title.clone().into());
    m.insert("summary".into(), n.summary.clone().into());
    m.insert(
        "fields".into(),
        Value::Array(
            n.fields
                .iter()
                .map(|(l, v)| Value::Array(vec![l.clone().into(), v.clone().into()]))
                .collect(),
        ),
    );
    m.insert("key".into(), n.key.clone().into());
    m.insert("source".into(), n.source.clone().into());
    m.insert(
        "action".into(),
        n.action.as_ref().map_or(Value::Null, action_json),
    );
    Value::Object(m)
}

/// The reference's `NotifyResult.to_dict`.
pub(crate) fn result_json(r: &NotifyResult) -> Value {
    let mut m = Map::new();
    m.insert("delivered".into(), r.delivered.into());
    m.insert("detail".into(), r.detail.clone().into());
    m.insert("ref".into(), r.reference.clone().into());
    Value::Object(m)
}

/// The `--json` envelope: `{"notification", "result", "notifier"}`.
pub(crate) fn report_json(n: &Notification, r: &NotifyResult, notifier: &str) -> Value {
    let mut m = Map::new();
    m.insert("notification".into(), notification_json(n));
    m.insert("result".into(), result_json(r));
    m.insert("notifier".into(), notifier.into());
    Value::Object(m)
}

/// The text report (each line ends with `\n`); 0.30 adds `  → <label>:
/// <command>` after the fields (its OSC 8 link is for terminals only).
pub(crate) fn report_text(n: &Notification, r: &NotifyResult, notifier: &str) -> String {
    let mut out = format!(
        "{} [{}] {}\n",
        severity_tag(n.severity),
        n.severity.token(),
        n.title
    );
    for (label, value) in &n.fields {
        out.push_str(&format!("    {label}: {value}\n"));
    }
    if let Some(a) = &n.action {
        let label = if a.label.trim().is_empty() {
            "open"
        } else {
            a.label.trim()
        };
        let text = if a.command.trim().is_empty() {
            label
        } else {
            a.command.trim()
        };
        out.push_str(&format!("  → {label}: {text}\n"));
    }
    if notifier == "null" {
        out.push_str("  → not sent (notifier=null; pass --notifier slack --channel NAME to deliver)\n");
    } else {
        let status = if r.delivered { "sent" } else { "NOT sent" };
        out.push_str(&format!("  → {status} via {notifier}: {}\n", r.detail));
    }
    out
}

/// Whether a send counts as failed for the exit code: a real notifier
/// (not `null`), not a dry run, and not delivered.
pub(crate) fn send_failed(r: &NotifyResult, notifier: &str, dry_run: bool) -> bool {
    notifier != "null" && !dry_run && !r.delivered
}
