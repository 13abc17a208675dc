//! The verify-on-stop decision: given the claims and the oracle's answers,
//! block the stop (with the exact reason text) or let it pass; and the bytes
//! each output mode emits. Pure — the CLI gathers stdin, claims and verdicts.

use super::claims::Claim;
use super::verdict::JSON_LINE;
use crate::hooks::dialect::{self, Dialect, HookVerdict, Moment};
use dos_py::dumps::dumps;
use dos_py::repr::str_repr as py_repr;
use serde_json::{Map, Value};

/// One checked claim: the claim plus the oracle's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The claim.
    pub claim: Claim,
    /// Whether the oracle says it shipped.
    pub shipped: bool,
    /// The oracle's `source`.
    pub source: String,
}

impl Row {
    /// The result row: the claim's fields plus `shipped` and `source`.
    pub fn to_value(&self) -> Value {
        let mut m = self.claim.to_map();
        m.insert("shipped".into(), Value::from(self.shipped));
        m.insert("source".into(), Value::from(self.source.clone()));
        Value::Object(m)
    }
}

/// What the hook decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Let the agent stop (`checked` claims, all verified or none).
    Pass {
        /// Every checked row.
        results: Vec<Row>,
    },
    /// Refuse the stop.
    Block {
        /// The exact reason text.
        reason: String,
        /// Every checked row.
        results: Vec<Row>,
    },
}

/// The reason text for the failed rows.
pub fn block_reason(failures: &[&Row]) -> String {
    let bits: Vec<String> = failures
        .iter()
        .map(|f| format!("{} {} (via {})", f.claim.plan, f.claim.phase, f.source))
        .collect();
    let it = if failures.len() == 1 { "it" } else { "them" };
    format!(
        "DOS verify: you claimed {} shipped, but git has no commit backing {it}. Land the commit (with the ship-stamp grammar) or correct the claim before stopping.",
        bits.join("; ")
    )
}

/// Decide: a row fails when not shipped and (confident or `strict`).
pub fn decide(results: Vec<Row>, strict: bool) -> Outcome {
    let failures: Vec<&Row> = results
        .iter()
        .filter(|r| !r.shipped && (r.claim.confident() || strict))
        .collect();
    if failures.is_empty() {
        Outcome::Pass { results }
    } else {
        Outcome::Block {
            reason: block_reason(&failures),
            results,
        }
    }
}

/// The block object for `dialect` through the one dialect renderer:
/// without a dialect (`None`/empty) Claude Code's stop-hook block
/// ([`dialect::stop_block`]); with one, its DENY at moment STOP. `Ok(None)`
/// when a plugin dialect renders nothing (or fails: fail-soft), an error
/// message for an unknown dialect.
pub fn block_object(reason: &str, dialect: Option<&str>) -> Result<Option<Value>, String> {
    let Some(name) = dialect.filter(|d| !d.is_empty()) else {
        return Ok(Some(dialect::stop_block(reason)));
    };
    let d = Dialect::resolve(Some(name)).map_err(|e| e.to_string())?;
    let verdict = HookVerdict::Deny {
        reason: reason.to_string(),
        context: String::new(),
    };
    Ok(dialect::render(d, &verdict, Moment::Stop))
}

/// What the hook writes: stdout (one line, or nothing) and stderr lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Emission {
    /// The stdout line (without its newline), if any.
    pub stdout: Option<String>,
    /// Lines for stderr.
    pub stderr: Vec<String>,
}

