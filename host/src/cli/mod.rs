//! The `dos` command line: argument parsing, dispatch, and the one place that
//! renders errors and picks exit codes.

pub(crate) mod completions;
pub(crate) mod decisions;
pub(crate) mod doctor;
pub(crate) mod exec_capability;
pub(crate) mod exit_codes;
pub(crate) mod export;
pub(crate) mod hook_cmd;
pub(crate) mod hook_exit;
pub(crate) mod hook_stop;
pub(crate) mod init;
pub(crate) mod init_io;
pub(crate) mod judge_eval;
pub(crate) mod lanes;
pub(crate) mod notify;
pub(crate) mod observe;
pub(crate) mod plugins;
pub(crate) mod quickstart;
pub(crate) mod run_id;
pub(crate) mod scout;
pub(crate) mod supervise;
pub(crate) mod verify;
pub(crate) mod witness;
pub(crate) mod workspace_args;

use crate::config::ConfigError;
use crate::plugin_host::ResolveError;
use crate::workspace::{Workspace, WorkspaceError};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// `dos` — judge AI coding agents from evidence they did not author.
#[derive(Debug, Parser)]
#[command(name = "dos", version, about, propagate_version = true)]
pub(crate) struct Cli {
    /// Workspace root (default: $DISPATCH_WORKSPACE, else the current directory).
    #[arg(long, global = false)]
    pub workspace: Option<PathBuf>,
    /// Run every plugin in a worker process (crash containment) for this call.
    #[arg(long, global = true)]
    pub isolate: bool,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Every `dos` command.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List plugin groups, drivers and their sources; or check one plugin file.
    Plugins(plugins::PluginsArgs),
    /// Effect witnesses: the state-diff witness and evidence sources.
    Witness(witness::WitnessArgs),
    /// Mint run-ids.
    RunId(run_id::RunIdArgs),
    /// Lane leases: acquire, release, heartbeat, spawn, live.
    LeaseLane(lanes::LeaseLaneArgs),
    /// The lane journal: tail, replay, seq, compact.
    Journal(lanes::JournalArgs),
    /// Record a stop decision for a run (kills nothing).
    Halt(lanes::HaltArgs),
    /// Classify a run as ADVANCING / SPINNING / STALLED.
    Liveness(lanes::LivenessArgs),
    /// The supervisor: print the plan; `--run` enacts it (the watchdog).
    Loop(supervise::LoopArgs),
    /// Ask the ship oracle whether PLAN PHASE shipped (exit 0 SHIPPED, 1 NOT_SHIPPED).
    Verify(verify::VerifyArgs),
    /// Scaffold a dos.toml in DIR and wire the DOS hooks into agent runtimes (--hooks).
    Init(init::InitArgs),
    /// Run the demo in a throwaway repo: the caught lie, the hooks, decisions, journal and exports through real plugins.
    Quickstart(quickstart::QuickstartArgs),
    /// The operator-decision queue: list pending decisions, or `show N`.
    Decisions(decisions::DecisionsArgs),
    /// Push the decisions queue or the fleet status to a notifier.
    Notify(notify::NotifyArgs),
    /// Pre-dispatch chooser — may the loop start work? (rules 0, 1 and 9).
    Scout(scout::ScoutArgs),
    /// Score a judge against labelled claims (false-clear rate, accuracy).
    #[command(name = "judge-eval")]
    JudgeEval(judge_eval::JudgeEvalArgs),
    /// Drain the verdict journal to an exporter (null, file, statsd, otlp, …).
    Export(export::ExportArgs),
    /// Fold the verdict journal by syscall / run, or show a run's history.
    Observe(observe::ObserveArgs),
    /// Internal: serve one plugin file to a host over stdin/stdout.
    #[command(name = "__plugin-worker", hide = true)]
    PluginWorker(plugins::WorkerArgs),
    /// Agent hooks (PostToolUse / Stop / PreToolUse) for Claude Code and other hosts.
    Hook(hook_cmd::HookArgs),
    /// Does a shell command grant arbitrary code execution?
    ExecCapability(exec_capability::ExecCapabilityArgs),
    /// Map a plain shell hook's exit code to an intervention verb.
    HookExit(hook_exit::HookExitArgs),
    /// The verdict-is-the-exit-code table of the verdict-bearing verbs.
    #[command(name = "exit-codes")]
    ExitCodes(exit_codes::ExitCodesArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print the dos(1) man page (roff).
    Man(completions::ManArgs),
    /// The workspace report: dos.toml, journals, lanes, plugins, hooks wired per runtime (exit 0 healthy, 1 broken).
    Doctor(doctor::DoctorArgs),
}

/// An error a command reports: rendered as `error: …` on stderr.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// The workspace or its configuration is unusable.
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    /// A configuration value is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A driver name did not resolve.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// Bad usage detected after parsing (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The command failed (exit 1).
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    /// The process exit code for this error.
    pub(crate) fn exit_code(&self) -> i32 {
        match self {
            CliError::Failed(_) => 1,
            _ => 2,
        }
    }
}

