//! `dos decisions`: list the pending operator decisions, or show one.

use super::CliError;
use crate::decisions::render::{render_detail_plain, render_list_plain};
use crate::decisions::{collect, Decision, Layout, QueueConfig};
use dos_py::dumps::{dumps, Style};
use dos_py::repr::str_repr as py_repr;
use serde_json::Value;
use std::path::PathBuf;

/// The flags that pick a workspace and its layout (shared with `dos notify`).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct WorkspaceFlags {
    /// Workspace root (default: $DISPATCH_WORKSPACE or the current directory).
    #[arg(long)]
    pub workspace: Option<PathBuf>,
    /// Host policy driver (`job`, `workshop`: the reference `docs/` layout).
    #[arg(long, value_name = "NAME")]
    pub driver: Option<String>,
    /// Alias for `--driver job`.
    #[arg(long)]
    pub job: bool,
}

impl WorkspaceFlags {
    /// Open the workspace and read the queue configuration, printing any
    /// `dos.toml` warnings to stderr.
    pub(crate) fn queue_config(
        &self,
        top: Option<&PathBuf>,
    ) -> Result<(crate::workspace::Workspace, QueueConfig), CliError> {
        let layout = Layout::from_flags(self.driver.as_deref(), self.job)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        let ws = super::workspace(top, self.workspace.as_ref())?;
        let cfg = QueueConfig::for_workspace(&ws, layout);
        for w in &cfg.warnings {
            eprintln!("{w}");
        }
        Ok((ws, cfg))
    }
}

/// Arguments of `dos decisions`.
#[derive(Debug, clap::Args)]
pub(crate) struct DecisionsArgs {
    #[command(flatten)]
    /// Workspace selection.
    pub ws: WorkspaceFlags,
    /// Include ORACLE/JUDGE/BACKPRESSURE-routed rows (default: HUMAN only).
    #[arg(long)]
    pub all: bool,
    /// Print the plain list (the interactive view is not built; this is the default).
    #[arg(long)]
    pub no_tui: bool,
    /// Print the queue as a JSON array (wins over `show N`).
    #[arg(long)]
    pub json: bool,
    /// Renderer: text (default), plain, json.
    #[arg(long, value_name = "NAME")]
    pub output: Option<String>,
    /// `[show] N`: print the detail page of decision N (1-based).
    #[arg(value_name = "[show] N", allow_negative_numbers = true)]
    pub target: Vec<String>,
}

/// The renderers `--output` accepts.
pub(crate) const RENDERERS: [&str; 3] = ["text", "json", "plain"];

/// Parse the drill-in target: `show` words are dropped; the first remaining
/// token must be an integer. `Ok(None)` when there is none.
pub(crate) fn parse_target(tokens: &[String]) -> Result<Option<i128>, String> {
    let Some(first) = tokens.iter().find(|t| t.to_lowercase() != "show") else {
        return Ok(None);
    };
    let digits = first.trim();
    let digits = digits.strip_prefix('+').unwrap_or(digits);
    digits
        .parse::<i128>()
        .map(Some)
        .map_err(|_| format!("expected a decision number, got {}", py_repr(first)))
}

fn json_array(rows: &[Decision]) -> String {
    dumps(
        &Value::Array(rows.iter().map(Decision::to_json).collect()),
        Style::PRETTY,
    )
}

/// Run `dos decisions`.
pub(crate) fn run(top: Option<&PathBuf>, args: &DecisionsArgs) -> Result<i32, CliError> {
    let (_ws, cfg) = args.ws.queue_config(top)?;
    let resolver = if args.all { None } else { Some("HUMAN") };
    let rows = collect(&cfg, resolver, dos_py::time::now_micros());
    let target = match parse_target(&args.target) {
        Ok(t) => t,
        Err(msg) => {
            eprintln!("{msg}");
            return Ok(2);
        }
    };
    if args.json && args.output.is_none() {
        println!("{}", json_array(&rows));
        return Ok(0);
    }
    if let Some(n) = target {
        if rows.is_empty() {
            eprintln!("no pending decisions");
            return Ok(1);
        }
        if n < 1 || n > rows.len() as i128 {
            eprintln!("decision #{n} out of range (1..{})", rows.len());
            return Ok(2);
        }
        println!("{}", render_detail_plain(&rows[(n - 1) as usize], &cfg.reasons));
        return Ok(0);
    }
    // The interactive view is out of scope: a terminal gets the plain list too
    // (the reference's own fallback when curses is unavailable).
    match args.output.as_deref().unwrap_or("text") {
        "text" | "plain" => println!("{}", render_list_plain(&rows)),
        "json" => println!("{}", json_array(&rows)),
        other => {
            eprintln!(
                "error: unknown renderer {}; known: {}",
                py_repr(other),
                RENDERERS.join(", ")
            );
            return Ok(2);
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_parsing() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(parse_target(&s(&[])), Ok(None));
        assert_eq!(parse_target(&s(&["SHOW", "2", "junk"])), Ok(Some(2)));
        assert_eq!(parse_target(&s(&["show"])), Ok(None));
        assert_eq!(parse_target(&s(&["-1"])), Ok(Some(-1)));
        assert_eq!(
            parse_target(&s(&["abc"])),
            Err("expected a decision number, got 'abc'".to_string())
        );
    }
}
