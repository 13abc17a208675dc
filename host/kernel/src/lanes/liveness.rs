//! Liveness (pure): is a run ADVANCING, SPINNING (alive, no progress) or
//! STALLED (dead or hung)? Plus the journal fold that gathers one lease's
//! progress events and newest beat, and lenient timestamp parsing.

use super::journal::{
    py_str, Entry, OP_ACQUIRE, OP_CORRUPT, OP_HEARTBEAT, OP_RECONCILE, OP_RELEASE, OP_SCAVENGE,
};
use dos_py::time::parse_stamp_ms;
use serde_json::{Map, Value};

/// The three liveness verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// Progress observed, or too young to judge.
    Advancing,
    /// Alive (fresh beat) but no progress past the grace window.
    Spinning,
    /// No fresh beat and no progress.
    Stalled,
}

impl Liveness {
    /// The upper-case token.
    pub fn name(self) -> &'static str {
        match self {
            Liveness::Advancing => "ADVANCING",
            Liveness::Spinning => "SPINNING",
            Liveness::Stalled => "STALLED",
        }
    }
}

/// The classification windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LivenessPolicy {
    /// Too-young-to-judge window (default 30 min).
    pub grace_ms: i64,
    /// A beat at most this old means alive (default 15 min).
    pub spin_ms: i64,
}

impl Default for LivenessPolicy {
    fn default() -> Self {
        LivenessPolicy {
            grace_ms: 1_800_000,
            spin_ms: 900_000,
        }
    }
}

/// The facts liveness is decided from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LivenessEvidence {
    /// When the run started (ms).
    pub run_started_ms: i64,
    /// Now (ms).
    pub now_ms: i64,
    /// Commits since the run's start SHA.
    pub commits_since_start: i64,
    /// State-mutating journal events since start.
    pub journal_events_since: i64,
    /// Age of the newest beat, if any.
    pub last_heartbeat_age_ms: Option<i64>,
    /// Echo only.
    pub tokens_spent_since: Option<i64>,
    /// The OS's word on the process, if asked.
    pub process_alive: Option<bool>,
}

/// A liveness verdict with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LivenessVerdict {
    /// The verdict.
    pub verdict: Liveness,
    /// Why.
    pub reason: String,
    /// The evidence it was decided from.
    pub evidence: LivenessEvidence,
}

/// Classify (pure). Errors name the invalid input.
pub fn classify(ev: &LivenessEvidence, policy: &LivenessPolicy) -> Result<LivenessVerdict, String> {
    if policy.grace_ms < 0 || policy.spin_ms < 0 {
        return Err("liveness windows must be non-negative (ms)".into());
    }
    if ev.commits_since_start < 0 || ev.journal_events_since < 0 {
        return Err("evidence counts must be non-negative".into());
    }
    let done = |verdict, reason: String| {
        Ok(LivenessVerdict {
            verdict,
            reason,
            evidence: *ev,
        })
    };
    if ev.commits_since_start >= 1 {
        return done(
            Liveness::Advancing,
            format!(
                "{} commit(s) since the run's start SHA — ground-truth state moved",
                ev.commits_since_start
            ),
        );
    }
    if ev.journal_events_since >= 1 {
        return done(
            Liveness::Advancing,
            format!(
                "{} state-mutating lane-journal event(s) since start — progress at the lease layer (0 commits)",
                ev.journal_events_since
            ),
        );
    }
    let (grace, spin) = (policy.grace_ms, policy.spin_ms);
    match ev.last_heartbeat_age_ms {
        Some(age) if age <= spin => {
            if ev.process_alive == Some(false) {
                return done(Liveness::Stalled, format!("heartbeat {age} ms old says alive, but the OS reports the run's process is gone — STALLED (the unforgeable proc rung overrides a forgeable heartbeat; docs/95)"));
            }
            let run_age = ev.now_ms - ev.run_started_ms;
            if run_age < grace {
                done(Liveness::Advancing, format!("alive (heartbeat {age} ms old) and only {run_age} ms into the run (< grace {grace} ms) — too young to judge spinning; no liveness problem yet (0 commits so far)"))
            } else {
                done(Liveness::Spinning, format!("alive (heartbeat {age} ms old ≤ spin window {spin} ms) and {run_age} ms into the run (≥ grace {grace} ms) but 0 commits and 0 lane events since start — spinning"))
            }
        }
        None => done(
            Liveness::Stalled,
            "no heartbeat and 0 commits since start — run is dead or hung (never beat)".into(),
        ),
        Some(age) => done(
            Liveness::Stalled,
            format!("heartbeat {age} ms old (> spin window {spin} ms) and 0 commits since start — run is dead or hung, not spinning"),
        ),
    }
}

fn opt_i(v: Option<i64>) -> Value {
    v.map(Value::from).unwrap_or(Value::Null)
}

