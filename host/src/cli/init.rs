//! `dos init [--hooks RUNTIME]… [--with-hooks] [--force] [--dry-run] [DIR]`:
//! scaffold a `dos.toml` (lanes from the top-level source dirs, `[paths]`,
//! `[stamp]`, and a commented `[plugins]` table) when there is none, and wire
//! the DOS hooks into each named runtime's own config file — merged, never
//! clobbered. Everything is planned first and written only when every
//! runtime planned cleanly, so a failure writes nothing.

use super::init_io::{self, FileError};
use super::CliError;
use crate::hooks::install::{self, event_commands, InstallSpec, PerCallProgram};
use crate::hooks::install_merge::{self, EventOutcome, Merged};
use crate::oracle::scaffold;
use crate::plugin_groups::{self, InstallerError};
use std::path::{Path, PathBuf};

/// Arguments of `dos init`.
#[derive(Debug, clap::Args)]
pub(crate) struct InitArgs {
    /// The directory to initialise (created if missing).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Overwrite an existing dos.toml (without --hooks); repair diverged DOS hook entries.
    #[arg(long)]
    pub force: bool,
    /// Workspace root a relative DIR is resolved against.
    #[arg(long)]
    pub workspace: Option<PathBuf>,
    /// Wire the DOS hooks into RUNTIME's config (repeatable): antigravity,
    /// claude-code, claude-cowork, codex, copilot-cli, cursor, gemini, or a
    /// runtime a hook_installs plugin provides.
    #[arg(long = "hooks", value_name = "RUNTIME")]
    pub hooks: Vec<String>,
    /// Alias for --hooks claude-code.
    #[arg(long)]
    pub with_hooks: bool,
    /// Print what would be written; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// One runtime's planned wiring.
struct Plan {
    spec: InstallSpec,
    path: PathBuf,
    merged: Merged,
}

/// The runtimes asked for, in order, each once.
fn runtimes(args: &InitArgs) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let asked = args
        .hooks
        .iter()
        .cloned()
        .chain(args.with_hooks.then(|| "claude-code".to_string()));
    for r in asked {
        if !out.contains(&r) {
            out.push(r);
        }
    }
    out
}

/// The installer for `runtime`: a built-in one, else the one a
/// `hook_installs` plugin of the workspace at `root` provides.
fn installer(root: &Path, runtime: &str) -> Result<InstallSpec, CliError> {
    if let Some(spec) = install::builtin(runtime) {
        return Ok(spec);
    }
    plugin_groups::plugin_installer(root, runtime).map_err(|e| match e {
        InstallerError::Unknown { .. } => CliError::Usage(e.to_string()),
        InstallerError::Failed { .. } => {
            CliError::Failed(format!("dos init --hooks {runtime}: {e} (nothing was written)"))
        }
    })
}

/// Which program the per-call hooks run: `dos-hook` next to this `dos`,
/// else `dos-hook` on PATH, else `dos hook`.
pub(crate) fn per_call_program() -> PerCallProgram {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("dos-hook")));
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .filter(|d| d.is_absolute())
        .map(|d| d.join("dos-hook"));
    beside
        .into_iter()
        .chain(on_path)
        .find(|c| init_io::is_executable(c))
        .map_or(PerCallProgram::DosHook, PerCallProgram::Native)
}

/// Whether `dos.toml` configures a loop (a `[marker]` table), so the stop
/// event also gets the wait-marker hook.
fn loop_configured(cfg: &Path) -> bool {
    matches!(init_io::read_text(cfg), Ok(Some(text))
        if text.parse::<toml::Table>().is_ok_and(|t| t.get("marker").is_some_and(toml::Value::is_table)))
}

fn file_error(runtime: &str, e: FileError) -> CliError {
    CliError::Failed(format!("dos init --hooks {runtime}: {e} (nothing was written)"))
}

/// Plan every runtime's merge (no writes).
fn plan_all(root: &Path, names: &[String], force: bool, with_marker: bool) -> Result<Vec<Plan>, CliError> {
    let program = per_call_program();
    let mut plans: Vec<Plan> = Vec::new();
    for name in names {
        let spec = installer(root, name)?;
        spec.validate().map_err(|e| {
            CliError::Failed(format!(
                "dos init --hooks {name}: the installer is unusable: {e} (nothing was written)"
            ))
        })?;
        let path = init_io::resolve_inside(root, &spec.config_path).map_err(|e| file_error(name, e))?;
        let current = match plans.iter().rev().find(|p| p.path == path) {
            Some(p) => Some(p.merged.text.clone()),
            None => init_io::read_text(&path).map_err(|e| file_error(name, e))?,
        };
        let wanted = event_commands(&spec, &program, with_marker);
        let merged = install_merge::merge(current.as_deref(), &spec, &wanted, force).map_err(|e| {
            CliError::Failed(format!(
                "dos init --hooks {name}: {} {e} (nothing was written)",
                path.display()
            ))
        })?;
        plans.push(Plan { spec, path, merged });
    }
    Ok(plans)
}

