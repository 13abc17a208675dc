//! Isolation benchmarks (run: `cargo bench -p dos --bench isolation`).
//!
//! Measures, against the hostile fixture built in release mode and the
//! `dos` binary of this build as the worker:
//! - worker start-up: spawn `dos __plugin-worker FILE`, load the file, ready;
//! - isolated export round trip through the fail-soft handle, batches of 1
//!   and 10k events (frame encode, pipe, worker decode, FFI call, answer);
//! - the in-process call for comparison, with the crash journal on and off.

use dos_core::workspace::Workspace;
use dos_plugin_host::isolate::client::WorkerProcess;
use dos_plugin_host::PluginHost;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod support;
use support::{batch, build_release_fixture, median};

/// Microseconds per call of `f`: median of `rounds` rounds of `iters` calls.
fn us_per_call(rounds: usize, iters: usize, mut f: impl FnMut()) -> (f64, f64) {
    for _ in 0..iters.min(200) {
        f();
    }
    let mut samples: Vec<f64> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_secs_f64() * 1e6 / iters as f64
        })
        .collect();
    let best = samples.iter().copied().fold(f64::MAX, f64::min);
    (median(&mut samples), best)
}

fn host(lib: &Path, extra: &str, isolate: bool) -> (tempfile::TempDir, PluginHost) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("dos.toml"),
        format!(
            "[plugins]\npaths = [{:?}]\ndefault_dir = false\n{extra}",
            lib.display().to_string()
        ),
    )
    .expect("dos.toml");
    let ws = Workspace::open(dir.path().to_path_buf()).expect("workspace");
    let mut h = PluginHost::for_workspace(&ws, false).expect("host");
    h.set_worker_program(Some(PathBuf::from(env!("CARGO_BIN_EXE_dos"))));
    h.set_isolate_all(isolate);
    (dir, h)
}

fn main() {
    let lib = build_release_fixture("tests/fixtures/hostile", "dos_hostile_fixture");
    let dos = PathBuf::from(env!("CARGO_BIN_EXE_dos"));

    let mut ms: Vec<f64> = (0..30)
        .map(|_| {
            let t = Instant::now();
            let w = WorkerProcess::spawn(&dos, &lib, Some(Duration::from_secs(10))).expect("worker starts");
            let took = t.elapsed().as_secs_f64() * 1e3;
            assert!(w.ready.manifest.is_some());
            took
        })
        .collect();
    let best = ms.iter().copied().fold(f64::MAX, f64::min);
    println!(
        "worker start-up (spawn + load + ready): median {:.2} ms, best {:.2} ms over 30  [{}]",
        median(&mut ms),
        best,
        dos.display()
    );

    let (_d, isolated) = host(&lib, "", true);
    let mut h = isolated
        .exporter("honest", &serde_json::Map::new())
        .expect("honest");
    for (n, rounds, iters) in [(1usize, 15, 2_000), (10_000, 9, 40)] {
        let b = batch(n);
        let (med, best) = us_per_call(rounds, iters, || {
            let r = h.export(&b);
            assert_eq!(r.exported, n as u64, "{}", r.detail);
        });
        println!(
            "isolated export round trip, batch of {n:>6}: median {med:>9.1} µs, best {best:>9.1} µs  ({:.1} ns/event){}",
            med * 1e3 / n as f64,
            if n == 1 { "  [target < 100 µs]" } else { "" }
        );
    }

    for (label, extra) in [
        ("crash journal on", ""),
        ("crash journal off", "quarantine_after = 0\n"),
    ] {
        let (_d, mut inproc) = host(&lib, extra, false);
        inproc.set_call_timeout(None);
        let mut h = inproc
            .exporter("honest", &serde_json::Map::new())
            .expect("honest");
        let one = batch(1);
        let (med, _) = us_per_call(15, 20_000, || {
            assert_eq!(h.export(&one).exported, 1);
        });
        println!("in-process export, batch of 1, {label}: {:.1} ns", med * 1e3);
    }
}
