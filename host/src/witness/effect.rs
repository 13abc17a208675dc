//! The effect claim and the pure four-valued witness ladder.

use super::{believe_under_floor, Accountability, EvidenceFacts, Stance};
use dos_py::repr::str_repr as py_repr;
use serde_json::{Map, Value};

/// A claimed effect: an opaque key, an optional probe subject, the narration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EffectClaim {
    /// The effect identity.
    pub key: String,
    /// What to probe (default: the key).
    pub subject: String,
    /// What the agent said (never evidence).
    pub narrated: String,
}

impl EffectClaim {
    /// The subject a witness probes.
    pub(crate) fn probe_subject(&self) -> &str {
        if self.subject.is_empty() {
            &self.key
        } else {
            &self.subject
        }
    }
}

/// The four verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EffectVerdict {
    /// A non-forgeable witness saw the effect.
    Confirmed,
    /// A non-forgeable witness saw it absent (or witnesses conflict).
    Refuted,
    /// No accountable witness reached it.
    Unwitnessed,
    /// Nothing checkable was claimed.
    NoClaim,
}

impl EffectVerdict {
    /// The upper-case token.
    pub(crate) fn name(self) -> &'static str {
        match self {
            EffectVerdict::Confirmed => "CONFIRMED",
            EffectVerdict::Refuted => "REFUTED",
            EffectVerdict::Unwitnessed => "UNWITNESSED",
            EffectVerdict::NoClaim => "NO_CLAIM",
        }
    }
}

/// The witness's ruling on one claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EffectWitnessVerdict {
    /// The verdict.
    pub verdict: EffectVerdict,
    /// Believed.
    pub believe: bool,
    /// Refuted.
    pub refuted: bool,
    /// Why.
    pub reason: String,
    /// The claim's key (untrimmed).
    pub claim_key: String,
    /// The narration.
    pub narrated: String,
    /// The deciding witness.
    pub witness: String,
    /// Its rung.
    pub accountability: Option<Accountability>,
    /// Sources that reached no stance.
    pub silent_witnesses: Vec<String>,
}

impl EffectWitnessVerdict {
    /// `to_dict()` in the reference's (normative) key order.
    pub(crate) fn to_map(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("verdict".into(), Value::from(self.verdict.name()));
        m.insert("believe".into(), Value::Bool(self.believe));
        m.insert("refuted".into(), Value::Bool(self.refuted));
        m.insert("reason".into(), Value::from(self.reason.as_str()));
        m.insert("claim_key".into(), Value::from(self.claim_key.as_str()));
        m.insert("narrated".into(), Value::from(self.narrated.as_str()));
        m.insert("witness".into(), Value::from(self.witness.as_str()));
        m.insert(
            "accountability".into(),
            self.accountability
                .map(|a| Value::from(a.name()))
                .unwrap_or(Value::Null),
        );
        m.insert(
            "silent_witnesses".into(),
            Value::Array(
                self.silent_witnesses
                    .iter()
                    .map(|s| Value::from(s.as_str()))
                    .collect(),
            ),
        );
        m
    }
}

/// The reason of a NO_CLAIM verdict.
pub(crate) const NO_CLAIM_REASON: &str =
    "no checkable effect claimed — nothing to witness (abstain, never invent)";

