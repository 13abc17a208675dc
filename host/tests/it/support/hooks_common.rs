//! Shared helpers for the hook integration tests: run the built `dos` binary
//! with a clean environment and a given stdin.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// What a run produced.
#[derive(Debug)]
pub(crate) struct Out {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// Variables a test must not inherit.
pub(crate) const SCRUB: &[&str] = &[
    "DOS_LOOP",
    "CID_RUN_ID",
    "DISPATCH_OBSERVE",
    "DISPATCH_WORKSPACE",
    "DISPATCH_LANE_JOURNAL_PATH",
    "JOB_LANE_JOURNAL_PATH",
    "DISPATCH_VERDICT_JOURNAL_PATH",
    "DISPATCH_HOST_ID",
    "DISPATCH_LOOP_TS",
    "MY_LOOP",
    "DOS_HOOK_POSTURE",
    "DOS_HOOK_METRICS",
];

/// Run `dos args…` in `cwd` with `env` and `stdin`.
pub(crate) fn run(bin: &str, cwd: &Path, args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Out {
    let mut cmd = Command::new(bin);
    cmd.args(args).current_dir(cwd);
    for k in SCRUB {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn dos");
    let mut sin = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = sin.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    let _ = writer.join();
    Out {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// `hay` with every `from` replaced by `to` (for stdin and argv that need
/// not be UTF-8).
pub(crate) fn replace_bytes(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut rest = hay;
    while let Some(i) = rest.windows(from.len()).position(|w| w == from) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(to);
        rest = &rest[i + from.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// Replace every `"ts": "…"` value with `<UTC-ts>`.
pub(crate) fn mask_ts(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("\"ts\": \"") {
        let start = i + 7;
        out.push_str(&rest[..start]);
        let end = rest[start..].find('"').map(|j| start + j).unwrap_or(rest.len());
        out.push_str("<UTC-ts>");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Replace every `"latency_ms": <number>` value with `<ms>` (the
/// `hook-observation` records' only nondeterministic field besides `ts`).
pub(crate) fn mask_latency(s: &str) -> String {
    const KEY: &str = "\"latency_ms\": ";
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(KEY) {
        let start = i + KEY.len();
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | 'e' | '-' | '+')))
            .map_or(rest.len(), |j| start + j);
        out.push_str("<ms>");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// A 0.22 pretool transcript (stdout or journal text) in dos-kernel 0.30's
/// words, for a loop session (issue #15 item 2): SELF_MODIFY names the hook
/// surface's remedies instead of `--force`, and the help nudge counts
/// refusals ("DOS has refused N calls …") instead of caught things. `dash`
/// is the em dash as the text spells it (`\u2014` in hook stdout, raw in
/// journal records). Everything else stays byte for byte.
pub(crate) fn to_030(text: &str, dash: &str) -> String {
    let text = text.replace(
        "Pass --force only if you are deliberately editing the kernel between loop runs.",
        &format!("Do not retry {dash} there is no force override at this surface, and repeated denies raise an operator decision (dos decisions). Inspect with the read-only tools; the edit itself is the operator's, made between loop runs or under their armed override window (dos override status)."),
    );
    const HEAD: &str = "DOS has caught ";
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find(HEAD) {
        out.push_str(&rest[..i]);
        let after = &rest[i + HEAD.len()..];
        match nudge_030(after) {
            Some((line, used)) => {
                out.push_str(&line);
                rest = &after[used..];
            }
            None => {
                out.push_str(HEAD);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `N thing(s) this session (B blocked, W warned, D deferred).` (0.22's
/// nudge after "DOS has caught ") as 0.30 words it; with the length used.
fn nudge_030(after: &str) -> Option<(String, usize)> {
    let end = after.find(" this session")?;
    let total: u64 = after[..end].split(' ').next()?.parse().ok()?;
    let tail = &after[end + " this session".len()..];
    let (detail, used_tail) = match tail.strip_prefix(" (") {
        Some(t) => {
            let close = t.find(")")?;
            (&t[..close], 2 + close + 1)
        }
        None => ("", 0),
    };
    if !tail[used_tail..].starts_with('.') {
        return None;
    }
    let mut blocked = 0;
    for part in detail.split(", ").filter(|p| !p.is_empty()) {
        let (n, kind) = part.split_once(' ')?;
        let n: u64 = n.parse().ok()?;
        if kind == "blocked" {
            blocked = n;
        }
    }
    let advisory = total - blocked;
    let line = if blocked > 0 {
        let noun = if blocked == 1 { "call" } else { "calls" };
        let plus = if advisory > 0 {
            format!(" (+{advisory} advisory)")
        } else {
            String::new()
        };
        format!("DOS has refused {blocked} {noun} this session{plus}.")
    } else {
        let noun = if advisory == 1 { "caution" } else { "cautions" };
        format!("DOS surfaced {advisory} advisory {noun} this session (no calls refused).")
    };
    Some((line, end + " this session".len() + used_tail + 1))
}

/// The standalone `dos-hook` binary, next to `dos`, brought up to date on
/// first use with the profile of this run. It is a package of its own
/// (`dos-hook`, which links no plugin host), so Cargo gives the `dos`
/// package's tests no `CARGO_BIN_EXE_dos-hook`: `cargo build -p dos-hook`
/// builds it (a no-op when `cargo test --workspace` already did).
pub(crate) fn dos_hook_bin() -> &'static str {
    static BIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let out_dir = Path::new(env!("CARGO_BIN_EXE_dos"))
            .parent()
            .expect("the profile directory");
        let target_dir = out_dir.parent().expect("the target directory");
        let mut c = crate::support::plugin_support::cargo();
        c.args([
            "build",
            "--quiet",
            "--package",
            "dos-hook",
            "--bin",
            "dos-hook",
            "--target-dir",
        ])
        .arg(target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
        match out_dir.file_name().and_then(|p| p.to_str()) {
            Some("debug") => {}
            Some("release") => {
                c.arg("--release");
            }
            Some(profile) => {
                c.args(["--profile", profile]);
            }
            None => panic!("no profile directory in {}", out_dir.display()),
        }
        let status = c.status().expect("cargo runs");
        assert!(status.success(), "cargo build --package dos-hook failed");
        out_dir
            .join(format!("dos-hook{}", std::env::consts::EXE_SUFFIX))
            .display()
            .to_string()
    })
}

/// A binary that serves the hook verbs: `dos` (`dos hook VERB …`, and every
/// other command) or the standalone `dos-hook` (`dos-hook VERB …`, for
/// posttool, marker and pretool only).
#[derive(Clone, Debug)]
pub(crate) enum HookBin {
    /// The full `dos` binary at this path.
    Dos(String),
    /// A `dos-hook` binary at this path (dynamically or statically linked).
    Standalone(String),
}

/// The verbs `dos-hook` serves.
pub(crate) const STANDALONE_VERBS: &[&str] = &["posttool", "marker", "pretool"];

impl HookBin {
    /// The binaries `cargo test` built: `dos` and `dos-hook`.
    pub(crate) fn built() -> Vec<HookBin> {
        vec![
            HookBin::Dos(env!("CARGO_BIN_EXE_dos").to_string()),
            HookBin::Standalone(dos_hook_bin().to_string()),
        ]
    }

    /// The executable's path.
    pub(crate) fn path(&self) -> &str {
        match self {
            HookBin::Dos(p) | HookBin::Standalone(p) => p,
        }
    }

    /// The argv (after the program) for what is `dos ARGS…` on the full
    /// binary; `None` when this binary does not serve that command.
    pub(crate) fn argv<'a>(&self, dos_args: &[&'a str]) -> Option<Vec<&'a str>> {
        match self {
            HookBin::Dos(_) => Some(dos_args.to_vec()),
            HookBin::Standalone(_) => match dos_args {
                ["hook", verb, rest @ ..] if STANDALONE_VERBS.contains(verb) => {
                    Some(std::iter::once(*verb).chain(rest.iter().copied()).collect())
                }
                _ => None,
            },
        }
    }

    /// Run what is `dos ARGS…` on the full binary; `None` when not served.
    pub(crate) fn run(
        &self,
        cwd: &Path,
        dos_args: &[&str],
        env: &[(&str, &str)],
        stdin: &[u8],
    ) -> Option<Out> {
        Some(run(self.path(), cwd, &self.argv(dos_args)?, env, stdin))
    }
}
