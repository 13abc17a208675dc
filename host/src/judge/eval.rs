//! Score a judge against labelled cases (reference: `dos.judge_eval.score`
//! and `dos judge-eval`): the 3×2 confusion grid of stance × ground truth,
//! the derived rates, and their text and JSON renderings.

use super::cases::Case;
use super::{run_judge, Adjudicate};
use dos_plugin_api::{JudgeVerdict, Stance};
use serde_json::{json, Value};

/// A judge scored over labelled cases.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct JudgeReport {
    /// Cases scored.
    pub n: u64,
    /// AGREE on a true claim.
    pub correct_clear: u64,
    /// AGREE on a false claim — the dangerous cell.
    pub false_clear: u64,
    /// DISAGREE on a false claim.
    pub correct_flag: u64,
    /// DISAGREE on a true claim (safe; costs a review).
    pub false_flag: u64,
    /// ABSTAIN on a true claim.
    pub abstain_true: u64,
    /// ABSTAIN on a false claim.
    pub abstain_false: u64,
    /// Sum of the verdicts' costs.
    pub total_cost: f64,
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// Python's `round(x, digits)`: the correctly rounded decimal, read back.
pub(crate) fn py_round(x: f64, digits: usize) -> f64 {
    format!("{x:.digits$}").parse().unwrap_or(x)
}

impl JudgeReport {
    /// Tally one verdict's stance against its case's truth.
    pub(crate) fn tally(&mut self, stance: Stance, truth: bool, cost: f64) {
        self.n += 1;
        self.total_cost += cost;
        let cell = match (stance, truth) {
            (Stance::Agree, true) => &mut self.correct_clear,
            (Stance::Agree, false) => &mut self.false_clear,
            (Stance::Disagree, true) => &mut self.false_flag,
            (Stance::Disagree, false) => &mut self.correct_flag,
            (Stance::Abstain, true) => &mut self.abstain_true,
            (Stance::Abstain, false) => &mut self.abstain_false,
        };
        *cell += 1;
    }
    /// AGREE count.
    pub(crate) fn n_agree(&self) -> u64 {
        self.correct_clear + self.false_clear
    }
    /// DISAGREE count.
    pub(crate) fn n_disagree(&self) -> u64 {
        self.correct_flag + self.false_flag
    }
    /// ABSTAIN count.
    pub(crate) fn n_abstain(&self) -> u64 {
        self.abstain_true + self.abstain_false
    }
    /// Ground-truth false claims.
    pub(crate) fn n_false_claims(&self) -> u64 {
        self.false_clear + self.correct_flag + self.abstain_false
    }
    /// Of the claims cleared, the fraction that were false.
    pub(crate) fn false_clear_rate(&self) -> f64 {
        ratio(self.false_clear, self.n_agree())
    }
    /// Of all false claims, the fraction waved through.
    pub(crate) fn lie_leak_rate(&self) -> f64 {
        ratio(self.false_clear, self.n_false_claims())
    }
    /// When it committed, how often it was right.
    pub(crate) fn decisive_accuracy(&self) -> f64 {
        ratio(
            self.correct_clear + self.correct_flag,
            self.n_agree() + self.n_disagree(),
        )
    }
    /// Fraction punted to a human.
    pub(crate) fn abstention_rate(&self) -> f64 {
        ratio(self.n_abstain(), self.n)
    }
    /// Mean cost per claim.
    pub(crate) fn cost_per_claim(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.total_cost / self.n as f64
        }
    }

    /// The reference's `JudgeReport.to_dict` (rates rounded to 4 places,
    /// cost per claim to 6).
    pub(crate) fn to_json(self) -> Value {
        json!({
            "n": self.n,
            "grid": {
                "correct_clear": self.correct_clear,
                "false_clear": self.false_clear,
                "correct_flag": self.correct_flag,
                "false_flag": self.false_flag,
                "abstain_true": self.abstain_true,
                "abstain_false": self.abstain_false,
            },
            "rates": {
                "false_clear_rate": py_round(self.false_clear_rate(), 4),
                "lie_leak_rate": py_round(self.lie_leak_rate(), 4),
                "decisive_accuracy": py_round(self.decisive_accuracy(), 4),
                "abstention_rate": py_round(self.abstention_rate(), 4),
                "cost_per_claim": py_round(self.cost_per_claim(), 6),
            },
            "total_cost": self.total_cost,
        })
    }

    /// The `dos judge-eval` text report for judge `name`.
    pub(crate) fn render_text(&self, name: &str) -> String {
        let nf = self.n_false_claims();
        [
            format!("JUDGE          {name}"),
            format!("CASES          {}  ({nf} false, {} true)", self.n, self.n - nf),
            format!(
                "confusion      AGREE={} DISAGREE={} ABSTAIN={}",
                self.n_agree(),
                self.n_disagree(),
                self.n_abstain()
            ),
            format!("  correct-clear {:>4}   (agreed, was true)", self.correct_clear),
            format!(
                "  FALSE-CLEAR   {:>4}   (agreed, was FALSE — the dangerous cell)",
                self.false_clear
            ),
            format!(
                "  correct-flag  {:>4}   (disagreed, was false)",
                self.correct_flag
            ),
            format!(
                "  false-flag    {:>4}   (disagreed, was true — safe, costs a review)",
                self.false_flag
            ),
            format!("  abstained     {:>4}   (punted to a human)", self.n_abstain()),
            format!(
                "false-clear rate   {:.3}   (of claims it cleared)",
                self.false_clear_rate()
            ),
            format!(
                "lie-leak rate      {:.3}   (of all false claims)",
                self.lie_leak_rate()
            ),
            format!(
                "decisive accuracy  {:.3}   (when it committed)",
                self.decisive_accuracy()
            ),
            format!("abstention rate    {:.3}", self.abstention_rate()),
            format!("cost / claim       {:.6}", self.cost_per_claim()),
        ]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect()
    }

    /// The exit code: 1 iff the judge cleared any false claim.
    pub(crate) fn exit_code(&self) -> i32 {
        i32::from(self.false_clear > 0)
    }
}

