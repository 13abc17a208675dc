//! Hook telemetry: one `hook-observation` v1 record per decided hook call,
//! appended to `.dos/metrics/observations.jsonl` exactly as dos-kernel 0.30
//! writes it (sorted keys, `json.dumps` separators, UTF-8 raw, `ts` to the
//! second), so 0.30's intervention figures count our calls too.
//!
//! On by default; `DOS_HOOK_METRICS=0` opts out; `--debug` always logs.
//! Strictly downstream of the decision: [`append`] never fails loudly, so a
//! metrics fault can never change a hook's output or exit code.

use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The record family.
pub const SCHEMA_FAMILY: &str = "hook-observation";

/// One observation; empty / zero optional fields are left out of the record.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    /// The hook verb (`pretool`, `posttool`, `marker`, `stop`).
    pub verb: &'static str,
    /// The verb's outcome tag (`deny`, `warn`, `passthrough`, `allow`, …).
    pub outcome: String,
    /// The exit code.
    pub exit: i64,
    /// Milliseconds from verb entry to the decision.
    pub latency_ms: f64,
    /// `$CID_RUN_ID`.
    pub run_id: String,
    /// The deciding rung.
    pub rung: String,
    /// The refusal class.
    pub reason_class: String,
    /// The output dialect.
    pub dialect: String,
    /// The enforcement posture (only off the `block` default).
    pub posture: String,
    /// What the operator saw (only off the `block` default).
    pub surface: String,
    /// The session id.
    pub holder: String,
    /// The non-file effect of an orchestration tool.
    pub effect_kind: String,
    /// Whether the call's tree was known (pretool admission outcomes).
    pub tree_known: Option<bool>,
    /// The tool-stream state (posttool).
    pub stream_state: String,
    /// Markers counted (marker).
    pub marker_count: i64,
    /// The marker cap (marker).
    pub max_markers: i64,
    /// Claims seen (stop).
    pub claims_seen: i64,
    /// The oracle source of the first blocked claim (stop).
    pub verify_source: String,
    /// The first blocked claim's plan (stop).
    pub blocked_plan: String,
    /// The first blocked claim's phase (stop).
    pub blocked_phase: String,
}

impl Observation {
    /// A record for `verb` with `outcome`, timed from `started`, carrying
    /// `$CID_RUN_ID` when set.
    pub fn new(verb: &'static str, outcome: &str, started: Instant) -> Observation {
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        Observation {
            verb,
            outcome: outcome.to_string(),
            latency_ms: (ms * 1000.0).round() / 1000.0,
            run_id: std::env::var("CID_RUN_ID").unwrap_or_default(),
            ..Observation::default()
        }
    }

    /// The record line (no newline), `ts` given as `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn line(&self, ts: &str) -> String {
        let mut m = Map::new();
        m.insert("schema".into(), super::io::schema_tag(SCHEMA_FAMILY));
        m.insert("op".into(), Value::from("OBSERVE"));
        m.insert("verb".into(), Value::from(self.verb));
        m.insert("outcome".into(), Value::from(self.outcome.as_str()));
        m.insert("exit".into(), Value::from(self.exit));
        m.insert("latency_ms".into(), Value::from(self.latency_ms));
        let mut text = |k: &str, v: &str| {
            if !v.is_empty() {
                m.insert(k.into(), Value::from(v));
            }
        };
        text("ts", ts);
        text("run_id", &self.run_id);
        text("rung", &self.rung);
        text("reason_class", &self.reason_class);
        text("dialect", &self.dialect);
        text("posture", &self.posture);
        text("surface", &self.surface);
        text("holder", &self.holder);
        text("effect_kind", &self.effect_kind);
        if let Some(k) = self.tree_known {
            m.insert("tree_known".into(), Value::Bool(k));
        }
        if !self.stream_state.is_empty() {
            m.insert("stream_state".into(), Value::from(self.stream_state.as_str()));
        }
        if self.marker_count != 0 || self.max_markers != 0 {
            m.insert("marker_count".into(), Value::from(self.marker_count));
            m.insert("max_markers".into(), Value::from(self.max_markers));
        }
        if self.claims_seen != 0 {
            m.insert("claims_seen".into(), Value::from(self.claims_seen));
        }
        if !self.verify_source.is_empty() {
            m.insert("verify_source".into(), Value::from(self.verify_source.as_str()));
        }
        if !self.blocked_plan.is_empty() {
            m.insert("blocked_plan".into(), Value::from(self.blocked_plan.as_str()));
            m.insert("blocked_phase".into(), Value::from(self.blocked_phase.as_str()));
        }
        dos_py::dumps::dumps(&Value::Object(m), dos_py::dumps::Style::RECORD)
    }
}

