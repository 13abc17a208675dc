//! The supervisor watchdog (`dos loop --run`): each tick gathers evidence,
//! plans with [`supervise`], and enacts the plan — SCAVENGE for every REAP
//! (under the supervisor lock), launch a worker for every SPAWN. It never
//! signals or kills a worker; FLAG and PROPOSE_HALT stay advisory.
//!
//! Fixes over the reference driver: a lane reaped and refilled in the same
//! tick stays pending (no double spawn), SCAVENGE's `prev_holder` is the
//! lease's holder, `worker_launch_template` is honoured, the policy's
//! `max_concurrency` budget applies, and extra workers launched onto one
//! repeatable lane still count while in flight.

use super::gather::build_evidence;
use super::journal::{self, py_str, Entry};
use super::lease::scavenge_entry;
use super::policy::{render_template, SupervisePolicy};
use super::roster::Roster;
use super::shellwords;
use super::supervise::{supervise, SuperviseVerdict};
use crate::run_id::{mint_now, Parent, RunId};
use dos_py::time::parse_iso_ms;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The process id workers are minted under.
pub const WORKER_PROCESS_ID: &str = "PROC-dos-dispatch-loop";
/// Default seconds between ticks.
pub const DEFAULT_INTERVAL_S: f64 = 30.0;
/// Default race-belt window: a lane launched this recently counts as alive.
pub const DEFAULT_COOLDOWN_MS: i64 = 120_000;
/// A supervisor lock older than this is stale and stolen.
pub const LOCK_TTL: Duration = Duration::from_secs(10);

/// The argv for `lane`: the rendered template split as Python's
/// `shlex.split` does (0.30; the default template is no longer wrapped in
/// `claude -p`).
pub fn worker_argv(template: &str, lane: &str) -> Result<Vec<String>, String> {
    let rendered = render_template(template, lane)?;
    let argv =
        shellwords::split(&rendered).map_err(|e| format!("worker_launch_template {template:?}: {e}"))?;
    if argv.is_empty() {
        return Err(format!(
            "worker_launch_template {template:?} renders to an empty command"
        ));
    }
    Ok(argv)
}

/// A failed worker launch as 0.30 reports it: Python's exception class and
/// `OSError` text, e.g. `FileNotFoundError: [Errno 2] No such file or
/// directory: 'prog'`.
pub fn launch_error_text(e: &std::io::Error, prog: &str) -> String {
    let class = match e.raw_os_error() {
        Some(2) => "FileNotFoundError",
        Some(1) | Some(13) => "PermissionError",
        Some(20) => "NotADirectoryError",
        Some(21) => "IsADirectoryError",
        _ => "OSError",
    };
    match dos_py::text::os_error(e) {
        Some((code, msg)) => format!("{class}: [Errno {code}] {msg}: {}", dos_py::repr::str_repr(prog)),
        None => format!("{class}: {e}"),
    }
}

/// Starts worker processes (a seam so tests can record launches).
pub trait Launcher {
    /// Launch `argv` with extra `env`; return a handle id.
    fn launch(&mut self, argv: &[String], env: &[(String, String)]) -> Result<(), String>;
    /// Run-ids of launched workers that have exited since the last call.
    fn exited(&mut self) -> Vec<String>;
}

/// Launches real processes in the workspace root with `DISPATCH_WORKSPACE`
/// set to it (0.30); reaps exited children
/// (without ever signalling a live one).
pub struct ProcessLauncher {
    cwd: PathBuf,
    children: Vec<(String, std::process::Child)>,
}

impl ProcessLauncher {
    /// Launch workers with `cwd` as their working directory.
    pub fn new(cwd: &Path) -> ProcessLauncher {
        ProcessLauncher {
            cwd: cwd.to_path_buf(),
            children: Vec::new(),
        }
    }
}

