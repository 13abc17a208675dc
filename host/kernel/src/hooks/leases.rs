//! The live lane leases `dos hook pretool` admits a call against: the lane
//! journal replayed (`crate::lanes::journal::replay`) with the provably-dead
//! leases dropped, as the reference's contention read does
//! (`live_leases(expire_dead=True)`).
//!
//! This runs on every tool call, so the reader is built for the common cases:
//! no journal → no work beyond one failed `open`; a journal → streamed line by
//! line, and a line that cannot be a lease record (no lease op word and no
//! `\u` escape in it — e.g. the hook's own ENFORCE records) is skipped without
//! being parsed. Lines that are parsed get the tolerant reader's treatment
//! (`read_records`): blank, unparseable and non-object lines fold as nothing.
//!
//! Dead-lease expiry is a pure decision ([`lease_is_dead`]) over the lease,
//! the clock and a process probe the boundary supplies ([`os_probe`]).
//! Any read failure means "no leases" (the fail-safe direction for the
//! collision rung); a lease whose death cannot be proven is kept.

use crate::lanes::journal::{self, py_str, Entry};
use dos_py::time::parse_stamp_ms;
use dos_py::value::truthy_opt as truthy;
use memchr::memmem;
use serde_json::Value;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// A lease is fresh (never dropped) while its newest stamp is at most this
/// many minutes old.
pub const GRACE_MINUTES: f64 = 5.0;
/// The TTL of a lease that declares no positive `ttl_minutes`.
pub const DEFAULT_TTL_MINUTES: f64 = 50.0;

/// The ops `replay` folds.
const LEASE_OPS: [&str; 7] = [
    "ACQUIRE",
    "RELEASE",
    "HEARTBEAT",
    "SCAVENGE",
    "RECONCILE",
    "ADOPT",
    "CHECKPOINT",
];

/// What a process probe can say about a holder pid (Python's three-valued
/// `proc_delta.probe`, plus the case where the reference's probe raises).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// The process exists.
    Alive,
    /// The OS confirms no such process.
    Gone,
    /// Cannot tell (no pid, foreign host, probe error).
    Unknown,
    /// The reference's probe raises (a pid beyond `pid_t`): the lease is kept.
    Raises,
}

/// The live leases at `path` as of `now_ms` (ms since the epoch). A missing
/// or unreadable journal is no leases.
pub fn live_leases(path: &Path, now_ms: i64) -> Vec<Entry> {
    let Ok(file) = File::open(path) else {
        return Vec::new();
    };
    let Some(records) = lease_records(BufReader::with_capacity(64 * 1024, file)) else {
        return Vec::new();
    };
    if records.is_empty() {
        return Vec::new();
    }
    let mut host: Option<String> = None;
    let mut probe = |pid: i64, host_id: &str| {
        let this_host = host.get_or_insert_with(crate::lanes::lease::hostname);
        probe_pid(Some(pid), host_id, this_host, os_probe)
    };
    journal::replay(&records)
        .into_iter()
        .filter(|l| !lease_is_dead(l, now_ms, &mut probe))
        .collect()
}

/// The records of a journal stream that `replay` could fold (`None` on a read
/// error). Skipped lines are exactly those that fold as nothing.
pub fn lease_records<R: BufRead>(mut reader: R) -> Option<Vec<Entry>> {
    let ops: Vec<memmem::Finder> = LEASE_OPS.iter().map(memmem::Finder::new).collect();
    let escape = memmem::Finder::new(br"\u");
    let mut out = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).ok()? == 0 {
            break;
        }
        let names_op = ops.iter().any(|f| f.find(&line).is_some());
        let escaped_op = || escape.find(&line).is_some() && escaped_lease_op(&line);
        if !(names_op || escaped_op()) {
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let t = text.trim();
        if t.is_empty() {
            continue;
        }
        if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(t) {
            out.push(m);
        }
    }
    Some(out)
}

