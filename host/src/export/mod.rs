//! `dos export`'s machinery: the cursor, the batched drain, and the pure
//! decisions and renderings the command prints (spec §5).

pub(crate) use dos_core::export_cursor as cursor;
pub(crate) mod drain;

use dos_plugin_api::ExportResult;
use dos_py::dumps::{dumps, Style};
use serde_json::{json, Value};

/// Whether (and what) to persist after a drain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PersistDecision {
    /// The operator did not ask for persistence (no `auto`, no `--follow`).
    NotRequested,
    /// Write this seq.
    Write(i64),
    /// Asked for, but nothing may be written; the reason is shown.
    Skip(&'static str),
}

/// Facts about one drain that the persist decision needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PersistFacts {
    /// `--since auto` or `--follow`.
    pub requested: bool,
    /// The exporter is the built-in `null`.
    pub null: bool,
    /// `--dry-run`.
    pub dry_run: bool,
    /// Events the transport confirmed.
    pub confirmed: u64,
    /// The floor the drain started from.
    pub floor: i64,
    /// The new floor over confirmed events.
    pub safe_floor: i64,
}

/// Decide whether to write the cursor (pure). The reference's rule — auto or
/// follow, a real transport, something exported, a positive high-water mark
/// — with the fix that only *confirmed* progress counts.
pub(crate) fn decide_persist(f: PersistFacts) -> PersistDecision {
    if !f.requested {
        PersistDecision::NotRequested
    } else if f.null {
        PersistDecision::Skip("the null sink ships nothing")
    } else if f.dry_run {
        PersistDecision::Skip("dry run")
    } else if f.confirmed == 0 {
        PersistDecision::Skip("nothing was delivered")
    } else if f.safe_floor <= 0 || f.safe_floor <= f.floor {
        PersistDecision::Skip("no delivery past the cursor was confirmed")
    } else {
        PersistDecision::Write(f.safe_floor)
    }
}

/// What happened to the cursor, for the `cursor:` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CursorNote {
    /// Not requested: tell the operator how to resume.
    Resume,
    /// Written with this value.
    Persisted(i64),
    /// Requested but not written, and why.
    NotPersisted(String),
    /// Events were delivered, but the cursor could not be written (why):
    /// the next `--since auto` run ships them again, so the run fails.
    WriteFailed(String),
}

impl CursorNote {
    /// The error line for a cursor that could not be written after a
    /// delivery (`None` otherwise).
    pub(crate) fn failure(&self, delivered: u64) -> Option<String> {
        match self {
            CursorNote::WriteFailed(why) => Some(format!(
                "error: {delivered} event(s) were delivered, but the export cursor was not persisted \
                 ({why}); the next --since auto run will ship them again"
            )),
            _ => None,
        }
    }
}

/// The exit code of one drain (pure): 1 when a real transport was asked to
/// ship events and did not deliver all of them (the reference: none of
/// them), or the journal could not be read; else 0.
pub(crate) fn exit_code(null: bool, dry_run: bool, pending: u64, exported: u64, read_failed: bool) -> i32 {
    if read_failed || (!null && !dry_run && pending > 0 && exported < pending) {
        1
    } else {
        0
    }
}

/// One drain's report.
#[derive(Debug, Clone)]
pub(crate) struct Report<'a> {
    /// The exporter name (`--to`).
    pub exporter: &'a str,
    /// Whether it is the built-in `null`.
    pub null: bool,
    /// Events pending.
    pub pending: u64,
    /// The floor the drain started from.
    pub floor: i64,
    /// The (merged) result.
    pub result: &'a ExportResult,
    /// Whether persistence was requested.
    pub persist: bool,
    /// What happened to the cursor.
    pub note: CursorNote,
}

/// The human rendering (spec §5.5), one string with a trailing newline.
pub(crate) fn render_text(r: &Report<'_>) -> String {
    let mut out = format!("# export · {} event(s) pending", r.pending);
    if r.floor != 0 {
        out.push_str(&format!(" (since seq {})", r.floor));
    }
    out.push_str(&format!(" · transport={}\n", r.exporter));
    if r.null {
        out.push_str(&format!("  → {}\n", r.result.detail));
        out.push_str("  (pass --to file --path PATH to ship; --to statsd/otlp for metrics/traces)\n");
    } else {
        let verb = if r.result.exported != 0 {
            "shipped"
        } else {
            "NOT shipped"
        };
        out.push_str(&format!(
            "  → {verb} {}/{} via {}: {}\n",
            r.result.exported, r.pending, r.exporter, r.result.detail
        ));
    }
    if !r.result.cursor.is_empty() {
        let tail = match &r.note {
            CursorNote::Resume => format!("  (resume with --since {})", r.result.cursor),
            CursorNote::Persisted(n) if n.to_string() == r.result.cursor => "  (persisted)".to_string(),
            CursorNote::Persisted(n) => format!("  (persisted {n}: later events were not confirmed)"),
            CursorNote::NotPersisted(why) => format!("  (not persisted: {why})"),
            CursorNote::WriteFailed(why) => format!("  (NOT persisted: {why})"),
        };
        out.push_str(&format!("  cursor: {}{tail}\n", r.result.cursor));
    }
    out
}

