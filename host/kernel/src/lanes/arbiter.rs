//! A minimal, pure lane arbiter for `dos lease-lane acquire`.
//!
//! The reference's full arbiter (auto-pick ladder, soft-overlap ratio,
//! admission predicates) is out of this build's scope; this one covers the
//! cases the supervisor's workers need with the reference's reason texts:
//! an exclusive lane live refuses everything, a held lane refuses, an
//! exclusive request runs alone, and any other named lane is admitted unless
//! its tree conflicts with a live lease's under 0.30's lock modes (intersecting
//! regions coexist only when both holders are shared — see
//! [`super::lock_mode`]). A bare request auto-picks the first free
//! `[lanes].autopick`/concurrent lane.

use super::journal::{py_str, Entry};
use super::lock_mode::{self, LockMode};
use super::roster::Roster;
use dos_py::repr::str_repr as py_repr;
use serde_json::{Map, Value};

/// The arbiter's answer (reference: `LaneDecision`).
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// `acquire` or `refuse`.
    pub outcome: &'static str,
    /// The admitted lane (empty on refuse).
    pub lane: String,
    /// The admitted lane kind.
    pub lane_kind: String,
    /// The admitted tree.
    pub tree: Vec<String>,
    /// Whether the lane was auto-picked.
    pub auto_picked: bool,
    /// Why.
    pub reason: String,
    /// Concurrent lanes that were free at decision time.
    pub free_clusters: Vec<String>,
}

impl Decision {
    fn refuse(reason: String, free_clusters: Vec<String>) -> Decision {
        Decision {
            outcome: "refuse",
            lane: String::new(),
            lane_kind: String::new(),
            tree: Vec::new(),
            auto_picked: false,
            reason,
            free_clusters,
        }
    }

    fn acquire(lane: &str, kind: &str, tree: Vec<String>, auto: bool, reason: String) -> Decision {
        Decision {
            outcome: "acquire",
            lane: lane.into(),
            lane_kind: kind.into(),
            tree,
            auto_picked: auto,
            reason,
            free_clusters: Vec::new(),
        }
    }

    /// The decision as the CLI prints it (plus `pick_count: null`).
    pub fn to_map(&self) -> Map<String, Value> {
        let strs = |v: &[String]| Value::Array(v.iter().map(|s| Value::from(s.as_str())).collect());
        let mut m = Map::new();
        m.insert("outcome".into(), Value::from(self.outcome));
        m.insert("lane".into(), Value::from(self.lane.as_str()));
        m.insert("lane_kind".into(), Value::from(self.lane_kind.as_str()));
        m.insert("tree".into(), strs(&self.tree));
        m.insert("auto_picked".into(), Value::Bool(self.auto_picked));
        m.insert("reason".into(), Value::from(self.reason.as_str()));
        m.insert("free_clusters".into(), strs(&self.free_clusters));
        m.insert("pick_count".into(), Value::Null);
        m
    }
}

fn lease_tree(l: &Entry) -> Vec<String> {
    match l.get("tree") {
        Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
        _ => Vec::new(),
    }
}

/// Why a named request for `tree` in `mode` may not run beside `lease`
/// (0.30's `DisjointnessPredicate` texts), or `None` when it may.
fn admission_refusal(lane: &str, tree: &[String], mode: LockMode, lease: &Entry) -> Option<String> {
    let held = lease_tree(lease);
    if held.is_empty() {
        return None;
    }
    let other = py_repr(&py_str(lease.get("lane")));
    if tree.is_empty() {
        return Some(format!(
            "lane {} has an EMPTY tree (unknown blast radius) and cannot share live lane {} — unknown blast radius is never safe to admit concurrently.",
            py_repr(lane),
            other
        ));
    }
    let why = lock_mode::conflict_reason(tree, mode, &held, LockMode::of_lease(lease))?;
    Some(format!(
        "lane {} cannot share live lane {}: {}.",
        py_repr(lane),
        other,
        why
    ))
}

