//! Judge plugin `similarity`: the DISTANCE adjudicator (reference:
//! `dos.drivers.similarity_judge.SimilarityJudge`).
//!
//! It scores the claim text against the claim's un-authored evidence (never
//! the agent's narration) and rules:
//!
//! * no evidence → ABSTAIN (it will not agree off narration alone);
//! * blank claim text → ABSTAIN;
//! * score ≥ threshold → AGREE; score < threshold → DISAGREE;
//! * a score that is not a finite number → ABSTAIN (a fix over the reference,
//!   whose embedding seam clamps `nan` to 1.0 and so agrees).
//!
//! The score is the larger of CPython's `difflib.SequenceMatcher` ratio over
//! the case-folded texts and the claim's word recall in the evidence, unless
//! an embedding command is wired (`command` / `$DOS_SIMILARITY_CMD`), whose
//! first output token is used instead.
//!
//! Configuration (`[judges.similarity]` or the CLI option bag):
//!
//! | key         | meaning                                   | fallback                                   |
//! |-------------|-------------------------------------------|--------------------------------------------|
//! | `threshold` | agree threshold, clamped to [0, 1]        | `$DOS_SIMILARITY_THRESHOLD`, then 0.82     |
//! | `command`   | embedding command (`claim\0evidence` on stdin, one float out) | `$DOS_SIMILARITY_CMD`, else lexical |
//! | `timeout_s` | embedding command time limit in seconds   | 120                                        |
//!
//! A `cdylib` loaded by the `dos` plugin host: it depends on `dos-plugin-api`
//! only, never on the host crates (`dos-core`, `dos-plugin-host`, `dos`).

#![forbid(unsafe_code)]

pub mod difflib;
/// Case-folding and `\w` tables generated from CPython 3.11 (`tools/gen_unicode_tables.py`).
#[rustfmt::skip]
pub mod unicode_tables;

use dos_plugin_api::process;
pub use dos_plugin_api::pystr::{is_py_space, py_strip};
use dos_plugin_api::{Claim, DriverConfig, Judge, JudgeVerdict, PluginError, Registry};
use std::collections::HashSet;
use std::time::Duration;

/// The judge's registered name.
pub const JUDGE_NAME: &str = "similarity";
/// The default agree threshold (deliberately high: clearing is the dangerous outcome).
pub const DEFAULT_THRESHOLD: f64 = 0.82;
/// The env var overriding the threshold when the config does not set one.
pub const ENV_THRESHOLD: &str = "DOS_SIMILARITY_THRESHOLD";
/// The env var naming the optional embedding-similarity command.
pub const ENV_SIMILARITY_CMD: &str = "DOS_SIMILARITY_CMD";
/// The embedding command's default time limit, in seconds (the reference's).
pub const DEFAULT_TIMEOUT_S: f64 = 120.0;

/// Why the judge abstains when there is no evidence (reference text).
pub const NO_EVIDENCE_WHY: &str = "no evidence to score the claim against — a distance judge will not agree off narration alone (that would re-derive the agent's own bytes); routing this claim to a human.";
/// Why the judge abstains on a blank claim (reference text).
pub const EMPTY_CLAIM_WHY: &str = "empty claim_text — nothing to match against the evidence; abstaining.";

/// Python's `str.casefold()` (full Unicode case folding, CPython 3.11 tables:
/// `ß` → `ss`, `ﬁ` → `fi`, final `ς` → `σ`).
pub fn casefold(s: &str) -> String {
    let table = unicode_tables::CASEFOLD;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        match table.binary_search_by(|(k, _)| k.cmp(&c)) {
            Ok(i) => out.extend(table[i].1.iter().copied().filter(|&f| f != '\0')),
            Err(_) => out.push(c),
        }
    }
    out
}

