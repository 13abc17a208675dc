//! `dos hook stop` (Stop / SubagentStop): refuse to let an agent stop on a
//! false "done". Reads the hook event on stdin, extracts the (plan, phase)
//! claims, asks the ship oracle, and blocks with the exact reason when git
//! does not back a claim. Every bad input is fail-safe: nothing on stdout,
//! exit 0 (`--debug` says why on stderr).
//!
//! Mounted as the top-level `dos hook-stop` for now; the lead mounts the
//! same [`HookStopArgs`] as `dos hook stop` when the `hook` group merges.

use super::CliError;
use crate::hooks::observation::Observation;
use crate::journal::{record_if_armed, VerdictEvent};
use crate::oracle::stop::{self, Emission, Outcome, Row};
use crate::oracle::{claims, digest, load_config_lenient, pytext, Base, Oracle};
use crate::workspace::{resolve_root, Workspace};
use serde_json::{Map, Value};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Arguments of `dos hook stop`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct HookStopArgs {
    /// Workspace root (default: the event's `cwd`, else $DISPATCH_WORKSPACE, else the cwd).
    #[arg(long)]
    pub workspace: Option<PathBuf>,
    /// Convention driver (only `job` is built in).
    #[arg(long, value_name = "NAME")]
    pub driver: Option<String>,
    /// Use the reference app's (JOB) stamp convention and layout.
    #[arg(long)]
    pub job: bool,
    /// Transcript JSONL to read claims from (default: the event's `transcript_path`).
    #[arg(long, value_name = "PATH")]
    pub transcript: Option<PathBuf>,
    /// Frontmatter claim: the plan (needs --phase too).
    #[arg(long)]
    pub plan: Option<String>,
    /// Frontmatter claim: the phase (needs --plan too).
    #[arg(long)]
    pub phase: Option<String>,
    /// How many trailing assistant turns to read (values below 1 mean 1).
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_name = "N")]
    pub last_turns: i64,
    /// Also extract and act on heuristic "AUTH2 is done" claims.
    #[arg(long)]
    pub strict: bool,
    /// Ignore the event's `stop_hook_active` loop guard.
    #[arg(long)]
    pub force: bool,
    /// Always print the rich JSON result (wins over --dialect).
    #[arg(long)]
    pub json: bool,
    /// Host dialect of the block object: claude-code, codex, gemini, cursor, antigravity, hermes.
    #[arg(long, value_name = "NAME")]
    pub dialect: Option<String>,
    /// Explain fail-safe decisions on stderr.
    #[arg(long)]
    pub debug: bool,
}

/// Parse a hook event: blank, non-JSON (including nesting too deep to
/// parse) or non-object input is the empty event.
pub fn parse_event(raw: &[u8]) -> (Map<String, Value>, Option<String>) {
    let text = String::from_utf8_lossy(raw);
    if pytext::py_strip(&text).is_empty() {
        return (Map::new(), None);
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => (m, None),
        Ok(_) => (
            Map::new(),
            Some("event is not a JSON object — treated as {}".into()),
        ),
        Err(e) => (
            Map::new(),
            Some(format!("event is not valid JSON ({e}) — treated as {{}}")),
        ),
    }
}

/// Everything the hook decided, for printing and recording.
#[derive(Debug, Clone, Default)]
pub struct HookRun {
    /// What to print.
    pub emission: Emission,
    /// `--debug` lines.
    pub debug: Vec<String>,
    /// The decision, when claims were checked.
    pub outcome: Option<Outcome>,
    /// The workspace used (for recording), when one was resolved.
    pub workspace: Option<Workspace>,
    /// The event's session id (trimmed).
    pub session_id: String,
}

fn not_blocked(args: &HookStopArgs) -> Emission {
    stop::render(
        &Outcome::Pass { results: vec![] },
        args.json,
        args.dialect.as_deref(),
    )
}

