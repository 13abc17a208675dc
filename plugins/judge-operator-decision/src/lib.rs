//! Judge plugin `operator-decision`: the thin binding of a host's
//! operator-decision queue onto the JUDGE rung (reference:
//! `dos.drivers.operator_judge.OperatorDecisionJudge`).
//!
//! The host's own adjudication runs upstream and writes its ruling into the
//! claim: the decision string in `claim_text`, the human reason in
//! `stated_reason`. This judge only maps it, with no I/O and no model:
//!
//! | `claim_text` (trimmed, lower-cased) | stance   |
//! |-------------------------------------|----------|
//! | `accept-recommended`                | AGREE    |
//! | `escalate`                          | DISAGREE |
//! | `defer`                             | ABSTAIN  |
//! | anything else, including empty      | ABSTAIN  |
//!
//! The verdict's `why` is `stated_reason` verbatim, its evidence the claim's
//! evidence verbatim, its cost 0.0.
//!
//! A `cdylib` loaded by the `dos` plugin host: it depends on `dos-plugin-api`
//! only, never on the host crates (`dos-core`, `dos-plugin-host`, `dos`).

#![forbid(unsafe_code)]

use dos_plugin_api::pystr::is_py_space;
use dos_plugin_api::{Claim, Judge, JudgeVerdict, PluginError, Registry, Stance};

/// The judge's registered name.
pub const JUDGE_NAME: &str = "operator-decision";

/// Map a host decision string to a stance (reference `stance_for_decision`):
/// only `accept-recommended` clears; an unknown string abstains.
pub fn stance_for_decision(decision: &str) -> Stance {
    match decision.trim_matches(is_py_space).to_lowercase().as_str() {
        "accept-recommended" => Stance::Agree,
        "escalate" => Stance::Disagree,
        _ => Stance::Abstain,
    }
}

/// The verdict for a host decision string (reference `verdict_for_decision`).
pub fn verdict_for_decision(decision: &str, reason: &str, evidence: Vec<String>, cost: f64) -> JudgeVerdict {
    match stance_for_decision(decision) {
        Stance::Agree => JudgeVerdict::agree(reason, evidence, cost),
        Stance::Disagree => JudgeVerdict::disagree(reason, evidence, cost),
        Stance::Abstain => JudgeVerdict::abstain(reason, evidence, cost),
    }
}

/// The `operator-decision` judge (stateless).
#[derive(Debug, Clone, Copy, Default)]
pub struct OperatorDecisionJudge;

impl Judge for OperatorDecisionJudge {
    fn rule(&mut self, claim: &Claim) -> Result<JudgeVerdict, PluginError> {
        Ok(verdict_for_decision(
            &claim.claim_text,
            &claim.stated_reason,
            claim.evidence.clone(),
            0.0,
        ))
    }
}

fn register(r: &mut Registry) {
    r.judge(JUDGE_NAME, |_cfg| Ok(OperatorDecisionJudge));
}

dos_plugin_api::export_plugin!(name: "dos-judge-operator-decision", version: env!("CARGO_PKG_VERSION"), register: register);

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(text: &str, reason: &str, evidence: &[&str]) -> Claim {
        Claim {
            claim_text: text.to_string(),
            stated_reason: reason.to_string(),
            evidence: evidence.iter().map(|s| s.to_string()).collect(),
            subject: String::new(),
        }
    }

    #[test]
    fn mapping_matches_the_reference() {
        let table: &[(&str, Stance)] = &[
            ("accept-recommended", Stance::Agree),
            ("  Accept-Recommended\n", Stance::Agree),
            ("escalate", Stance::Disagree),
            ("  ESCALATE ", Stance::Disagree),
            ("\u{1c}escalate\u{85}", Stance::Disagree),
            ("defer", Stance::Abstain),
            ("DEFER", Stance::Abstain),
            ("maybe", Stance::Abstain),
            ("", Stance::Abstain),
            ("accept", Stance::Abstain),
            ("accept recommended", Stance::Abstain),
            ("escalate!", Stance::Abstain),
        ];
        for (text, want) in table {
            assert_eq!(stance_for_decision(text), *want, "{text:?}");
        }
    }

    #[test]
    fn why_and_evidence_pass_through_verbatim() {
        // Reference golden: '  ESCALATE ' → {"stance": "DISAGREE", "why": "r", "evidence": ["e"], "cost": 0.0}
        let v = OperatorDecisionJudge
            .rule(&claim("  ESCALATE ", "r", &["e"]))
            .unwrap();
        assert_eq!(v, JudgeVerdict::disagree("r", vec!["e".into()], 0.0));
        let v = OperatorDecisionJudge.rule(&claim("maybe", "", &[])).unwrap();
        assert_eq!(v, JudgeVerdict::abstain("", vec![], 0.0));
        let v = OperatorDecisionJudge
            .rule(&claim("accept-recommended", " looks reversible ", &["a", "b"]))
            .unwrap();
        assert_eq!(
            v,
            JudgeVerdict::agree(" looks reversible ", vec!["a".into(), "b".into()], 0.0)
        );
    }

    #[test]
    fn judge_eval_golden_cases() {
        // The spec's cases.jsonl under `--judge operator-decision`:
        // AGREE=1 DISAGREE=1 ABSTAIN=5.
        let cases = [
            "phase AUTH2 shipped",
            "the login page supports OAuth",
            "tests pass",
            "migration 0042 applied to prod",
            "accept-recommended",
            "escalate",
            "defer",
        ];
        let stances: Vec<Stance> = cases
            .iter()
            .map(|c| OperatorDecisionJudge.rule(&claim(c, "", &[])).unwrap().stance)
            .collect();
        assert_eq!(stances.iter().filter(|s| **s == Stance::Agree).count(), 1);
        assert_eq!(stances.iter().filter(|s| **s == Stance::Disagree).count(), 1);
        assert_eq!(stances.iter().filter(|s| **s == Stance::Abstain).count(), 5);
    }

    #[test]
    fn verdict_for_decision_carries_the_cost() {
        let v = verdict_for_decision("escalate", "why", vec![], 1.5);
        assert_eq!(v.cost, 1.5);
        assert_eq!(v.stance, Stance::Disagree);
    }
}
