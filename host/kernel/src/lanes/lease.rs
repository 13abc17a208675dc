//! Lane leases: the effectful verbs behind `dos lease-lane` and `dos halt`.
//! Each runs under the lane-lease mutex, reads the live set from the journal,
//! and appends one record.

use super::arbiter::{arbitrate, Decision};
use super::journal::{
    self, obj, py_str, Entry, OP_ACQUIRE, OP_HALT, OP_HEARTBEAT, OP_REFUSE, OP_RELEASE, OP_SPAWN,
};
use super::lock_mode::LockMode;
use super::mutex::{self, LeaseMutex, LockBusy};
use super::proc_identity;
use super::roster::Roster;
use crate::workspace::Workspace;
use dos_py::time::{now_ts, parse_ts};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

/// Where leases live: the journal and its mutex.
#[derive(Debug, Clone)]
pub struct LaneStore {
    /// The lane journal (see [`journal::lane_journal_path`]).
    pub journal: PathBuf,
    /// The lane-lease mutex file.
    pub lock: PathBuf,
}

/// A lease verb failed.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    /// The mutex stayed busy.
    #[error(transparent)]
    Busy(#[from] LockBusy),
    /// The journal could not be written.
    #[error("cannot write the lane journal: {0}")]
    Io(#[from] std::io::Error),
}

impl LaneStore {
    /// The store for a workspace (the one journal path every verb uses).
    pub fn for_workspace(ws: &Workspace) -> LaneStore {
        LaneStore::at(journal::lane_journal_path(ws))
    }

    /// The store for an explicit journal path.
    pub fn at(journal: PathBuf) -> LaneStore {
        LaneStore {
            lock: mutex::lock_path(&journal),
            journal,
        }
    }

    /// The live leases (structural replay, no dead-lease expiry).
    pub fn live(&self) -> Vec<Entry> {
        journal::replay(&journal::read_records(&self.journal))
    }

    fn lock(&self, owner: &str) -> Result<LeaseMutex, LockBusy> {
        LeaseMutex::acquire_default(&self.lock, owner)
    }
}

/// The machine's hostname (best effort; `localhost` when unknown).
pub fn hostname() -> String {
    for f in ["/proc/sys/kernel/hostname", "/etc/hostname"] {
        if let Ok(s) = std::fs::read_to_string(f) {
            let s = s.trim();
            if !s.is_empty() {
                return s.to_string();
            }
        }
    }
    std::env::var("HOSTNAME")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// `$DISPATCH_HOST_ID`, else the hostname.
pub fn host_id() -> String {
    std::env::var("DISPATCH_HOST_ID")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(hostname)
}

/// An ACQUIRE record for `lease` (the reference's `acquire_entry`).
pub fn acquire_entry(lease: &Entry, reason: &str, prev_holder: Value, run_id: Option<&str>) -> Entry {
    let g = |k: &str| lease.get(k).cloned().unwrap_or(Value::Null);
    let mut nested = lease.clone();
    let rid = run_id
        .map(String::from)
        .or_else(|| Some(py_str(lease.get("run_id"))))
        .filter(|s| !s.is_empty());
    if let Some(rid) = rid {
        nested.insert("run_id".into(), Value::from(rid));
    }
    obj([
        ("op", Value::from(OP_ACQUIRE)),
        ("lane", g("lane")),
        ("lane_kind", g("lane_kind")),
        ("tree", g("tree")),
        ("loop_ts", g("loop_ts")),
        ("host_id", g("host_id")),
        ("pid", g("pid")),
        ("ttl_minutes", g("ttl_minutes")),
        ("prev_holder", prev_holder),
        ("reason", Value::from(reason)),
        ("lease", Value::Object(nested)),
    ])
}

/// A RELEASE record for `lease`.
pub fn release_entry(lease: &Entry, reason: &str) -> Entry {
    let g = |k: &str| lease.get(k).cloned().unwrap_or(Value::Null);
    obj([
        ("op", Value::from(OP_RELEASE)),
        ("lane", g("lane")),
        ("loop_ts", g("loop_ts")),
        ("host_id", g("host_id")),
        ("reason", Value::from(reason)),
    ])
}

/// A SCAVENGE record evicting `lease` (`prev_holder` is the lease's holder).
pub fn scavenge_entry(lease: &Entry, reason: &str, prev_holder: Value) -> Entry {
    let g = |k: &str| lease.get(k).cloned().unwrap_or(Value::Null);
    obj([
        ("op", Value::from(journal::OP_SCAVENGE)),
        ("lane", g("lane")),
        ("loop_ts", g("loop_ts")),
        ("host_id", g("host_id")),
        ("pid", g("pid")),
        ("prev_holder", prev_holder),
        ("reason", Value::from(reason)),
    ])
}

/// A lane request for [`acquire`].
#[derive(Debug, Clone, Default)]
pub struct AcquireRequest {
    /// Requested lane (`""` = auto-pick).
    pub lane: String,
    /// `--kind`, recorded verbatim on the lease.
    pub kind: String,
    /// Requested tree (the CLI fills the declared tree when empty).
    pub tree: Vec<String>,
    /// The holder tag.
    pub owner: String,
    /// The `(loop_ts, lane)` identity (default now).
    pub loop_ts: String,
    /// Extra live leases to union with the journal's.
    pub extra: Vec<Entry>,
    /// The run-id to stamp on the lease (`""` = none).
    pub run_id: String,
    /// Mutex attempts after the first.
    pub retries: u32,
    /// Sleep between mutex attempts.
    pub retry_interval: Duration,
    /// The lock mode to arbitrate and journal (`--mode`).
    pub mode: LockMode,
}

/// Arbitrate and, on acquire, journal the grant (on refuse, a best-effort
/// REFUSE). Returns the decision and whether the grant was journaled.
pub fn acquire(
    store: &LaneStore,
    roster: &Roster,
    req: &AcquireRequest,
) -> Result<(Decision, bool), LeaseError> {
    let loop_ts = if req.loop_ts.is_empty() {
        now_ts()
    } else {
        req.loop_ts.clone()
    };
    let _guard = LeaseMutex::acquire(
        &store.lock,
        &req.owner,
        req.retries,
        req.retry_interval,
        mutex::DEFAULT_TTL_S,
    )?;
    let mut live = store.live();
    live.extend(req.extra.iter().cloned());
    let decision = arbitrate(&req.lane, &req.kind, &req.tree, req.mode, &live, roster);
    let host = host_id();
    if decision.outcome == "acquire" {
        let lane = if decision.lane.is_empty() {
            &req.lane
        } else {
            &decision.lane
        };
        let tree = if decision.tree.is_empty() {
            &req.tree
        } else {
            &decision.tree
        };
        let mut lease = obj([
            ("lane", Value::from(lane.as_str())),
            ("lane_kind", Value::from(req.kind.as_str())),
            (
                "tree",
                Value::Array(tree.iter().map(|s| Value::from(s.as_str())).collect()),
            ),
            ("loop_ts", Value::from(loop_ts.as_str())),
            ("host_id", Value::from(host.as_str())),
            ("pid", Value::from(std::process::id())),
            ("holder", Value::from(req.owner.as_str())),
            ("acquired_at", Value::from(now_ts())),
            ("mode", Value::from(req.mode.as_str())),
        ]);
        if let Some(st) = proc_identity::starttime(std::process::id()) {
            lease.insert(journal::PROC_STARTTIME.into(), Value::from(st));
        }
        if !req.run_id.is_empty() {
            lease.insert("run_id".into(), Value::from(req.run_id.as_str()));
        }
        let entry = acquire_entry(
            &lease,
            &format!("lane-lease:{}", req.owner),
            Value::Null,
            Some(req.run_id.as_str()).filter(|s| !s.is_empty()),
        );
        journal::append(&store.journal, &entry)?;
        return Ok((decision, true));
    }
    let refuse = obj([
        ("op", Value::from(OP_REFUSE)),
        ("holder", Value::from(req.owner.as_str())),
        ("lane", Value::from(req.lane.as_str())),
        ("loop_ts", Value::from(loop_ts.as_str())),
        ("host_id", Value::from(host.as_str())),
        ("reason", Value::from(decision.reason.as_str())),
        ("reason_class", Value::from("")),
        (
            "run_id",
            journal::opt_str(Some(req.run_id.as_str()).filter(|s| !s.is_empty())),
        ),
    ]);
    let _ = journal::append(&store.journal, &refuse);
    Ok((decision, false))
}

fn lane_matches(l: &Entry, lane: &str) -> bool {
    l.get("lane").and_then(Value::as_str) == Some(lane)
}

/// Release the newest live lease on `lane` held by `owner` (or by nobody, or
/// any holder when `owner` is empty). Returns whether one was released.
pub fn release(store: &LaneStore, lane: &str, owner: &str, loop_ts: &str) -> Result<bool, LeaseError> {
    let _guard = store.lock(owner)?;
    let found = store
        .live()
        .into_iter()
        .filter(|l| lane_matches(l, lane))
        .filter(|l| loop_ts.is_empty() || py_str(l.get("loop_ts")) == loop_ts)
        .rfind(|l| {
            owner.is_empty()
                || matches!(l.get("holder"), None | Some(Value::Null))
                || py_str(l.get("holder")) == owner
        });
    let Some(lease) = found else {
        return Ok(false);
    };
    journal::append(
        &store.journal,
        &release_entry(&lease, &format!("lane-lease:{owner}")),
    )?;
    Ok(true)
}

/// An ADOPT record moving `lease` to `new_holder` (0.30's `adopt_entry`):
/// `new_pid` may be absent (`null`); `proc_starttime` rides along only when
/// the new pid's start time is known.
pub fn adopt_entry(lease: &Entry, new_holder: &str, new_pid: Option<u32>, new_host_id: &str) -> Entry {
    let g = |k: &str| lease.get(k).cloned().unwrap_or(Value::Null);
    let host = if new_host_id.is_empty() {
        g("host_id")
    } else {
        Value::from(new_host_id)
    };
    let mut e = obj([
        ("op", Value::from(journal::OP_ADOPT)),
        ("lane", g("lane")),
        ("loop_ts", g("loop_ts")),
        ("holder", Value::from(new_holder)),
        ("pid", new_pid.map_or(Value::Null, Value::from)),
        ("host_id", host),
        ("prev_holder", g("holder")),
        ("heartbeat_at", Value::from(now_ts())),
        ("reason", Value::from(format!("adopt:{new_holder}"))),
    ]);
    if let Some(st) = new_pid.and_then(proc_identity::starttime) {
        e.insert(journal::PROC_STARTTIME.into(), Value::from(st));
    }
    e
}

/// Take over the newest live lease on `lane` (this `loop_ts` only, when
/// given) for `new_owner` — 0.30's `lane_lease.adopt`. Returns whether a
/// live lease matched (nothing is written otherwise).
pub fn adopt(
    store: &LaneStore,
    lane: &str,
    new_owner: &str,
    loop_ts: &str,
    new_pid: Option<u32>,
) -> Result<bool, LeaseError> {
    let _guard = store.lock(new_owner)?;
    let found = store
        .live()
        .into_iter()
        .filter(|l| lane_matches(l, lane))
        .rfind(|l| loop_ts.is_empty() || py_str(l.get("loop_ts")) == loop_ts);
    let Some(lease) = found else {
        return Ok(false);
    };
    journal::append(
        &store.journal,
        &adopt_entry(&lease, new_owner, new_pid, &host_id()),
    )?;
    Ok(true)
}

fn stamp_age_s(raw: Option<&Value>) -> Option<i64> {
    let at = parse_ts(raw?.as_str()?)?;
    Some(parse_ts(&now_ts())? - at)
}

/// Beat the newest live lease on `lane` held exactly by `owner` (non-empty).
/// With `coalesce_within_s > 0`, a beat younger than that is elided (nothing
/// written, still `true`). Returns whether a lease matched.
pub fn heartbeat(
    store: &LaneStore,
    lane: &str,
    owner: &str,
    loop_ts: &str,
    coalesce_within_s: f64,
) -> Result<bool, LeaseError> {
    let _guard = store.lock(owner)?;
    let found = store
        .live()
        .into_iter()
        .filter(|l| lane_matches(l, lane))
        .filter(|l| loop_ts.is_empty() || py_str(l.get("loop_ts")) == loop_ts)
        .rfind(|l| !owner.is_empty() && py_str(l.get("holder")) == owner);
    let Some(lease) = found else {
        return Ok(false);
    };
    if coalesce_within_s > 0.0 {
        let beat = lease
            .get("heartbeat_at")
            .filter(|v| dos_py::value::truthy(v))
            .or_else(|| lease.get("acquired_at"));
        if stamp_age_s(beat).is_some_and(|age| (age as f64) < coalesce_within_s) {
            return Ok(true);
        }
    }
    let g = |k: &str| lease.get(k).cloned().unwrap_or(Value::Null);
    let entry = obj([
        ("op", Value::from(OP_HEARTBEAT)),
        ("lane", g("lane")),
        ("loop_ts", g("loop_ts")),
        ("host_id", g("host_id")),
        ("heartbeat_at", Value::from(now_ts())),
    ]);
    journal::append(&store.journal, &entry)?;
    Ok(true)
}

/// What [`spawn`] recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpawnRecord {
    /// The lane.
    pub lane: String,
    /// Whether the SPAWN append succeeded.
    pub recorded: bool,
    /// The identity stamp.
    pub loop_ts: String,
    /// The launcher tag.
    pub holder: String,
}

/// Record an intent to take `lane` (SPAWN; grants nothing).
pub fn spawn(
    store: &LaneStore,
    lane: &str,
    owner: &str,
    loop_ts: &str,
    run_id: &str,
    reason: &str,
) -> Result<SpawnRecord, LeaseError> {
    let loop_ts = if loop_ts.is_empty() {
        now_ts()
    } else {
        loop_ts.to_string()
    };
    let holder = if owner.is_empty() {
        format!("{}:{}", hostname(), std::process::id())
    } else {
        owner.to_string()
    };
    let mutex_owner = if owner.is_empty() {
        format!("spawn:{lane}")
    } else {
        owner.to_string()
    };
    let _guard = store.lock(&mutex_owner)?;
    let reason = if !reason.is_empty() {
        reason.to_string()
    } else if !owner.is_empty() {
        format!("spawn:{owner}")
    } else {
        "spawn".into()
    };
    let mut entry = obj([
        ("op", Value::from(OP_SPAWN)),
        ("lane", Value::from(lane)),
        ("loop_ts", Value::from(loop_ts.as_str())),
        ("holder", Value::from(holder.as_str())),
        ("host_id", Value::from(host_id())),
        ("pid", Value::from(std::process::id())),
        ("reason", Value::from(reason)),
    ]);
    if !run_id.is_empty() {
        entry.insert("run_id".into(), Value::from(run_id));
    }
    let recorded = journal::append(&store.journal, &entry).is_ok();
    Ok(SpawnRecord {
        lane: lane.into(),
        recorded,
        loop_ts,
        holder,
    })
}

/// A stop decision for [`halt`].
#[derive(Debug, Clone, Default)]
pub struct HaltRequest {
    /// Opaque handle of the thing to stop.
    pub handle: String,
    /// Lane to correlate with.
    pub lane: String,
    /// Loop stamp to correlate with.
    pub loop_ts: String,
    /// Who decided.
    pub owner: String,
    /// Why (default `halt:{owner}` or `halt`).
    pub reason: String,
    /// Run-id (`""` = null).
    pub run_id: String,
    /// Proposed stop command, echoed.
    pub command: Option<String>,
}

/// What [`halt`] recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HaltRecord {
    /// The handle.
    pub handle: String,
    /// Whether the HALT append succeeded.
    pub recorded: bool,
    /// The proposed command.
    pub command: Option<String>,
    /// Correlated lane.
    pub lane: String,
    /// Correlated loop stamp.
    pub loop_ts: String,
}