/// Decide a lane request against the live leases (pure). `mode` is the
/// requested lock mode (`--mode`).
pub fn arbitrate(
    lane: &str,
    kind: &str,
    requested_tree: &[String],
    mode: LockMode,
    live: &[Entry],
    roster: &Roster,
) -> Decision {
    let key = |s: &str| s.trim().to_lowercase();
    let exclusive: Vec<String> = roster.exclusive.iter().map(|l| key(l)).collect();
    let live_lanes: Vec<String> = live.iter().map(|l| key(&py_str(l.get("lane")))).collect();
    // The reference's `_free_clusters`: autopick lanes nobody holds.
    let free_clusters = || -> Vec<String> {
        roster
            .autopick
            .iter()
            .filter(|c| !live_lanes.contains(&key(c)))
            .cloned()
            .collect()
    };
    if let Some(held) = live
        .iter()
        .find(|l| exclusive.contains(&key(&py_str(l.get("lane_kind")))))
    {
        return Decision::refuse(
            format!(
                "an exclusive lane is live (lane={}, kind={}, loop={}); it touches the whole portfolio — wait for it to finish.",
                py_repr(&py_str(held.get("lane"))),
                py_repr(&py_str(held.get("lane_kind"))),
                py_repr(&py_str(held.get("loop_ts")))
            ),
            Vec::new(),
        );
    }
    let lane_key = key(lane);
    if !lane.is_empty() && live_lanes.contains(&lane_key) && kind != "cluster" {
        return Decision::refuse(
            format!(
                "lane {} is already held by a live loop — pick a different --lane or wait.",
                py_repr(lane)
            ),
            free_clusters(),
        );
    }
    if kind == "global" || exclusive.contains(&key(kind)) || exclusive.contains(&lane_key) {
        let name = if lane.is_empty() { "global" } else { lane };
        if !live.is_empty() {
            return Decision::refuse(
                format!(
                    "{} is an exclusive lane; {} loop(s) already live. It must run alone — wait for them to finish.",
                    py_repr(name),
                    live.len()
                ),
                free_clusters(),
            );
        }
        let kind = if exclusive.contains(&lane_key) {
            lane_key.as_str()
        } else {
            "global"
        };
        return Decision::acquire(
            name,
            kind,
            requested_tree.to_vec(),
            false,
            format!("exclusive lane {} — no other loop live, admitted.", py_repr(name)),
        );
    }
    if !lane.is_empty() {
        let tree = if requested_tree.is_empty() {
            roster.tree_for(lane)
        } else {
            requested_tree.to_vec()
        };
        if let Some(why) = live.iter().find_map(|l| admission_refusal(lane, &tree, mode, l)) {
            let why = if kind == "keyword" {
                format!("{why} Use a free cluster lane instead.")
            } else {
                why
            };
            return Decision::refuse(why, free_clusters());
        }
        let kind = if kind.is_empty() { "cluster" } else { kind };
        return Decision::acquire(
            lane,
            kind,
            tree,
            false,
            format!("cluster lane {} free — admitted.", py_repr(lane)),
        );
    }
    let order = roster.autopick.iter().chain(roster.concurrent.iter());
    for cand in order {
        if live_lanes.contains(&key(cand)) || roster.is_exclusive(cand) {
            continue;
        }
        let t = roster.tree_for(cand);
        if live
            .iter()
            .all(|l| admission_refusal(cand, &t, mode, l).is_none())
        {
            return Decision::acquire(
                cand,
                "cluster",
                t,
                true,
                format!(
                    "auto-picked free cluster lane {} (disjoint from every live lease).",
                    py_repr(cand)
                ),
            );
        }
    }
    Decision::refuse(
        "all concurrent cluster lanes are held by live loops — no free lane to auto-pick.".into(),
        Vec::new(),
    )
}
