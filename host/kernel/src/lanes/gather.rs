//! Evidence gathering for one supervisor tick: fold the lane journal into one
//! `LaneLiveness` per roster lane. Shared by `dos loop` and the watchdog, so
//! both plan from the same journal and the same policy (fixes over the
//! reference: the env journal path is honoured, and the watchdog applies the
//! `max_concurrency` budget exactly as `dos loop` does).

use super::journal::{py_str, replay, Entry};
use super::liveness::{classify, fold_since, Liveness, LivenessEvidence, LivenessPolicy};
use super::roster::Roster;
use super::supervise::{LaneLiveness, SuperviseEvidence};
use dos_py::time::parse_iso_ms;
use std::collections::BTreeSet;

/// The newest live lease per lane (ties on `acquired_at` go to the later one).
pub fn leases_by_lane(entries: &[Entry]) -> Vec<(String, Entry)> {
    let mut out: Vec<(String, Entry)> = Vec::new();
    let epoch = |l: &Entry| {
        l.get("acquired_at")
            .and_then(|v| v.as_str())
            .and_then(parse_iso_ms)
            .unwrap_or(0)
    };
    for lease in replay(entries) {
        let lane = py_str(lease.get("lane"));
        match out.iter_mut().find(|(l, _)| *l == lane) {
            Some(slot) => {
                if epoch(&lease) >= epoch(&slot.1) {
                    slot.1 = lease;
                }
            }
            None => out.push((lane, lease)),
        }
    }
    out
}

/// Build the tick's evidence (pure). `max_concurrency` switches on the budget
/// roster extension (foreign leased lanes + the synthetic `auto` handle).
/// `dead_runs` are run-ids of workers the caller launched and saw exit: a
/// lease carrying one gets the OS process rung (`process_alive = false`), so
/// a killed worker reads STALLED at once instead of after the spin window.
pub fn build_evidence(
    roster: &Roster,
    entries: &[Entry],
    target: i64,
    now_ms: i64,
    pending: &BTreeSet<String>,
    max_concurrency: Option<i64>,
    dead_runs: &BTreeSet<String>,
) -> SuperviseEvidence {
    let mut names: Vec<String> = Vec::new();
    for l in roster.concurrent.iter().chain(roster.exclusive.iter()) {
        if !l.is_empty() && !names.contains(l) {
            names.push(l.clone());
        }
    }
    let mut repeatable: BTreeSet<String> = roster
        .autopick
        .iter()
        .filter(|l| !l.is_empty() && !roster.is_exclusive(l))
        .cloned()
        .collect();
    let leases = leases_by_lane(entries);
    if max_concurrency.is_some() {
        for (lane, _) in &leases {
            if !lane.is_empty() && !names.contains(lane) && !roster.is_exclusive(lane) {
                names.push(lane.clone());
                repeatable.insert(lane.clone());
            }
        }
        let mut auto = "auto".to_string();
        while names.contains(&auto) {
            auto.push('*');
        }
        names.push(auto.clone());
        repeatable.insert(auto);
    }
    let lanes = names
        .iter()
        .map(|lane| {
            let is_exclusive = roster.is_exclusive(lane);
            let mut l = LaneLiveness {
                lane: lane.clone(),
                liveness: None,
                tree: roster.tree_for(lane),
                is_exclusive,
                pending: pending.contains(lane),
                spinning_age_ms: None,
                repeatable: repeatable.contains(lane) && !is_exclusive,
            };
            let lease = leases.iter().find(|(n, _)| n == lane).map(|(_, e)| e);
            if let (Some(lease), false) = (lease, l.pending) {
                let iso = |k: &str| lease.get(k).and_then(|v| v.as_str()).and_then(parse_iso_ms);
                let started = iso("acquired_at").unwrap_or(now_ms);
                let loop_ts = py_str(lease.get("loop_ts"));
                let fold = fold_since(entries, started, now_ms, Some((&loop_ts, lane)));
                let hb = fold.beat_age_ms.or_else(|| {
                    let beat = lease
                        .get("heartbeat_at")
                        .filter(|v| dos_py::value::truthy(v))
                        .and_then(|v| v.as_str())
                        .and_then(parse_iso_ms)
                        .or_else(|| iso("acquired_at"));
                    beat.map(|b| (now_ms - b).max(0))
                });
                let ev = LivenessEvidence {
                    run_started_ms: started,
                    now_ms,
                    journal_events_since: fold.events,
                    last_heartbeat_age_ms: hb,
                    process_alive: dead_runs.contains(&py_str(lease.get("run_id"))).then_some(false),
                    ..Default::default()
                };
                l.liveness = classify(&ev, &LivenessPolicy::default()).ok().map(|v| v.verdict);
                if l.liveness == Some(Liveness::Spinning) {
                    l.spinning_age_ms = hb;
                }
            }
            l
        })
        .collect();
    SuperviseEvidence { lanes, target }
}
