//! The per-transport export cursor (`export-cursor.<transport>`) and its
//! resume-offset sidecar.
//!
//! The cursor file is exactly the reference's: the decimal high-water seq and
//! a newline, so the Python reference keeps reading it. To resume without
//! re-reading the journal from the start, a sidecar
//! `export-cursor.<transport>.offset` stores where that cursor's prefix ends:
//! `{"anchor": S, "journal": "<path>", "offset": B, "seq": F}` — every record
//! before byte `B` of `journal` has a seq ≤ `F`, and the record ending at `B`
//! has seq `S`. It is trusted only when its `seq` equals the cursor file's
//! value, it names the journal in use, the journal is at least `B` long, and
//! the line ending at `B` really is a record with seq `S`; otherwise the drain
//! scans from the start, exactly as the reference does.

use crate::journal::reader::{open_regular, parse_line, read_before, read_regular_capped};
use crate::journal::record::coerce_seq;
use dos_py::dumps::{dumps, Style};
use dos_py::int::py_int;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The variable that redirects the cursor (its base name, before the
/// `.<transport>` suffix).
pub const ENV_CURSOR_PATH: &str = "DISPATCH_EXPORT_CURSOR_PATH";

/// The cursor path cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the export cursor path {0:?} has no file name to suffix with the transport")]
pub struct CursorPathError(pub String);

/// The cursor base: `$DISPATCH_EXPORT_CURSOR_PATH` (if non-empty, relative
/// to the cwd) › `<directory of the journal in use>/export-cursor`.
///
/// Fix over the reference (quirk Q2): the default follows the journal that
/// is actually read, so redirecting the journal with
/// `DISPATCH_VERDICT_JOURNAL_PATH` moves its cursor with it.
pub fn cursor_base(journal: &Path) -> PathBuf {
    match std::env::var_os(ENV_CURSOR_PATH) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => journal
            .parent()
            .map(|d| d.join("export-cursor"))
            .unwrap_or_else(|| PathBuf::from("export-cursor")),
    }
}

/// `base` with `.<transport>` appended to its final component
/// (`/x/cdir/` → `/x/cdir.file`); an error when there is no final name
/// (`.`, `..`, `/`).
pub fn cursor_path(base: &Path, transport: &str) -> Result<PathBuf, CursorPathError> {
    let name = base
        .file_name()
        .ok_or_else(|| CursorPathError(base.display().to_string()))?;
    let mut file = name.to_os_string();
    if !transport.is_empty() {
        file.push(".");
        file.push(transport);
    }
    Ok(base.with_file_name(file))
}

/// The sidecar holding the resume offset for `cursor`.
pub fn sidecar_path(cursor: &Path) -> PathBuf {
    let mut s = cursor.as_os_str().to_os_string();
    s.push(".offset");
    PathBuf::from(s)
}

/// What reading the cursor file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CursorValue {
    /// No file (or an empty one): start from 0.
    Absent,
    /// A seq.
    Seq(i64),
    /// The file exists but holds no integer (or cannot be read); the drain
    /// starts from 0 as in the reference, and the caller warns.
    Unusable(String),
}

impl CursorValue {
    /// The floor this value means.
    pub fn floor(&self) -> i64 {
        match self {
            CursorValue::Seq(n) => *n,
            _ => 0,
        }
    }
}

/// Decide what cursor-file bytes mean (pure). Content is stripped and read
/// with Python's `int()`; invalid UTF-8 counts as unusable (the reference
/// reports it as a bad `--since`, quirk Q6 — we treat it like any other
/// unreadable content).
pub fn parse_cursor(bytes: &[u8]) -> CursorValue {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return CursorValue::Unusable("it is not UTF-8 text".into());
    };
    let t = dos_py::text::py_strip(text);
    if t.is_empty() {
        return CursorValue::Absent;
    }
    match py_int(t) {
        Some(n) => CursorValue::Seq(n),
        None => CursorValue::Unusable(format!("{} is not an integer seq", quote_short(t))),
    }
}

/// At most this many bytes of a bad cursor are quoted in a warning.
pub const QUOTE_BYTES: usize = 120;

/// Python's repr of `t`, or of its first [`QUOTE_BYTES`] bytes (cut at a
/// character boundary) followed by `… (N bytes)` when it is longer.
fn quote_short(t: &str) -> String {
    if t.len() <= QUOTE_BYTES {
        return dos_py::repr::str_repr(t);
    }
    let mut end = QUOTE_BYTES;
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", dos_py::repr::str_repr(&t[..end]), t.len())
}

/// The largest cursor file read (a seq and a newline need 21 bytes; the
/// rest allows for whitespace). A longer file is unusable, not read.
const MAX_CURSOR_BYTES: u64 = 64 * 1024;

/// Read the cursor at `path` (fail-soft: never an error). Only a regular
/// file of at most 64 KiB is read (a FIFO or `/dev/zero` never hangs or
/// bloats the read).
pub fn read_cursor(path: &Path) -> CursorValue {
    match read_regular_capped(path, MAX_CURSOR_BYTES) {
        Ok(bytes) => parse_cursor(&bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => CursorValue::Absent,
        Err(e) => CursorValue::Unusable(e.to_string()),
    }
}

/// Where the confirmed prefix of a journal ends (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResumePoint {
    /// Byte offset just after the anchor record.
    pub offset: u64,
    /// The seq of the record that ends at `offset`.
    pub anchor: i64,
}

