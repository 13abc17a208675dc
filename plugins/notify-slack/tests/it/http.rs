//! The slack notifier against a real recording HTTP server standing in for
//! the Web API.

use dos_plugin_api::test_support as support;

use dos_notify_slack::refs::{LiveRef, RefStore};
use dos_notify_slack::{build_blocks, SlackNotifier, NO_TOKEN_DETAIL};
use dos_plugin_api::pyjson::{self, Style};
use dos_plugin_api::{DriverConfig, Notification, Notifier, NotifyResult, Severity};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};
use support::{refused_url, Reply, Server, TempDir};

const TOKEN: &str = "xoxb-test-s3cr3t";

fn digest() -> Notification {
    Notification {
        action: None,
        severity: Severity::Urgent,
        title: "2 decisions need you".into(),
        summary: "# operator decisions\n  body".into(),
        fields: vec![
            ("LIVENESS @ main".into(), "run spinning  ⟶ stop: kill 1".into()),
            ("WEDGE @ api".into(), "X".into()),
        ],
        key: "dos-decisions".into(),
        source: "decisions".into(),
    }
}

fn top(screen: &str) -> Notification {
    Notification {
        action: None,
        severity: Severity::Info,
        title: "fleet: 0 advancing".into(),
        summary: screen.into(),
        fields: vec![],
        key: "dos-top:/ws".into(),
        source: "top".into(),
    }
}

fn config(root: &Path, extra: Value) -> DriverConfig {
    let mut map = serde_json::Map::new();
    map.insert("root".into(), json!(root.to_string_lossy()));
    map.insert("state_dir".into(), json!(root.join(".dos").to_string_lossy()));
    map.insert("channel".into(), json!("C0ABC"));
    map.insert("token".into(), json!(TOKEN));
    if let Value::Object(extra) = extra {
        map.extend(extra);
    }
    DriverConfig(map)
}

fn api(server: &Server) -> Value {
    json!({"api_base": format!("{}/api/", server.base)})
}

fn notifier(cfg: &DriverConfig, env: &[(&str, &str)]) -> SlackNotifier {
    let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    SlackNotifier::with_env(cfg, move |k| env.get(k).cloned()).expect("valid configuration")
}

fn send(n: &mut SlackNotifier, note: &Notification) -> NotifyResult {
    let r = n.send(note).expect("send never errors");
    assert!(!r.detail.contains(TOKEN), "token leaked: {}", r.detail);
    r
}

fn delivered(detail: &str, reference: &str) -> NotifyResult {
    NotifyResult {
        delivered: true,
        detail: detail.into(),
        reference: reference.into(),
    }
}

fn failed(detail: &str) -> NotifyResult {
    NotifyResult {
        delivered: false,
        detail: detail.into(),
        reference: String::new(),
    }
}