/// Render `outcome`: `--json` always prints the rich object; otherwise a
/// block prints the dialect's object and a pass prints nothing.
pub fn render(outcome: &Outcome, as_json: bool, dialect: Option<&str>) -> Emission {
    let mut e = Emission::default();
    if as_json {
        let mut m = Map::new();
        match outcome {
            Outcome::Pass { results } => {
                m.insert("ok".into(), Value::Bool(true));
                m.insert("checked".into(), Value::from(results.len()));
                m.insert(
                    "results".into(),
                    Value::Array(results.iter().map(Row::to_value).collect()),
                );
            }
            Outcome::Block { reason, results } => {
                m.insert("ok".into(), Value::Bool(false));
                m.insert("reason".into(), Value::from(reason.clone()));
                m.insert(
                    "results".into(),
                    Value::Array(results.iter().map(Row::to_value).collect()),
                );
            }
        }
        e.stdout = Some(dumps(&Value::Object(m), JSON_LINE));
        return e;
    }
    if let Outcome::Block { reason, .. } = outcome {
        let obj = match block_object(reason, dialect) {
            Ok(Some(v)) => v,
            Ok(None) => return e,
            Err(msg) => {
                e.stderr.push(format!(
                    "dos hook stop: unknown --dialect {} ({msg}); emitting the Claude-Code block shape",
                    py_repr(dialect.unwrap_or(""))
                ));
                dialect::stop_block(reason)
            }
        };
        e.stdout = Some(dumps(&obj, JSON_LINE));
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(phase: &str, rung: &'static str, shipped: bool) -> Row {
        Row {
            claim: Claim {
                plan: "AUTH".into(),
                phase: phase.into(),
                rung,
                raw: format!("DOS-CLAIM: AUTH {phase}"),
            },
            shipped,
            source: if shipped {
                "grep-subject".into()
            } else {
                "none".into()
            },
        }
    }

    const R1: &str = "DOS verify: you claimed AUTH AUTH2 (via none) shipped, but git has no commit backing it. Land the commit (with the ship-stamp grammar) or correct the claim before stopping.";

    #[test]
    fn reason_singular_and_plural() {
        let out = decide(
            vec![row("AUTH1", "marker", true), row("AUTH2", "marker", false)],
            false,
        );
        assert_eq!(
            out,
            Outcome::Block {
                reason: R1.into(),
                results: vec![row("AUTH1", "marker", true), row("AUTH2", "marker", false)]
            }
        );
        let Outcome::Block { reason, .. } = decide(
            vec![
                row("AUTH30", "heuristic", false),
                row("AUTH2", "heuristic", false),
            ],
            true,
        ) else {
            panic!()
        };
        assert!(reason.starts_with("DOS verify: you claimed AUTH AUTH30 (via none); AUTH AUTH2 (via none) shipped, but git has no commit backing them."), "{reason}");
        assert!(matches!(
            decide(vec![row("AUTH2", "heuristic", false)], false),
            Outcome::Pass { .. }
        ));
    }

    #[test]
    fn dialect_table() {
        let block = Outcome::Block {
            reason: "r".into(),
            results: vec![],
        };
        let table = [
            (None, r#"{"decision": "block", "reason": "r"}"#),
            (Some(""), r#"{"decision": "block", "reason": "r"}"#),
            (
                Some("claude-code"),
                r#"{"hookSpecificOutput": {"hookEventName": "Stop", "permissionDecision": "deny", "permissionDecisionReason": "r"}}"#,
            ),
            (
                Some("codex"),
                r#"{"hookSpecificOutput": {"hookEventName": "Stop", "permissionDecision": "deny", "permissionDecisionReason": "r"}}"#,
            ),
            (Some("gemini"), r#"{"decision": "block", "reason": "r"}"#),
            (Some("hermes"), r#"{"decision": "block", "reason": "r"}"#),
            (Some("antigravity"), r#"{"decision": "deny", "reason": "r"}"#),
            (Some("cursor"), r#"{"agent_message": "r", "permission": "deny"}"#),
            (
                Some("claude-cowork"),
                r#"{"hookSpecificOutput": {"hookEventName": "Stop", "permissionDecision": "deny", "permissionDecisionReason": "r"}}"#,
            ),
            (
                Some("copilot-cli"),
                r#"{"permissionDecision": "deny", "permissionDecisionReason": "r"}"#,
            ),
            (Some("bogus"), r#"{"decision": "block", "reason": "r"}"#),
        ];
        for (dialect, expected) in table {
            let e = render(&block, false, dialect);
            assert_eq!(e.stdout.as_deref(), Some(expected), "{dialect:?}");
            assert_eq!(e.stderr.len(), usize::from(dialect == Some("bogus")));
        }
        assert_eq!(
            render(&Outcome::Pass { results: vec![] }, false, Some("codex")),
            Emission::default()
        );
        assert_eq!(
            render(&Outcome::Pass { results: vec![] }, true, None)
                .stdout
                .as_deref(),
            Some(r#"{"checked": 0, "ok": true, "results": []}"#)
        );
    }
}
