//! `dos-hook`: the per-tool-call agent-hook verbs, `posttool`, `marker` and
//! `pretool`, as the `dos-hook` binary and `dos hook VERB` both run them.
//! Each verb parses its flags, gathers facts at the boundary (stdin event,
//! `dos.toml`, the tail of its session file), lets the kernel decide
//! (`dos_core::hooks`) and prints at most one dialect object. Every internal
//! problem ends in no output and exit 0 (`--debug` says why on stderr); only
//! usage errors exit non-zero. `dos hook stop` lives in the `dos` binary.
//!
//! Depends on `dos-core` only: never on `dos-plugin-host`, `abi_stable` or
//! `libloading` (a dialect from a plugin is `dos hook VERB`'s, installed
//! through the kernel's seam before the verb runs).

// The kernel modules the verbs use, at the paths they had when this was a
// module of the kernel's crate.
use dos_core::{hooks, lanes};

use crate::hooks::config::{self, HookConfig, TableError};
use crate::hooks::dialect::{self, Dialect, HookVerdict, Moment};
use crate::hooks::io::{self, Debug};
use crate::hooks::marker::{self, Arming};
use crate::hooks::observation::{self, Observation};
use crate::hooks::posture::{self, Posture};
use crate::hooks::pretool::PreOutcome;
use crate::hooks::store::{self, LockedFile};
use crate::hooks::tool_stream::{self, Step};
use crate::hooks::{admission, canon, footprint, leases, pretool, session};
use clap::{Args, Subcommand};
use dos_py::json::{PyStr, Val};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// Flags every hook verb accepts.
#[derive(Debug, Args, Clone, Default)]
pub struct CommonArgs {
    /// Workspace root (default: the event's cwd, $DISPATCH_WORKSPACE, the cwd).
    #[arg(long)]
    pub workspace: Option<PathBuf>,
    /// Driver (lane taxonomy); does not change hook output.
    #[arg(long, value_name = "NAME")]
    pub driver: Option<String>,
    /// Alias of `--driver job`.
    #[arg(long)]
    pub job: bool,
    /// Explain decisions on stderr.
    #[arg(long)]
    pub debug: bool,
}

