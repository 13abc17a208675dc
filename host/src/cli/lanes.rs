//! Lane verbs: `dos lease-lane {acquire,release,heartbeat,spawn,live}`,
//! `dos journal {tail,replay,seq,compact}`, `dos halt`, `dos liveness`.
//! Every verb uses the one lane-journal path
//! ([`crate::lanes::journal::lane_journal_path`]).

use super::CliError;
use crate::lanes::journal::{self, lane_journal_path, Entry, LINE};
use crate::lanes::lease::{self, AcquireRequest, HaltRequest, LaneStore, LeaseError};
use crate::lanes::liveness::{classify, fold_since, Liveness, LivenessEvidence, LivenessPolicy};
use crate::lanes::lock_mode::LockMode;
use crate::lanes::roster::Roster;
use crate::workspace::Workspace;
use dos_py::dumps::{dumps, Style};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

const DOT_DOS_GITIGNORE: &str = "# DOS per-project state — re-derivable emissions (runs, leases, verdicts,\n# lane journal, soak index). DOS auto-created this directory and ignores its own\n# contents so they never enter your repo's history. Safe to delete; DOS rebuilds\n# with `dos reindex`. See dos/CLAUDE.md.\n*\n!.gitignore\n";

/// Scaffold `.dos/` on first write (one stderr courtesy line the first time).
pub(crate) fn ensure_home(ws: &Workspace) {
    let first = std::fs::create_dir(&ws.state_dir).is_ok();
    let _ = std::fs::create_dir_all(&ws.state_dir);
    let gi = ws.state_dir.join(".gitignore");
    if !gi.exists() {
        let _ = crate::safe_fs::create_new(&gi)
            .and_then(|mut f| std::io::Write::write_all(&mut f, DOT_DOS_GITIGNORE.as_bytes()));
    }
    if first {
        eprintln!(
            "dos: created .dos/ for this workspace ({}) — gitignored DOS state; `dos reindex` rebuilds central indices",
            ws.state_dir.display()
        );
    }
}

fn line(v: &Value) -> String {
    dumps(v, LINE)
}

fn print_obj(m: Map<String, Value>, pretty: bool) {
    let v = Value::Object(m);
    if pretty {
        println!("{}", dumps(&v, Style::PRETTY_SORTED));
    } else {
        println!("{}", line(&v));
    }
}

fn lease_err(e: LeaseError, lane: &str) -> Result<i32, CliError> {
    match e {
        LeaseError::Busy(b) => {
            let mut m = Map::new();
            m.insert("outcome".into(), Value::from("lock-busy"));
            m.insert("lane".into(), Value::from(lane));
            m.insert("reason".into(), Value::from(b.to_string()));
            eprintln!("{}", line(&Value::Object(m)));
            Ok(4)
        }
        LeaseError::Io(e) => Err(CliError::Failed(format!("cannot write the lane journal: {e}"))),
    }
}

/// Print `{<flag>: ok, lane, owner}` (exit 0 when ok, 1 when nothing
/// matched), or render a lease error.
fn lease_outcome(flag: &str, r: Result<bool, LeaseError>, lane: &str, owner: &str) -> Result<i32, CliError> {
    match r {
        Ok(ok) => {
            let m = journal::obj([
                (flag, Value::Bool(ok)),
                ("lane", Value::from(lane)),
                ("owner", Value::from(owner)),
            ]);
            print_obj(m, false);
            Ok(if ok { 0 } else { 1 })
        }
        Err(e) => lease_err(e, lane),
    }
}

fn env_run_id(flag: &str) -> String {
    let flag = flag.trim();
    if !flag.is_empty() {
        return flag.into();
    }
    for k in ["CID_RUN_ID", "DISPATCH_RUN_ID"] {
        if let Ok(v) = std::env::var(k) {
            if !v.trim().is_empty() {
                return v.trim().into();
            }
        }
    }
    String::new()
}

/// `dos lease-lane`.
#[derive(Debug, clap::Args)]
pub(crate) struct LeaseLaneArgs {
    /// Workspace root.
    #[arg(long, global = true)]
    pub workspace: Option<PathBuf>,
    /// The verb.
    #[command(subcommand)]
    pub action: LeaseAction,
}

