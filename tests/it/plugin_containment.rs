//! Crash containment against real cdylibs: plugins that abort, segfault,
//! exit(3), overflow their stack, spin forever, or write garbage — isolated,
//! the host survives every one with a detail naming the plugin and what
//! happened; in-process (run in a child process here) they kill the host,
//! and the crash journal quarantines the repeat offender on later runs.
//! Also: the load pre-check survives a library whose initializer aborts.

use crate::support::dos_exe;
use crate::support::plugin_support as support;

use dos_core::workspace::Workspace;
use dos_plugin_api::{Claim, Notification, Severity, Stance, StopStance};
use dos_plugin_host::{PluginHost, ResolveError};
use serde_json::{json, Value};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::*;

fn crashy() -> PathBuf {
    build_fixture("tests/fixtures/crashy", "dos_crashy_fixture")
}

fn load_crash() -> PathBuf {
    build_fixture("tests/fixtures/load-crash", "dos_load_crash_fixture")
}

fn open_host(root: &Path, isolate_all: bool) -> PluginHost {
    let ws = Workspace::open(root.to_path_buf()).expect("workspace opens");
    let mut host = PluginHost::for_workspace(&ws, std::env::var_os("DOS_CONTAIN_SCENARIO").is_some())
        .expect("host builds");
    host.set_worker_program(Some(PathBuf::from(dos_exe())));
    host.set_isolate_all(isolate_all);
    host
}

fn isolated_host(paths: &[&Path], extra: &str) -> (tempfile::TempDir, PluginHost) {
    let dir = workspace(&plugin_paths_toml(
        paths,
        &format!("default_dir = false\n{extra}"),
    ));
    let host = open_host(dir.path(), true);
    (dir, host)
}

const WORKER: &str = "failed in its isolated worker (plugin dos-crashy-fixture): the worker";

#[test]
fn isolated_crashes_become_safe_results_naming_what_happened() {
    let lib = crashy();
    let (_dir, host) = isolated_host(&[&lib], "call_timeout_ms = 1500\n");
    let b = batch(&[1, 2, 3]);
    let table: [(&str, &[&str]); 7] = [
        ("abort", &["was killed by SIGABRT (abort)"]),
        ("segfault", &["was killed by SIGSEGV (segmentation fault)"]),
        ("exit3", &["exited with code 3"]),
        // Rust's guard-page handler turns the overflow into an abort; a
        // plain SIGSEGV is also a correct report.
        (
            "recurse",
            &[
                "was killed by SIGABRT (abort)",
                "was killed by SIGSEGV (segmentation fault)",
            ],
        ),
        ("spin", &["timed out after 1500 ms and was killed"]),
        (
            "pipe-garbage",
            &["broke the protocol and was killed: garbage on the protocol pipe (frame header \"GARBAGE!\")"],
        ),
        ("ctor-abort", &["was killed by SIGABRT (abort)"]),
    ];
    for (name, expected) in table {
        let mut h = host.exporter(name, &no_bag()).expect("resolves");
        let r = h.export(&b);
        assert_eq!((r.exported, r.cursor.as_str()), (0, ""), "{name}: {r:?}");
        let who = format!("error: exporter '{name}' ({})", lib.display());
        assert!(r.detail.starts_with(&who), "{name}: {}", r.detail);
        assert!(r.detail.contains(WORKER), "{name}: {}", r.detail);
        assert!(
            expected.iter().any(|e| r.detail.ends_with(e)),
            "{name}: {}",
            r.detail
        );
        if name == "ctor-abort" {
            assert!(
                r.detail
                    .contains("could not be constructed: it failed in its isolated worker"),
                "{}",
                r.detail
            );
        } else {
            // The driver is retired: the next call fails at once, saying why.
            let again = h.export(&b);
            assert!(
                again
                    .detail
                    .contains("is unavailable: an earlier call failed in its isolated worker"),
                "{}",
                again.detail
            );
        }
    }
    // Printing to stdout inside the worker is harmless: it lands on stderr.
    let mut noisy = host.exporter("stdout-garbage", &no_bag()).expect("resolves");
    let r = noisy.export(&b);
    assert_eq!((r.exported, r.cursor.as_str()), (3, "3"), "{r:?}");
    // After all of that, the same file still serves an honest driver.
    let mut honest = host.exporter("honest", &no_bag()).expect("resolves");
    assert_eq!(honest.export(&b).exported, 3);
}

