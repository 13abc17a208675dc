//! A journal written by the Python reference (fixture generated with
//! `tests/fixtures/gen_ref_journal.py`) is read by us and exported
//! byte-identically through the real `file` plugin — including the records
//! whose raw U+2028 / U+0085 make the reference's own reader lose them (Q1).

use crate::support::export_support;

use export_support::*;

const REF_JOURNAL: &str = include_str!("../fixtures/ref-journal.jsonl");

#[test]
fn reference_journal_exports_byte_identically() {
    ensure_plugins(&["dos-export-file"]);
    let ws = workspace(REF_JOURNAL);
    let o = run(ws.path(), &["export", "--to", "file", "--path", "out.jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).contains("shipped 17/17 via file"), "{}", out(&o));
    let written = std::fs::read(ws.path().join("out.jsonl")).unwrap();
    assert_eq!(written, REF_JOURNAL.as_bytes());
}

#[test]
fn reference_journal_observes_without_corruption() {
    let ws = workspace(REF_JOURNAL);
    let o = run(ws.path(), &["observe", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v["corrupt"], 0);
    assert_eq!(v["rollup"]["total"], 17);
    assert_eq!(v["events"][13]["subject"], "plan\u{2028}x::P\u{85}");
    assert_eq!(v["events"][14]["detail"]["tiny"], 1e-05);
    // --json escapes non-ASCII (ensure_ascii) and keeps float reprs.
    assert!(out(&o).contains("\"subject\": \"plan\\u2028x::P\\u0085\""));
    assert!(out(&o).contains("\"big\": 1e+16"));
}

#[test]
fn our_writer_and_the_reference_reader_agree() {
    // A record we append after the reference's lines gets max+1 and is
    // readable by the reference (checked here by shape: canonical line).
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("vj.jsonl");
    std::fs::write(&p, REF_JOURNAL).unwrap();
    let mut e = dos_core::journal::VerdictEvent::new("verify", "SHIPPED");
    e.subject = "a\u{2028}b".into();
    let seq = dos_core::journal::append(&p, &e).unwrap();
    assert_eq!(seq, 17);
    let text = std::fs::read_to_string(&p).unwrap();
    let last = text.lines().last().unwrap();
    assert!(last.contains("\"subject\": \"a\\u2028b\""), "{last}");
    assert_eq!(dos_core::journal::canonical::canonical_seq(last), Some(17));
}
