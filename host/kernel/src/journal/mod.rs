//! The verdict journal (`.dos/verdict-journal.jsonl`): one JSON object per
//! line, byte-compatible with the reference's writer, with two fixes: `seq`
//! is unique and increasing under concurrent writers (an advisory lock around
//! find-next-seq + append) and the next seq is found from the file's tail,
//! not by re-reading the whole journal.

pub mod canonical;
pub mod reader;
pub mod record;
pub mod tolerant;

pub use reader::{Entry, JournalReader};
pub use record::VerdictEvent;

use crate::locked_append::LockedAppend;
use crate::workspace::Workspace;
use std::fs::File;
use std::path::{Path, PathBuf};

/// Whether observation is armed (`DISPATCH_OBSERVE` is 1/true/yes/on).
pub fn observation_armed() -> bool {
    std::env::var("DISPATCH_OBSERVE")
        .map(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            )
        })
        .unwrap_or(false)
}

/// The layout path of the verdict journal: `[paths] verdict_journal` from
/// `dos.toml` (relative to the root), else `<root>/<layout dir>/verdict-journal.jsonl`.
/// A wrong-typed `[paths] verdict_journal` falls back to the layout default
/// here (recording never fails); [`try_journal_path`] reports it instead.
pub fn layout_path(ws: &Workspace) -> PathBuf {
    ws.verdict_journal().unwrap_or_else(|_| {
        ws.root
            .join(ws.layout.journal_dir())
            .join("verdict-journal.jsonl")
    })
}

/// The journal in use: `$DISPATCH_VERDICT_JOURNAL_PATH` (relative to the
/// process cwd) › the layout path.
pub fn journal_path(ws: &Workspace) -> PathBuf {
    env_journal_path().unwrap_or_else(|| layout_path(ws))
}

/// Like [`journal_path`], but a wrong-typed `[paths] verdict_journal` is an
/// error (for the commands that read the journal and can say so).
pub fn try_journal_path(ws: &Workspace) -> Result<PathBuf, crate::config::ConfigError> {
    match env_journal_path() {
        Some(p) => Ok(p),
        None => ws.verdict_journal(),
    }
}

/// `$DISPATCH_VERDICT_JOURNAL_PATH` when set (relative to the process cwd).
pub fn env_journal_path() -> Option<PathBuf> {
    match std::env::var_os("DISPATCH_VERDICT_JOURNAL_PATH") {
        Some(v) if !v.is_empty() => {
            let p = PathBuf::from(v);
            Some(if p.is_absolute() {
                p
            } else {
                std::env::current_dir().map(|c| c.join(&p)).unwrap_or(p)
            })
        }
        _ => None,
    }
}

/// Append `event` to the journal at `path`, stamping `ts` (if empty) and
/// `seq` (if 0). Holds the journal's lock ([`LockedAppend`]) for the
/// find-next-seq + append, writes the line in one `write`, and fsyncs.
/// Returns the seq written.
pub fn append(path: &Path, event: &VerdictEvent) -> std::io::Result<i64> {
    append_rendered(path, event, &|e| Some(e.to_line()))
}

/// [`append`], rendering the stamped event's line with `render` (for a
/// caller whose detail holds a value `serde_json` cannot, such as an
/// integer beyond 64 bits). `render` returning `None` means the line cannot
/// be encoded (the reference then leaves the opened file as it was).
pub fn append_rendered(
    path: &Path,
    event: &VerdictEvent,
    render: &dyn Fn(&VerdictEvent) -> Option<String>,
) -> std::io::Result<i64> {
    let mut file = LockedAppend::open(path)?;
    let (max_seq, ends_with_newline) = scan_tail(file.file_mut())?;
    let mut stamped = event.clone();
    if stamped.seq == 0 {
        // `max_seq` is below i64::MAX (an out-of-range seq is skipped).
        stamped.seq = max_seq.saturating_add(1);
    }
    if stamped.ts.is_empty() {
        stamped.ts = dos_py::time::now_ts();
    }
    let Some(rendered) = render(&stamped) else {
        return Ok(stamped.seq);
    };
    // A torn last line must not swallow our record.
    file.write_record(&rendered, !ends_with_newline)?;
    let _ = file.sync();
    Ok(stamped.seq)
}

/// The highest seq among the complete records in the file's tail window, and
/// whether the file is empty or ends with a newline.
///
/// The window starts at 64 KiB and doubles until it holds at least one
/// record (or covers the whole file), so one huge last record never makes
/// the next seq restart at 1. Records before the window are not consulted:
/// under the append lock every record is written with a seq above all
/// earlier ones, so the tail holds the maximum.
pub fn scan_tail(file: &mut File) -> std::io::Result<(i64, bool)> {
    crate::tailscan::max_seq_in_tail(file, |body| {
        body.split(|b| *b == b'\n')
            .filter_map(|line| {
                // The export reader's allocation-free check first; a full
                // parse only for lines that are not canonical records.
                let text = String::from_utf8_lossy(line);
                // A seq out of range never drives the next one: such a
                // record is skipped here (see `record::SeqOutOfRange`).
                canonical::canonical_seq(&text)
                    .or_else(|| reader::parse_line(&text).and_then(|v| record::read_seq(v.get("seq")).ok()))
            })
            .reduce(i64::max)
            .map(|m| m.max(0))
    })
}

/// Append `event` to the workspace's journal if observation is armed.
/// Never fails and never prints: recording must not change a verb's outcome.
pub fn record_if_armed(ws: &Workspace, event: &VerdictEvent) -> Option<i64> {
    if !observation_armed() {
        return None;
    }
    append(&journal_path(ws), event).ok()
}