/// The workspace for a command: the subcommand's `--workspace` wins over the
/// top-level one.
pub(crate) fn workspace(top: Option<&PathBuf>, sub: Option<&PathBuf>) -> Result<Workspace, CliError> {
    let ws = Workspace::resolve(sub.or(top).map(PathBuf::as_path))?;
    ws.config.warn_once();
    Ok(ws)
}

/// Run `dos` with `args` (including the program name); returns the exit code.
pub(crate) fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    // Hooks run on every tool call: parse only the hook subtree for them, not
    // the whole command tree (latency is the product there).
    if args.get(1).is_some_and(|a| a == "hook") {
        return hook_cmd::run_fast(&args[1..]);
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    crate::plugin_host::request_isolation_for_process(cli.isolate);
    let outcome = match &cli.command {
        Command::Plugins(a) => plugins::run(cli.workspace.as_ref(), a),
        Command::Witness(a) => witness::run(cli.workspace.as_ref(), a),
        Command::RunId(a) => run_id::run(a),
        Command::LeaseLane(a) => lanes::lease_lane(cli.workspace.as_ref(), a),
        Command::Journal(a) => lanes::journal_cmd(cli.workspace.as_ref(), a),
        Command::Halt(a) => lanes::halt(cli.workspace.as_ref(), a),
        Command::Liveness(a) => lanes::liveness(cli.workspace.as_ref(), a),
        Command::Loop(a) => supervise::run(cli.workspace.as_ref(), a),
        Command::Verify(a) => verify::run(cli.workspace.as_ref(), a),
        Command::Init(a) => init::run(cli.workspace.as_ref(), a),
        Command::Quickstart(a) => quickstart::run(a),
        Command::Decisions(a) => decisions::run(cli.workspace.as_ref(), a),
        Command::Notify(a) => notify::run(cli.workspace.as_ref(), a),
        Command::Scout(a) => scout::run(cli.workspace.as_ref(), a),
        Command::JudgeEval(a) => judge_eval::run(cli.workspace.as_ref(), a),
        Command::Export(a) => export::run(cli.workspace.as_ref(), a),
        Command::Observe(a) => observe::run(cli.workspace.as_ref(), a),
        Command::PluginWorker(a) => plugins::worker(a),
        Command::Hook(a) => Ok(hook_cmd::run(cli.workspace.as_ref(), a)),
        Command::ExecCapability(a) => Ok(exec_capability::run(cli.workspace.as_ref(), a)),
        Command::HookExit(a) => Ok(hook_exit::run(cli.workspace.as_ref(), a)),
        Command::ExitCodes(a) => exit_codes::run(a),
        Command::Completions(a) => completions::completions(a),
        Command::Man(a) => completions::man(a),
        Command::Doctor(a) => doctor::run(cli.workspace.as_ref(), a),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}
