//! `dos notify` end to end over real HTTP: the real binary, the real webhook
//! and slack plugin libraries (built by cargo), and a recording server on
//! 127.0.0.1 that checks method, path, headers and body.

use crate::support::notify_support;

use dos_py::dumps::{dumps, Style};
use notify_support::{build_plugins, dos, refused_url, workspace, Reply, Server};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The reference's recorded body for the empty queue (spec §2.10, 347 bytes).
const EMPTY_BODY: &str = r##"{"severity": "INFO", "title": "fleet clear \u2014 no pending decisions", "summary": "# operator decisions\n  (none pending - nothing is waiting on you)", "fields": [], "key": "dos-decisions", "source": "decisions", "text": "\u00b7 [INFO] fleet clear \u2014 no pending decisions\n# operator decisions\n  (none pending - nothing is waiting on you)"}"##;

fn mixed_workspace() -> (tempfile::TempDir, PathBuf) {
    let (tmp, root) = workspace(&[]);
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/decisions/mixed/ws"),
        &root,
    );
    (tmp, root)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn webhook_posts_the_reference_body_and_headers() {
    build_plugins();
    let (_t, root) = workspace(&[]);
    let server = Server::start(vec![Reply::new(200, "OK", "ok")]);
    let url = format!("{}/hooks/dos", server.base);
    let run = dos(
        &root,
        &["notify", "decisions", "--notifier", "webhook", "--url", &url],
        &[],
    );
    let reqs = server.finish();
    assert_eq!(
        run.stdout,
        format!("· [INFO] fleet clear — no pending decisions\n  → review the decisions queue: dos decisions --workspace {}\n  → sent via webhook: posted HTTP 200\n", root.display())
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!((r.method.as_str(), r.target.as_str()), ("POST", "/hooks/dos"));
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(r.header("User-Agent"), Some("dos-notify/webhook"));
    assert_eq!(r.header("Authorization"), None);
    // 0.30: the body carries `action` and the text ends with the open line.
    let command = format!("dos decisions --workspace {}", root.display());
    let mut body: serde_json::Map<String, Value> = serde_json::from_str(EMPTY_BODY).unwrap();
    let text = format!("{}\n⟶ open: {command}", body["text"].as_str().unwrap());
    body.remove("text");
    body.insert(
        "action".into(),
        serde_json::json!({"label": "review the decisions queue", "command": command, "url": ""}),
    );
    body.insert("text".into(), Value::from(text));
    let want = dumps(&Value::Object(body), Style::DEFAULT);
    assert_eq!(r.header("Content-Length"), Some(want.len().to_string().as_str()));
    assert_eq!(r.body, want);
}

#[test]
fn webhook_token_query_and_body_match_the_notification() {
    build_plugins();
    let (_t, root) = mixed_workspace();
    let dry = dos(
        &root,
        &["notify", "decisions", "--all", "--top", "2", "--json"],
        &[],
    );
    let note = json(&dry.stdout)["notification"].clone();
    let server = Server::start(vec![Reply::new(200, "OK", "")]);
    let url = format!("{}/hooks/dos?x=1", server.base);
    let run = dos(
        &root,
        &[
            "notify",
            "decisions",
            "--all",
            "--top",
            "2",
            "--notifier",
            "webhook",
            "--url",
            &url,
            "--token",
            "T0K",
        ],
        &[],
    );
    let reqs = server.finish();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.starts_with("■ [URGENT] 15 decisions need you\n    LIVENESS @ main: run spinning 40m, no commits  ⟶ stop: kill -TERM 4242\n"), "{}", run.stdout);
    assert!(run.stdout.ends_with("  → sent via webhook: posted HTTP 200\n"));
    let r = &reqs[0];
    assert_eq!(r.target, "/hooks/dos?x=1");
    assert_eq!(r.header("Authorization"), Some("Bearer T0K"));
    let mut expected = note.as_object().unwrap().clone();
    let summary = expected["summary"].as_str().unwrap().to_string();
    let title = expected["title"].as_str().unwrap().to_string();
    let open = expected["action"]["command"].as_str().unwrap().to_string();
    expected.insert(
        "text".into(),
        Value::from(format!("■ [URGENT] {title}\n{summary}\n⟶ open: {open}")),
    );
    assert_eq!(r.body, dumps(&Value::Object(expected), Style::DEFAULT));
    assert!(!run.stdout.contains("T0K") && !run.stderr.contains("T0K"));
}