#[test]
fn isolated_judge_stop_policy_and_notifier_fail_safe() {
    let lib = crashy();
    let (_dir, host) = isolated_host(&[&lib], "call_timeout_ms = 5000\n");
    let mut j = host.judge("abort", &no_bag()).expect("resolves");
    let claim = |t: &str| Claim {
        claim_text: t.into(),
        ..Claim::default()
    };
    assert_eq!(
        j.rule(&claim("fine")).stance,
        Stance::Disagree,
        "the judge works before it crashes"
    );
    let v = j.rule(&claim("boom"));
    assert_eq!(v.stance, Stance::Abstain);
    assert!(
        v.why.starts_with("judge 'abort' raised (isolated worker of plugin dos-crashy-fixture was killed by SIGABRT (abort); "),
        "{}",
        v.why
    );
    assert!(v.why.ends_with("it never auto-clears)."), "{}", v.why);
    let mut p = host.stop_policy("segfault", &no_bag()).expect("resolves");
    let v = p.decide(&json!({}));
    assert_eq!(v.stance, StopStance::Defer);
    assert!(
        v.reason.contains("was killed by SIGSEGV (segmentation fault)"),
        "{}",
        v.reason
    );
    let mut n = host.notifier("exit3", &no_bag()).expect("resolves");
    let r = n.send(&Notification {
        action: None,
        severity: Severity::Warn,
        title: "t".into(),
        summary: String::new(),
        fields: vec![],
        key: String::new(),
        source: String::new(),
    });
    assert!(!r.delivered);
    assert!(
        r.detail.ends_with("the worker exited with code 3"),
        "{}",
        r.detail
    );
}

#[test]
fn the_foundation_hostile_matrix_isolated() {
    let lib = hostile();
    let (_dir, host) = isolated_host(
        &[&lib],
        "call_timeout_ms = 1000\n[exporters.sleepy]\nsleep_ms = 4000\n",
    );
    let b = batch(&[1, 2, 3]);
    let table = [
        (
            "panic-ctor",
            "could not be constructed: it panicked: constructor exploded",
        ),
        (
            "error-ctor",
            "could not be constructed: it returned an error: no config",
        ),
        ("panic-call", "panicked: export exploded on purpose"),
        ("error-call", "returned an error: transport on fire"),
        ("sleepy", "the worker timed out after 1000 ms and was killed"),
        ("overcount", "returned an invalid result: exported 8 > batch of 3"),
        (
            "bad-cursor",
            "returned an invalid result: cursor \"999999\" is not a seq from the batch",
        ),
    ];
    for (name, expected) in table {
        let mut h = host.exporter(name, &no_bag()).expect("resolves");
        let r = h.export(&b);
        assert_eq!(r.exported, 0, "{name}: {r:?}");
        assert!(
            r.detail
                .starts_with(&format!("error: exporter '{name}' ({})", lib.display())),
            "{name}: {}",
            r.detail
        );
        assert!(r.detail.contains(expected), "{name}: {}", r.detail);
    }
    let mut honest = host.exporter("honest", &no_bag()).expect("resolves");
    assert_eq!(honest.export(&b).exported, 3);
    let mut j = host.judge("boom", &no_bag()).expect("resolves");
    let v = j.rule(&Claim {
        claim_text: "nan".into(),
        ..Claim::default()
    });
    assert!(v.why.contains("not a JudgeVerdict — abstaining"), "{}", v.why);
    assert_eq!(
        j.rule(&Claim {
            claim_text: "agree".into(),
            ..Claim::default()
        })
        .stance,
        Stance::Agree
    );
}

#[test]
fn one_worker_per_file_is_reused_for_the_whole_command() {
    let lib = hostile();
    let (_dir, host) = isolated_host(&[&lib], "");
    let mut a = host.exporter("honest", &no_bag()).expect("resolves");
    let mut j = host.judge("boom", &no_bag()).expect("resolves");
    for i in 0..20 {
        assert_eq!(a.export(&batch(&[i + 1])).exported, 1);
    }
    assert_eq!(
        j.rule(&Claim {
            claim_text: "agree".into(),
            ..Claim::default()
        })
        .stance,
        Stance::Agree
    );
    assert_eq!(host.worker_pids().len(), 1, "one worker serves both drivers");
    assert_ne!(host.worker_pids()[0], std::process::id());
}