/// Rule on `claim` from the read-backs (pure).
pub(crate) fn witness_effect(
    claim: Option<&EffectClaim>,
    readbacks: &[EvidenceFacts],
) -> EffectWitnessVerdict {
    let Some(claim) = claim.filter(|c| !c.key.trim().is_empty()) else {
        return EffectWitnessVerdict {
            verdict: EffectVerdict::NoClaim,
            believe: false,
            refuted: false,
            reason: NO_CLAIM_REASON.into(),
            claim_key: String::new(),
            narrated: String::new(),
            witness: String::new(),
            accountability: None,
            silent_witnesses: Vec::new(),
        };
    };
    let belief = believe_under_floor(readbacks);
    let silent: Vec<String> = readbacks
        .iter()
        .filter(|f| !(f.reachable && matches!(f.stance, Stance::Attested | Stance::Refuted)))
        .map(|f| f.source_name.clone())
        .collect();
    let first = |s: Stance| {
        readbacks
            .iter()
            .find(|f| f.reachable && f.stance == s && !f.accountability.is_agent_authored())
    };
    let k = py_repr(&claim.key);
    let (att, refu) = (belief.attesting.join(", "), belief.refuting.join(", "));
    let (verdict, believe, refuted, by, reason) = if belief.believe && belief.refuted {
        (EffectVerdict::Refuted, false, true, first(Stance::Attested), format!("CONFLICT — accountable witnesses disagree on effect {k}: {att} present, {refu} absent (route to a human)"))
    } else if belief.believe {
        (
            EffectVerdict::Confirmed,
            true,
            false,
            first(Stance::Attested),
            format!("CONFIRMED — non-forgeable witness re-read the world and effect {k} is PRESENT: {att}"),
        )
    } else if belief.refuted {
        (EffectVerdict::Refuted, false, true, first(Stance::Refuted), format!("REFUTED — non-forgeable witness re-read the world and effect {k} is ABSENT: {refu} (a narrated success the world does not corroborate)"))
    } else if !belief.attesting.is_empty() {
        (EffectVerdict::Unwitnessed, false, false, None, format!("UNWITNESSED — effect {k} was only re-read on the forgeable floor (AGENT_AUTHORED: {att}); no accountable witness — cannot confirm (the agent re-reading its own surface is not corroboration)"))
    } else {
        (EffectVerdict::Unwitnessed, false, false, None, format!("UNWITNESSED — no accountable witness reached effect {k} (no signal); cannot tell whether it happened"))
    };
    EffectWitnessVerdict {
        verdict,
        believe,
        refuted,
        reason,
        claim_key: claim.key.clone(),
        narrated: claim.narrated.clone(),
        witness: by.map(|f| f.source_name.clone()).unwrap_or_default(),
        accountability: by.map(|f| f.accountability),
        silent_witnesses: silent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::witness::Accountability::*;

    #[test]
    #[allow(clippy::type_complexity)]
    fn golden_joins() {
        let os_att = EvidenceFacts::attest("os_acceptance", OsRecorded, "s", "");
        let tp_ref = EvidenceFacts::refute("ci_status", ThirdParty, "s", "");
        let ag_att = EvidenceFacts::attest("paste", AgentAuthored, "s", "");
        let ag_ref = EvidenceFacts::refute("paste2", AgentAuthored, "s", "");
        let ns = EvidenceFacts::no_signal("null", AgentAuthored, "s", "");
        let claim = EffectClaim {
            key: "quiz:1".into(),
            narrated: "made quiz".into(),
            ..Default::default()
        };
        let table: Vec<(Vec<EvidenceFacts>, &str, &str, Option<Accountability>, Vec<&str>, &str)> = vec![
            (vec![ns.clone(), os_att.clone(), ag_ref.clone()], "CONFIRMED", "os_acceptance", Some(OsRecorded), vec!["null"],
             "CONFIRMED — non-forgeable witness re-read the world and effect 'quiz:1' is PRESENT: os_acceptance"),
            (vec![tp_ref.clone(), ag_att.clone()], "REFUTED", "ci_status", Some(ThirdParty), vec![],
             "REFUTED — non-forgeable witness re-read the world and effect 'quiz:1' is ABSENT: ci_status (a narrated success the world does not corroborate)"),
            (vec![os_att.clone(), tp_ref.clone(), ns.clone()], "REFUTED", "os_acceptance", Some(OsRecorded), vec!["null"],
             "CONFLICT — accountable witnesses disagree on effect 'quiz:1': os_acceptance present, ci_status absent (route to a human)"),
            (vec![ag_att.clone(), ag_ref.clone(), ns.clone()], "UNWITNESSED", "", None, vec!["null"],
             "UNWITNESSED — effect 'quiz:1' was only re-read on the forgeable floor (AGENT_AUTHORED: paste); no accountable witness — cannot confirm (the agent re-reading its own surface is not corroboration)"),
            (vec![], "UNWITNESSED", "", None, vec![],
             "UNWITNESSED — no accountable witness reached effect 'quiz:1' (no signal); cannot tell whether it happened"),
            (vec![EvidenceFacts::no_signal("os_acceptance", OsRecorded, "", "")], "UNWITNESSED", "", None, vec!["os_acceptance"],
             "UNWITNESSED — no accountable witness reached effect 'quiz:1' (no signal); cannot tell whether it happened"),
        ];
        for (facts, verdict, witness, rung, silent, reason) in table {
            let v = witness_effect(Some(&claim), &facts);
            assert_eq!(v.verdict.name(), verdict, "{reason}");
            assert_eq!(v.reason, reason);
            assert_eq!(v.witness, witness);
            assert_eq!(v.accountability, rung);
            assert_eq!(v.silent_witnesses, silent);
            assert_eq!(v.narrated, "made quiz");
        }
        let blank = EffectClaim {
            key: "  ".into(),
            ..Default::default()
        };
        assert_eq!(
            witness_effect(Some(&blank), &[os_att]).verdict,
            EffectVerdict::NoClaim
        );
        assert_eq!(witness_effect(None, &[]).reason, NO_CLAIM_REASON);
    }

    #[test]
    fn belief_reasons() {
        let os_att = EvidenceFacts::attest("os_acceptance", OsRecorded, "s", "");
        let tp_ref = EvidenceFacts::refute("ci_status", ThirdParty, "s", "");
        let ag_att = EvidenceFacts::attest("paste", AgentAuthored, "s", "");
        let table = [
            (vec![], "abstain — no witness reached this effect (no signal)"),
            (vec![os_att.clone()], "believed — non-forgeable witness attested: os_acceptance"),
            (vec![tp_ref.clone()], "refuted — non-forgeable witness disconfirmed: ci_status"),
            (vec![os_att, tp_ref], "CONFLICT — accountable witnesses disagree: os_acceptance attest, ci_status refute (route to a human)"),
            (vec![ag_att], "abstain — only forgeable-floor (AGENT_AUTHORED) sources attested (paste); no accountable witness — verify cannot believe"),
        ];
        for (facts, reason) in table {
            assert_eq!(believe_under_floor(&facts).reason, reason);
        }
    }
}
