//! A minimal, pure lane arbiter for `dos lease-lane acquire`.
//!
//! The reference's full arbiter (auto-pick ladder, soft-overlap ratio,
//! admission predicates) is out of this build's scope; this one covers the
//! cases the supervisor's workers need with the reference's reason texts:
//! an exclusive lane live refuses everything, a held lane refuses, an
//! exclusive request runs alone, and any other named lane is admitted when
//! its tree is disjoint from every live lease's tree. A bare request
//! auto-picks the first free `[lanes].autopick`/concurrent lane.

use super::journal::{py_str, Entry};
use super::roster::Roster;
use super::tree;
use crate::pyrepr::py_repr;
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

/// Whether an existing lease blocks a request for `tree`: an empty lease tree
/// never blocks; an empty request blocks against any known tree.
fn blocks(requested: &[String], lease: &[String]) -> bool {
    if lease.is_empty() {
        return false;
    }
    if requested.is_empty() {
        return true;
    }
    !tree::disjoint(requested, lease)
}

/// Decide a lane request against the live leases (pure).
pub fn arbitrate(
    lane: &str,
    kind: &str,
    requested_tree: &[String],
    live: &[Entry],
    roster: &Roster,
) -> Decision {
    let key = |s: &str| s.trim().to_lowercase();
    let exclusive: Vec<String> = roster.exclusive.iter().map(|l| key(l)).collect();
    let live_lanes: Vec<String> = live.iter().map(|l| key(&py_str(l.get("lane")))).collect();
    let free_clusters = || -> Vec<String> {
        roster
            .concurrent
            .iter()
            .filter(|c| !live_lanes.contains(&key(c)))
            .filter(|c| {
                let t = roster.tree_for(c);
                !live.iter().any(|l| blocks(&t, &lease_tree(l)))
            })
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
                "lane {} is already held by a live loop — pick a different --scope or wait.",
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
        if let Some(l) = live.iter().find(|l| blocks(&tree, &lease_tree(l))) {
            return Decision::refuse(
                format!(
                    "lane {} overlaps the live lease on {} (tree {:?}) — wait, or pick a disjoint lane.",
                    py_repr(lane),
                    py_repr(&py_str(l.get("lane"))),
                    lease_tree(l)
                ),
                free_clusters(),
            );
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
        if !live.iter().any(|l| blocks(&t, &lease_tree(l))) {
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