impl Launcher for ProcessLauncher {
    fn launch(&mut self, argv: &[String], env: &[(String, String)]) -> Result<(), String> {
        let (prog, args) = argv.split_first().ok_or("empty worker command")?;
        let child = std::process::Command::new(prog)
            .args(args)
            .env("DISPATCH_WORKSPACE", &self.cwd)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.cwd)
            .stdin(std::process::Stdio::null())
            .spawn()
            .map_err(|e| launch_error_text(&e, prog))?;
        let rid = env
            .iter()
            .find(|(k, _)| k == "CID_RUN_ID")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        self.children.push((rid, child));
        Ok(())
    }

    fn exited(&mut self) -> Vec<String> {
        let mut gone = Vec::new();
        self.children.retain_mut(|(rid, child)| match child.try_wait() {
            Ok(Some(_)) | Err(_) => {
                gone.push(rid.clone());
                false
            }
            Ok(None) => true,
        });
        gone
    }
}

/// What one tick did (lane names).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickActions {
    /// Lanes a worker was launched for.
    pub spawned: Vec<String>,
    /// Lanes whose stalled lease was scavenged.
    pub reaped: Vec<String>,
    /// Lanes flagged (advisory).
    pub flagged: Vec<String>,
    /// Reaps skipped (supervisor lock busy or append failed).
    pub skipped_reaps: Vec<String>,
    /// Halts proposed (never enacted).
    pub proposed_halts: Vec<String>,
    /// Spawns that failed to launch: `(lane, error)` (0.30's `failed_spawns`).
    pub failed_spawns: Vec<(String, String)>,
}

impl TickActions {
    /// 0.30's `TickActions.to_dict`: `{spawned, reaped, flagged,
    /// skipped_reaps, failed_spawns: [{lane, error}], proposed_halts}`.
    pub fn to_map(&self) -> Map<String, Value> {
        let list = |v: &[String]| Value::Array(v.iter().map(|s| Value::from(s.as_str())).collect());
        let mut m = Map::new();
        m.insert("spawned".into(), list(&self.spawned));
        m.insert("reaped".into(), list(&self.reaped));
        m.insert("flagged".into(), list(&self.flagged));
        m.insert("skipped_reaps".into(), list(&self.skipped_reaps));
        let failed = self
            .failed_spawns
            .iter()
            .map(|(lane, error)| {
                Value::Object(journal::obj([
                    ("lane", Value::from(lane.as_str())),
                    ("error", Value::from(error.as_str())),
                ]))
            })
            .collect();
        m.insert("failed_spawns".into(), Value::Array(failed));
        m.insert("proposed_halts".into(), list(&self.proposed_halts));
        m
    }

    /// The per-tick text line 0.30 prints: `ENACT <VERDICT>: spawned a, b;
    /// reaped …; launch-failed <lane> (<error>); …` or `no-actions`.
    pub fn enact_line(&self, verdict: &str) -> String {
        let mut parts = Vec::new();
        let mut named = |label: &str, v: &[String]| {
            if !v.is_empty() {
                parts.push(format!("{label} {}", v.join(", ")));
            }
        };
        named("spawned", &self.spawned);
        named("reaped", &self.reaped);
        named("flagged", &self.flagged);
        named("skipped-reaps", &self.skipped_reaps);
        for (lane, error) in &self.failed_spawns {
            parts.push(format!("launch-failed {lane} ({error})"));
        }
        if !self.proposed_halts.is_empty() {
            parts.push(format!("proposed-halts {}", self.proposed_halts.join(", ")));
        }
        if parts.is_empty() {
            parts.push("no-actions".into());
        }
        format!("ENACT {verdict}: {}", parts.join("; "))
    }
}

/// The supervisor lock beside the journal.
pub fn supervisor_lock_path(journal: &Path) -> PathBuf {
    PathBuf::from(format!("{}.supervisor.lock", journal.display()))
}

fn create_lock(path: &Path) -> std::io::Result<()> {
    let mut f = crate::safe_fs::create_new(path)?;
    writeln!(f, "supervisor pid={}", std::process::id())
}

/// Take the supervisor lock: create it, or steal it when older than
/// [`LOCK_TTL`] (a crashed supervisor's). False = busy.
pub fn take_supervisor_lock(path: &Path) -> bool {
    if create_lock(path).is_ok() {
        return true;
    }
    let age = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok());
    match age {
        Some(a) if a > LOCK_TTL => {
            let _ = std::fs::remove_file(path);
            create_lock(path).is_ok()
        }
        _ => false,
    }
}