/// Write `path` atomically (temp file in the same directory, then rename).
fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)?;
        }
    }
    let mut tmp = path.as_os_str().to_os_string();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let result = (|| {
        let mut f = crate::safe_fs::create_truncate(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Persist `seq` as the cursor (`"{seq}\n"`, the reference's format), then —
/// best effort — the resume point for `journal`. Only the cursor write can fail
/// the persist; a sidecar that cannot be written only costs a scan later.
pub fn write_cursor(
    path: &Path,
    seq: i64,
    journal: &Path,
    resume: Option<ResumePoint>,
) -> std::io::Result<()> {
    write_atomic(path, &format!("{seq}\n"))?;
    let side = sidecar_path(path);
    match resume {
        Some(r) => {
            let v = json!({
                "anchor": r.anchor,
                "journal": journal.display().to_string(),
                "offset": r.offset,
                "seq": seq,
            });
            if write_atomic(&side, &(dumps(&v, Style::RECORD) + "\n")).is_err() {
                let _ = std::fs::remove_file(&side);
            }
        }
        None => {
            let _ = std::fs::remove_file(&side);
        }
    }
    Ok(())
}

/// The longest line we look back over when verifying a resume point.
const MAX_ANCHOR_LINE: u64 = 16 * 1024 * 1024;

/// The verified resume point for cursor value `seq` on `journal`, if the
/// sidecar exists and checks out; `None` means "scan from the start".
pub fn verified_resume(cursor: &Path, seq: i64, journal: &Path) -> Option<ResumePoint> {
    let bytes = read_regular_capped(&sidecar_path(cursor), MAX_CURSOR_BYTES).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let v: Value = serde_json::from_str(text.trim()).ok()?;
    if v.get("seq")?.as_i64()? != seq || v.get("journal")?.as_str()? != journal.display().to_string() {
        return None;
    }
    let point = ResumePoint {
        offset: v.get("offset")?.as_u64()?,
        anchor: v.get("anchor")?.as_i64()?,
    };
    let mut file = open_regular(journal).ok()?;
    if file.metadata().ok()?.len() < point.offset || point.offset == 0 {
        return None;
    }
    let mut window = 4096u64;
    loop {
        let buf = read_before(&mut file, point.offset, window).ok()?;
        if buf.last() != Some(&b'\n') {
            return None;
        }
        let body = &buf[..buf.len() - 1];
        let line_start = body.iter().rposition(|b| *b == b'\n').map(|i| i + 1);
        let at_file_start = buf.len() as u64 == point.offset;
        match line_start {
            Some(s) => return anchor_matches(&body[s..], point),
            None if at_file_start => return anchor_matches(body, point),
            None if window >= MAX_ANCHOR_LINE => return None,
            None => window *= 4,
        }
    }
}

fn anchor_matches(line: &[u8], point: ResumePoint) -> Option<ResumePoint> {
    let map = parse_line(&String::from_utf8_lossy(line))?;
    (coerce_seq(map.get("seq")) == point.anchor).then_some(point)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_path_table() {
        let table = [
            ("/x/mycursor", "file", Some("/x/mycursor.file")),
            ("/x/cdir/", "file", Some("/x/cdir.file")),
            (
                "/w/.dos/export-cursor",
                "otlp",
                Some("/w/.dos/export-cursor.otlp"),
            ),
            (".", "file", None),
            ("/", "file", None),
            ("..", "file", None),
        ];
        for (base, t, expected) in table {
            let got = cursor_path(Path::new(base), t).ok();
            assert_eq!(got, expected.map(PathBuf::from), "{base}");
        }
    }

    #[test]
    fn parse_cursor_table() {
        let table: [(&[u8], CursorValue); 7] = [
            (b"", CursorValue::Absent),
            (b"  \n", CursorValue::Absent),
            (b"12\n", CursorValue::Seq(12)),
            (b" +1_2 \n", CursorValue::Seq(12)),
            (b"-4", CursorValue::Seq(-4)),
            (
                b"garbage",
                CursorValue::Unusable("'garbage' is not an integer seq".into()),
            ),
            (b"\xff", CursorValue::Unusable("it is not UTF-8 text".into())),
        ];
        for (bytes, expected) in table {
            assert_eq!(parse_cursor(bytes), expected, "{bytes:?}");
        }
    }

    #[test]
    fn sidecar_is_verified_before_use() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("j.jsonl");
        std::fs::write(&journal, "{\"seq\": 1}\n{\"seq\": 2}\n{\"seq\": 3}\n").unwrap();
        let cursor = dir.path().join("export-cursor.file");
        let point = ResumePoint {
            offset: 22,
            anchor: 2,
        };
        write_cursor(&cursor, 2, &journal, Some(point)).unwrap();
        assert_eq!(std::fs::read_to_string(&cursor).unwrap(), "2\n");
        assert_eq!(verified_resume(&cursor, 2, &journal), Some(point));
        // A cursor advanced by someone else (the reference) invalidates it.
        assert_eq!(verified_resume(&cursor, 3, &journal), None);
        // Another journal does too.
        assert_eq!(verified_resume(&cursor, 2, &dir.path().join("other")), None);
        // A rewritten journal whose line at the offset is not the anchor.
        std::fs::write(&journal, "{\"seq\": 1}\n{\"seq\": 9}\n{\"seq\": 3}\n").unwrap();
        assert_eq!(verified_resume(&cursor, 2, &journal), None);
        // A truncated journal.
        std::fs::write(&journal, "{\"seq\": 1}\n").unwrap();
        assert_eq!(verified_resume(&cursor, 2, &journal), None);
        // The first line as anchor.
        write_cursor(
            &cursor,
            1,
            &journal,
            Some(ResumePoint {
                offset: 11,
                anchor: 1,
            }),
        )
        .unwrap();
        assert!(verified_resume(&cursor, 1, &journal).is_some());
        // No resume point removes the sidecar.
        write_cursor(&cursor, 1, &journal, None).unwrap();
        assert!(!sidecar_path(&cursor).exists());
    }
}
