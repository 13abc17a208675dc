//! `dos doctor [--json]`: the workspace report — root, `dos.toml`, journals,
//! lanes, plugins, the hooks wired per runtime (and whether each wired
//! program exists), the binaries' versions, and the facts the reference's
//! `dos doctor` prints. Exit 0 when healthy, 1 when something is broken
//! (each reason listed), 2 when the workspace cannot be resolved.

use super::init_io;
use super::CliError;
use crate::hooks::install::{self, commands_under, is_dos_command, ConfigFormat, InstallSpec};
use crate::lanes::roster::Roster;
use crate::plugin_groups;
use crate::plugin_host::PluginHost;
use crate::workspace::Workspace;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// Arguments of `dos doctor`.
#[derive(Debug, clap::Args)]
pub(crate) struct DoctorArgs {
    /// Workspace root.
    #[arg(long)]
    pub workspace: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// One runtime's hooks as found in its config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuntimeHooks {
    /// The runtimes sharing this config file (`claude-code`, `claude-cowork`).
    pub runtimes: Vec<String>,
    /// The config file.
    pub path: PathBuf,
    /// The events DOS wires there, each with the DOS commands found on it.
    pub events: Vec<(String, Vec<String>)>,
    /// Why the file could not be read or parsed, if so.
    pub error: Option<String>,
}

/// What one wired program resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProgramCheck {
    /// The command's program word.
    pub program: String,
    /// Where it resolves (None: nowhere).
    pub resolved: Option<PathBuf>,
}

/// The first word of a command line (a quoted path unquoted).
fn program_word(cmd: &str) -> String {
    let cmd = cmd.trim_start();
    if let Some(rest) = cmd.strip_prefix('\'') {
        return rest.split('\'').next().unwrap_or("").to_string();
    }
    if let Some(rest) = cmd.strip_prefix('"') {
        return rest.split('"').next().unwrap_or("").to_string();
    }
    cmd.split_whitespace().next().unwrap_or("").to_string()
}

/// Resolve a program word as `sh` would: a path as is, a bare name on PATH.
pub(crate) fn resolve_program(word: &str, root: &Path) -> ProgramCheck {
    let resolved = if word.contains('/') {
        let p = if Path::new(word).is_absolute() {
            PathBuf::from(word)
        } else {
            root.join(word)
        };
        init_io::is_executable(&p).then_some(p)
    } else {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(word))
                .find(|c| init_io::is_executable(c))
        })
    };
    ProgramCheck {
        program: word.to_string(),
        resolved,
    }
}

/// The DOS commands on each of `spec`'s events in a parsed config (pure).
pub(crate) fn wired_events(spec: &InstallSpec, doc: &Value) -> Vec<(String, Vec<String>)> {
    let mut events: Vec<String> = Vec::new();
    for e in spec
        .pre_events
        .iter()
        .chain(&spec.post_events)
        .chain(&spec.stop_events)
    {
        if !events.contains(e) {
            events.push(e.clone());
        }
    }
    events
        .into_iter()
        .map(|e| {
            let mut cmds = Vec::new();
            commands_under(&doc["hooks"][e.as_str()], &mut cmds);
            cmds.retain(|c| is_dos_command(c));
            (e, cmds)
        })
        .collect()
}

/// Read and inspect the config of `spec` under `root` (`None`: no file).
fn inspect(root: &Path, spec: &InstallSpec) -> Option<RuntimeHooks> {
    let path = root.join(spec.config_path.join("/"));
    let mut found = RuntimeHooks {
        runtimes: vec![spec.runtime.clone()],
        path: path.clone(),
        events: Vec::new(),
        error: None,
    };
    let text = match init_io::resolve_inside(root, &spec.config_path).and_then(|p| init_io::read_text(&p)) {
        Ok(Some(t)) => t,
        Ok(None) => return None,
        Err(e) => {
            found.error = Some(e.to_string());
            return Some(found);
        }
    };
    let doc = match spec.format {
        ConfigFormat::Json => {
            serde_json::from_str::<Value>(&text).map_err(|e| format!("not valid JSON: {e}"))
        }
        ConfigFormat::Toml => text
            .parse::<toml::Table>()
            .map_err(|e| format!("not valid TOML: {}", e.to_string().trim_end().replace('\n', " ")))
            .and_then(|t| serde_json::to_value(t).map_err(|e| e.to_string())),
    };
    match doc {
        Ok(doc) => found.events = wired_events(spec, &doc),
        Err(e) => found.error = Some(e),
    }
    Some(found)
}