/// Whether a line that names no lease op in plain text still holds one behind
/// `\u` escapes (`"op": "\u0041CQUIRE"`): decided by the hooks' zero-copy
/// reader, so the many escaped non-lease records are not fully parsed.
fn escaped_lease_op(line: &[u8]) -> bool {
    match super::store::parse_line(line).as_ref().and_then(|v| v.get("op")) {
        Some(dos_py::json::Val::Str(op)) => LEASE_OPS.iter().any(|o| op.eq_str(o)),
        _ => false,
    }
}

/// Python `isinstance(v, int)` (bools included) → the integer.
fn py_int_of(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Bool(b) => Some(i64::from(*b)),
        Value::Number(n) => n.as_i64().or_else(|| n.as_u64().map(|_| i64::MAX)),
        _ => None,
    }
}

/// What the reference's `proc_delta.probe(pid, host_id, this_host)` answers,
/// with `os` the local existence probe.
pub fn probe_pid(pid: Option<i64>, host_id: &str, this_host: &str, os: impl Fn(i32) -> Probe) -> Probe {
    let Some(pid) = pid.filter(|p| *p > 0) else {
        return Probe::Unknown;
    };
    if !host_id.is_empty() && !this_host.is_empty() && host_id != this_host {
        return Probe::Unknown;
    }
    match i32::try_from(pid) {
        Ok(p) => os(p),
        Err(_) => Probe::Raises,
    }
}

/// `kill(pid, 0)`: ESRCH → gone, success or EPERM → alive, anything else →
/// unknown.
pub fn os_probe(pid: i32) -> Probe {
    let Some(pid) = rustix::process::Pid::from_raw(pid) else {
        return Probe::Unknown;
    };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => Probe::Alive,
        Err(rustix::io::Errno::PERM) => Probe::Alive,
        Err(rustix::io::Errno::SRCH) => Probe::Gone,
        Err(_) => Probe::Unknown,
    }
}

