//! The lane journal (`.dos/lane-journal.jsonl`): the write-ahead log of lane
//! leases, byte-compatible with the reference's records.
//!
//! Public library API (other subsystems — e.g. the decisions queue — read the
//! journal through these): [`lane_journal_path`] (the one path every verb
//! uses), [`read_records`] (tolerant reader), [`replay`] (live leases),
//! [`next_seq`], [`tail`], [`compact`], and the writer [`append`].
//!
//! Two fixes over the reference: records are split only on `\n` (a U+2028
//! inside a value cannot split a record; the writer escapes it anyway), and
//! `append` takes an advisory lock around find-next-seq + write, finding the
//! next seq from the file's tail instead of re-reading the whole journal.

use crate::locked_append::LockedAppend;
use crate::workspace::Workspace;
use dos_py::dumps::{dumps, Style};
use dos_py::time::{format_ts, now_ts};
use dos_py::value::truthy;
use serde_json::{Map, Value};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One journal record (a JSON object; keys are written sorted).
pub type Entry = Map<String, Value>;

/// Lease acquired (carries the nested `lease`).
pub const OP_ACQUIRE: &str = "ACQUIRE";
/// Lease released voluntarily.
pub const OP_RELEASE: &str = "RELEASE";
/// Liveness beat for a held lease.
pub const OP_HEARTBEAT: &str = "HEARTBEAT";
/// Lease evicted (the supervisor's reap).
pub const OP_SCAVENGE: &str = "SCAVENGE";
/// Denied lane request (forensic).
pub const OP_REFUSE: &str = "REFUSE";
/// Re-asserted lease (replayed like ACQUIRE).
pub const OP_RECONCILE: &str = "RECONCILE";
/// Recorded stop decision (forensic).
pub const OP_HALT: &str = "HALT";
/// Ownership transfer of a live lease.
pub const OP_ADOPT: &str = "ADOPT";
/// Recorded intent to take a lane (forensic).
pub const OP_SPAWN: &str = "SPAWN";
/// Recorded enforcement outcome of the PRE hook (forensic; counted by the
/// help nudge).
pub const OP_ENFORCE: &str = "ENFORCE";
/// Compaction snapshot: resets the live set.
pub const OP_CHECKPOINT: &str = "CHECKPOINT";
/// Reader-only sentinel for an unparseable middle line.
pub const OP_CORRUPT: &str = "_CORRUPT";

/// The on-disk style: sorted keys, `", "`/`": "`, raw UTF-8 (U+2028/U+2029/
/// U+0085 escaped — the fix).
pub const WAL: Style = Style::RECORD;
/// The one-line CLI style: sorted keys, ASCII-escaped.
pub const LINE: Style = Style {
    sort_keys: true,
    ensure_ascii: true,
    compact: false,
    indent: 0,
};

/// The layout path: `[paths] lane_journal` (relative to the root) or
/// `<root>/.dos/lane-journal.jsonl`.
pub fn layout_path(ws: &Workspace) -> PathBuf {
    let configured = ws.config.string("paths", "lane_journal").ok().flatten();
    layout_path_at(&ws.root, configured)
}

/// [`layout_path`] for the workspace at `root`, given its `[paths]
/// lane_journal` value (`None` or empty: the default). For callers that read
/// `dos.toml` their own way (the hooks read it lazily).
pub fn layout_path_at(root: &Path, configured: Option<&str>) -> PathBuf {
    match configured {
        Some(p) if !p.is_empty() => crate::workspace::path_from_root(root, p),
        _ => root.join(".dos").join("lane-journal.jsonl"),
    }
}

/// The lane journal every verb reads and writes: `$DISPATCH_LANE_JOURNAL_PATH`
/// › `$JOB_LANE_JOURNAL_PATH` › the layout path. Unlike the reference, the
/// supervisor, `dos loop` and `dos liveness` use this same path (fix).
pub fn lane_journal_path(ws: &Workspace) -> PathBuf {
    env_journal_path().unwrap_or_else(|| layout_path(ws))
}

/// [`lane_journal_path`] for the workspace at `root`, given its `[paths]
/// lane_journal` value: the one path rule, for the hooks too.
pub fn lane_journal_path_at(root: &Path, configured: Option<&str>) -> PathBuf {
    env_journal_path().unwrap_or_else(|| layout_path_at(root, configured))
}

