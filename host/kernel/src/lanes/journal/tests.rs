use super::*;
use serde_json::json;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/lanes");

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap()
}

fn objs(v: &Value) -> Vec<Entry> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_object().unwrap().clone())
        .collect()
}

#[test]
fn tolerant_reader_matches_reference() {
    let expected: Value = serde_json::from_str(&fixture("tolerance.expected.json")).unwrap();
    let entries = parse_records(&fixture("tolerance.jsonl"));
    assert_eq!(entries, objs(&expected["read_all"]));
    assert_eq!(replay(&entries), objs(&expected["replay"]));
    assert_eq!(next_seq(&entries), expected["next_seq"].as_i64().unwrap());
    // 0.22's checkpoint plus 0.30's `generations` (see fixtures/lanes030).
    let mut compacted = compact(&entries);
    assert!(compacted[0].remove("generations").is_some());
    assert_eq!(compacted, objs(&expected["compact"]));
    assert_eq!(replay(&compact(&entries)), replay(&entries));
}

#[test]
fn reference_lines_round_trip_byte_exact() {
    for name in ["reference-live.jsonl", "reference-released.jsonl"] {
        let text = fixture(name);
        for line in text.lines() {
            let e: Entry = serde_json::from_str(line).unwrap();
            assert_eq!(to_line(&e), line, "{name}");
        }
        let entries = parse_records(&text);
        let replayed = Value::Array(replay(&entries).into_iter().map(Value::Object).collect());
        let want = fixture(&name.replace(".jsonl", ".replay.json"));
        assert_eq!(dumps(&replayed, Style::PRETTY_SORTED), want.trim_end(), "{name}");
    }
}

#[test]
fn reader_edge_cases() {
    // torn line followed by a blank line is a corrupt middle line
    let e = parse_records("{\"op\":\"A\"}\n{\"op\n\n");
    assert_eq!(e.len(), 2);
    assert_eq!(e[1]["op"], json!("_CORRUPT"));
    // CRLF is fine; non-object lines are skipped silently
    let e = parse_records("{\"op\":\"A\"}\r\n[1]\r\n\"s\"\r\n");
    assert_eq!(e.len(), 1);
    // The fix: U+2028 inside a value does not split the record.
    let e = parse_records("{\"op\":\"HALT\",\"reason\":\"a\u{2028}b\",\"seq\":1}\n");
    assert_eq!(e.len(), 1);
    assert_eq!(e[0]["reason"], json!("a\u{2028}b"));
    // missing file
    assert!(read_records(Path::new("/nonexistent/lane-journal.jsonl")).is_empty());
}

#[test]
fn seq_coercion_and_tail() {
    let table = [
        (json!(5), 5),
        (json!("5"), 5),
        (json!(5.9), 5),
        (json!("abc"), 0),
        (json!(null), 0),
        (json!(false), 0),
        (json!(true), 1),
    ];
    for (v, want) in table {
        assert_eq!(py_int(Some(&v)), want, "{v}");
    }
    let es: Vec<Entry> = (1..=5).map(|i| obj([("seq", json!(i))])).collect();
    assert_eq!(tail(&es, 2).len(), 2);
    assert_eq!(tail(&es, 0).len(), 5);
    assert_eq!(tail(&es, -3).len(), 5);
    let wm = vec![obj([("op", json!("CHECKPOINT")), ("seq_watermark", json!(41))])];
    assert_eq!(next_seq(&wm), 42);
}

#[test]
fn append_stamps_only_absent_and_escapes_separators() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("sub/lane-journal.jsonl");
    let a = append(&p, &obj([("op", json!("HALT")), ("reason", json!("é\u{2028}"))])).unwrap();
    assert_eq!(a["seq"], json!(1));
    let b = append(&p, &obj([("op", json!("HEARTBEAT")), ("seq", Value::Null)])).unwrap();
    assert_eq!(b["seq"], Value::Null);
    let c = append(&p, &obj([("op", json!("X")), ("ts", json!("T"))])).unwrap();
    assert_eq!((c["seq"].clone(), c["ts"].clone()), (json!(2), json!("T")));
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains("\"reason\": \"é\\u2028\""), "{text}");
    assert_eq!(parse_records(&text).len(), 3);
    // A torn tail does not swallow the next record.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&p)
        .unwrap()
        .write_all(b"{\"op\": \"torn")
        .unwrap();
    append(&p, &obj([("op", json!("Y"))])).unwrap();
    let es = read_records(&p);
    assert_eq!(es.last().unwrap()["op"], json!("Y"));
}

#[test]
fn concurrent_appends_mint_unique_seqs() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("lane-journal.jsonl");
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let p = p.clone();
            std::thread::spawn(move || {
                for _ in 0..25 {
                    append(&p, &obj([("op", json!("HEARTBEAT"))])).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut seqs: Vec<i64> = read_records(&p).iter().map(|e| py_int(e.get("seq"))).collect();
    seqs.sort();
    assert_eq!(seqs, (1..=100).collect::<Vec<_>>());
}

#[test]
fn compact_file_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("lane-journal.jsonl");
    assert_eq!(compact_file(&p).unwrap().entries_before, 0);
    std::fs::write(&p, fixture("reference-live.jsonl")).unwrap();
    let before = replay(&read_records(&p));
    let r = compact_file(&p).unwrap();
    assert_eq!((r.entries_before, r.entries_after), (6, 1));
    assert!(r.bytes_reclaimed > 0);
    assert_eq!(replay(&read_records(&p)), before);
    assert_eq!(max_seq(&read_records(&p)), 6);
}
