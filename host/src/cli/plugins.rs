//! `dos plugins`: what every group resolves to and why; `dos plugins check
//! FILE`: whether one file loads (tried in a child process, so a file whose
//! load-time code crashes is reported, not fatal), and what it provides;
//! `dos plugins reset NAME`: lift a plugin's quarantine; `dos plugins new
//! NAME --group GROUP`: write a ready plugin crate.

mod construct;
mod new;
mod unused;

use super::CliError;
use crate::plugin_host::{builtins, isolate, loader, precheck, quarantine, Inventory, PluginHost};
use dos_plugin_api::Group;
use dos_py::dumps::{dumps, Style};
use serde_json::{json, Value};
use std::path::PathBuf;

/// Arguments of `dos plugins`.
#[derive(Debug, clap::Args)]
pub(crate) struct PluginsArgs {
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
pub(crate) enum PluginsAction {
    /// Load FILE and report what it provides, or exactly why it cannot load (exit 0 / 1).
    Check {
        /// The plugin file.
        file: PathBuf,
        /// Also construct every driver it declares with the workspace's
        /// dos.toml table and report constructor errors (exit 1 on any).
        #[arg(long)]
        construct: bool,
        /// The workspace whose dos.toml configures the drivers (with --construct).
        #[arg(long = "workspace", value_name = "DIR")]
        check_workspace: Option<PathBuf>,
    },
    /// Write a ready plugin crate: Cargo.toml, src/lib.rs with the group's trait
    /// implemented and registered, a typed config, tests, and a README.
    New {
        /// The crate and driver name (`teams`).
        name: String,
        /// exporters, notifiers, stop_policies, judges, evidence_sources, or
        /// another snake_case group for the generic channel.
        #[arg(long)]
        group: String,
        /// Where to create the crate (default: ./NAME).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// The dos-plugin-api directory to depend on by path (default: this
        /// dos checkout's plugin-api when it still exists, else the published crate).
        #[arg(long = "api-path")]
        api_path: Option<PathBuf>,
    },
    /// Clear the crash record of a quarantined plugin (file name, path or plugin name).
    Reset {
        /// The plugin file name (`libdos_judge_llm.so`), its path, or its plugin name.
        name: String,
    },
}

/// Arguments of the hidden `dos __plugin-worker FILE`.
#[derive(Debug, clap::Args)]
pub(crate) struct WorkerArgs {
    /// The plugin file to serve.
    pub file: PathBuf,
}

/// Run the plugin worker (stdin/stdout are the protocol pipe).
pub(crate) fn worker(args: &WorkerArgs) -> Result<i32, CliError> {
    isolate::worker::serve(&args.file).map_err(|e| CliError::Failed(e.to_string()))
}

/// How long `dos plugins check` lets a file take to load.
const CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Run `dos plugins`.
pub(crate) fn run(top_ws: Option<&PathBuf>, args: &PluginsArgs) -> Result<i32, CliError> {
    if let Some(PluginsAction::Check {
        file,
        construct,
        check_workspace,
    }) = &args.action
    {
        let ws = match construct {
            true => Some(super::workspace(
                top_ws,
                check_workspace.as_ref().or(args.workspace.as_ref()),
            )?),
            false => None,
        };
        return check(file, args.json, ws.as_ref());
    }
    if let Some(PluginsAction::New {
        name,
        group,
        dir,
        api_path,
    }) = &args.action
    {
        return scaffold(name, group, dir.as_deref(), api_path.as_deref());
    }
    let ws = super::workspace(top_ws, args.workspace.as_ref())?;
    if let Some(PluginsAction::Reset { name }) = &args.action {
        return reset(&ws.state_dir, name, args.json);
    }
    let host = PluginHost::for_workspace(&ws, false)?;
    let inv = host.inventory();
    let mut report = report_json(&host, inv);
    let unused = unused_tables(&host, &ws)?;
    if let Some(map) = report.as_object_mut() {
        map.insert(
            "unused_tables".into(),
            Value::Array(
                unused
                    .iter()
                    .map(|u| json!({"group": u.group, "name": u.name, "nearest": u.nearest, "message": u.message()}))
                    .collect(),
            ),
        );
    }
    if args.json {
        println!("{}", dumps(&report, Style::PRETTY));
    } else {
        print!("{}", render_text(&report));
        for u in &unused {
            eprintln!("warning: {}", u.message());
        }
    }
    Ok(0)
}

/// The `[group.name]` tables in dos.toml that no built-in or loaded plugin provides.
fn unused_tables(
    host: &PluginHost,
    ws: &crate::workspace::Workspace,
) -> Result<Vec<unused::Unused>, CliError> {
    let mut out = Vec::new();
    for group in Group::ALL {
        let Some(table) = ws.config.table(group.key())? else {
            continue;
        };
        let names: Vec<String> = table
            .iter()
            .filter(|(_, v)| v.is_table())
            .map(|(k, _)| k.clone())
            .collect();
        out.extend(unused::unused(
            group.key(),
            group.noun(),
            &names,
            &host.known_names(group),
        ));
    }
    Ok(out)
}

fn scaffold(
    name: &str,
    group: &str,
    dir: Option<&std::path::Path>,
    api_path: Option<&std::path::Path>,
) -> Result<i32, CliError> {
    new::validate(name, group).map_err(|e| CliError::Usage(e.to_string()))?;
    let api = match api_path {
        Some(p) => {
            let abs = std::fs::canonicalize(p)
                .map_err(|e| CliError::Usage(format!("--api-path {}: {e}", p.display())))?;
            if !abs.join("Cargo.toml").is_file() {
                return Err(CliError::Usage(format!(
                    "--api-path {}: no Cargo.toml there (point it at dos's plugin-api directory)",
                    p.display()
                )));
            }
            new::ApiSource::Path(abs)
        }
        None => new::ApiSource::default_for_this_build(),
    };
    let dir = dir.map(PathBuf::from).unwrap_or_else(|| PathBuf::from(name));
    let files = new::render(&new::Spec {
        name: name.to_string(),
        group: group.to_string(),
        api: api.clone(),
    });
    new::write(&dir, &files).map_err(|e| CliError::Failed(e.to_string()))?;
    println!("created {} ({group}/{name})", dir.display());
    for (path, _) in &files {
        println!("  {}", dir.join(path).display());
    }
    if api == new::ApiSource::Registry {
        println!("note: depends on dos-plugin-api = \"1\" from crates.io; pass --api-path to use a checkout");
    }
    println!(
        "next: cd {} && cargo test && cargo build --release",
        dir.display()
    );
    Ok(0)
}

fn reset(state_dir: &std::path::Path, name: &str, as_json: bool) -> Result<i32, CliError> {
    let mut book = quarantine::Book::load(state_dir).map_err(CliError::Failed)?;
    let removed = book.reset(name);
    if removed.is_empty() {
        let known: Vec<String> = book.plugins.keys().map(|p| quarantine::reset_name(p)).collect();
        let known = if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        };
        return Err(CliError::Failed(format!(
            "no crash record matches '{name}' (plugins with crash records: {known})"
        )));
    }
    book.save(state_dir).map_err(|e| {
        CliError::Failed(format!(
            "cannot write {}: {e}",
            quarantine::book_path(state_dir).display()
        ))
    })?;
    if as_json {
        let v = json!({"reset": removed.iter().map(|(p, r)| json!({"path": p, "plugin": r.plugin, "crashes": r.crashes})).collect::<Vec<_>>()});
        println!("{}", dumps(&v, Style::PRETTY));
    } else {
        for (path, rec) in &removed {
            println!(
                "reset: {path} ({} crash(es) cleared; it will be loaded again)",
                rec.crashes
            );
        }
    }
    Ok(0)
}

