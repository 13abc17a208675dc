//! `hello`: a minimal third-party exporter. It writes one greeting line per
//! verdict to stderr-free storage: a text file named by its `dos.toml` table
//! (`[exporters.hello] greeting_file = "hello.txt"`), relative to the
//! workspace root, and reports every event as exported.

use dos_plugin_api::{DriverConfig, EventRef, ExportResult, Exporter, PluginError, Registry};
use std::io::Write;
use std::path::PathBuf;

struct Hello {
    file: PathBuf,
    greeting: String,
}

/// `[exporters.hello]` in dos.toml, plus the workspace `root` the host adds.
/// A wrong-typed key (`greeting = 3`) fails the constructor with
/// `[exporters.hello] greeting: expected a string, found integer 3`.
#[derive(serde::Deserialize)]
struct Config {
    #[serde(default = "default_file")]
    greeting_file: String,
    #[serde(default = "default_greeting")]
    greeting: String,
    #[serde(default)]
    root: Option<PathBuf>,
}

fn default_file() -> String {
    "hello.txt".into()
}

fn default_greeting() -> String {
    "hello".into()
}

impl Hello {
    fn new(cfg: &DriverConfig) -> Result<Self, PluginError> {
        let c: Config = cfg.parse()?;
        let root = c.root.unwrap_or_else(|| PathBuf::from("."));
        Ok(Hello { file: root.join(c.greeting_file), greeting: c.greeting })
    }
}

impl Exporter for Hello {
    fn export(&mut self, events: &[EventRef<'_>]) -> Result<ExportResult, PluginError> {
        let mut out = String::new();
        for e in events {
            let record = e.to_json().map_err(|err| PluginError::new(format!("bad record: {err}")))?;
            let verdict = record.get("verdict").and_then(|v| v.as_str()).unwrap_or("?");
            out.push_str(&format!("{} #{} {}\n", self.greeting, e.seq, verdict));
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.file)
            .map_err(|err| PluginError::new(format!("{}: {err}", self.file.display())))?;
        f.write_all(out.as_bytes()).map_err(|err| PluginError::new(err.to_string()))?;
        Ok(ExportResult {
            exported: events.len() as u64,
            detail: format!("greeted {} event(s) in {}", events.len(), self.file.display()),
            cursor: ExportResult::cursor_for(events),
        })
    }
}

fn register(r: &mut Registry) {
    r.exporter("hello", Hello::new);
}

dos_plugin_api::export_plugin!(name: "hello-exporter", version: env!("CARGO_PKG_VERSION"), register: register);
