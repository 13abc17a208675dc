//! One drain: stream the journal, hand pending events to an exporter in
//! bounded batches, and work out how far delivery was *confirmed*.
//!
//! Batches keep memory flat (a few MiB whatever the journal size). The first
//! batch the exporter does not confirm completely ends the handing-over; the
//! rest of the journal is still read to count what was pending. The new
//! cursor covers only confirmed events: with `F` the old floor, `D` the
//! highest delivered seq and `U` the lowest seq not delivered,
//! `new floor = max(F, min(D, U - 1))` — so no undelivered event is ever at or
//! below the cursor, even in a journal whose seqs are not in file order. A
//! partially confirmed batch counts as not delivered at all: an
//! `ExportResult` says how many events arrived, not which.

use super::cursor::ResumePoint;
use crate::journal::reader::{tail_start, Entry, JournalReader};
use crate::plugin_host::batch::EventBatch;
use crate::plugin_host::handles::ExporterHandle;
use dos_plugin_api::ExportResult;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Arc;

/// Somewhere batches go (the exporter handle; a fake in tests).
pub(crate) trait Sink {
    /// Export one batch; never fails (failures are results).
    fn export(&mut self, batch: &Arc<EventBatch>) -> ExportResult;
}

impl Sink for ExporterHandle {
    fn export(&mut self, batch: &Arc<EventBatch>) -> ExportResult {
        ExporterHandle::export(self, batch)
    }
}

/// Limits on one batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BatchLimits {
    /// At most this many events.
    pub events: usize,
    /// At most about this many bytes of record text.
    pub bytes: usize,
}

impl Default for BatchLimits {
    fn default() -> Self {
        // 1 MiB batches: small enough to stay in cache between the reading
        // thread and the exporter and to be reused by the allocator (no fresh
        // pages per batch), large enough that per-call costs vanish.
        BatchLimits {
            events: 16_384,
            bytes: 1024 * 1024,
        }
    }
}

/// What to drain.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DrainSpec {
    /// Only events with seq > floor (0 = no filter).
    pub floor: i64,
    /// Only the last N journal entries (`--tail`), if set.
    pub tail: Option<usize>,
    /// Start reading here (a verified resume point for `floor`).
    pub resume: Option<ResumePoint>,
    /// Batch limits.
    pub limits: BatchLimits,
}

/// Progress so far (for the terminal progress line).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Progress {
    /// Events handed to the exporter.
    pub handed: u64,
    /// Events it confirmed.
    pub confirmed: u64,
    /// Journal bytes read.
    pub bytes_read: u64,
}

/// The outcome of one drain.
#[derive(Debug, Clone)]
pub(crate) struct DrainOutcome {
    /// Events that matched (`pending` in the output).
    pub pending: u64,
    /// The result to show: one batch's as-is; several merged.
    pub result: ExportResult,
    /// The new floor over confirmed events (≥ the old floor).
    pub safe_floor: i64,
    /// Where the confirmed prefix ends, when it can be known.
    pub resume: Option<ResumePoint>,
    /// Events confirmed in total.
    pub confirmed: u64,
    /// Why the journal could not be read (treated as empty).
    pub read_error: Option<String>,
    /// Records whose seq is out of range (read as seq 0), for a warning.
    pub bad_seqs: BadSeqs,
}

/// Records read with an out-of-range seq (see
/// [`crate::journal::record::SeqOutOfRange`]): how many, and the first
/// one's seq as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BadSeqs {
    /// How many records.
    pub count: u64,
    /// The first one's `seq` (JSON text, shortened).
    pub first: Option<String>,
}

impl BadSeqs {
    /// The warning line for `journal`, when there is something to say.
    pub(crate) fn warning(&self, journal: &Path) -> Option<String> {
        let first = self.first.as_deref()?;
        Some(format!(
            "warning: {} record(s) of {} carry a seq that is not an integer the journal can order \
             (first: {first}); they are read as seq 0, so they never set the next seq or the export cursor",
            self.count,
            journal.display()
        ))
    }
}

