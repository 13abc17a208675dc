//! The pre-dispatch chooser's stopping rules (reference: `dos.scout.choose`):
//! given the facts the host gathered and the full ranked decisions queue,
//! decide whether the loop may start work.
//!
//! Implemented rules: **0** (the resource floor — the only built-in STOP),
//! **1** (the host's stop policy, under the floor; skipped when no policy is
//! wired) and **9** (the default DISPATCH, with the reference's surfaced
//! notes). The routing rules 4–7 (unstick / wait / replan) and the phase-2
//! annex are out of scope: a state that would fire one is reported as
//! [`OutOfScope`] rather than answered wrongly.

pub(crate) mod state;

use crate::stop::{stop_under_resource_floor, ResourceFloor, StopDecide};
use dos_plugin_api::StopStance;
use serde_json::{json, Value};
pub(crate) use state::{HealthAction, ScoutState};

/// Where the scout routes the loop (the reference's whole vocabulary: the
/// rules in force choose only some of it).
#[allow(
    dead_code,
    reason = "the wire vocabulary of the reference, not all of it chosen yet"
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Activity {
    /// Dispatch the next pick.
    Dispatch,
    /// /unstick first.
    Unstick,
    /// /replan first.
    Replan,
    /// Wait / re-pick a disjoint lane.
    Wait,
    /// Halt; surface to the operator.
    Stop,
    /// Phase-2 reserved.
    NextUp,
    /// Phase-2 reserved.
    Judge,
    /// Phase-2 reserved.
    PlanAudit,
    /// Phase-2 reserved.
    TailWag,
    /// Phase-2 reserved.
    TrajectoryAudit,
}

impl Activity {
    /// The wire value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Activity::Dispatch => "dispatch",
            Activity::Unstick => "unstick",
            Activity::Replan => "replan",
            Activity::Wait => "wait",
            Activity::Stop => "stop",
            Activity::NextUp => "next-up",
            Activity::Judge => "judge",
            Activity::PlanAudit => "plan-audit",
            Activity::TailWag => "tail-wag",
            Activity::TrajectoryAudit => "trajectory-audit",
        }
    }

    /// `dos scout`'s exit code for this activity.
    pub(crate) fn exit_code(self) -> i32 {
        match self {
            Activity::Dispatch => 0,
            Activity::Unstick => 3,
            Activity::Replan => 4,
            Activity::Wait => 5,
            Activity::Stop => 6,
            Activity::NextUp => 7,
            Activity::Judge => 8,
            Activity::PlanAudit => 9,
            Activity::TailWag => 10,
            Activity::TrajectoryAudit => 11,
        }
    }
}

/// The scout's answer (reference: `ScoutDecision`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScoutDecision {
    /// Where to route.
    pub activity: Activity,
    /// Which rule fired.
    pub rule_id: u32,
    /// `true` = high confidence (auto-runnable), `false` = low (surface).
    pub high_confidence: bool,
    /// One operator-facing line.
    pub reason: String,
    /// Supporting evidence.
    pub evidence: Vec<String>,
    /// The lane, as given.
    pub scope: Value,
    /// The focus, or null.
    pub focus: Value,
    /// The gate (DISPATCH only).
    pub gate: Option<String>,
    /// The blocking cause (STOP/WAIT only).
    pub cause_key: String,
}

impl ScoutDecision {
    /// Whether the activity needs a leased lane.
    pub(crate) fn needs_lane(&self) -> bool {
        matches!(
            self.activity,
            Activity::Dispatch | Activity::Unstick | Activity::NextUp
        )
    }

    /// The reference's `decision_to_dict`.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "activity": self.activity.as_str(),
            "rule_id": self.rule_id,
            "confidence": if self.high_confidence { "high" } else { "low" },
            "auto_runnable": self.high_confidence,
            "needs_lane": self.needs_lane(),
            "scope": self.scope,
            "focus": self.focus,
            "gate": self.gate,
            "reason": self.reason,
            "cause_key": self.cause_key,
            "evidence": self.evidence,
        })
    }

    /// `dos scout`'s exit code: a low-confidence decision surfaces (6).
    pub(crate) fn exit_code(&self) -> i32 {
        if self.high_confidence {
            self.activity.exit_code()
        } else {
            6
        }
    }
}

