//! The spec's golden transcripts (§11) through the real `dos` binary and the
//! real `file` plugin, plus the fixes we make over the reference.

use crate::support::export_support;

use export_support::*;
use std::fs;

fn rc(o: &std::process::Output) -> i32 {
    o.status.code().expect("exit code")
}

#[test]
fn null_export_golden() {
    let ws = workspace(&journal_lines(12));
    let o = run(ws.path(), &["export"]);
    assert_eq!(rc(&o), 0);
    assert_eq!(
        out(&o),
        "# export · 12 event(s) pending · transport=null\n  → null sink (no transport configured) — 12 event(s) not shipped\n  (pass --to file --path PATH to ship; --to statsd/otlp for metrics/traces)\n  cursor: 12  (resume with --since 12)\n"
    );
    let o = run(ws.path(), &["export", "--since", "5"]);
    assert!(out(&o).starts_with("# export · 7 event(s) pending (since seq 5) · transport=null\n"));
    // Fix (Q7): null with auto says the cursor was NOT persisted, and writes nothing.
    let o = run(ws.path(), &["export", "--since", "auto"]);
    assert_eq!(rc(&o), 0);
    assert!(
        out(&o).ends_with("  cursor: 12  (not persisted: the null sink ships nothing)\n"),
        "{}",
        out(&o)
    );
    assert!(!ws.path().join(".dos/export-cursor.null").exists());
    let o = run(ws.path(), &["export", "--json"]);
    assert_eq!(
        out(&o),
        "{\n  \"result\": {\n    \"exported\": 0,\n    \"detail\": \"null sink (no transport configured) \\u2014 12 event(s) not shipped\",\n    \"cursor\": \"12\"\n  },\n  \"exporter\": \"null\",\n  \"shipped\": 12,\n  \"since\": 0,\n  \"persist\": false\n}\n"
    );
}

#[test]
fn empty_workspace_has_no_cursor_line() {
    let ws = workspace("");
    let o = run(ws.path(), &["export"]);
    assert_eq!(rc(&o), 0);
    assert_eq!(out(&o).lines().count(), 3, "{}", out(&o));
    let o = run(ws.path(), &["export", "--json"]);
    assert!(out(&o).contains("\"cursor\": \"\""));
    assert!(out(&o).contains("\"shipped\": 0"));
    assert!(!ws.path().join(".dos").exists(), "export never creates .dos");
}

#[test]
fn file_export_golden_and_byte_identical() {
    ensure_plugins(&["dos-export-file"]);
    let journal = journal_lines(12);
    let ws = workspace(&journal);
    let r = root(&ws);
    let o = run(ws.path(), &["export", "--to", "file"]);
    assert_eq!(rc(&o), 1, "{}", err(&o));
    assert_eq!(
        out(&o),
        "# export · 12 event(s) pending · transport=file\n  → NOT shipped 0/12 via file: no export path (pass --path, set $DOS_EXPORT_FILE, or add DOS_EXPORT_FILE to the workspace .env)\n  cursor: 12  (resume with --since 12)\n"
    );
    let o = run(ws.path(), &["export", "--to", "file", "--path", "out.jsonl"]);
    assert_eq!(rc(&o), 0, "{}", err(&o));
    assert_eq!(
        out(&o),
        format!(
            "# export · 12 event(s) pending · transport=file\n  → shipped 12/12 via file: appended 12 event(s) to {}/out.jsonl\n  cursor: 12  (resume with --since 12)\n",
            r.display()
        )
    );
    assert_eq!(fs::read_to_string(ws.path().join("out.jsonl")).unwrap(), journal);
    let o = run(
        ws.path(),
        &["export", "--to", "file", "--path", "out3.jsonl", "--dry-run"],
    );
    assert_eq!(rc(&o), 0);
    assert!(out(&o).contains(&format!(
        "  → NOT shipped 0/12 via file: [dry-run] would append 12 event(s) to {}/out3.jsonl\n",
        r.display()
    )));
    assert!(!ws.path().join("out3.jsonl").exists());
    let o = run(
        ws.path(),
        &[
            "export",
            "--to",
            "file",
            "--path",
            "z.jsonl",
            "--dry-run",
            "--since",
            "99",
        ],
    );
    assert_eq!(rc(&o), 0);
    assert_eq!(
        out(&o),
        format!(
            "# export · 0 event(s) pending (since seq 99) · transport=file\n  → NOT shipped 0/0 via file: [dry-run] would append 0 event(s) to {}/z.jsonl\n",
            r.display()
        )
    );
}

