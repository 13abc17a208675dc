//! `dos hook …`: the per-tool-call verbs (served by the `dos-hook` crate, the
//! same code the standalone binary runs) plus `stop`, with a `hook_dialects`
//! plugin installed first when `--dialect` names one.

use clap::{Args, Subcommand};
use dos_hook::PerCallCmd;
use std::path::PathBuf;

/// `dos hook …`.
#[derive(Debug, Args)]
pub(crate) struct HookArgs {
    /// The hook verb.
    #[command(subcommand)]
    pub cmd: HookCmd,
}

/// The hook verbs.
#[derive(Debug, Subcommand)]
pub(crate) enum HookCmd {
    /// The per-tool-call verbs (also served by `dos-hook`).
    #[command(flatten)]
    PerCall(PerCallCmd),
    /// Stop/SubagentStop: block a stop whose shipped-claims git does not back.
    Stop(super::hook_stop::HookStopArgs),
}

/// `dos hook …` parsed on its own (the fast path `cli::run` takes when the
/// first argument is `hook`).
#[derive(Debug, clap::Parser)]
#[command(
    name = "dos hook",
    bin_name = "dos hook",
    about = "Agent hooks (PostToolUse / Stop / PreToolUse) for Claude Code and other hosts."
)]
pub(crate) struct HookCli {
    /// The hook verb.
    #[command(subcommand)]
    pub cmd: HookCmd,
}

/// Parse `hook …` (argv from the `hook` word on) and run it.
pub(crate) fn run_fast(args: &[std::ffi::OsString]) -> i32 {
    use clap::Parser;
    match HookCli::try_parse_from(args) {
        Ok(cli) => run(None, &HookArgs { cmd: cli.cmd }),
        Err(e) => dos_hook::usage_error(e),
    }
}

/// Run a hook verb; returns the exit code.
pub(crate) fn run(top_workspace: Option<&PathBuf>, args: &HookArgs) -> i32 {
    crate::plugin_groups::prepare(top_workspace, &args.cmd);
    match &args.cmd {
        HookCmd::PerCall(cmd) => dos_hook::run_per_call(top_workspace, cmd),
        HookCmd::Stop(a) => match super::hook_stop::run(top_workspace, a) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {e}");
                e.exit_code()
            }
        },
    }
}