#[test]
fn only_files_named_in_isolate_run_in_a_worker() {
    let crash = crashy();
    let hostile = hostile();
    let name = crash.file_name().unwrap().to_string_lossy().into_owned();
    let dir = workspace(&plugin_paths_toml(
        &[&crash, &hostile],
        &format!("default_dir = false\nisolate = [{name:?}]\ncall_timeout_ms = 5000\n"),
    ));
    let host = open_host(dir.path(), false);
    let inv = host.inventory();
    let isolated: Vec<bool> = inv.plugins.iter().map(|p| host.is_isolated(p)).collect();
    assert_eq!(inv.plugins.len(), 2);
    assert_eq!(isolated, vec![true, false]);
    assert!(
        inv.plugins[0].root.is_none(),
        "an isolated file is never loaded in-process"
    );
    let r = host
        .exporter("segfault", &no_bag())
        .expect("resolves")
        .export(&batch(&[1]));
    assert!(
        r.detail.ends_with("was killed by SIGSEGV (segmentation fault)"),
        "{}",
        r.detail
    );
}

#[test]
fn the_pre_check_survives_a_library_whose_initializer_aborts_and_caches_passes() {
    let bad = load_crash();
    let good = hostile();
    let dir = workspace(&plugin_paths_toml(&[&bad, &good], "default_dir = false\n"));
    let host = open_host(dir.path(), false);
    let inv = host.inventory();
    let f = inv
        .failures
        .iter()
        .find(|f| f.path == bad)
        .expect("load-crash reported");
    assert_eq!(
        f.reason,
        "loading it crashed the pre-check worker, which was killed by SIGABRT (abort)"
    );
    assert_eq!(inv.plugins.len(), 1, "the good file still loads");
    let cache =
        std::fs::read_to_string(dir.path().join(".dos/plugins/precheck.json")).expect("cache written");
    assert!(cache.contains(&good.display().to_string()), "{cache}");
    assert!(
        !cache.contains(&bad.display().to_string()),
        "only passes are cached: {cache}"
    );
    // Naming the crashing file's driver explains why it is missing.
    match host.exporter("load-crash", &no_bag()) {
        Err(ResolveError::Unknown { .. }) | Err(ResolveError::Broken { .. }) => {}
        other => panic!("expected a resolve error, got {:?}", other.err()),
    }
    // A second host in the same workspace answers from the cache: no worker
    // is started even with a program that cannot run.
    let ws = Workspace::open(dir.path().to_path_buf()).expect("ws");
    let mut again = PluginHost::for_workspace(&ws, false).expect("host");
    again.set_worker_program(Some(PathBuf::from("/nonexistent/dos")));
    let inv = again.inventory();
    assert_eq!(inv.plugins.len(), 1, "{:?}", inv.failures);
    assert!(inv.plugins[0].root.is_some());
}

fn dos(args: &[&str], cwd: &Path) -> Output {
    Command::new(dos_exe())
        .args(args)
        .current_dir(cwd)
        .env_remove("DOS_PLUGIN_PATH")
        .env_remove("DISPATCH_WORKSPACE")
        .output()
        .expect("dos runs")
}

#[test]
fn dos_plugins_check_reports_a_load_time_crash_and_isolate_flag_lists_isolation() {
    let bad = load_crash();
    let cwd = tempfile::tempdir().expect("temp");
    let out = dos(&["plugins", "check", &bad.display().to_string()], cwd.path());
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("loading it crashed the pre-check worker, which was killed by SIGABRT (abort)"),
        "{err}"
    );
    let lib = crashy();
    let ws = workspace(&plugin_paths_toml(&[&lib], "default_dir = false\n"));
    let out = dos(&["plugins", "--isolate", "--json"], ws.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["isolated"], json!([lib.display().to_string()]));
    let out = dos(&["plugins", "--json"], ws.path());
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["isolated"], json!([]));
}

// ---- in-process crashes, run in a child process -------------------------

