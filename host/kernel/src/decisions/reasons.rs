//! The block-reason registry: the closed refusal vocabulary as data (reference:
//! `dos.reasons`). The built-in set plus a workspace's `[reasons]` table.

use dos_py::repr::{list_repr as py_list_repr, str_repr as py_repr};
use dos_py::toml_value::{toml_str, toml_type_name as py_type_name};
use toml::{Table, Value};

/// The categories a reason may roll up to.
pub const KNOWN_CATEGORIES: [&str; 5] = [
    "MISROUTE",
    "OPERATOR_GATE",
    "STALE_CLAIM",
    "TRUE_DRAIN",
    "UNCLASSIFIED",
];

/// The category of a token the registry does not know.
pub const UNCLASSIFIED: &str = "UNCLASSIFIED";

/// One reason, as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonSpec {
    /// The canonical token.
    pub token: String,
    /// The category it rolls up to.
    pub category: String,
    /// Whether a verdict carrying it must not be rendered.
    pub refusal: bool,
    /// One-line remedy (`TYPICAL FIX`).
    pub fix: String,
    /// `SEE ALSO` pointers.
    pub see_also: Vec<String>,
    /// One-line gloss (`MEANS`).
    pub summary: String,
}

impl ReasonSpec {
    fn key(&self) -> String {
        self.token.trim().to_uppercase()
    }
}

/// A closed, ordered set of reasons with case-insensitive lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonRegistry {
    specs: Vec<ReasonSpec>,
}

fn spec(token: &str, category: &str, summary: &str, fix: &str, see_also: &[&str]) -> ReasonSpec {
    ReasonSpec {
        token: token.into(),
        category: category.into(),
        refusal: true,
        fix: fix.into(),
        see_also: see_also.iter().map(|s| s.to_string()).collect(),
        summary: summary.into(),
    }
}

impl Default for ReasonRegistry {
    fn default() -> Self {
        ReasonRegistry::builtin()
    }
}

impl ReasonRegistry {
    /// The built-in reasons, verbatim from the reference.
    pub fn builtin() -> ReasonRegistry {
        ReasonRegistry {
            specs: vec![
                spec(
                    "LANE_DRAINED",
                    "TRUE_DRAIN",
                    "0 plans + 0 findings — the lane is genuinely drained.",
                    "Nothing to do — the backlog is empty. /replan to refill if you expect work.",
                    &["oracle picker_oracle"],
                ),
                spec(
                    "LANE_BLOCKED_ON_SOAK_GATED_PHASES",
                    "OPERATOR_GATE",
                    "Lane has pickable phases but all remaining gate on an open soak window.",
                    "Wait for the soak window to close, or /replan to re-shape the lane.",
                    &["meta gates_on_soak", "meta soak_until", "oracle picker_oracle"],
                ),
                spec(
                    "LANE_LEASE_HELD_BY_LIVE_DISPATCH_LOOP",
                    "OPERATOR_GATE",
                    "A foreign, live /dispatch-loop holds this cluster's lane lease.",
                    "Wait for the holding loop to release the lease (racing it is the collision the arbiter prevents). The reason string carries the holder.",
                    &["lane <holder>", "oracle picker_oracle"],
                ),
                spec(
                    "LANE_ALL_INFLIGHT_OR_DEFERRED",
                    "STALE_CLAIM",
                    "Remaining phases are all soft-claimed in-flight by a sibling, and/or deferred by the plan body's own gate.",
                    "Wait for the sibling packet to ship/release, or /replan to re-rank.",
                    &["oracle picker_oracle"],
                ),
                spec(
                    "LANE_ALL_SHIPPED_INFLIGHT_OR_STALE_STAMP",
                    "STALE_CLAIM",
                    "Remaining phases are a mix of shipped-but-unstamped + in-flight + stale-stamped (the apply/tailor 'already done or drifting' shape).",
                    "/replan to reconcile the stale SHIPPED stamps, then re-dispatch.",
                    &["oracle ship_oracle"],
                ),
                spec(
                    "LANE_ALL_BLOCKED_OR_STALE_STAMP",
                    "OPERATOR_GATE",
                    "Every remaining phase is blocked, or its stamp is drifted (soak + stamp-drift co-occur).",
                    "/replan to reconcile stamps and surface the blocks.",
                    &["oracle ship_oracle"],
                ),
                spec(
                    "LANE_BLOCKED_ON_OPERATOR_DECISION",
                    "OPERATOR_GATE",
                    "Lane is blocked on an unanswered operator decision; the routing finding is already soft-claimed by a sibling. No automation clears it.",
                    "Answer the open decision (it surfaces once), then /replan.",
                    &["oracle picker_oracle"],
                ),
                spec(
                    "SELF_MODIFY",
                    "MISROUTE",
                    "Lease tree includes the orchestrator's own running code — a live loop must not rewrite the kernel that is adjudicating it.",
                    "Edit kernel runtime files OUTSIDE a live dispatch loop, or pass --force to override (the operator's explicit 'I am deliberately editing the kernel between loop runs').",
                    &["dos man lane", "dos arbitrate"],
                ),
                spec(
                    "SCHEMA_UNREADABLE",
                    "MISROUTE",
                    "A durable record is tagged at a schema version this kernel predates — refuse-don't-guess (never best-effort-parse an unknown shape).",
                    "Upgrade the kernel to one that understands this record's schema version, or run a migration. The refusal carries the family + the version this kernel reads + the record's version (the supported set).",
                    &["durable_schema", "resume", "dos man wedge SELF_MODIFY"],
                ),
                spec(
                    "UNKNOWN_LANE",
                    "MISROUTE",
                    "An explicit keyword request named a lane this workspace's taxonomy does not contain — the kernel refuses to guess a substitute (auto-pick only chooses when the caller expresses no preference).",
                    "Pass a lane the workspace knows as --scope (see the refusal's known-lane list or `dos man lane`), run a bare invocation to auto-pick any free lane, or register the lane in dos.toml.",
                    &["lane", "dos arbitrate", "dos man wedge SELF_MODIFY"],
                ),
            ],
        }
    }

