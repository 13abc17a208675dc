//! `dos loop`, `dos liveness`, `dos journal` and `dos lease-lane` against
//! outputs produced by the reference (fixtures under tests/fixtures/lanes).

use std::path::Path;
use std::process::Command;

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lanes");

fn dos(ws: &Path, args: &[&str]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_dos"))
        .args(args)
        .current_dir(ws)
        .env_remove("DISPATCH_LANE_JOURNAL_PATH")
        .env_remove("JOB_LANE_JOURNAL_PATH")
        .env_remove("DISPATCH_WORKSPACE")
        .env("DISPATCH_HOST_ID", "host-a")
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

fn roster_ws() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(format!("{FIX}/roster/dos.toml"), dir.path().join("dos.toml")).unwrap();
    std::fs::create_dir(dir.path().join(".dos")).unwrap();
    std::fs::copy(
        format!("{FIX}/roster/lane-journal.jsonl"),
        dir.path().join(".dos/lane-journal.jsonl"),
    )
    .unwrap();
    dir
}

#[test]
fn loop_and_liveness_match_reference_goldens() {
    let ws = roster_ws();
    for i in 1..=10 {
        let Ok(args) = std::fs::read_to_string(format!("{FIX}/roster/loop{i}.args")) else {
            continue;
        };
        let want = std::fs::read_to_string(format!("{FIX}/roster/loop{i}.out")).unwrap();
        let mut argv = vec!["loop", "--now-ms", "1767268800000"];
        argv.extend(args.split_whitespace());
        let (out, _, rc) = dos(ws.path(), &argv);
        assert_eq!((out.as_str(), rc), (want.as_str(), 0), "loop {args}");
    }
    for i in 1..=10 {
        let Ok(args) = std::fs::read_to_string(format!("{FIX}/roster/liveness{i}.args")) else {
            continue;
        };
        let want = std::fs::read_to_string(format!("{FIX}/roster/liveness{i}.out")).unwrap();
        let want_rc: i32 = std::fs::read_to_string(format!("{FIX}/roster/liveness{i}.rc"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let mut argv = vec![
            "liveness",
            "--run-id",
            "RID-1KDWKDSW0000000",
            "--now-ms",
            "1767268800000",
        ];
        argv.extend(args.split_whitespace());
        let (out, _, rc) = dos(ws.path(), &argv);
        assert_eq!((out.as_str(), rc), (want.as_str(), want_rc), "liveness {args}");
    }
    let (_, err, rc) = dos(ws.path(), &["liveness", "--run-id", "nope"]);
    assert_eq!(rc, 2);
    assert_eq!(
        err,
        "error: 'nope' is not a valid run-id token (expected an RID-… minted by `dos run-id mint`)\n"
    );
    // dos loop writes nothing
    assert_eq!(std::fs::read_dir(ws.path().join(".dos")).unwrap().count(), 1);
}

#[test]
fn loop_overrides_and_bad_templates_are_clear_errors() {
    let ws = roster_ws();
    let (_, err, rc) = dos(ws.path(), &["loop", "--target", "-1"]);
    assert_eq!(
        (err.as_str(), rc),
        ("error: supervise target must be non-negative\n", 2)
    );
    let (_, _, rc) = dos(ws.path(), &["loop", "--target", "x"]);
    assert_eq!(rc, 2);
    std::fs::write(
        ws.path().join("dos.toml"),
        "[supervise]\nworker_launch_template = \"run {lane} {other}\"\ntarget = 1\n",
    )
    .unwrap();
    let (out, err, rc) = dos(ws.path(), &["loop", "--now-ms", "1767268800000"]);
    assert_eq!((out.as_str(), rc), ("", 2), "{err}");
    assert!(err.contains("unknown placeholder {other}"), "{err}");
    std::fs::write(ws.path().join("dos.toml"), "[supervise]\ntarget = \"two\"\n").unwrap();
    let (out, err, rc) = dos(ws.path(), &["loop", "--now-ms", "1767268800000"]);
    assert_eq!(rc, 0);
    assert!(
        err.starts_with("warning: ignoring malformed [supervise] in "),
        "{err}"
    );
    assert!(
        err.ends_with("dos.toml: [supervise].target must be a non-negative integer, got str\n"),
        "{err}"
    );
    assert!(
        out.starts_with("SUPERVISE FILLING: alive 0/1, admissible 1\n"),
        "{out}"
    );
}

#[test]
fn journal_verbs_match_reference_and_honour_the_env_path() {
    let ws = tempfile::tempdir().unwrap();
    let elsewhere = ws.path().join("custom/wal.jsonl");
    std::fs::create_dir_all(elsewhere.parent().unwrap()).unwrap();
    std::fs::copy(format!("{FIX}/reference-live.jsonl"), &elsewhere).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_dos"))
            .args(args)
            .current_dir(ws.path())
            .env("DISPATCH_LANE_JOURNAL_PATH", &elsewhere)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(
        run(&["journal", "tail"]),
        std::fs::read_to_string(format!("{FIX}/reference-live.tail.txt")).unwrap()
    );
    assert_eq!(
        run(&["journal", "replay"]),
        std::fs::read_to_string(format!("{FIX}/reference-live.replay.json")).unwrap()
    );
    assert_eq!(
        run(&["journal", "seq"]),
        std::fs::read_to_string(format!("{FIX}/reference-live.seq.txt")).unwrap()
    );
    // dos loop reads the same (env) journal: main is held → exclusive roster at target
    let out = run(&["loop", "--json"]);
    assert!(out.contains("\"lane\": \"global\""), "{out}");
    assert!(!ws.path().join(".dos/lane-journal.jsonl").exists());
}

#[test]
fn lease_lifecycle_writes_reference_shaped_records() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        ws.path().join("dos.toml"),
        "[lanes]\nconcurrent = []\nexclusive = [\"main\"]\nautopick = []\n[lanes.trees]\nmain = [\"**/*\"]\n",
    )
    .unwrap();
    let p = ws.path();
    let (out, err, rc) = dos(
        p,
        &[
            "lease-lane",
            "acquire",
            "--lane",
            "main",
            "--owner",
            "w1",
            "--loop-ts",
            "2026-01-01T00:00:00Z",
            "--run-id",
            "RID-1HF7YAT00000C1S",
        ],
    );
    assert_eq!(rc, 0, "{err}");
    assert_eq!(out, "{\"auto_picked\": false, \"free_clusters\": [], \"journaled\": true, \"lane\": \"main\", \"lane_kind\": \"main\", \"outcome\": \"acquire\", \"owner\": \"w1\", \"pick_count\": null, \"reason\": \"exclusive lane 'main' \\u2014 no other loop live, admitted.\", \"run_id\": \"RID-1HF7YAT00000C1S\", \"tree\": [\"**/*\"]}\n");
    assert!(
        err.starts_with("dos: created .dos/ for this workspace ("),
        "{err}"
    );
    let (out, _, rc) = dos(
        p,
        &[
            "lease-lane",
            "acquire",
            "--lane",
            "main",
            "--owner",
            "w2",
            "--loop-ts",
            "2026-01-01T00:00:01Z",
        ],
    );
    assert_eq!(rc, 1);
    assert!(out.contains("\"reason\": \"lane 'main' is already held by a live loop \\u2014 pick a different --lane or wait.\""), "{out}");
    assert_eq!(
        dos(p, &["lease-lane", "heartbeat", "--lane", "main", "--owner", "w2"]).2,
        1
    );
    assert_eq!(
        dos(p, &["lease-lane", "heartbeat", "--lane", "main", "--owner", "w1"]).0,
        "{\"beat\": true, \"lane\": \"main\", \"owner\": \"w1\"}\n"
    );
    let (out, _, _) = dos(p, &["halt", "--handle", "h", "--resumable"]);
    assert_eq!(out, "{\"command\": null, \"handle\": \"h\", \"lane\": \"\", \"loop_ts\": \"\", \"recorded\": true, \"suspend_note\": \"--resumable needs --run-id (the intent-ledger key); recorded a plain HALT only \\u2014 no run to suspend\", \"suspended\": false}\n");
    assert_eq!(
        dos(p, &["lease-lane", "release", "--lane", "main", "--owner", "w2"]).2,
        1
    );
    assert_eq!(
        dos(p, &["lease-lane", "release", "--lane", "main", "--owner", "w1"]).2,
        0
    );
    assert_eq!(dos(p, &["journal", "seq"]).0, "5\n");
    assert_eq!(dos(p, &["journal", "replay"]).0, "[]\n");
    let text = std::fs::read_to_string(p.join(".dos/lane-journal.jsonl")).unwrap();
    let ops: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["op"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ops, ["ACQUIRE", "REFUSE", "HEARTBEAT", "HALT", "RELEASE"]);
    assert!(text.contains("live loop — pick"), "raw UTF-8 on disk");
    // bad --leases and a busy lock
    let (_, err, rc) = dos(
        p,
        &[
            "lease-lane",
            "acquire",
            "--lane",
            "main",
            "--owner",
            "w",
            "--leases",
            "{bad",
        ],
    );
    assert_eq!(rc, 2);
    assert_eq!(err, "error: --leases is not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1)); expected a JSON array of live-lease objects (e.g. '[]')\n");
    std::fs::write(
        p.join(".dos/.lane-lease.lock"),
        "owner: someone\nacquired_at: 2999-01-01T00:00:00Z\npid: 1\n",
    )
    .unwrap();
    let (_, err, rc) = dos(
        p,
        &[
            "lease-lane",
            "acquire",
            "--lane",
            "main",
            "--owner",
            "w",
            "--retries",
            "1",
            "--retry-interval",
            "0.01",
        ],
    );
    assert_eq!((err.as_str(), rc), ("{\"lane\": \"main\", \"outcome\": \"lock-busy\", \"reason\": \"lane-lease lock busy (owner=someone)\"}\n", 4));
    std::fs::write(
        p.join(".dos/.lane-lease.lock"),
        "owner: someone\nacquired_at: 2020-01-01T00:00:00Z\npid: 1\n",
    )
    .unwrap();
    assert_eq!(
        dos(p, &["lease-lane", "acquire", "--lane", "main", "--owner", "w"]).2,
        0
    );
    assert!(!p.join(".dos/.lane-lease.lock").exists());
}

#[test]
fn run_id_mint() {
    let ws = tempfile::tempdir().unwrap();
    let (out, _, rc) = dos(
        ws.path(),
        &["run-id", "mint", "x", "--parent", "RID-AAA", "--root", "RID-BBB"],
    );
    assert_eq!(rc, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["process_id"], "PROC-x");
    assert_eq!(
        (v["parent_id"].as_str(), v["root_id"].as_str()),
        (Some("RID-AAA"), Some("RID-BBB"))
    );
    assert!(
        out.starts_with("{\n  \"parent_id\": \"RID-AAA\",\n  \"process_id\""),
        "sorted, indented: {out}"
    );
    let (out, _, _) = dos(
        ws.path(),
        &[
            "run-id",
            "mint",
            "PROC-dos-dispatch-loop",
            "--parent",
            "RID-01KAKXXXXXXXXXXXX",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["root_id"], v["run_id"], "a bare parent does not imply a root");
    let (_, err, rc) = dos(ws.path(), &["run-id", "mint", ""]);
    assert_eq!(
        (err.as_str(), rc),
        (
            "error: process_id is required (e.g. 'fanout', 'dispatch-loop')\n",
            2
        )
    );
}