/// `$DISPATCH_LANE_JOURNAL_PATH` › `$JOB_LANE_JOURNAL_PATH` when set
/// (relative to the process cwd).
fn env_journal_path() -> Option<PathBuf> {
    for var in ["DISPATCH_LANE_JOURNAL_PATH", "JOB_LANE_JOURNAL_PATH"] {
        if let Some(v) = std::env::var_os(var) {
            if !v.is_empty() {
                let p = PathBuf::from(v);
                return Some(if p.is_absolute() {
                    p
                } else {
                    std::env::current_dir().map(|c| c.join(&p)).unwrap_or(p)
                });
            }
        }
    }
    None
}

/// Read every record at `path` tolerantly: a missing/unreadable file is `[]`,
/// invalid UTF-8 is replaced, a torn last line is dropped, a corrupt middle
/// line becomes a `_CORRUPT` sentinel, and non-object JSON lines are skipped.
pub fn read_records(path: &Path) -> Vec<Entry> {
    match std::fs::read(path) {
        Ok(bytes) => parse_records(&String::from_utf8_lossy(&bytes)),
        Err(_) => Vec::new(),
    }
}

/// Parse journal text (see [`read_records`]). Records are split on `\n` only.
pub fn parse_records(text: &str) -> Vec<Entry> {
    let mut lines: Vec<&str> = text.split('\n').collect();
    if text.ends_with('\n') {
        lines.pop();
    }
    let last = lines.len().saturating_sub(1);
    let mut out = Vec::new();
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(m)) => out.push(m),
            Ok(_) => {}
            Err(_) if i == last => break,
            Err(_) => {
                let mut m = Map::new();
                m.insert("op".into(), Value::from(OP_CORRUPT));
                m.insert("_raw".into(), Value::from(line));
                m.insert("_line".into(), Value::from(i as u64));
                out.push(m);
            }
        }
    }
    out
}

/// Python's `str(v or "")` for the scalar fields a lease identity uses.
pub fn py_str(v: Option<&Value>) -> String {
    match v {
        Some(v) if truthy(v) => dos_py::value::json_str(v),
        _ => String::new(),
    }
}

/// The `(loop_ts, lane)` identity of a record or lease.
pub fn identity(rec: &Entry) -> (String, String) {
    (py_str(rec.get("loop_ts")), py_str(rec.get("lane")))
}

fn op_of(e: &Entry) -> &str {
    e.get("op").and_then(Value::as_str).unwrap_or("")
}

/// Fields an inline ACQUIRE/RECONCILE (no nested `lease`) is rebuilt from.
const INLINE_LEASE_KEYS: [&str; 12] = [
    "lane",
    "lane_kind",
    "tree",
    "loop_ts",
    "host_id",
    "pid",
    "acquired_at",
    "heartbeat_at",
    "ttl_minutes",
    "holder",
    "run_id",
    "proc_starttime",
];

/// Set `key` to `value` in an insertion-ordered map (a Python dict's update).
fn put<T>(slots: &mut Vec<((String, String), T)>, key: (String, String), value: T) {
    match slots.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => slots.push((key, value)),
    }
}

/// Fold records into the live leases, in first-insertion order (pure).
pub fn replay(entries: &[Entry]) -> Vec<Entry> {
    let mut live: Vec<((String, String), Entry)> = Vec::new();
    for e in entries {
        let op = op_of(e);
        if op == OP_CHECKPOINT {
            live.clear();
            if let Some(Value::Array(leases)) = e.get("leases") {
                for l in leases {
                    if let Value::Object(l) = l {
                        let key = identity(l);
                        if key.0.is_empty() && key.1.is_empty() {
                            continue;
                        }
                        put(&mut live, key, l.clone());
                    }
                }
            }
            continue;
        }
        if ![
            OP_ACQUIRE,
            OP_RELEASE,
            OP_HEARTBEAT,
            OP_SCAVENGE,
            OP_RECONCILE,
            OP_ADOPT,
        ]
        .contains(&op)
        {
            continue;
        }
        let key = identity(e);
        if key.0.is_empty() && key.1.is_empty() {
            continue;
        }
        match op {
            OP_ACQUIRE | OP_RECONCILE => {
                let lease = match e.get("lease") {
                    Some(Value::Object(l)) => l.clone(),
                    _ => INLINE_LEASE_KEYS
                        .iter()
                        .filter_map(|k| e.get(*k).map(|v| ((*k).to_string(), v.clone())))
                        .collect(),
                };
                put(&mut live, key, lease);
            }
            OP_RELEASE | OP_SCAVENGE => live.retain(|(k, _)| *k != key),
            OP_HEARTBEAT => {
                let beat = first_truthy(e, &["heartbeat_at", "ts"]);
                if let (Some(slot), Some(beat)) = (live.iter_mut().find(|(k, _)| *k == key), beat) {
                    slot.1.insert("heartbeat_at".into(), beat);
                }
            }
            _ => {
                // ADOPT
                if let Some(slot) = live.iter_mut().find(|(k, _)| *k == key) {
                    adopt_into(&mut slot.1, e);
                }
            }
        }
    }
    live.into_iter().map(|(_, l)| l).collect()
}