/// `dos hook posttool`.
#[derive(Debug, Args, Clone, Default)]
pub struct PostArgs {
    /// Stream key (overrides the event's session_id).
    #[arg(long)]
    pub session_id: Option<String>,
    /// Output dialect (claude-code, codex, gemini, cursor, antigravity, hermes).
    #[arg(long)]
    pub dialect: Option<String>,
    /// Common flags.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `dos hook marker`.
#[derive(Debug, Args, Clone, Default)]
pub struct MarkerArgs {
    /// Tally key (overrides the event's session_id).
    #[arg(long)]
    pub session_id: Option<String>,
    /// Append a RESET record and stop.
    #[arg(long)]
    pub reset: bool,
    /// Arm the budget (this Stop is inside a loop).
    #[arg(long = "loop")]
    pub loop_flag: bool,
    /// Cap (overrides `[marker] max_streak`).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub max_markers: Option<String>,
    /// Print the budget decision as JSON.
    #[arg(long)]
    pub json: bool,
    /// Common flags.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `dos hook pretool`.
#[derive(Debug, Args, Clone, Default)]
pub struct PreArgs {
    /// Rung-B enforcement handler (only `observe` exists).
    #[arg(long, default_value = "observe")]
    pub handler: String,
    /// Output dialect.
    #[arg(long)]
    pub dialect: Option<String>,
    /// Common flags.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// The per-tool-call hook verbs, which need neither the plugin host nor git:
/// what the standalone `dos-hook` binary serves.
#[derive(Debug, Subcommand)]
pub enum PerCallCmd {
    /// PostToolUse: warn when a tool keeps returning byte-identical results.
    Posttool(PostArgs),
    /// Stop: hold a loop's keep-alive turn open within a wait-marker budget.
    Marker(MarkerArgs),
    /// PreToolUse: deny a call that would edit the kernel; advise on arbitrary exec.
    Pretool(PreArgs),
}

/// `dos-hook …`: the standalone hook binary's command line.
#[derive(Debug, clap::Parser)]
#[command(
    name = "dos-hook",
    bin_name = "dos-hook",
    version,
    about = "The per-tool-call agent hooks of `dos`, as a small binary of their own.",
    after_help = "Same flags, files and output as `dos hook VERB`. The verify-on-stop hook is `dos hook stop`."
)]
pub struct NativeHookCli {
    /// The hook verb.
    #[command(subcommand)]
    pub cmd: PerCallCmd,
}

/// Parse `dos-hook …` (`argv[0]` on) and run it; returns the exit code.
pub fn run_native(args: &[std::ffi::OsString]) -> i32 {
    use clap::Parser;
    match NativeHookCli::try_parse_from(args) {
        Ok(cli) => {
            if let Some(note) = native_unknown_dialect(&cli.cmd) {
                eprintln!("{note}");
            }
            run_per_call(None, &cli.cmd)
        }
        Err(_) if args.get(1).is_some_and(|verb| verb == "stop") => {
            eprintln!(
                "error: dos-hook serves posttool, marker and pretool; the verify-on-stop hook is `dos hook stop` (it needs git and the plugin host)"
            );
            2
        }
        Err(e) => usage_error(e),
    }
}

/// The note `dos-hook` prints for a dialect it does not serve.
pub fn native_unknown_dialect(cmd: &PerCallCmd) -> Option<String> {
    let name = match cmd {
        PerCallCmd::Pretool(a) => a.dialect.as_deref(),
        PerCallCmd::Posttool(a) => a.dialect.as_deref(),
        PerCallCmd::Marker(_) => None,
    }?;
    (!name.is_empty() && !dialect::BUILTIN_NAMES.contains(&name)).then(|| {
        format!(
            "dos-hook: unknown hook dialect {} — dos-hook serves the built-in dialects only ({}); a dialect from a hook_dialects plugin is served by `dos hook VERB --dialect {name}`. Emitting nothing.",
            dos_py::repr::str_repr(name),
            dialect::BUILTIN_NAMES.join(", ")
        )
    })
}

/// Print a command-line parse error (or `--help`/`--version`); its exit code.
pub fn usage_error(e: clap::Error) -> i32 {
    let code = if e.use_stderr() { 2 } else { 0 };
    let _ = e.print();
    code
}

/// Run one per-call hook verb. Fail-safe by construction: a panic of ours
/// (a bug, or stderr gone while `--debug` writes to it) ends in no further
/// output and exit 0, never in exit 101 blocking the agent. Without
/// `--debug` the panic message is not printed either.
pub fn run_per_call(top_workspace: Option<&PathBuf>, cmd: &PerCallCmd) -> i32 {
    let debug = match cmd {
        PerCallCmd::Posttool(a) => a.common.debug,
        PerCallCmd::Marker(a) => a.common.debug,
        PerCallCmd::Pretool(a) => a.common.debug,
    };
    if !debug {
        std::panic::set_hook(Box::new(|_| {}));
    }
    let verb = std::panic::AssertUnwindSafe(|| match cmd {
        PerCallCmd::Posttool(a) => posttool(top_workspace, a),
        PerCallCmd::Marker(a) => marker_verb(top_workspace, a),
        PerCallCmd::Pretool(a) => pretool_verb(top_workspace, a),
    });
    std::panic::catch_unwind(verb).unwrap_or(0)
}

fn flag_ws<'a>(top: Option<&'a PathBuf>, common: &'a CommonArgs) -> Option<&'a Path> {
    common.workspace.as_deref().or(top.map(PathBuf::as_path))
}

/// Print a rendered object (or nothing); whether something was printed.
fn emit(dialect_name: Option<&str>, verdict: &HookVerdict, moment: Moment, dbg: Debug) -> bool {
    match Dialect::resolve(dialect_name) {
        Ok(d) => {
            if let Some(v) = dialect::render(d, verdict, moment) {
                print_out(&dialect::stdout_line(&v));
                return true;
            }
        }
        Err(e) => dbg.say(&format!("dialect error ({e}) — emitting nothing")),
    }
    false
}

fn print_out(s: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

/// Load one config table into a policy: value errors warn and keep defaults;
/// type errors stand the hook down (`None`).
fn policy<T: Default>(
    cfg: &mut HookConfig,
    label: &str,
    build: impl Fn(Option<&toml::Table>) -> Result<T, TableError>,
) -> Option<T> {
    let result = cfg.table(label).and_then(|t| build(t.as_ref()));
    match result {
        Ok(p) => Some(p),
        Err(e @ TableError::Value(_)) => {
            eprintln!("{}", cfg.describe(label, &e));
            Some(T::default())
        }
        Err(e @ TableError::Type(_)) => {
            eprintln!("{}", cfg.describe(label, &e));
            None
        }
    }
}

fn session_of(flag: Option<&str>, event: &Val<'_>) -> Option<PyStr> {
    let chosen = match flag.filter(|s| !s.is_empty()) {
        Some(s) => PyStr {
            text: s.to_string(),
            has_surrogate: false,
        },
        None => io::event_str(event, "session_id")?,
    };
    (!chosen.text.trim().is_empty()).then_some(chosen)
}

fn write_error(e: impl std::fmt::Display) -> String {
    format!("accumulator write error ({e}) — emitting nothing")
}

// ---------------------------------------------------------------- posttool

fn posttool(top: Option<&PathBuf>, a: &PostArgs) -> i32 {
    let started = std::time::Instant::now();
    let dbg = Debug {
        verb: "posttool",
        on: a.common.debug,
    };
    let input = crate::hooks::dialect_input::normalize(
        a.dialect.as_deref(),
        Moment::Post,
        io::read_stdin().unwrap_or_default(),
    );
    let Some(event) = io::nonempty_event(&input) else {
        dbg.say("no/invalid stdin event — emitting nothing");
        return 0;
    };
    if let Err(m) = io::check_driver(a.common.driver.as_deref(), a.common.job) {
        eprintln!("error: {m}");
        return 2;
    }
    let Some(root) = io::workspace_root(flag_ws(top, &a.common), Some(&event)) else {
        dbg.say("cannot resolve the workspace — emitting nothing");
        return 0;
    };
    let mut cfg = HookConfig::load(&root);
    cfg.say_notes(&dbg);
    let Some(policy) = policy(&mut cfg, "tool_stream", config::stream_policy) else {
        return 0;
    };
    let tool_raw = match event.get("tool_name") {
        Some(Val::Str(s)) if !s.raw.is_empty() => *s,
        _ => {
            dbg.say("event has no tool_name — nothing to record");
            return 0;
        }
    };
    let Some(sid) = session_of(a.session_id.as_deref(), &event) else {
        dbg.say("event has no session_id — no accumulator without an identity");
        return 0;
    };
    let tool = tool_raw.decode();
    let result = ["tool_response", "tool_output"]
        .iter()
        .find_map(|k| event.get(k).filter(|v| !matches!(v, Val::Null)));
    let step = Step {
        tool_name: tool.text.clone(),
        args_digest: canon::args_digest(&tool_raw, event.get("tool_input")),
        result_digest: result.map(canon::value_digest),
    };
    let Some(stem) = store::session_stem(&sid.text) else {
        dbg.say(&write_error(
            "ValueError('append_step needs a usable session_id or an explicit path')",
        ));
        return 0;
    };
    let path = root.join(".dos").join("streams").join(format!("{stem}.jsonl"));
    let mut file = match LockedFile::open(&path) {
        Ok(f) => f,
        Err(e) => {
            dbg.say(&write_error(e));
            return 0;
        }
    };
    if tool.has_surrogate {
        // The reference opens (creates) the stream file before it encodes the
        // record, which then fails: an empty file stays behind (spec §0.5).
        dbg.say(&write_error("tool_name holds a lone surrogate: not encodable"));
        return 0;
    }
    let (run, step_index) = match session::replay_stream(&mut file, &step, &policy) {
        Ok(r) => r,
        Err(e) => {
            dbg.say(&format!("accumulator read error ({e}) — emitting nothing"));
            return 0;
        }
    };
    let verdict = tool_stream::classify(&step, run, &policy);
    let fired = verdict.state.fired();
    let run_id = io::env_nonempty("CID_RUN_ID").filter(|_| fired);
    let line = session::step_line(&step, step_index, &verdict, run_id.as_deref());
    if let Err(e) = file.append_line(&line) {
        dbg.say(&write_error(e));
        return 0;
    }
    drop(file);
    dbg.say(&format!(
        "verdict={} repeat_run={} step_index={} run_id={} warn={}",
        verdict.state.token(),
        verdict.run,
        step_index,
        run_id.as_deref().unwrap_or("-"),
        if fired { "yes" } else { "no" }
    ));
    let mut warned = false;
    if fired {
        let v = HookVerdict::Warn {
            context: tool_stream::warn_text(&verdict),
        };
        warned = emit(a.dialect.as_deref(), &v, Moment::Post, dbg);
    }
    let mut obs = Observation::new("posttool", if warned { "warn" } else { "passthrough" }, started);
    obs.stream_state = verdict.state.token().into();
    observation::append(&root, &obs, a.common.debug);
    let mut detail = Map::new();
    detail.insert("repeat_run".into(), Value::from(verdict.run));
    detail.insert("step_index".into(), Value::from(step_index));
    detail.insert("tool_name".into(), Value::from(step.tool_name.as_str()));
    io::record_verdict(
        &root,
        a.common.driver.as_deref(),
        a.common.job,
        io::hook_event("hook_posttool", verdict.state.token(), &sid.text, detail),
    );
    0
}

// ------------------------------------------------------------------ marker

fn marker_verb(top: Option<&PathBuf>, a: &MarkerArgs) -> i32 {
    let started = std::time::Instant::now();
    let dbg = Debug {
        verb: "marker",
        on: a.common.debug,
    };
    let cap_flag = match a.max_markers.as_deref().map(|s| (s, dos_py::int::py_int(s))) {
        None => None,
        Some((_, Some(n))) => Some(n),
        Some((s, None)) => {
            eprintln!(
                "dos hook marker: error: argument --max-markers: invalid int value: {}",
                dos_py::repr::str_repr(s)
            );
            return 2;
        }
    };
    let input = io::read_stdin().unwrap_or_default();
    let empty = Val::Obj(Vec::new());
    let parsed = io::parse_event(&input);
    let event = parsed.as_ref().unwrap_or(&empty);
    if let Err(m) = io::check_driver(a.common.driver.as_deref(), a.common.job) {
        eprintln!("error: {m}");
        return 2;
    }
    let Some(root) = io::workspace_root(flag_ws(top, &a.common), Some(event)) else {
        dbg.say("cannot resolve the workspace — allow stop");
        return 0;
    };
    let mut cfg = HookConfig::load(&root);
    cfg.say_notes(&dbg);
    let Some(policy) = policy(&mut cfg, "marker", config::marker_policy) else {
        return 0;
    };
    let Some(sid) = session_of(a.session_id.as_deref(), event) else {
        dbg.say("event has no session_id — no accumulator without an identity; allow stop");
        return 0;
    };
    let path = store::session_stem(&sid.text)
        .map(|stem| root.join(".dos").join("markers").join(format!("{stem}.jsonl")));
    let tally_run_id = io::env_nonempty("CID_RUN_ID");
    let record = |verdict: &str, detail: Map<String, Value>| {
        let event = io::hook_event("hook_marker", verdict, &sid.text, detail);
        io::record_verdict(&root, a.common.driver.as_deref(), a.common.job, event);
    };
    if a.reset {
        let result = path
            .as_deref()
            .ok_or_else(|| "ValueError('record_reset needs a usable session_id')".to_string())
            .and_then(|p| {
                LockedFile::open(p)
                    .and_then(|mut f| {
                        f.append_line(&session::marker_line(
                            "RESET",
                            "forward-delta reset",
                            tally_run_id.as_deref(),
                        ))
                    })
                    .map_err(|e| e.to_string())
            });
        match result {
            Ok(()) => {
                dbg.say(&format!(
                    "recorded RESET for session {} — no-op tally zeroed",
                    sid.text
                ));
                record("RESET", Map::new());
            }
            Err(e) => dbg.say(&format!("record_reset write error ({e}) — count not reset")),
        }
        return 0;
    }
    let stop_hook_active = matches!(event.get("stop_hook_active"), Some(Val::Bool(true)));
    let arm_reason = match marker::arm(&policy, stop_hook_active, a.loop_flag, &|k| std::env::var(k).ok()) {
        Arming::Armed(r) => r,
        Arming::NotArmed(m) => {
            dbg.say(&m);
            record("UNARMED", Map::new());
            return 0;
        }
    };
    let cap = cap_flag.unwrap_or(policy.max_streak);
    if cap < 0 {
        eprintln!("dos hook marker: --max-markers must be non-negative (got {cap}); allow stop");
        return 0;
    }
    // Only a write needs the file to exist; a refusal must not create it.
    let mut file = match path.as_deref().map(|p| (p, LockedFile::open_existing(p))) {
        None => None,
        Some((_, Ok(Some(f)))) => Some(f),
        Some((p, Ok(None))) if cap > 0 => LockedFile::open(p).ok(),
        Some((_, Ok(None))) => None,
        Some((_, Err(e))) => {
            dbg.say(&format!("marker_count read error ({e}) — allow stop"));
            return 0;
        }
    };
    let count = match file.as_mut().map(session::tally_count) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            dbg.say(&format!("marker_count read error ({e}) — allow stop"));
            return 0;
        }
    };
    let b = marker::budget(count, cap);
    dbg.say(&format!(
        "emitted={count} max={cap} allow={} reason={} ({arm_reason})",
        if b.allow { "True" } else { "False" },
        b.reason
    ));
    let mut obs = Observation::new("marker", if b.allow { "allow" } else { "refuse" }, started);
    obs.marker_count = b.carried;
    obs.max_markers = cap;
    observation::append(&root, &obs, a.common.debug);
    let write = |file: Option<&mut LockedFile>| -> Result<(), String> {
        let f = file.ok_or_else(|| {
            "ValueError('record_marker needs a usable session_id or an explicit path')".to_string()
        })?;
        f.append_line(&session::marker_line(
            "MARKER",
            &b.reason,
            tally_run_id.as_deref(),
        ))
        .map_err(|e| e.to_string())
    };
    let mut detail = Map::new();
    detail.insert("markers_emitted".into(), Value::from(b.carried));
    detail.insert("max_markers".into(), Value::from(cap));
    let verdict = if b.allow { "BLOCK" } else { "EXHAUSTED" };
    if a.json {
        let mut m = Map::new();
        m.insert("allow_marker".into(), Value::Bool(b.allow));
        m.insert("markers_emitted".into(), Value::from(b.carried));
        m.insert("max_markers".into(), Value::from(cap));
        m.insert("reason".into(), Value::from(b.reason.as_str()));
        print_out(&dialect::stdout_line(&Value::Object(m)));
        if b.allow {
            if let Err(e) = write(file.as_mut()) {
                dbg.say(&format!("record_marker write error ({e}) — count not advanced"));
            }
        }
        record(verdict, detail);
        return 0;
    }
    if !b.allow {
        record(verdict, detail);
        return 0;
    }
    if let Err(e) = write(file.as_mut()) {
        dbg.say(&format!(
            "record_marker write error ({e}) — allow stop (count not advanced)"
        ));
        return 0;
    }
    drop(file);
    print_out(&dialect::stdout_line(&dialect::stop_block(
        &marker::block_reason(&b),
    )));
    record(verdict, detail);
    0
}

