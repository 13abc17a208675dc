//! Benchmarks for the verdict journal and `dos export` (a plain binary,
//! `harness = false`). Run:
//!
//! ```text
//! CARGO_TARGET_DIR=… cargo bench -p dos --bench export_bench
//! ```
//!
//! Environment knobs: `DOS_BENCH_EVENTS` (default 1000000),
//! `DOS_BENCH_APPENDS` (per writer, default 10000), `DOS_BENCH_REF` (the
//! reference `dos` executable, default `/work/ref/venv/bin/dos`; set it to
//! an empty string to skip the reference), `DOS_BENCH_READER_ONLY` (set:
//! only the in-process reader figures). Peak RSS comes from
//! `/usr/bin/time -f '%e %M'`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

fn dos_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dos"))
}

fn env_usize(k: &str, d: usize) -> usize {
    std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d)
}

/// Write `n` canonical events (seq `first..first+n`) to `path`, appending.
fn write_journal(path: &Path, first: i64, n: usize) {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    let sys = [
        "verify",
        "liveness",
        "productivity",
        "efficiency",
        "breaker",
        "hook_exit",
        "exec_capability",
        "reward",
    ];
    let ver = [
        "NOT_SHIPPED",
        "STALLED",
        "DIMINISHING",
        "WASTEFUL",
        "OPEN",
        "BLOCK",
        "BOUNDED",
        "REJECT_POISON",
    ];
    for i in 0..n {
        let seq = first + i as i64;
        let k = (seq % 8) as usize;
        let mut e = dos_core::journal::VerdictEvent::new(sys[k], ver[k]);
        e.seq = seq;
        e.ts = "2026-11-21T21:23:14Z".into();
        match k {
            0 => {
                e.subject = "plän::P—1".into();
                e.detail.insert("source".into(), "none".into());
            }
            1 => {
                e.run_id = "RID-1M7ZZW861C96B40".into();
                e.lane = "main".into();
            }
            5 => {
                e.detail.insert("code".into(), 2.into());
                e.detail.insert("intervention".into(), "BLOCK".into());
                e.detail.insert("matched".into(), true.into());
            }
            _ => {}
        }
        writeln!(w, "{}", e.to_line()).unwrap();
    }
}

/// Run `cmd` under `/usr/bin/time`; returns (wall seconds, peak RSS KiB, stdout).
fn timed(cmd: &mut Command) -> (f64, u64, String) {
    let prog = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
    let mut t = Command::new("/usr/bin/time");
    t.arg("-f").arg("%e %M").arg(prog).args(args);
    if let Some(d) = cmd.get_current_dir() {
        t.current_dir(d);
    }
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => t.env(k, v),
            None => t.env_remove(k),
        };
    }
    let o = t.stderr(Stdio::piped()).stdout(Stdio::piped()).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    let last = err.lines().last().unwrap_or("0 0");
    let mut it = last.split_whitespace();
    let secs: f64 = it.next().and_then(|s| s.parse().ok()).unwrap_or(0.0);
    let kib: u64 = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    (secs, kib, String::from_utf8_lossy(&o.stdout).into_owned())
}

fn ensure_file_plugin() {
    let target = dos_bin().parent().unwrap().parent().unwrap().to_path_buf();
    let ok = Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "--release",
            "-p",
            "dos-export-file",
            "-p",
            "dos-export-otlp",
        ])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .status()
        .unwrap()
        .success();
    assert!(ok, "cannot build the file plugin");
}

fn workspace() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join(".dos")).unwrap();
    std::fs::write(d.path().join("dos.toml"), "").unwrap();
    d
}

fn dos_in(ws: &Path) -> Command {
    let mut c = Command::new(dos_bin());
    c.current_dir(ws);
    c
}

