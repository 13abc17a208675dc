//! `dos judge-eval --verbose`: each case's verdict, why and evidence, next
//! to its ground truth and the grid cell it landed in — the detail an author
//! needs to see why a judge scored as it did. Pure renderers.

use super::cases::Case;
use dos_plugin_api::{JudgeVerdict, Stance};
use serde_json::{json, Value};

/// The confusion-grid cell of a stance on a claim of this truth.
pub(crate) fn cell(stance: Stance, truth: bool) -> &'static str {
    match (stance, truth) {
        (Stance::Agree, true) => "correct-clear",
        (Stance::Agree, false) => "FALSE-CLEAR",
        (Stance::Disagree, false) => "correct-flag",
        (Stance::Disagree, true) => "false-flag",
        (Stance::Abstain, _) => "abstained",
    }
}

fn stance_token(stance: Stance) -> &'static str {
    match stance {
        Stance::Agree => "AGREE",
        Stance::Disagree => "DISAGREE",
        Stance::Abstain => "ABSTAIN",
    }
}

/// The text block printed after the report: one header line per case
/// (number, stance, grid cell, claim), then its `why` and evidence lines.
pub(crate) fn render_text(cases: &[Case], verdicts: &[JudgeVerdict]) -> String {
    let mut out = String::from("cases\n");
    for (i, (case, v)) in cases.iter().zip(verdicts).enumerate() {
        out.push_str(&format!(
            "  #{:<3} {:<8} {:<13} {}\n",
            i + 1,
            stance_token(v.stance),
            cell(v.stance, case.truth),
            one_line(&case.claim.claim_text)
        ));
        out.push_str(&format!("       why       {}\n", one_line(&v.why)));
        for e in &v.evidence {
            out.push_str(&format!("       evidence  {}\n", one_line(e)));
        }
    }
    out
}

/// The `verdicts` array added to the `--json` document under `--verbose`.
pub(crate) fn to_json(cases: &[Case], verdicts: &[JudgeVerdict]) -> Value {
    Value::Array(
        cases
            .iter()
            .zip(verdicts)
            .enumerate()
            .map(|(i, (case, v))| {
                json!({
                    "case": i + 1,
                    "claim_text": case.claim.claim_text,
                    "truth": case.truth,
                    "stance": stance_token(v.stance),
                    "cell": cell(v.stance, case.truth),
                    "why": v.why,
                    "evidence": v.evidence,
                    "cost": v.cost,
                })
            })
            .collect(),
    )
}

/// Control characters (newlines included) would break the one-line layout.
fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(text: &str, truth: bool) -> Case {
        Case::labelled(text, truth)
    }

    #[test]
    fn every_cell_is_named() {
        let table = [
            (Stance::Agree, true, "correct-clear"),
            (Stance::Agree, false, "FALSE-CLEAR"),
            (Stance::Disagree, false, "correct-flag"),
            (Stance::Disagree, true, "false-flag"),
            (Stance::Abstain, true, "abstained"),
            (Stance::Abstain, false, "abstained"),
        ];
        for (stance, truth, want) in table {
            assert_eq!(cell(stance, truth), want);
        }
    }

    #[test]
    fn text_shows_verdict_why_and_evidence_on_single_lines() {
        let cases = [case("migration\napplied", false), case("tests pass", true)];
        let verdicts = [
            JudgeVerdict::agree("matched", vec!["log: applied".into()], 0.0),
            JudgeVerdict::abstain("no evidence", vec![], 0.0),
        ];
        assert_eq!(
            render_text(&cases, &verdicts),
            "cases\n  #1   AGREE    FALSE-CLEAR   migration applied\n       why       matched\n       \
             evidence  log: applied\n  #2   ABSTAIN  abstained     tests pass\n       why       no evidence\n"
        );
        let j = to_json(&cases, &verdicts);
        assert_eq!(j[0]["cell"], "FALSE-CLEAR");
        assert_eq!(j[1]["why"], "no evidence");
        assert_eq!(j[0]["evidence"][0], "log: applied");
    }
}