/// Whether the append runs: on unless `DOS_HOOK_METRICS` is `0` (trimmed);
/// `--debug` always logs.
pub fn enabled(env: Option<&str>, debug: bool) -> bool {
    debug || env.map(dos_py::text::py_strip) != Some("0")
}

/// The observation log under a workspace root.
pub fn log_path(root: &Path) -> PathBuf {
    root.join(".dos").join("metrics").join("observations.jsonl")
}

/// Append `obs` to the workspace's log. Fail-safe: every error is swallowed
/// (said on stderr under `--debug` only). Neither the `metrics` directory
/// nor the file is followed if it is a symlink; a FIFO never blocks.
pub fn append(root: &Path, obs: &Observation, debug: bool) {
    let env = std::env::var("DOS_HOOK_METRICS").ok();
    if !enabled(env.as_deref(), debug) {
        return;
    }
    let mut line = obs.line(&dos_py::time::now_ts());
    line.push('\n');
    if let Err(e) = write_line(&log_path(root), &line) {
        if debug {
            eprintln!(
                "[dos hook {}] observation write error ({e}) — verdict unchanged",
                obs.verb
            );
        }
    }
}

fn write_line(path: &Path, line: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("no parent directory"))?;
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() || !m.is_dir() => {
            return Err(std::io::Error::other("metrics path is not a plain directory"));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir_all(dir)?,
        Err(e) => return Err(e),
    }
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)?;
    if !f.metadata()?.is_file() {
        return Err(std::io::Error::other("observation log is not a regular file"));
    }
    // One `write` of the whole line on an O_APPEND descriptor (concurrent
    // writers never interleave within a line). No fsync, unlike 0.30: the
    // line outlives the process in the page cache, and a disk flush per call
    // would cost the hook more than its whole decision (see the hooks bench).
    f.write_all(line.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_keys_order_and_values() {
        let mut o = Observation {
            verb: "pretool",
            outcome: "deny".into(),
            latency_ms: 26.0,
            rung: "admission".into(),
            reason_class: "SELF_MODIFY".into(),
            dialect: "claude-code".into(),
            holder: "s1".into(),
            tree_known: Some(true),
            ..Observation::default()
        };
        assert_eq!(
            o.line("2026-12-05T08:39:36Z"),
            "{\"dialect\": \"claude-code\", \"exit\": 0, \"holder\": \"s1\", \"latency_ms\": 26.0, \"op\": \"OBSERVE\", \"outcome\": \"deny\", \"reason_class\": \"SELF_MODIFY\", \"rung\": \"admission\", \"schema\": {\"family\": \"hook-observation\", \"version\": 1}, \"tree_known\": true, \"ts\": \"2026-12-05T08:39:36Z\", \"verb\": \"pretool\"}"
        );
        o = Observation {
            verb: "marker",
            outcome: "allow".into(),
            latency_ms: 0.125,
            max_markers: 3,
            ..Observation::default()
        };
        assert_eq!(
            o.line("t"),
            "{\"exit\": 0, \"latency_ms\": 0.125, \"marker_count\": 0, \"max_markers\": 3, \"op\": \"OBSERVE\", \"outcome\": \"allow\", \"schema\": {\"family\": \"hook-observation\", \"version\": 1}, \"ts\": \"t\", \"verb\": \"marker\"}"
        );
    }

    #[test]
    fn opt_out_rules() {
        assert!(enabled(None, false));
        assert!(enabled(Some("1"), false));
        assert!(!enabled(Some(" 0 "), false));
        assert!(enabled(Some("0"), true));
        assert!(enabled(Some(""), false));
    }
}