/// Runs only when re-invoked by [`child`]: resolve and call one driver in
/// the mode given by `DOS_CONTAIN_SCENARIO` (`inprocess:NAME` / `isolated:NAME`).
#[test]
fn child_scenario() {
    let Ok(scenario) = std::env::var("DOS_CONTAIN_SCENARIO") else {
        return;
    };
    let root = PathBuf::from(std::env::var("DOS_CONTAIN_WS").expect("workspace given"));
    let (mode, name) = scenario.split_once(':').expect("mode:name");
    let host = open_host(&root, mode == "isolated");
    match host.exporter(name, &no_bag()) {
        Ok(mut h) => {
            let r = h.export(&batch(&[1, 2]));
            eprintln!("CHILD-RESULT exported={} detail={}", r.exported, r.detail);
        }
        Err(e) => eprintln!("CHILD-RESOLVE-ERROR {e}"),
    }
}

/// [`child_scenario`] as the test harness names it: its module path without
/// the crate name (`plugin_containment::child_scenario` in the `it` binary),
/// so `--exact` runs that one test and nothing else.
fn child_scenario_test_name() -> &'static str {
    let full = concat!(module_path!(), "::child_scenario");
    full.split_once("::").map_or(full, |(_, name)| name)
}

fn child(scenario: &str, ws: &Path) -> Output {
    Command::new(std::env::current_exe().expect("test binary"))
        .args([
            child_scenario_test_name(),
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("DOS_CONTAIN_SCENARIO", scenario)
        .env("DOS_CONTAIN_WS", ws)
        .output()
        .expect("child runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// In-process, a plugin that aborts, segfaults, exits or overflows its stack
/// takes the host with it: this is why isolation exists. (An endless loop
/// does not kill an in-process host that has `call_timeout_ms`: the stuck
/// thread is abandoned; without a timeout it hangs the host forever.)
#[test]
fn in_process_crashes_kill_the_host_as_documented() {
    let lib = crashy();
    let table: [(&str, Option<i32>, Option<i32>); 4] = [
        ("abort", Some(6), None),
        ("segfault", Some(11), None),
        ("exit3", None, Some(3)),
        ("recurse", Some(6), None),
    ];
    for (name, signal, code) in table {
        let ws = workspace(&plugin_paths_toml(
            &[&lib],
            "default_dir = false\ncall_timeout_ms = 0\n",
        ));
        let out = child(&format!("inprocess:{name}"), ws.path());
        assert!(
            !stderr(&out).contains("CHILD-RESULT"),
            "{name}: the host survived?! {}",
            stderr(&out)
        );
        let died = (out.status.signal(), out.status.code());
        let ok = match (signal, code) {
            (Some(6), _) if name == "recurse" => matches!(died.0, Some(6) | Some(11)),
            (Some(s), _) => died.0 == Some(s),
            (_, Some(c)) => died.1 == Some(c),
            _ => false,
        };
        assert!(ok, "{name}: died with {died:?}");
    }
    // The same plugins, isolated, in the same kind of child: it survives.
    let ws = workspace(&plugin_paths_toml(&[&lib], "default_dir = false\n"));
    let out = child("isolated:segfault", ws.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("was killed by SIGSEGV"), "{}", stderr(&out));
}

#[test]
fn a_plugin_call_never_reaches_the_hosts_stdout_when_isolated() {
    let lib = crashy();
    let ws = workspace(&plugin_paths_toml(&[&lib], "default_dir = false\n"));
    for name in ["stdout-garbage", "pipe-garbage"] {
        let out = child(&format!("isolated:{name}"), ws.path());
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!stdout.contains("GARBAGE"), "{name}: {stdout}");
    }
    // In-process, the plugin's stdout is the host's stderr while it runs.
    let out = child("inprocess:stdout-garbage", ws.path());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("GARBAGE"));
    assert!(stderr(&out).contains("GARBAGE ON STDOUT"), "{}", stderr(&out));
}

/// A real `dos export --json` through an in-process plugin that prints to
/// stdout during its call: stdout is exactly the JSON report (it parses),
/// the plugin's bytes went to stderr, and the host's stdout works again
/// after the call (the report itself is printed after it).
#[test]
fn an_in_process_plugin_printing_to_stdout_never_corrupts_json_output() {
    let lib = crashy();
    let ws = workspace(&plugin_paths_toml(&[&lib], "default_dir = false\n"));
    std::fs::create_dir_all(ws.path().join(".dos")).unwrap();
    std::fs::write(
        ws.path().join(".dos/verdict-journal.jsonl"),
        "{\"seq\": 1, \"syscall\": \"verify\", \"verdict\": \"OK\"}\n",
    )
    .unwrap();
    let out = dos(&["export", "--to", "stdout-garbage", "--json"], ws.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text:?}"));
    assert_eq!(v["result"]["exported"], 1, "{v}");
    assert!(stderr(&out).contains("GARBAGE ON STDOUT"), "{}", stderr(&out));
}

/// A call that times out is abandoned, not a crash: the process that
/// abandoned it exits normally, and the next run reports no dead run, twice
/// over (two timeouts must not add up to a quarantine).
#[test]
fn a_timed_out_call_is_not_counted_as_a_crash() {
    let lib = hostile();
    let ws = workspace(&plugin_paths_toml(
        &[&lib],
        "default_dir = false\ncall_timeout_ms = 200\n[exporters.sleepy]\nsleep_ms = 5000\n",
    ));
    for _ in 0..2 {
        let out = child("inprocess:sleepy", ws.path());
        let err = stderr(&out);
        assert!(err.contains("CHILD-RESULT exported=0"), "{err}");
        assert!(err.contains("timed out after 200 ms"), "{err}");
    }
    let out = child("inprocess:honest", ws.path());
    let err = stderr(&out);
    assert!(err.contains("CHILD-RESULT exported=2"), "{err}");
    assert!(!err.contains("a previous dos run"), "{err}");
}

/// An unreadable crash-record book is reported, never saved over.
#[test]
fn a_corrupt_crash_record_book_is_named_and_kept() {
    let lib = hostile();
    let ws = workspace(&plugin_paths_toml(&[&lib], "default_dir = false\n"));
    let book = ws.path().join(".dos/plugins/quarantine.json");
    std::fs::create_dir_all(book.parent().unwrap()).unwrap();
    std::fs::write(&book, "{ not json").unwrap();
    let out = child("inprocess:honest", ws.path());
    let err = stderr(&out);
    assert!(err.contains("CHILD-RESULT exported=2"), "{err}");
    assert!(err.contains("is not a crash-record book"), "{err}");
    let out = dos(&["plugins", "reset", "x.so"], ws.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("quarantine.json is not a crash-record book"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&book).unwrap(), "{ not json");
}

#[test]
fn the_crash_journal_reports_and_quarantines_the_repeat_offender() {
    let lib = crashy();
    let ws = workspace(&plugin_paths_toml(
        &[&lib],
        "default_dir = false\ncall_timeout_ms = 0\n",
    ));
    let first = child("inprocess:abort", ws.path());
    assert_eq!(first.status.signal(), Some(6));
    let second = child("inprocess:honest", ws.path());
    let err = stderr(&second);
    assert!(
        err.contains(&format!(
            "died while exporter 'abort' from '{}' was running; that plugin has now crashed the host 1 time(s) — it will be quarantined after 1 more",
            lib.display()
        )),
        "{err}"
    );
    assert!(
        err.contains("CHILD-RESULT exported=2"),
        "still usable after one crash: {err}"
    );
    let third = child("inprocess:segfault", ws.path());
    assert_eq!(third.status.signal(), Some(11));
    let fourth = child("inprocess:honest", ws.path());
    let err = stderr(&fourth);
    let file = lib.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        err.contains("crashed the host 2 time(s) — it is now quarantined"),
        "{err}"
    );
    assert!(
        err.contains(
            "is quarantined after crashing the host 2 time(s) (last: exporter 'segfault' was running in pid "
        ),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "CHILD-RESOLVE-ERROR exporter 'honest' is provided only by {}, which failed to load: quarantined",
            lib.display()
        )),
        "{err}"
    );
    // The next run still skips it (quietly re-reported, no new crash).
    let fifth = child("inprocess:honest", ws.path());
    assert!(
        stderr(&fifth).contains("CHILD-RESOLVE-ERROR"),
        "{}",
        stderr(&fifth)
    );
    assert!(
        !stderr(&fifth).contains("a previous dos run"),
        "{}",
        stderr(&fifth)
    );
    // `dos plugins reset NAME` lifts it.
    let out = dos(&["plugins", "reset", "nope.so"], ws.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!(
            "no crash record matches 'nope.so' (plugins with crash records: {file})"
        )),
        "{}",
        stderr(&out)
    );
    let out = dos(&["plugins", "reset", &file], ws.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 crash(es) cleared"));
    let sixth = child("inprocess:honest", ws.path());
    assert!(
        stderr(&sixth).contains("CHILD-RESULT exported=2"),
        "{}",
        stderr(&sixth)
    );
}

