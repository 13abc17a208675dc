//! The acts of `dos quickstart` after the caught-lie verdicts: each act runs
//! the real `dos` binary on the throwaway workspace with observation armed,
//! so the demo exercises the hooks, the verdict journal, the decisions queue
//! and the plugin host through real plugin files, exactly as an operator
//! would type the commands.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Why an act could not run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DemoError {
    /// The `dos` executable could not be found or started.
    #[error("cannot run {exe}: {source}")]
    Spawn {
        /// The executable.
        exe: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The local webhook listener could not be set up.
    #[error("cannot start the local webhook listener: {0}")]
    Listener(std::io::Error),
}

/// What one `dos` run printed.
pub(crate) struct Run {
    /// Exit code (-1 if killed).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `dos` subcommands in one workspace and prints them as a transcript.
pub(crate) struct Stage {
    exe: PathBuf,
    work: PathBuf,
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

impl Stage {
    /// A stage for `work`, running the current executable.
    pub(crate) fn new(work: &Path) -> Result<Stage, DemoError> {
        let exe = std::env::current_exe().map_err(|source| DemoError::Spawn {
            exe: PathBuf::from("dos"),
            source,
        })?;
        Ok(Stage {
            exe,
            work: work.to_path_buf(),
        })
    }

    /// Echo `dos ARGS` as the operator would type it.
    fn echo(args: &[&str], piped: bool) {
        let shown: Vec<String> = args
            .iter()
            .map(|a| {
                if a.contains(' ') || a.is_empty() {
                    format!("'{a}'")
                } else {
                    a.to_string()
                }
            })
            .collect();
        println!("$ {}dos {}", if piped { "… | " } else { "" }, shown.join(" "));
    }

    /// Run `dos ARGS` (with `stdin`), echo the command and its output.
    pub(crate) fn run(
        &self,
        args: &[&str],
        stdin: Option<&str>,
        show_stderr: bool,
    ) -> Result<Run, DemoError> {
        Stage::echo(args, stdin.is_some());
        let run = self.capture(args, stdin)?;
        print!("{}", indent(&run.stdout));
        if show_stderr {
            print!("{}", indent(&run.stderr));
        }
        println!("    (exit {})", run.code);
        Ok(run)
    }

    /// Run `dos ARGS` (with `stdin`) without printing anything.
    pub(crate) fn capture(&self, args: &[&str], stdin: Option<&str>) -> Result<Run, DemoError> {
        self.capture_with(&self.exe, args, stdin)
    }

    /// The standalone hook binary `dos-hook` when it sits beside `dos` (where
    /// `cargo build` puts it).
    pub(crate) fn hook_binary(&self) -> Option<PathBuf> {
        let name = format!("dos-hook{}", std::env::consts::EXE_SUFFIX);
        Some(self.exe.parent()?.join(name)).filter(|p| p.is_file())
    }

    /// Run `exe ARGS` (with `stdin`) in the demo workspace, printing nothing.
    pub(crate) fn capture_with(
        &self,
        exe: &Path,
        args: &[&str],
        stdin: Option<&str>,
    ) -> Result<Run, DemoError> {
        let mut child = Command::new(exe)
            .args(args)
            .current_dir(&self.work)
            .env("DISPATCH_WORKSPACE", &self.work)
            .env("DISPATCH_OBSERVE", "1")
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| DemoError::Spawn {
                exe: exe.to_path_buf(),
                source,
            })?;
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            let _ = pipe.write_all(text.as_bytes());
        }
        let out = child.wait_with_output().map_err(|source| DemoError::Spawn {
            exe: exe.to_path_buf(),
            source,
        })?;
        Ok(Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
}

/// The request a [`one_shot_listener`] received: its request line and body.
pub(crate) type Received = Option<(String, String)>;

/// A one-shot HTTP listener on 127.0.0.1 that answers 200 and hands back
/// the request it received (method + path line and body), or nothing when
/// no request came within 10 s (the notifier failed before connecting).
pub(crate) fn one_shot_listener() -> Result<(u16, std::thread::JoinHandle<Received>), DemoError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(DemoError::Listener)?;
    let port = listener.local_addr().map_err(DemoError::Listener)?.port();
    listener.set_nonblocking(true).map_err(DemoError::Listener)?;
    let handle = std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break stream,
                Err(_) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Err(_) => return None,
            }
        };
        stream.set_nonblocking(false).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        let mut reader = BufReader::new(stream.try_clone().ok()?);
        let mut request_line = String::new();
        reader.read_line(&mut request_line).ok()?;
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).ok()?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((k, v)) = header.split_once(':') {
                if k.trim().eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0u8; length.min(1 << 20)];
        reader.read_exact(&mut body).ok()?;
        let mut stream = stream;
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        Some((
            request_line.trim_end().to_string(),
            String::from_utf8_lossy(&body).into_owned(),
        ))
    });
    Ok((port, handle))
}