/// Append a SCAVENGE for `lease` under the supervisor lock. False = skipped.
pub fn scavenge(journal_path: &Path, lease: &Entry) -> bool {
    let lock = supervisor_lock_path(journal_path);
    if !take_supervisor_lock(&lock) {
        return false;
    }
    let prev_holder = lease.get("holder").cloned().unwrap_or(Value::Null);
    let ok = journal::append(
        journal_path,
        &scavenge_entry(lease, "supervisor: STALLED", prev_holder),
    )
    .is_ok();
    let _ = std::fs::remove_file(&lock);
    ok
}

/// The watchdog's state across ticks.
pub struct Watchdog<L: Launcher> {
    /// The lane taxonomy.
    pub roster: Roster,
    /// The policy (target already applied).
    pub policy: SupervisePolicy,
    /// The lane journal.
    pub journal: PathBuf,
    /// Race-belt window.
    pub cooldown_ms: i64,
    /// Lane → launch times still inside or awaiting the belt.
    pub launched: BTreeMap<String, Vec<i64>>,
    /// The supervisor's own run (workers are its children).
    pub root_run: Option<RunId>,
    /// Run-ids of launched workers seen to exit.
    pub dead_runs: BTreeSet<String>,
    /// Starts workers.
    pub launcher: L,
}

