//! The hook verbs' boundary: reading the event from stdin (capped, fail-safe),
//! resolving the workspace root, the `--debug` channel, the `--driver` check,
//! record lines, and verdict-journal recording. Everything here fails towards
//! "say nothing": a hook must never block an agent on its own fault.

use crate::journal::VerdictEvent;
use dos_py::json::{self, Val};
use serde_json::{Map, Value};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The most stdin a hook reads; a larger event is treated as no event.
pub const STDIN_CAP: u64 = 256 * 1024 * 1024;

/// Read all of stdin up to [`STDIN_CAP`] (`None` = unreadable or too big).
pub fn read_stdin() -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let stdin = std::io::stdin();
    let mut handle = stdin.lock().take(STDIN_CAP + 1);
    handle.read_to_end(&mut buf).ok()?;
    if buf.len() as u64 > STDIN_CAP {
        return None;
    }
    Some(buf)
}

/// Parse the event: a JSON object, else `None` (empty, invalid, non-object,
/// too deep).
pub fn parse_event(input: &[u8]) -> Option<Val<'_>> {
    json::parse_object_lazy(input, EVENT_FIELDS).ok().flatten()
}

/// The event members any hook verb reads; others are not kept (memory stays
/// bounded by what is read, whatever the event holds).
pub const EVENT_FIELDS: &[&str] = &[
    "session_id",
    "tool_name",
    "tool_input",
    "tool_response",
    "tool_output",
    "cwd",
    "hook_event_name",
    "stop_hook_active",
    "transcript_path",
];

/// A non-empty object event, else `None` (`{}` counts as no event).
pub fn nonempty_event(input: &[u8]) -> Option<Val<'_>> {
    parse_event(input).filter(|v| matches!(v, Val::Obj(m) if !m.is_empty()))
}

/// `--debug` lines on stderr: `[dos hook <verb>] <message>`.
#[derive(Debug, Clone, Copy)]
pub struct Debug {
    /// The verb in the prefix.
    pub verb: &'static str,
    /// Whether to print.
    pub on: bool,
}

impl Debug {
    /// Print `msg` if debugging.
    pub fn say(&self, msg: &str) {
        if self.on {
            eprintln!("[dos hook {}] {msg}", self.verb);
        }
    }
}

/// The event's string field `key`, if it is a string.
pub fn event_str(event: &Val<'_>, key: &str) -> Option<dos_py::json::PyStr> {
    event.get(key).and_then(Val::as_str)
}

/// The workspace root: `--workspace` › the event's `cwd` › `$DISPATCH_WORKSPACE`
/// › the process cwd; absolute and symlink-resolved.
pub fn workspace_root(flag: Option<&Path>, event: Option<&Val<'_>>) -> Option<PathBuf> {
    let from_event = event
        .and_then(|e| event_str(e, "cwd"))
        .filter(|c| !c.text.is_empty())
        .map(|c| PathBuf::from(c.text));
    let chosen = flag.map(Path::to_path_buf).or(from_event);
    crate::workspace::resolve_root(chosen.as_deref()).ok()
}

/// Check `--driver` (`--job` = `job`): `Err(message)` means exit 2.
pub fn check_driver(driver: Option<&str>, job: bool) -> Result<(), String> {
    let name = match (driver, job) {
        (Some(d), _) => d,
        (None, true) => "job",
        (None, false) => return Ok(()),
    };
    const TAIL: &str = "drivers live in src/dos/drivers/, see dos.drivers.workshop for a template";
    let r = dos_py::repr::str_repr(name);
    if name.contains(['.', '/', '\\']) {
        return Err(format!(
            "unknown driver {r}: a driver name is a single module token (no '.', '/' or '\\'); {TAIL}"
        ));
    }
    if !(matches!(name, "job" | "workshop") || crate::workspace::FACTORYLESS_DRIVERS.contains(&name)) {
        return Err(format!(
            "unknown driver {r} (no module dos.drivers.{name}); {TAIL}"
        ));
    }
    Ok(())
}

/// A `schema` tag object.
pub fn schema_tag(family: &str) -> Value {
    let mut m = Map::new();
    m.insert("family".into(), Value::from(family));
    m.insert("version".into(), Value::from(1));
    Value::Object(m)
}

/// A record's line (file flavor: sorted keys, UTF-8 raw), with `ts` stamped.
pub fn record_line(mut fields: Map<String, Value>) -> String {
    fields.insert("ts".into(), Value::from(dos_py::time::now_ts()));
    dos_py::dumps::dumps(&Value::Object(fields), dos_py::dumps::Style::RECORD)
}

/// A non-empty environment variable.
pub fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Record a hook verdict in the verdict journal when observation is armed
/// (`DISPATCH_OBSERVE`), in the journal of the verb's `--driver`/`--job`
/// layout (where `dos export` with the same flag reads). The workspace
/// configuration is only read when armed.
pub fn record_verdict(root: &Path, driver: Option<&str>, job: bool, event: VerdictEvent) {
    record_verdict_with(root, driver, job, event, &Some);
}

/// [`record_verdict`], with `finish` applied to the rendered line before it
/// is appended (hook-exit writes a code beyond 64 bits as a bare integer);
/// `None` from `finish` = not encodable: the journal is opened (created)
/// and nothing is written, as the reference does.
pub fn record_verdict_with(
    root: &Path,
    driver: Option<&str>,
    job: bool,
    event: VerdictEvent,
    finish: &dyn Fn(String) -> Option<String>,
) {
    if !crate::journal::observation_armed() {
        return;
    }
    let path = crate::journal::env_journal_path().unwrap_or_else(|| {
        // A hook-only driver (lane taxonomy) keeps the generic layout. The
        // lazy reader parses dos.toml only if it mentions [paths]; a broken
        // or wrong-typed value falls back to the layout's default, as the
        // full workspace reader does for recording.
        let layout = crate::workspace::Layout::select(driver, job).unwrap_or_default();
        let paths = super::config::HookConfig::load(root)
            .table("paths")
            .ok()
            .flatten();
        let configured = paths.as_ref().and_then(|t| t.get("verdict_journal")?.as_str());
        crate::workspace::verdict_journal_at(root, layout, configured)
    });
    let _ = crate::journal::append_rendered(&path, &event, &|e| finish(e.to_line()));
}

/// A verdict event for a hook syscall.
pub fn hook_event(syscall: &str, verdict: &str, subject: &str, detail: Map<String, Value>) -> VerdictEvent {
    let mut e = VerdictEvent::new(syscall, verdict);
    e.subject = subject.to_string();
    e.run_id = std::env::var("CID_RUN_ID").unwrap_or_default();
    e.detail = detail;
    e
}