/// Whether Python's `re` `\w` matches `c` (letters, numbers and `_`, per
/// CPython 3.11's Unicode database).
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    unicode_tables::WORD_RANGES
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// The distinct `\w+` tokens of the case-folded text (reference `_tokens`).
pub fn tokens(text: &str) -> HashSet<String> {
    casefold(text)
        .split(|c: char| !is_word_char(c))
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// The pure lexical score in [0, 1] (reference `_lexical_similarity`): 0.0 if
/// either text is empty, else the larger of the difflib ratio over the
/// case-folded texts and the fraction of the claim's distinct tokens present
/// in the evidence (the ratio alone when the claim has no tokens).
pub fn lexical_similarity(claim: &str, evidence_blob: &str) -> f64 {
    if claim.is_empty() || evidence_blob.is_empty() {
        return 0.0;
    }
    let seq = difflib::ratio(&casefold(claim), &casefold(evidence_blob));
    let claim_tokens = tokens(claim);
    if claim_tokens.is_empty() {
        return seq;
    }
    let evidence_tokens = tokens(evidence_blob);
    let hits = claim_tokens.intersection(&evidence_tokens).count();
    let recall = hits as f64 / claim_tokens.len() as f64;
    if recall > seq {
        recall
    } else {
        seq
    }
}

/// Python's `max(0.0, min(1.0, v))`, including what it does with `nan` (1.0).
pub fn py_clamp_unit(v: f64) -> f64 {
    let m = if v < 1.0 { v } else { 1.0 };
    if m > 0.0 {
        m
    } else {
        0.0
    }
}

/// Python's `float(text)` for the inputs operators write (surrounding
/// whitespace, exponents, `inf`, `nan`); `None` when it would raise.
pub fn parse_py_float(text: &str) -> Option<f64> {
    let t = py_strip(text);
    if t.is_empty() {
        return None;
    }
    t.parse::<f64>().ok()
}

/// The threshold from a raw setting (reference `_threshold`): unset or empty →
/// 0.82; unparseable → 0.82; else clamped to [0, 1] (`nan` → 1.0, the strictest).
pub fn threshold_from(raw: Option<&str>) -> f64 {
    match raw {
        None | Some("") => DEFAULT_THRESHOLD,
        Some(r) => parse_py_float(r).map_or(DEFAULT_THRESHOLD, py_clamp_unit),
    }
}

/// Python's `f"{v:.{places}f}"` (round-half-even on the exact binary value;
/// `nan`/`inf`/`-inf` spelled as Python spells them).
pub fn py_fixed(v: f64, places: usize) -> String {
    if v.is_nan() {
        "nan".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{v:.places$}")
    }
}

/// The embedding command's score from its stdout: the first whitespace-separated
/// token as a float, unclamped (`None` when the output is empty or not a number).
pub fn parse_embedding_output(stdout: &[u8]) -> Option<f64> {
    let text = String::from_utf8_lossy(stdout);
    let first = py_strip(&text).split(is_py_space).find(|t| !t.is_empty())?;
    parse_py_float(first)
}

/// Which scorer produced a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scorer {
    /// The pure difflib / word-recall scorer.
    Lexical,
    /// The operator's embedding command.
    Embedding,
}

impl Scorer {
    /// The word shown in verdict texts (`lexical`, `embedding`).
    pub fn word(self) -> &'static str {
        match self {
            Scorer::Lexical => "lexical",
            Scorer::Embedding => "embedding",
        }
    }
}

/// The verdict for a scored claim (pure): AGREE at or above the threshold,
/// DISAGREE below it, ABSTAIN when the score is not a finite number.
pub fn verdict_for_score(score: f64, scorer: Scorer, threshold: f64) -> JudgeVerdict {
    let detail = format!(
        "{} similarity {} vs threshold {}",
        scorer.word(),
        py_fixed(score, 3),
        py_fixed(threshold, 2)
    );
    let evidence = vec![format!("similarity: {detail}")];
    if !score.is_finite() {
        return JudgeVerdict::abstain(
            format!(
                "the similarity score is not a finite number ({detail}) — abstaining (a score that is not a number never clears a claim); routing this claim to a human."
            ),
            evidence,
            0.0,
        );
    }
    if score >= threshold {
        JudgeVerdict::agree(
            format!(
                "claim is witnessed by the evidence ({detail}) — near-verbatim match to un-authored bytes the agent did not write."
            ),
            evidence,
            0.0,
        )
    } else {
        JudgeVerdict::disagree(
            format!(
                "claim is NOT supported by the evidence ({detail}) — the gathered un-authored bytes do not match the assertion."
            ),
            evidence,
            0.0,
        )
    }
}

