//! `dos exec-capability [COMMAND] [--command CMD]`: does this command grant
//! arbitrary code execution? Exit 0 BOUNDED/EMPTY, 3 GRANTS_ARBITRARY_EXEC.

use crate::hooks::exec_capability::{self, decode_os_arg, has_escaped_byte, parse_extra, python_escapes};
use crate::hooks::{config, io};
use clap::Args;
use serde_json::{Map, Value};
use std::ffi::OsString;
use std::path::PathBuf;

/// Flags.
#[derive(Debug, Args)]
pub(crate) struct ExecCapabilityArgs {
    /// The command to classify (words are joined with spaces).
    /// (Arguments are OS strings, decoded as Python's surrogateescape does:
    /// a byte that is not UTF-8 does not make the call fail.)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub words: Vec<OsString>,
    /// The command to classify (alternative to the positional form).
    #[arg(long)]
    pub command: Option<OsString>,
    /// Extra program names (comma-separated) added to the exec set.
    #[arg(long)]
    pub extra: Option<OsString>,
    /// Machine output.
    #[arg(long)]
    pub json: bool,
    /// `json` = `--json`; anything else = human text.
    #[arg(long)]
    pub output: Option<String>,
    /// Workspace root.
    #[arg(long)]
    pub workspace: Option<PathBuf>,
    /// Driver (accepted; no effect).
    #[arg(long, value_name = "NAME")]
    pub driver: Option<String>,
    /// Alias of `--driver job`.
    #[arg(long)]
    pub job: bool,
}

/// Run; returns the exit code.
pub(crate) fn run(top: Option<&PathBuf>, a: &ExecCapabilityArgs) -> i32 {
    if let Err(m) = io::check_driver(a.driver.as_deref(), a.job) {
        eprintln!("error: {m}");
        return 2;
    }
    let root = crate::workspace::resolve_root(a.workspace.as_deref().or(top.map(PathBuf::as_path))).ok();
    let extra_arg = a.extra.as_deref().map(decode_os_arg).unwrap_or_default();
    let mut extra = parse_extra(&extra_arg);
    if let Some(r) = &root {
        let mut cfg = config::HookConfig::load(r);
        if let Ok(t) = cfg.table("exec_capability") {
            extra.extend(config::exec_extra(t.as_ref()));
        }
    }
    let command = match &a.command {
        Some(c) => decode_os_arg(c),
        None => a
            .words
            .iter()
            .map(|w| decode_os_arg(w))
            .collect::<Vec<_>>()
            .join(" "),
    };
    let v = exec_capability::classify(&command, &extra);
    let json = a.json || a.output.as_deref() == Some("json");
    if json {
        let mut m = Map::new();
        m.insert("capability".into(), Value::from(v.capability.token()));
        m.insert(
            "program".into(),
            v.program.as_deref().map_or(Value::Null, Value::from),
        );
        m.insert("reason".into(), Value::from(v.reason.as_str()));
        print!(
            "{}",
            python_escapes(&crate::hooks::dialect::stdout_line(&Value::Object(m)))
        );
    } else {
        println!("{}  {}", v.capability.token(), v.reason);
    }
    if let Some(r) = &root {
        let mut detail = Map::new();
        detail.insert("capability".into(), Value::from(v.capability.token()));
        if let Some(p) = &v.program {
            detail.insert("program".into(), Value::from(p.as_str()));
        }
        let mut e = crate::journal::VerdictEvent::new("exec_capability", v.capability.token());
        e.detail = detail;
        // A program holding an undecodable byte cannot be encoded: the
        // reference opens the journal and writes nothing.
        let encodable = !v.program.as_deref().is_some_and(has_escaped_byte);
        io::record_verdict_with(r, a.driver.as_deref(), a.job, e, &|line| {
            encodable.then_some(line)
        });
    }
    v.capability.exit_code()
}