// ----------------------------------------------------------------- pretool

fn pretool_verb(top: Option<&PathBuf>, a: &PreArgs) -> i32 {
    let started = std::time::Instant::now();
    let dbg = Debug {
        verb: "pretool",
        on: a.common.debug,
    };
    let input = crate::hooks::dialect_input::normalize(
        a.dialect.as_deref(),
        Moment::Pre,
        io::read_stdin().unwrap_or_default(),
    );
    let Some(event) = io::nonempty_event(&input) else {
        dbg.say("no/invalid stdin event — emitting nothing");
        return 0;
    };
    if !pretool::is_pre_event(&event) {
        dbg.say("not a PreToolUse event (no tool_name, or a result key present) — passthrough");
        return 0;
    }
    if let Err(m) = io::check_driver(a.common.driver.as_deref(), a.common.job) {
        eprintln!("error: {m}");
        return 2;
    }
    let Some(root) = io::workspace_root(flag_ws(top, &a.common), Some(&event)) else {
        dbg.say("cannot resolve the workspace — emitting nothing");
        return 0;
    };
    let mut cfg = HookConfig::load(&root);
    cfg.say_notes(&dbg);
    let tool = io::event_str(&event, "tool_name")
        .map(|s| s.text)
        .unwrap_or_default();
    // A huge tool_input stays raw: only the fields the tree reads are parsed.
    let subset;
    let input = match event.get("tool_input") {
        Some(Val::Raw(text)) => {
            subset = dos_py::json::raw_subset(text, pretool::TREE_FIELDS);
            Some(&subset)
        }
        other => other,
    };
    let cwd = io::event_str(&event, "cwd").map(|s| s.text).unwrap_or_default();
    // The reference's holder is `str(session_id or "")`: a non-string id
    // (`12345`, `["a"]`) is its Python `str()`, a falsy one is "".
    let holder = event
        .get("session_id")
        .filter(|v| v.truthy())
        .map(Val::py_str)
        .unwrap_or_default();
    let mut tree = pretool::extract_tree(&tool, input);
    tree.paths = tree
        .paths
        .iter()
        .map(|p| pretool::repo_relative(p, &cwd))
        .collect();
    // Only the kernel files this call would touch are looked up on disk
    // (the hit list keeps PROTECTED's order, so filtering after is the same).
    let existing: Vec<&str> = pretool::self_modify_hits(&tree.paths, pretool::PROTECTED)
        .into_iter()
        .filter(|p| root.join(p).is_file())
        .collect();
    let overlap = match cfg.table("overlap").and_then(|t| config::overlap(t.as_ref())) {
        Ok(o) => o,
        Err(e @ TableError::Value(_)) => {
            eprintln!("{}", cfg.describe("overlap", &e));
            config::OverlapConfig::default()
        }
        Err(TableError::Type(_)) => config::OverlapConfig::default(),
    };
    if overlap.policy != "prefix" {
        // The reference resolves the named scorer inside its decide step and
        // raises on an unknown one (no scorer plugins exist): passthrough.
        dbg.say(&format!(
            "decide error (ValueError(\"unknown overlap policy {}; known: prefix\")) — emitting nothing (passthrough)",
            dos_py::repr::str_repr(&overlap.policy)
        ));
        return 0;
    }
    let paths = cfg.table("paths").ok().flatten();
    let configured = paths.as_ref().and_then(|t| t.get("lane_journal")?.as_str());
    let journal_path = lanes::journal::lane_journal_path_at(&root, configured);
    let leases = leases::live_leases(&journal_path, dos_py::time::now_ms());
    let extra = match cfg.table("exec_capability") {
        Ok(t) => config::exec_extra(t.as_ref()),
        Err(_) => Vec::new(),
    };
    let refusal = admission::rung_a(&tool, &tree.paths, &leases, &existing, overlap.ratio_max);
    let mut outcome = PreOutcome::decide(&tool, &tree, refusal, |k| std::env::var(k).ok());
    dbg.say(&format!(
        "rung={} decision={} reason_class={} intervention=-",
        outcome.rung,
        outcome.decision,
        if outcome.reason_class.is_empty() {
            "-"
        } else {
            outcome.reason_class
        }
    ));
    if outcome.decision != "passthrough" {
        let deny = outcome.decision == "deny";
        // The reference cannot encode a lone surrogate: no ENFORCE record.
        let surrogate = |k: &str| io::event_str(&event, k).is_some_and(|s| s.has_surrogate);
        let encodable = !surrogate("tool_name") && !surrogate("session_id");
        let env = |k: &str| std::env::var(k).unwrap_or_default();
        let ids = [
            "DISPATCH_HOST_ID",
            "DISPATCH_LOOP_TS",
            "CID_RUN_ID",
            "CID_ROOT_ID",
            "CID_PARENT_ID",
        ]
        .map(env);
        let enforcement = lanes::journal::Enforcement {
            holder: &holder,
            tool: &tool,
            deny,
            reason: &outcome.reason,
            reason_class: outcome.reason_class,
            handler: "admission",
            host_id: &ids[0],
            loop_ts: &ids[1],
            run_id: &ids[2],
            root_id: &ids[3],
            parent_id: &ids[4],
        };
        let nudge = match session::journal_enforcement(&journal_path, encodable, &enforcement) {
            Ok(c) => pretool::nudge(&c).unwrap_or_default(),
            Err(e) => {
                dbg.say(&format!(
                    "OP_ENFORCE journal write error ({e}) — outcome still emitted"
                ));
                String::new()
            }
        };
        outcome.add_nudge(&nudge);
    } else if let Some(advice) = pretool::exec_advisory(&tool, input, &extra) {
        dbg.say("rung=exec_capability decision=warn reason_class=GRANTS_ARBITRARY_EXEC intervention=WARN");
        outcome = PreOutcome {
            verdict: HookVerdict::Warn { context: advice },
            decision: "warn",
            rung: "exec_capability",
            reason_class: "GRANTS_ARBITRARY_EXEC",
            ..outcome
        };
    }
    let enforcement = cfg.table("enforcement").ok().flatten();
    let posture = Posture::effective(
        std::env::var("DOS_HOOK_POSTURE").ok().as_deref(),
        enforcement.as_ref(),
    );
    let bash_command = input
        .and_then(|i| i.get("command"))
        .and_then(Val::as_str)
        .map(|c| c.text);
    let surfaced = if outcome.decision == "passthrough"
        && posture == Posture::Assist
        && footprint::verified_safe(&tool, bash_command.as_deref())
    {
        posture::assist_allow()
    } else {
        posture::under_posture(outcome.verdict.clone(), posture)
    };
    let mut surface = outcome.decision;
    match Dialect::resolve(a.dialect.as_deref()) {
        Ok(d) => {
            if let Some(v) = posture::render(d, &surfaced, Moment::Pre) {
                print_out(&dialect::stdout_line(&v));
                surface = surfaced.token().unwrap_or(surface);
            }
        }
        Err(e) => dbg.say(&format!("dialect error ({e}) — emitting nothing (passthrough)")),
    }
    let token = match outcome.decision {
        "deny" => "DENY",
        "warn" => "WARN",
        _ => "PASS",
    };
    let mut obs = Observation::new("pretool", outcome.decision, started);
    obs.rung = outcome.rung.into();
    obs.reason_class = outcome.reason_class.into();
    obs.dialect = a
        .dialect
        .clone()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "claude-code".into());
    obs.holder = holder.clone();
    obs.effect_kind = outcome.effect_kind.into();
    obs.tree_known = outcome.tree_known;
    if posture != Posture::Block {
        obs.posture = posture.token().into();
        obs.surface = surface.into();
    }
    observation::append(&root, &obs, a.common.debug);
    let mut detail = Map::new();
    detail.insert("reason_class".into(), Value::from(outcome.reason_class));
    detail.insert("tool_name".into(), Value::from(tool.as_str()));
    detail.insert("tree_known".into(), Value::Bool(tree.known));
    let event = io::hook_event("hook_pretool", token, &holder, detail);
    io::record_verdict(&root, a.common.driver.as_deref(), a.common.job, event);
    0
}
