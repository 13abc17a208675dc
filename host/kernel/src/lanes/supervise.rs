//! The supervisor's pure per-tick plan: given each roster lane's liveness,
//! decide what to SPAWN, REAP, FLAG and PROPOSE_HALT to keep the roster at
//! target without ever over-committing overlapping file regions.

use super::liveness::Liveness;
use super::policy::SupervisePolicy;
use super::tree;
use serde_json::{Map, Value};

/// One roster lane as the plan sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneLiveness {
    /// Lane name (non-empty).
    pub lane: String,
    /// None = FREE (no live lease).
    pub liveness: Option<Liveness>,
    /// File globs.
    pub tree: Vec<String>,
    /// Runs alone.
    pub is_exclusive: bool,
    /// Spawned recently; counts as alive (the race belt).
    pub pending: bool,
    /// How long it has been spinning (SPINNING only).
    pub spinning_age_ms: Option<i64>,
    /// A fungible auto-pick handle that can hold several workers.
    pub repeatable: bool,
}

impl LaneLiveness {
    /// A free, fixed, concurrent lane.
    pub fn free(lane: &str, tree: &[&str]) -> LaneLiveness {
        LaneLiveness {
            lane: lane.into(),
            liveness: None,
            tree: tree.iter().map(|s| s.to_string()).collect(),
            is_exclusive: false,
            pending: false,
            spinning_age_ms: None,
            repeatable: false,
        }
    }

    /// Check the invariants.
    pub fn validate(&self) -> Result<(), String> {
        if self.lane.is_empty() {
            return Err("LaneLiveness.lane must be a non-empty lane name".into());
        }
        if self.repeatable && self.is_exclusive {
            return Err("LaneLiveness cannot be both repeatable and exclusive — an exclusive lane runs alone, so it can never be a fungible multi-holder auto-pick handle".into());
        }
        Ok(())
    }

    fn to_map(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("lane".into(), Value::from(self.lane.as_str()));
        m.insert(
            "liveness".into(),
            self.liveness
                .map(|l| Value::from(l.name()))
                .unwrap_or(Value::Null),
        );
        m.insert(
            "tree".into(),
            Value::Array(self.tree.iter().map(|s| Value::from(s.as_str())).collect()),
        );
        m.insert("is_exclusive".into(), Value::Bool(self.is_exclusive));
        m.insert("pending".into(), Value::Bool(self.pending));
        m.insert(
            "spinning_age_ms".into(),
            self.spinning_age_ms.map(Value::from).unwrap_or(Value::Null),
        );
        m.insert("repeatable".into(), Value::Bool(self.repeatable));
        m
    }
}

/// The roster snapshot one tick plans over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuperviseEvidence {
    /// Lanes in roster order.
    pub lanes: Vec<LaneLiveness>,
    /// Desired live workers.
    pub target: i64,
}

/// What to do with one lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Launch a worker.
    Spawn,
    /// Release a STALLED worker's lease.
    Reap,
    /// Advisory note for the operator.
    Flag,
    /// Advisory: a spinner should be halted (never enacted by the kernel).
    ProposeHalt,
}

impl Disposition {
    /// The upper-case token.
    pub fn name(self) -> &'static str {
        match self {
            Disposition::Spawn => "SPAWN",
            Disposition::Reap => "REAP",
            Disposition::Flag => "FLAG",
            Disposition::ProposeHalt => "PROPOSE_HALT",
        }
    }
}

/// One planned action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanePlan {
    /// The lane.
    pub lane: String,
    /// The action.
    pub disposition: Disposition,
    /// Why.
    pub reason: String,
}

impl LanePlan {
    fn new(lane: &str, disposition: Disposition, reason: String) -> LanePlan {
        LanePlan {
            lane: lane.into(),
            disposition,
            reason,
        }
    }

    fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("lane".into(), Value::from(self.lane.as_str()));
        m.insert("disposition".into(), Value::from(self.disposition.name()));
        m.insert("reason".into(), Value::from(self.reason.as_str()));
        Value::Object(m)
    }
}

/// The plan's overall outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to spawn.
    AtTarget,
    /// Spawning to fill.
    Filling,
    /// The target exceeds what the roster can hold.
    TargetUnreachable,
    /// More alive than target (flagged, never reaped).
    OverTarget,
}

impl Outcome {
    /// The upper-case token.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::AtTarget => "AT_TARGET",
            Outcome::Filling => "FILLING",
            Outcome::TargetUnreachable => "TARGET_UNREACHABLE",
            Outcome::OverTarget => "OVER_TARGET",
        }
    }
}

