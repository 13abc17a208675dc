//! The `dos` command line: argument parsing, dispatch, and the one place that
//! renders errors and picks exit codes.

pub mod exec_capability;
pub mod hook;
pub mod hook_exit;
pub mod plugins;

use crate::config::ConfigError;
use crate::plugin_host::ResolveError;
use crate::workspace::{Workspace, WorkspaceError};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// `dos` — judge AI coding agents from evidence they did not author.
#[derive(Debug, Parser)]
#[command(name = "dos", version, about, propagate_version = true)]
pub struct Cli {
    /// Workspace root (default: $DISPATCH_WORKSPACE, else the current directory).
    #[arg(long, global = false)]
    pub workspace: Option<PathBuf>,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Every `dos` command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List plugin groups, drivers and their sources; or check one plugin file.
    Plugins(plugins::PluginsArgs),
    /// Agent hooks (PostToolUse / Stop / PreToolUse) for Claude Code and other hosts.
    Hook(hook::HookArgs),
    /// Does a shell command grant arbitrary code execution?
    ExecCapability(exec_capability::ExecCapabilityArgs),
    /// Map a plain shell hook's exit code to an intervention verb.
    HookExit(hook_exit::HookExitArgs),
}

/// An error a command reports: rendered as `error: …` on stderr.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
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
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Failed(_) => 1,
            _ => 2,
        }
    }
}

/// The workspace for a command: the subcommand's `--workspace` wins over the
/// top-level one.
pub fn workspace(top: Option<&PathBuf>, sub: Option<&PathBuf>) -> Result<Workspace, CliError> {
    Ok(Workspace::resolve(sub.or(top).map(PathBuf::as_path))?)
}

/// Run `dos` with `args` (including the program name); returns the exit code.
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    // Hooks run on every tool call: parse only the hook subtree for them, not
    // the whole command tree (latency is the product there).
    if args.get(1).is_some_and(|a| a == "hook") {
        return hook::run_fast(&args[1..]);
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let outcome = match &cli.command {
        Command::Plugins(a) => plugins::run(cli.workspace.as_ref(), a),
        Command::Hook(a) => Ok(hook::run(cli.workspace.as_ref(), a)),
        Command::ExecCapability(a) => Ok(exec_capability::run(cli.workspace.as_ref(), a)),
        Command::HookExit(a) => Ok(hook_exit::run(cli.workspace.as_ref(), a)),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}
