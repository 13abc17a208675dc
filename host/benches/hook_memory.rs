//! Peak memory of the hook verbs on big events (issue 12's weak spot: "a
//! 250 MB JSON array under the 256 MiB stdin cap costs posttool 2.9 GB and
//! stop 6.4 GB"). Goal: peak RSS of any hook below 4× its input plus 32 MiB.
//!
//! For each input shape and verb, the hook runs once with stdin from a file
//! under `/usr/bin/time -f %M` (peak RSS of the child, KiB); the table shows
//! the input size, the peak, the ratio and whether it meets the goal.
//! Shapes: a top-level array of small integers (the event is not an
//! object), an event whose `tool_response` is such an array, an event
//! whose `tool_input` is a flat object of many small members (keys sorted
//! for the digest), and one whose `tool_response` nests arrays of objects.
//!
//! Run: `cargo bench -p dos --bench hook_memory` (release). Env knobs:
//! `DOS_BENCH_MEM_MB` (input size, default 250), `DOS_BENCH_MEM_VERBS`
//! (comma list, default `posttool,pretool,marker,stop`). Exits non-zero if
//! any run misses the goal, so it can gate a release.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_dos");

/// Write an event of about `size` bytes of `shape` to `path`.
fn write_input(path: &Path, shape: &str, size: usize) -> std::io::Result<u64> {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let head = |w: &mut BufWriter<File>, key: &str| {
        write!(
            w,
            "{{\"session_id\": \"mem\", \"hook_event_name\": \"PostToolUse\", \"tool_name\": \"Read\", \"cwd\": \".\", \"{key}\": "
        )
    };
    match shape {
        "array" => {
            w.write_all(b"[1")?;
            for _ in 0..size / 2 {
                w.write_all(b",1")?;
            }
            w.write_all(b"]")?;
        }
        "response-array" => {
            head(&mut w, "tool_response")?;
            w.write_all(b"[1")?;
            for _ in 0..size / 2 {
                w.write_all(b",1")?;
            }
            w.write_all(b"]}")?;
        }
        "input-object" => {
            head(&mut w, "tool_input")?;
            w.write_all(b"{")?;
            for i in 0..size / 12 {
                if i > 0 {
                    w.write_all(b",")?;
                }
                write!(w, "\"{:07x}\":0", (i * 7919) % 0x1000_0000)?;
            }
            w.write_all(b"}, \"tool_response\": \"x\"}")?;
        }
        _ => {
            head(&mut w, "tool_response")?;
            w.write_all(b"[")?;
            for i in 0..size / 24 {
                if i > 0 {
                    w.write_all(b",")?;
                }
                w.write_all(b"{\"b\":[1,2],\"a\":{\"c\":0}}")?;
            }
            w.write_all(b"]}")?;
        }
    }
    w.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// Peak RSS (KiB) of `dos hook VERB` on `input`, via `/usr/bin/time -f %M`.
fn peak_kib(verb: &str, input: &Path, ws: &Path) -> Option<(u64, i32)> {
    let mut c = Command::new("/usr/bin/time");
    c.args(["-f", "%M", BIN, "hook", verb, "--workspace"]).arg(ws);
    if verb == "marker" {
        c.args(["--loop", "--session-id", "mem"]);
    }
    let out = c
        .stdin(File::open(input).ok()?)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    let kib = text.lines().last()?.trim().parse().ok()?;
    Some((kib, out.status.code().unwrap_or(-1)))
}

fn main() {
    let mb: usize = std::env::var("DOS_BENCH_MEM_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(250);
    let verbs =
        std::env::var("DOS_BENCH_MEM_VERBS").unwrap_or_else(|_| "posttool,pretool,marker,stop".into());
    let dir = tempfile::tempdir().expect("temp dir");
    let mut misses = 0;
    println!(
        "{:<16} {:<9} {:>10} {:>10} {:>6}  goal (4x input + 32 MiB)",
        "input", "verb", "input MiB", "peak MiB", "ratio"
    );
    for shape in ["array", "response-array", "input-object", "response-nested"] {
        let input = dir.path().join(format!("{shape}.json"));
        let bytes = write_input(&input, shape, mb * 1_000_000).expect("write input");
        for verb in verbs.split(',').map(str::trim).filter(|v| !v.is_empty()) {
            let ws = dir.path().join(format!("ws-{shape}-{verb}"));
            std::fs::create_dir_all(&ws).expect("workspace");
            let Some((kib, code)) = peak_kib(verb, &input, &ws) else {
                println!("{shape:<16} {verb:<9} (could not run under /usr/bin/time)");
                misses += 1;
                continue;
            };
            let peak = kib * 1024;
            let goal = 4 * bytes + 32 * 1024 * 1024;
            let ok = peak <= goal && code == 0;
            misses += usize::from(!ok);
            println!(
                "{shape:<16} {verb:<9} {:>10.1} {:>10.1} {:>6.2}  {}{}",
                bytes as f64 / 1048576.0,
                peak as f64 / 1048576.0,
                peak as f64 / bytes as f64,
                if ok { "ok" } else { "MISSED" },
                if code == 0 {
                    String::new()
                } else {
                    format!(" (exit {code})")
                }
            );
        }
    }
    if misses > 0 {
        eprintln!("{misses} run(s) missed the memory goal");
        std::process::exit(1);
    }
}
