//! `dos scout`: the pre-dispatch chooser's stopping rules, from the
//! reference's `--state-json` interface, plus the host's stop policy.

use super::decisions::WorkspaceFlags;
use super::CliError;
use crate::scout::{scout_decide, ScoutState};
use crate::stop::{configured_policy_name, resolve_stop_policy, StopDecide};
use dos_py::dumps::{dumps, Style};
use std::path::PathBuf;

/// The text shown after `dos scout --help`.
const AFTER_HELP: &str = "\
Rules implemented: 0 (resource floor: `resource_blocked` -> stop, exit 6), 1 (the host's \
stop policy, run under the resource floor -> stop, exit 6) and 9 (the default dispatch, exit 0, \
with the reference's surfaced notes). The routing rules 4-7 (health route_unstick / \
overlap_block / route_replan / replan due) and the phase-2 annex are OUT OF SCOPE here: a state \
that would fire one is an error (exit 2), never a guessed answer.

The stop policy is `--stop-policy NAME`, else `dos.toml [scout] stop_policy`; with neither, \
rule 1 is skipped (as in the reference). A `stop_policy` key inside --state-json is ignored. \
The policy sees the --state-json object plus the workspace's full ranked decisions queue \
(every resolver) under `pending_decisions`.

Exit codes: dispatch 0, stop 6, low confidence 6; errors 2.";

/// Arguments of `dos scout`.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct ScoutArgs {
    /// The ScoutState as a JSON object: {scope, focus, gate, resource_blocked,
    /// resource_block_reason, health:{...dos health...}, open_escalated_decisions:[],
    /// operator_owned_cause, same_day_unstick_count, latest_unstick_stamp,
    /// fixes_landing_since_unstick, open_soaks:[], replan_due, replan_desc,
    /// replan_in_flight, recent_replan_unproductive, recent_replan_ran,
    /// recent_replan_desc, scoreboard:{runs_7d,zero_ship_7d,false_drain_runs,runs_shipped},
    /// closed_loop:{available,count,top_item}}.
    #[arg(long = "state-json", value_name = "JSON", default_value = "")]
    pub state_json: String,
    /// The stop policy to run (overrides `dos.toml [scout] stop_policy`).
    #[arg(long = "stop-policy", value_name = "NAME")]
    pub stop_policy: Option<String>,
    /// Workspace and layout (where the decisions queue is read from).
    #[command(flatten)]
    pub ws: WorkspaceFlags,
}

/// Run `dos scout`.
pub(crate) fn run(top_ws: Option<&PathBuf>, args: &ScoutArgs) -> Result<i32, CliError> {
    let state = ScoutState::from_json(&args.state_json).map_err(|e| CliError::Usage(e.to_string()))?;
    let ws = super::workspace(top_ws, args.ws.workspace.as_ref())?;
    let name = configured_policy_name(&ws.config, args.stop_policy.as_deref())?;
    let mut handle = None;
    if let Some(name) = &name {
        // Resolve before deciding, so a typo'd name is loud even when the
        // resource floor would have answered on its own.
        let host = crate::plugin_host::PluginHost::for_workspace(&ws, true)?;
        handle = Some(resolve_stop_policy(&host, name)?);
    }
    // The queue is read only when a policy will actually be asked.
    let queue = match &handle {
        Some(_) if !state.resource_blocked => {
            let (_, cfg) = args.ws.queue_config(top_ws)?;
            crate::decisions::collect(&cfg, None, dos_py::time::now_micros())
                .iter()
                .map(crate::decisions::Decision::to_json)
                .collect()
        }
        _ => Vec::new(),
    };
    let policy = handle.as_mut().map(|h| h as &mut dyn StopDecide);
    let decision = scout_decide(&state, &queue, policy).map_err(|e| CliError::Usage(e.to_string()))?;
    println!("{}", dumps(&decision.to_json(), Style::PRETTY_SORTED));
    Ok(decision.exit_code())
}