/// Apply an ADOPT record to the live `lease` it names (0.30's fold): move
/// holder/pid/host_id, carry the entry's `proc_starttime` or — when the pid
/// changed — drop the old holder's baseline (it would read as PID reuse), and
/// refresh the heartbeat only when the record carries one.
fn adopt_into(lease: &mut Entry, e: &Entry) {
    let pid_changed = e
        .get("pid")
        .filter(|v| !v.is_null())
        .is_some_and(|new| !py_eq(Some(new), lease.get("pid")));
    for k in ["holder", "pid", "host_id"] {
        if let Some(v) = e.get(k).filter(|v| !v.is_null()) {
            lease.insert(k.into(), v.clone());
        }
    }
    match e.get(PROC_STARTTIME).filter(|v| !v.is_null()) {
        Some(v) => {
            lease.insert(PROC_STARTTIME.into(), v.clone());
        }
        None if pid_changed => {
            lease.remove(PROC_STARTTIME);
        }
        None => {}
    }
    if let Some(beat) = first_truthy(e, &["heartbeat_at", "ts"]) {
        lease.insert("heartbeat_at".into(), beat);
    }
}

/// The lease key holding the holder pid's OS start time (`/proc/<pid>/stat`
/// field 22), 0.30's PID-reuse baseline.
pub const PROC_STARTTIME: &str = "proc_starttime";

/// Python's `==` on two JSON scalars (`1 == 1.0 == True`); a missing value is `None`.
fn py_eq(a: Option<&Value>, b: Option<&Value>) -> bool {
    fn num(v: &Value) -> Option<f64> {
        match v {
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            Value::Number(n) => n.as_f64(),
            _ => None,
        }
    }
    match (a, b) {
        (Some(x), Some(y)) => match (num(x), num(y)) {
            (Some(p), Some(q)) => match (x.as_i64(), y.as_i64()) {
                (Some(i), Some(j)) => i == j,
                _ => p == q,
            },
            _ => x == y,
        },
        (None, None) => true,
        (Some(x), None) | (None, Some(x)) => x.is_null(),
    }
}

fn first_truthy(e: &Entry, keys: &[&str]) -> Option<Value> {
    keys.iter().filter_map(|k| e.get(*k)).find(|v| truthy(v)).cloned()
}

/// The reference's `int(v or 0)` for a seq-like value, with anything it
/// cannot convert (and anything past `i64`) read as 0.
pub fn py_int(v: Option<&Value>) -> i64 {
    dos_py::int::int_value_or_zero(v).unwrap_or(0)
}

/// The highest `seq`/`seq_watermark` among `entries` (0 when none).
pub fn max_seq(entries: &[Entry]) -> i64 {
    entries
        .iter()
        .map(|e| py_int(e.get("seq")).max(py_int(e.get("seq_watermark"))))
        .fold(0, i64::max)
}

/// The seq the next appended record gets: 1 + [`max_seq`].
pub fn next_seq(entries: &[Entry]) -> i64 {
    max_seq(entries).saturating_add(1)
}

/// The last `n` records, or all of them when `n <= 0`.
pub fn tail(entries: &[Entry], n: i64) -> &[Entry] {
    if n > 0 {
        let n = n as usize;
        &entries[entries.len().saturating_sub(n)..]
    } else {
        entries
    }
}