#[test]
fn digest_posts_block_kit() {
    let dir = TempDir::new("sl-post");
    let server = Server::start(vec![Reply::json(
        r#"{"ok": true, "channel": "C0ABC", "ts": "1700000000.000101"}"#,
    )]);
    let cfg = config(dir.path(), api(&server));
    let r = send(&mut notifier(&cfg, &[]), &digest());
    assert_eq!(r, delivered("posted ts=1700000000.000101", "1700000000.000101"));
    let recs = server.finish();
    assert_eq!(recs.len(), 1);
    let rec = &recs[0];
    assert_eq!(rec.method, "POST");
    assert_eq!(rec.target, "/api/chat.postMessage");
    assert_eq!(
        rec.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(
        rec.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(rec.header("user-agent"), Some("dos-notify/slack"));
    let expected =
        json!({"channel": "C0ABC", "text": "2 decisions need you", "blocks": build_blocks(&digest())});
    assert_eq!(rec.body, pyjson::dumps(&expected, Style::DEFAULT));
    assert!(rec.body.starts_with(
        r#"{"channel": "C0ABC", "text": "2 decisions need you", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": ":red_circle: 2 decisions need you", "emoji": true}}"#
    ));
    // A digest never touches the edit-in-place state.
    assert!(!dir.path().join(".dos/slack-refs.json").exists());
}

#[test]
fn edit_in_place_survives_a_new_process() {
    let dir = TempDir::new("sl-edit");
    let server = Server::start(vec![
        Reply::json(r#"{"ok": true, "channel": "C0ABC", "ts": "1700000000.000102"}"#),
        Reply::json(r#"{"ok": true, "channel": "C0ABC", "ts": "1700000000.000102"}"#),
        Reply::json(r#"{"ok": false, "error": "message_not_found"}"#),
        Reply::json(r#"{"ok": true, "channel": "C0ABC", "ts": "1700000000.000109"}"#),
    ]);
    let cfg = config(dir.path(), api(&server));
    let refs = dir.path().join(".dos/slack-refs.json");

    // Run 1: first status posts (text only, no blocks) and persists the ts.
    let r = send(&mut notifier(&cfg, &[]), &top("SCREEN1"));
    assert_eq!(r, delivered("edited", "1700000000.000102"));
    assert_eq!(
        RefStore::load(&refs).get("dos-top:/ws"),
        Some(&LiveRef {
            channel: "C0ABC".into(),
            ts: "1700000000.000102".into(),
            text: "fleet: 0 advancing\nSCREEN1".into()
        })
    );

    // Run 2 (a fresh notifier, same state dir): identical text → no request.
    let mut second = notifier(&cfg, &[]);
    assert_eq!(
        send(&mut second, &top("SCREEN1")),
        delivered("edited", "1700000000.000102")
    );
    // Changed text → chat.update of the SAME message.
    assert_eq!(
        send(&mut second, &top("SCREEN2")),
        delivered("edited", "1700000000.000102")
    );

    // Run 3: the message was deleted in Slack → a new post replaces the reference.
    let r = send(&mut notifier(&cfg, &[]), &top("SCREEN3"));
    assert_eq!(
        r,
        delivered(
            "edited (the previous message was gone; posted a new one)",
            "1700000000.000109"
        )
    );
    assert_eq!(
        RefStore::load(&refs).get("dos-top:/ws").map(|r| r.ts.as_str()),
        Some("1700000000.000109")
    );

    let recs = server.finish();
    let calls: Vec<(&str, Value)> = recs
        .iter()
        .map(|r| {
            (
                r.target.as_str(),
                serde_json::from_str(&r.body).expect("json body"),
            )
        })
        .collect();
    assert_eq!(
        calls,
        [
            (
                "/api/chat.postMessage",
                json!({"channel": "C0ABC", "text": "fleet: 0 advancing\nSCREEN1"})
            ),
            (
                "/api/chat.update",
                json!({"channel": "C0ABC", "ts": "1700000000.000102", "text": "fleet: 0 advancing\nSCREEN2"})
            ),
            (
                "/api/chat.update",
                json!({"channel": "C0ABC", "ts": "1700000000.000102", "text": "fleet: 0 advancing\nSCREEN3"})
            ),
            (
                "/api/chat.postMessage",
                json!({"channel": "C0ABC", "text": "fleet: 0 advancing\nSCREEN3"})
            ),
        ]
    );
    // Key order on the wire: channel, ts, text.
    assert_eq!(
        recs[1].body,
        r#"{"channel": "C0ABC", "ts": "1700000000.000102", "text": "fleet: 0 advancing\nSCREEN2"}"#
    );
    for rec in &recs {
        assert_eq!(
            rec.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
}

#[test]
fn edit_in_place_can_be_forced_and_uses_the_default_key() {
    let dir = TempDir::new("sl-force");
    let server = Server::start(vec![Reply::json(r#"{"ok": true, "ts": "1.5"}"#)]);
    let mut extra = api(&server);
    extra["edit_in_place"] = json!(true);
    let cfg = config(dir.path(), extra);
    let note = Notification {
        action: None,
        key: String::new(),
        ..digest()
    };
    assert_eq!(send(&mut notifier(&cfg, &[]), &note), delivered("edited", "1.5"));
    let recs = server.finish();
    assert_eq!(
        recs[0].body,
        r#"{"channel": "C0ABC", "text": "2 decisions need you\n# operator decisions\n  body"}"#
    );
    let store = RefStore::load(&dir.path().join(".dos/slack-refs.json"));
    assert_eq!(store.get("dos-notify").map(|r| r.ts.as_str()), Some("1.5"));
}

#[test]
fn failed_first_live_post_is_not_delivered_and_not_persisted() {
    let dir = TempDir::new("sl-livefail");
    let server = Server::start(vec![Reply::json(r#"{"ok": false, "error": "not_in_channel"}"#)]);
    let cfg = config(dir.path(), api(&server));
    let r = send(&mut notifier(&cfg, &[]), &top("S"));
    assert_eq!(r, failed("error: slack chat.postMessage failed: not_in_channel"));
    assert!(!dir.path().join(".dos/slack-refs.json").exists());
    server.finish();
}

#[test]
fn rate_limit_names_the_retry_after() {
    let dir = TempDir::new("sl-429");
    let server = Server::start(vec![Reply::new(
        429,
        "Too Many Requests",
        r#"{"ok": false, "error": "ratelimited"}"#,
    )
    .header("Retry-After", "30")]);
    let cfg = config(dir.path(), api(&server));
    let r = send(&mut notifier(&cfg, &[]), &digest());
    assert_eq!(
        r,
        failed("error: slack rate-limited chat.postMessage (HTTP 429); retry after 30s")
    );
    server.finish();
}

#[test]
fn slack_errors_http_errors_and_token_scrubbing() {
    let dir = TempDir::new("sl-errors");
    let server = Server::start(vec![
        Reply::json(r#"{"ok": false, "error": "channel_not_found"}"#),
        Reply::new(500, "Internal Server Error", "oops"),
        // A server that echoes the token back must not get it into the detail.
        Reply::json(&format!(
            r#"{{"ok": false, "error": "invalid_auth for {TOKEN}"}}"#
        )),
    ]);
    let cfg = config(dir.path(), api(&server));
    let mut n = notifier(&cfg, &[]);
    assert_eq!(
        send(&mut n, &digest()),
        failed("error: slack chat.postMessage failed: channel_not_found")
    );
    assert_eq!(
        send(&mut n, &digest()),
        failed("error: slack chat.postMessage HTTP 500: Internal Server Error")
    );
    assert_eq!(
        send(&mut n, &digest()),
        failed("error: slack chat.postMessage failed: invalid_auth for ***")
    );
    server.finish();
}

#[test]
fn refused_connection_and_timeout() {
    let dir = TempDir::new("sl-net");
    let cfg = config(dir.path(), json!({"api_base": refused_url()}));
    assert_eq!(
        send(&mut notifier(&cfg, &[]), &digest()),
        failed("error: slack chat.postMessage: [Errno 111] Connection refused")
    );

    let server = Server::start(vec![
        Reply::json(r#"{"ok": true, "ts": "1"}"#).delayed(Duration::from_millis(1500))
    ]);
    let mut extra = api(&server);
    extra["timeout"] = json!(0.2);
    let cfg = config(dir.path(), extra);
    let start = Instant::now();
    let r = send(&mut notifier(&cfg, &[]), &digest());
    assert!(
        start.elapsed() < Duration::from_millis(1200),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(r, failed("error: slack chat.postMessage: timed out"));
    server.finish();
}

#[test]
fn api_base_and_token_ladders() {
    let dir = TempDir::new("sl-ladder");
    let server = Server::start(vec![
        Reply::json(r#"{"ok": true, "ts": "1"}"#),
        Reply::json(r#"{"ok": true, "ts": "2"}"#),
    ]);
    std::fs::write(
        dir.path().join(".env"),
        format!(
            "SLACK_BOT_TOKEN=\"dotenv-tok\"\nDOS_SLACK_API_BASE={}/dotenv\n",
            server.base
        ),
    )
    .expect("write .env");
    let mut cfg = config(dir.path(), json!({}));
    cfg.0.remove("token");
    // Both from the workspace .env.
    assert_eq!(
        send(&mut notifier(&cfg, &[]), &digest()),
        delivered("posted ts=1", "1")
    );
    // The process env beats the .env for both.
    let env_base = format!("{}/env", server.base);
    let r = send(
        &mut notifier(
            &cfg,
            &[("SLACK_BOT_TOKEN", "env-tok"), ("DOS_SLACK_API_BASE", &env_base)],
        ),
        &digest(),
    );
    assert_eq!(r, delivered("posted ts=2", "2"));
    let recs = server.finish();
    let seen: Vec<(&str, Option<&str>)> = recs
        .iter()
        .map(|r| (r.target.as_str(), r.header("authorization")))
        .collect();
    assert_eq!(
        seen,
        [
            ("/dotenv/chat.postMessage", Some("Bearer dotenv-tok")),
            ("/env/chat.postMessage", Some("Bearer env-tok")),
        ]
    );
}

#[test]
fn no_channel_dry_run_and_no_token_make_no_request() {
    let dir = TempDir::new("sl-none");
    // No channel: reported even in a dry run.
    let cfg = config(dir.path(), json!({"channel": "", "dry_run": true}));
    assert_eq!(
        send(&mut notifier(&cfg, &[]), &digest()),
        failed("no channel (got ''; name not in slack_config.json or not a raw id)")
    );
    let cfg = config(dir.path(), json!({"channel": "ops"}));
    assert_eq!(
        send(&mut notifier(&cfg, &[]), &digest()),
        failed("no channel (got 'ops'; name not in slack_config.json or not a raw id)")
    );
    // A logical name from the `channels` table resolves (dry run shows the id).
    let cfg = config(
        dir.path(),
        json!({"channel": "ops", "channels": {"ops": "C0OPS"}, "dry_run": true}),
    );
    assert_eq!(
        send(&mut notifier(&cfg, &[]), &digest()),
        failed("[dry-run] would post to C0OPS (URGENT: 2 decisions need you)")
    );
    let cfg = config(dir.path(), json!({"dry_run": true}));
    assert_eq!(
        send(&mut notifier(&cfg, &[]), &top("S")),
        failed("[dry-run] would edit-in-place to C0ABC (INFO: fleet: 0 advancing)")
    );
    // No token anywhere: the real reason, in both modes.
    let mut cfg = config(dir.path(), json!({"api_base": refused_url()}));
    cfg.0.remove("token");
    assert_eq!(send(&mut notifier(&cfg, &[]), &digest()), failed(NO_TOKEN_DETAIL));
    assert_eq!(send(&mut notifier(&cfg, &[]), &top("S")), failed(NO_TOKEN_DETAIL));
    assert!(!dir.path().join(".dos").exists(), "nothing written");
}

#[test]
fn the_plugin_root_serves_the_notifier_over_ffi() {
    let root = dos_notify_slack::__dos_plugin_root();
    let manifest = (root.manifest())().expect("manifest");
    let manifest: Value = serde_json::from_str(manifest.as_str()).expect("json");
    assert_eq!(manifest["name"], "dos-notify-slack");
    assert_eq!(
        manifest["drivers"],
        json!([{"group": "notifiers", "name": "slack"}])
    );
    let dir = TempDir::new("sl-ffi");
    let cfg =
        json!({"root": dir.path().to_string_lossy(), "channel": "C0AJ37QHMFB", "dry_run": true}).to_string();
    let mut n = (root.new_notifier())("slack".into(), cfg.as_str().into()).expect("notifier");
    let note = serde_json::to_string(&digest()).expect("note json");
    let out = n.send(note.as_str().into()).expect("send");
    let out: NotifyResult = serde_json::from_str(out.as_str()).expect("result json");
    assert_eq!(
        out,
        failed("[dry-run] would post to C0AJ37QHMFB (URGENT: 2 decisions need you)")
    );
}

#[test]
fn a_wrong_typed_setting_is_a_constructor_error_naming_table_key_and_type() {
    let root = dos_notify_slack::__dos_plugin_root();
    for (cfg, want) in [
        (
            json!({"channel": 42}),
            "[notifiers.slack] channel: expected a string, found integer 42",
        ),
        (
            json!({"channel": "ops", "channels": {"ops": ["C1"]}}),
            "[notifiers.slack] channels.ops: expected a string, found array",
        ),
        (
            json!({"channel": "C0ABC", "edit_in_place": "sometimes"}),
            "[notifiers.slack] edit_in_place: expected a boolean, found string \"sometimes\"",
        ),
    ] {
        let text = cfg.to_string();
        match (root.new_notifier())("slack".into(), text.as_str().into()) {
            abi_stable::std_types::RErr(e) => assert_eq!(e.message.as_str(), want, "{cfg}"),
            abi_stable::std_types::ROk(_) => panic!("{cfg} constructed"),
        }
    }
    let ok = json!({"channel": "C0ABC", "edit_in_place": "yes", "timeout": "3"}).to_string();
    assert!((root.new_notifier())("slack".into(), ok.as_str().into()).is_ok());
}