fn extract_context(stdout: &str) -> String {
    serde_json::from_str::<serde_json::Value>(stdout.trim())
        .ok()
        .and_then(|v| {
            v["hookSpecificOutput"]["additionalContext"]
                .as_str()
                .map(str::to_string)
        })
        .unwrap_or_default()
}

/// Act 3: `dos init --hooks claude-code .` wires the three hooks into
/// `.claude/settings.json` (the existing `dos.toml` is kept); shows what it wrote.
fn adopt(stage: &Stage, work: &Path) -> Result<bool, DemoError> {
    let init = stage.run(&["init", "--hooks", "claude-code", "."], None, true)?;
    let settings = std::fs::read_to_string(work.join(".claude").join("settings.json")).unwrap_or_default();
    let parsed: serde_json::Value = serde_json::from_str(&settings).unwrap_or_default();
    let mut wired = 0;
    for event in ["PreToolUse", "PostToolUse", "Stop"] {
        let command = parsed["hooks"][event][0]["hooks"][0]["command"]
            .as_str()
            .unwrap_or("");
        if !command.is_empty() {
            wired += 1;
        }
        println!("    .claude/settings.json  {event:<12} {command}");
    }
    Ok(init.code == 0 && wired == 3)
}

/// The acts after the caught-lie verdicts. Returns whether every act
/// produced the outcome it demonstrates.
pub(crate) fn run_acts(work: &Path) -> Result<bool, DemoError> {
    let stage = Stage::new(work)?;
    let mut ok = true;

    println!();
    println!("── Act 2 · the verdicts are recorded in the journal (DISPATCH_OBSERVE=1)");
    ok &= stage.run(&["verify", "AUTH", "AUTH1"], None, false)?.code == 0;
    ok &= stage.run(&["verify", "AUTH", "AUTH2"], None, false)?.code == 1;

    println!();
    println!("── Act 3 · adoption is one command: the hooks merged into Claude Code's settings");
    ok &= adopt(&stage, work)?;

    println!();
    println!("── Act 4 · the agent's tool stream stalls: the PostToolUse hook catches it live");
    let post = serde_json::json!({
        "session_id": "demo-session", "hook_event_name": "PostToolUse", "tool_name": "Bash",
        "tool_input": {"command": "cargo test"},
        "tool_response": {"stdout": "test result: FAILED. 0 passed; 1 failed", "stderr": "", "interrupted": false},
    })
    .to_string();
    Stage::echo(&["hook", "posttool"], true);
    let mut last = String::new();
    for call in 1..=5 {
        let r = stage.capture(&["hook", "posttool"], Some(&post))?;
        let verdict = ["STALLED", "REPEATING"]
            .into_iter()
            .find(|v| r.stdout.contains(&format!("tool_stream {v}")));
        println!(
            "    call {call}: {}",
            verdict.unwrap_or("(silent: new information)")
        );
        last = r.stdout;
    }
    ok &= last.contains("DOS tool_stream STALLED");
    println!(
        "    additionalContext: {}…",
        extract_context(&last).chars().take(150).collect::<String>()
    );
    if let Some(hook_bin) = stage.hook_binary() {
        println!("  the standalone hook binary continues the same session file:");
        println!("$ … | dos-hook posttool");
        let r = stage.capture_with(&hook_bin, &["posttool"], Some(&post))?;
        let stalled = r.stdout.contains("DOS tool_stream STALLED");
        ok &= stalled && extract_context(&r.stdout).contains("6 times");
        println!(
            "    call 6: {}",
            if stalled {
                "STALLED"
            } else {
                "(no verdict: unexpected)"
            }
        );
    }
    println!("  and the PreToolUse hook advises on a command that can run anything:");
    let pre = serde_json::json!({
        "session_id": "demo-session", "hook_event_name": "PreToolUse", "tool_name": "Bash",
        "tool_input": {"command": "python -c 'import os; os.system(\"rm -rf build\")'"},
    })
    .to_string();
    let advised = stage.run(&["hook", "pretool"], Some(&pre), false)?;
    ok &= advised.stdout.contains("exec-capability (advisory)");

    println!();
    println!("── Act 5 · the agent tries to stop claiming both phases; the stop hook asks git");
    let transcript = work.join(".dos").join("demo-transcript.jsonl");
    let claim = "All done.\nDOS-CLAIM: AUTH AUTH1\nDOS-CLAIM: AUTH AUTH2";
    let line = serde_json::json!({"type": "assistant", "message": {"role": "assistant", "content": [{"type": "text", "text": claim}]}});
    if let Some(parent) = transcript.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let _ = std::fs::write(&transcript, format!("{line}\n"));
    let event = serde_json::json!({
        "session_id": "demo-session", "hook_event_name": "Stop", "stop_hook_active": false,
        "cwd": work.display().to_string(), "transcript_path": transcript.display().to_string(),
    });
    let stop = stage.run(&["hook", "stop"], Some(&event.to_string()), false)?;
    ok &= stop.stdout.contains("\"decision\": \"block\"");

    println!();
    println!("── Act 6 · an agent loop halts on a spinning lane; the decisions queue and the");
    println!("   decision-class stop policy (a plugin) act on it");
    stage.run(
        &[
            "halt",
            "--handle",
            "pid:4242",
            "--lane",
            "api",
            "--reason",
            "spinning on the same failing test",
        ],
        None,
        false,
    )?;
    stage.run(&["decisions", "--all"], None, false)?;
    let scout = stage.run(
        &[
            "scout",
            "--stop-policy",
            "decision-class",
            "--state-json",
            r#"{"scope": "api"}"#,
        ],
        None,
        false,
    )?;
    ok &= scout.stdout.contains("stop_on_liveness");

    println!();
    println!("── Act 7 · the digest goes out through the webhook plugin to a local listener");
    let (port, listener) = one_shot_listener()?;
    let url = format!("http://127.0.0.1:{port}/dos-hook");
    let sent = stage.run(
        &["notify", "decisions", "--all", "--to", "webhook", "--url", &url],
        None,
        false,
    )?;
    ok &= sent.code == 0;
    // A notifier that failed never connects: do not wait for it.
    let received = if sent.code == 0 {
        listener.join().ok().flatten()
    } else {
        None
    };
    match received {
        Some((request, body)) => {
            println!("    listener received: {request}");
            println!("    body: {}", body.chars().take(160).collect::<String>());
        }
        None => {
            println!("    listener received nothing");
            ok = false;
        }
    }

    println!();
    println!("── Act 8 · the journal, folded; then exported through the file plugin, resumably");
    stage.run(&["observe"], None, false)?;
    let first = stage.run(
        &[
            "export",
            "--to",
            "file",
            "--path",
            "verdicts.jsonl",
            "--since",
            "auto",
        ],
        None,
        false,
    )?;
    ok &= first.code == 0 && first.stdout.contains("(persisted)");
    let exported = std::fs::read_to_string(work.join("verdicts.jsonl")).unwrap_or_default();
    println!(
        "    verdicts.jsonl ({} line(s)), first line:",
        exported.lines().count()
    );
    println!("    {}", exported.lines().next().unwrap_or(""));
    let again = stage.run(
        &[
            "export",
            "--to",
            "file",
            "--path",
            "verdicts.jsonl",
            "--since",
            "auto",
        ],
        None,
        false,
    )?;
    ok &= again.stdout.contains("0 event(s) pending");

    println!();
    println!("── Act 9 · the plugins that served this demo");
    stage.run(&["plugins"], None, true)?;
    Ok(ok)
}