#[test]
fn webhook_failures_exit_nonzero_in_text_and_json() {
    build_plugins();
    let (_t, root) = workspace(&[("dos.toml", "[notifiers.webhook]\ntimeout = 0.5\n")]);
    let server = Server::start(vec![
        Reply::new(500, "Internal Server Error", "boom"),
        Reply::new(404, "Not Found", ""),
        Reply::new(429, "Too Many Requests", "").header("Retry-After", "7"),
        Reply::new(204, "No Content", ""),
        Reply::new(200, "OK", "").delayed(Duration::from_millis(2000)),
    ]);
    let base = server.base.clone();
    let send = |path: &str, json: bool| {
        let url = format!("{base}{path}");
        let mut args = vec![
            "notify",
            "decisions",
            "--top",
            "0",
            "--notifier",
            "webhook",
            "--url",
            url.as_str(),
        ];
        if json {
            args.push("--json");
        }
        dos(&root, &args, &[])
    };
    let r500 = send("/status/500", false);
    assert_eq!(
        (r500.stdout.lines().last(), r500.code),
        (
            Some("  → NOT sent via webhook: HTTP 500: Internal Server Error"),
            1
        )
    );
    let r404 = send("/status/404", true);
    assert_eq!(
        json(&r404.stdout)["result"],
        json(r#"{"delivered": false, "detail": "HTTP 404: Not Found", "ref": ""}"#)
    );
    assert_eq!(
        r404.code, 1,
        "--json reports a failed delivery through the exit code"
    );
    let r429 = send("/status/429", false);
    assert_eq!(
        (r429.stdout.lines().last(), r429.code),
        (Some("  → NOT sent via webhook: HTTP 429: Too Many Requests"), 1)
    );
    let r204 = send("/status/204", true);
    assert_eq!(
        json(&r204.stdout)["result"],
        json(r#"{"delivered": true, "detail": "posted HTTP 204", "ref": "204"}"#)
    );
    assert_eq!(r204.code, 0);
    let slow = send("/slow", false);
    assert_eq!(
        (slow.stdout.lines().last(), slow.code),
        (Some("  → NOT sent via webhook: error: timed out"), 1)
    );
    assert_eq!(server.finish().len(), 5);

    let refused = dos(
        &root,
        &[
            "notify",
            "decisions",
            "--notifier",
            "webhook",
            "--url",
            &refused_url(),
        ],
        &[],
    );
    let last = refused.stdout.lines().last().unwrap_or("").to_string();
    assert!(
        last.starts_with("  → NOT sent via webhook: error: ") && last.to_lowercase().contains("refused"),
        "{last}"
    );
    assert_eq!(refused.code, 1);
}

#[test]
fn webhook_settings_ladder_and_dry_run() {
    build_plugins();
    let (_t, root) = workspace(&[]);
    let none = dos(&root, &["notify", "decisions", "--notifier", "webhook"], &[]);
    assert_eq!(
        (none.stdout.lines().last(), none.code),
        (Some("  → NOT sent via webhook: no webhook URL (pass --url, set $DOS_WEBHOOK_URL, or add DOS_WEBHOOK_URL to the workspace .env)"), 1)
    );
    let none_dry = dos(
        &root,
        &["notify", "decisions", "--notifier", "webhook", "--dry-run"],
        &[],
    );
    assert_eq!(none_dry.code, 0);

    let server = Server::start(vec![
        Reply::new(200, "OK", ""),
        Reply::new(200, "OK", ""),
        Reply::new(200, "OK", ""),
        Reply::new(200, "OK", ""),
    ]);
    let b = server.base.clone();
    std::fs::write(
        root.join(".env"),
        format!("# comment\nDOS_WEBHOOK_URL = \"{b}/from-dotenv\"\nDOS_WEBHOOK_TOKEN='dotenv-tok'\n"),
    )
    .unwrap();
    let dry = dos(
        &root,
        &["notify", "decisions", "--notifier", "webhook", "--dry-run"],
        &[],
    );
    assert_eq!(
        dry.stdout.lines().last(),
        Some(format!("  → NOT sent via webhook: [dry-run] would POST to {b}/from-dotenv (INFO: fleet clear — no pending decisions)").as_str())
    );
    assert_eq!(dry.code, 0);
    let r1 = dos(&root, &["notify", "decisions", "--notifier", "webhook"], &[]);
    let from_env = format!("{b}/from-env");
    let r2 = dos(
        &root,
        &["notify", "decisions", "--notifier", "webhook"],
        &[("DOS_WEBHOOK_URL", &from_env)],
    );
    let from_flag = format!("{b}/from-flag");
    let r3 = dos(
        &root,
        &[
            "notify",
            "decisions",
            "--notifier",
            "webhook",
            "--url",
            &from_flag,
        ],
        &[("DOS_WEBHOOK_TOKEN", "env-tok"), ("DOS_WEBHOOK_URL", "")],
    );
    std::fs::write(
        root.join("dos.toml"),
        format!("[notifiers.webhook]\nurl = \"{b}/from-toml\"\n"),
    )
    .unwrap();
    let r4 = dos(&root, &["notify", "decisions", "--notifier", "webhook"], &[]);
    for r in [&r1, &r2, &r3, &r4] {
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    }
    let reqs = server.finish();
    let seen: Vec<(&str, Option<&str>)> = reqs
        .iter()
        .map(|r| (r.target.as_str(), r.header("Authorization")))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("/from-dotenv", Some("Bearer dotenv-tok")),
            ("/from-env", Some("Bearer dotenv-tok")),
            ("/from-flag", Some("Bearer env-tok")),
            ("/from-toml", Some("Bearer dotenv-tok")),
        ]
    );
}

