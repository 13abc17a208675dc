//! The tool-stream verdict (pure): is the agent re-issuing a call whose
//! env-authored result has not changed? REPEATING / STALLED / ADVANCING from
//! the trailing run of identical (tool, args, result) steps, and the texts
//! the posttool hook prints.

/// `[tool_stream]` policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamPolicy {
    /// Run length that makes REPEATING (≥ 1).
    pub repeat_n: i64,
    /// Run length that makes STALLED (≥ `repeat_n`).
    pub stall_n: i64,
    /// Case-folded tool names that never repeat.
    pub ignore_tools: Vec<String>,
}

impl Default for StreamPolicy {
    fn default() -> Self {
        StreamPolicy {
            repeat_n: 3,
            stall_n: 5,
            ignore_tools: Vec::new(),
        }
    }
}

impl StreamPolicy {
    /// Validate the thresholds (the reference's messages).
    pub fn new(repeat_n: i64, stall_n: i64, ignore_tools: Vec<String>) -> Result<StreamPolicy, String> {
        if repeat_n < 1 {
            return Err("repeat_n must be >= 1".into());
        }
        if stall_n < repeat_n {
            return Err(format!(
                "stall_n ({stall_n}) must be >= repeat_n ({repeat_n}) — STALLED is strictly more repetition than REPEATING"
            ));
        }
        Ok(StreamPolicy {
            repeat_n,
            stall_n,
            ignore_tools: ignore_tools.iter().map(|t| casefold(t)).collect(),
        })
    }

    fn ignores(&self, tool_name: &str) -> bool {
        !self.ignore_tools.is_empty() && self.ignore_tools.contains(&casefold(tool_name))
    }
}

/// One step of the stream: what the replay needs of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The exact tool name.
    pub tool_name: String,
    /// The args digest.
    pub args_digest: String,
    /// The result digest (`None` = no result).
    pub result_digest: Option<String>,
}

/// The repeat key of a step, or `None` when it can never repeat.
pub fn repeat_key<'s>(step: &'s Step, policy: &StreamPolicy) -> Option<(String, &'s str, &'s str)> {
    let result = step.result_digest.as_deref()?;
    if policy.ignores(&step.tool_name) {
        return None;
    }
    Some((casefold(&step.tool_name), step.args_digest.as_str(), result))
}

/// The stream verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamState {
    /// New bytes are entering the loop.
    Advancing,
    /// `repeat_n` ≤ run < `stall_n`.
    Repeating,
    /// run ≥ `stall_n`.
    Stalled,
}

impl StreamState {
    /// The token (`REPEATING`, …).
    pub fn token(self) -> &'static str {
        match self {
            StreamState::Advancing => "ADVANCING",
            StreamState::Repeating => "REPEATING",
            StreamState::Stalled => "STALLED",
        }
    }

    /// Whether the hook warns.
    pub fn fired(self) -> bool {
        !matches!(self, StreamState::Advancing)
    }
}

/// The classification of the newest step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The state.
    pub state: StreamState,
    /// The trailing identical run (newest step included).
    pub run: i64,
    /// The repeated step (the newest) when run ≥ 2.
    pub repeated: Option<Step>,
    /// The reason clause.
    pub reason: String,
}

/// Count the trailing run given the newest step and then older steps newest
/// first; the iterator is only consumed as far as the run extends.
pub fn trailing_run<I: Iterator<Item = Step>>(newest: &Step, older: I, policy: &StreamPolicy) -> i64 {
    let Some(key) = repeat_key(newest, policy) else {
        return 1;
    };
    let mut run = 1;
    for step in older {
        if repeat_key(&step, policy).as_ref() == Some(&key) {
            run += 1;
        } else {
            break;
        }
    }
    run
}

/// Classify a run length for the newest step.
pub fn classify(newest: &Step, run: i64, policy: &StreamPolicy) -> Verdict {
    let repeated = (run >= 2 && repeat_key(newest, policy).is_some()).then(|| newest.clone());
    let (state, reason) = if run >= policy.stall_n {
        (
            StreamState::Stalled,
            format!(
                "the same (tool, args, result) triple repeated {run} consecutive times (>= stall {}) — the loop is near-certainly doomed; the env returned identical bytes each time (no new information)",
                policy.stall_n
            ),
        )
    } else if run >= policy.repeat_n {
        (
            StreamState::Repeating,
            format!(
                "the same (tool, args, result) triple repeated {run} consecutive times (>= repeat {}) — no new env-authored bytes are entering the loop; re-surface the value the agent already received",
                policy.repeat_n
            ),
        )
    } else {
        (
            StreamState::Advancing,
            format!(
                "trailing identical-run {run} (< repeat {}) — the tool stream is producing new env-authored bytes (or too short to judge a stall)",
                policy.repeat_n
            ),
        )
    };
    Verdict {
        state,
        run,
        repeated,
        reason,
    }
}

