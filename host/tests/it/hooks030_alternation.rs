//! dos-kernel 0.30.0's Python hooks and ours taking turns on one session:
//! the tool stream (posttool), the wait-marker tally (marker), the lane
//! journal's ENFORCE records and nudge cadence (pretool), and the shared
//! `hook-observation` log. The same script runs twice — once with every turn
//! taken by 0.30, once alternating 0.30 / `dos hook` / 0.30 / `dos-hook` —
//! and every turn's stdout and every file afterwards must be identical
//! (timestamps and latencies masked). Finally 0.30's own reader must read
//! every observation record we appended, and fold the same intervention rate.
//!
//! 0.30 comes from `target/ref030-venv` (see `ref030_support`).

use crate::support::hooks_common;
use crate::support::ref030_support;

use hooks_common::{mask_latency, mask_ts, run, HookBin};
use std::path::Path;

/// Who takes a turn.
#[derive(Clone, Copy, Debug)]
enum Turn {
    Py,
    Ours(usize),
}

fn ev_post() -> String {
    r#"{"session_id": "alt", "tool_name": "Bash", "tool_input": {"command": "ls"}, "tool_response": "same", "cwd": "/ws"}"#.into()
}

fn ev_pre(tool: &str, input: &str) -> String {
    format!(
        r#"{{"session_id": "alt", "hook_event_name": "PreToolUse", "tool_name": "{tool}", "tool_input": {input}, "cwd": "/ws"}}"#
    )
}

fn ev_stop() -> String {
    r#"{"session_id": "alt", "hook_event_name": "Stop", "stop_hook_active": false, "cwd": "/ws"}"#.into()
}

/// One turn of the script: hook args, env, event.
type Step = (Vec<&'static str>, Vec<(&'static str, &'static str)>, String);

/// The script.
fn script() -> Vec<Step> {
    let mut s = Vec::new();
    for _ in 0..6 {
        s.push((vec!["hook", "posttool"], vec![], ev_post()));
    }
    let arbiter = r#"{"file_path": "src/dos/arbiter.py"}"#;
    for i in 0..6 {
        let env = if i % 2 == 0 {
            vec![("DOS_LOOP", "1")]
        } else {
            vec![]
        };
        s.push((vec!["hook", "pretool"], env, ev_pre("Edit", arbiter)));
    }
    s.push((vec!["hook", "pretool"], vec![], ev_pre("Agent", "{}")));
    s.push((
        vec!["hook", "pretool"],
        vec![],
        ev_pre("Bash", r#"{"command": "git log -- src/dos/arbiter.py"}"#),
    ));
    s.push((
        vec!["hook", "pretool"],
        vec![("DOS_LOOP", "1"), ("DOS_HOOK_POSTURE", "gate")],
        ev_pre("Write", arbiter),
    ));
    s.push((
        vec!["hook", "pretool"],
        vec![("DOS_HOOK_POSTURE", "assist")],
        ev_pre("Read", arbiter),
    ));
    for _ in 0..5 {
        s.push((
            vec!["hook", "marker", "--loop", "--max-markers", "3"],
            vec![],
            ev_stop(),
        ));
    }
    s
}

const FILES: &[&str] = &[
    ".dos/streams/alt.jsonl",
    ".dos/markers/alt.jsonl",
    ".dos/lane-journal.jsonl",
    ".dos/metrics/observations.jsonl",
];

/// Run the script in a fresh workspace; per-turn stdout, then the files.
fn play(turns: &dyn Fn(usize) -> Turn) -> (Vec<String>, Vec<String>, tempfile::TempDir) {
    let py = ref030_support::dos();
    let bins = HookBin::built();
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    std::fs::create_dir_all(ws.join("src/dos")).unwrap();
    std::fs::write(ws.join("src/dos/arbiter.py"), "x").unwrap();
    let root = ws.to_str().unwrap();
    let mut outs = Vec::new();
    for (i, (args, env, event)) in script().into_iter().enumerate() {
        let stdin = event.replace("/ws", root);
        let out = match turns(i) {
            Turn::Py => {
                let mut env = env.clone();
                env.push(("DOS_HOOK_NATIVE", "0"));
                run(py.to_str().unwrap(), ws, &args, &env, stdin.as_bytes())
            }
            Turn::Ours(b) => bins[b].run(ws, &args, &env, stdin.as_bytes()).unwrap(),
        };
        assert_eq!(out.code, 0, "turn {i} {:?}: {}", turns(i), out.stderr);
        outs.push(out.stdout);
    }
    let files = FILES
        .iter()
        .map(|f| mask_latency(&mask_ts(&std::fs::read_to_string(ws.join(f)).unwrap_or_default())))
        .collect();
    (outs, files, dir)
}

/// 0.30's own fold of an observation log: records read, and the rate.
fn py_fold(ws: &Path) -> String {
    let code = "import sys\nfrom pathlib import Path\nfrom dos import hook_observation as h\nr = h.read_observations(path=Path(sys.argv[1]))\nrate = h.intervention_rate(r)\nprint(len(r), rate.adjudicated, rate.passed, rate.intervened)";
    let out = std::process::Command::new(ref030_support::python())
        .args(["-c", code])
        .arg(ws.join(".dos/metrics/observations.jsonl"))
        .output()
        .expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn python_030_and_ours_take_turns_on_one_session() {
    let (want_out, want_files, want_ws) = play(&|_| Turn::Py);
    for first in [0usize, 1] {
        let turns = move |i: usize| {
            if i % 2 == first {
                Turn::Py
            } else {
                Turn::Ours((i / 2) % 2)
            }
        };
        let (got_out, got_files, got_ws) = play(&turns);
        for (i, (g, w)) in got_out.iter().zip(&want_out).enumerate() {
            assert_eq!(g, w, "turn {i} ({:?}) stdout", turns(i));
        }
        for (f, (g, w)) in FILES.iter().zip(got_files.iter().zip(&want_files)) {
            assert_eq!(g, w, "{f} after alternating (Python first: {})", first == 0);
        }
        let lines = got_files[3].lines().count();
        assert_eq!(lines, script().len(), "one record per decided call");
        let fold = py_fold(got_ws.path());
        assert_eq!(fold, py_fold(want_ws.path()));
        assert!(
            fold.starts_with(&format!("{lines} ")),
            "0.30 reads every record: {fold}"
        );
    }
}