#[test]
fn since_auto_twice_then_one_more() {
    ensure_plugins(&["dos-export-file"]);
    let ws = workspace(&journal_lines(12));
    let r = root(&ws);
    let args = [
        "export",
        "--to",
        "file",
        "--path",
        "auto.jsonl",
        "--since",
        "auto",
    ];
    let o = run(ws.path(), &args);
    assert_eq!(rc(&o), 0, "{}", err(&o));
    assert_eq!(
        out(&o),
        format!(
            "# export · 12 event(s) pending · transport=file\n  → shipped 12/12 via file: appended 12 event(s) to {}/auto.jsonl\n  cursor: 12  (persisted)\n",
            r.display()
        )
    );
    assert_eq!(
        fs::read_to_string(ws.path().join(".dos/export-cursor.file")).unwrap(),
        "12\n"
    );
    let o = run(ws.path(), &args);
    assert_eq!(rc(&o), 0);
    assert_eq!(
        out(&o),
        format!(
            "# export · 0 event(s) pending (since seq 12) · transport=file\n  → NOT shipped 0/0 via file: no new events for {}/auto.jsonl\n",
            r.display()
        )
    );
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let o = run(ws.path(), &json_args);
    assert_eq!(
        out(&o),
        format!(
            "{{\n  \"result\": {{\n    \"exported\": 0,\n    \"detail\": \"no new events for {}/auto.jsonl\",\n    \"cursor\": \"\"\n  }},\n  \"exporter\": \"file\",\n  \"shipped\": 0,\n  \"since\": 12,\n  \"persist\": true\n}}\n",
            r.display()
        )
    );
    // One more event, appended by our writer.
    let journal = ws.path().join(".dos/verdict-journal.jsonl");
    let thirteenth = JOURNAL13.lines().nth(12).unwrap();
    fs::write(&journal, journal_lines(12) + thirteenth + "\n").unwrap();
    let o = run(ws.path(), &args);
    assert_eq!(
        out(&o),
        format!(
            "# export · 1 event(s) pending (since seq 12) · transport=file\n  → shipped 1/1 via file: appended 1 event(s) to {}/auto.jsonl\n  cursor: 13  (persisted)\n",
            r.display()
        )
    );
    assert_eq!(
        fs::read_to_string(ws.path().join(".dos/export-cursor.file")).unwrap(),
        "13\n"
    );
    assert_eq!(
        fs::read_to_string(ws.path().join("auto.jsonl")).unwrap(),
        journal_lines(13)
    );
}

#[test]
fn since_auto_resumes_from_the_verified_offset_without_rescanning() {
    ensure_plugins(&["dos-export-file"]);
    let ws = workspace(&journal_lines(12));
    let args = ["export", "--to", "file", "--path", "a.jsonl", "--since", "auto"];
    assert_eq!(rc(&run(ws.path(), &args)), 0);
    assert!(ws.path().join(".dos/export-cursor.file.offset").exists());
    // Rewrite line 1 in place (same length) to carry seq 77: a scan from the
    // start would ship it; resuming from the stored offset never reads it.
    let journal = ws.path().join(".dos/verdict-journal.jsonl");
    let text = fs::read_to_string(&journal).unwrap();
    let edited = text.replacen("\"seq\": 1, ", "\"seq\": 77,", 1);
    assert_eq!(edited.len(), text.len());
    fs::write(&journal, edited).unwrap();
    let o = run(ws.path(), &args);
    assert!(
        out(&o).starts_with("# export · 0 event(s) pending (since seq 12)"),
        "{}",
        out(&o)
    );
    // When the cursor no longer matches the sidecar (the reference advanced
    // it), the offset is not trusted and the journal is scanned.
    fs::write(ws.path().join(".dos/export-cursor.file"), "11\n").unwrap();
    let o = run(ws.path(), &args);
    assert!(
        out(&o).starts_with("# export · 2 event(s) pending (since seq 11)"),
        "{}",
        out(&o)
    );
}

