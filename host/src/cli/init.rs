//! `dos init [DIR]`: scaffold a `dos.toml` (lanes from the top-level source
//! dirs, `[paths]`, `[stamp]`, and a commented `[plugins]` table naming the
//! standard plugins).

use super::CliError;
use crate::oracle::scaffold;
use std::path::PathBuf;

/// Arguments of `dos init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The directory to initialise (created if missing).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Overwrite an existing dos.toml.
    #[arg(long)]
    pub force: bool,
    /// Workspace root a relative DIR is resolved against.
    #[arg(long)]
    pub workspace: Option<PathBuf>,
}

/// Run `dos init`: exit 0, or 1 when `dos.toml` exists without `--force`.
pub fn run(top_ws: Option<&PathBuf>, args: &InitArgs) -> Result<i32, CliError> {
    let base = args.workspace.as_ref().or(top_ws);
    let joined = match base {
        Some(ws) if !args.dir.is_absolute() => ws.join(&args.dir),
        _ => args.dir.clone(),
    };
    let target = crate::workspace::resolve_root(Some(&joined))?;
    std::fs::create_dir_all(&target)
        .map_err(|e| CliError::Failed(format!("cannot create {}: {e}", target.display())))?;
    let target = std::fs::canonicalize(&target).unwrap_or(target);
    let cfg_path = target.join("dos.toml");
    if cfg_path.exists() && !args.force {
        return Err(CliError::Failed(format!(
            "{} already exists (use --force to overwrite)",
            cfg_path.display()
        )));
    }
    let (text, summary) = scaffold::render_config(&scaffold::detect_source_dirs(&target));
    std::fs::write(&cfg_path, text)
        .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", cfg_path.display())))?;
    println!("wrote {}", cfg_path.display());
    println!("{summary}");
    println!(
        "DOS workspace initialised. Try:  dos verify --workspace {} PLAN PHASE",
        args.dir.display()
    );
    Ok(0)
}
