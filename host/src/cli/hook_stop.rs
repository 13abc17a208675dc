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
use crate::oracle::{claims, digest, load_config_noting, Base, Oracle};
use crate::workspace::{resolve_root, Workspace};
use dos_py::json::Val as JsonVal;
use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Arguments of `dos hook stop`.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct HookStopArgs {
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

/// The fields of a Stop / SubagentStop event the hook reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StopEvent {
    /// `str(session_id or "").strip()`, as the reference's digest holder.
    pub session_id: String,
    /// Whether `stop_hook_active` takes the anti-loop guard ([`loop_guard`]).
    pub loop_guard: bool,
    /// The event's `cwd`, if a non-empty string.
    pub cwd: Option<PathBuf>,
    /// The event's `transcript_path`, if a non-empty string.
    pub transcript_path: Option<PathBuf>,
}

/// Parse a hook event: blank, non-JSON (including nesting too deep to
/// parse) or non-object input is the empty event. Only the top-level
/// members the hook reads are decoded.
pub(crate) fn parse_event(raw: &[u8]) -> (StopEvent, Option<String>) {
    let Some(event) = crate::hooks::io::parse_event(raw) else {
        let why = (!dos_py::text::py_strip(&String::from_utf8_lossy(raw)).is_empty())
            .then(|| "event is not a JSON object (or not valid JSON) — treated as {}".to_string());
        return (StopEvent::default(), why);
    };
    let text = |key: &str| match event.get(key) {
        Some(JsonVal::Str(s)) if !s.raw.is_empty() => Some(PathBuf::from(s.decode().text)),
        _ => None,
    };
    let session_id = event
        .get("session_id")
        .filter(|v| v.truthy())
        .map(JsonVal::py_str)
        .unwrap_or_default();
    let parsed = StopEvent {
        session_id: dos_py::text::py_strip(&session_id).to_string(),
        loop_guard: loop_guard(event.get("stop_hook_active")),
        cwd: text("cwd"),
        transcript_path: text("transcript_path"),
    };
    (parsed, None)
}

/// Whether `stop_hook_active` takes the anti-loop guard: Python truthiness,
/// as the reference (`[1]`, `{"a": 1}`, `"x"`, `0.5` all take it), except
/// that a string meaning false (`"false"`, `"0"`, `"no"`, `"off"`, any case,
/// trimmed) does not — our fix (spec README §3).
pub(crate) fn loop_guard(value: Option<&JsonVal<'_>>) -> bool {
    match value {
        Some(JsonVal::Str(s)) => {
            let text = s.decode().text;
            !text.is_empty()
                && !matches!(
                    dos_py::text::py_strip(&text).to_lowercase().as_str(),
                    "false" | "0" | "no" | "off"
                )
        }
        Some(v) => v.truthy(),
        None => false,
    }
}

/// Everything the hook decided, for printing and recording.
#[derive(Debug, Clone, Default)]
pub(crate) struct HookRun {
    /// What to print.
    pub emission: Emission,
    /// `--debug` lines.
    pub debug: Vec<String>,
    /// The decision, when claims were checked.
    pub outcome: Option<Outcome>,
    /// The workspace used (for recording), when one was resolved.
    pub workspace: Option<Workspace>,
    /// The event's session id (`str(session_id)`, stripped).
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
pub(crate) fn evaluate(args: &HookStopArgs, raw: &[u8], top_ws: Option<&Path>) -> HookRun {
    let mut run = HookRun::default();
    let (event, why) = parse_event(raw);
    run.debug.extend(why);
    run.session_id = event.session_id.clone();
    if event.loop_guard && !args.force {
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
    let event_cwd = event.cwd.clone();
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
    let config = load_config_noting(&root, &mut warnings, &mut run.debug);
    let oracle = Oracle::new(&root, &config, base, &mut warnings);
    run.emission.stderr.extend(warnings);
    let journal = digest::lane_journal_path(&root, &config);

    let mut found = claims::from_frontmatter(args.plan.as_deref(), args.phase.as_deref());
    let transcript = args.transcript.clone().or_else(|| event.transcript_path.clone());
    if let Some(path) = transcript {
        let text = claims::assistant_text_from_file(&path, args.last_turns);
        if text.is_empty() {
            run.debug.push(format!("no assistant text in {}", path.display()));
        }
        found.extend(claims::extract(&text, args.strict));
    }
    if !found.is_empty() && !root.is_dir() {
        // Git cannot run in a missing directory (a SubagentStop whose `cwd`
        // is a subdirectory that is gone): the reference crashes there and
        // prints nothing. We print nothing too, and exit 0.
        run.debug.push(format!(
            "workspace {} does not exist — cannot check claims; letting the agent stop",
            root.display()
        ));
        run.emission = not_blocked(args);
        return run;
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
pub(crate) fn run(top_ws: Option<&PathBuf>, args: &HookStopArgs) -> Result<i32, CliError> {
    let started = std::time::Instant::now();
    let mut raw = Vec::new();
    if std::io::stdin().read_to_end(&mut raw).is_err() {
        raw.clear();
    }
    let raw = crate::hooks::dialect_input::normalize(
        args.dialect.as_deref(),
        crate::hooks::dialect::Moment::Stop,
        raw,
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loop_guard_is_truthiness_except_false_like_strings() {
        let table: &[(&str, bool)] = &[
            ("true", true),
            ("1", true),
            ("0.5", true),
            ("[1]", true),
            (r#"{"a": 1}"#, true),
            (r#""x""#, true),
            (r#"" ""#, true),
            (r#""true""#, true),
            (r#""false""#, false),
            (r#"" False ""#, false),
            (r#""0""#, false),
            (r#""off""#, false),
            (r#""no""#, false),
            ("false", false),
            ("0", false),
            ("0.0", false),
            (r#""""#, false),
            ("[]", false),
            ("{}", false),
            ("null", false),
        ];
        for (lit, want) in table {
            let doc = format!(r#"{{"stop_hook_active": {lit}}}"#);
            let (event, _) = parse_event(doc.as_bytes());
            assert_eq!(event.loop_guard, *want, "{lit}");
        }
        assert!(!parse_event(b"{}").0.loop_guard);
    }

    #[test]
    fn session_id_is_python_str_stripped() {
        for (lit, want) in [
            ("12345", "12345"),
            (r#"["a"]"#, "['a']"),
            ("true", "True"),
            ("1e16", "1e+16"),
            (r#"" s1 ""#, "s1"),
            ("0", ""),
            ("null", ""),
        ] {
            let doc = format!(r#"{{"session_id": {lit}}}"#);
            assert_eq!(parse_event(doc.as_bytes()).0.session_id, want, "{lit}");
        }
    }
}