#[test]
fn cursor_follows_the_journal_in_use() {
    ensure_plugins(&["dos-export-file"]);
    let ws = workspace("");
    let elsewhere = ws.path().join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    fs::write(elsewhere.join("vj.jsonl"), journal_lines(3)).unwrap();
    let o = dos(ws.path())
        .env("DISPATCH_VERDICT_JOURNAL_PATH", "elsewhere/vj.jsonl")
        .args(["export", "--to", "file", "--path", "o.jsonl", "--since", "auto"])
        .output()
        .unwrap();
    assert_eq!(rc(&o), 0, "{}", err(&o));
    assert_eq!(
        fs::read_to_string(elsewhere.join("export-cursor.file")).unwrap(),
        "3\n"
    );
    assert!(!ws.path().join(".dos/export-cursor.file").exists());
    // DISPATCH_EXPORT_CURSOR_PATH with a trailing slash names the base.
    let o = dos(ws.path())
        .env("DISPATCH_VERDICT_JOURNAL_PATH", "elsewhere/vj.jsonl")
        .env("DISPATCH_EXPORT_CURSOR_PATH", ws.path().join("cdir/"))
        .args(["export", "--to", "file", "--path", "o.jsonl", "--since", "auto"])
        .output()
        .unwrap();
    assert_eq!(rc(&o), 0, "{}", err(&o));
    assert_eq!(fs::read_to_string(ws.path().join("cdir.file")).unwrap(), "3\n");
    // A base with no file name is a --since error.
    let o = dos(ws.path())
        .env("DISPATCH_EXPORT_CURSOR_PATH", ".")
        .args(["export", "--to", "file", "--since", "auto"])
        .output()
        .unwrap();
    assert_eq!(rc(&o), 2);
    assert_eq!(
        err(&o),
        "error: --since must be an integer seq cursor or 'auto' (got 'auto')\n"
    );
}

#[test]
fn job_layout_and_paths_override() {
    ensure_plugins(&["dos-export-file"]);
    let ws = workspace("");
    fs::create_dir_all(ws.path().join("docs/_plans")).unwrap();
    fs::write(
        ws.path().join("docs/_plans/verdict-journal.jsonl"),
        journal_lines(2),
    )
    .unwrap();
    let o = run(
        ws.path(),
        &[
            "export", "--job", "--to", "file", "--path", "o", "--since", "auto",
        ],
    );
    assert_eq!(rc(&o), 0, "{}", err(&o));
    assert!(ws.path().join("docs/_plans/export-cursor.file").exists());
    let o = run(
        ws.path(),
        &[
            "--workspace",
            ws.path().to_str().unwrap(),
            "export",
            "--driver",
            "nope",
        ],
    );
    assert_eq!(rc(&o), 2);
    fs::write(
        ws.path().join("dos.toml"),
        "[paths]\nverdict_journal = \"state/vj.jsonl\"\n",
    )
    .unwrap();
    fs::create_dir_all(ws.path().join("state")).unwrap();
    fs::write(ws.path().join("state/vj.jsonl"), journal_lines(4)).unwrap();
    let o = run(
        ws.path(),
        &["export", "--to", "file", "--path", "o", "--since", "auto"],
    );
    assert_eq!(rc(&o), 0, "{}", err(&o));
    assert_eq!(
        fs::read_to_string(ws.path().join("state/export-cursor.file")).unwrap(),
        "4\n"
    );
    fs::write(ws.path().join("dos.toml"), "[paths]\nverdict_journal = 4\n").unwrap();
    let o = run(ws.path(), &["export"]);
    assert_eq!(rc(&o), 2);
    assert!(err(&o).contains("paths.verdict_journal"), "{}", err(&o));
}

