//! `dos export`: drain the verdict journal to an exporter (spec §5).
//!
//! Check order: workspace and journal path, exporter name (exit 2), `--since`
//! (exit 2), then drain, render, persist, exit code. Exporters resolve by name
//! through the plugin host (built-in `null` first).

use super::workspace_args::WorkspaceArgs;
use super::CliError;
use crate::export::cursor::{self, CursorValue, ResumePoint};
use crate::export::drain::{drain, BatchLimits, DrainOutcome, DrainSpec, Progress};
use crate::export::{
    decide_persist, exit_code, render_json, render_text, CursorNote, PersistDecision, PersistFacts, Report,
};
use crate::journal;
use crate::plugin_host::{PluginHost, ResolveError};
use dos_py::{int::py_int, repr::str_repr as py_repr_str, text::py_strip};
use serde_json::{Map, Value};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Arguments of `dos export`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ExportArgs {
    /// Workspace selection.
    #[command(flatten)]
    pub ws: WorkspaceArgs,
    /// Exporter name (`null`, `file`, `statsd`, `otlp`, or a plugin's).
    #[arg(long, default_value = "")]
    pub to: String,
    /// Output file (`file`).
    #[arg(long)]
    pub path: Option<String>,
    /// Host (`statsd`).
    #[arg(long)]
    pub host: Option<String>,
    /// Port (`statsd`).
    #[arg(long, allow_negative_numbers = true)]
    pub port: Option<i64>,
    /// Tag format (`statsd`): dogstatsd (default), graphite or influx.
    #[arg(long)]
    pub tag_format: Option<String>,
    /// Collector URL (`otlp`).
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Only events after this seq; `auto` resumes from the persisted cursor.
    #[arg(long, value_name = "SEQ|auto", default_value = "", allow_hyphen_values = true)]
    pub since: String,
    /// Only the last N journal entries (≤ 0: all).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub tail: i64,
    /// Keep draining (bounded by --follow-max); persists the cursor.
    #[arg(long)]
    pub follow: bool,
    /// Seconds between --follow ticks (0 → 2.0; negative → no sleep).
    #[arg(long, default_value_t = 2.0, allow_negative_numbers = true)]
    pub follow_interval: f64,
    /// Stop --follow after N ticks (0: unlimited).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub follow_max: i64,
    /// Ask the exporter to report what it would do, shipping nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The `--since` error (spec §5.2 step 3).
fn since_error(raw: &str) -> CliError {
    CliError::Usage(format!(
        "--since must be an integer seq cursor or 'auto' (got {})",
        py_repr_str(raw)
    ))
}

/// The option bag for the exporter: only the flags given, plus `dry_run`
/// (the host adds `root` and `state_dir`).
pub(crate) fn option_bag(args: &ExportArgs) -> Map<String, Value> {
    let mut bag = Map::new();
    if let Some(p) = &args.path {
        bag.insert("path".into(), Value::String(p.clone()));
    }
    if let Some(h) = &args.host {
        bag.insert("host".into(), Value::String(h.clone()));
    }
    if let Some(p) = args.port {
        bag.insert("port".into(), Value::from(p));
    }
    if let Some(t) = &args.tag_format {
        bag.insert("tag_format".into(), Value::String(t.clone()));
    }
    if let Some(e) = &args.endpoint {
        bag.insert("endpoint".into(), Value::String(e.clone()));
    }
    bag.insert("dry_run".into(), Value::Bool(args.dry_run));
    bag
}

/// `--follow-interval` as the reference reads it: 0 → 2.0, negative → 0.
pub(crate) fn follow_interval(secs: f64) -> Duration {
    let s = if secs == 0.0 || secs.is_nan() {
        2.0
    } else {
        secs.max(0.0)
    };
    Duration::try_from_secs_f64(s).unwrap_or(Duration::ZERO)
}

/// Where `--since` starts.
struct Start {
    floor: i64,
    auto: bool,
    resume: Option<ResumePoint>,
}

fn resolve_since(raw: &str, journal: &Path, transport: &str) -> Result<Start, CliError> {
    let s = py_strip(raw);
    if s.is_empty() {
        return Ok(Start {
            floor: 0,
            auto: false,
            resume: None,
        });
    }
    if s.eq_ignore_ascii_case("auto") {
        let path =
            cursor::cursor_path(&cursor::cursor_base(journal), transport).map_err(|_| since_error(raw))?;
        let value = cursor::read_cursor(&path);
        if let CursorValue::Unusable(why) = &value {
            eprintln!(
                "warning: export cursor {} is unusable ({why}); draining from the start",
                path.display()
            );
        }
        let floor = value.floor();
        let resume = (floor > 0)
            .then(|| cursor::verified_resume(&path, floor, journal))
            .flatten();
        return Ok(Start {
            floor,
            auto: true,
            resume,
        });
    }
    let floor = py_int(s).ok_or_else(|| since_error(raw))?;
    Ok(Start {
        floor,
        auto: false,
        resume: None,
    })
}

/// Progress on stderr for long drains, only on a terminal and not in JSON mode.
struct ProgressLine {
    enabled: bool,
    started: Instant,
    last: Option<Instant>,
    shown: bool,
}

impl ProgressLine {
    const DELAY: Duration = Duration::from_secs(2);
    const EVERY: Duration = Duration::from_millis(250);

    fn new(json: bool) -> Self {
        ProgressLine {
            enabled: !json && std::io::stderr().is_terminal(),
            started: Instant::now(),
            last: None,
            shown: false,
        }
    }

    fn update(&mut self, p: &Progress) {
        if !self.enabled || self.started.elapsed() < Self::DELAY {
            return;
        }
        if self.last.is_some_and(|t| t.elapsed() < Self::EVERY) {
            return;
        }
        self.last = Some(Instant::now());
        self.shown = true;
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[Kexport: {} event(s) handed over, {} confirmed, {:.1} MiB of journal read",
            p.handed,
            p.confirmed,
            p.bytes_read as f64 / (1024.0 * 1024.0)
        );
        let _ = err.flush();
    }

    fn clear(&mut self) {
        if self.shown {
            let _ = write!(std::io::stderr(), "\r\x1b[K");
            self.shown = false;
        }
    }
}

/// Run `dos export`.
pub(crate) fn run(top_ws: Option<&PathBuf>, args: &ExportArgs) -> Result<i32, CliError> {
    let ws = args.ws.resolve(top_ws)?;
    let journal = journal::try_journal_path(&ws)?;
    let name = if args.to.is_empty() {
        "null"
    } else {
        args.to.as_str()
    };
    let null = name == "null";
    let host = PluginHost::for_workspace(&ws, true)?;
    let bag = if null { Map::new() } else { option_bag(args) };
    let mut exporter = host.exporter(name, &bag).map_err(|e| match e {
        ResolveError::Unknown { noun, name, known } => {
            CliError::Usage(format!("unknown {noun} {}; known: {known}", py_repr_str(&name)))
        }
        other => CliError::Resolve(other),
    })?;
    let start = resolve_since(&args.since, &journal, name)?;
    let persist = start.auto || args.follow;
    let cursor_file = cursor::cursor_path(&cursor::cursor_base(&journal), name);
    let tail = (args.tail > 0).then(|| usize::try_from(args.tail).unwrap_or(usize::MAX));

    let mut floor = start.floor;
    let mut resume = start.resume;
    let mut sticky = 0;
    let mut ticks: i64 = 0;
    loop {
        let spec = DrainSpec {
            floor,
            tail,
            resume,
            limits: BatchLimits::default(),
        };
        let mut line = ProgressLine::new(args.json);
        let outcome = drain(&journal, &spec, &mut exporter, &mut |p| line.update(p));
        line.clear();
        if let Some(e) = &outcome.read_error {
            eprintln!("warning: {e}; nothing was read from it");
        }
        if let Some(w) = outcome.bad_seqs.warning(&journal) {
            eprintln!("{w}");
        }
        let decision = decide_persist(PersistFacts {
            requested: persist,
            null,
            dry_run: args.dry_run,
            confirmed: outcome.confirmed,
            floor,
            safe_floor: outcome.safe_floor,
        });
        let note = apply_persist(&decision, &cursor_file, &journal, &outcome);
        let cursor_failure = note.failure(outcome.confirmed);
        let report = Report {
            exporter: name,
            null,
            pending: outcome.pending,
            floor,
            result: &outcome.result,
            persist,
            note,
        };
        let text = if args.json {
            render_json(&report)
        } else {
            render_text(&report)
        };
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
        drop(out);
        let mut code = exit_code(
            null,
            args.dry_run,
            outcome.pending,
            outcome.result.exported,
            outcome.read_error.is_some(),
        );
        if let Some(line) = &cursor_failure {
            eprintln!("{line}");
            code = code.max(1);
        }
        if !args.follow {
            return Ok(code);
        }
        sticky = sticky.max(code);
        if outcome.confirmed > 0 && outcome.safe_floor > floor {
            floor = outcome.safe_floor;
            resume = outcome.resume;
        }
        ticks += 1;
        if args.follow_max > 0 && ticks >= args.follow_max {
            return Ok(sticky);
        }
        let pause = follow_interval(args.follow_interval);
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
    }
}

/// Carry out the persist decision and say what happened.
fn apply_persist(
    decision: &PersistDecision,
    cursor_file: &Result<PathBuf, cursor::CursorPathError>,
    journal: &Path,
    outcome: &DrainOutcome,
) -> CursorNote {
    match decision {
        PersistDecision::NotRequested => CursorNote::Resume,
        PersistDecision::Skip(why) => CursorNote::NotPersisted((*why).to_string()),
        PersistDecision::Write(seq) => match cursor_file {
            Err(e) => CursorNote::WriteFailed(e.to_string()),
            Ok(path) => match cursor::write_cursor(path, *seq, journal, outcome.resume) {
                Ok(()) => CursorNote::Persisted(*seq),
                Err(e) => CursorNote::WriteFailed(format!("cannot write {}: {e}", path.display())),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follow_interval_table() {
        let table = [(0.0, 2.0), (-1.0, 0.0), (0.5, 0.5), (2.0, 2.0)];
        for (given, secs) in table {
            assert_eq!(follow_interval(given), Duration::from_secs_f64(secs), "{given}");
        }
    }

    #[test]
    fn since_table() {
        let j = Path::new("/nonexistent/j.jsonl");
        let ok = |raw: &str| resolve_since(raw, j, "file").ok().map(|s| (s.floor, s.auto));
        assert_eq!(ok(""), Some((0, false)));
        assert_eq!(ok("  "), Some((0, false)));
        assert_eq!(ok("5"), Some((5, false)));
        assert_eq!(ok("+5"), Some((5, false)));
        assert_eq!(ok("1_0"), Some((10, false)));
        assert_eq!(ok("-3"), Some((-3, false)));
        assert_eq!(ok("AUTO"), Some((0, true)));
        assert_eq!(ok(" auto "), Some((0, true)));
        assert_eq!(ok("1.5"), None);
        let e = resolve_since("it's", j, "file").err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("--since must be an integer seq cursor or 'auto' (got \"it's\")")
        );
    }
}