/// The plan for one tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuperviseVerdict {
    /// The outcome.
    pub verdict: Outcome,
    /// Why.
    pub reason: String,
    /// Workers counted alive.
    pub alive: i64,
    /// The roster's ceiling.
    pub admissible: i64,
    /// The target.
    pub target: i64,
    /// SPAWN plans, in order.
    pub spawn: Vec<LanePlan>,
    /// REAP plans.
    pub reap: Vec<LanePlan>,
    /// FLAG plans (spinners, then excess).
    pub flag: Vec<LanePlan>,
    /// PROPOSE_HALT plans.
    pub proposed_halt: Vec<LanePlan>,
    /// The evidence planned over.
    pub evidence: SuperviseEvidence,
}

impl SuperviseVerdict {
    /// `to_dict()`.
    pub fn to_map(&self) -> Map<String, Value> {
        let plans = |v: &[LanePlan]| Value::Array(v.iter().map(LanePlan::to_value).collect());
        let mut ev = Map::new();
        ev.insert("target".into(), Value::from(self.evidence.target));
        ev.insert(
            "lanes".into(),
            Value::Array(
                self.evidence
                    .lanes
                    .iter()
                    .map(|l| Value::Object(l.to_map()))
                    .collect(),
            ),
        );
        let mut m = Map::new();
        m.insert("verdict".into(), Value::from(self.verdict.name()));
        m.insert("reason".into(), Value::from(self.reason.as_str()));
        m.insert("alive".into(), Value::from(self.alive));
        m.insert("admissible".into(), Value::from(self.admissible));
        m.insert("target".into(), Value::from(self.target));
        m.insert("spawn".into(), plans(&self.spawn));
        m.insert("reap".into(), plans(&self.reap));
        m.insert("flag".into(), plans(&self.flag));
        m.insert("proposed_halt".into(), plans(&self.proposed_halt));
        m.insert("evidence".into(), Value::Object(ev));
        m
    }
}

/// The roster's ceiling of concurrent workers (pure).
pub fn admissible(lanes: &[LaneLiveness], max_concurrency: Option<i64>) -> i64 {
    let mut admitted: Vec<&Vec<String>> = Vec::new();
    for l in lanes.iter().filter(|l| !l.is_exclusive) {
        if admitted.is_empty() || admitted.iter().all(|t| tree::disjoint(t, &l.tree)) {
            admitted.push(&l.tree);
        }
    }
    let count = admitted.len() as i64;
    if count == 0 {
        return i64::from(lanes.iter().any(|l| l.is_exclusive));
    }
    match max_concurrency {
        Some(mc) if lanes.iter().any(|l| l.repeatable) => count.max(mc),
        _ => count,
    }
}

fn fmt_opt(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "None".into())
}