fn bench_export_file(n: usize) {
    let ws = workspace();
    let journal = ws.path().join(".dos/verdict-journal.jsonl");
    write_journal(&journal, 1, n);
    let mb = std::fs::metadata(&journal).unwrap().len() as f64 / 1048576.0;
    let (secs, kib, out) = timed(dos_in(ws.path()).args(["export", "--to", "file", "--path", "out.jsonl"]));
    assert!(out.contains(&format!("shipped {n}/{n}")), "{out}");
    let ours = n as f64 / secs.max(0.001);
    println!(
        "export --to file, {n} events ({mb:.0} MiB): {secs:.2} s, {ours:.0} events/s, peak RSS {:.1} MiB",
        kib as f64 / 1024.0
    );
    let reference = std::env::var("DOS_BENCH_REF").unwrap_or_else(|_| "/work/ref/venv/bin/dos".into());
    if !reference.is_empty() && Path::new(&reference).exists() {
        let mut c = Command::new(&reference);
        c.current_dir(ws.path())
            .env("DISPATCH_VERDICT_JOURNAL_PATH", &journal)
            .args(["export", "--to", "file", "--path", "ref-out.jsonl"]);
        let (rsecs, rkib, rout) = timed(&mut c);
        assert!(rout.contains(&format!("shipped {n}/{n}")), "{rout}");
        let theirs = n as f64 / rsecs.max(0.001);
        println!(
            "reference (Python) same journal: {rsecs:.2} s, {theirs:.0} events/s, peak RSS {:.1} MiB → speed ratio {:.0}x, RSS ratio {:.1}x",
            rkib as f64 / 1024.0,
            ours / theirs,
            rkib as f64 / kib.max(1) as f64
        );
        let same = std::fs::read(ws.path().join("out.jsonl")).unwrap()
            == std::fs::read(ws.path().join("ref-out.jsonl")).unwrap();
        println!("outputs byte-identical: {same}");
    }
}

/// In-process reader throughput on a journal of `n` events: the canonical
/// check alone over every line, and the full reader (`next_entry`).
fn bench_reader(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("vj.jsonl");
    write_journal(&journal, 1, n);
    let bytes = std::fs::read(&journal).unwrap();
    let mb = bytes.len() as f64 / 1048576.0;
    let best = |f: &mut dyn FnMut() -> u64| {
        (0..3)
            .map(|_| {
                let t = Instant::now();
                let k = f();
                assert_eq!(k as usize, n);
                t.elapsed().as_secs_f64()
            })
            .fold(f64::MAX, f64::min)
    };
    let check = best(&mut || {
        let mut i = 0;
        let mut k = 0u64;
        while let Some((_, end)) = dos_core::journal::canonical::canonical_prefix(&bytes[i..]) {
            i += end + 1;
            k += 1;
        }
        k
    });
    let read = best(&mut || {
        let mut r = dos_core::journal::JournalReader::open(&journal).unwrap().unwrap();
        let mut k = 0u64;
        while let Some((e, _)) = r.next_entry().unwrap() {
            if matches!(e, dos_core::journal::Entry::Record(l) if l.canonical) {
                k += 1;
            }
        }
        k
    });
    println!(
        "reader, {n} events ({mb:.0} MiB): canonical check {:.0} ms ({:.0} ns/line), next_entry {:.0} ms ({:.0} ns/line)",
        check * 1e3,
        check * 1e9 / n as f64,
        read * 1e3,
        read * 1e9 / n as f64
    );
}

fn bench_since_auto(n: usize) -> f64 {
    let ws = workspace();
    let journal = ws.path().join(".dos/verdict-journal.jsonl");
    write_journal(&journal, 1, n);
    let args = ["export", "--to", "file", "--path", "/dev/null", "--since", "auto"];
    let o = dos_in(ws.path()).args(args).output().unwrap();
    assert!(o.status.success());
    write_journal(&journal, n as i64 + 1, 10);
    let t = Instant::now();
    let o = dos_in(ws.path()).args(args).output().unwrap();
    let secs = t.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("shipped 10/10"), "{text}");
    println!(
        "--since auto with 10 new events after {n}: {:.1} ms",
        secs * 1000.0
    );
    secs
}

