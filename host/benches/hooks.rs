//! Whole-process latency of the hook verbs, side by side with the reference:
//! the Python path (`dos hook …`, `DOS_HOOK_NATIVE=0`) and the bundled Go
//! binary (`dos-hook posttool|pretool --workspace W`). Processes are spawned
//! directly (no shell), stdin from a file. Reports medians, ratios and peak
//! RSS (measured in a separate run under `/usr/bin/time -f %M`).
//!
//! Rows: `dos` (`dos hook VERB`), `dos-hook` (the standalone hook binary as
//! `cargo build` links it), `static` (the same binary from `cargo
//! static-hook`, which this bench builds first), `go`, `python`.
//!
//! Run: `cargo bench -p dos --bench hooks` (release). Env knobs:
//! `DOS_BENCH_STATIC` (a prebuilt static `dos-hook`; skips the build),
//! `DOS_BENCH_PY` (default /work/ref/venv/bin/dos), `DOS_BENCH_GO` (default:
//! the wheel's `_bin/dos-hook`), `DOS_BENCH_N` (Rust/Go iterations, 200),
//! `DOS_BENCH_PY_N` (Python iterations, 8), `DOS_BENCH_METRICS=0` (no
//! `hook-observation` appends, by any implementation). A missing reference
//! is skipped.

mod support;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_dos");

#[derive(Clone, Copy, PartialEq)]
enum Impl {
    /// `dos hook VERB` (the full host binary).
    Rust,
    /// `dos-hook VERB` as `cargo build` links it (dynamic).
    RustHook,
    /// `dos-hook VERB` linked statically (`cargo static-hook`).
    RustStatic,
    Go,
    Python,
}

impl Impl {
    fn name(self) -> &'static str {
        match self {
            Impl::Rust => "dos",
            Impl::RustHook => "dos-hook",
            Impl::RustStatic => "static",
            Impl::Go => "go",
            Impl::Python => "python",
        }
    }
}

struct Refs {
    hook: PathBuf,
    py: Option<PathBuf>,
    go: Option<PathBuf>,
    static_hook: Option<PathBuf>,
}

fn refs() -> Refs {
    let py = std::env::var_os("DOS_BENCH_PY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/ref/venv/bin/dos"));
    let go = std::env::var_os("DOS_BENCH_GO").map(PathBuf::from).or_else(|| {
        let lib = Path::new("/work/ref/venv/lib");
        std::fs::read_dir(lib).ok()?.flatten().find_map(|e| {
            let p = e.path().join("site-packages/dos/_bin/dos-hook");
            p.is_file().then_some(p)
        })
    });
    let static_hook = std::env::var_os("DOS_BENCH_STATIC")
        .map(PathBuf::from)
        .or_else(build_static_hook)
        .unwrap_or_default();
    Refs {
        hook: support::dos_hook_bin(BIN),
        py: py.is_file().then_some(py),
        go: go.filter(|p| p.is_file()),
        static_hook: static_hook.is_file().then_some(static_hook),
    }
}

/// Build (or bring up to date) the statically linked `dos-hook` with the
/// workspace's `cargo static-hook` alias; `None` (row skipped) if that fails.
fn build_static_hook() -> Option<PathBuf> {
    let root = support::repo_root();
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["--quiet", "static-hook"])
        .current_dir(&root)
        .status()
        .ok()?;
    if !status.success() {
        eprintln!("cargo static-hook failed: the static row is skipped");
        return None;
    }
    Some(root.join("target/static-hook/release/dos-hook"))
}