/// Record a stop decision (HALT). Kills nothing.
pub fn halt(store: &LaneStore, req: &HaltRequest) -> Result<HaltRecord, LeaseError> {
    let owner = if req.owner.is_empty() {
        &req.handle
    } else {
        &req.owner
    };
    let _guard = store.lock(owner)?;
    let (mut lane, mut loop_ts, mut host) = (req.lane.clone(), req.loop_ts.clone(), Value::Null);
    for l in store.live() {
        if !req.lane.is_empty() && py_str(l.get("lane")) != req.lane {
            continue;
        }
        if !req.loop_ts.is_empty() && py_str(l.get("loop_ts")) != req.loop_ts {
            continue;
        }
        if req.lane.is_empty() && req.loop_ts.is_empty() && py_str(l.get("pid")) != req.handle {
            continue;
        }
        let (cl, ct) = (py_str(l.get("lane")), py_str(l.get("loop_ts")));
        if !cl.is_empty() {
            lane = cl;
        }
        if !ct.is_empty() {
            loop_ts = ct;
        }
        host = l.get("host_id").cloned().unwrap_or(Value::Null);
        break;
    }
    let reason = if !req.reason.is_empty() {
        req.reason.clone()
    } else if !req.owner.is_empty() {
        format!("halt:{}", req.owner)
    } else {
        "halt".into()
    };
    let entry = obj([
        ("op", Value::from(OP_HALT)),
        ("handle", Value::from(req.handle.as_str())),
        ("lane", Value::from(lane.as_str())),
        ("loop_ts", Value::from(loop_ts.as_str())),
        ("host_id", host),
        (
            "run_id",
            journal::opt_str(Some(req.run_id.as_str()).filter(|s| !s.is_empty())),
        ),
        ("command", journal::opt_str(req.command.as_deref())),
        ("reason", Value::from(reason)),
    ]);
    let recorded = journal::append(&store.journal, &entry).is_ok();
    Ok(HaltRecord {
        handle: req.handle.clone(),
        recorded,
        command: req.command.clone(),
        lane,
        loop_ts,
    })
}

/// Compact the journal under the mutex (owner `journal-compact`).
pub fn compact(store: &LaneStore) -> Result<journal::CompactReport, LeaseError> {
    let _guard = store.lock("journal-compact")?;
    Ok(journal::compact_file(&store.journal)?)
}