struct Confirmed {
    end: u64,
    max_seq: i64,
    anchor: i64,
}

/// A full batch on its way from the reading thread to the sink, with the
/// facts the confirmation bookkeeping needs.
struct Closed {
    batch: EventBatch,
    /// Where its last line ends.
    end: u64,
    /// Its last line's seq.
    anchor: i64,
    /// The highest seq of every record read so far (skipped ones included).
    running_max: i64,
}

/// What the reading thread found besides the batches it sent.
struct ReadTally {
    pending: u64,
    /// The lowest seq among pending events it did not send (after a stop).
    min_unsent: Option<i64>,
    read_error: Option<String>,
    bad_seqs: BadSeqs,
}

/// Run one drain of `journal` into `sink`.
///
/// The journal is read (and batches are built) on a second thread while the
/// sink exports the previous batch on this one, so reading and shipping
/// overlap; at most two batches wait between them.
pub(crate) fn drain(
    journal: &Path,
    spec: &DrainSpec,
    sink: &mut dyn Sink,
    progress: &mut dyn FnMut(&Progress),
) -> DrainOutcome {
    let opened = match spec.tail {
        Some(n) => tail_start(journal, n).and_then(|t| match t {
            Some((start, len)) => JournalReader::open_range(journal, start, Some(len)),
            None => Ok(None),
        }),
        None => JournalReader::open_range(journal, spec.resume.map_or(0, |r| r.offset), None),
    };
    let (reader, open_error) = match opened {
        Ok(r) => (r, None),
        Err(e) => (None, Some(format!("cannot read {}: {e}", journal.display()))),
    };
    // Whether "all records before the current position have seq ≤ floor"
    // holds, which a resume point requires.
    let prefix_known = spec.tail.is_none();
    let mut st = State {
        results: Vec::new(),
        stopped: false,
        confirmed: Vec::new(),
        min_undelivered: None,
        max_delivered: None,
        progress: Progress::default(),
    };
    let stop = AtomicBool::new(false);
    let tally = std::thread::scope(|scope| {
        let (tx, rx) = sync_channel::<Closed>(1);
        let stop = &stop;
        let reading = std::thread::Builder::new()
            .name("dos-export-read".into())
            .spawn_scoped(scope, move || read_batches(reader, journal, spec, &tx, stop));
        let reading = match reading {
            Ok(h) => h,
            Err(e) => {
                return ReadTally {
                    pending: 0,
                    min_unsent: None,
                    read_error: Some(format!("cannot start reading {}: {e}", journal.display())),
                    bad_seqs: BadSeqs::default(),
                }
            }
        };
        for closed in rx {
            if st.stopped {
                // Read ahead before the stop was seen: never handed over.
                st.not_handed(closed.batch.seqs());
                continue;
            }
            st.flush(sink, closed);
            if st.stopped {
                stop.store(true, Ordering::Relaxed);
            }
            progress(&st.progress);
        }
        reading.join().unwrap_or_else(|_| ReadTally {
            pending: 0,
            min_unsent: None,
            read_error: Some(format!("reading {} failed unexpectedly", journal.display())),
            bad_seqs: BadSeqs::default(),
        })
    });
    st.not_handed(tally.min_unsent);
    progress(&st.progress);
    let mut outcome = st.finish(spec, tally.pending, prefix_known, open_error.or(tally.read_error));
    outcome.bad_seqs = tally.bad_seqs;
    outcome
}