/// The problems (broken) a runtime's wiring shows (pure over the facts).
pub(crate) fn runtime_problems(hooks: &RuntimeHooks, check: &dyn Fn(&str) -> ProgramCheck) -> Vec<String> {
    let name = hooks.runtimes.join("/");
    let path = hooks.path.display();
    if let Some(e) = &hooks.error {
        return vec![format!("{name}: {path} is unreadable: {e}")];
    }
    let wired = hooks.events.iter().filter(|(_, c)| !c.is_empty()).count();
    let mut problems = Vec::new();
    if wired > 0 && wired < hooks.events.len() {
        let missing: Vec<&str> = hooks
            .events
            .iter()
            .filter(|(_, c)| c.is_empty())
            .map(|(e, _)| e.as_str())
            .collect();
        problems.push(format!(
            "{name}: {path} wires DOS on only {wired} of {} events (missing: {}); run `dos init --force --hooks {}`",
            hooks.events.len(),
            missing.join(", "),
            hooks.runtimes[0]
        ));
    }
    let mut seen: Vec<String> = Vec::new();
    for cmd in hooks.events.iter().flat_map(|(_, c)| c) {
        let word = program_word(cmd);
        if seen.contains(&word) {
            continue;
        }
        seen.push(word.clone());
        if check(&word).resolved.is_none() {
            problems.push(format!(
                "{name}: {path} runs `{word}`, which does not exist (or is not on PATH)"
            ));
        }
    }
    problems
}

fn file_fact(path: &Path) -> Value {
    match std::fs::metadata(path) {
        Ok(m) => json!({"path": path.display().to_string(), "exists": true, "bytes": m.len()}),
        Err(_) => json!({"path": path.display().to_string(), "exists": false, "bytes": 0}),
    }
}

/// `dos-hook --version`, bounded to a few seconds.
fn hook_binary_version(path: &Path) -> Option<String> {
    let mut child = std::process::Command::new(path)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let mut out = String::new();
    use std::io::Read;
    child.stdout.take()?.take(4096).read_to_string(&mut out).ok()?;
    Some(out.trim().to_string())
}

/// Every runtime (built-in, then plugin installers), one entry per config
/// file (runtimes sharing a file merged); a plugin installer that fails is
/// a warning.
fn runtime_reports(root: &Path, warnings: &mut Vec<String>) -> Vec<RuntimeHooks> {
    let mut specs: Vec<InstallSpec> = install::BUILTIN_RUNTIMES
        .iter()
        .filter_map(|n| install::builtin(n))
        .collect();
    for name in plugin_groups::plugin_installer_names(root) {
        match plugin_groups::plugin_installer(root, &name) {
            Ok(spec) => specs.push(spec),
            Err(e) => warnings.push(e.to_string()),
        }
    }
    let mut out: Vec<RuntimeHooks> = Vec::new();
    for spec in specs {
        let Some(found) = inspect(root, &spec) else {
            continue;
        };
        match out
            .iter_mut()
            .find(|r| r.path == found.path && r.events == found.events)
        {
            Some(r) => r.runtimes.push(spec.runtime.clone()),
            None => out.push(found),
        }
    }
    out
}

