//! Reference parity for the prompt and the reply grammar, a fake provider
//! command, and a real local HTTP server (127.0.0.1 only, bounded).

use super::*;
use dos_plugin_api::test_support::{Reply, Server};
use dos_plugin_api::Stance;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Instant;

fn claim(text: &str, reason: &str, evidence: &[&str]) -> Claim {
    Claim {
        claim_text: text.to_string(),
        stated_reason: reason.to_string(),
        evidence: evidence.iter().map(|s| s.to_string()).collect(),
        subject: String::new(),
    }
}

fn cfg(v: Value) -> DriverConfig {
    match v {
        Value::Object(m) => DriverConfig(m),
        _ => DriverConfig::default(),
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dos-judge-llm-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A fake provider: an executable script in a temp dir.
fn script(name: &str, body: &str) -> (PathBuf, String) {
    let dir = temp_dir(name);
    let path = dir.join("judge.sh");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&path, perms).unwrap();
    // Run it through `sh` rather than exec'ing it: exec'ing a file that a
    // concurrently forked test process may still hold open for writing fails
    // with ETXTBSY.
    let cmd = format!("sh '{}'", path.display());
    (dir, cmd)
}

fn command_judge(cmd: &str, timeout: Duration) -> LlmJudge {
    LlmJudge::with_provider(Provider::Command {
        command: Some(cmd.to_string()),
        timeout,
    })
}

// ---------------------------------------------------------------- pure parts

const HEADER: &str = "You are a strict adjudicator for an autonomous-agent substrate. An agent asserted a claim and gave a justification (its NARRATION), and the system gathered some forgery-resistant EVIDENCE (git lines, file state). The deterministic oracle could not settle this claim, so it falls to you. Decide whether the claim is BELIEVABLE GIVEN THE EVIDENCE \u{2014} not given the narration, which you should distrust. Default to skepticism: if the evidence does not support the claim, answer 'disagree'; if you genuinely cannot tell from the evidence, answer 'abstain' (do NOT guess 'agree'). Answer in two lines:\nVERDICT: <agree|disagree|abstain>\nWHY: <one sentence>\n\n";

#[test]
fn prompt_is_the_reference_prompt_byte_for_byte() {
    let table: &[(Claim, String)] = &[
        (
            claim(
                "phase AUTH2 shipped",
                "I merged it",
                &["abc123 feat: phase AUTH2 shipped", "file src/auth2.py exists"],
            ),
            format!("{HEADER}CLAIM: phase AUTH2 shipped\nAGENT NARRATION: I merged it\nEVIDENCE:\n  - abc123 feat: phase AUTH2 shipped\n  - file src/auth2.py exists\n"),
        ),
        (
            claim("x", "", &[]),
            format!("{HEADER}CLAIM: x\nAGENT NARRATION: (none given)\nEVIDENCE:\n  (none provided)\n"),
        ),
        (
            claim("{braces} ", " ", &[""]),
            format!("{HEADER}CLAIM: {{braces}} \nAGENT NARRATION:  \nEVIDENCE:\n  - \n"),
        ),
    ];
    for (c, want) in table {
        assert_eq!(build_claim_prompt(c), *want);
    }
}

#[test]
fn reply_parsing_matches_the_reference() {
    let golden = include_str!("../tests/fixtures/parse_golden.jsonl");
    let mut n = 0;
    for line in golden.lines().filter(|l| !l.trim().is_empty()) {
        let pair: Value = serde_json::from_str(line).unwrap();
        let reply = pair[0].as_str().unwrap();
        let want: JudgeVerdict = serde_json::from_value(pair[1].clone()).unwrap();
        assert_eq!(verdict_for_reply(reply, 0.0), want, "{reply:?}");
        n += 1;
    }
    assert_eq!(n, 15);
}

#[test]
fn splitlines_like_python() {
    let table: &[(&str, &[&str])] = &[
        ("", &[]),
        ("a", &["a"]),
        ("a\n", &["a"]),
        ("a\n\nb", &["a", "", "b"]),
        ("a\r\nb\rc", &["a", "b", "c"]),
        ("a\r\r\nb", &["a", "", "b"]),
        (
            "a\u{b}b\u{c}c\u{1c}d\u{1d}e\u{1e}f\u{85}g\u{2028}h\u{2029}i",
            &["a", "b", "c", "d", "e", "f", "g", "h", "i"],
        ),
        ("a\u{1f}b", &["a\u{1f}b"]),
    ];
    for (s, want) in table {
        assert_eq!(py_splitlines(s), *want, "{s:?}");
    }
}

#[test]
fn the_cost_rides_on_every_parsed_verdict() {
    assert_eq!(verdict_for_reply("VERDICT: agree", 12.0).cost, 12.0);
    assert_eq!(verdict_for_reply("nothing", 3.0).cost, 3.0);
}

proptest! {
    #[test]
    fn parsing_never_agrees_without_an_agree_verdict_line(reply in "\\PC{0,200}") {
        let v = verdict_for_reply(&reply, 0.0);
        if v.stance == Stance::Agree {
            let has = py_splitlines(&reply).iter().any(|l| {
                let low = py_strip(l).to_lowercase();
                low.starts_with("verdict:") && low.contains("agree")
            });
            prop_assert!(has);
        }
        prop_assert!(v.evidence[0].starts_with("llm: "));
    }
}

// ------------------------------------------------------------ configuration

#[test]
fn provider_selection() {
    let t = Duration::from_secs(120);
    match Provider::from_config(&cfg(json!({"command": "echo hi"}))).unwrap() {
        Provider::Command { command, timeout } => {
            assert_eq!(command.as_deref(), Some("echo hi"));
            assert_eq!(timeout, t);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Provider::from_config(&cfg(json!({}))).unwrap(),
        Provider::Command { .. }
    ));
    let http = Provider::from_config(&cfg(
        json!({"endpoint": "http://127.0.0.1:9/v1/chat/completions", "model": "m", "timeout_s": "2.5"}),
    ))
    .unwrap();
    match http {
        Provider::Http(p) => {
            assert_eq!(p.endpoint, "http://127.0.0.1:9/v1/chat/completions");
            assert_eq!(p.model.as_deref(), Some("m"));
            assert_eq!(p.timeout, Duration::from_millis(2500));
        }
        other => panic!("{other:?}"),
    }
    let forced = Provider::from_config(&cfg(
        json!({"provider": " Command ", "endpoint": "http://x", "command": "c"}),
    ))
    .unwrap();
    assert!(matches!(forced, Provider::Command { .. }));
    let errors: &[(Value, &str)] = &[
        (json!({"provider": "http"}), "llm judge: provider 'http' needs an `endpoint` (the chat-completions URL)"),
        (json!({"provider": "grpc"}), "llm judge: unknown provider 'grpc' (expected 'command' or 'http')"),
        (
            json!({"endpoint": "http://x", "api_key_env": "DOS_TEST_SURELY_UNSET_KEY_9F3A", "root": "/nonexistent-dos-root"}),
            "llm judge: api_key_env names $DOS_TEST_SURELY_UNSET_KEY_9F3A, which is not set (environment or workspace .env)",
        ),
        (json!({"endpoint": 8765}), "endpoint: expected a string, found integer 8765"),
        (json!({"command": ["echo", "hi"]}), "command: expected a string, found array"),
        (json!({"timeout_s": "later"}), "timeout_s: expected a number, found string \"later\""),
    ];
    for (v, want) in errors {
        assert_eq!(
            Provider::from_config(&cfg(v.clone())).unwrap_err().0,
            *want,
            "{v}"
        );
    }
}

#[test]
fn timeouts_fall_back_to_120_s() {
    for raw in [
        None,
        Some(0.0),
        Some(-1.0),
        Some(f64::NAN),
        Some(f64::INFINITY),
        Some(1e300),
    ] {
        assert_eq!(timeout_from(raw), Duration::from_secs(120), "{raw:?}");
    }
    assert_eq!(timeout_from(Some(0.25)), Duration::from_millis(250));
}

#[test]
fn the_api_key_comes_from_the_workspace_env_file() {
    let root = temp_dir("dotenv");
    std::fs::write(root.join(".env"), "DOS_TEST_LLM_KEY_FROM_DOTENV=\"sk-dotenv\"\n").unwrap();
    let p = Provider::from_config(&cfg(json!({
        "endpoint": "http://x", "api_key_env": "DOS_TEST_LLM_KEY_FROM_DOTENV", "root": root.display().to_string()
    })))
    .unwrap();
    match p {
        Provider::Http(h) => assert_eq!(h.api_key.as_deref(), Some("sk-dotenv")),
        other => panic!("{other:?}"),
    }
    let _ = std::fs::remove_dir_all(&root);
}

// ---------------------------------------------------------- command provider

#[test]
fn no_command_abstains_with_the_reference_text() {
    let mut j = LlmJudge::with_provider(Provider::Command {
        command: None,
        timeout: Duration::from_secs(1),
    });
    let v = j.rule(&claim("x", "", &[])).unwrap();
    assert_eq!(v, JudgeVerdict::abstain(NO_PROVIDER_WHY, vec![], 0.0));
}

#[test]
fn a_fake_judge_command_rules_and_sees_the_prompt_on_stdin() {
    let (dir, cmd) = script(
        "agree",
        "cat > \"$(dirname \"$0\")/prompt.txt\"\nprintf 'Some preamble\\nverdict: AGREE\\nwhy: evidence shows it\\n\\n'",
    );
    let c = claim(
        "phase AUTH2 shipped",
        "I merged it",
        &["abc123 feat: phase AUTH2 shipped"],
    );
    let v = command_judge(&cmd, Duration::from_secs(20)).rule(&c).unwrap();
    assert_eq!(
        v,
        JudgeVerdict::agree(
            "evidence shows it",
            vec!["llm: Some preamble\nverdict: AGREE\nwhy: evidence shows it".into()],
            0.0
        )
    );
    let seen = std::fs::read_to_string(dir.join("prompt.txt")).unwrap();
    assert_eq!(seen, build_claim_prompt(&c));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_reply_without_a_verdict_line_abstains() {
    let (dir, cmd) = script("loose", "printf 'agree\\nbecause it looks fine\\n'");
    let v = command_judge(&cmd, Duration::from_secs(20))
        .rule(&claim("x", "", &["e"]))
        .unwrap();
    assert_eq!(
        v,
        JudgeVerdict::abstain(
            UNPARSEABLE_WHY,
            vec!["llm: agree\nbecause it looks fine".into()],
            0.0
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn command_failures_are_the_no_provider_abstain() {
    let table: &[(&str, &str, &str)] = &[
        (
            "exit3",
            "echo 'VERDICT: agree'; exit 3",
            "llm provider: command failed (exit status: 3)",
        ),
        (
            "stderr",
            "echo nope >&2; exit 1",
            "llm provider: command failed (exit status: 1): nope",
        ),
        ("empty", "printf '  \\n'", "llm provider: command printed nothing"),
    ];
    for (name, body, detail) in table {
        let (dir, cmd) = script(name, body);
        let v = command_judge(&cmd, Duration::from_secs(20))
            .rule(&claim("x", "", &[]))
            .unwrap();
        assert_eq!(
            v,
            JudgeVerdict::abstain(NO_PROVIDER_WHY, vec![detail.to_string()], 0.0),
            "{name}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
    let v = command_judge("/nonexistent/dos-judge", Duration::from_secs(20))
        .rule(&claim("x", "", &[]))
        .unwrap();
    assert_eq!(v.stance, Stance::Abstain);
    assert_eq!(v.why, NO_PROVIDER_WHY);
}

#[test]
fn a_command_that_outlives_its_timeout_is_killed_and_abstains() {
    let (dir, cmd) = script("slow", "sleep 5\necho 'VERDICT: agree'");
    let start = Instant::now();
    let v = command_judge(&cmd, Duration::from_millis(300))
        .rule(&claim("x", "", &[]))
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(3), "{:?}", start.elapsed());
    assert_eq!(
        v,
        JudgeVerdict::abstain(
            NO_PROVIDER_WHY,
            vec!["llm provider: command timed out after 0.3 s and was killed".into()],
            0.0
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// ------------------------------------------------------------- HTTP provider

/// Serve `replies` (status, body), one connection each, on 127.0.0.1 with the
/// SDK's recording server; returns the chat-completions URL and the server.
fn serve(replies: Vec<(u16, String)>) -> (String, Server) {
    let replies = replies
        .into_iter()
        .map(|(status, body)| Reply::new(status, "X", &body).header("Content-Type", "application/json"))
        .collect();
    let server = Server::start(replies);
    (format!("{}/v1/chat/completions", server.base), server)
}

fn http_judge(url: &str, key: Option<&str>, timeout: Duration) -> LlmJudge {
    LlmJudge::with_provider(Provider::Http(http::HttpProvider {
        endpoint: url.to_string(),
        model: Some("judge-mini".into()),
        api_key: key.map(str::to_string),
        timeout,
    }))
}

#[test]
fn http_provider_rules_and_costs_tokens() {
    let reply = json!({
        "id": "x", "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "VERDICT: disagree\nWHY: the evidence names staging, not prod\n"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 210, "completion_tokens": 14, "total_tokens": 224}
    });
    let (url, server) = serve(vec![(200, reply.to_string())]);
    let c = claim(
        "migration 0042 applied to prod",
        "ran it",
        &["migration 0042 applied to staging"],
    );
    let v = http_judge(&url, Some("sk-test"), Duration::from_secs(10))
        .rule(&c)
        .unwrap();
    assert_eq!(
        v,
        JudgeVerdict::disagree(
            "the evidence names staging, not prod",
            vec!["llm: VERDICT: disagree\nWHY: the evidence names staging, not prod".into()],
            224.0
        )
    );
    let seen = server.join().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].request_line, "POST /v1/chat/completions HTTP/1.1");
    let header = |name: &str| {
        seen[0]
            .headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("authorization"), Some("Bearer sk-test"));
    assert_eq!(header("content-type"), Some("application/json"));
    let body: Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(
        body,
        json!({"model": "judge-mini", "messages": [{"role": "user", "content": build_claim_prompt(&c)}]})
    );
}

#[test]
fn http_without_a_key_sends_no_authorization_and_reads_missing_usage_as_zero() {
    let reply = json!({"choices": [{"message": {"content": "I cannot say"}}]});
    let (url, server) = serve(vec![(200, reply.to_string())]);
    let v = http_judge(&url, None, Duration::from_secs(10))
        .rule(&claim("x", "", &[]))
        .unwrap();
    assert_eq!(
        v,
        JudgeVerdict::abstain(UNPARSEABLE_WHY, vec!["llm: I cannot say".into()], 0.0)
    );
    let seen = server.join().unwrap();
    assert!(!seen[0].headers.iter().any(|(k, _)| k == "authorization"));
}

#[test]
fn http_failures_are_errors_naming_the_cause() {
    let (url, server) = serve(vec![
        (500, r#"{"error": {"message": "overloaded"}}"#.to_string()),
        (200, "<html>not json</html>".to_string()),
        (200, r#"{"error": {"message": "bad model"}}"#.to_string()),
    ]);
    let mut j = http_judge(&url, None, Duration::from_secs(10));
    let c = claim("x", "", &[]);
    let e1 = j.rule(&c).unwrap_err().0;
    assert_eq!(
        e1,
        format!("llm judge: {url} answered HTTP 500: {{\"error\": {{\"message\": \"overloaded\"}}}}")
    );
    let e2 = j.rule(&c).unwrap_err().0;
    assert!(
        e2.starts_with(&format!(
            "llm judge: {url} answered with a body that is not JSON ("
        )),
        "{e2}"
    );
    let e3 = j.rule(&c).unwrap_err().0;
    assert_eq!(
        e3,
        format!("llm judge: {url} answered, but the endpoint returned an error: bad model")
    );
    assert_eq!(server.join().unwrap().len(), 3);
}

#[test]
fn http_connection_refused_is_an_error() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/v1/chat/completions");
    let e = http_judge(&url, None, Duration::from_secs(5))
        .rule(&claim("x", "", &[]))
        .unwrap_err();
    assert!(e.0.starts_with(&format!("llm judge: {url} failed: ")), "{e}");
}

#[test]
fn http_timeout_is_an_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1/chat/completions", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        // Accept, then say nothing for longer than the client waits.
        let conn = listener.accept();
        std::thread::sleep(Duration::from_millis(1500));
        drop(conn);
    });
    let start = Instant::now();
    let e = http_judge(&url, None, Duration::from_millis(300))
        .rule(&claim("x", "", &[]))
        .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_millis(1400),
        "{:?}",
        start.elapsed()
    );
    assert!(e.0.contains("timeout"), "{e}");
    server.join().unwrap();
}