/// The reading half of [`drain`]: stream the journal, count what is pending,
/// and send full batches to `tx`. Once `stop` is set, pending events are only
/// counted (their lowest seq is remembered), not batched.
fn read_batches(
    reader: Option<JournalReader>,
    journal: &Path,
    spec: &DrainSpec,
    tx: &SyncSender<Closed>,
    stop: &AtomicBool,
) -> ReadTally {
    let limits = spec.limits;
    // Room for a full batch up front: the last record may overshoot the byte
    // limit by one line.
    let new_batch = || EventBatch::with_capacity(limits.events.min(65_536), limits.bytes + 64 * 1024);
    let mut tally = ReadTally {
        pending: 0,
        min_unsent: None,
        read_error: None,
        bad_seqs: BadSeqs::default(),
    };
    let mut batch = new_batch();
    let mut sent_any = false;
    let mut stopped = false;
    let mut running_max = i64::MIN;
    let mut last_end = 0u64;
    let mut last_seq = 0i64;
    let unsent = |t: &mut ReadTally, seq: i64| t.min_unsent = Some(t.min_unsent.map_or(seq, |m| m.min(seq)));
    if let Some(mut r) = reader {
        loop {
            let (entry, span) = match r.next_entry() {
                Ok(Some(x)) => x,
                Ok(None) => break,
                Err(e) => {
                    tally.read_error = Some(format!("cannot read {}: {e}", journal.display()));
                    break;
                }
            };
            let Entry::Record(line) = entry else {
                continue;
            };
            if line.seq_out_of_range {
                tally.bad_seqs.count += 1;
                tally.bad_seqs.first.get_or_insert_with(|| line.raw_seq());
            }
            running_max = running_max.max(line.seq);
            if spec.floor != 0 && line.seq <= spec.floor {
                continue;
            }
            tally.pending += 1;
            if !stopped && stop.load(Ordering::Relaxed) {
                stopped = true;
                for seq in batch.seqs() {
                    unsent(&mut tally, seq);
                }
                batch = EventBatch::default();
            }
            if stopped {
                unsent(&mut tally, line.seq);
                continue;
            }
            batch.push(line.seq, &line.export_line());
            last_end = span.end;
            last_seq = line.seq;
            if batch.len() >= limits.events || batch.text_len() >= limits.bytes {
                let closed = Closed {
                    batch: std::mem::replace(&mut batch, new_batch()),
                    end: last_end,
                    anchor: last_seq,
                    running_max,
                };
                sent_any = true;
                if let Err(back) = tx.send(closed) {
                    // The sink side is gone: count the rest as not handed over.
                    stopped = true;
                    for seq in back.0.batch.seqs() {
                        unsent(&mut tally, seq);
                    }
                }
            }
        }
    }
    if stopped || stop.load(Ordering::Relaxed) {
        for seq in batch.seqs() {
            unsent(&mut tally, seq);
        }
    } else if !batch.is_empty() || !sent_any {
        // The reference calls the exporter even with nothing pending.
        let closed = Closed {
            batch,
            end: last_end,
            anchor: last_seq,
            running_max,
        };
        if let Err(back) = tx.send(closed) {
            for seq in back.0.batch.seqs() {
                unsent(&mut tally, seq);
            }
        }
    }
    tally
}

struct State {
    results: Vec<(ExportResult, usize)>,
    stopped: bool,
    confirmed: Vec<Confirmed>,
    min_undelivered: Option<i64>,
    max_delivered: Option<i64>,
    progress: Progress,
}

impl State {
    /// Note events that were pending but never handed over.
    fn not_handed(&mut self, seqs: impl IntoIterator<Item = i64>) {
        if let Some(min) = seqs.into_iter().min() {
            self.min_undelivered = Some(self.min_undelivered.map_or(min, |m| m.min(min)));
        }
    }

    fn flush(&mut self, sink: &mut dyn Sink, closed: Closed) {
        let Closed {
            batch,
            end,
            anchor,
            running_max,
        } = closed;
        let n = batch.len();
        let max = batch.seqs().max();
        let min = batch.seqs().min();
        self.progress.bytes_read = end;
        let shared = Arc::new(batch);
        let result = sink.export(&shared);
        drop(shared);
        self.progress.handed += n as u64;
        let complete = n > 0 && result.exported == n as u64;
        if complete {
            self.progress.confirmed += n as u64;
            let max = max.unwrap_or(i64::MIN);
            self.max_delivered = Some(self.max_delivered.map_or(max, |m| m.max(max)));
            self.confirmed.push(Confirmed {
                end,
                max_seq: running_max,
                anchor,
            });
        } else {
            self.stopped = true;
            self.not_handed(min);
            self.progress.confirmed += result.exported.min(n as u64);
        }
        self.results.push((result, n));
    }