/// Fold the journal into each live lease's fencing generation (0.30's
/// `lease_generations`): every ACQUIRE/RECONCILE takes the next number,
/// RELEASE/SCAVENGE drop it, a CHECKPOINT re-bases onto its `generations`
/// rows and continues from their maximum. Returned in Python dict order.
pub fn lease_generations(entries: &[Entry]) -> Vec<((String, String), i64)> {
    let mut gens: Vec<((String, String), i64)> = Vec::new();
    let mut counter = 0i64;
    for e in entries {
        let op = op_of(e);
        if op == OP_CHECKPOINT {
            gens.clear();
            if let Some(Value::Array(rows)) = e.get("generations") {
                for row in rows.iter().filter_map(Value::as_object) {
                    let key = identity(row);
                    if key.0.is_empty() && key.1.is_empty() {
                        continue;
                    }
                    // Python: isinstance(g, int) and not bool.
                    if let Some(g) = row.get("generation").and_then(Value::as_i64) {
                        put(&mut gens, key, g);
                        counter = counter.max(g);
                    }
                }
            }
            continue;
        }
        let key = identity(e);
        if key.0.is_empty() && key.1.is_empty() {
            continue;
        }
        match op {
            OP_ACQUIRE | OP_RECONCILE => {
                counter = counter.saturating_add(1);
                put(&mut gens, key, counter);
            }
            OP_RELEASE | OP_SCAVENGE => gens.retain(|(k, _)| *k != key),
            _ => {}
        }
    }
    gens
}

/// Compaction (pure): one CHECKPOINT holding the live leases, the seq
/// watermark and (when any lease holds one) the fencing `generations` rows,
/// followed by every `_CORRUPT` sentinel in order — 0.30's `compact`.
/// `replay(compact(E)) == replay(E)` and the generations survive.
pub fn compact(entries: &[Entry]) -> Vec<Entry> {
    let mut cp = Map::new();
    cp.insert("op".into(), Value::from(OP_CHECKPOINT));
    cp.insert(
        "leases".into(),
        Value::Array(replay(entries).into_iter().map(Value::Object).collect()),
    );
    cp.insert("seq_watermark".into(), Value::from(max_seq(entries)));
    let gens = lease_generations(entries);
    if !gens.is_empty() {
        let rows = gens
            .into_iter()
            .map(|((loop_ts, lane), g)| {
                Value::Object(obj([
                    ("loop_ts", Value::from(loop_ts)),
                    ("lane", Value::from(lane)),
                    ("generation", Value::from(g)),
                ]))
            })
            .collect();
        cp.insert("generations".into(), Value::Array(rows));
    }
    let mut out = vec![cp];
    out.extend(entries.iter().filter(|e| op_of(e) == OP_CORRUPT).cloned());
    out
}

/// The on-disk line for `entry` (no newline).
pub fn to_line(entry: &Entry) -> String {
    dumps(&Value::Object(entry.clone()), WAL)
}

/// Who and what an OP_ENFORCE record names (the reference's
/// `lane_journal.enforce_entry` arguments; the environment's ids as read).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Enforcement<'a> {
    /// The requester (`str(session_id or "")`), recorded as `holder`.
    pub holder: &'a str,
    /// The tool the decision was about (also the record's `lane`).
    pub tool: &'a str,
    /// A deny (`BLOCK`, the call withheld) or a warning (`WARN`).
    pub deny: bool,
    /// The refusal reason (without the hook surface's prefix).
    pub reason: &'a str,
    /// The typed reason class (`SELF_MODIFY`, or empty).
    pub reason_class: &'a str,
    /// The deciding handler and rung (`admission`).
    pub handler: &'a str,
    /// `$DISPATCH_HOST_ID`.
    pub host_id: &'a str,
    /// `$DISPATCH_LOOP_TS`.
    pub loop_ts: &'a str,
    /// `$CID_RUN_ID`.
    pub run_id: &'a str,
    /// `$CID_ROOT_ID` (stamped, trimmed, only when non-empty).
    pub root_id: &'a str,
    /// `$CID_PARENT_ID` (stamped, trimmed, only when non-empty).
    pub parent_id: &'a str,
}

