//! The watchdog (`dos loop --run`) with a fake worker: a script that acquires
//! its lane and heartbeats. A killed worker is reaped and refilled exactly
//! once; a crashed supervisor's stale lock is stolen.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

const WORKER: &str = r#"#!/bin/sh
lane="$2"
echo $$ >> "$PIDS_DIR/$lane.pids"
"$DOS_BIN" lease-lane acquire --lane "$lane" --kind cluster --owner "w-$$" --loop-ts "L-$$" >/dev/null 2>&1 || exit 1
i=0
while [ $i -lt 150 ]; do
  "$DOS_BIN" lease-lane heartbeat --lane "$lane" --owner "w-$$" --loop-ts "L-$$" >/dev/null 2>&1
  sleep 0.2
  i=$((i+1))
done
"#;

fn pids(dir: &Path, lane: &str) -> Vec<u32> {
    std::fs::read_to_string(dir.join(format!("{lane}.pids")))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

fn kill(pid: u32) {
    let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
}

#[test]
fn killed_worker_is_reaped_and_refilled_once() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    let script = root.join("worker.sh");
    std::fs::write(&script, WORKER).unwrap();
    let pids_dir = root.join("pids");
    std::fs::create_dir(&pids_dir).unwrap();
    std::fs::write(
        root.join("dos.toml"),
        format!(
            "[lanes]\nconcurrent = [\"a\", \"b\"]\nexclusive = []\nautopick = []\n[lanes.trees]\na = [\"src/a/**\"]\nb = [\"src/b/**\"]\n[supervise]\ntarget = 2\nworker_launch_template = \"sh {} --lane {{lane}}\"\n",
            script.display()
        ),
    )
    .unwrap();
    let mut sup = Command::new(env!("CARGO_BIN_EXE_dos"))
        .args(["loop", "--run", "--max-ticks", "6", "--interval", "1", "--json"])
        .current_dir(root)
        .env("DOS_BIN", env!("CARGO_BIN_EXE_dos"))
        .env("PIDS_DIR", &pids_dir)
        .env_remove("DISPATCH_LANE_JOURNAL_PATH")
        .env_remove("JOB_LANE_JOURNAL_PATH")
        .env_remove("DISPATCH_WORKSPACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let reader = BufReader::new(sup.stdout.take().unwrap());
    let mut ticks = Vec::new();
    for line in reader.lines() {
        let line = line.unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        // one {verdict, actions} line per tick (0.30's --enact --json)
        let n = ticks.len() as u64 + 1;
        ticks.push(v);
        if n == 2 {
            let first_a = pids(&pids_dir, "a");
            assert_eq!(first_a.len(), 1, "one worker for a after two ticks");
            kill(first_a[0]);
        }
        if n == 6 {
            break;
        }
    }
    assert!(sup.wait().unwrap().success());
    let spawned = |lane: &str| {
        ticks
            .iter()
            .flat_map(|t| t["actions"]["spawned"].as_array().unwrap().clone())
            .filter(|l| l == lane)
            .count()
    };
    let reaped: Vec<String> = ticks
        .iter()
        .flat_map(|t| t["actions"]["reaped"].as_array().unwrap().clone())
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let (a_pids, b_pids) = (pids(&pids_dir, "a"), pids(&pids_dir, "b"));
    // cleanup before asserting (these are this test's grandchildren)
    for p in a_pids.iter().chain(b_pids.iter()) {
        kill(*p);
    }
    assert_eq!(ticks[0]["actions"]["spawned"], serde_json::json!(["a", "b"]));
    assert_eq!(reaped, ["a"], "{ticks:#?}");
    assert_eq!((spawned("a"), spawned("b")), (2, 1), "{ticks:#?}");
    assert_eq!((a_pids.len(), b_pids.len()), (2, 1));
    let journal = std::fs::read_to_string(root.join(".dos/lane-journal.jsonl")).unwrap();
    let scav: serde_json::Value = journal
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["op"] == "SCAVENGE")
        .unwrap();
    assert_eq!(scav["lane"], "a");
    assert_eq!(scav["prev_holder"], format!("w-{}", a_pids[0]));
    assert_eq!(scav["reason"], "supervisor: STALLED");
    let acquires = journal
        .lines()
        .filter(|l| l.contains("\"op\": \"ACQUIRE\""))
        .count();
    assert_eq!(acquires, 3);
    // the last tick is at target with every worker alive
    let last = &ticks[5]["verdict"];
    assert_eq!(
        (last["verdict"].as_str(), last["alive"].as_i64()),
        (Some("AT_TARGET"), Some(2))
    );
    assert!(!root.join(".dos/lane-journal.jsonl.supervisor.lock").exists());
}

#[test]
fn crashed_supervisors_stale_lock_is_stolen() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    let fix = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lanes/roster");
    std::fs::write(
        root.join("dos.toml"),
        std::fs::read_to_string(format!("{fix}/dos.toml"))
            .unwrap()
            .replace(
                "claude -p \\\"/dos-dispatch-loop --lane {lane}\\\"",
                "true {lane}",
            ),
    )
    .unwrap();
    std::fs::create_dir(root.join(".dos")).unwrap();
    std::fs::copy(
        format!("{fix}/lane-journal.jsonl"),
        root.join(".dos/lane-journal.jsonl"),
    )
    .unwrap();
    let lock = root.join(".dos/lane-journal.jsonl.supervisor.lock");
    std::fs::write(&lock, "supervisor pid=999999\n").unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&lock)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dos"))
        .args(["loop", "--run", "--max-ticks", "1", "--json"])
        .current_dir(root)
        .env_remove("DISPATCH_LANE_JOURNAL_PATH")
        .env_remove("JOB_LANE_JOURNAL_PATH")
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // every lease in the fixture is long dead by the wall clock: all reaped
    assert_eq!(
        v["actions"]["reaped"],
        serde_json::json!(["api", "worker", "docs"]),
        "{v}"
    );
    assert_eq!(v["actions"]["skipped_reaps"], serde_json::json!([]));
    assert!(!lock.exists());
    let journal = std::fs::read_to_string(root.join(".dos/lane-journal.jsonl")).unwrap();
    assert_eq!(
        journal
            .lines()
            .filter(|l| l.contains("\"op\": \"SCAVENGE\""))
            .count(),
        3
    );
}