/// The `--json` rendering: the reference's exact shape, pretty-printed.
pub(crate) fn render_json(r: &Report<'_>) -> String {
    let v: Value = json!({
        "result": {
            "exported": r.result.exported,
            "detail": r.result.detail,
            "cursor": r.result.cursor,
        },
        "exporter": r.exporter,
        "shipped": r.pending,
        "since": r.floor,
        "persist": r.persist,
    });
    dumps(&v, Style::PRETTY) + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(
        requested: bool,
        null: bool,
        dry_run: bool,
        confirmed: u64,
        floor: i64,
        safe: i64,
    ) -> PersistFacts {
        PersistFacts {
            requested,
            null,
            dry_run,
            confirmed,
            floor,
            safe_floor: safe,
        }
    }

    #[test]
    fn persist_table() {
        use PersistDecision::*;
        let table = [
            (facts(false, false, false, 5, 0, 5), NotRequested),
            (
                facts(true, true, false, 0, 0, 0),
                Skip("the null sink ships nothing"),
            ),
            (facts(true, false, true, 0, 0, 0), Skip("dry run")),
            (facts(true, false, false, 0, 0, 0), Skip("nothing was delivered")),
            (
                facts(true, false, false, 3, 0, 0),
                Skip("no delivery past the cursor was confirmed"),
            ),
            (
                facts(true, false, false, 3, 7, 7),
                Skip("no delivery past the cursor was confirmed"),
            ),
            (facts(true, false, false, 3, 7, 10), Write(10)),
            (facts(true, false, false, 12, 0, 12), Write(12)),
        ];
        for (f, expected) in table {
            assert_eq!(decide_persist(f), expected, "{f:?}");
        }
    }

    #[test]
    fn exit_code_table() {
        let table = [
            ((true, false, 12, 0, false), 0),
            ((false, true, 12, 0, false), 0),
            ((false, false, 0, 0, false), 0),
            ((false, false, 12, 0, false), 1),
            ((false, false, 12, 11, false), 1),
            ((false, false, 12, 12, false), 0),
            ((true, false, 0, 0, true), 1),
        ];
        for ((null, dry, pending, exported, failed), expected) in table {
            assert_eq!(exit_code(null, dry, pending, exported, failed), expected);
        }
    }

    #[test]
    fn text_rendering_matches_the_golden_transcripts() {
        let res = ExportResult {
            exported: 0,
            detail: "null sink (no transport configured) — 12 event(s) not shipped".into(),
            cursor: "12".into(),
        };
        let r = Report {
            exporter: "null",
            null: true,
            pending: 12,
            floor: 0,
            result: &res,
            persist: false,
            note: CursorNote::Resume,
        };
        assert_eq!(
            render_text(&r),
            "# export · 12 event(s) pending · transport=null\n  → null sink (no transport configured) — 12 event(s) not shipped\n  (pass --to file --path PATH to ship; --to statsd/otlp for metrics/traces)\n  cursor: 12  (resume with --since 12)\n"
        );
        assert_eq!(
            render_json(&r),
            "{\n  \"result\": {\n    \"exported\": 0,\n    \"detail\": \"null sink (no transport configured) \\u2014 12 event(s) not shipped\",\n    \"cursor\": \"12\"\n  },\n  \"exporter\": \"null\",\n  \"shipped\": 12,\n  \"since\": 0,\n  \"persist\": false\n}\n"
        );
        let shipped = ExportResult {
            exported: 1,
            detail: "appended 1 event(s) to /ws/auto.jsonl".into(),
            cursor: "13".into(),
        };
        let r = Report {
            exporter: "file",
            null: false,
            pending: 1,
            floor: 12,
            result: &shipped,
            persist: true,
            note: CursorNote::Persisted(13),
        };
        assert_eq!(
            render_text(&r),
            "# export · 1 event(s) pending (since seq 12) · transport=file\n  → shipped 1/1 via file: appended 1 event(s) to /ws/auto.jsonl\n  cursor: 13  (persisted)\n"
        );
    }
}