/// The `additionalContext` text of a firing verdict.
pub fn warn_text(v: &Verdict) -> String {
    let (tool, digest) = match &v.repeated {
        Some(s) => (
            format!("`{}`", s.tool_name),
            s.result_digest.clone().unwrap_or_else(|| "(unknown)".into()),
        ),
        None => ("the same tool".to_string(), "(unknown)".to_string()),
    };
    format!(
        "DOS tool_stream {}: {tool} returned BYTE-IDENTICAL results {} times in a row (env-authored digest {digest}) — no new information is entering the loop. The value you already received has not changed; do NOT re-issue the same call expecting a different answer. If you are polling a background task / an async write, WAIT for its completion signal instead of re-reading; otherwise USE the value you already hold and move on. ({})",
        v.state.token(),
        v.run,
        v.reason
    )
}

/// Unicode case folding as Python's `str.casefold` (lower-casing plus the
/// full folds that differ from it).
pub fn casefold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            'ß' | 'ẞ' => out.push_str("ss"),
            'ſ' => out.push('s'),
            'ς' => out.push('σ'),
            'ﬀ' => out.push_str("ff"),
            'ﬁ' => out.push_str("fi"),
            'ﬂ' => out.push_str("fl"),
            'ﬃ' => out.push_str("ffi"),
            'ﬄ' => out.push_str("ffl"),
            'ﬅ' | 'ﬆ' => out.push_str("st"),
            'ŉ' => out.push_str("ʼn"),
            '\u{390}' => out.push_str("\u{3b9}\u{308}\u{301}"),
            '\u{3b0}' => out.push_str("\u{3c5}\u{308}\u{301}"),
            'ϐ' => out.push('β'),
            'ϑ' => out.push('θ'),
            'ϕ' => out.push('φ'),
            'ϖ' => out.push('π'),
            'ϰ' => out.push('κ'),
            'ϱ' => out.push('ρ'),
            'ϵ' => out.push('ε'),
            'ẛ' => out.push('ṡ'),
            'ι' => out.push('ι'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(tool: &str, args: &str, result: Option<&str>) -> Step {
        Step {
            tool_name: tool.into(),
            args_digest: args.into(),
            result_digest: result.map(Into::into),
        }
    }

    fn run_of(steps: &[Step], policy: &StreamPolicy) -> (StreamState, i64) {
        let (newest, older) = steps.split_last().unwrap();
        let run = trailing_run(newest, older.iter().rev().cloned(), policy);
        let v = classify(newest, run, policy);
        (v.state, v.run)
    }

    #[test]
    fn classification_table() {
        use StreamState::*;
        let x = step("Bash", "a", Some("r"));
        let y = step("Bash", "a", Some("s"));
        let none = step("Bash", "a", None);
        let d = StreamPolicy::default();
        let table: Vec<(Vec<Step>, StreamPolicy, (StreamState, i64))> = vec![
            (vec![x.clone()], d.clone(), (Advancing, 1)),
            (vec![x.clone(), x.clone()], d.clone(), (Advancing, 2)),
            (vec![x.clone(); 3], d.clone(), (Repeating, 3)),
            (vec![x.clone(); 4], d.clone(), (Repeating, 4)),
            (vec![x.clone(); 5], d.clone(), (Stalled, 5)),
            (vec![x.clone(); 9], d.clone(), (Stalled, 9)),
            (
                vec![x.clone(), x.clone(), y.clone(), x.clone()],
                d.clone(),
                (Advancing, 1),
            ),
            (
                vec![x.clone(), x.clone(), none.clone(), x.clone()],
                d.clone(),
                (Advancing, 1),
            ),
            (
                vec![x.clone(), x.clone(), none.clone()],
                d.clone(),
                (Advancing, 1),
            ),
            (
                vec![x.clone(); 4],
                StreamPolicy::new(3, 5, vec!["bash".into()]).unwrap(),
                (Advancing, 1),
            ),
            (
                vec![x.clone(), x.clone()],
                StreamPolicy::new(2, 3, vec![]).unwrap(),
                (Repeating, 2),
            ),
            (
                vec![none.clone()],
                StreamPolicy::new(1, 2, vec![]).unwrap(),
                (Repeating, 1),
            ),
            (
                vec![step("bash", "a", Some("r")), x.clone(), x.clone()],
                d.clone(),
                (Repeating, 3),
            ),
        ];
        for (i, (steps, policy, expected)) in table.into_iter().enumerate() {
            assert_eq!(run_of(&steps, &policy), expected, "row {i}");
        }
    }

    #[test]
    fn policy_validation_messages() {
        assert_eq!(
            StreamPolicy::new(0, 5, vec![]).unwrap_err(),
            "repeat_n must be >= 1"
        );
        assert_eq!(
            StreamPolicy::new(5, 2, vec![]).unwrap_err(),
            "stall_n (2) must be >= repeat_n (5) — STALLED is strictly more repetition than REPEATING"
        );
    }

    #[test]
    fn placeholder_text_when_nothing_repeated() {
        let p = StreamPolicy::new(1, 2, vec![]).unwrap();
        let v = classify(&step("Bash", "a", None), 1, &p);
        assert!(warn_text(&v).starts_with(
            "DOS tool_stream REPEATING: the same tool returned BYTE-IDENTICAL results 1 times in a row (env-authored digest (unknown))"
        ));
    }
}