/// Gather the report (JSON) and its problems.
fn gather(root: &Path) -> (Value, Vec<String>, Vec<String>) {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let cfg_path = root.join("dos.toml");
    let mut report = Map::new();
    report.insert("dos_version".into(), Value::from(env!("CARGO_PKG_VERSION")));
    report.insert("workspace_root".into(), Value::from(root.display().to_string()));
    report.insert("is_git_workspace".into(), Value::Bool(root.join(".git").exists()));
    let exe = std::env::current_exe().ok();
    report.insert(
        "dos_exe".into(),
        Value::from(exe.as_ref().map(|p| p.display().to_string())),
    );
    let hook_bin = match super::init::per_call_program() {
        install::PerCallProgram::Native(p) => {
            json!({"path": p.display().to_string(), "version": hook_binary_version(&p)})
        }
        install::PerCallProgram::DosHook => Value::Null,
    };
    report.insert("dos_hook".into(), hook_bin);

    let ws = match Workspace::open(root.to_path_buf()) {
        Ok(ws) => {
            report.insert(
                "config".into(),
                json!({"path": cfg_path.display().to_string(), "found": cfg_path.exists(), "valid": true}),
            );
            if !cfg_path.exists() {
                warnings.push(format!(
                    "no dos.toml at {} — the defaults are in force (run `dos init`)",
                    root.display()
                ));
            }
            Some(ws)
        }
        Err(e) => {
            report.insert(
                "config".into(),
                json!({"path": cfg_path.display().to_string(), "found": true, "valid": false, "error": e.to_string()}),
            );
            problems.push(format!("dos.toml is invalid: {e}"));
            None
        }
    };
    if let Some(ws) = &ws {
        let plans = ws
            .config
            .string("paths", "plans_glob")
            .ok()
            .flatten()
            .unwrap_or("docs/**/*-plan.md");
        report.insert("plans_glob".into(), Value::from(plans));
        let dirs = ws
            .config
            .strings("stamp", "subject_dirs")
            .ok()
            .flatten()
            .unwrap_or_default();
        let style = ws
            .config
            .string("stamp", "style")
            .ok()
            .flatten()
            .unwrap_or("grep");
        report.insert("stamp".into(), json!({"style": style, "subject_dirs": dirs}));
        match Roster::from_workspace(ws) {
            Ok(r) => {
                report.insert(
                    "lanes".into(),
                    json!({"concurrent": r.concurrent, "exclusive": r.exclusive, "autopick": r.autopick}),
                );
            }
            Err(e) => problems.push(format!("[lanes] is invalid: {}", e.0)),
        }
        let lane = crate::lanes::journal::lane_journal_path(ws);
        let verdict = ws
            .verdict_journal()
            .unwrap_or_else(|_| ws.state_dir.join("verdict-journal.jsonl"));
        report.insert(
            "journals".into(),
            json!({"lane": file_fact(&lane), "verdict": file_fact(&verdict)}),
        );
        match PluginHost::for_workspace(ws, false) {
            Ok(host) => {
                let inv = host.inventory();
                let (quarantined, failed): (Vec<_>, Vec<_>) =
                    inv.failures.iter().partition(|f| f.quarantined);
                for f in &failed {
                    warnings.push(format!(
                        "plugin {} failed to load: {}",
                        f.path.display(),
                        f.reason
                    ));
                }
                for f in &quarantined {
                    warnings.push(format!(
                        "plugin {} is quarantined: {}",
                        f.path.display(),
                        f.reason
                    ));
                }
                warnings.extend(inv.notes.iter().cloned());
                for c in &inv.conflicts {
                    warnings.push(format!(
                        "{} {} is provided by {}; the claim in {} is ignored",
                        c.group.noun(),
                        dos_py::repr::str_repr(&c.name),
                        c.winner,
                        c.ignored.display()
                    ));
                }
                report.insert(
                    "plugins".into(),
                    json!({
                        "loaded": inv.plugins.iter().map(|p| json!({"path": p.path.display().to_string(), "name": p.manifest.name, "version": p.manifest.version})).collect::<Vec<_>>(),
                        "failed": failed.iter().map(|f| json!({"path": f.path.display().to_string(), "reason": f.reason})).collect::<Vec<_>>(),
                        "quarantined": quarantined.iter().map(|f| json!({"path": f.path.display().to_string(), "reason": f.reason})).collect::<Vec<_>>(),
                    }),
                );
            }
            Err(e) => problems.push(format!("the plugin host cannot start: {e}")),
        }
    }

    let check = |w: &str| resolve_program(w, root);
    let mut hooks = Vec::new();
    for r in runtime_reports(root, &mut warnings) {
        problems.extend(runtime_problems(&r, &check));
        let programs: Vec<Value> = {
            let mut words: Vec<String> = r
                .events
                .iter()
                .flat_map(|(_, c)| c.iter().map(|c| program_word(c)))
                .collect();
            words.dedup();
            words.sort();
            words.dedup();
            words
                .iter()
                .map(|w| {
                    let c = check(w);
                    json!({"program": c.program, "resolved": c.resolved.map(|p| p.display().to_string())})
                })
                .collect()
        };
        hooks.push(json!({
            "runtimes": r.runtimes,
            "config": r.path.display().to_string(),
            "wired": r.events.iter().filter(|(_, c)| !c.is_empty()).map(|(e, _)| e.clone()).collect::<Vec<_>>(),
            "events": r.events.len(),
            "programs": programs,
            "error": r.error,
        }));
    }
    report.insert("runtime_hooks".into(), Value::Array(hooks));
    report.insert("exit_codes".into(), exit_code_table());
    report.insert("healthy".into(), Value::Bool(problems.is_empty()));
    report.insert("problems".into(), json!(problems));
    report.insert("warnings".into(), json!(warnings));
    (Value::Object(report), problems, warnings)
}

