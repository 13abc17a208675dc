//! `dos hook pretool` against live lane leases (spec item 29): the three
//! golden "live lease" transcripts of the hooks spec (G-PRE), plus cases whose
//! expected output was produced by the reference (`DOS_HOOK_NATIVE=0 dos hook
//! pretool` over the same lane journal): soft overlap, exact-glob collision,
//! lease order vs SELF_MODIFY, dead-lease expiry, `[overlap]` settings, and
//! the fail-safe reads (missing, garbage, unreadable journal).

use crate::support::hooks_common;

use hooks_common::run;
use serde_json::Value;
use std::path::Path;

const BIN: &str = env!("CARGO_BIN_EXE_dos");

/// A UTC stamp `secs_ago` seconds before now, second resolution.
fn stamp(secs_ago: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - secs_ago;
    let (days, rem) = (now.div_euclid(86_400), now.rem_euclid(86_400));
    // Civil-from-days (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// One ACQUIRE record (the reference's shape) for `lane` over `tree`.
fn acquire(lane: &str, tree: &[&str], acquired_at: &str, pid: i64, host: &str, ttl: Option<f64>) -> String {
    let mut lease = serde_json::json!({
        "acquired_at": acquired_at, "holder": "other-worker", "host_id": host, "lane": lane,
        "lane_kind": "", "loop_ts": format!("L-{lane}"), "pid": pid, "tree": tree,
    });
    if let Some(t) = ttl {
        lease["ttl_minutes"] = t.into();
    }
    let rec = serde_json::json!({
        "host_id": host, "lane": lane, "lane_kind": "", "lease": lease, "loop_ts": format!("L-{lane}"),
        "op": "ACQUIRE", "pid": pid, "prev_holder": null, "reason": "lane-lease:other-worker",
        "seq": 1, "tree": tree, "ts": acquired_at, "ttl_minutes": null,
    });
    format!("{rec}\n")
}

fn write_journal(ws: &Path, lines: &[String]) {
    std::fs::create_dir_all(ws.join(".dos")).unwrap();
    std::fs::write(ws.join(".dos/lane-journal.jsonl"), lines.concat()).unwrap();
}

fn event(tool: &str, input: &str) -> String {
    format!(
        r#"{{"session_id": "p2", "hook_event_name": "PreToolUse", "tool_name": "{tool}", "tool_input": {input}, "cwd": "/ws"}}"#
    )
}

fn pretool(ws: &Path, args: &[&str], stdin: &str) -> String {
    let mut argv = vec!["hook", "pretool"];
    argv.extend_from_slice(args);
    let stdin = stdin.replace("\"cwd\": \"/ws\"", &format!("\"cwd\": \"{}\"", ws.display()));
    // In a loop session (0.30 warns an interactive operator instead of
    // denying; the admission rules these cases pin are the same).
    let out = run(BIN, ws, &argv, &[("DOS_LOOP", "1")], stdin.as_bytes());
    assert_eq!(out.code, 0, "exit code; stderr {}", out.stderr);
    out.stdout
}

// The spec's 0.22 live-lease transcript (Bash ls warned, Write denied) is
// superseded by 0.30's: see `hooks030_golden.rs`, group G30-FP.

/// Reference outputs for one lease over `src/**` (see the module doc).
#[test]
fn live_lease_cases_match_the_reference() {
    let deny = |tool: &str, why: &str| {
        format!(
            "{{\"hookSpecificOutput\": {{\"additionalContext\": \"DOS has refused 1 call this session. Run `dos helped` for the breakdown.\", \"hookEventName\": \"PreToolUse\", \"permissionDecision\": \"deny\", \"permissionDecisionReason\": \"DOS PRE-admission: lane '{tool}' cannot share live lane 'main': {why}.\"}}}}\n"
        )
    };
    let warn = |tool: &str| {
        format!(
            "{{\"hookSpecificOutput\": {{\"additionalContext\": \"DOS PRE-admission (advisory): lane '{tool}' has an EMPTY tree (unknown blast radius) and cannot share live lane 'main' \\u2014 unknown blast radius is never safe to admit concurrently. This call's footprint does not prove a collision (an unresolved write footprint is unknown), so DOS cannot prove it collides \\u2014 proceeding, but if this call mutates shared state, scope it to a declared path/lane.\\n\\nDOS surfaced 1 advisory caution this session (no calls refused). Run `dos helped` for the breakdown.\", \"hookEventName\": \"PreToolUse\"}}}}\n"
        )
    };
    let table: Vec<(&str, &str, String)> = vec![
        // 0.30: a read (known-empty tree) and an orchestration tool pass clean.
        ("Read", r#"{"file_path": "src/a.py"}"#, String::new()),
        ("TaskCreate", r#"{"subject": "src/a.py"}"#, String::new()),
        ("Bash", r#"{"command": "cat src/a.py docs/b.md"}"#, String::new()),
        ("mcp__x__y", r#"{"q": 1}"#, warn("mcp__x__y")),
        ("Bash", r#"{"command": "python -c 'import os'"}"#, warn("Bash")),
        (
            "Edit",
            r#"{"file_path": "/ws/SRC/A.py"}"#,
            deny(
                "Edit",
                "overlap too large (1/1 = 100% of requested tree shared, threshold 33%)",
            ),
        ),
        (
            "Bash",
            r#"{"command": "cp src/a.py docs/b.md"}"#,
            deny(
                "Bash",
                "overlap too large (1/2 = 50% of requested tree shared, threshold 33%)",
            ),
        ),
        // 1 of 4 shared: a soft overlap admits.
        (
            "Bash",
            r#"{"command": "cp src/a.py x/1.c y/2.c z/3.c"}"#,
            String::new(),
        ),
        (
            "Bash",
            r#"{"command": "cp src/** a/1.c b/2.c c/3.c"}"#,
            String::new(),
        ),
        ("Write", r#"{"file_path": "docs/a.md"}"#, String::new()),
    ];
    for (tool, input, want) in table {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path();
        write_journal(ws, &[acquire("main", &["src/**"], &stamp(60), 0, "", None)]);
        let stdin = event(tool, input).replace("/ws", ws.to_str().unwrap());
        assert_eq!(pretool(ws, &[], &stdin), want, "{tool} {input}");
    }
}

#[test]
fn exact_glob_and_lease_order() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    // An identical glob collides at any ratio (a Bash scrape keeps `*`).
    write_journal(ws, &[acquire("ui", &["web/x.js"], &stamp(30), 0, "", None)]);
    let out = pretool(
        ws,
        &["--dialect", "antigravity"],
        &event("Bash", r#"{"command": "cp web/x.js a/1.c b/2.c c/3.c"}"#),
    );
    assert_eq!(
        out,
        "{\"decision\": \"deny\", \"reason\": \"DOS PRE-admission: lane 'Bash' cannot share live lane 'ui': exact-glob overlap: identical glob claimed by both lanes (1: web/x.js) \\u2014 same write region, hard collision regardless of ratio. DOS has refused 1 call this session. Run `dos helped` for the breakdown.\"}\n"
    );

    // SELF_MODIFY is checked after Disjointness on each lease: a disjoint
    // first lease lets SELF_MODIFY win; an overlapping first lease wins.
    for (order, class) in [(["docs", "main"], "SELF_MODIFY"), (["main", "docs"], "")] {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path();
        std::fs::create_dir_all(ws.join("src/dos")).unwrap();
        std::fs::write(ws.join("src/dos/arbiter.py"), "x").unwrap();
        let rec = |lane: &str| {
            let tree = if lane == "docs" { "docs/**" } else { "src/**" };
            acquire(lane, &[tree], &stamp(30), 0, "", None)
        };
        write_journal(ws, &[rec(order[0]), rec(order[1])]);
        let out = pretool(
            ws,
            &["--dialect", "hermes"],
            &event("Edit", r#"{"file_path": "src/dos/arbiter.py"}"#),
        );
        let journal = std::fs::read_to_string(ws.join(".dos/lane-journal.jsonl")).unwrap();
        let last: Value = serde_json::from_str(journal.lines().last().unwrap()).unwrap();
        assert_eq!(last["reason_class"], class, "{order:?}");
        assert!(out.starts_with("{\"decision\": \"block\""), "{out}");
    }
}

#[test]
fn dead_leases_are_not_enforced() {
    // An unknown footprint (0.30 passes a read-only `ls` under any lease).
    let bash_ls = event("Bash", r#"{"command": "make"}"#);
    let table: Vec<(String, bool)> = vec![
        // Fresh within the 5-minute grace, even with a dead holder pid.
        (acquire("main", &["src/**"], &stamp(240), 999_999, "", None), true),
        // Past the grace and the holder is gone on this host → dead.
        (
            acquire("main", &["src/**"], &stamp(480), 999_999, "", None),
            false,
        ),
        // Past the grace, holder recorded on another host → TTL only.
        (
            acquire("main", &["src/**"], &stamp(480), 999_999, "elsewhere", None),
            true,
        ),
        // Past TTL (default 50) + grace.
        (acquire("main", &["src/**"], &stamp(56 * 60), 0, "", None), false),
        (acquire("main", &["src/**"], &stamp(54 * 60), 0, "", None), true),
        // Declared TTL.
        (
            acquire("main", &["src/**"], &stamp(20 * 60), 0, "", Some(10.0)),
            false,
        ),
        // Unparseable stamp → kept.
        (acquire("main", &["src/**"], "yesterday", 999_999, "", None), true),
        // A holder pid beyond pid_t: the reference's probe raises → kept.
        (
            acquire("main", &["src/**"], &stamp(56 * 60), 99_999_999_999, "", None),
            true,
        ),
    ];
    for (rec, enforced) in table {
        let dir = tempfile::tempdir().unwrap();
        write_journal(dir.path(), std::slice::from_ref(&rec));
        let out = pretool(dir.path(), &[], &bash_ls);
        assert_eq!(!out.is_empty(), enforced, "{rec}");
    }
}

#[test]
fn released_and_empty_tree_leases_admit() {
    let release = format!(
        "{}\n",
        serde_json::json!({"op": "RELEASE", "lane": "main", "loop_ts": "L-main", "seq": 2, "ts": stamp(10)})
    );
    let cases: Vec<Vec<String>> = vec![
        vec![acquire("main", &["src/**"], &stamp(60), 0, "", None), release],
        vec![acquire("main", &[], &stamp(60), 0, "", None)],
    ];
    for lines in cases {
        let dir = tempfile::tempdir().unwrap();
        write_journal(dir.path(), &lines);
        let out = pretool(dir.path(), &[], &event("Write", r#"{"file_path": "src/a.py"}"#));
        assert_eq!(out, "", "{lines:?}");
    }
}

#[test]
fn overlap_settings() {
    let soft = event("Bash", r#"{"command": "cp src/a.py x/1.c y/2.c z/3.c"}"#);
    // A tighter ratio refuses a 25% overlap (reference text).
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    std::fs::write(ws.join("dos.toml"), "[overlap]\nratio_max = 0.2\n").unwrap();
    write_journal(ws, &[acquire("main", &["src/**"], &stamp(60), 0, "", None)]);
    let out = pretool(ws, &["--dialect", "cursor"], &soft);
    assert!(
        out.contains("overlap too large (1/4 = 25% of requested tree shared, threshold 20%)."),
        "{out}"
    );
    // A looser ratio is capped by the ⅓ floor; a malformed one warns.
    for (toml, stderr) in [
        ("[overlap]\nratio_max = 0.9\n", ""),
        (
            "[overlap]\nratio_max = 2\n",
            "warning: ignoring malformed [overlap] in ROOT/dos.toml: [overlap] ratio_max must be in (0, 1], got 2.0\n",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path();
        std::fs::write(ws.join("dos.toml"), toml).unwrap();
        write_journal(ws, &[acquire("main", &["src/**"], &stamp(60), 0, "", None)]);
        let o = run(
            BIN,
            ws,
            &["hook", "pretool", "--workspace", ws.to_str().unwrap()],
            &[],
            event("Write", r#"{"file_path": "src/a.py"}"#).as_bytes(),
        );
        assert!(o.stdout.contains("threshold 33%)."), "{}", o.stdout);
        assert_eq!(o.stderr, stderr.replace("ROOT", ws.to_str().unwrap()));
    }
    // An unknown scorer makes the reference's decide step raise: passthrough,
    // even for SELF_MODIFY, and nothing journaled.
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    std::fs::write(ws.join("dos.toml"), "[overlap]\npolicy = \"bogus\"\n").unwrap();
    std::fs::create_dir_all(ws.join("src/dos")).unwrap();
    std::fs::write(ws.join("src/dos/arbiter.py"), "x").unwrap();
    let out = pretool(ws, &[], &event("Edit", r#"{"file_path": "src/dos/arbiter.py"}"#));
    assert_eq!(out, "");
    assert!(!ws.join(".dos").exists());
}

#[test]
fn unreadable_or_garbage_journal_is_no_leases() {
    let write = event("Write", r#"{"file_path": "src/a.py"}"#);
    // Garbage, torn and non-object lines fold as nothing.
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    write_journal(
        ws,
        &[
            "not json at all ACQUIRE\n".into(),
            "[1, 2]\n".into(),
            "\u{0}\u{1}binary\n".into(),
            "{\"op\": \"ACQUIRE\", \"lane\": \"m\", \"loop_ts\": \"t\", \"tree\": [\"src/**\"]".into(),
        ],
    );
    assert_eq!(pretool(ws, &[], &write), "");
    // A directory where the journal should be: no leases, never a crash.
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    std::fs::create_dir_all(ws.join(".dos/lane-journal.jsonl")).unwrap();
    assert_eq!(pretool(ws, &[], &write), "");
    // The env override is where leases are read from.
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    let elsewhere = ws.join("other.jsonl");
    std::fs::write(&elsewhere, acquire("main", &["src/**"], &stamp(60), 0, "", None)).unwrap();
    let o = run(
        BIN,
        ws,
        &["hook", "pretool", "--workspace", ws.to_str().unwrap()],
        &[("DISPATCH_LANE_JOURNAL_PATH", elsewhere.to_str().unwrap())],
        write.as_bytes(),
    );
    assert!(o.stdout.contains("cannot share live lane 'main'"), "{}", o.stdout);
    assert!(!ws.join(".dos/lane-journal.jsonl").exists());
}

/// The OP_ENFORCE record's seq is the lane journal's next seq by the lanes'
/// rule: Python's `int()` of every `seq` / `seq_watermark` (the reference's
/// `lane_journal.append`). A newest record with `"seq": "7"` (or `7.0`)
/// makes the ENFORCE record seq 8 — `DOS_HOOK_NATIVE=0 DOS_LOOP=1 dos hook
/// pretool` of dos-kernel 0.22 writes 8; ours used to count only JSON
/// integers and wrote 1.
#[test]
fn enforce_seq_follows_the_lane_journals_rule() {
    for bin in hooks_common::HookBin::built() {
        for newest in [r#""7""#, "7.0", "7"] {
            let ws = tempfile::tempdir().unwrap();
            let root = ws.path();
            std::fs::create_dir_all(root.join("src/dos")).unwrap();
            std::fs::write(root.join("src/dos/arbiter.py"), "").unwrap();
            write_journal(
                root,
                &[format!(
                    "{{\"lane\": \"x\", \"loop_ts\": \"L\", \"op\": \"HEARTBEAT\", \"seq\": {newest}}}\n"
                )],
            );
            let event = format!(
                r#"{{"session_id": "s1", "hook_event_name": "PreToolUse", "tool_name": "Write", "tool_input": {{"file_path": "src/dos/arbiter.py", "content": "x"}}, "cwd": "{}"}}"#,
                root.display()
            );
            let out = bin
                .run(root, &["hook", "pretool"], &[("DOS_LOOP", "1")], event.as_bytes())
                .expect("pretool is served by both binaries");
            assert_eq!(out.code, 0);
            assert!(out.stdout.contains("\"deny\""), "{}", out.stdout);
            let text = std::fs::read_to_string(root.join(".dos/lane-journal.jsonl")).unwrap();
            let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
            assert_eq!(last["op"], "ENFORCE", "{}", bin.path());
            assert_eq!(last["seq"], 8, "newest seq {newest} through {}", bin.path());
        }
    }
}
