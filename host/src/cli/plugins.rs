//! `dos plugins`: what every group resolves to and why; `dos plugins check
//! FILE`: whether one file loads, and what it provides.

use super::CliError;
use crate::plugin_host::{builtins, loader, Inventory, PluginHost};
use crate::pyjson::{dumps, Style};
use dos_plugin_api::Group;
use serde_json::{json, Value};
use std::path::PathBuf;

/// Arguments of `dos plugins`.
#[derive(Debug, clap::Args)]
pub struct PluginsArgs {
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Workspace root.
    #[arg(long)]
    pub workspace: Option<PathBuf>,
    /// `check FILE`: load one plugin file and report.
    #[command(subcommand)]
    pub action: Option<PluginsAction>,
}

/// Sub-actions of `dos plugins`.
#[derive(Debug, clap::Subcommand)]
pub enum PluginsAction {
    /// Load FILE and report what it provides, or exactly why it cannot load (exit 0 / 1).
    Check {
        /// The plugin file.
        file: PathBuf,
    },
}

/// Run `dos plugins`.
pub fn run(top_ws: Option<&PathBuf>, args: &PluginsArgs) -> Result<i32, CliError> {
    if let Some(PluginsAction::Check { file }) = &args.action {
        return Ok(check(file, args.json));
    }
    let ws = super::workspace(top_ws, args.workspace.as_ref())?;
    let host = PluginHost::for_workspace(&ws, false)?;
    let inv = host.inventory();
    let report = report_json(&host, inv);
    if args.json {
        println!("{}", dumps(&report, Style::PRETTY));
    } else {
        print!("{}", render_text(&report));
    }
    Ok(0)
}

fn check(file: &std::path::Path, as_json: bool) -> i32 {
    match loader::load(file) {
        Ok(p) => {
            if as_json {
                let v = json!({"ok": true, "path": p.path.display().to_string(), "manifest": p.manifest});
                println!("{}", dumps(&v, Style::PRETTY));
            } else {
                println!("ok: {}", p.path.display());
                println!("  plugin    {} {}", p.manifest.name, p.manifest.version);
                println!("  api       {}", p.manifest.api_version);
                for d in &p.manifest.drivers {
                    println!("  provides  {}/{}", d.group, d.name);
                }
            }
            0
        }
        Err(e) => {
            if as_json {
                let v = json!({"ok": false, "path": file.display().to_string(), "error": e.0});
                println!("{}", dumps(&v, Style::PRETTY));
            } else {
                eprintln!("error: cannot load {}: {}", file.display(), e.0);
            }
            1
        }
    }
}

/// The `--json` report (also the source of the text rendering).
pub fn report_json(host: &PluginHost, inv: &Inventory) -> Value {
    let mut groups = serde_json::Map::new();
    for group in Group::ALL {
        let mut rows: Vec<Value> = builtins::names(group)
            .into_iter()
            .map(|n| json!({"name": n, "source": "built-in"}))
            .collect();
        for ((g, name), p) in &inv.providers {
            if *g == group {
                rows.push(json!({
                    "name": name,
                    "source": p.path.display().to_string(),
                    "plugin": p.manifest.name,
                    "plugin_version": p.manifest.version,
                    "api_version": p.manifest.api_version,
                }));
            }
        }
        rows.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        groups.insert(group.key().into(), Value::Array(rows));
    }
    json!({
        "call_timeout_ms": host.call_timeout().map(|d| d.as_millis() as u64),
        "groups": groups,
        "plugins": inv.plugins.iter().map(|p| json!({
            "path": p.path.display().to_string(),
            "name": p.manifest.name,
            "version": p.manifest.version,
            "api_version": p.manifest.api_version,
            "drivers": p.manifest.drivers,
        })).collect::<Vec<_>>(),
        "conflicts": inv.conflicts.iter().map(|c| json!({
            "group": c.group.key(), "name": c.name, "winner": c.winner,
            "ignored": c.ignored.display().to_string(),
        })).collect::<Vec<_>>(),
        "failures": inv.failures.iter().map(|f| json!({
            "path": f.path.display().to_string(), "reason": f.reason,
        })).collect::<Vec<_>>(),
    })
}

fn render_text(report: &Value) -> String {
    let mut out = String::new();
    let arr = |k: &str| report[k].as_array().cloned().unwrap_or_default();
    let (plugins, failures, conflicts) = (arr("plugins"), arr("failures"), arr("conflicts"));
    out.push_str(&format!(
        "# plugins · {} file(s) loaded · {} failed · {} conflict(s)\n",
        plugins.len(),
        failures.len(),
        conflicts.len()
    ));
    for group in Group::ALL {
        let rows = report["groups"][group.key()]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if rows.is_empty() {
            continue;
        }
        out.push_str(&format!("{}\n", group.key()));
        for r in rows {
            let name = r["name"].as_str().unwrap_or("");
            match r["source"].as_str() {
                Some("built-in") => out.push_str(&format!("  {name:<20} built-in\n")),
                Some(path) => out.push_str(&format!(
                    "  {name:<20} {} {} (api {})  {path}\n",
                    r["plugin"].as_str().unwrap_or(""),
                    r["plugin_version"].as_str().unwrap_or(""),
                    r["api_version"].as_str().unwrap_or("")
                )),
                None => {}
            }
        }
    }
    if !conflicts.is_empty() {
        out.push_str("conflicts\n");
        for c in conflicts {
            out.push_str(&format!(
                "  {}/{}: provided by {}; ignored in {}\n",
                c["group"].as_str().unwrap_or(""),
                c["name"].as_str().unwrap_or(""),
                c["winner"].as_str().unwrap_or(""),
                c["ignored"].as_str().unwrap_or("")
            ));
        }
    }
    if !failures.is_empty() {
        out.push_str("failed to load\n");
        for f in failures {
            out.push_str(&format!(
                "  {}: {}\n",
                f["path"].as_str().unwrap_or(""),
                f["reason"].as_str().unwrap_or("")
            ));
        }
    }
    out
}