fn events_with(plan: &Plan, outcome: EventOutcome) -> Vec<&str> {
    plan.merged
        .events
        .iter()
        .filter(|(_, o)| *o == outcome)
        .map(|(e, _)| e.as_str())
        .collect()
}

fn report(plan: &Plan, program: &PerCallProgram, dry_run: bool) {
    let path = plan.path.display();
    let lines: [(EventOutcome, String); 4] = [
        (
            EventOutcome::Wired,
            format!(
                "{} DOS hook(s) into {path}",
                if dry_run { "would wire" } else { "wired" }
            ),
        ),
        (
            EventOutcome::Repaired,
            format!(
                "{} DOS hook(s) in {path}",
                if dry_run { "would repair" } else { "repaired" }
            ),
        ),
        (
            EventOutcome::Already,
            format!("DOS hook(s) already wired in {path}"),
        ),
        (
            EventOutcome::Diverged,
            format!("left diverged DOS hook(s) untouched in {path} (use --force to repair)"),
        ),
    ];
    for (outcome, text) in lines {
        let events = events_with(plan, outcome);
        if events.is_empty() {
            continue;
        }
        let n = events.len();
        let text = match outcome {
            EventOutcome::Wired | EventOutcome::Repaired => text.replacen(" DOS", &format!(" {n} DOS"), 1),
            _ => format!("{n} {text}"),
        };
        println!("{text}: {}", events.join(", "));
    }
    println!(
        "  bound to {}: a refused call is DENIED (pretool), a stalled stream is re-surfaced (posttool), a stop on an unverified claim is refused (stop).",
        plan.spec.runtime
    );
    let effective = install::effective_program(&plan.spec, program);
    let why = match (program, effective.as_ref()) {
        (PerCallProgram::Native(_), PerCallProgram::DosHook) => {
            " (a plugin dialect is served by `dos hook`, not dos-hook)"
        }
        (PerCallProgram::DosHook, _) => " (no dos-hook binary next to dos or on PATH)",
        _ => "",
    };
    println!("  {}{why}.", effective.describe());
    if !plan.spec.note.is_empty() {
        println!("  note: {}", plan.spec.note);
    }
}

/// Run `dos init`: exit 0, or 1 when `dos.toml` exists without `--force`
/// and no hooks were asked for, or a runtime's config cannot be merged.
pub(crate) fn run(top_ws: Option<&PathBuf>, args: &InitArgs) -> Result<i32, CliError> {
    let base = args.workspace.as_ref().or(top_ws);
    let joined = match base {
        Some(ws) if !args.dir.is_absolute() => ws.join(&args.dir),
        _ => args.dir.clone(),
    };
    let names = runtimes(args);
    if args.dry_run && names.is_empty() {
        return Err(CliError::Failed(
            "dos init --dry-run previews the --hooks merge; pass --hooks RUNTIME (nothing to preview otherwise)".into(),
        ));
    }
    let target = crate::workspace::resolve_root(Some(&joined))?;
    if !args.dry_run {
        std::fs::create_dir_all(&target)
            .map_err(|e| CliError::Failed(format!("cannot create {}: {e}", target.display())))?;
    }
    let target = std::fs::canonicalize(&target).unwrap_or(target);
    let cfg_path = target.join("dos.toml");
    let cfg_exists = cfg_path.exists();
    if cfg_exists && !args.force && names.is_empty() {
        return Err(CliError::Failed(format!(
            "{} already exists (use --force to overwrite)",
            cfg_path.display()
        )));
    }
    let write_cfg = !cfg_exists || (args.force && names.is_empty());
    let plans = plan_all(
        &target,
        &names,
        args.force,
        cfg_exists && loop_configured(&cfg_path),
    )?;
    let program = per_call_program();
    if args.dry_run {
        if write_cfg {
            println!("--dry-run: would write {}", cfg_path.display());
        }
        for plan in &plans {
            report(plan, &program, true);
            let name = plan
                .path
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            println!("\n----- proposed {name} -----");
            println!("{}", plan.merged.text.trim_end_matches('\n'));
            println!("----- end preview (nothing written; re-run without --dry-run to apply) -----");
        }
        return Ok(0);
    }
    if write_cfg {
        let (text, summary) = scaffold::render_config(&scaffold::detect_source_dirs(&target));
        init_io::write_atomic(&target, &cfg_path, &text)
            .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", cfg_path.display())))?;
        println!("wrote {}", cfg_path.display());
        println!("{summary}");
    }
    for (i, plan) in plans.iter().enumerate() {
        let same_file = |p: &&Plan| p.path == plan.path;
        let first_for_file = !plans[..i].iter().any(|p| same_file(&p));
        if first_for_file && plans.iter().filter(same_file).any(|p| p.merged.changed) {
            let last = plans.iter().rfind(same_file).unwrap_or(plan);
            init_io::write_atomic(&target, &plan.path, &last.merged.text)
                .map_err(|e| CliError::Failed(format!("dos init --hooks {}: {e}", plan.spec.runtime)))?;
        }
        report(plan, &program, false);
    }
    println!(
        "DOS workspace initialised. Try:  dos doctor --workspace {}",
        args.dir.display()
    );
    Ok(0)
}