#[test]
fn unknown_notifier_lists_the_known_names() {
    build_plugins();
    let (_t, root) = workspace(&[]);
    let run = dos(&root, &["notify", "decisions", "--notifier", "bogus"], &[]);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: unknown notifier 'bogus'; known: null, slack, webhook\n"
    );
    assert_eq!(run.code, 2);
    let run = dos(&root, &["notify", "top", "--to", "bogus", "--json"], &[]);
    assert_eq!(run.code, 2);
}

const TOKEN: &str = "xoxb-test-secret-123";

#[test]
fn slack_posts_block_kit_digest() {
    build_plugins();
    let (_t, root) = mixed_workspace();
    let server = Server::start(vec![Reply::json(
        r#"{"ok": true, "channel": "C0ABC", "ts": "1700000000.000101"}"#,
    )]);
    let env = [
        ("DOS_SLACK_API_BASE", server.base.as_str()),
        ("SLACK_BOT_TOKEN", TOKEN),
    ];
    let run = dos(
        &root,
        &[
            "notify",
            "decisions",
            "--notifier",
            "slack",
            "--channel",
            "C0ABC",
            "--top",
            "2",
        ],
        &env,
    );
    let reqs = server.finish();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout.lines().last(),
        Some("  → sent via slack: posted ts=1700000000.000101")
    );
    let r = &reqs[0];
    assert_eq!(
        (r.method.as_str(), r.target.as_str()),
        ("POST", "/chat.postMessage")
    );
    assert_eq!(
        r.header("Authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(r
        .header("Content-Type")
        .unwrap_or("")
        .starts_with("application/json"));
    let body = json(&r.body);
    assert_eq!(body["channel"], "C0ABC");
    assert_eq!(body["text"], "10 decisions need you");
    let blocks = body["blocks"].as_array().unwrap();
    assert_eq!(
        blocks[0]["text"]["text"],
        ":large_yellow_circle: 10 decisions need you"
    );
    assert_eq!(blocks[1]["fields"].as_array().unwrap().len(), 2);
    assert!(blocks[2]["text"]["text"]
        .as_str()
        .unwrap()
        .starts_with("```\n# operator decisions\n"));
    assert_eq!(
        blocks[3]["elements"][0]["text"],
        format!(
            "dos notify · source=`decisions` · severity=`WARN` · open: `dos decisions --workspace {}`",
            root.display()
        )
    );
    assert!(!run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN));
}

