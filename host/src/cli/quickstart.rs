//! `dos quickstart`: the 60-second caught-lie demo in a throwaway repo (one
//! SHIPPED, one NOT_SHIPPED), built by [`crate::oracle::quickstart`].

use super::CliError;
use crate::oracle::quickstart;
use std::path::PathBuf;

/// Arguments of `dos quickstart`.
#[derive(Debug, clap::Args)]
pub(crate) struct QuickstartArgs {
    /// Build the demo in DIR and keep it (default: a temporary dir, removed after).
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
}

fn temp_dir() -> Result<PathBuf, CliError> {
    let base = std::env::temp_dir();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = base.join(format!("dos-quickstart-{}-{stamp}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::Failed(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}

/// Run `dos quickstart`: exit 0 when every act showed its outcome, 1 when
/// one did not, 2 when the demo repo could not be built. The temporary
/// workspace is removed on every path.
pub(crate) fn run(args: &QuickstartArgs) -> Result<i32, CliError> {
    let (work, cleanup) = match &args.keep {
        Some(dir) => (crate::workspace::resolve_root(Some(dir))?, false),
        None => (temp_dir()?, true),
    };
    let result = quickstart::build(&work);
    let outcome = match result {
        Ok(demo) => {
            println!("── Act 1 · an agent claims two phases shipped; git backs one");
            for line in quickstart::transcript(&demo) {
                println!("{line}");
            }
            match crate::demo::run_acts(&demo.work) {
                Err(e) => Err(CliError::Failed(e.to_string())),
                Ok(acts) => {
                    println!();
                    println!("Run it on your own repo:   dos verify --workspace . PLAN PHASE");
                    println!(
                        "Adopt the hooks there:     dos init --hooks claude-code .   (then `dos doctor`)"
                    );
                    if acts {
                        Ok(0)
                    } else {
                        eprintln!("quickstart: some acts did not show their outcome (are the plugins built? `cargo build --workspace`)");
                        Ok(1)
                    }
                }
            }
        }
        Err(e) => Err(CliError::Usage(e.to_string())),
    };
    if cleanup {
        let _ = std::fs::remove_dir_all(&work);
    }
    outcome
}
