//! `dos hook-exit --code N [--map C=VERB,…]`: a plain shell hook's exit code
//! → an intervention verb. Exit PASS 0, BLOCK 3, WARN 4, DEFER 5, OBSERVE 6;
//! a bad `--map` is exit 2.

use crate::hooks::hook_exit;
use crate::hooks::io;
use clap::Args;
use dos_py::int::{parse_int as py_bigint, PyInt};
use serde_json::{Map, Value};
use std::path::PathBuf;

/// Flags.
#[derive(Debug, Args)]
pub(crate) struct HookExitArgs {
    /// The hook script's exit code (a Python int literal: `-1`, `1_0`).
    #[arg(long, allow_hyphen_values = true)]
    pub code: String,
    /// Extra mappings `CODE=VERB,…` over the default `2=BLOCK`.
    #[arg(long)]
    pub map: Option<String>,
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
pub(crate) fn run(top: Option<&PathBuf>, a: &HookExitArgs) -> i32 {
    let Some(code) = py_bigint(&a.code) else {
        eprintln!(
            "dos hook-exit: error: argument --code: invalid int value: {}",
            dos_py::repr::str_repr(&a.code)
        );
        return 2;
    };
    if let Err(m) = io::check_driver(a.driver.as_deref(), a.job) {
        eprintln!("error: {m}");
        return 2;
    }
    let map = match hook_exit::parse_map(a.map.as_deref()) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let v = hook_exit::classify(code, &map);
    if a.json || a.output.as_deref() == Some("json") {
        let mut m = Map::new();
        m.insert("code".into(), code_value(&v.code));
        m.insert(
            "intervention".into(),
            v.intervention.as_deref().map_or(Value::Null, Value::from),
        );
        m.insert("matched".into(), Value::Bool(v.matched));
        m.insert("reason".into(), Value::from(v.reason.as_str()));
        print!(
            "{}",
            with_exact_code(crate::hooks::dialect::stdout_line(&Value::Object(m)), &v.code)
        );
    } else {
        println!("{}  {}", v.token(), v.reason);
    }
    if let Ok(root) = crate::workspace::resolve_root(a.workspace.as_deref().or(top.map(PathBuf::as_path))) {
        let mut detail = Map::new();
        detail.insert("code".into(), code_value(&v.code));
        if let Some(i) = &v.intervention {
            detail.insert("intervention".into(), Value::from(i.as_str()));
        }
        detail.insert("matched".into(), Value::Bool(v.matched));
        let mut e = crate::journal::VerdictEvent::new("hook_exit", v.token());
        e.detail = detail;
        io::record_verdict_with(&root, a.driver.as_deref(), a.job, e, &|line| {
            Some(with_exact_code(line, &v.code))
        });
    }
    v.exit_code()
}

/// The code as a JSON number when `serde_json` holds it exactly; a code
/// beyond 64 bits goes in as its digits in a string, which
/// [`with_exact_code`] turns back into the bare number.
fn code_value(code: &PyInt) -> Value {
    code.json_number().unwrap_or_else(|| Value::from(code.as_str()))
}

/// `line` with the `"code": "DIGITS"` member written as the bare integer,
/// as the reference prints and journals a Python int of any size. The code
/// is the only member whose text can be those digits, so the swap is exact.
fn with_exact_code(line: String, code: &PyInt) -> String {
    if code.json_number().is_some() {
        return line;
    }
    let quoted = format!("\"code\": \"{code}\"");
    line.replacen(&quoted, &format!("\"code\": {code}"), 1)
}