impl LivenessVerdict {
    /// `{verdict, reason, evidence:{…}}`.
    pub fn to_map(&self) -> Map<String, Value> {
        let e = &self.evidence;
        let mut ev = Map::new();
        ev.insert("run_started_ms".into(), Value::from(e.run_started_ms));
        ev.insert("now_ms".into(), Value::from(e.now_ms));
        ev.insert("commits_since_start".into(), Value::from(e.commits_since_start));
        ev.insert("journal_events_since".into(), Value::from(e.journal_events_since));
        ev.insert("last_heartbeat_age_ms".into(), opt_i(e.last_heartbeat_age_ms));
        ev.insert("tokens_spent_since".into(), opt_i(e.tokens_spent_since));
        ev.insert(
            "process_alive".into(),
            e.process_alive.map(Value::Bool).unwrap_or(Value::Null),
        );
        let mut m = Map::new();
        m.insert("verdict".into(), Value::from(self.verdict.name()));
        m.insert("reason".into(), Value::from(self.reason.as_str()));
        m.insert("evidence".into(), Value::Object(ev));
        m
    }
}

/// The fold of one lease's journal records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fold {
    /// State-mutating events since the run's start (birth excluded).
    pub events: i64,
    /// Age of the newest beat, if any.
    pub beat_age_ms: Option<i64>,
    /// A `_CORRUPT` sentinel was seen.
    pub saw_corrupt: bool,
}

/// Fold `entries` for the lease `(loop_ts, lane)` (pure).
pub fn fold_since(entries: &[Entry], run_started_ms: i64, now_ms: i64, key: Option<(&str, &str)>) -> Fold {
    let mut fold = Fold::default();
    let key = key.filter(|(a, b)| !(a.is_empty() && b.is_empty()));
    let floor = run_started_ms.div_euclid(1000) * 1000;
    let mut born = false;
    let mut newest: Option<i64> = None;
    for e in entries {
        let op = e.get("op").and_then(Value::as_str).unwrap_or("");
        if op == OP_CORRUPT {
            fold.saw_corrupt = true;
            continue;
        }
        let Some((lt, lane)) = key else { continue };
        if py_str(e.get("loop_ts")) != lt || py_str(e.get("lane")) != lane {
            continue;
        }
        let t = e
            .get("ts")
            .and_then(Value::as_str)
            .and_then(parse_stamp_ms)
            .or_else(|| {
                e.get("heartbeat_at")
                    .and_then(Value::as_str)
                    .and_then(parse_stamp_ms)
            });
        let Some(t) = t else { continue };
        let birth = op == OP_ACQUIRE && !born;
        if birth {
            born = true;
        }
        if !birth
            && [OP_ACQUIRE, OP_RELEASE, OP_SCAVENGE, OP_RECONCILE].contains(&op)
            && floor < t
            && t <= now_ms + 1000
        {
            fold.events += 1;
        }
        if (op == OP_ACQUIRE || op == OP_HEARTBEAT) && t <= now_ms + 1000 {
            newest = Some(newest.map_or(t, |n: i64| n.max(t)));
        }
    }
    fold.beat_age_ms = newest.map(|n| (now_ms - n).max(0));
    fold
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(age: Option<i64>, run_age: i64) -> LivenessEvidence {
        LivenessEvidence {
            run_started_ms: 0,
            now_ms: run_age,
            last_heartbeat_age_ms: age,
            ..Default::default()
        }
    }

    #[test]
    fn classify_boundaries() {
        let p = LivenessPolicy::default();
        let table = [
            (ev(Some(900_000), 1_800_000), Liveness::Spinning),
            (ev(Some(900_001), 1_800_000), Liveness::Stalled),
            (ev(Some(0), 1_799_999), Liveness::Advancing),
            (ev(None, 5), Liveness::Stalled),
            (
                LivenessEvidence {
                    process_alive: Some(false),
                    ..ev(Some(1), 1)
                },
                Liveness::Stalled,
            ),
            (
                LivenessEvidence {
                    journal_events_since: 1,
                    ..ev(None, 1)
                },
                Liveness::Advancing,
            ),
        ];
        for (e, want) in table {
            assert_eq!(classify(&e, &p).unwrap().verdict, want, "{e:?}");
        }
        assert!(classify(
            &LivenessEvidence {
                commits_since_start: -1,
                ..ev(None, 0)
            },
            &p
        )
        .is_err());
    }

    #[test]
    fn timestamps() {
        use dos_py::time::parse_iso_ms;
        assert_eq!(parse_iso_ms("2026-01-01T11:00:00+00:00"), Some(1_767_265_200_000));
        assert_eq!(parse_iso_ms("2026-01-01T11:55:00.5"), Some(1_767_268_500_500));
        assert_eq!(parse_iso_ms("2026-01-01T13:00:00+01:00"), Some(1_767_268_800_000));
        assert_eq!(parse_iso_ms("garbage"), None);
    }
}