/// The command line for one implementation, verb and workspace.
fn command(which: Impl, r: &Refs, verb: &str, ws: &Path) -> Option<Command> {
    let ws_s = ws.to_str()?.to_string();
    let mut c = match which {
        Impl::Rust => {
            let mut c = Command::new(BIN);
            c.args(["hook", verb]);
            c
        }
        Impl::RustHook => {
            let mut c = Command::new(&r.hook);
            c.arg(verb);
            c
        }
        Impl::RustStatic => {
            let mut c = Command::new(r.static_hook.as_ref()?);
            c.arg(verb);
            c
        }
        Impl::Go => {
            if verb == "marker" {
                return None; // the Go binary serves pretool/posttool only
            }
            let mut c = Command::new(r.go.as_ref()?);
            c.arg(verb);
            c
        }
        Impl::Python => {
            let mut c = Command::new(r.py.as_ref()?);
            c.args(["hook", verb]);
            c.env("DOS_HOOK_NATIVE", "0");
            c
        }
    };
    c.args(["--workspace", &ws_s]);
    if verb == "marker" {
        c.arg("--loop");
    }
    for k in ["DOS_LOOP", "CID_RUN_ID", "DISPATCH_OBSERVE", "DISPATCH_WORKSPACE"] {
        c.env_remove(k);
    }
    // Observations on, as installed (0.30's Go binary writes them too);
    // `DOS_BENCH_METRICS=0` turns them off for every implementation.
    if std::env::var("DOS_BENCH_METRICS").as_deref() == Ok("0") {
        c.env("DOS_HOOK_METRICS", "0");
    } else {
        c.env_remove("DOS_HOOK_METRICS");
    }
    c.stdout(Stdio::null()).stderr(Stdio::null());
    Some(c)
}

fn once(mut c: Command, stdin: &Path) -> Duration {
    c.stdin(File::open(stdin).expect("stdin file"));
    let t = Instant::now();
    let status = c.status().expect("spawn");
    let d = t.elapsed();
    assert!(
        status.success() || status.code() == Some(0),
        "hook failed: {status}"
    );
    d
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Peak RSS (KiB) of one run, via `/usr/bin/time -f %M`.
fn peak_rss_kib(c: &Command, stdin: &Path) -> Option<u64> {
    let mut t = Command::new("/usr/bin/time");
    t.args(["-f", "%M", "-o", "/dev/stderr"]);
    t.arg(c.get_program());
    t.args(c.get_args());
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => t.env(k, v),
            None => t.env_remove(k),
        };
    }
    t.stdin(File::open(stdin).ok()?)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let out = t.output().ok()?;
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()?
        .trim()
        .parse()
        .ok()
}

/// A workspace with a session file of `n` prior records for `verb`.
fn workspace(verb: &str, n: usize) -> tempfile::TempDir {
    let ws = tempfile::tempdir().expect("tempdir");
    if n > 0 {
        let (sub, mut body) = (
            if verb == "marker" { "markers" } else { "streams" },
            String::new(),
        );
        for i in 0..n {
            if verb == "marker" {
                // Long session with periodic resets (each forward delta).
                let op = if i % 3 == 2 { "RESET" } else { "MARKER" };
                body.push_str(&format!("{{\"op\": \"{op}\", \"reason\": \"wait-marker 1/4 \u{2014} turn held open\", \"schema\": {{\"family\": \"wait-marker\", \"version\": 1}}, \"ts\": \"2026-01-01T00:00:00Z\"}}\n"));
            } else {
                body.push_str(&format!("{{\"args_digest\": \"{i:016x}\", \"op\": \"STEP\", \"result_digest\": \"2d711642b726b044\", \"schema\": {{\"family\": \"tool-stream\", \"version\": 1}}, \"step_index\": {i}, \"tool_name\": \"Bash\", \"ts\": \"2026-01-01T00:00:00Z\"}}\n"));
            }
        }
        let dir = ws.path().join(".dos").join(sub);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("bench.jsonl"), body).expect("seed");
    }
    ws
}