fn exit_code_table() -> Value {
    serde_json::from_str(&super::exit_codes::render_json(super::exit_codes::CONTRACTS)).unwrap_or(Value::Null)
}

fn list(v: &Value) -> String {
    let items: Vec<String> = v
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect();
    if items.is_empty() {
        "(none)".into()
    } else {
        items.join(", ")
    }
}

/// The text report (the reference's label column, then ours).
pub(crate) fn render_text(r: &Value) -> String {
    let mut out = format!("DOS (rust) v{}\n", r["dos_version"].as_str().unwrap_or(""));
    let mut line = |label: &str, value: String| out.push_str(&format!("{label:<19} {value}\n"));
    line(
        "workspace root",
        r["workspace_root"].as_str().unwrap_or("").into(),
    );
    let cfg = &r["config"];
    line(
        "dos.toml",
        match (cfg["found"].as_bool(), cfg["valid"].as_bool()) {
            (_, Some(false)) => format!("INVALID — {}", cfg["error"].as_str().unwrap_or("")),
            (Some(true), _) => format!("{} (valid)", cfg["path"].as_str().unwrap_or("")),
            _ => "(none — defaults in force)".into(),
        },
    );
    if let Some(p) = r["plans_glob"].as_str() {
        line("plans glob", p.into());
    }
    if r["stamp"].is_object() {
        let dirs = list(&r["stamp"]["subject_dirs"]);
        let conv = if dirs == "(none)" {
            "generic (any/no dir prefix)".to_string()
        } else {
            format!("dirs: {dirs}")
        };
        line(
            "stamp convention",
            format!(
                "{conv}  [style={}]",
                r["stamp"]["style"].as_str().unwrap_or("grep")
            ),
        );
    }
    if r["lanes"].is_object() {
        line("concurrent lanes", list(&r["lanes"]["concurrent"]));
        line("exclusive lanes", list(&r["lanes"]["exclusive"]));
        line("autopick ladder", list(&r["lanes"]["autopick"]));
    }
    line(
        "is git workspace",
        if r["is_git_workspace"] == true {
            "yes"
        } else {
            "no"
        }
        .into(),
    );
    let hooks = r["runtime_hooks"].as_array().cloned().unwrap_or_default();
    let summary: Vec<String> = hooks
        .iter()
        .filter(|h| h["wired"].as_array().is_some_and(|w| !w.is_empty()))
        .flat_map(|h| {
            let n = h["wired"].as_array().map_or(0, Vec::len);
            h["runtimes"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |rt| format!("{} ({n})", rt.as_str().unwrap_or("")))
        })
        .collect();
    line(
        "runtime hooks",
        if summary.is_empty() {
            "(none wired)".into()
        } else {
            summary.join(", ")
        },
    );
    for h in &hooks {
        let programs: Vec<String> = h["programs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                let program = p["program"].as_str().unwrap_or("");
                match p["resolved"].as_str() {
                    Some(at) if at == program => format!("{program} ok"),
                    Some(at) => format!("{program} → {at}"),
                    None => format!("{program} MISSING"),
                }
            })
            .collect();
        let wired = list(&h["wired"]);
        line(
            &format!("  {}", list(&h["runtimes"]).replace(", ", "/")),
            format!(
                "{}: {wired}{}",
                h["config"].as_str().unwrap_or(""),
                if programs.is_empty() {
                    String::new()
                } else {
                    format!("  [{}]", programs.join("; "))
                }
            ),
        );
    }
    for (label, key) in [("lane journal", "lane"), ("verdict journal", "verdict")] {
        let j = &r["journals"][key];
        if j.is_object() {
            let state = if j["exists"] == true {
                format!("{} bytes", j["bytes"])
            } else {
                "absent".into()
            };
            line(label, format!("{}  ({state})", j["path"].as_str().unwrap_or("")));
        }
    }
    if r["plugins"].is_object() {
        let n = |k: &str| r["plugins"][k].as_array().map_or(0, Vec::len);
        line(
            "plugins",
            format!(
                "{} loaded, {} failed, {} quarantined",
                n("loaded"),
                n("failed"),
                n("quarantined")
            ),
        );
    }
    line("dos", r["dos_exe"].as_str().unwrap_or("(unknown)").into());
    line(
        "dos-hook",
        match r["dos_hook"]["path"].as_str() {
            Some(p) => format!(
                "{p}  ({})",
                r["dos_hook"]["version"].as_str().unwrap_or("version unknown")
            ),
            None => "(not found — hooks fall back to `dos hook VERB`)".into(),
        },
    );
    line("layout style", "dos".into());
    for w in r["warnings"].as_array().into_iter().flatten() {
        out.push_str(&format!("warning: {}\n", w.as_str().unwrap_or("")));
    }
    let problems = r["problems"].as_array().cloned().unwrap_or_default();
    if problems.is_empty() {
        out.push_str("healthy\n");
    } else {
        for p in &problems {
            out.push_str(&format!("BROKEN: {}\n", p.as_str().unwrap_or("")));
        }
    }
    out
}