/// A state that would fire a scout rule this host does not implement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("scout rule {rule_id} ({what}) is not implemented by this host — only rules 0 (resource floor), 1 (stop policy) and 9 (dispatch) are; see `dos scout --help`")]
pub(crate) struct OutOfScope {
    /// The rule that would fire.
    pub rule_id: u32,
    /// What it is about.
    pub what: &'static str,
}

/// Rule 1's reason when a STOP verdict gives none.
pub(crate) const POLICY_DEFAULT_REASON: &str =
    "host STOP policy halted the loop on a pending decision (configured to halt on this class).";

fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// Choose (pure apart from the policy call): rule 0, then rule 1 when a
/// policy is given (it sees [`ScoutState::policy_view`] of `queue`), then the
/// default dispatch.
pub(crate) fn scout_decide(
    state: &ScoutState,
    queue: &[Value],
    policy: Option<&mut dyn StopDecide>,
) -> Result<ScoutDecision, OutOfScope> {
    let foc = state.effective_focus();

    // Rule 0: the host measured a can't-launch wall.
    if state.resource_blocked {
        let why = if state.resource_block_reason.is_empty() {
            "host cannot launch more work right now"
        } else {
            &state.resource_block_reason
        };
        return Ok(ScoutDecision {
            activity: Activity::Stop,
            rule_id: 0,
            high_confidence: true,
            reason: format!(
                "can't launch more — {why}. The only condition under which the scout halts; wait for capacity to free, then re-run."
            ),
            evidence: vec![format!("resource_blocked: {why}")],
            scope: state.scope.clone(),
            focus: foc,
            gate: None,
            cause_key: "resource_blocked".into(),
        });
    }

    // Rule 1: the host's stop policy, under the floor.
    if let Some(policy) = policy {
        let floor = ResourceFloor {
            blocked: state.resource_blocked,
            reason: state.resource_block_reason.clone(),
        };
        let sv = stop_under_resource_floor(policy, &floor, &state.policy_view(queue));
        if sv.stance == StopStance::Stop {
            return Ok(ScoutDecision {
                activity: Activity::Stop,
                rule_id: 1,
                high_confidence: true,
                reason: if sv.reason.is_empty() {
                    POLICY_DEFAULT_REASON.into()
                } else {
                    sv.reason
                },
                evidence: if sv.evidence.is_empty() {
                    vec!["stop_policy".into()]
                } else {
                    sv.evidence
                },
                scope: state.scope.clone(),
                focus: foc,
                gate: None,
                cause_key: if sv.cause_key.is_empty() {
                    "stop_policy".into()
                } else {
                    sv.cause_key
                },
            });
        }
    }

    let ha = state.health_action();
    let cause = state.health.as_ref().map_or("", |h| h.cause_key.as_str());
    let op_owned_saturated = ha == HealthAction::RouteUnstick
        && state.same_day_unstick_count >= 2
        && (state.operator_owned_cause || cause.contains("operator"));
    let doomloop_saturated = ha == HealthAction::RouteUnstick
        && state.same_day_unstick_count >= 3
        && !state.fixes_landing_since_unstick;
    let unstick_saturated = op_owned_saturated || doomloop_saturated;

    // Rules 4–7: routing, out of scope here.
    if ha == HealthAction::RouteUnstick && !unstick_saturated {
        return Err(OutOfScope {
            rule_id: 4,
            what: "health route_unstick → unstick",
        });
    }
    if ha == HealthAction::OverlapBlock {
        return Err(OutOfScope {
            rule_id: 5,
            what: "health overlap_block → wait",
        });
    }
    if ha == HealthAction::RouteReplan && !state.open_soaks.is_empty() {
        return Err(OutOfScope {
            rule_id: 6,
            what: "route_replan with open soaks → wait",
        });
    }
    let health_routed_replan = ha == HealthAction::RouteReplan;
    let cooldown_replan = state.replan_due && !health_routed_replan;
    let recent = state.recent_replan_ran || state.recent_replan_unproductive;
    let vetoed = state.replan_in_flight || (cooldown_replan && recent);
    if (health_routed_replan || state.replan_due) && !vetoed {
        return Err(OutOfScope {
            rule_id: 7,
            what: "replan due → replan",
        });
    }

    Ok(dispatch(state, ha, foc, unstick_saturated, doomloop_saturated))
}

