//! Exporter plugin `file`: appends each verdict event as one line in the
//! journal's own shape to a local file (`O_APPEND`, one write per batch).
//!
//! Path ladder: `path` (CLI `--path` or `[exporters.file] path`) ›
//! `$DOS_EXPORT_FILE` › `DOS_EXPORT_FILE` in the workspace `.env`. A relative
//! path is joined onto the workspace root.

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
                .create(true)
                .append(true)
                .open(&path)?;
            f.write_all(&buf)?;
            f.flush()
        };
        let written = write();
        self.buf = buf;
        match written {
            Ok(()) => Ok(done(n as u64, format!("appended {n} event(s) to {shown}"))),
            Err(e) => Ok(done(0, format!("error: {}: '{shown}'", io_error_text(&e)))),
        }
    }
}

fn register(r: &mut Registry) {
    r.exporter("file", |cfg| Ok(FileExporter::new(cfg)));
}

dos_plugin_api::export_plugin!(name: "dos-export-file", version: env!("CARGO_PKG_VERSION"), register: register);
