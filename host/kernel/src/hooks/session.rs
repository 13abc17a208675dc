//! The hooks' read-decide-append over their files, under the one locked
//! append ([`crate::locked_append`]): replaying a tool stream for the
//! trailing run and the next step index, counting a wait-marker tally,
//! building the records both append, and journaling the PRE hook's
//! enforcement outcome in the lane journal with its help count. The verbs
//! in the `dos-hook` crate only gather input, call these and print.

use super::io;
use super::marker;
use super::pretool::HelpCounts;
use super::store::{self, LockedFile};
use super::tool_stream::{self, Step, StreamPolicy, Verdict};
use crate::lanes::journal::{self as lane_journal, Enforcement};
use dos_py::json::Val;
use serde_json::{Map, Value};
use std::path::Path;

/// Usable fields of one stream record: the step and its `step_index`.
pub fn step_of(record: &Val<'_>) -> Option<(Step, Option<i64>)> {
    let tool_name = record.get("tool_name")?.as_str()?.text;
    let args_digest = record.get("args_digest")?.as_str()?.text;
    let result_digest = record.get("result_digest").and_then(Val::as_str).map(|s| s.text);
    let index = match record.get("step_index") {
        Some(Val::Int(t)) => t.parse().ok(),
        _ => None,
    };
    Some((
        Step {
            tool_name,
            args_digest,
            result_digest,
        },
        index,
    ))
}

/// Files at most this big are counted exactly for `step_index`; beyond, the
/// newest readable record's index + 1 is used (cost independent of length).
pub const EXACT_COUNT_LIMIT: u64 = 64 * 1024;

/// The prior-stream facts posttool needs, read newest first: the trailing
/// run for `newest` (counting it) and the next step index.
pub fn replay_stream(
    file: &mut LockedFile,
    newest: &Step,
    policy: &StreamPolicy,
) -> std::io::Result<(i64, i64)> {
    let len = std::fs::metadata(&file.path)?.len();
    let key = tool_stream::repeat_key(newest, policy);
    let mut lines = file.rev_lines()?;
    let mut run = 1i64;
    let mut run_open = key.is_some();
    let mut count = 0i64;
    let mut newest_index: Option<Option<i64>> = None;
    while let Some(line) = lines.next_line()? {
        let Some(rec) = store::parse_line(&line) else {
            continue;
        };
        if !store::readable(&rec, store::TOOL_STREAM) {
            continue;
        }
        let Some((step, index)) = step_of(&rec) else {
            continue;
        };
        count += 1;
        if newest_index.is_none() {
            newest_index = Some(index);
        }
        if run_open {
            if tool_stream::repeat_key(&step, policy) == key {
                run += 1;
            } else {
                run_open = false;
            }
        }
        if !run_open && len > EXACT_COUNT_LIMIT {
            if let Some(Some(i)) = newest_index.filter(|i| i.is_some_and(|i| i >= 0)) {
                return Ok((run, i + 1));
            }
        }
    }
    Ok((run, count))
}

/// The stream line for `step` (file flavor, `ts` stamped): `run_id` and the
/// verdict state only on a record whose verdict fired.
pub fn step_line(step: &Step, step_index: i64, verdict: &Verdict, run_id: Option<&str>) -> String {
    let fired = verdict.state.fired();
    let mut rec = Map::new();
    rec.insert("args_digest".into(), Value::from(step.args_digest.as_str()));
    rec.insert("op".into(), Value::from("STEP"));
    rec.insert(
        "result_digest".into(),
        step.result_digest.as_deref().map_or(Value::Null, Value::from),
    );
    if let Some(r) = run_id.filter(|_| fired) {
        rec.insert("run_id".into(), Value::from(r));
    }
    rec.insert("schema".into(), io::schema_tag("tool-stream"));
    rec.insert("step_index".into(), Value::from(step_index));
    rec.insert("tool_name".into(), Value::from(step.tool_name.as_str()));
    if fired {
        rec.insert("verdict_state".into(), Value::from(verdict.state.token()));
    }
    io::record_line(rec)
}