/// Start `dos export --to NAME` in `ws` (through `bash -c` with `trap`
/// when given, e.g. `trap '' HUP` as `nohup` does) and wait (bounded) until
/// its in-flight marker shows the exporter's call running.
fn export_in_flight(ws: &Path, name: &str, trap: Option<&str>) -> std::process::Child {
    let mut cmd = match trap {
        Some(t) => {
            let mut c = Command::new("bash");
            c.arg("-c")
                .arg(format!("{t}; exec \"$0\" export --to \"$1\""))
                .args([dos_exe(), name]);
            c
        }
        None => {
            let mut c = Command::new(dos_exe());
            c.args(["export", "--to", name]);
            c
        }
    };
    let mut child = cmd
        .current_dir(ws)
        .env_remove("DOS_PLUGIN_PATH")
        .env_remove("DISPATCH_WORKSPACE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("dos starts");
    let marker = ws
        .join(".dos/plugins/inflight")
        .join(format!("{}.jsonl", child.id()));
    let wanted = format!("exporter '{name}'");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !std::fs::read_to_string(&marker).is_ok_and(|t| t.contains(&wanted)) {
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            let _ = std::io::Read::read_to_string(&mut child.stderr.take().expect("piped"), &mut err);
            panic!("dos export --to {name} ended ({status:?}) before its call ran: {err}");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the call never showed in {}",
            marker.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child
}

/// Fault 1: Ctrl-C (SIGINT), SIGTERM and SIGHUP sent to a real `dos export`
/// while an in-process plugin call runs end the run by that signal (exit
/// status 130/143/129 in a shell) but are never counted as the plugin's
/// crash: three interruptions, threshold 2, and the plugin is still
/// usable. A signal inherited as ignored stays ignored. A real crash inside
/// the same plugin still counts.
#[test]
fn operator_signals_during_a_plugin_call_never_quarantine_it() {
    use rustix::process::{kill_process, Pid, Signal};
    let lib = crashy();
    let ws = workspace(&plugin_paths_toml(
        &[&lib],
        "default_dir = false\ncall_timeout_ms = 0\n",
    ));
    for (sig, number) in [(Signal::INT, 2), (Signal::TERM, 15), (Signal::HUP, 1)] {
        let mut child = export_in_flight(ws.path(), "spin", None);
        let pid = Pid::from_raw(child.id() as i32).expect("pid");
        kill_process(pid, sig).expect("signal sent");
        let status = child.wait().expect("waits");
        assert_eq!(status.signal(), Some(number), "{status:?}");
    }
    // A signal inherited as ignored (nohup) stays ignored.
    let mut child = export_in_flight(ws.path(), "spin", Some("trap '' HUP"));
    let pid = Pid::from_raw(child.id() as i32).expect("pid");
    kill_process(pid, Signal::HUP).expect("signal sent");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(child.try_wait().expect("polls").is_none(), "SIGHUP was ignored");
    kill_process(pid, Signal::TERM).expect("signal sent");
    assert_eq!(child.wait().expect("waits").signal(), Some(15));
    let out = dos(&["export", "--to", "honest"], ws.path());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("a previous dos run"), "{err}");
    assert!(!err.contains("quarantine"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("via honest"));
    assert!(!ws.path().join(".dos/plugins/quarantine.json").exists());
    // The plugin's own crash, in a real run, is still counted.
    let out = dos(&["export", "--to", "segfault"], ws.path());
    assert_eq!(out.status.signal(), Some(11), "{}", stderr(&out));
    let out = dos(&["export", "--to", "honest"], ws.path());
    let err = stderr(&out);
    assert!(
        err.contains("died while exporter 'segfault'") && err.contains("crashed the host 1 time(s)"),
        "{err}"
    );
}