/// Plan one tick (pure). `evidence.target` is the target planned for.
pub fn supervise(ev: &SuperviseEvidence, policy: &SupervisePolicy) -> SuperviseVerdict {
    let target = ev.target;
    let mut alive: i64 = 0;
    let mut held: Vec<&Vec<String>> = Vec::new();
    let mut candidates: Vec<&LaneLiveness> = Vec::new();
    let (mut reap, mut flag, mut halts) = (Vec::new(), Vec::new(), Vec::new());
    for l in &ev.lanes {
        if l.pending {
            alive += 1;
            held.push(&l.tree);
            continue;
        }
        match l.liveness {
            None => candidates.push(l),
            Some(Liveness::Advancing) => {
                alive += 1;
                if l.repeatable {
                    candidates.push(l);
                } else {
                    held.push(&l.tree);
                }
            }
            Some(Liveness::Spinning) => {
                flag.push(LanePlan::new(&l.lane, Disposition::Flag, "worker is SPINNING (alive, no forward delta) — advisory; the supervisor flags a spinner, it never auto-reaps it".into()));
                if let (Some(thr), Some(age)) = (policy.spin_halt_after_ms, l.spinning_age_ms) {
                    if age >= thr {
                        halts.push(LanePlan::new(&l.lane, Disposition::ProposeHalt, format!("worker has been SPINNING for {age}ms (>= spin_halt_after_ms {thr}) — PROPOSING a halt (advisory; the operator/driver enacts it, the kernel never kills a live worker)")));
                    }
                }
                if policy.count_spinning_as_alive {
                    alive += 1;
                    held.push(&l.tree);
                }
            }
            Some(Liveness::Stalled) => {
                if policy.reap_stalled {
                    reap.push(LanePlan::new(&l.lane, Disposition::Reap, "worker is STALLED (no fresh heartbeat, no commits) — release the lease; the lane refills if under target".into()));
                    candidates.push(l);
                }
            }
        }
    }
    let adm = admissible(&ev.lanes, policy.max_concurrency);
    let needed = (target.min(adm) - alive).max(0) as usize;
    // 0.30's spawn order: fixed-tree lanes first, then one slot per
    // repeatable handle (free/reaped handles before ADVANCING ones), then the
    // repeatable overflow round-robin, exclusive lanes last.
    let bucket = |l: &LaneLiveness| {
        if l.is_exclusive {
            (2, 0)
        } else if l.repeatable {
            (1, u8::from(l.liveness == Some(Liveness::Advancing)))
        } else {
            (0, 0)
        }
    };
    candidates.sort_by_key(|l| bucket(l));
    let repeat_reason = format!("repeatable auto-pick lane under target (alive {alive} < target {target}, admissible {adm}, max_concurrency {}) — spawn a worker; the arbiter narrows its per-pick claim", fmt_opt(policy.max_concurrency));
    let free_reason = format!("lane is free and the roster is under target (alive {alive} < target {target}, admissible {adm}) — spawn a worker");
    let mut spawn: Vec<LanePlan> = Vec::new();
    let mut chosen: Vec<Vec<String>> = Vec::new();
    let fixed_pass = |exclusive_pass: bool, spawn: &mut Vec<LanePlan>, chosen: &mut Vec<Vec<String>>| {
        for l in &candidates {
            if spawn.len() >= needed {
                break;
            }
            if l.repeatable && !exclusive_pass {
                spawn.push(LanePlan::new(&l.lane, Disposition::Spawn, repeat_reason.clone()));
                continue;
            }
            if l.repeatable || l.is_exclusive != exclusive_pass {
                continue;
            }
            let disjoint = |t: &Vec<String>| tree::disjoint(t, &l.tree);
            if held.iter().all(|t| disjoint(t)) && chosen.iter().all(disjoint) {
                spawn.push(LanePlan::new(&l.lane, Disposition::Spawn, free_reason.clone()));
                chosen.push(l.tree.clone());
            }
        }
    };
    fixed_pass(false, &mut spawn, &mut chosen);
    let handles: Vec<&&LaneLiveness> = candidates.iter().filter(|l| l.repeatable).collect();
    let mut i = 0;
    while spawn.len() < needed && !handles.is_empty() {
        spawn.push(LanePlan::new(
            &handles[i % handles.len()].lane,
            Disposition::Spawn,
            repeat_reason.clone(),
        ));
        i += 1;
    }
    fixed_pass(true, &mut spawn, &mut chosen);
    let (verdict, reason) = if target > adm {
        (Outcome::TargetUnreachable, format!("target {target} exceeds admissible {adm}: the roster cannot hold that many pairwise-disjoint concurrent workers. Declare more disjoint concurrent lanes in dos.toml [lanes] to raise the ceiling."))
    } else if alive > target {
        let excess = (alive - target) as usize;
        let extra: Vec<LanePlan> = ev
            .lanes
            .iter()
            .rev()
            .filter(|l| !l.pending && l.liveness == Some(Liveness::Advancing))
            .take(excess)
            .map(|l| LanePlan::new(&l.lane, Disposition::Flag, format!("healthy worker beyond target {target} (alive {alive}) — flagged as excess; retiring it is an operator decision")))
            .collect();
        flag.extend(extra);
        (Outcome::OverTarget, format!("alive {alive} exceeds target {target}: the excess is FLAGGED, not reaped — the supervisor never retires a healthy worker (that is an operator/driver call). Reaping is reserved for STALLED runs."))
    } else if !spawn.is_empty() {
        (Outcome::Filling, format!("alive {alive} < target {target} (admissible {adm}); spawning {} worker(s) to fill the roster", spawn.len()))
    } else {
        (
            Outcome::AtTarget,
            format!(
                "alive {alive} at target {} (admissible {adm}) — roster is full, nothing to spawn",
                target.min(adm)
            ),
        )
    };
    SuperviseVerdict {
        verdict,
        reason,
        alive,
        admissible: adm,
        target,
        spawn,
        reap,
        flag,
        proposed_halt: halts,
        evidence: ev.clone(),
    }
}

#[cfg(test)]
mod tests;