/// A wait-marker tally line (`MARKER` or `RESET`; file flavor, `ts` stamped).
pub fn marker_line(op: &str, reason: &str, run_id: Option<&str>) -> String {
    let mut rec = Map::new();
    rec.insert("op".into(), Value::from(op));
    rec.insert("reason".into(), Value::from(reason));
    if let Some(r) = run_id {
        rec.insert("run_id".into(), Value::from(r));
    }
    rec.insert("schema".into(), io::schema_tag("wait-marker"));
    io::record_line(rec)
}

/// The tally count: markers since the newest readable RESET.
pub fn tally_count(file: &mut LockedFile) -> std::io::Result<i64> {
    let mut lines = file.rev_lines()?;
    let mut ops = Vec::new();
    while let Some(line) = lines.next_line()? {
        let Some(rec) = store::parse_line(&line) else {
            continue;
        };
        if !store::readable(&rec, store::WAIT_MARKER) {
            continue;
        }
        let op = marker::tally_op(&rec);
        ops.push(op);
        if op == marker::TallyOp::Reset {
            break;
        }
    }
    Ok(marker::count_newest_first(ops.into_iter()))
}

/// Journal a non-passthrough PRE outcome as an OP_ENFORCE record in the lane
/// journal at `path` (the lanes' writer: seq and ts stamped under the
/// journal's lock) and return the holder's help counts including it.
///
/// When the record cannot be encoded (a lone surrogate in the session id or
/// the tool name), the reference opens (creates) the journal and writes
/// nothing; its help count then lacks the record. `encodable` says which.
pub fn journal_enforcement(path: &Path, encodable: bool, e: &Enforcement<'_>) -> std::io::Result<HelpCounts> {
    let mut file = LockedFile::open(path)?;
    let mut counts = HelpCounts::default();
    {
        let mut lines = file.rev_lines()?;
        while let Some(line) = lines.next_line()? {
            if let Some(rec) = store::parse_line(&line) {
                counts.add(&rec, e.holder);
            }
        }
    }
    if !encodable {
        return Ok(counts);
    }
    lane_journal::append_locked(&mut file, &lane_journal::enforce_entry(e))?;
    if e.deny {
        counts.blocked += 1;
        counts.withheld += 1;
    } else {
        counts.warned += 1;
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enforcement(deny: bool) -> Enforcement<'static> {
        Enforcement {
            holder: "s1",
            tool: "Write",
            deny,
            reason: "r",
            handler: "admission",
            ..Enforcement::default()
        }
    }

    /// The next seq follows the lanes' rule (Python's `int()` of `seq` and
    /// `seq_watermark`), as the reference's `lane_journal.append` does: a
    /// journal whose newest record carries `"seq": "7"` or a float gets 8.
    #[test]
    fn the_enforce_record_takes_the_lane_journals_next_seq() {
        for (newest, want) in [
            (r#"{"op": "HEARTBEAT", "seq": "7"}"#, 8),
            (r#"{"op": "HEARTBEAT", "seq": 7.0}"#, 8),
            (r#"{"op": "CHECKPOINT", "seq_watermark": 12, "leases": []}"#, 13),
            (r#"{"op": "HEARTBEAT", "seq": 3}"#, 4),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join(".dos/lane-journal.jsonl");
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, format!("{newest}\n")).unwrap();
            let counts = journal_enforcement(&p, true, &enforcement(true)).unwrap();
            assert_eq!((counts.blocked, counts.withheld), (1, 1));
            let text = std::fs::read_to_string(&p).unwrap();
            let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
            assert_eq!(last["op"], "ENFORCE");
            assert_eq!(last["seq"], want, "{newest}");
            assert!(last["ts"].is_string());
        }
    }

    #[test]
    fn an_unencodable_record_creates_the_journal_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(".dos/lane-journal.jsonl");
        let counts = journal_enforcement(&p, false, &enforcement(false)).unwrap();
        assert_eq!(counts.total(), 0);
        assert_eq!(std::fs::read(&p).unwrap(), b"");
    }

    #[test]
    fn help_counts_include_earlier_records_of_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("lj.jsonl");
        journal_enforcement(&p, true, &enforcement(true)).unwrap();
        let counts = journal_enforcement(&p, true, &enforcement(false)).unwrap();
        assert_eq!((counts.blocked, counts.warned), (1, 1));
        let text = std::fs::read_to_string(&p).unwrap();
        let seqs: Vec<i64> = text
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["seq"].as_i64().unwrap())
            .collect();
        assert_eq!(seqs, vec![1, 2]);
    }
}