/// `dos lease-lane` verbs.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum LeaseAction {
    /// Arbitrate a lane and, on acquire, journal the grant (exit 0 acquire, 1 refuse, 2 bad --leases, 4 lock busy).
    Acquire {
        /// Requested lane ('' = auto-pick).
        #[arg(long, default_value = "")]
        lane: String,
        /// cluster|keyword|global|'' (recorded verbatim).
        #[arg(long, default_value = "")]
        kind: String,
        /// Lock mode to journal on acquire: '', shared or exclusive (default exclusive).
        #[arg(long, default_value = "")]
        mode: String,
        /// Requested file tree (globs; default the lane's declared tree).
        #[arg(long, num_args = 0..)]
        tree: Vec<String>,
        /// Lease holder tag.
        #[arg(long)]
        owner: String,
        /// Run-id to stamp on the lease (default $CID_RUN_ID, then $DISPATCH_RUN_ID).
        #[arg(long, default_value = "")]
        run_id: String,
        /// The (loop_ts, lane) identity (default: now).
        #[arg(long, default_value = "")]
        loop_ts: String,
        /// Extra live leases (JSON array).
        #[arg(long, default_value = "")]
        leases: String,
        /// Lock retries before lock-busy.
        #[arg(long, default_value_t = 5)]
        retries: u32,
        /// Seconds between lock retries.
        #[arg(long, default_value_t = 0.2)]
        retry_interval: f64,
        /// Indented output.
        #[arg(long)]
        pretty: bool,
    },
    /// Release a held lane lease (exit 0 released, 1 none matched).
    Release {
        /// The lane.
        #[arg(long)]
        lane: String,
        /// The holder.
        #[arg(long)]
        owner: String,
        /// This lease only (default: the newest on the lane).
        #[arg(long, default_value = "")]
        loop_ts: String,
    },
    /// Take over a live lease for a new holder (ADOPT, as 0.30's `lane_lease.adopt`
    /// writes it; exit 0 adopted, 1 no live lease on the lane).
    Adopt {
        /// The lane.
        #[arg(long)]
        lane: String,
        /// The new holder.
        #[arg(long)]
        owner: String,
        /// This lease only (default: the newest on the lane).
        #[arg(long, default_value = "")]
        loop_ts: String,
        /// The new holder's pid (its start time is journaled with it).
        #[arg(long)]
        pid: Option<u32>,
    },
    /// Refresh a held lease (HEARTBEAT; exit 0 beat, 1 no lease held by --owner).
    Heartbeat {
        /// The lane.
        #[arg(long)]
        lane: String,
        /// The holder (must match exactly).
        #[arg(long)]
        owner: String,
        /// This lease only.
        #[arg(long, default_value = "")]
        loop_ts: String,
        /// Elide a beat younger than this many seconds.
        #[arg(long, default_value_t = 0.0)]
        coalesce_within_s: f64,
    },
    /// Record an intent to take a lane (SPAWN; grants nothing).
    Spawn {
        /// The lane.
        #[arg(long)]
        lane: String,
        /// Launcher tag (default host:pid).
        #[arg(long, default_value = "")]
        owner: String,
        /// Identity stamp (default now).
        #[arg(long, default_value = "")]
        loop_ts: String,
        /// Run-id (default $CID_RUN_ID / $DISPATCH_RUN_ID).
        #[arg(long, default_value = "")]
        run_id: String,
        /// Free-text context.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// The live leases reconstructed from the journal.
    Live {
        /// Indented output.
        #[arg(long)]
        pretty: bool,
    },
}

