//! The judge seam (reference: `dos.judges`): how the host asks an
//! adjudicator whether a claim is supported by un-authored evidence, with the
//! guarantee that nothing becomes AGREE through failure — a judge that
//! panics, errors, hangs, answers with the wrong shape or reports a
//! non-finite cost ABSTAINs with the reference's texts ([`run_judge`]).
//!
//! Judges are resolved by name through the plugin host ([`resolve_judge`]):
//! the built-in `abstain` first (unshadowable), then plugins; an unknown
//! name is the loud `unknown judge 'X'; known: …` error.

pub(crate) mod cases;
pub(crate) mod eval;
pub(crate) mod per_case;

use crate::plugin_host::handles::{JudgeHandle, ABSTAIN_RAISED_TAIL, ABSTAIN_TYPE_TAIL};
use crate::plugin_host::{PluginHost, ResolveError};
#[cfg(test)]
use dos_plugin_api::Judge;
use dos_plugin_api::{Claim, JudgeVerdict};
use serde_json::Map;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Anything that can rule on a claim.
pub(crate) trait Adjudicate {
    /// The judge's name, for failure texts.
    fn name(&self) -> &str;
    /// Rule on `claim`.
    fn rule(&mut self, claim: &Claim) -> JudgeVerdict;
}

impl Adjudicate for JudgeHandle {
    fn name(&self) -> &str {
        &self.info.name
    }
    fn rule(&mut self, claim: &Claim) -> JudgeVerdict {
        JudgeHandle::rule(self, claim)
    }
}

/// An in-process judge (a [`Judge`] implemented by a library user): an
/// `Err` becomes the reference's `raised (...)` ABSTAIN.
#[cfg(test)]
pub(crate) struct InProcess<J> {
    /// The name it is known by.
    pub name: String,
    /// The judge.
    pub judge: J,
}

#[cfg(test)]
impl<J: Judge> Adjudicate for InProcess<J> {
    fn name(&self) -> &str {
        &self.name
    }
    fn rule(&mut self, claim: &Claim) -> JudgeVerdict {
        match self.judge.rule(claim) {
            Ok(v) => v,
            Err(e) => raised(&self.name, &format!("error: {}", e.0)),
        }
    }
}

/// A judge given as a closure (tests).
#[cfg(test)]
pub(crate) struct FnJudge<F> {
    /// The name it is known by.
    pub name: String,
    /// The ruling function.
    pub f: F,
}

#[cfg(test)]
impl<F: FnMut(&Claim) -> JudgeVerdict> Adjudicate for FnJudge<F> {
    fn name(&self) -> &str {
        &self.name
    }
    fn rule(&mut self, claim: &Claim) -> JudgeVerdict {
        (self.f)(claim)
    }
}

/// The reference's ABSTAIN for a judge that could not answer.
pub(crate) fn raised(name: &str, cause: &str) -> JudgeVerdict {
    JudgeVerdict::abstain(
        format!("judge '{name}' raised ({cause}) — {ABSTAIN_RAISED_TAIL}"),
        Vec::new(),
        0.0,
    )
}

/// Run one judge, enforcing fail-to-ABSTAIN: a panic, or a verdict whose
/// cost is not a finite number, is an ABSTAIN naming the problem — never an
/// AGREE.
pub(crate) fn run_judge(judge: &mut dyn Adjudicate, claim: &Claim) -> JudgeVerdict {
    let name = judge.name().to_string();
    match catch_unwind(AssertUnwindSafe(|| judge.rule(claim))) {
        Ok(v) if v.cost.is_finite() => v,
        Ok(v) => JudgeVerdict::abstain(
            format!(
                "judge '{name}' returned a malformed result (non-finite cost {}), not a JudgeVerdict — {ABSTAIN_TYPE_TAIL}",
                v.cost
            ),
            Vec::new(),
            0.0,
        ),
        Err(payload) => raised(
            &name,
            &format!("panic: {}", dos_plugin_api::sdk::panic_payload_text(payload)),
        ),
    }
}

/// Resolve a judge by name (built-ins first; unknown → the loud error). Its
/// `dos.toml [judges.NAME]` table is its configuration.
pub(crate) fn resolve_judge(host: &PluginHost, name: &str) -> Result<JudgeHandle, ResolveError> {
    host.judge(name, &Map::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dos_plugin_api::{PluginError, Stance};

    #[test]
    fn failures_abstain_never_agree() {
        let claim = Claim::default();
        let mut nan = FnJudge {
            name: "nan".into(),
            f: |_: &Claim| JudgeVerdict::agree("trust me", vec![], f64::NAN),
        };
        let v = run_judge(&mut nan, &claim);
        assert_eq!(v.stance, Stance::Abstain);
        assert_eq!(
            v.why,
            format!("judge 'nan' returned a malformed result (non-finite cost NaN), not a JudgeVerdict — {ABSTAIN_TYPE_TAIL}")
        );
        let mut inf = FnJudge {
            name: "inf".into(),
            f: |_: &Claim| JudgeVerdict::agree("trust me", vec![], f64::INFINITY),
        };
        assert_eq!(run_judge(&mut inf, &claim).stance, Stance::Abstain);

        let mut panicking = FnJudge {
            name: "boom".into(),
            f: |_: &Claim| -> JudgeVerdict { panic!("kaput") },
        };
        let v = run_judge(&mut panicking, &claim);
        assert_eq!(
            v.why,
            format!("judge 'boom' raised (panic: kaput) — {ABSTAIN_RAISED_TAIL}")
        );

        struct Erring;
        impl Judge for Erring {
            fn rule(&mut self, _c: &Claim) -> Result<JudgeVerdict, PluginError> {
                Err(PluginError::new("kaput"))
            }
        }
        let v = run_judge(
            &mut InProcess {
                name: "boom".into(),
                judge: Erring,
            },
            &claim,
        );
        assert_eq!(v.stance, Stance::Abstain);
        assert_eq!(
            v.why,
            "judge 'boom' raised (error: kaput) — abstaining (an advisory adjudicator that cannot answer punts to a human, it never auto-clears)."
        );
        assert_eq!(v.cost, 0.0);
    }

    #[test]
    fn a_sound_verdict_passes_through() {
        let mut ok = FnJudge {
            name: "ok".into(),
            f: |_: &Claim| JudgeVerdict::agree("fine", vec!["e".into()], 1.5),
        };
        let v = run_judge(&mut ok, &Claim::default());
        assert_eq!(v, JudgeVerdict::agree("fine", vec!["e".into()], 1.5));
    }
}
