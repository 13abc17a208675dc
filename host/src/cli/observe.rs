//! `dos observe`: the verdict journal folded by syscall (or another
//! dimension), or the event history of a run (spec §9).
//!
//! Streams the journal twice over one snapshot length — once to fold and
//! count, once to print the selected events — so memory stays flat however
//! long the journal is. Exit 1 when the journal holds corrupt lines.

use super::workspace_args::WorkspaceArgs;
use super::CliError;
use crate::export::drain::BadSeqs;
use crate::journal::{self, Entry, JournalReader, VerdictEvent};
use crate::observe::{render_history_head, render_history_row, render_rollup, By, Rollup};
use dos_py::dumps::{dumps, Style};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `dos observe`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ObserveArgs {
    /// Workspace selection.
    #[command(flatten)]
    pub ws: WorkspaceArgs,
    /// Only events of this run id (shows the history).
    #[arg(long, default_value = "")]
    pub run: String,
    /// Only events of this syscall.
    #[arg(long, default_value = "")]
    pub syscall: String,
    /// Fold by this dimension.
    #[arg(long, value_enum, default_value = "syscall")]
    pub by: ByFlag,
    /// Show the last N events (history).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub tail: i64,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `--by`: the rollup dimension as a flag value (the kernel's [`By`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ByFlag {
    /// The verb's syscall token (default).
    Syscall,
    /// The verdict token.
    Verdict,
    /// The run id.
    #[value(name = "run_id")]
    RunId,
    /// The lane.
    Lane,
    /// Who wrote the event.
    Source,
}

impl From<ByFlag> for By {
    fn from(f: ByFlag) -> By {
        match f {
            ByFlag::Syscall => By::Syscall,
            ByFlag::Verdict => By::Verdict,
            ByFlag::RunId => By::RunId,
            ByFlag::Lane => By::Lane,
            ByFlag::Source => By::Source,
        }
    }
}

/// Visit every matching event of the journal snapshot `[0, len)`.
fn for_each_event(
    path: &Path,
    len: Option<u64>,
    bad_seqs: &mut BadSeqs,
    mut on_corrupt: impl FnMut(),
    mut on_event: impl FnMut(VerdictEvent),
) -> std::io::Result<u64> {
    let Some(mut r) = JournalReader::open_range(path, 0, len)? else {
        return Ok(0);
    };
    while let Some((entry, _)) = r.next_entry()? {
        match entry {
            Entry::Corrupt { .. } => on_corrupt(),
            Entry::Record(line) => {
                if line.seq_out_of_range {
                    bad_seqs.count += 1;
                    bad_seqs.first.get_or_insert_with(|| line.raw_seq());
                }
                on_event(line.event())
            }
        }
    }
    Ok(r.len())
}

/// Run `dos observe`.
pub(crate) fn run(top_ws: Option<&PathBuf>, args: &ObserveArgs) -> Result<i32, CliError> {
    let ws = args.ws.resolve(top_ws)?;
    let path = journal::try_journal_path(&ws)?;
    let run = args.run.trim();
    let syscall = args.syscall.trim();
    let matches = |e: &VerdictEvent| {
        (run.is_empty() || e.run_id == run) && (syscall.is_empty() || e.syscall == syscall)
    };

    let mut rollup = Rollup::new(args.by.into());
    let mut corrupt = 0u64;
    let mut read_failed = false;
    let mut bad_seqs = BadSeqs::default();
    let len = match for_each_event(
        &path,
        None,
        &mut bad_seqs,
        || corrupt += 1,
        |e| {
            if matches(&e) {
                rollup.add(&e);
            }
        },
    ) {
        Ok(len) => len,
        Err(e) => {
            eprintln!(
                "warning: cannot read {}: {e}; nothing was read from it",
                path.display()
            );
            read_failed = true;
            0
        }
    };
    rollup.corrupt = corrupt;
    if let Some(w) = bad_seqs.warning(&path) {
        eprintln!("{w}");
    }
    let total = rollup.total;
    let tail = u64::try_from(args.tail).unwrap_or(0);
    let skip = if tail > 0 { total.saturating_sub(tail) } else { 0 };
    let history = !run.is_empty() || tail > 0;
    let mut out = std::io::stdout().lock();

    // Print the selected events (after `skip`) through `emit`.
    let selected = |emit: &mut dyn FnMut(&VerdictEvent)| -> std::io::Result<()> {
        let mut seen = 0u64;
        for_each_event(
            &path,
            Some(len),
            &mut BadSeqs::default(),
            || {},
            |e| {
                if matches(&e) {
                    seen += 1;
                    if seen > skip {
                        emit(&e);
                    }
                }
            },
        )
        .map(|_| ())
    };

    if args.json {
        let head = json!({
            "run": run,
            "syscall_filter": syscall,
            "corrupt": rollup.corrupt,
            "rollup": rollup.to_json(),
        });
        let text = dumps(&head, Style::PRETTY);
        let open = text.strip_suffix("\n}").unwrap_or(&text);
        let _ = write!(out, "{open},\n  \"events\": [");
        let mut first = true;
        if total > skip {
            let _ = selected(&mut |e: &VerdictEvent| {
                let item = dumps(&e.to_dict(), Style::PRETTY).replace('\n', "\n    ");
                let _ = write!(out, "{}\n    {item}", if first { "" } else { "," });
                first = false;
            });
        }
        let _ = writeln!(out, "{}]\n}}", if first { "" } else { "\n  " });
    } else if history {
        let _ = out.write_all(render_history_head(run, syscall, total == skip).as_bytes());
        if total > skip {
            let _ = selected(&mut |e: &VerdictEvent| {
                let _ = out.write_all(render_history_row(e, run).as_bytes());
            });
        }
    } else {
        let _ = out.write_all(render_rollup(&rollup, run, syscall).as_bytes());
    }
    let _ = out.flush();
    Ok(if rollup.corrupt > 0 || read_failed { 1 } else { 0 })
}