/// Evaluate one hook call on `raw` stdin. Never fails.
pub fn evaluate(args: &HookStopArgs, raw: &[u8], top_ws: Option<&Path>) -> HookRun {
    let mut run = HookRun::default();
    let (event, why) = parse_event(raw);
    run.debug.extend(why);
    run.session_id = match event.get("session_id") {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    if stop::loop_guard_active(&event) && !args.force {
        run.debug
            .push("stop_hook_active is set — letting the agent stop (use --force to check anyway)".into());
        run.emission = not_blocked(args);
        return run;
    }
    let base = match Base::from_flags(args.driver.as_deref(), args.job) {
        Ok(b) => b,
        Err(msg) => {
            run.debug.push(msg);
            Base::Generic
        }
    };
    let event_cwd = match event.get("cwd") {
        Some(Value::String(s)) if !s.is_empty() => Some(PathBuf::from(s)),
        _ => None,
    };
    let flag = args
        .workspace
        .clone()
        .or_else(|| top_ws.map(Path::to_path_buf))
        .or(event_cwd);
    let root = match resolve_root(flag.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            run.debug
                .push(format!("no workspace ({e}) — letting the agent stop"));
            run.emission = not_blocked(args);
            return run;
        }
    };
    let mut warnings = Vec::new();
    let config = load_config_lenient(&root, &mut warnings);
    let oracle = Oracle::new(&root, &config, base, &mut warnings);
    run.emission.stderr.extend(warnings);
    let journal = digest::lane_journal_path(&root, &config);

    let mut found = claims::from_frontmatter(args.plan.as_deref(), args.phase.as_deref());
    let transcript = args
        .transcript
        .clone()
        .or_else(|| match event.get("transcript_path") {
            Some(Value::String(s)) if !s.is_empty() => Some(PathBuf::from(s)),
            _ => None,
        });
    if let Some(path) = transcript {
        let text = claims::assistant_text_from_file(&path, args.last_turns);
        if text.is_empty() {
            run.debug.push(format!("no assistant text in {}", path.display()));
        }
        found.extend(claims::extract(&text, args.strict));
    }
    run.workspace = Some(Workspace {
        state_dir: root.join(".dos"),
        root,
        config,
        layout: base.layout(),
    });

    let digest_line = |run: &mut HookRun| {
        if let Some(line) = digest::digest_once(&run.session_id, &journal) {
            run.emission.stderr.push(line);
        }
    };
    if found.is_empty() {
        run.debug.push("no claims to check".into());
        digest_line(&mut run);
        let e = not_blocked(args);
        run.emission.stdout = e.stdout;
        return run;
    }
    let rows: Vec<Row> = found
        .into_iter()
        .map(|claim| {
            let v = oracle.is_shipped(&claim.plan, &claim.phase);
            Row {
                claim,
                shipped: v.shipped,
                source: v.source,
            }
        })
        .collect();
    let outcome = stop::decide(rows, args.strict);
    if matches!(outcome, Outcome::Pass { .. }) {
        digest_line(&mut run);
    }
    let e = stop::render(&outcome, args.json, args.dialect.as_deref());
    run.emission.stdout = e.stdout;
    run.emission.stderr.extend(e.stderr);
    run.outcome = Some(outcome);
    run
}

/// Record the decision when observation is armed: syscall `hook_stop`,
/// verdict `BLOCK`/`PASS`, subject = the session id.
fn record(run: &HookRun) {
    let (Some(outcome), Some(ws)) = (&run.outcome, &run.workspace) else {
        return;
    };
    let (token, results) = match outcome {
        Outcome::Block { results, .. } => ("BLOCK", results),
        Outcome::Pass { results } => ("PASS", results),
    };
    let mut event = VerdictEvent::new("hook_stop", token);
    event.subject = run.session_id.clone();
    event.detail.insert("checked".into(), Value::from(results.len()));
    event.detail.insert(
        "not_shipped".into(),
        Value::from(results.iter().filter(|r| !r.shipped).count()),
    );
    record_if_armed(ws, &event);
}

/// The 0.30 `hook-observation` for a call that reached a decision (a
/// workspace was resolved): `no-claims`, `block` or `all-verified`.
fn observation(run: &HookRun, strict: bool, started: std::time::Instant) -> Option<Observation> {
    run.workspace.as_ref()?;
    let Some(outcome) = &run.outcome else {
        return Some(Observation::new("stop", "no-claims", started));
    };
    Some(match outcome {
        Outcome::Pass { results } => {
            let mut o = Observation::new("stop", "all-verified", started);
            o.claims_seen = results.len() as i64;
            o
        }
        Outcome::Block { results, .. } => {
            let mut o = Observation::new("stop", "block", started);
            o.claims_seen = results.len() as i64;
            if let Some(f) = results
                .iter()
                .find(|r| !r.shipped && (r.claim.confident() || strict))
            {
                o.verify_source = f.source.clone();
                o.blocked_plan = f.claim.plan.clone();
                o.blocked_phase = f.claim.phase.clone();
            }
            o
        }
    })
}

/// Run `dos hook stop`: read stdin, decide, print. Always exit 0 except for
/// usage errors (exit 2, reported by clap before this runs).
pub fn run(top_ws: Option<&PathBuf>, args: &HookStopArgs) -> Result<i32, CliError> {
    let started = std::time::Instant::now();
    let mut raw = Vec::new();
    if std::io::stdin().read_to_end(&mut raw).is_err() {
        raw.clear();
    }
    let run = evaluate(args, &raw, top_ws.map(PathBuf::as_path));
    record(&run);
    let mut err = std::io::stderr().lock();
    for line in &run.emission.stderr {
        let _ = writeln!(err, "{line}");
    }
    if args.debug {
        for line in &run.debug {
            let _ = writeln!(err, "[dos hook stop] {line}");
        }
    }
    if let Some(out) = &run.emission.stdout {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{out}");
        let _ = stdout.flush();
    }
    if let (Some(obs), Some(ws)) = (observation(&run, args.strict, started), &run.workspace) {
        crate::hooks::observation::append(&ws.root, &obs, args.debug);
    }
    Ok(0)
}