    /// The spec for `token` (case-insensitive, whitespace-tolerant).
    pub fn get(&self, token: &str) -> Option<&ReasonSpec> {
        if token.is_empty() {
            return None;
        }
        let k = token.trim().to_uppercase();
        self.specs.iter().find(|s| s.key() == k)
    }

    /// The category of `token`, `UNCLASSIFIED` when unknown.
    pub fn category_for(&self, token: &str) -> &str {
        self.get(token)
            .map(|s| s.category.as_str())
            .unwrap_or(UNCLASSIFIED)
    }

    /// Whether a verdict carrying `token` is a refusal (unknown tokens are).
    pub fn is_refusal(&self, token: &str) -> bool {
        self.get(token).map(|s| s.refusal).unwrap_or(true)
    }

    /// A new registry with a workspace `[reasons]` table appended. The error
    /// text is the reference's; the caller warns and keeps `self`.
    pub fn extended(&self, table: &Table) -> Result<ReasonRegistry, String> {
        let mut specs = self.specs.clone();
        for (token, body) in table {
            // `[[reasons.morphology]]` belongs to another seam (the reason
            // morphology recognizer), not to this registry.
            if token == "morphology" && matches!(body, Value::Array(_)) {
                continue;
            }
            let Value::Table(body) = body else {
                return Err(format!(
                    "[reasons.{token}] must be a table, got {}",
                    py_type_name(body)
                ));
            };
            let Some(category) = body.get("category") else {
                return Err(format!("[reasons.{token}] is missing required `category`"));
            };
            let category = toml_str(category);
            if token.trim().is_empty() {
                return Err("ReasonSpec.token must be a non-empty string".into());
            }
            if !KNOWN_CATEGORIES.contains(&category.as_str()) {
                return Err(format!(
                    "ReasonSpec {} has category {}, which is not a known NoPickCause value {}. A reason must roll up to a category the oracle can verify against.",
                    py_repr(token),
                    py_repr(&category),
                    py_list_repr(KNOWN_CATEGORIES)
                ));
            }
            let see_also = match body.get("see_also") {
                Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
                Some(Value::Array(items)) => items.iter().map(toml_str).collect(),
                _ => Vec::new(),
            };
            let refusal = match body.get("refusal") {
                None => true,
                Some(Value::Boolean(b)) => *b,
                Some(Value::Integer(i)) => *i != 0,
                Some(Value::Float(f)) => *f != 0.0,
                Some(Value::String(s)) => !s.is_empty(),
                Some(Value::Array(a)) => !a.is_empty(),
                Some(Value::Table(t)) => !t.is_empty(),
                Some(Value::Datetime(_)) => true,
            };
            let new = ReasonSpec {
                token: token.clone(),
                category,
                refusal,
                fix: body.get("fix").map(toml_str).unwrap_or_default(),
                see_also,
                summary: body.get("summary").map(toml_str).unwrap_or_default(),
            };
            if specs.iter().any(|s| s.key() == new.key()) {
                return Err(format!(
                    "duplicate reason token {} in registry — a reason is declared exactly once (later declarations would shadow silently, the drift this registry exists to forbid)",
                    py_repr(token)
                ));
            }
            specs.push(new);
        }
        Ok(ReasonRegistry { specs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        text.parse::<Table>().expect("toml")
    }

    #[test]
    fn lookup_is_case_insensitive_and_unknown_is_unclassified() {
        let r = ReasonRegistry::builtin();
        assert_eq!(r.category_for(" lane_drained "), "TRUE_DRAIN");
        assert_eq!(r.category_for("NOPE"), UNCLASSIFIED);
        assert!(r.is_refusal("NOPE"));
        assert!(r.is_refusal(""));
    }

    #[test]
    fn workspace_reasons_extend_and_validate() {
        let r = ReasonRegistry::builtin();
        let ext = r
            .extended(&table(
                "[X_GATE]\ncategory = \"OPERATOR_GATE\"\nrefusal = false\nsee_also = \"a\"\n",
            ))
            .expect("valid");
        assert!(!ext.is_refusal("x_gate"));
        assert_eq!(
            ext.get("X_GATE").map(|s| s.see_also.clone()),
            Some(vec!["a".to_string()])
        );
        let e = r.extended(&table("[Y]\ncategory = \"BOGUS\"\n")).unwrap_err();
        assert!(
            e.starts_with(
                "ReasonSpec 'Y' has category 'BOGUS', which is not a known NoPickCause value ['MISROUTE',"
            ),
            "{e}"
        );
        let e = r.extended(&table("[Y]\nfix = \"f\"\n")).unwrap_err();
        assert_eq!(e, "[reasons.Y] is missing required `category`");
        let e = r.extended(&table("Y = 3\n")).unwrap_err();
        assert_eq!(e, "[reasons.Y] must be a table, got int");
        let e = r
            .extended(&table("[lane_drained]\ncategory = \"TRUE_DRAIN\"\n"))
            .unwrap_err();
        assert!(
            e.starts_with("duplicate reason token 'lane_drained' in registry"),
            "{e}"
        );
    }
}
