//! The seq fix: concurrent writer *processes* appending to one journal get
//! intact lines and distinct, strictly increasing seqs (the reference mints
//! duplicates). The test re-runs its own binary as the writer processes,
//! each running only [`writer_child`].

use std::collections::HashSet;
use std::process::Command;

const WRITERS: usize = 8;
const APPENDS: usize = 200;

/// Child mode: append APPENDS events to $DOS_TEST_JOURNAL, then exit.
#[test]
fn writer_child() {
    let Ok(path) = std::env::var("DOS_TEST_JOURNAL") else {
        return;
    };
    let id = std::env::var("DOS_TEST_WRITER").unwrap_or_default();
    for i in 0..APPENDS {
        let mut e = dos_core::journal::VerdictEvent::new("liveness", "ADVANCING");
        e.run_id = format!("W{id}");
        e.detail.insert("i".into(), serde_json::Value::from(i));
        dos_core::journal::append(std::path::Path::new(&path), &e).expect("append");
    }
}

/// [`writer_child`] as the test harness names it: its module path without
/// the crate name (`export_journal_concurrency::writer_child` in the `it`
/// binary), so `--exact` runs that one test and nothing else.
fn writer_child_test_name() -> &'static str {
    let full = concat!(module_path!(), "::writer_child");
    full.split_once("::").map_or(full, |(_, name)| name)
}

#[test]
fn concurrent_writers_get_distinct_increasing_seqs() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join(".dos/verdict-journal.jsonl");
    let me = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..WRITERS)
        .map(|w| {
            Command::new(&me)
                .args([writer_child_test_name(), "--exact", "--quiet", "--test-threads=1"])
                .env("DOS_TEST_JOURNAL", &journal)
                .env("DOS_TEST_WRITER", w.to_string())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let text = std::fs::read_to_string(&journal).unwrap();
    let mut seqs = Vec::new();
    for line in text.lines() {
        assert!(
            dos_core::journal::canonical::canonical_seq(line).is_some(),
            "torn or glued line: {line}"
        );
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        seqs.push(v["seq"].as_i64().unwrap());
    }
    assert_eq!(seqs.len(), WRITERS * APPENDS);
    let distinct: HashSet<i64> = seqs.iter().copied().collect();
    assert_eq!(distinct.len(), WRITERS * APPENDS, "duplicate seqs");
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "seqs not increasing in file order"
    );
    assert_eq!(seqs.first(), Some(&1));
    assert_eq!(seqs.last(), Some(&((WRITERS * APPENDS) as i64)));
}

#[test]
fn a_huge_last_record_does_not_reset_the_seq() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("vj.jsonl");
    let mut big = dos_core::journal::VerdictEvent::new("x", "Y");
    big.seq = 41;
    big.subject = "z".repeat(300_000);
    std::fs::write(&p, big.to_line() + "\n").unwrap();
    let seq = dos_core::journal::append(&p, &dos_core::journal::VerdictEvent::new("x", "Y")).unwrap();
    assert_eq!(seq, 42);
}

#[test]
fn a_torn_last_line_does_not_swallow_the_next_record() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("vj.jsonl");
    let mut e = dos_core::journal::VerdictEvent::new("x", "Y");
    e.seq = 3;
    std::fs::write(&p, e.to_line() + "\n{\"seq\": 9, \"torn").unwrap();
    assert_eq!(
        dos_core::journal::append(&p, &dos_core::journal::VerdictEvent::new("x", "Z")).unwrap(),
        4
    );
    let text = std::fs::read_to_string(&p).unwrap();
    assert_eq!(text.lines().count(), 3);
    assert!(text.lines().last().unwrap().contains("\"seq\": 4"));
}
