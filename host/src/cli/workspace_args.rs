//! The workspace-selection flags every workspace-reading command takes
//! (`--workspace`, `--driver NAME`, `--job`), as one flattenable group.

use super::CliError;
use crate::workspace::Workspace;
use std::path::PathBuf;

/// `--workspace` / `--driver` / `--job` on a subcommand.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct WorkspaceArgs {
    /// Workspace root (default: $DISPATCH_WORKSPACE, else the current directory).
    #[arg(long)]
    pub workspace: Option<PathBuf>,
    /// Base configuration by name (`job`, `workshop`): the reference path layout.
    #[arg(long, value_name = "NAME")]
    pub driver: Option<String>,
    /// Alias for `--driver job`.
    #[arg(long)]
    pub job: bool,
}

impl WorkspaceArgs {
    /// Resolve the workspace: this subcommand's `--workspace` wins over the
    /// top-level one.
    pub(crate) fn resolve(&self, top: Option<&PathBuf>) -> Result<Workspace, CliError> {
        let flag = self.workspace.as_ref().or(top).map(PathBuf::as_path);
        let ws = Workspace::resolve_with(flag, self.driver.as_deref(), self.job)?;
        ws.config.warn_once();
        Ok(ws)
    }
}