#[test]
fn errors_and_their_precedence() {
    ensure_plugins(&["dos-export-file"]);
    let ws = workspace(&journal_lines(3));
    let o = run(ws.path(), &["export", "--to", "nosuch"]);
    assert_eq!(rc(&o), 2);
    assert!(
        err(&o).starts_with("error: unknown exporter 'nosuch'; known: "),
        "{}",
        err(&o)
    );
    assert!(
        err(&o).contains("file") && err(&o).contains("null"),
        "{}",
        err(&o)
    );
    assert!(out(&o).is_empty());
    let o = run(ws.path(), &["export", "--to", "nosuch", "--since", "abc"]);
    assert!(err(&o).contains("unknown exporter"));
    let o = run(ws.path(), &["export", "--since", "abc"]);
    assert_eq!(rc(&o), 2);
    assert_eq!(
        err(&o),
        "error: --since must be an integer seq cursor or 'auto' (got 'abc')\n"
    );
    let o = run(ws.path(), &["export", "--since", "it's"]);
    assert_eq!(
        err(&o),
        "error: --since must be an integer seq cursor or 'auto' (got \"it's\")\n"
    );
    let o = run(ws.path(), &["export", "--to", "NULL"]);
    assert_eq!(rc(&o), 2);
    let o = run(ws.path(), &["export", "--port", "abc"]);
    assert_eq!(rc(&o), 2);
    let o = run(ws.path(), &["export", "--since", "-3"]);
    assert!(
        out(&o).starts_with("# export · 3 event(s) pending (since seq -3)"),
        "{}",
        out(&o)
    );
    let o = run(ws.path(), &["export", "--tail", "2", "--since", "1"]);
    assert!(
        out(&o).starts_with("# export · 2 event(s) pending (since seq 1)"),
        "{}",
        out(&o)
    );
}

#[test]
fn failed_delivery_never_advances_the_cursor() {
    ensure_plugins(&["dos-export-file"]);
    let ws = workspace(&journal_lines(5));
    fs::create_dir_all(ws.path().join("adir")).unwrap();
    let o = run(
        ws.path(),
        &["export", "--to", "file", "--path", "adir", "--since", "auto"],
    );
    assert_eq!(rc(&o), 1);
    assert!(
        out(&o).contains("NOT shipped 0/5 via file: error:"),
        "{}",
        out(&o)
    );
    assert!(
        out(&o).ends_with("  cursor: 5  (not persisted: nothing was delivered)\n"),
        "{}",
        out(&o)
    );
    assert!(!ws.path().join(".dos/export-cursor.file").exists());
    // Dry run never persists either.
    let o = run(
        ws.path(),
        &[
            "export",
            "--to",
            "file",
            "--path",
            "x",
            "--since",
            "auto",
            "--dry-run",
        ],
    );
    assert_eq!(rc(&o), 0);
    assert!(out(&o).ends_with("(not persisted: dry run)\n"), "{}", out(&o));
    assert!(!ws.path().join(".dos/export-cursor.file").exists());
}

#[test]
fn follow_is_bounded_and_threads_the_floor() {
    ensure_plugins(&["dos-export-file"]);
    let ws = workspace(&journal_lines(4));
    let o = run(
        ws.path(),
        &[
            "export",
            "--to",
            "file",
            "--path",
            "f.jsonl",
            "--follow",
            "--follow-max",
            "2",
            "--follow-interval",
            "-1",
        ],
    );
    assert_eq!(rc(&o), 0, "{}", err(&o));
    let text = out(&o);
    assert!(
        text.starts_with("# export · 4 event(s) pending · transport=file\n"),
        "{text}"
    );
    assert!(text.contains("  cursor: 4  (persisted)\n"), "{text}");
    assert!(
        text.contains("# export · 0 event(s) pending (since seq 4) · transport=file\n"),
        "{text}"
    );
    // null never advances: each tick re-reports everything.
    let o = run(
        ws.path(),
        &[
            "export",
            "--follow",
            "--follow-max",
            "2",
            "--follow-interval",
            "-1",
            "--json",
        ],
    );
    assert_eq!(out(&o).matches("\"shipped\": 4").count(), 2, "{}", out(&o));
}