/// Run `judge` over `cases` (each call fail-to-ABSTAIN) and tabulate.
#[cfg(test)]
pub(crate) fn score(judge: &mut dyn Adjudicate, cases: &[Case]) -> JudgeReport {
    score_each(judge, cases).0
}

/// Run `judge` over `cases` and tabulate, keeping each case's verdict (in case order) for `--verbose`.
pub(crate) fn score_each(judge: &mut dyn Adjudicate, cases: &[Case]) -> (JudgeReport, Vec<JudgeVerdict>) {
    let mut report = JudgeReport::default();
    let mut verdicts = Vec::with_capacity(cases.len());
    for case in cases {
        let v = run_judge(judge, &case.claim);
        report.tally(v.stance, case.truth, v.cost);
        verdicts.push(v);
    }
    (report, verdicts)
}

/// The `--json` document: judge, cases path as given, then the report.
pub(crate) fn report_json(judge: &str, cases_path: &str, report: &JudgeReport) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("judge".into(), Value::String(judge.into()));
    out.insert("cases".into(), Value::String(cases_path.into()));
    if let Value::Object(rest) = report.to_json() {
        out.extend(rest);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::FnJudge;
    use dos_plugin_api::{Claim, JudgeVerdict};

    fn case(text: &str, truth: bool) -> Case {
        Case::labelled(text, truth)
    }

    #[test]
    fn grid_and_rates_match_the_reference_golden() {
        // The spec's similarity golden: AGREE=2 (1 true, 1 false),
        // DISAGREE=1 (false), ABSTAIN=4 (2 true, 2 false).
        let mut r = JudgeReport::default();
        for (s, t) in [
            (Stance::Agree, true),
            (Stance::Disagree, false),
            (Stance::Abstain, true),
            (Stance::Agree, false),
            (Stance::Abstain, false),
            (Stance::Abstain, true),
            (Stance::Abstain, false),
        ] {
            r.tally(s, t, 0.0);
        }
        assert_eq!(
            dos_py::dumps::dumps(&r.to_json(), dos_py::dumps::Style::DEFAULT),
            r#"{"n": 7, "grid": {"correct_clear": 1, "false_clear": 1, "correct_flag": 1, "false_flag": 0, "abstain_true": 2, "abstain_false": 2}, "rates": {"false_clear_rate": 0.5, "lie_leak_rate": 0.25, "decisive_accuracy": 0.6667, "abstention_rate": 0.5714, "cost_per_claim": 0.0}, "total_cost": 0.0}"#
        );
        assert_eq!(r.exit_code(), 1);
        assert!(r
            .render_text("similarity")
            .contains("CASES          7  (4 false, 3 true)\n"));
    }

    #[test]
    fn zero_denominators_are_zero() {
        let r = JudgeReport::default();
        assert_eq!(
            (
                r.false_clear_rate(),
                r.lie_leak_rate(),
                r.decisive_accuracy(),
                r.abstention_rate(),
                r.cost_per_claim()
            ),
            (0.0, 0.0, 0.0, 0.0, 0.0)
        );
        assert_eq!(r.exit_code(), 0);
    }

    #[test]
    fn score_sums_cost_and_abstains_on_failure() {
        let mut j = FnJudge {
            name: "t".into(),
            f: |c: &Claim| match c.claim_text.as_str() {
                "yes" => JudgeVerdict::agree("", vec![], 0.25),
                "nan" => JudgeVerdict::agree("", vec![], f64::NAN),
                _ => JudgeVerdict::disagree("", vec![], 0.5),
            },
        };
        let r = score(
            &mut j,
            &[case("yes", true), case("nan", false), case("no", false)],
        );
        assert_eq!((r.correct_clear, r.abstain_false, r.correct_flag), (1, 1, 1));
        assert_eq!(r.total_cost, 0.75);
        assert_eq!(r.cost_per_claim(), 0.25);
        assert_eq!(r.exit_code(), 0, "a NaN-cost AGREE is never a clear");
    }

    #[test]
    fn rounding_is_pythons() {
        assert_eq!(py_round(2.0 / 3.0, 4), 0.6667);
        assert_eq!(py_round(4.0 / 7.0, 4), 0.5714);
        assert_eq!(py_round(0.00005, 4), 0.0001);
        assert_eq!(py_round(1.0 / 3.0, 6), 0.333333);
    }
}
