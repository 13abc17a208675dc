//! The stop hook's once-per-session help digest: "DOS has caught N things"
//! on stderr, counted from the lane journal's ENFORCE records for this
//! session, guarded by a per-session stamp file so it prints once.

use crate::config::Config;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// The per-session counts the digest reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HelpSummary {
    /// BLOCK interventions.
    pub blocked: u64,
    /// WARN interventions.
    pub warned: u64,
    /// DEFER interventions.
    pub deferred: u64,
    /// `blocked + warned + deferred`.
    pub total: u64,
    /// The largest `ts` among all ENFORCE records of the holder.
    pub latest: String,
}

/// Python's `str(x or "")` for a JSON value.
fn str_or_empty(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(true)) => "True".into(),
        Some(Value::Number(n)) if n.as_f64() == Some(0.0) => String::new(),
        Some(Value::Array(a)) if a.is_empty() => String::new(),
        Some(Value::Object(o)) if o.is_empty() => String::new(),
        Some(other) => other.to_string(),
    }
}

/// Fold lane-journal records into the holder's help counts. Pure.
pub fn summarize(records: &[Map<String, Value>], holder: &str) -> HelpSummary {
    let mut s = HelpSummary::default();
    for rec in records {
        if rec.get("op").and_then(Value::as_str) != Some("ENFORCE") {
            continue;
        }
        if !holder.is_empty() && str_or_empty(rec.get("holder")) != holder {
            continue;
        }
        let ts = str_or_empty(rec.get("ts"));
        if ts > s.latest {
            s.latest = ts;
        }
        match str_or_empty(rec.get("intervention"))
            .trim()
            .to_uppercase()
            .as_str()
        {
            "BLOCK" => s.blocked += 1,
            "WARN" => s.warned += 1,
            "DEFER" => s.deferred += 1,
            _ => continue,
        }
        s.total += 1;
    }
    s
}

/// The digest line (without the `[dos] ` prefix).
pub fn nudge_line(s: &HelpSummary) -> String {
    let mut parts = Vec::new();
    if s.blocked > 0 {
        parts.push(format!("{} blocked", s.blocked));
    }
    if s.warned > 0 {
        parts.push(format!("{} warned", s.warned));
    }
    if s.deferred > 0 {
        parts.push(format!("{} deferred", s.deferred));
    }
    let detail = if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    };
    let noun = if s.total == 1 { "thing" } else { "things" };
    format!(
        "DOS has caught {} {noun}{detail}. Run `dos helped` for the breakdown.",
        s.total
    )
}

/// The stamp file name for a session id: every character that is not
/// alphanumeric, `-` or `_` becomes `_`.
pub fn safe_sid(sid: &str) -> String {
    sid.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The lane journal in use: `$DISPATCH_LANE_JOURNAL_PATH` ›
/// `$JOB_LANE_JOURNAL_PATH` › `[paths] lane_journal` › `<root>/.dos/lane-journal.jsonl`
/// (the lanes' one path rule).
pub fn lane_journal_path(root: &Path, config: &Config) -> PathBuf {
    let configured = config.string("paths", "lane_journal").ok().flatten();
    crate::lanes::journal::lane_journal_path_at(root, configured)
}

/// Parse lane-journal text: one JSON object per `\n`-terminated line;
/// unparsable lines are skipped.
pub fn parse_records(text: &str) -> Vec<Map<String, Value>> {
    text.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter_map(|l| match serde_json::from_str::<Value>(l) {
            Ok(Value::Object(m)) => Some(m),
            _ => None,
        })
        .collect()
}

/// The digest line to print for `session_id`, once per session: `None`
/// without a session id, when the stamp exists, or when nothing was caught.
/// Writes the stamp (content: the latest ENFORCE ts) before returning.
pub fn digest_once(session_id: &str, journal: &Path) -> Option<String> {
    let holder = session_id.trim();
    if holder.is_empty() {
        return None;
    }
    let stamp_dir = journal.parent().unwrap_or(Path::new(".")).join("help-digest");
    let stamp = stamp_dir.join(safe_sid(holder));
    if stamp.exists() {
        return None;
    }
    let bytes = std::fs::read(journal).ok()?;
    let summary = summarize(&parse_records(&String::from_utf8_lossy(&bytes)), holder);
    if summary.total == 0 {
        return None;
    }
    let _ =
        std::fs::create_dir_all(&stamp_dir).and_then(|_| std::fs::write(&stamp, summary.latest.as_bytes()));
    Some(format!("[dos] {}", nudge_line(&summary)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_digest_counts() {
        let text = concat!(
            "{\"op\": \"ENFORCE\", \"holder\": \"sess-1\", \"intervention\": \"BLOCK\", \"ts\": \"2026-01-01T00:00:00Z\"}\n",
            "{\"op\": \"ENFORCE\", \"holder\": \"sess-1\", \"intervention\": \" warn \", \"ts\": \"2026-01-01T00:01:00Z\"}\n",
            "{\"op\": \"ENFORCE\", \"holder\": \"sess-1\", \"intervention\": \"OBSERVE\", \"ts\": \"2026-01-01T00:02:00Z\"}\n",
            "{\"op\": \"ENFORCE\", \"holder\": \"other\", \"intervention\": \"BLOCK\", \"ts\": \"2026-01-01T00:03:00Z\"}\n",
            "torn {\n",
        );
        let s = summarize(&parse_records(text), "sess-1");
        assert_eq!(
            (s.blocked, s.warned, s.total, s.latest.as_str()),
            (1, 1, 2, "2026-01-01T00:02:00Z")
        );
        assert_eq!(
            nudge_line(&s),
            "DOS has caught 2 things (1 blocked, 1 warned). Run `dos helped` for the breakdown."
        );
        let one = HelpSummary {
            blocked: 1,
            total: 1,
            ..Default::default()
        };
        assert_eq!(
            nudge_line(&one),
            "DOS has caught 1 thing (1 blocked). Run `dos helped` for the breakdown."
        );
        assert_eq!(safe_sid("s/2 x"), "s_2_x");
    }
}
