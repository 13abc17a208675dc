//! `dos verify PLAN PHASE`: the ship oracle's verdict — SHIPPED (exit 0) or
//! NOT_SHIPPED (exit 1) with the rung that answered — as text, JSON or a
//! plain sentence; recorded in the verdict journal when observation is armed.

use super::CliError;
use crate::journal::{record_if_armed, VerdictEvent};
use crate::oracle::{load_config_lenient, Base, Oracle, ShipVerdict};
use crate::workspace::{resolve_root, Workspace};
use dos_py::dumps::dumps;
use serde_json::Value;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Arguments of `dos verify`.
#[derive(Debug, clap::Args)]
pub(crate) struct VerifyArgs {
    /// The plan (series), e.g. AUTH.
    pub plan: String,
    /// The phase, e.g. AUTH2 or "Phase 6".
    pub phase: String,
    /// Workspace root (default: $DISPATCH_WORKSPACE, else the current directory).
    #[arg(long)]
    pub workspace: Option<PathBuf>,
    /// Convention driver (only `job` is built in).
    #[arg(long, value_name = "NAME")]
    pub driver: Option<String>,
    /// Use the reference app's (JOB) stamp convention and layout.
    #[arg(long)]
    pub job: bool,
    /// Print the verdict as one JSON line.
    #[arg(long)]
    pub json: bool,
    /// Skip the non-git CI rung (accepted; no CI rung is wired).
    #[arg(long)]
    pub no_ci: bool,
    /// Renderer: text, json or plain (overrides --json).
    #[arg(long, value_name = "NAME")]
    pub output: Option<String>,
    /// Add a one-line interpretation of the verdict.
    #[arg(long)]
    pub explain: bool,
}

/// Whether ANSI colour is on: `NO_COLOR` wins, then `DOS_COLOR`, then a TTY.
fn color_enabled() -> bool {
    if std::env::var_os("NO_COLOR").is_some() {
        return false;
    }
    match std::env::var("DOS_COLOR").map(|v| v.trim().to_ascii_lowercase()) {
        Ok(v) if v == "always" => true,
        Ok(v) if matches!(v.as_str(), "never" | "0" | "false") => false,
        _ => std::io::stdout().is_terminal(),
    }
}

/// Render `verdict` with the named renderer (`text`, `json`, `plain`).
pub(crate) fn render(
    verdict: &ShipVerdict,
    renderer: &str,
    explain: bool,
    color: bool,
) -> Result<String, CliError> {
    match renderer {
        "text" => {
            let mut out = verdict.to_text(color);
            if explain {
                out.push('\n');
                out.push_str(&verdict.interpretation());
            }
            Ok(out)
        }
        "json" => {
            let mut m = verdict.to_map();
            if explain {
                m.insert("interpretation".into(), Value::from(verdict.interpretation()));
            }
            Ok(dumps(&Value::Object(m), crate::oracle::verdict::JSON_LINE))
        }
        "plain" => {
            let mut out = verdict.to_plain();
            if explain {
                out.push('\n');
                out.push_str(&verdict.interpretation());
            }
            Ok(out)
        }
        other => Err(CliError::Usage(format!(
            "unknown renderer '{other}'; known: text, json, plain"
        ))),
    }
}

/// Run `dos verify`; returns 0 (shipped) or 1 (not shipped).
pub(crate) fn run(top_ws: Option<&PathBuf>, args: &VerifyArgs) -> Result<i32, CliError> {
    let base = Base::from_flags(args.driver.as_deref(), args.job).map_err(CliError::Usage)?;
    let renderer = args
        .output
        .clone()
        .unwrap_or_else(|| if args.json { "json" } else { "text" }.to_string());
    if !matches!(renderer.as_str(), "text" | "json" | "plain") {
        return Err(CliError::Usage(format!(
            "unknown renderer '{renderer}'; known: text, json, plain"
        )));
    }
    let root = resolve_root(args.workspace.as_ref().or(top_ws).map(PathBuf::as_path))?;
    let mut warnings = Vec::new();
    let config = load_config_lenient(&root, &mut warnings);
    let oracle = Oracle::new(&root, &config, base, &mut warnings);
    for w in &warnings {
        eprintln!("{w}");
    }
    let verdict = oracle.is_shipped(&args.plan, &args.phase);
    let mut event = VerdictEvent::new("verify", verdict.token());
    event.subject = format!("{}::{}", args.plan, args.phase);
    event
        .detail
        .insert("source".into(), Value::from(verdict.source.clone()));
    let ws = Workspace {
        state_dir: root.join(".dos"),
        root,
        config,
        layout: base.layout(),
    };
    record_if_armed(&ws, &event);
    let color = renderer == "text" && color_enabled();
    println!("{}", render(&verdict, &renderer, args.explain, color)?);
    Ok(if verdict.shipped { 0 } else { 1 })
}
