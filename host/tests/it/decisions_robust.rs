//! Where `dos decisions` deliberately differs from the reference: torn,
//! non-UTF-8 or oddly shaped sources never crash it (the reference crashes on
//! a non-UTF-8 envelope), a U+2028 inside a journal value does not split the
//! record, and the library queue for the stop-policy seam holds every row.

use crate::support::notify_support;

use notify_support::{dos, workspace};
use serde_json::Value;

const FUT: &str = "2099-06-01T00:00:00Z";

#[test]
fn non_utf8_and_torn_sources_are_skipped_not_fatal() {
    let (_t, root) = workspace(&[
        (
            ".dos/verdicts/.verdict-b.json",
            "{\"verdict\": \"DRAIN\", \"scope\": \"ok\", \"generated_at\": \"2099-06-01T00:00:00Z\"}",
        ),
        (
            ".dos/verdicts/.verdict-c.json",
            "\u{feff}{\"verdict\": \"DRAIN\", \"scope\": \"bom\"}",
        ),
        (".dos/soaks/index.yaml", "soaks: [unclosed\n"),
    ]);
    std::fs::write(
        root.join(".dos/verdicts/.verdict-a.json"),
        b"{\"verdict\": \"DRAIN\", \"reason\": \"\xff\xfe\"}",
    )
    .unwrap();
    std::fs::create_dir_all(root.join(".dos/verdicts/.verdict-dir.json")).unwrap();
    let mut journal = format!(
        "{{\"op\": \"REFUSE\", \"lane\": \"api\", \"reason\": \"line\u{2028}sep\", \"seq\": 1, \"ts\": \"{FUT}\"}}\n"
    )
    .into_bytes();
    journal.extend_from_slice(b"{\"op\": \"REFUSE\", \"lane\": \"web\", \"reason\": \"bad \xff byte\", \"seq\": 2, \"ts\": \"2099-06-01T00:00:00Z\"}\n");
    journal.extend_from_slice(b"{\"op\": \"REFUSE\", \"lane\": \"torn\"");
    std::fs::write(root.join(".dos/lane-journal.jsonl"), journal).unwrap();

    let run = dos(&root, &["decisions", "--json"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows: Value = serde_json::from_str(&run.stdout).unwrap();
    let got: Vec<(&str, &str)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["lane"].as_str().unwrap(), r["reason_text"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("api", "line\u{2028}sep"),
            ("web", "bad \u{fffd} byte"),
            ("ok", "verdict=DRAIN"),
        ]
    );
    let text = dos(&root, &["notify", "decisions"], &[]);
    assert_eq!(text.code, 0);
    assert!(
        text.stdout.starts_with("▲ [WARN] 3 decisions need you\n"),
        "{}",
        text.stdout
    );
}

#[test]
fn library_queue_holds_every_resolver_in_rank_order() {
    let journal = [
        format!(r#"{{"op": "REFUSE", "lane": "g", "reason": "lane 'g' is already held by a live loop", "seq": 1, "ts": "{FUT}"}}"#),
        format!(r#"{{"op": "HALT", "lane": "main", "handle": "pid:1", "command": "kill 1", "seq": 2, "ts": "{FUT}"}}"#),
    ]
    .join("\n");
    let (_t, root) = workspace(&[(".dos/lane-journal.jsonl", &journal)]);
    let ws = dos_core::workspace::Workspace::open(root.clone()).unwrap();
    let queue = dos_core::decisions::pending_decisions(&ws, dos_core::decisions::Layout::Generic);
    let kinds: Vec<(&str, &str)> = queue
        .iter()
        .map(|d| (d["kind"].as_str().unwrap(), d["resolver_kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        vec![("LIVENESS", "ORACLE"), ("ARBITER_REFUSE", "BACKPRESSURE")]
    );
    let keys: Vec<&str> = queue[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        vec![
            "kind",
            "resolver_kind",
            "lane",
            "reason_token",
            "reason_text",
            "run_id",
            "run_ts",
            "age_seconds",
            "source_path",
            "evidence",
            "proposed_command",
            "handle",
            "dup_count",
            "resolved"
        ]
    );
    assert_eq!(queue[0]["proposed_command"], "kill 1");
    // The HUMAN-only CLI view shows neither.
    let run = dos(&root, &["decisions", "--json"], &[]);
    assert_eq!(run.stdout, "[]\n");
}