/// Whether a replayed lease is provably dead at `now_ms` (the reference's
/// `_lease_is_dead`): fresh within the grace → kept; past the grace with a
/// holder confirmed gone on this host → dead; otherwise dead only past its
/// TTL (default 50 min) plus the grace. A lease with no parseable stamp is
/// kept. `probe(pid, host_id)` is consulted only for a non-fresh lease.
pub fn lease_is_dead(lease: &Entry, now_ms: i64, probe: &mut impl FnMut(i64, &str) -> Probe) -> bool {
    let beat = lease.get("heartbeat_at");
    let stamp = if truthy(beat) {
        beat
    } else {
        lease.get("acquired_at")
    };
    let age_min = match stamp {
        Some(Value::String(s)) if !s.is_empty() => parse_stamp_ms(s).map(|t| (now_ms - t) as f64 / 60_000.0),
        _ => None,
    };
    let ttl = match lease.get("ttl_minutes") {
        Some(Value::Bool(true)) => 1.0,
        Some(Value::Number(n)) => n.as_f64().filter(|t| *t > 0.0).unwrap_or(DEFAULT_TTL_MINUTES),
        _ => DEFAULT_TTL_MINUTES,
    };
    if matches!(age_min, Some(a) if a <= GRACE_MINUTES) {
        return false;
    }
    let state = match py_int_of(lease.get("pid")) {
        Some(pid) if pid > 0 => probe(pid, &py_str(lease.get("host_id"))),
        _ => Probe::Unknown,
    };
    match (state, age_min) {
        (Probe::Raises, _) | (_, None) => false,
        (Probe::Gone, Some(_)) => true,
        (_, Some(age)) => age > ttl + GRACE_MINUTES,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: &str = "2026-01-01T12:00:00Z";

    fn now() -> i64 {
        parse_stamp_ms(NOW).unwrap()
    }

    fn lease(v: Value) -> Entry {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn dead_lease_table() {
        // (lease, probe answer, dead?)
        let table: Vec<(Value, Probe, bool)> = vec![
            (
                json!({"acquired_at": "2026-01-01T11:58:00Z", "pid": 5}),
                Probe::Gone,
                false,
            ),
            (
                json!({"acquired_at": "2026-01-01T11:55Z", "pid": 5}),
                Probe::Gone,
                false,
            ),
            (
                json!({"acquired_at": "2026-01-01T11:54Z", "pid": 5}),
                Probe::Gone,
                true,
            ),
            (
                json!({"acquired_at": "2026-01-01T11:54Z", "pid": 5}),
                Probe::Alive,
                false,
            ),
            (
                json!({"acquired_at": "2026-01-01T11:54Z", "pid": 5}),
                Probe::Raises,
                false,
            ),
            (json!({"acquired_at": "2026-01-01T11:04Z"}), Probe::Unknown, true),
            (json!({"acquired_at": "2026-01-01T11:06Z"}), Probe::Unknown, false),
            (
                json!({"acquired_at": "2026-01-01T11:40Z", "ttl_minutes": 10}),
                Probe::Unknown,
                true,
            ),
            (
                json!({"acquired_at": "2026-01-01T11:40Z", "ttl_minutes": 0}),
                Probe::Unknown,
                false,
            ),
            (
                json!({"acquired_at": "2026-01-01T11:50Z", "ttl_minutes": true}),
                Probe::Unknown,
                true,
            ),
            (
                json!({"acquired_at": "2020-01-01T00:00Z", "heartbeat_at": "2026-01-01T11:59:30Z"}),
                Probe::Gone,
                false,
            ),
            (json!({"acquired_at": "garbage", "pid": 5}), Probe::Gone, false),
            (json!({"acquired_at": 5, "pid": 5}), Probe::Gone, false),
            (json!({"pid": 5}), Probe::Gone, false),
            (
                json!({"acquired_at": "2020-01-01T00:00Z", "pid": 5}),
                Probe::Raises,
                false,
            ),
        ];
        for (l, answer, want) in table {
            let mut probe = |_: i64, _: &str| answer;
            assert_eq!(lease_is_dead(&lease(l.clone()), now(), &mut probe), want, "{l}");
        }
    }

    #[test]
    fn probe_rules() {
        let gone = |_| Probe::Gone;
        assert_eq!(probe_pid(None, "", "vm", gone), Probe::Unknown);
        assert_eq!(probe_pid(Some(0), "", "vm", gone), Probe::Unknown);
        assert_eq!(probe_pid(Some(7), "other", "vm", gone), Probe::Unknown);
        assert_eq!(probe_pid(Some(7), "vm", "vm", gone), Probe::Gone);
        assert_eq!(probe_pid(Some(7), "", "vm", gone), Probe::Gone);
        assert_eq!(probe_pid(Some(1 << 40), "", "vm", gone), Probe::Raises);
        assert_eq!(os_probe(std::process::id() as i32), Probe::Alive);
    }

    #[test]
    fn records_skip_what_replay_ignores() {
        let text = concat!(
            "{\"op\": \"ENFORCE\", \"seq\": 1}\n",
            "\n",
            "{\"op\": \"ACQUIRE\", \"lane\": \"a\", \"loop_ts\": \"t\", \"tree\": [\"src/**\"]}\n",
            "not json ACQUIRE\n",
            "{\"op\": \"\\u0052ELEASE\", \"lane\": \"a\", \"loop_ts\": \"t\"}\n",
            "[\"ACQUIRE\"]\n",
            "{\"op\": \"ACQUIRE\", \"lane\": \"b\", \"loop_ts\": \"t\", \"tree\": [\"docs/**\"]}",
        );
        let recs = lease_records(text.as_bytes()).unwrap();
        assert_eq!(recs.len(), 3);
        let live = journal::replay(&recs);
        assert_eq!(live.len(), 1);
        assert_eq!(live[0].get("tree"), Some(&json!(["docs/**"])));
        assert_eq!(
            journal::replay(&recs),
            journal::replay(&journal::parse_records(text))
        );
    }
}