#[test]
fn slack_top_posts_then_edits_in_a_second_run() {
    build_plugins();
    let (_t, root) = workspace(&[]);
    let server = Server::start(vec![
        Reply::json(r#"{"ok": true, "ts": "1700000000.000102"}"#),
        Reply::json(r#"{"ok": true, "ts": "1700000000.000102"}"#),
    ]);
    let env = [
        ("DOS_SLACK_API_BASE", server.base.as_str()),
        ("SLACK_BOT_TOKEN", TOKEN),
    ];
    let args = ["notify", "top", "--notifier", "slack", "--channel", "C0ABC"];
    let first = dos(&root, &args, &env);
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    // The screen text carries the clock (seconds): make sure the second run differs.
    std::thread::sleep(Duration::from_millis(1100));
    let second = dos(&root, &args, &env);
    assert_eq!(second.code, 0, "{}{}", second.stdout, second.stderr);
    let reqs = server.finish();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].target, "/chat.postMessage");
    assert_eq!(reqs[1].target, "/chat.update");
    let post = json(&reqs[0].body);
    let update = json(&reqs[1].body);
    assert_eq!(post["channel"], "C0ABC");
    assert!(post.get("blocks").is_none());
    let text = post["text"].as_str().unwrap();
    assert!(
        text.starts_with("fleet: 0 advancing · 0 spinning · 0 stalled · 2 free\n┌─ dos top · "),
        "{text}"
    );
    assert_eq!(update["channel"], "C0ABC");
    assert_eq!(update["ts"], "1700000000.000102");
    assert_ne!(update["text"], post["text"]);
    assert_eq!(second.stdout.lines().last(), Some("  → sent via slack: edited"));
}

#[test]
fn slack_failures_are_clear_and_never_leak_the_token() {
    build_plugins();
    let (_t, root) = workspace(&[]);
    let server = Server::start(vec![
        Reply::json(r#"{"ok": false, "error": "channel_not_found"}"#),
        Reply::new(
            429,
            "Too Many Requests",
            r#"{"ok": false, "error": "ratelimited"}"#,
        )
        .header("Retry-After", "30"),
        Reply::new(500, "Internal Server Error", "oops"),
    ]);
    let base = server.base.clone();
    let env = [("DOS_SLACK_API_BASE", base.as_str()), ("SLACK_BOT_TOKEN", TOKEN)];
    let args = ["notify", "decisions", "--notifier", "slack", "--channel", "C0ABC"];
    let runs: Vec<_> = (0..3).map(|_| dos(&root, &args, &env)).collect();
    assert_eq!(server.finish().len(), 3);
    let lasts: Vec<String> = runs
        .iter()
        .map(|r| r.stdout.lines().last().unwrap_or("").to_string())
        .collect();
    assert!(
        lasts[0].starts_with("  → NOT sent via slack: error: ") && lasts[0].contains("channel_not_found"),
        "{}",
        lasts[0]
    );
    assert!(
        lasts[1].contains("429") && lasts[1].contains("30"),
        "{}",
        lasts[1]
    );
    assert!(lasts[2].contains("500"), "{}", lasts[2]);
    for r in &runs {
        assert_eq!(r.code, 1);
        assert!(!r.stdout.contains(TOKEN) && !r.stderr.contains(TOKEN));
    }

    let no_channel = dos(&root, &["notify", "decisions", "--notifier", "slack"], &env);
    assert_eq!(
        (no_channel.stdout.lines().last(), no_channel.code),
        (
            Some(
                "  → NOT sent via slack: no channel (got ''; name not in slack_config.json or not a raw id)"
            ),
            1
        )
    );
    let no_token = dos(
        &root,
        &[
            "notify",
            "decisions",
            "--notifier",
            "slack",
            "--channel",
            "C0AJ37QHMFB",
        ],
        &[],
    );
    assert_eq!(
        (no_token.stdout.lines().last(), no_token.code),
        (
            Some("  → NOT sent via slack: no SLACK_BOT_TOKEN (set it in env or the workspace .env)"),
            1
        )
    );
    let dry = dos(
        &root,
        &[
            "notify",
            "top",
            "--notifier",
            "slack",
            "--channel",
            "C0AJ37QHMFB",
            "--dry-run",
        ],
        &[],
    );
    assert_eq!(
        (dry.stdout.lines().last(), dry.code),
        (Some("  → NOT sent via slack: [dry-run] would edit-in-place to C0AJ37QHMFB (INFO: fleet: 0 advancing · 0 spinning · 0 stalled · 2 free)"), 0)
    );
    let refused = dos(
        &root,
        &args,
        &[
            ("DOS_SLACK_API_BASE", refused_url().as_str()),
            ("SLACK_BOT_TOKEN", TOKEN),
        ],
    );
    assert_eq!(refused.code, 1);
    assert!(refused
        .stdout
        .lines()
        .last()
        .unwrap_or("")
        .starts_with("  → NOT sent via slack: error: "));
}
