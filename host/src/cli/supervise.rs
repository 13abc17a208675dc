//! `dos loop`: print the supervisor's plan (read-only), optionally on a
//! `--watch` cadence; `dos loop --run` is the watchdog that enacts it.

use super::CliError;
use crate::lanes::driver::{ProcessLauncher, Watchdog, DEFAULT_COOLDOWN_MS, DEFAULT_INTERVAL_S};
use crate::lanes::gather::build_evidence;
use crate::lanes::journal::{self, lane_journal_path, LINE};
use crate::lanes::policy::{render_template, SupervisePolicy};
use crate::lanes::roster::Roster;
use crate::lanes::supervise::{supervise, SuperviseVerdict};
use crate::run_id::{mint_now, Parent};
use dos_py::dumps::dumps;
use dos_py::time::now_ms;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `dos loop`.
#[derive(Debug, clap::Args)]
pub(crate) struct LoopArgs {
    /// Workspace root.
    #[arg(long)]
    pub workspace: Option<PathBuf>,
    /// Override `[supervise].target`.
    #[arg(long, allow_negative_numbers = true)]
    pub target: Option<i64>,
    /// Override `[supervise].max_concurrency`.
    #[arg(long, allow_negative_numbers = true)]
    pub max_concurrency: Option<i64>,
    /// Re-plan every --interval seconds (read-only).
    #[arg(long)]
    pub watch: bool,
    /// Enact the plan: reap stalled leases and launch workers (the watchdog;
    /// `--enact` is 0.30's name for it). Exit 1 when any launch failed.
    #[arg(long, visible_alias = "enact")]
    pub run: bool,
    /// Override `[supervise].worker_launch_template` (must contain `{lane}`).
    #[arg(long)]
    pub worker_launch_template: Option<String>,
    /// Stop the watchdog after N ticks.
    #[arg(long)]
    pub max_ticks: Option<u64>,
    /// Seconds between ticks (default 30).
    #[arg(long)]
    pub interval: Option<f64>,
    /// A launched lane counts as alive for this long (ms) until its worker holds a lease.
    #[arg(long, default_value_t = DEFAULT_COOLDOWN_MS)]
    pub cooldown_ms: i64,
    /// Pin "now" (ms) for planning and for the watchdog's clock.
    #[arg(long, allow_negative_numbers = true)]
    pub now_ms: Option<i64>,
    /// One JSON line per plan.
    #[arg(long)]
    pub json: bool,
    /// Renderer name (`json` = JSON).
    #[arg(long, default_value = "")]
    pub output: String,
}

/// The plan as `dos loop` prints it (text), or an error naming a bad template.
pub(crate) fn render_plan(v: &SuperviseVerdict, policy: &SupervisePolicy) -> Result<String, String> {
    let mut out = format!(
        "SUPERVISE {}: alive {}/{}, admissible {}\n{}\n",
        v.verdict.name(),
        v.alive,
        v.target,
        v.admissible,
        v.reason
    );
    for s in &v.spawn {
        out.push_str(&format!(
            "spawn {}  — run: {}\n",
            s.lane,
            render_template(&policy.worker_launch_template, &s.lane)?
        ));
    }
    for r in &v.reap {
        out.push_str(&format!(
            "reap {}  (STALLED — the supervisor driver scavenges; or release its lease manually)\n",
            r.lane
        ));
    }
    for f in &v.flag {
        out.push_str(&format!("flag {}  ({})\n", f.lane, f.reason));
    }
    for h in &v.proposed_halt {
        out.push_str(&format!(
            "propose-halt {}  ({}) — enact with: dos halt --handle <run> --lane {}\n",
            h.lane, h.reason, h.lane
        ));
    }
    Ok(out)
}

/// Run `dos loop`.
pub(crate) fn run(top_ws: Option<&PathBuf>, a: &LoopArgs) -> Result<i32, CliError> {
    let ws = super::workspace(top_ws, a.workspace.as_ref())?;
    let (mut policy, warning) = SupervisePolicy::for_workspace(&ws);
    if let Some(w) = warning {
        eprintln!("{w}");
    }
    if let Some(t) = a.target {
        policy.target = t;
    }
    if a.max_concurrency.is_some() {
        policy.max_concurrency = a.max_concurrency;
    }
    if let Some(t) = &a.worker_launch_template {
        policy.worker_launch_template = t.clone();
    }
    policy.validate().map_err(CliError::Usage)?;
    let roster = Roster::from_workspace(&ws).map_err(|e| CliError::Usage(e.to_string()))?;
    let as_json = a.json || a.output == "json";
    let interval = a.interval.unwrap_or(DEFAULT_INTERVAL_S);
    if !interval.is_finite() || interval < 0.0 {
        return Err(CliError::Usage(format!(
            "--interval must be a non-negative number of seconds, got {interval}"
        )));
    }
    let path = lane_journal_path(&ws);
    if a.run {
        return watchdog(&ws.root, roster, policy, path, a, interval, as_json);
    }
    loop {
        let now = a.now_ms.unwrap_or_else(now_ms);
        let entries = journal::read_records(&path);
        let ev = build_evidence(
            &roster,
            &entries,
            policy.target,
            now,
            &BTreeSet::new(),
            policy.max_concurrency,
            &BTreeSet::new(),
        );
        let v = supervise(&ev, &policy);
        if as_json {
            println!("{}", dumps(&Value::Object(v.to_map()), LINE));
        } else {
            print!("{}", render_plan(&v, &policy).map_err(CliError::Usage)?);
        }
        if !a.watch {
            return Ok(0);
        }
        std::thread::sleep(Duration::from_secs_f64(interval));
    }
}

fn watchdog(
    root: &std::path::Path,
    roster: Roster,
    policy: SupervisePolicy,
    journal: PathBuf,
    a: &LoopArgs,
    interval: f64,
    as_json: bool,
) -> Result<i32, CliError> {
    // Validate the template once up front so a bad one fails before any effect.
    crate::lanes::driver::worker_argv(&policy.worker_launch_template, "lane").map_err(CliError::Usage)?;
    let root_run =
        mint_now("dos-supervise", Parent::None, None).map_err(|e| CliError::Failed(e.to_string()))?;
    let mut dog = Watchdog {
        roster,
        policy,
        journal,
        cooldown_ms: a.cooldown_ms,
        launched: BTreeMap::new(),
        root_run: Some(root_run),
        dead_runs: BTreeSet::new(),
        launcher: ProcessLauncher::new(root),
    };
    let mut tick: u64 = 0;
    let mut launch_failed = false;
    loop {
        tick += 1;
        let (v, actions) = dog.tick(a.now_ms.unwrap_or_else(now_ms));
        launch_failed |= !actions.failed_spawns.is_empty();
        if as_json {
            let m = crate::lanes::journal::obj([
                ("verdict", Value::Object(v.to_map())),
                ("actions", Value::Object(actions.to_map())),
            ]);
            println!("{}", dumps(&Value::Object(m), LINE));
        } else {
            println!("{}", actions.enact_line(v.verdict.name()));
        }
        if a.max_ticks.is_some_and(|m| tick >= m) {
            return Ok(i32::from(launch_failed));
        }
        std::thread::sleep(Duration::from_secs_f64(interval));
    }
}