/// Run `dos lease-lane`.
pub(crate) fn lease_lane(top_ws: Option<&PathBuf>, a: &LeaseLaneArgs) -> Result<i32, CliError> {
    let ws = super::workspace(top_ws, a.workspace.as_ref())?;
    let store = LaneStore::for_workspace(&ws);
    if !matches!(a.action, LeaseAction::Live { .. }) {
        ensure_home(&ws);
    }
    match &a.action {
        LeaseAction::Live { pretty } => {
            let v = Value::Array(store.live().into_iter().map(Value::Object).collect());
            println!(
                "{}",
                if *pretty {
                    dumps(&v, Style::PRETTY_SORTED)
                } else {
                    line(&v)
                }
            );
            Ok(0)
        }
        LeaseAction::Release { lane, owner, loop_ts } => lease_outcome(
            "released",
            lease::release(&store, lane, owner, loop_ts),
            lane,
            owner,
        ),
        LeaseAction::Adopt {
            lane,
            owner,
            loop_ts,
            pid,
        } => lease_outcome(
            "adopted",
            lease::adopt(&store, lane, owner, loop_ts, *pid),
            lane,
            owner,
        ),
        LeaseAction::Heartbeat {
            lane,
            owner,
            loop_ts,
            coalesce_within_s,
        } => lease_outcome(
            "beat",
            lease::heartbeat(&store, lane, owner, loop_ts, *coalesce_within_s),
            lane,
            owner,
        ),
        LeaseAction::Spawn {
            lane,
            owner,
            loop_ts,
            run_id,
            reason,
        } => match lease::spawn(&store, lane, owner, loop_ts, &env_run_id(run_id), reason) {
            Ok(r) => {
                let m = journal::obj([
                    ("recorded", Value::Bool(r.recorded)),
                    ("lane", Value::from(r.lane)),
                    ("loop_ts", Value::from(r.loop_ts)),
                    ("holder", Value::from(r.holder)),
                ]);
                print_obj(m, false);
                Ok(if r.recorded { 0 } else { 1 })
            }
            Err(e) => lease_err(e, lane),
        },
        LeaseAction::Acquire {
            lane,
            kind,
            mode,
            tree,
            owner,
            run_id,
            loop_ts,
            leases,
            retries,
            retry_interval,
            pretty,
        } => {
            let mode = LockMode::from_flag(mode).map_err(CliError::Usage)?;
            let roster = Roster::from_workspace(&ws).map_err(|e| CliError::Usage(e.to_string()))?;
            let tree = if tree.is_empty() && !lane.is_empty() {
                roster.tree_for(lane)
            } else {
                tree.clone()
            };
            let extra: Vec<Entry> = if leases.is_empty() {
                Vec::new()
            } else {
                if let Err(e) = dos_py::json::parse(leases.as_bytes()) {
                    eprintln!("error: --leases is not valid JSON ({}); expected a JSON array of live-lease objects (e.g. '[]')", e.message(leases.as_bytes()));
                    return Ok(2);
                }
                match serde_json::from_str::<Value>(leases) {
                    Err(e) => {
                        eprintln!("error: --leases is not valid JSON ({e}); expected a JSON array of live-lease objects (e.g. '[]')");
                        return Ok(2);
                    }
                    Ok(Value::Array(items)) => items
                        .into_iter()
                        .filter_map(|v| match v {
                            Value::Object(m) => Some(m),
                            _ => None,
                        })
                        .collect(),
                    Ok(_) => {
                        eprintln!("error: --leases must be a JSON array of lease objects.");
                        return Ok(2);
                    }
                }
            };
            if !retry_interval.is_finite() || *retry_interval < 0.0 {
                return Err(CliError::Usage(format!(
                    "--retry-interval must be a non-negative number of seconds, got {retry_interval}"
                )));
            }
            let run_id = env_run_id(run_id);
            let req = AcquireRequest {
                lane: lane.clone(),
                kind: kind.clone(),
                tree,
                owner: owner.clone(),
                loop_ts: loop_ts.clone(),
                extra,
                run_id: run_id.clone(),
                retries: *retries,
                retry_interval: Duration::from_secs_f64(*retry_interval),
                mode,
            };
            match lease::acquire(&store, &roster, &req) {
                Ok((d, journaled)) => {
                    let mut m = d.to_map();
                    m.insert("journaled".into(), Value::Bool(journaled));
                    m.insert("owner".into(), Value::from(owner.as_str()));
                    if !run_id.is_empty() {
                        m.insert("run_id".into(), Value::from(run_id));
                    }
                    print_obj(m, *pretty);
                    Ok(if d.outcome == "acquire" { 0 } else { 1 })
                }
                Err(e) => lease_err(e, lane),
            }
        }
    }
}