/// Rule 9: dispatch, surfacing every non-blocking signal as a note.
fn dispatch(
    state: &ScoutState,
    ha: HealthAction,
    foc: Value,
    unstick_saturated: bool,
    doomloop_saturated: bool,
) -> ScoutDecision {
    let mut notes: Vec<String> = Vec::new();
    let mut ev: Vec<String> = vec![
        format!("health={}", ha.as_str()),
        format!("replan_due={}", py_bool(state.replan_due)),
    ];
    let desc = if state.recent_replan_desc.is_empty() {
        String::new()
    } else {
        format!(" ({})", state.recent_replan_desc)
    };
    if state.replan_in_flight {
        notes.push(format!("a /replan is already in flight{desc} — a concurrent sweep gardens the portfolio; dispatching the lane's work instead of racing a second /replan"));
        ev.push("replan_in_flight=1".into());
    } else if state.recent_replan_unproductive {
        notes.push(format!("a /replan ran recently to no effect{desc} — cooldown (≥3 fanouts) alone is not a reason to re-sweep a portfolio a near-identical sweep just gardened; dispatching"));
        ev.push("recent_replan_unproductive=1".into());
    } else if state.recent_replan_ran {
        notes.push(format!("a /replan already ran this cooldown window{desc} — the fanout counter (≥3) does not reset on a sweep, so the cooldown stayed armed after a sweep already gardened the portfolio; dispatching the refilled work, not re-sweeping"));
        ev.push("recent_replan_ran=1".into());
    }
    if !state.open_escalated_decisions.is_empty() {
        let ids: Vec<&String> = state.open_escalated_decisions.iter().take(4).collect();
        let joined: Vec<&str> = ids.iter().map(|s| s.as_str()).collect();
        notes.push(format!(
            "{} open operator decision(s) (#{}) — already escalated; dispatching the lane's other work",
            state.open_escalated_decisions.len(),
            joined.join(", #")
        ));
        ev.extend(ids.iter().map(|d| format!("open-decision:#{d}")));
    }
    if unstick_saturated {
        notes.push(format!(
            "/unstick saturated ({}× today, last {}{}) — routing away from re-unsticking, dispatching instead",
            state.same_day_unstick_count,
            state.latest_unstick_stamp,
            if doomloop_saturated { ", not landing" } else { "" }
        ));
        ev.push(format!("unstick_saturated={}", state.same_day_unstick_count));
    }
    match &state.scoreboard {
        Some(sb) if sb.runs_7d >= 20 && sb.zero_ship_frac() >= 0.75 => {
            notes.push(format!(
                "7d scoreboard {}:{} ({:.0}% zero-ship, {} false-drains) — fleet-stats noise, not a per-lane signal; if it persists the lever is concurrency / lane allocation",
                sb.zero_ship_7d,
                sb.runs_7d,
                sb.zero_ship_frac() * 100.0,
                sb.false_drain_runs
            ));
            ev.push(format!("scoreboard.7d={}:{}", sb.zero_ship_7d, sb.runs_7d));
        }
        Some(sb) => ev.push(format!("scoreboard.7d={}:{}", sb.zero_ship_7d, sb.runs_7d)),
        None => ev.push("scoreboard=none".into()),
    }
    let mut foc_out = foc;
    if let Some(cl) = &state.closed_loop {
        if cl.available && cl.count > 0 && foc_out != Value::String("stale-stamp".into()) {
            foc_out = Value::String("closed-loop-first".into());
            let top = if cl.top_item.is_empty() {
                String::new()
            } else {
                format!(" (top: {})", cl.top_item)
            };
            notes.push(format!("{} closed-loop item(s) pickable{top} — preferring loop-closing work (converts a recurring failure into a durable mechanism; pays down the rate instead of re-paying it each run)", cl.count));
            ev.push(if cl.top_item.is_empty() {
                format!("closed_loop={}", cl.count)
            } else {
                format!("closed_loop={}:{}", cl.count, cl.top_item)
            });
        }
    }
    let body = if notes.is_empty() {
        "health gate clean, no escalated decision, replan not due, scoreboard not in a storm".to_string()
    } else {
        notes.join("; ")
    };
    ScoutDecision {
        activity: Activity::Dispatch,
        rule_id: 9,
        high_confidence: true,
        reason: format!("dispatch the next pick — {body}"),
        evidence: ev,
        scope: state.scope.clone(),
        focus: foc_out,
        gate: Some(state.gate.clone()),
        cause_key: String::new(),
    }
}

#[cfg(test)]
mod tests;