/// Why `file` is an rlib (a Rust static library) rather than a loadable
/// plugin — or is missing while its crate's rlib sits next to it — or `None`.
/// An rlib starts with the `ar` archive magic.
fn rlib_hint(file: &std::path::Path) -> Option<String> {
    let named = file.extension().is_some_and(|e| e == "rlib")
        || (!file.exists() && file.with_extension("rlib").is_file());
    let mut magic = [0u8; 8];
    let is_archive = std::fs::File::open(file)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok_and(|()| &magic == b"!<arch>\n");
    (named || is_archive).then(|| {
        "the crate was built as a Rust library archive (rlib), which cannot be loaded: build the \
         plugin as a shared library with `crate-type = [\"cdylib\"]` under [lib] in its Cargo.toml"
            .to_string()
    })
}

fn check(
    file: &std::path::Path,
    as_json: bool,
    ws: Option<&crate::workspace::Workspace>,
) -> Result<i32, CliError> {
    // In a child process when this executable can serve as the worker; the
    // in-process load is only the fallback for embedding binaries.
    let outcome = match isolate::default_worker_program() {
        Some(program) if file.exists() => precheck::check_one(&program, file, Some(CHECK_TIMEOUT)),
        _ => loader::load(file).map(|p| p.manifest.clone()).map_err(|e| e.0),
    };
    let outcome = outcome.map_err(|e| match rlib_hint(file) {
        Some(hint) => format!("{e}; {hint}"),
        None => e,
    });
    let manifest = match outcome {
        Ok(manifest) => manifest,
        Err(e) => {
            if as_json {
                let v = json!({"ok": false, "path": file.display().to_string(), "error": e});
                println!("{}", dumps(&v, Style::PRETTY));
            } else {
                eprintln!("error: cannot load {}: {}", file.display(), e);
            }
            return Ok(1);
        }
    };
    // The child proved the file loads; constructing needs it in this process.
    let built = match ws {
        Some(ws) => {
            let host = PluginHost::for_workspace(ws, false)?;
            let plugin = loader::load(file)
                .map_err(|e| CliError::Failed(format!("cannot load {}: {e}", file.display())))?;
            Some(construct::construct_all(&plugin, &host, ws))
        }
        None => None,
    };
    let failed = built.iter().flatten().filter(|b| b.error.is_some()).count();
    if as_json {
        let mut v = json!({"ok": failed == 0, "path": file.display().to_string(), "manifest": manifest});
        if let (Some(built), Some(map)) = (&built, v.as_object_mut()) {
            map.insert(
                "constructed".into(),
                Value::Array(
                    built
                        .iter()
                        .map(|b| json!({"group": b.group, "name": b.name, "table": b.has_table, "ok": b.error.is_none(), "error": b.error}))
                        .collect(),
                ),
            );
        }
        println!("{}", dumps(&v, Style::PRETTY));
    } else {
        println!("ok: {}", file.display());
        println!("  plugin    {} {}", manifest.name, manifest.version);
        println!("  api       {}", manifest.api_version);
        for d in &manifest.drivers {
            println!("  provides  {}/{}", d.group, d.name);
        }
        for b in built.iter().flatten() {
            let table = if b.has_table {
                format!("with dos.toml [{}.{}]", b.group, b.name)
            } else {
                "no dos.toml table".to_string()
            };
            match &b.error {
                None => println!("  builds    {}/{} ({table})", b.group, b.name),
                Some(e) => eprintln!("error: {}/{} ({table}): {e}", b.group, b.name),
            }
        }
    }
    Ok(i32::from(failed > 0))
}

/// The `--json` report (also the source of the text rendering).
pub(crate) fn report_json(host: &PluginHost, inv: &Inventory) -> Value {
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
            "path": f.path.display().to_string(),
            "reason": match rlib_hint(&f.path) {
                Some(hint) => format!("{}; {hint}", f.reason),
                None => f.reason.clone(),
            },
            "quarantined": f.quarantined,
        })).collect::<Vec<_>>(),
        "isolated": inv.plugins.iter().filter(|p| host.is_isolated(p)).map(|p| p.path.display().to_string()).collect::<Vec<_>>(),
        "notes": inv.notes,
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