fn event_file(dir: &Path, verb: &str) -> PathBuf {
    let body = match verb {
        "posttool" => {
            r#"{"session_id": "bench", "hook_event_name": "PostToolUse", "tool_name": "Bash", "tool_input": {"command": "cat out.txt"}, "tool_response": "hello world"}"#
        }
        "pretool" => {
            r#"{"session_id": "bench", "hook_event_name": "PreToolUse", "tool_name": "Write", "tool_input": {"file_path": "docs/a.md", "content": "x"}}"#
        }
        _ => r#"{"session_id": "bench", "hook_event_name": "Stop", "stop_hook_active": false}"#,
    };
    let p = dir.join(format!("{verb}.json"));
    std::fs::write(&p, body).expect("event");
    p
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let r = refs();
    let n: usize = std::env::var("DOS_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let py_n: usize = std::env::var("DOS_BENCH_PY_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let scratch = tempfile::tempdir().expect("tempdir");
    println!(
        "python: {:?}\ngo: {:?}\ndos: {BIN}\ndos-hook: {}\nstatic dos-hook: {:?}",
        r.py,
        r.go,
        r.hook.display(),
        r.static_hook
    );
    println!(
        "{:<9} {:<8} {:<9} {:>10} {:>9} {:>7} {:>8} {:>9} {:>8}",
        "verb", "session", "impl", "median_ms", "min_ms", "vs_go", "py/this", "vs_empty", "rss_kib"
    );
    for verb in ["posttool", "pretool", "marker"] {
        let ev = event_file(scratch.path(), verb);
        let mut empty_medians: Vec<(Impl, Duration)> = Vec::new();
        for size in [0usize, 100_000] {
            // Interleaved: each round runs every implementation once, so load
            // drift on a shared machine hits all of them alike.
            let impls: Vec<Impl> = [
                Impl::Rust,
                Impl::RustHook,
                Impl::RustStatic,
                Impl::Go,
                Impl::Python,
            ]
            .into_iter()
            .filter(|w| command(*w, &r, verb, scratch.path()).is_some())
            .collect();
            let spaces: Vec<tempfile::TempDir> = impls.iter().map(|_| workspace(verb, size)).collect();
            let mut times: Vec<Vec<Duration>> = vec![Vec::new(); impls.len()];
            for (k, w) in impls.iter().enumerate() {
                once(command(*w, &r, verb, spaces[k].path()).expect("cmd"), &ev);
                // warm-up
            }
            let py_iters = if size > 0 { py_n.min(3) } else { py_n };
            for round in 0..n {
                for (k, w) in impls.iter().enumerate() {
                    if *w == Impl::Python && round >= py_iters {
                        continue;
                    }
                    times[k].push(once(command(*w, &r, verb, spaces[k].path()).expect("cmd"), &ev));
                }
            }
            let med: Vec<Duration> = times.iter().map(|t| median(t.clone())).collect();
            let find = |i: Impl| impls.iter().position(|w| *w == i).map(|k| med[k]);
            let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
            for (k, w) in impls.iter().enumerate() {
                let probe = command(*w, &r, verb, spaces[k].path()).expect("cmd");
                let rss = peak_rss_kib(&probe, &ev).map_or("-".into(), |k| k.to_string());
                let rust = !matches!(w, Impl::Go | Impl::Python);
                let vs_go = match find(Impl::Go) {
                    Some(g) if rust => format!("{:.2}x", ratio(med[k], g)),
                    _ => "-".to_string(),
                };
                let vs_py = match find(Impl::Python) {
                    Some(p) if rust => format!("{:.0}x", ratio(p, med[k])),
                    _ => "-".to_string(),
                };
                let vs_empty = match empty_medians.iter().find(|(i, _)| i == w) {
                    Some((_, e)) if rust && size > 0 => format!("{:.2}x", ratio(med[k], *e)),
                    _ => "-".to_string(),
                };
                if size == 0 {
                    empty_medians.push((*w, med[k]));
                }
                let min = times[k].iter().min().copied().unwrap_or_default();
                println!(
                    "{:<9} {:<8} {:<9} {:>10.3} {:>9.3} {:>7} {:>8} {:>9} {:>8}",
                    verb,
                    if size == 0 { "empty" } else { "100k" },
                    w.name(),
                    med[k].as_secs_f64() * 1e3,
                    min.as_secs_f64() * 1e3,
                    vs_go,
                    vs_py,
                    vs_empty,
                    rss
                );
            }
        }
    }
}