    fn finish(
        self,
        spec: &DrainSpec,
        pending: u64,
        prefix_known: bool,
        read_error: Option<String>,
    ) -> DrainOutcome {
        let safe_floor = match self.max_delivered {
            None => spec.floor,
            Some(d) => {
                let cap = self.min_undelivered.map_or(d, |u| d.min(u.saturating_sub(1)));
                spec.floor.max(cap)
            }
        };
        let resume = if prefix_known {
            self.confirmed
                .iter()
                .rev()
                .find(|c| c.max_seq <= safe_floor)
                .map(|c| ResumePoint {
                    offset: c.end,
                    anchor: c.anchor,
                })
                .or(spec.resume)
        } else {
            None
        };
        let confirmed: u64 = self.results.iter().map(|(r, n)| r.exported.min(*n as u64)).sum();
        let result = merge(&self.results, pending, self.stopped);
        DrainOutcome {
            pending,
            result,
            safe_floor,
            resume,
            confirmed,
            read_error,
            bad_seqs: BadSeqs::default(),
        }
    }
}

/// Merge per-batch results into the one line the CLI shows (pure).
///
/// One batch: its result unchanged (the reference's output). Several:
/// `exported` is the sum, `cursor` the highest batch cursor, and the detail
/// says how many batches there were and quotes the last one — or, when a
/// batch was not confirmed, quotes that batch and how many pending events
/// were never handed over.
pub(crate) fn merge(results: &[(ExportResult, usize)], pending: u64, stopped: bool) -> ExportResult {
    let exported: u64 = results.iter().map(|(r, _)| r.exported).sum();
    let cursor = results
        .iter()
        .filter_map(|(r, _)| r.cursor.parse::<i64>().ok())
        .max()
        .map(|c| c.to_string())
        .unwrap_or_default();
    let handed: u64 = results.iter().map(|(_, n)| *n as u64).sum();
    let Some((last, _)) = results.last() else {
        return ExportResult::default();
    };
    let detail = if stopped {
        let k = results.len();
        let not_handed = pending.saturating_sub(handed);
        match (k, not_handed) {
            (1, 0) => last.detail.clone(),
            (_, 0) => format!("batch {k}: {}", last.detail),
            _ => format!(
                "batch {k}: {}; {not_handed} more event(s) not handed over",
                last.detail
            ),
        }
    } else if results.len() == 1 {
        last.detail.clone()
    } else {
        format!("{} batches, last: {}", results.len(), last.detail)
    };
    ExportResult {
        exported,
        detail,
        cursor: if results.len() == 1 {
            last.cursor.clone()
        } else {
            cursor
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Confirms batches according to a script: `Some(k)` = confirm k events.
    struct Scripted {
        script: Vec<Option<u64>>,
        seen: Vec<Vec<i64>>,
    }

    impl Sink for Scripted {
        fn export(&mut self, batch: &Arc<EventBatch>) -> ExportResult {
            let i = self.seen.len();
            self.seen.push(batch.seqs().collect());
            let n = batch.len() as u64;
            let exported = self.script.get(i).copied().flatten().unwrap_or(n).min(n);
            ExportResult {
                exported,
                detail: format!("got {n}"),
                cursor: batch
                    .seqs()
                    .max()
                    .map(|m| m.max(0).to_string())
                    .unwrap_or_default(),
            }
        }
    }

    fn journal(seqs: &[i64]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        let mut f = std::fs::File::create(&p).unwrap();
        for s in seqs {
            let mut e = crate::journal::VerdictEvent::new("x", "Y");
            e.seq = *s;
            e.ts = "2026-01-01T00:00:00Z".into();
            writeln!(f, "{}", e.to_line()).unwrap();
        }
        (dir, p)
    }

    fn run(seqs: &[i64], floor: i64, script: Vec<Option<u64>>) -> (DrainOutcome, Vec<Vec<i64>>) {
        let (_d, p) = journal(seqs);
        let mut sink = Scripted {
            script,
            seen: Vec::new(),
        };
        let spec = DrainSpec {
            floor,
            tail: None,
            resume: None,
            limits: BatchLimits {
                events: 2,
                bytes: 1 << 20,
            },
        };
        let out = drain(&p, &spec, &mut sink, &mut |_| {});
        (out, sink.seen)
    }

    #[test]
    fn safe_floor_table() {
        // (journal seqs, floor, script, expected batches, safe floor, confirmed)
        type Row = (Vec<i64>, i64, Vec<Option<u64>>, Vec<Vec<i64>>, i64, u64);
        let table: Vec<Row> = vec![
            (
                vec![1, 2, 3, 4, 5],
                0,
                vec![],
                vec![vec![1, 2], vec![3, 4], vec![5]],
                5,
                5,
            ),
            (vec![1, 2, 3, 4, 5], 2, vec![], vec![vec![3, 4], vec![5]], 5, 3),
            (
                vec![1, 2, 3, 4, 5],
                0,
                vec![None, Some(0)],
                vec![vec![1, 2], vec![3, 4]],
                2,
                2,
            ),
            (
                vec![1, 2, 3, 4, 5],
                0,
                vec![None, Some(1)],
                vec![vec![1, 2], vec![3, 4]],
                2,
                3,
            ),
            (vec![1, 2, 3, 4, 5], 0, vec![Some(0)], vec![vec![1, 2]], 0, 0),
            // Out of order: 9 delivered, but 3 was not → floor stays at 2.
            (
                vec![1, 9, 3, 4],
                0,
                vec![None, Some(0)],
                vec![vec![1, 9], vec![3, 4]],
                2,
                2,
            ),
            (vec![], 0, vec![], vec![vec![]], 0, 0),
        ];
        for (seqs, floor, script, batches, safe, confirmed) in table {
            let (out, seen) = run(&seqs, floor, script.clone());
            assert_eq!(seen, batches, "{seqs:?} {script:?}");
            assert_eq!(out.safe_floor, safe, "{seqs:?} {script:?}");
            assert_eq!(out.confirmed, confirmed, "{seqs:?} {script:?}");
            assert_eq!(
                out.pending as usize,
                seqs.iter().filter(|s| floor == 0 || **s > floor).count()
            );
        }
    }

    #[test]
    fn resume_point_covers_only_the_confirmed_prefix() {
        let (out, _) = run(&[1, 2, 3, 4, 5], 0, vec![None, Some(0)]);
        let r = out.resume.expect("first batch confirmed");
        assert_eq!(r.anchor, 2);
        let (out, _) = run(&[1, 2, 3], 0, vec![]);
        assert_eq!(out.resume.map(|r| r.anchor), Some(3));
    }

    #[test]
    fn merge_table() {
        let r = |e: u64, d: &str, c: &str| ExportResult {
            exported: e,
            detail: d.into(),
            cursor: c.into(),
        };
        let one = merge(&[(r(3, "ok", "3"), 3)], 3, false);
        assert_eq!(one, r(3, "ok", "3"));
        let many = merge(&[(r(2, "a", "2"), 2), (r(1, "b", "3"), 1)], 3, false);
        assert_eq!(many, r(3, "2 batches, last: b", "3"));
        let stop = merge(&[(r(2, "a", "2"), 2), (r(0, "boom", "4"), 2)], 9, true);
        assert_eq!(stop, r(2, "batch 2: boom; 5 more event(s) not handed over", "4"));
        let first = merge(&[(r(0, "no path", "12"), 12)], 12, true);
        assert_eq!(first, r(0, "no path", "12"));
    }
}