/// `dos journal`.
#[derive(Debug, clap::Args)]
pub(crate) struct JournalArgs {
    /// Workspace root.
    #[arg(long, global = true)]
    pub workspace: Option<PathBuf>,
    /// The verb.
    #[command(subcommand)]
    pub action: JournalAction,
}

/// `dos journal` verbs.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum JournalAction {
    /// The last N records, one JSON line each (N <= 0: all).
    Tail {
        /// How many.
        #[arg(default_value_t = 20, allow_negative_numbers = true)]
        n: i64,
    },
    /// The live leases (indented JSON array).
    Replay,
    /// The highest seq (watermark included); 0 when empty.
    Seq,
    /// Compact the journal to one CHECKPOINT (+ corrupt sentinels).
    Compact,
}

/// Run `dos journal`.
pub(crate) fn journal_cmd(top_ws: Option<&PathBuf>, a: &JournalArgs) -> Result<i32, CliError> {
    let ws = super::workspace(top_ws, a.workspace.as_ref())?;
    let path = lane_journal_path(&ws);
    match a.action {
        JournalAction::Tail { n } => {
            let entries = journal::read_records(&path);
            for e in journal::tail(&entries, n) {
                println!("{}", line(&Value::Object(e.clone())));
            }
        }
        JournalAction::Replay => {
            let live = journal::replay(&journal::read_records(&path));
            let v = Value::Array(live.into_iter().map(Value::Object).collect());
            println!("{}", dumps(&v, Style::PRETTY_SORTED));
        }
        JournalAction::Seq => println!("{}", journal::max_seq(&journal::read_records(&path))),
        JournalAction::Compact => {
            ensure_home(&ws);
            let store = LaneStore::at(path);
            match lease::compact(&store) {
                Ok(r) => {
                    let m = journal::obj([
                        ("entries_before", Value::from(r.entries_before)),
                        ("entries_after", Value::from(r.entries_after)),
                        ("bytes_reclaimed", Value::from(r.bytes_reclaimed)),
                    ]);
                    print_obj(m, false);
                }
                Err(e) => return lease_err(e, ""),
            }
        }
    }
    Ok(0)
}

/// `dos halt`.
#[derive(Debug, clap::Args)]
pub(crate) struct HaltArgs {
    /// Workspace root.
    #[arg(long)]
    pub workspace: Option<PathBuf>,
    /// Opaque handle of the thing to stop.
    #[arg(long)]
    pub handle: String,
    /// Lane to correlate.
    #[arg(long, default_value = "")]
    pub lane: String,
    /// Loop stamp to correlate.
    #[arg(long, default_value = "")]
    pub loop_ts: String,
    /// Who decided.
    #[arg(long, default_value = "")]
    pub owner: String,
    /// Why.
    #[arg(long, default_value = "")]
    pub reason: String,
    /// Run-id.
    #[arg(long, default_value = "")]
    pub run_id: String,
    /// Proposed stop command (echoed, never run).
    #[arg(long)]
    pub command: Option<String>,
    /// Mark resumable (needs --run-id; the intent ledger is not part of this build).
    #[arg(long)]
    pub resumable: bool,
    /// Resume SHA (with --resumable).
    #[arg(long, default_value = "")]
    pub resume_sha: String,
    /// Indented output.
    #[arg(long)]
    pub pretty: bool,
}

