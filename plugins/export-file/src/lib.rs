//! Exporter plugin `file`: appends each verdict event as one line in the
//! journal's own shape to a local file (`O_APPEND`, one write per batch),
//! always starting on a fresh line, and cut back to its old length when a
//! write fails part-way.
//!
//! Path ladder: `path` (CLI `--path` or `[exporters.file] path`) ›
//! `$DOS_EXPORT_FILE` › `DOS_EXPORT_FILE` in the workspace `.env`. A relative
//! path is joined onto the workspace root.
//!
//! A `cdylib` loaded by the `dos` plugin host: it depends on `dos-plugin-api`
//! only, never on the host crates (`dos-core`, `dos-plugin-host`, `dos`).

use dos_plugin_api::pystr::io_error_text;
use dos_plugin_api::{dotenv, DriverConfig, EventRef, ExportResult, Exporter, PluginError, Registry};
use std::io::Write;
use std::path::PathBuf;

/// The `file` exporter, configured once per command.
pub struct FileExporter {
    root: PathBuf,
    explicit: Option<String>,
    dry_run: bool,
    /// The batch's lines, reused from batch to batch (no fresh pages per
    /// batch).
    buf: Vec<u8>,
}

impl FileExporter {
    /// Build from the driver configuration (`path`, `root`, `dry_run`).
    pub fn new(cfg: &DriverConfig) -> Self {
        FileExporter {
            root: cfg.root(),
            explicit: cfg.str("path").map(str::to_string),
            dry_run: cfg.dry_run(),
            buf: Vec::new(),
        }
    }

    fn resolve_path(&self) -> Result<Option<PathBuf>, PluginError> {
        let raw = match &self.explicit {
            Some(p) => Some(p.clone()),
            None => dotenv::lookup(&self.root, "DOS_EXPORT_FILE").map_err(|e| PluginError(e.0))?,
        };
        Ok(raw.map(|p| {
            let p = PathBuf::from(p);
            if p.is_absolute() {
                p
            } else {
                self.root.join(p)
            }
        }))
    }
}

impl Exporter for FileExporter {
    fn export(&mut self, events: &[EventRef<'_>]) -> Result<ExportResult, PluginError> {
        let done = |exported: u64, detail: String| ExportResult::for_batch(events, exported, detail);
        let path = match self.resolve_path() {
            Ok(Some(p)) => p,
            Ok(None) => {
                return Ok(done(
                    0,
                    "no export path (pass --path, set $DOS_EXPORT_FILE, or add DOS_EXPORT_FILE to the workspace .env)"
                        .into(),
                ))
            }
            Err(e) => return Ok(done(0, format!("error: {e}"))),
        };
        let shown = path.display();
        let n = events.len();
        if self.dry_run {
            return Ok(done(0, format!("[dry-run] would append {n} event(s) to {shown}")));
        }
        if n == 0 {
            return Ok(done(0, format!("no new events for {shown}")));
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.reserve(events.iter().map(|e| e.record.len() + 1).sum());
        for e in events {
            buf.extend_from_slice(e.record.as_str().as_bytes());
            buf.push(b'\n');
        }
        let write = || -> std::io::Result<()> {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let mut f = std::fs::OpenOptions::new()
                .read(true)
                .create(true)
                .append(true)
                .open(&path)?;
            append_on_fresh_line(&mut f, &buf)
        };
        let written = write();
        self.buf = buf;
        match written {
            Ok(()) => Ok(done(n as u64, format!("appended {n} event(s) to {shown}"))),
            Err(e) => Ok(done(0, format!("error: {}: '{shown}'", io_error_text(&e)))),
        }
    }
}

/// Append `lines` to `f` (opened for append) so that they start on a fresh
/// line: when the file does not end in `\n` (a line torn by an earlier
/// failed write, or written by someone else), a `\n` goes first. When the
/// write fails part-way (a full disk), the file is cut back to its length
/// before the write — unless someone else appended meanwhile — so no torn
/// line of ours is left for the next export to glue a record onto.
fn append_on_fresh_line(f: &mut std::fs::File, lines: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    let before = f.metadata()?.len();
    let mut last = [0u8; 1];
    let torn = before > 0 && f.read_exact_at(&mut last, before - 1).is_ok() && last[0] != b'\n';
    let mut written = 0u64;
    let mut result = Ok(());
    for part in [if torn { &b"\n"[..] } else { &b""[..] }, lines] {
        let mut rest = part;
        while !rest.is_empty() {
            match f.write(rest) {
                Ok(0) => {
                    result = Err(std::io::Error::from(std::io::ErrorKind::WriteZero));
                    break;
                }
                Ok(n) => {
                    written += n as u64;
                    rest = &rest[n..];
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        if result.is_err() {
            break;
        }
    }
    if result.is_err() && written > 0 && f.metadata().is_ok_and(|m| m.len() == before + written) {
        let _ = f.set_len(before);
    }
    result
}

fn register(r: &mut Registry) {
    r.exporter("file", |cfg| Ok(FileExporter::new(cfg)));
}

dos_plugin_api::export_plugin!(name: "dos-export-file", version: env!("CARGO_PKG_VERSION"), register: register);
