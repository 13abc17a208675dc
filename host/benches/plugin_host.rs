//! Plugin-host benchmarks (run: `cargo bench -p dos --bench plugin_host`).
//!
//! Measures, against real cdylibs built in release mode:
//! - plugin load time (a fresh `dlopen` + abi_stable checks + manifest per
//!   file, using distinct copies so nothing is cached);
//! - one exporter call with batches of 1, 1k and 100k events, per event;
//! - fail-soft wrapper overhead vs a direct FFI call, with and without
//!   timeout enforcement;
//! - the crash journal's part of it: noting a call in flight and clearing
//!   it again (the in-flight marker's shared-mapping stores).

use abi_stable::std_types::{RSlice, RStr};
use dos_core::workspace::Workspace;
use dos_plugin_api::ffi::ExporterFfi;
use dos_plugin_host::quarantine::{Flight, InFlightEntry, InFlightMarker};
use dos_plugin_host::{loader, PluginHost};
use std::path::Path;
use std::time::{Duration, Instant};

mod support;
use support::{batch, build_release_fixture, median};

/// Nanoseconds per call of `f`, median of `rounds` rounds of `iters` calls.
fn time_per_call(rounds: usize, iters: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..iters.min(1000) {
        f();
    }
    let mut samples: Vec<f64> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_nanos() as f64 / iters as f64
        })
        .collect();
    median(&mut samples)
}

fn bench_load(lib: &Path) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut ms: Vec<f64> = Vec::new();
    for i in 0..25 {
        let copy = dir.path().join(format!(
            "libdos_bench_copy_{i}.{}",
            std::env::consts::DLL_EXTENSION
        ));
        std::fs::copy(lib, &copy).expect("copy plugin");
        let t = Instant::now();
        let loaded = loader::load(&copy).expect("loads");
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(loaded.manifest.name, "dos-hostile-fixture");
    }
    let first = ms[0];
    let worst = ms.iter().copied().fold(0.0, f64::max);
    println!(
        "plugin load (fresh dlopen + checks + manifest): median {:.3} ms, first {:.3} ms, max {:.3} ms over {} files  [target < 2 ms]",
        median(&mut ms),
        first,
        worst,
        25
    );
}

fn main() {
    // `cargo bench` passes `--bench`; ignore arguments.
    let lib = build_release_fixture("tests/fixtures/hostile", "dos_hostile_fixture");
    bench_load(&lib);

    let ws_dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        ws_dir.path().join("dos.toml"),
        format!(
            "[plugins]\npaths = [{:?}]\ndefault_dir = false\n",
            lib.display().to_string()
        ),
    )
    .expect("dos.toml");
    let ws = Workspace::open(ws_dir.path().to_path_buf()).expect("workspace");
    let mut host = PluginHost::for_workspace(&ws, false).expect("host");

    // Exporter calls through the fail-soft handle (no timeout), per batch size.
    host.set_call_timeout(None);
    let mut handle = host
        .exporter("honest", &serde_json::Map::new())
        .expect("honest exporter");
    for n in [1usize, 1_000, 100_000] {
        let b = batch(n);
        let (rounds, iters) = match n {
            1 => (15, 200_000),
            1_000 => (15, 2_000),
            _ => (9, 20),
        };
        let ns = time_per_call(rounds, iters, || {
            let r = handle.export(&b);
            assert_eq!(r.exported, n as u64);
        });
        println!(
            "export call, batch of {n:>6}: {:>12.1} ns/call, {:>7.2} ns/event  [target < 20 ns/event]",
            ns,
            ns / n as f64
        );
    }

    // Wrapper overhead vs a direct FFI call on the same driver, batch of 1.
    let plugin = loader::load(&lib).expect("loads");
    let root = plugin.root.expect("loaded in-process");
    let mut raw = match (root.new_exporter())(RStr::from("honest"), RStr::from("{}")) {
        abi_stable::std_types::ROk(d) => d,
        abi_stable::std_types::RErr(e) => panic!("constructor failed: {}", e.message),
    };
    let one = batch(1);
    let refs = one.refs();
    let direct = time_per_call(15, 200_000, || {
        let out = ExporterFfi::export(&mut raw, RSlice::from_slice(&refs), RStr::from("{}"));
        let json = out.into_result().expect("ok");
        let parsed: dos_plugin_api::ExportResult = serde_json::from_str(json.as_str()).expect("json");
        assert_eq!(parsed.exported, 1);
    });
    let wrapped = time_per_call(15, 200_000, || {
        assert_eq!(handle.export(&one).exported, 1);
    });
    host.set_call_timeout(Some(Duration::from_secs(5)));
    let mut timed = host
        .exporter("honest", &serde_json::Map::new())
        .expect("honest exporter");
    let with_timeout = time_per_call(9, 20_000, || {
        assert_eq!(timed.export(&one).exported, 1);
    });
    println!("direct FFI call (batch of 1, incl. result decode): {direct:.1} ns");
    println!(
        "fail-soft wrapper, no timeout enforcement: {wrapped:.1} ns  → overhead {:.1} ns  [target < 1000 ns]",
        wrapped - direct
    );
    println!(
        "fail-soft wrapper, with timeout enforcement (worker thread): {with_timeout:.1} ns  → overhead {:.1} ns",
        with_timeout - direct
    );

    bench_flight();
}

fn bench_flight() {
    let state = tempfile::tempdir().expect("temp dir");
    let marker = InFlightMarker::new(state.path());
    let flight = Flight::new(
        &marker,
        &InFlightEntry {
            path: "/bench/libdos_hostile_fixture.so".into(),
            plugin: "dos-hostile-fixture".into(),
            what: "exporter 'honest'".into(),
        },
    );
    let ns = time_per_call(15, 1_000_000, || {
        let guard = flight.enter();
        std::hint::black_box(&guard);
    });
    println!("crash journal, note + clear one call in flight: {ns:.1} ns  [target: tens of ns]");
}