/// Run `dos halt`: record a stop decision; kills nothing.
pub(crate) fn halt(top_ws: Option<&PathBuf>, a: &HaltArgs) -> Result<i32, CliError> {
    let ws = super::workspace(top_ws, a.workspace.as_ref())?;
    ensure_home(&ws);
    let store = LaneStore::for_workspace(&ws);
    let req = HaltRequest {
        handle: a.handle.clone(),
        lane: a.lane.clone(),
        loop_ts: a.loop_ts.clone(),
        owner: a.owner.clone(),
        reason: a.reason.clone(),
        run_id: a.run_id.clone(),
        command: a.command.clone(),
    };
    let r = match lease::halt(&store, &req) {
        Ok(r) => r,
        Err(e) => return lease_err(e, &a.lane),
    };
    let mut m = journal::obj([
        ("handle", Value::from(r.handle.as_str())),
        ("recorded", Value::Bool(r.recorded)),
        ("command", journal::opt_str(r.command.as_deref())),
        ("lane", Value::from(r.lane.as_str())),
        ("loop_ts", Value::from(r.loop_ts.as_str())),
    ]);
    if a.resumable {
        m.insert("suspended".into(), Value::Bool(false));
        let note = if a.run_id.is_empty() {
            "--resumable needs --run-id (the intent-ledger key); recorded a plain HALT only — no run to suspend"
        } else {
            "--resumable: the intent ledger is not part of this build; recorded a plain HALT only — no run suspended"
        };
        m.insert("suspend_note".into(), Value::from(note));
    }
    print_obj(m, a.pretty);
    Ok(if r.recorded { 0 } else { 1 })
}

/// `dos liveness`.
#[derive(Debug, clap::Args)]
pub(crate) struct LivenessArgs {
    /// Workspace root.
    #[arg(long)]
    pub workspace: Option<PathBuf>,
    /// The run (its mint time is the run's start).
    #[arg(long)]
    pub run_id: String,
    /// Start SHA (commit counting is not part of this build; counts 0).
    #[arg(long, default_value = "")]
    pub start_sha: String,
    /// Now (ms; default the wall clock).
    #[arg(long, allow_negative_numbers = true)]
    pub now_ms: Option<i64>,
    /// Beat age override (wins over the journal, even 0).
    #[arg(long, allow_negative_numbers = true)]
    pub last_heartbeat_age_ms: Option<i64>,
    /// Lease lane (with --loop-ts engages the journal rungs).
    #[arg(long, default_value = "")]
    pub lane: String,
    /// Lease loop stamp.
    #[arg(long, default_value = "")]
    pub loop_ts: String,
    /// Process id to probe (this host only).
    #[arg(long)]
    pub pid: Option<u32>,
    /// Host of the process.
    #[arg(long, default_value = "")]
    pub host_id: String,
    /// Skip the process probe.
    #[arg(long)]
    pub no_proc: bool,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
    /// Renderer name (`json` = JSON).
    #[arg(long, default_value = "")]
    pub output: String,
}

fn process_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Run `dos liveness` (exit ADVANCING 0, SPINNING 3, STALLED 4, 5 unknown).
pub(crate) fn liveness(top_ws: Option<&PathBuf>, a: &LivenessArgs) -> Result<i32, CliError> {
    let Some(started) = crate::run_id::ts_ms_of(&a.run_id) else {
        eprintln!(
            "error: {} is not a valid run-id token (expected an RID-… minted by `dos run-id mint`)",
            dos_py::repr::str_repr(&a.run_id)
        );
        return Ok(2);
    };
    let ws = super::workspace(top_ws, a.workspace.as_ref())?;
    let now = a.now_ms.unwrap_or_else(dos_py::time::now_ms);
    let mut fold = crate::lanes::liveness::Fold::default();
    if !a.lane.is_empty() && !a.loop_ts.is_empty() {
        let entries = journal::read_records(&lane_journal_path(&ws));
        fold = fold_since(&entries, started, now, Some((&a.loop_ts, &a.lane)));
    }
    let local = a.host_id.is_empty() || a.host_id == lease::host_id();
    let ev = LivenessEvidence {
        run_started_ms: started,
        now_ms: now,
        commits_since_start: 0,
        journal_events_since: fold.events,
        last_heartbeat_age_ms: a.last_heartbeat_age_ms.or(fold.beat_age_ms),
        tokens_spent_since: None,
        process_alive: match a.pid {
            Some(pid) if !a.no_proc && local => Some(process_alive(pid)),
            _ => None,
        },
    };
    let v = classify(&ev, &LivenessPolicy::default()).map_err(CliError::Usage)?;
    if a.json || a.output == "json" {
        println!("{}", line(&Value::Object(v.to_map())));
    } else {
        println!("{}  {}", v.verdict.name(), v.reason);
    }
    Ok(match v.verdict {
        Liveness::Advancing => 0,
        Liveness::Spinning => 3,
        Liveness::Stalled => 4,
    })
}