#[test]
fn observe_golden() {
    let ws = workspace(JOURNAL13);
    let o = run(ws.path(), &["observe"]);
    assert_eq!(rc(&o), 0);
    assert_eq!(
        out(&o),
        "# observe\n  13 verdict event(s) recorded\n\n  verify              2  NOT_SHIPPED=2\n  liveness            2  ADVANCING=1 STALLED=1\n  productivity        1  DIMINISHING=1\n  efficiency          2  EFFICIENT=1 WASTEFUL=1\n  reward              1  REJECT_POISON=1\n  breaker             2  CLOSED=1 OPEN=1\n  hook_exit           1  BLOCK=1\n  exec_capability     2  BOUNDED=1 GRANTS_ARBITRARY_EXEC=1\n"
    );
    let o = run(ws.path(), &["observe", "--by", "verdict"]);
    assert!(
        out(&o).contains("\n  GRANTS_ARBITRARY_EXEC    1  GRANTS_ARBITRARY_EXEC=1\n"),
        "{}",
        out(&o)
    );
    let o = run(ws.path(), &["observe", "--by", "run_id"]);
    assert!(
        out(&o).contains("\n  (unattributed)     11  BLOCK=1 BOUNDED=1 "),
        "{}",
        out(&o)
    );
    assert!(
        out(&o).contains("\n  RID-1M7ZZW861C96B40    2  ADVANCING=1 STALLED=1\n"),
        "{}",
        out(&o)
    );
    let o = run(ws.path(), &["observe", "--tail", "3"]);
    assert_eq!(
        out(&o),
        "# observe · history\n  ts                   syscall      verdict        subject / detail\n  -----------------------------------------------------------------\n  2026-11-21T21:23:28Z liveness     ADVANCING        [RID-1M7ZZW861C96B40]\n  2026-11-21T21:23:31Z verify       NOT_SHIPPED    plän::P—1 {source=none}\n  2026-11-21T21:23:58Z breaker      CLOSED          {escalation=NONE, state=CLOSED}\n"
    );
    let o = run(ws.path(), &["observe", "--run", "nope"]);
    assert_eq!(
        out(&o),
        "# observe · history · run nope\n  (no matching verdict events)\n"
    );
    let o = run(ws.path(), &["observe", "--json", "--tail", "1"]);
    let v: serde_json::Value = serde_json::from_str(&out(&o)).expect("one JSON document");
    assert_eq!(v["rollup"]["total"], 13);
    assert_eq!(v["events"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["events"][0]["seq"], 13);
    assert!(out(&o).contains("\"schema_family\": \"verdict-journal\",\n      \"schema_version\": 1,"));
    let o = run(ws.path(), &["observe", "--by", "nope"]);
    assert_eq!(rc(&o), 2);
}

#[test]
fn observe_corrupt_journal() {
    let lines: Vec<&str> = JOURNAL13.lines().collect();
    let journal = format!(
        "{}\n{}\nthis is not json\n\n[1,2,3]\n42\n{}\n{}\n{{\"syscall\": \"exec_capability\", \"verdict\": \"GRANTS_ARBITRARY_EXEC\", \"seq\": 99",
        lines[0],
        lines[9].replace("STALLED", "SPINNING"),
        r#"{"syscall": "custom thing", "verdict": "we|ird:tok,en#x", "seq": 40}"#,
        r#"{"syscall": "exec_capability", "verdict": "GRANTS_ARBITRARY_EXEC", "seq": 41}"#,
    );
    let ws = workspace(&journal);
    let o = run(ws.path(), &["observe"]);
    assert_eq!(rc(&o), 1);
    assert_eq!(
        out(&o),
        "# observe\n  4 verdict event(s) recorded\n  ⚠ 1 corrupt/unreadable journal line(s) (integrity breach — not a torn tail)\n\n  liveness            1  SPINNING=1\n  efficiency          1  WASTEFUL=1\n  custom thing        1  we|ird:tok,en#x=1\n  exec_capability     1  GRANTS_ARBITRARY_EXEC=1\n"
    );
}