fn bench_writers(writers: usize, appends: usize) {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("vj.jsonl");
    let me = std::env::current_exe().unwrap();
    let t = Instant::now();
    let kids: Vec<_> = (0..writers)
        .map(|_| {
            Command::new(&me)
                .env("DOS_BENCH_WRITER", &journal)
                .env("DOS_BENCH_APPENDS", appends.to_string())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut k in kids {
        assert!(k.wait().unwrap().success());
    }
    let secs = t.elapsed().as_secs_f64();
    let text = std::fs::read_to_string(&journal).unwrap();
    let mut seqs = Vec::new();
    let mut intact = 0;
    for l in text.lines() {
        if let Some(s) = dos_core::journal::canonical::canonical_seq(l) {
            intact += 1;
            seqs.push(s);
        }
    }
    let distinct: std::collections::HashSet<_> = seqs.iter().collect();
    println!(
        "{writers} writers x {appends} appends: {secs:.1} s ({:.0} appends/s, fsync each), {intact} intact lines of {}, {} distinct seqs, increasing: {}",
        (writers * appends) as f64 / secs,
        text.lines().count(),
        distinct.len(),
        seqs.windows(2).all(|w| w[0] < w[1])
    );
}

/// A local OTLP/HTTP receiver: reads each request fully and answers 200
/// with an empty body; counts requests and body bytes.
fn otlp_sink() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = requests.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().take(10_000) {
            let Ok(stream) = conn else { break };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let mut len = 0usize;
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).unwrap_or(0);
                    let h = h.trim_end();
                    if h.is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        if k.eq_ignore_ascii_case("content-length") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                    }
                }
                let mut body = vec![0u8; len];
                if reader.read_exact(&mut body).is_err() {
                    break;
                }
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut w = &stream;
                let _ = w.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n",
                );
            }
        }
    });
    (port, requests)
}

fn bench_export_otlp(n: usize) {
    let ws = workspace();
    write_journal(&ws.path().join(".dos/verdict-journal.jsonl"), 1, n);
    let (port, requests) = otlp_sink();
    let endpoint = format!("http://127.0.0.1:{port}");
    let (secs, kib, out) = timed(dos_in(ws.path()).args(["export", "--to", "otlp", "--endpoint", &endpoint]));
    assert!(
        out.contains(&format!("shipped {n}/{n} via otlp")),
        "otlp export failed: {out}"
    );
    println!(
        "export --to otlp, {n} events to a local receiver: {secs:.2} s, {:.0} records/s, {} request(s), peak RSS {:.1} MiB",
        n as f64 / secs.max(1e-9),
        requests.load(std::sync::atomic::Ordering::SeqCst),
        kib as f64 / 1024.0
    );
}

fn main() {
    if let Ok(path) = std::env::var("DOS_BENCH_WRITER") {
        let n = env_usize("DOS_BENCH_APPENDS", 10_000);
        for i in 0..n {
            let mut e = dos_core::journal::VerdictEvent::new("liveness", "ADVANCING");
            e.detail.insert("i".into(), i.into());
            dos_core::journal::append(Path::new(&path), &e).unwrap();
        }
        return;
    }
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` probes harness-less benches this way
    }
    let n = env_usize("DOS_BENCH_EVENTS", 1_000_000);
    if std::env::var_os("DOS_BENCH_READER_ONLY").is_some() {
        bench_reader(n);
        return;
    }
    ensure_file_plugin();
    bench_reader(n);
    bench_export_file(n);
    bench_export_otlp(env_usize("DOS_BENCH_OTLP_EVENTS", 100_000));
    let small = bench_since_auto(n / 10);
    let large = bench_since_auto(n);
    println!(
        "--since auto time ratio ({n} vs {} events): {:.2}",
        n / 10,
        large / small.max(1e-9)
    );
    bench_writers(8, env_usize("DOS_BENCH_APPENDS", 10_000));
}