/// Run `dos doctor`: exit 0 healthy, 1 broken.
pub(crate) fn run(top_ws: Option<&PathBuf>, args: &DoctorArgs) -> Result<i32, CliError> {
    let flag = args.workspace.as_ref().or(top_ws);
    let root = crate::workspace::resolve_root(flag.map(PathBuf::as_path))?;
    let (report, problems, _) = gather(&root);
    if args.json {
        println!(
            "{}",
            dos_py::dumps::dumps(
                &report,
                dos_py::dumps::Style {
                    sort_keys: true,
                    ..dos_py::dumps::Style::DEFAULT
                }
            )
        );
    } else {
        print!("{}", render_text(&report));
    }
    Ok(if problems.is_empty() { 0 } else { 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hooks(events: &[(&str, &[&str])]) -> RuntimeHooks {
        RuntimeHooks {
            runtimes: vec!["claude-code".into()],
            path: "/w/.claude/settings.json".into(),
            events: events
                .iter()
                .map(|(e, c)| (e.to_string(), c.iter().map(|s| s.to_string()).collect()))
                .collect(),
            error: None,
        }
    }

    #[test]
    fn runtime_problem_table() {
        let exists = |w: &str| ProgramCheck {
            program: w.into(),
            resolved: (w != "/gone/dos-hook").then(|| PathBuf::from("/bin/x")),
        };
        let full = [
            ("PreToolUse", &["/x/dos-hook pretool"][..]),
            ("Stop", &["dos hook stop"][..]),
        ];
        assert!(runtime_problems(&hooks(&full), &exists).is_empty());
        let none = [("PreToolUse", &[][..]), ("Stop", &[][..])];
        assert!(
            runtime_problems(&hooks(&none), &exists).is_empty(),
            "not wired is not broken"
        );
        let partial = [("PreToolUse", &["dos hook pretool"][..]), ("Stop", &[][..])];
        let p = runtime_problems(&hooks(&partial), &exists);
        assert!(p[0].contains("only 1 of 2 events (missing: Stop)"), "{p:?}");
        let gone = [
            ("PreToolUse", &["/gone/dos-hook pretool"][..]),
            ("Stop", &["dos hook stop"][..]),
        ];
        let p = runtime_problems(&hooks(&gone), &exists);
        assert_eq!(p, vec!["claude-code: /w/.claude/settings.json runs `/gone/dos-hook`, which does not exist (or is not on PATH)"]);
        let mut bad = hooks(&[]);
        bad.error = Some("not valid JSON".into());
        assert_eq!(runtime_problems(&bad, &exists).len(), 1);
    }

    #[test]
    fn program_words() {
        assert_eq!(program_word("'/a b/dos-hook' pretool"), "/a b/dos-hook");
        assert_eq!(program_word("  dos hook stop"), "dos");
        assert_eq!(program_word("\"/x/y\" z"), "/x/y");
    }
}