/// An OP_ENFORCE record (no `seq`/`ts`: [`append`] stamps them), 0.30's
/// shape: the proposal body nested, the intervention, reason class and
/// whether the call fired lifted to the top, the actor's lineage when set.
pub fn enforce_entry(e: &Enforcement<'_>) -> Entry {
    let (intervention, decision) = if e.deny {
        ("BLOCK", "deny")
    } else {
        ("WARN", "warn")
    };
    let proposal = obj([
        ("decision", Value::from(decision)),
        ("dispatch_call", Value::Bool(!e.deny)),
        ("handler", Value::from(e.handler)),
        ("intervention", Value::from(intervention)),
        ("reason", Value::from(e.reason)),
        ("reason_class", Value::from(e.reason_class)),
        ("rung", Value::from(e.handler)),
    ]);
    let mut rec = obj([
        ("dispatch_call", Value::Bool(!e.deny)),
        ("handler", Value::from(e.handler)),
        ("holder", Value::from(e.holder)),
        ("host_id", Value::from(e.host_id)),
        ("intervention", Value::from(intervention)),
        ("lane", Value::from(e.tool)),
        ("loop_ts", Value::from(e.loop_ts)),
        ("op", Value::from(OP_ENFORCE)),
        ("proposal", Value::Object(proposal)),
        ("reason", Value::from(e.reason)),
        ("reason_class", Value::from(e.reason_class)),
        ("run_id", Value::from(e.run_id)),
    ]);
    // 0.30 lineage: a subagent's block is foldable by the root that launched it.
    for (key, id) in [("root_id", e.root_id), ("parent_id", e.parent_id)] {
        let id = id.trim();
        if !id.is_empty() {
            rec.insert(key.into(), Value::from(id));
        }
    }
    rec.insert("tool".into(), Value::from(e.tool));
    rec.insert("withheld".into(), Value::Bool(e.deny));
    rec
}

/// Append `entry` to the journal at `path`, stamping `seq` and `ts` only when
/// absent (an explicit `"seq": null` is kept). Holds an exclusive advisory lock
/// on the journal for find-next-seq + write, so concurrent writers never mint a
/// duplicate seq; fsyncs. Returns the stamped entry.
pub fn append(path: &Path, entry: &Entry) -> std::io::Result<Entry> {
    let mut file = LockedAppend::open(path)?;
    append_locked(&mut file, entry)
}

/// [`append`] into a journal the caller already holds (it read the journal
/// under the same lock first, as the PRE hook does for its help count).
pub fn append_locked(file: &mut LockedAppend, entry: &Entry) -> std::io::Result<Entry> {
    let mut e = entry.clone();
    let torn_tail = if !e.contains_key("seq") {
        let (max, ends_nl) = scan_tail(file.file_mut())?;
        e.insert("seq".into(), Value::from(max.saturating_add(1)));
        !ends_nl
    } else {
        // An unreadable tail is written as if it ended with a newline.
        !file.ends_with_newline().unwrap_or(true)
    };
    if !e.contains_key("ts") {
        e.insert("ts".into(), Value::from(now_ts()));
    }
    // A torn last line must not swallow this record.
    file.write_record(&to_line(&e), torn_tail)?;
    let _ = file.sync();
    Ok(e)
}

/// The highest seq/watermark in the file's tail window (whole file when the
/// window holds no seq at all), and whether the file ends with a newline.
fn scan_tail(file: &mut File) -> std::io::Result<(i64, bool)> {
    crate::tailscan::max_seq_in_tail(file, |body| {
        Some(max_seq(&parse_records(&String::from_utf8_lossy(body)))).filter(|m| *m != 0)
    })
}

/// What `compact_journal` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactReport {
    /// Records before.
    pub entries_before: usize,
    /// Records after.
    pub entries_after: usize,
    /// `max(0, size_before - size_after)`.
    pub bytes_reclaimed: u64,
}

/// Compact the journal at `path` in place (the caller holds the lane-lease
/// mutex): write the compacted lines to `<path>.compact.tmp`, fsync, rename.
/// An empty or missing journal is a no-op.
pub fn compact_file(path: &Path) -> std::io::Result<CompactReport> {
    let entries = read_records(path);
    if entries.is_empty() {
        return Ok(CompactReport {
            entries_before: 0,
            entries_after: 0,
            bytes_reclaimed: 0,
        });
    }
    let before = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let compacted = compact(&entries);
    let mut text = String::new();
    for e in &compacted {
        text.push_str(&to_line(e));
        text.push('\n');
    }
    let tmp = PathBuf::from(format!("{}.compact.tmp", path.display()));
    {
        let mut f = crate::safe_fs::create_truncate(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(CompactReport {
        entries_before: entries.len(),
        entries_after: compacted.len(),
        bytes_reclaimed: before.saturating_sub(text.len() as u64),
    })
}

/// Seconds since the epoch rendered as a journal stamp (re-exported helper).
pub fn stamp(secs: i64) -> String {
    format_ts(secs)
}

/// Build an object from `(key, value)` pairs (a small record-builder helper).
pub fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Entry {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// `Value::String` or `Value::Null` for an optional string.
pub fn opt_str(s: Option<&str>) -> Value {
    s.map(Value::from).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests;