/// The driver's table (`[judges.similarity]`).
#[derive(Debug, Default, serde::Deserialize)]
pub struct SimilarityConfig {
    /// AGREE at or above this score; clamped to 0..=1 (Python `float()` reading).
    #[serde(default, deserialize_with = "dos_plugin_api::config::py_float_opt")]
    pub threshold: Option<f64>,
    /// An embedding scorer command; `""` counts as unset.
    #[serde(default, deserialize_with = "dos_plugin_api::config::non_empty")]
    pub command: Option<String>,
    /// The scorer command's time limit in seconds.
    #[serde(default, deserialize_with = "dos_plugin_api::config::py_float_opt")]
    pub timeout_s: Option<f64>,
}

/// The `similarity` judge, configured once per command.
#[derive(Debug, Clone)]
pub struct SimilarityJudge {
    threshold: f64,
    command: Option<String>,
    timeout: Duration,
}

impl SimilarityJudge {
    /// Build from the driver configuration (`threshold`, `command`,
    /// `timeout_s`), falling back to the reference's environment variables.
    /// A value of the wrong type is an error naming its key.
    pub fn new(cfg: &DriverConfig) -> Result<Self, PluginError> {
        let c: SimilarityConfig = cfg.parse()?;
        let threshold = match c.threshold {
            Some(v) => py_clamp_unit(v),
            None => threshold_from(std::env::var(ENV_THRESHOLD).ok().as_deref()),
        };
        let command = c
            .command
            .or_else(|| std::env::var(ENV_SIMILARITY_CMD).ok().filter(|c| !c.is_empty()));
        Ok(SimilarityJudge::with(
            threshold,
            command,
            timeout_from(c.timeout_s),
        ))
    }

    /// A judge with explicit settings (no environment lookups).
    pub fn with(threshold: f64, command: Option<String>, timeout: Duration) -> Self {
        SimilarityJudge {
            threshold,
            command,
            timeout,
        }
    }

    /// The agree threshold in force.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The embedding seam: the command's score, or `None` on any failure (not
    /// wired, spawn error, timeout, non-zero exit, no number on stdout), so the
    /// caller falls back to the lexical scorer.
    fn embedding_similarity(&self, claim: &str, evidence_blob: &str) -> Option<f64> {
        let cmd = self.command.as_deref()?;
        let payload = format!("{claim}\0{evidence_blob}");
        let out = process::run_shell(cmd, payload.as_bytes(), self.timeout).ok()?;
        parse_embedding_output(&out)
    }
}

/// The command time limit from `timeout_s`: positive finite seconds, else 120.
fn timeout_from(raw: Option<f64>) -> Duration {
    match raw {
        Some(s) if s.is_finite() && s > 0.0 => {
            Duration::try_from_secs_f64(s).unwrap_or_else(|_| Duration::from_secs_f64(DEFAULT_TIMEOUT_S))
        }
        _ => Duration::from_secs_f64(DEFAULT_TIMEOUT_S),
    }
}

impl Judge for SimilarityJudge {
    fn rule(&mut self, claim: &Claim) -> Result<JudgeVerdict, PluginError> {
        if claim.evidence.is_empty() {
            return Ok(JudgeVerdict::abstain(NO_EVIDENCE_WHY, vec![], 0.0));
        }
        let text = py_strip(&claim.claim_text);
        if text.is_empty() {
            return Ok(JudgeVerdict::abstain(EMPTY_CLAIM_WHY, vec![], 0.0));
        }
        let blob = claim.evidence.join("\n");
        let (score, scorer) = match self.embedding_similarity(text, &blob) {
            // An out-of-range number is clamped as the reference does; a
            // non-finite one is kept so the verdict abstains.
            Some(v) if v.is_finite() => (py_clamp_unit(v), Scorer::Embedding),
            Some(v) => (v, Scorer::Embedding),
            None => (lexical_similarity(text, &blob), Scorer::Lexical),
        };
        Ok(verdict_for_score(score, scorer, self.threshold))
    }
}

fn register(r: &mut Registry) {
    r.judge(JUDGE_NAME, SimilarityJudge::new);
}

dos_plugin_api::export_plugin!(name: "dos-judge-similarity", version: env!("CARGO_PKG_VERSION"), register: register);

#[cfg(test)]
mod tests;