impl<L: Launcher> Watchdog<L> {
    /// The lanes (and in-flight counts) inside the cooldown at `now_ms`.
    pub fn pending(&self, now_ms: i64) -> BTreeMap<String, usize> {
        self.launched
            .iter()
            .map(|(lane, ts)| {
                (
                    lane.clone(),
                    ts.iter().filter(|t| now_ms - **t < self.cooldown_ms).count(),
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// Plan one tick without effects.
    pub fn plan(&self, entries: &[Entry], now_ms: i64) -> SuperviseVerdict {
        let pending = self.pending(now_ms);
        let lanes: BTreeSet<String> = pending.keys().cloned().collect();
        let ev = build_evidence(
            &self.roster,
            entries,
            self.policy.target,
            now_ms,
            &lanes,
            self.policy.max_concurrency,
            &self.dead_runs,
        );
        let mut verdict = supervise(&ev, &self.policy);
        // Extra workers launched onto one repeatable lane are still in flight:
        // the plan counts a pending lane once, so trim the surplus spawns.
        let extra: usize = pending.values().map(|n| n - 1).sum();
        let keep = verdict.spawn.len().saturating_sub(extra);
        verdict.spawn.truncate(keep);
        verdict
    }

    /// Run one tick at `now_ms`: plan, reap, spawn, housekeep.
    pub fn tick(&mut self, now_ms: i64) -> (SuperviseVerdict, TickActions) {
        self.dead_runs.extend(self.launcher.exited());
        let entries = journal::read_records(&self.journal);
        let verdict = self.plan(&entries, now_ms);
        let mut live: BTreeMap<String, Entry> = BTreeMap::new();
        for lease in journal::replay(&entries) {
            live.insert(py_str(lease.get("lane")), lease);
        }
        let mut actions = TickActions::default();
        for r in &verdict.reap {
            let lease = live
                .get(&r.lane)
                .cloned()
                .unwrap_or_else(|| journal::obj([("lane", Value::from(r.lane.as_str()))]));
            if scavenge(&self.journal, &lease) {
                actions.reaped.push(r.lane.clone());
                self.launched.remove(&r.lane);
            } else {
                actions.skipped_reaps.push(r.lane.clone());
            }
        }
        for s in &verdict.spawn {
            match self.launch(&s.lane) {
                Ok(()) => {
                    self.launched.entry(s.lane.clone()).or_default().push(now_ms);
                    actions.spawned.push(s.lane.clone());
                }
                Err(e) => actions.failed_spawns.push((s.lane.clone(), e)),
            }
        }
        actions.flagged = verdict.flag.iter().map(|p| p.lane.clone()).collect();
        actions.proposed_halts = verdict.proposed_halt.iter().map(|p| p.lane.clone()).collect();
        // Housekeeping: a launch leaves the belt when its cooldown expires or
        // when a lease on its lane acquired at/after the launch (its worker
        // checked in) is live. A reaped lane's old lease is older than the
        // refill, so the refill stays pending (no double spawn).
        let mut newest: BTreeMap<String, i64> = BTreeMap::new();
        for l in journal::replay(&journal::read_records(&self.journal)) {
            if let Some(at) = l
                .get("acquired_at")
                .and_then(Value::as_str)
                .and_then(parse_iso_ms)
            {
                let slot = newest.entry(py_str(l.get("lane"))).or_insert(at);
                *slot = (*slot).max(at);
            }
        }
        let cooldown = self.cooldown_ms;
        self.launched.retain(|lane, ts| {
            let checked_in = newest.get(lane).copied();
            ts.retain(|t| {
                now_ms - *t < cooldown && checked_in.is_none_or(|at| at < t.div_euclid(1000) * 1000)
            });
            !ts.is_empty()
        });
        (verdict, actions)
    }

    fn launch(&mut self, lane: &str) -> Result<(), String> {
        let argv = worker_argv(&self.policy.worker_launch_template, lane)?;
        let mut env = Vec::new();
        if let Some(root) = &self.root_run {
            let child = mint_now(WORKER_PROCESS_ID, Parent::Run(root), None).map_err(|e| e.to_string())?;
            env = child.lineage_env();
        }
        self.launcher.launch(&argv, &env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lanes::journal::read_records;

    type Launch = (Vec<String>, Vec<(String, String)>);

    #[derive(Default)]
    struct Recorder {
        launches: Vec<Launch>,
    }

    impl Launcher for Recorder {
        fn launch(&mut self, argv: &[String], env: &[(String, String)]) -> Result<(), String> {
            self.launches.push((argv.to_vec(), env.to_vec()));
            Ok(())
        }
        fn exited(&mut self) -> Vec<String> {
            Vec::new()
        }
    }

    const NOW: i64 = 1_767_268_800_000;
    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/lanes/roster");

    fn dog(dir: &Path, target: i64, toml: &str) -> Watchdog<Recorder> {
        let journal = dir.join("lane-journal.jsonl");
        let doc: toml::Table = toml.parse().unwrap();
        let roster = Roster::from_table(doc["lanes"].as_table().unwrap()).unwrap();
        let mut policy = match doc.get("supervise") {
            Some(t) => SupervisePolicy::default().overlay(t).unwrap(),
            None => SupervisePolicy::default(),
        };
        policy.target = target;
        Watchdog {
            roster,
            policy,
            journal,
            cooldown_ms: DEFAULT_COOLDOWN_MS,
            launched: BTreeMap::new(),
            root_run: Some(crate::run_id::mint("dos-supervise", Parent::None, None, NOW, 1).unwrap()),
            dead_runs: BTreeSet::new(),
            launcher: Recorder::default(),
        }
    }

    fn roster_dog(dir: &Path, target: i64) -> Watchdog<Recorder> {
        std::fs::copy(
            format!("{FIXTURES}/lane-journal.jsonl"),
            dir.join("lane-journal.jsonl"),
        )
        .unwrap();
        dog(
            dir,
            target,
            &std::fs::read_to_string(format!("{FIXTURES}/dos.toml")).unwrap(),
        )
    }

    #[test]
    fn reap_and_refill_spawns_once_with_real_prev_holder() {
        let dir = tempfile::tempdir().unwrap();
        let mut d = roster_dog(dir.path(), 3);
        let (v, a) = d.tick(NOW);
        assert_eq!(v.verdict.name(), "FILLING");
        assert_eq!(
            (a.spawned.clone(), a.reaped.clone()),
            (vec!["docs".to_string()], vec!["docs".to_string()])
        );
        assert_eq!(a.flagged, ["worker"]);
        assert_eq!(a.proposed_halts, ["worker"]);
        // The refill stays pending (the reference dropped it and spawned twice).
        assert!(d.launched.contains_key("docs"));
        let (v2, a2) = d.tick(NOW + 60_000);
        assert!(a2.spawned.is_empty(), "{a2:?}");
        assert_eq!(v2.alive, 3);
        assert_eq!(d.launcher.launches.len(), 1);
        let (argv, env) = &d.launcher.launches[0];
        assert_eq!(argv, &["claude", "-p", "/dos-dispatch-loop --lane docs"]);
        let keys: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["CID_RUN_ID", "CID_ROOT_ID", "CID_PROCESS_ID", "CID_PARENT_ID"]
        );
        assert_eq!(env[2].1, WORKER_PROCESS_ID);
        let scav = read_records(&d.journal)
            .into_iter()
            .find(|e| e["op"] == "SCAVENGE")
            .unwrap();
        assert_eq!(scav["prev_holder"], "w-docs");
        assert_eq!(scav["reason"], "supervisor: STALLED");
        assert_eq!(scav["seq"], 5);
        assert!(!supervisor_lock_path(&d.journal).exists());
    }

    #[test]
    fn supervisor_lock_fresh_skips_stale_is_stolen() {
        let dir = tempfile::tempdir().unwrap();
        let mut d = roster_dog(dir.path(), 2);
        let lock = supervisor_lock_path(&d.journal);
        std::fs::write(&lock, "supervisor pid=1\n").unwrap();
        let (_, a) = d.tick(NOW);
        assert_eq!(
            (a.reaped.len(), a.skipped_reaps.clone()),
            (0, vec!["docs".to_string()])
        );
        assert!(lock.exists(), "a fresh lock is left alone");
        let old = std::time::SystemTime::now() - Duration::from_secs(11);
        std::fs::File::options()
            .write(true)
            .open(&lock)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let (_, a) = d.tick(NOW);
        assert_eq!(a.reaped, ["docs"]);
        assert!(!lock.exists());
    }

    #[test]
    fn watchdog_applies_the_budget_like_dos_loop() {
        let dir = tempfile::tempdir().unwrap();
        let line = r#"{"host_id": "h", "lane": "pick-123", "lane_kind": "", "lease": {"acquired_at": "2026-01-01T11:55:00Z", "holder": "w", "host_id": "h", "lane": "pick-123", "lane_kind": "", "loop_ts": "L", "pid": 1, "tree": []}, "loop_ts": "L", "op": "ACQUIRE", "pid": 1, "prev_holder": null, "reason": "lane-lease:w", "seq": 1, "tree": [], "ts": "2026-01-01T11:55:00Z", "ttl_minutes": null}"#;
        std::fs::write(dir.path().join("lane-journal.jsonl"), format!("{line}\n")).unwrap();
        let toml = "[lanes]\nconcurrent = [\"api\"]\nautopick = [\"api\"]\n[lanes.trees]\napi = [\"src/api/**\"]\n[supervise]\nmax_concurrency = 4\n";
        let mut d = dog(dir.path(), 4, toml);
        let (v, a) = d.tick(NOW);
        assert_eq!((v.alive, v.admissible), (1, 4));
        // 0.30's order: one slot per repeatable handle, free handles before
        // the held (ADVANCING) one.
        assert_eq!(a.spawned, ["api", "auto", "pick-123"]);
        // In-flight workers still count next tick.
        let (_, a2) = d.tick(NOW + 1000);
        assert!(a2.spawned.is_empty(), "{a2:?}");
    }

    #[test]
    fn argv_from_template() {
        assert_eq!(
            worker_argv(crate::lanes::policy::DEFAULT_TEMPLATE, "x").unwrap(),
            ["/dos-dispatch-loop", "--lane", "x"]
        );
        assert_eq!(
            worker_argv("claude -p \"/dos-dispatch-loop --lane {lane}\"", "x").unwrap(),
            ["claude", "-p", "/dos-dispatch-loop --lane x"]
        );
        assert_eq!(
            worker_argv("sh worker.sh --lane {lane} '{{a b}}'", "x").unwrap(),
            ["sh", "worker.sh", "--lane", "x", "{a b}"]
        );
        assert!(worker_argv("run {lane} {other}", "x").is_err());
    }
}
