//! `dos run-id mint PROCESS [--parent RID] [--root RID]`: mint a run-id and
//! print its record (sorted keys, indented).

use super::CliError;
use crate::run_id::{mint_now, Parent};
use dos_py::dumps::{dumps, Style};
use serde_json::Value;

/// Arguments of `dos run-id`.
#[derive(Debug, clap::Args)]
pub(crate) struct RunIdArgs {
    /// The verb.
    #[command(subcommand)]
    pub action: RunIdAction,
}

/// `dos run-id` verbs.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum RunIdAction {
    /// Mint a run-id for PROCESS.
    Mint {
        /// The process name (`PROC-` is prefixed when missing).
        process: String,
        /// The parent run-id (a bare parent does not imply a root).
        #[arg(long)]
        parent: Option<String>,
        /// The lineage root.
        #[arg(long)]
        root: Option<String>,
    },
}

/// Run `dos run-id`.
pub(crate) fn run(args: &RunIdArgs) -> Result<i32, CliError> {
    match &args.action {
        RunIdAction::Mint {
            process,
            parent,
            root,
        } => {
            let parent = match parent.as_deref().filter(|p| !p.is_empty()) {
                Some(p) => Parent::Id(p),
                None => Parent::None,
            };
            let rid = mint_now(process, parent, root.as_deref().filter(|r| !r.is_empty()))
                .map_err(|e| CliError::Usage(e.to_string()))?;
            println!("{}", dumps(&Value::Object(rid.to_map()), Style::PRETTY_SORTED));
            Ok(0)
        }
    }
}
