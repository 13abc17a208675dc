//! The webhook notifier against a real recording HTTP server.

use dos_plugin_api::test_support as support;

use dos_notify_webhook::{render_body, WebhookNotifier, NO_URL_DETAIL};
use dos_plugin_api::{DriverConfig, Notification, Notifier, NotifyResult, Severity};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use support::{refused_url, Reply, Server, TempDir};

fn note() -> Notification {
    Notification {
        action: None,
        severity: Severity::Urgent,
        title: "2 decisions need you".into(),
        summary: "# operator decisions\n  body".into(),
        fields: vec![
            (
                "LIVENESS @ main".into(),
                "run spinning 40m  ⟶ stop: kill -TERM 4242".into(),
            ),
            ("WEDGE @ api".into(), "X".into()),
        ],
        key: "dos-decisions".into(),
        source: "decisions".into(),
    }
}

fn config(root: &std::path::Path, extra: Value) -> DriverConfig {
    let mut map = serde_json::Map::new();
    map.insert("root".into(), json!(root.to_string_lossy()));
    map.insert("state_dir".into(), json!(root.join(".dos").to_string_lossy()));
    if let Value::Object(extra) = extra {
        map.extend(extra);
    }
    DriverConfig(map)
}

/// A notifier that sees only `env` as its process environment.
fn notifier(cfg: &DriverConfig, env: &[(&str, &str)]) -> WebhookNotifier {
    let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    WebhookNotifier::with_env(cfg, move |k| env.get(k).cloned()).expect("valid configuration")
}

fn send(n: &mut WebhookNotifier) -> NotifyResult {
    n.send(&note()).expect("send never errors")
}

#[test]
fn posts_the_reference_request_with_token() {
    let dir = TempDir::new("wh-post");
    let server = Server::start(vec![Reply::new(200, "OK", "ok")]);
    let url = format!("{}/hooks/dos?x=1", server.base);
    let cfg = config(dir.path(), json!({"url": url, "token": "T0K"}));
    let result = send(&mut notifier(&cfg, &[]));
    assert_eq!(
        result,
        NotifyResult {
            delivered: true,
            detail: "posted HTTP 200".into(),
            reference: "200".into()
        }
    );
    let recs = server.finish();
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.target, "/hooks/dos?x=1");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("user-agent"), Some("dos-notify/webhook"));
    assert_eq!(r.headers.iter().filter(|(n, _)| n == "user-agent").count(), 1);
    assert_eq!(r.header("authorization"), Some("Bearer T0K"));
    assert_eq!(r.body, render_body(&note()));
    assert_eq!(
        r.header("content-length"),
        Some(r.body.len().to_string().as_str())
    );
    assert!(r.body.starts_with(r##"{"severity": "URGENT", "title": "2 decisions need you", "summary": "# operator decisions\n  body", "fields": [["LIVENESS @ main", "run spinning 40m  \u27f6 stop: kill -TERM 4242"], ["WEDGE @ api", "X"]], "key": "dos-decisions", "source": "decisions", "action": null, "text": "\u25a0 [URGENT] 2 decisions need you\n# operator decisions\n  body"}"##));
}

#[test]
fn no_token_means_no_authorization_header_and_204_is_delivered() {
    let dir = TempDir::new("wh-204");
    let server = Server::start(vec![Reply::new(204, "No Content", "")]);
    let cfg = config(dir.path(), json!({"url": format!("{}/status/204", server.base)}));
    let result = send(&mut notifier(&cfg, &[]));
    assert_eq!(
        (result.delivered, result.detail.as_str()),
        (true, "posted HTTP 204")
    );
    assert_eq!(result.reference, "204");
    let recs = server.finish();
    assert_eq!(recs[0].header("authorization"), None);
}

#[test]
fn url_and_token_ladders_through_env_and_dotenv() {
    let dir = TempDir::new("wh-ladder");
    let server = Server::start(vec![
        Reply::new(200, "OK", ""),
        Reply::new(200, "OK", ""),
        Reply::new(200, "OK", ""),
    ]);
    std::fs::write(
        dir.path().join(".env"),
        format!(
            "# comment\nDOS_WEBHOOK_URL = \"{}/from-dotenv\"\nDOS_WEBHOOK_TOKEN='dotenv-tok'\n",
            server.base
        ),
    )
    .expect("write .env");
    // .env only.
    let cfg = config(dir.path(), json!({}));
    assert!(send(&mut notifier(&cfg, &[])).delivered);
    // env URL wins over .env; the token still comes from .env.
    let env_url = format!("{}/from-env", server.base);
    assert!(send(&mut notifier(&cfg, &[("DOS_WEBHOOK_URL", &env_url)])).delivered);
    // flag URL wins; env token wins over .env; an empty flag token falls through.
    let cfg = config(
        dir.path(),
        json!({"url": format!("{}/from-flag", server.base), "token": ""}),
    );
    assert!(
        send(&mut notifier(
            &cfg,
            &[("DOS_WEBHOOK_TOKEN", "env-tok"), ("DOS_WEBHOOK_URL", "")]
        ))
        .delivered
    );
    let recs = server.finish();
    let seen: Vec<(&str, Option<&str>)> = recs
        .iter()
        .map(|r| (r.target.as_str(), r.header("authorization")))
        .collect();
    assert_eq!(
        seen,
        [
            ("/from-dotenv", Some("Bearer dotenv-tok")),
            ("/from-env", Some("Bearer dotenv-tok")),
            ("/from-flag", Some("Bearer env-tok")),
        ]
    );
}

#[test]
fn failures_are_not_delivered_with_the_reference_texts() {
    let dir = TempDir::new("wh-fail");
    let server = Server::start(vec![
        Reply::new(500, "Internal Server Error", "boom"),
        Reply::new(404, "Not Found", ""),
        Reply::new(301, "Moved Permanently", "").header("Location", "/elsewhere"),
    ]);
    let mut details = Vec::new();
    for path in ["status/500", "status/404", "status/301"] {
        let cfg = config(dir.path(), json!({"url": format!("{}/{path}", server.base)}));
        let r = send(&mut notifier(&cfg, &[]));
        assert!(!r.delivered);
        assert_eq!(r.reference, "");
        details.push(r.detail);
    }
    assert_eq!(
        details,
        [
            "HTTP 500: Internal Server Error",
            "HTTP 404: Not Found",
            "HTTP 301: Moved Permanently"
        ]
    );
    assert_eq!(server.finish().len(), 3, "a redirect is not followed");
}

#[test]
fn refused_connection() {
    let dir = TempDir::new("wh-refused");
    let cfg = config(dir.path(), json!({"url": refused_url()}));
    let r = send(&mut notifier(&cfg, &[]));
    assert!(!r.delivered);
    assert_eq!(r.detail, "error: <urlopen error [Errno 111] Connection refused>");
}

#[test]
fn timeout_uses_the_configured_seconds() {
    let dir = TempDir::new("wh-timeout");
    let server = Server::start(vec![
        Reply::new(200, "OK", "").delayed(Duration::from_millis(1500))
    ]);
    let cfg = config(dir.path(), json!({"url": server.base.clone(), "timeout": 0.2}));
    let start = Instant::now();
    let r = send(&mut notifier(&cfg, &[]));
    assert!(
        start.elapsed() < Duration::from_millis(1200),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!((r.delivered, r.detail.as_str()), (false, "error: timed out"));
    server.finish();
}

#[test]
fn no_url_dry_run_and_bad_urls_make_no_request() {
    let dir = TempDir::new("wh-nourl");
    let cfg = config(dir.path(), json!({"dry_run": true}));
    let r = send(&mut notifier(&cfg, &[]));
    assert_eq!((r.delivered, r.detail.as_str()), (false, NO_URL_DETAIL));
    let r = send(&mut notifier(&config(dir.path(), json!({})), &[]));
    assert_eq!(r.detail, NO_URL_DETAIL);

    let cfg = config(dir.path(), json!({"url": refused_url(), "dry_run": true}));
    let r = send(&mut notifier(&cfg, &[]));
    assert!(!r.delivered);
    assert!(r.detail.starts_with("[dry-run] would POST to http://127.0.0.1:"));
    assert!(r.detail.ends_with("/closed (URGENT: 2 decisions need you)"));

    let r = send(&mut notifier(
        &config(dir.path(), json!({"url": "not-a-url"})),
        &[],
    ));
    assert_eq!(r.detail, "error: unknown url type: 'not-a-url'");
    let r = send(&mut notifier(
        &config(dir.path(), json!({"url": "ftp://x/y"})),
        &[],
    ));
    assert_eq!(r.detail, "error: <urlopen error unknown url type: ftp>");
}

#[test]
fn invalid_utf8_dotenv_is_reported_not_raised() {
    let dir = TempDir::new("wh-badenv");
    std::fs::write(dir.path().join(".env"), b"DOS_WEBHOOK_URL=\xff\n").expect("write");
    let r = send(&mut notifier(&config(dir.path(), json!({})), &[]));
    assert!(!r.delivered);
    assert!(
        r.detail.starts_with("error: ") && r.detail.contains("not valid UTF-8"),
        "{}",
        r.detail
    );
}

#[test]
fn token_never_leaks_into_details() {
    let dir = TempDir::new("wh-scrub");
    let server = Server::start(vec![Reply::new(500, "Internal Server Error", "")]);
    // A token that also appears in the URL (a path secret) is scrubbed from errors.
    let cfg = config(
        dir.path(),
        json!({"url": format!("{}/s3cr3t-tok", server.base), "token": "s3cr3t-tok"}),
    );
    let r = send(&mut notifier(&cfg, &[]));
    assert!(!r.detail.contains("s3cr3t-tok"));
    server.finish();
}

#[test]
fn the_plugin_root_serves_the_notifier_over_ffi() {
    let root = dos_notify_webhook::__dos_plugin_root();
    let manifest = (root.manifest())().expect("manifest");
    let manifest: Value = serde_json::from_str(manifest.as_str()).expect("json");
    assert_eq!(manifest["name"], "dos-notify-webhook");
    assert_eq!(
        manifest["drivers"],
        json!([{"group": "notifiers", "name": "webhook"}])
    );
    let dir = TempDir::new("wh-ffi");
    let cfg = json!({"root": dir.path().to_string_lossy(), "url": "http://127.0.0.1:9/x", "dry_run": true})
        .to_string();
    let mut n = (root.new_notifier())("webhook".into(), cfg.as_str().into()).expect("notifier");
    let note = serde_json::to_string(&note()).expect("note json");
    let out = n.send(note.as_str().into()).expect("send");
    let out: NotifyResult = serde_json::from_str(out.as_str()).expect("result json");
    assert_eq!(
        out.detail,
        "[dry-run] would POST to http://127.0.0.1:9/x (URGENT: 2 decisions need you)"
    );
}

#[test]
fn a_wrong_typed_setting_is_a_constructor_error_naming_table_key_and_type() {
    let root = dos_notify_webhook::__dos_plugin_root();
    for (cfg, want) in [
        (
            json!({"url": 8765}),
            "[notifiers.webhook] url: expected a string, found integer 8765",
        ),
        (
            json!({"url": "http://127.0.0.1:9/x", "timeout": "soon"}),
            "[notifiers.webhook] timeout: expected a number, found string \"soon\"",
        ),
        (
            json!({"url": "http://127.0.0.1:9/x", "headers": {"X-Retry": 3}}),
            "[notifiers.webhook] headers.X-Retry: expected a string, found integer 3",
        ),
        (
            json!({"url": "http://127.0.0.1:9/x", "dry_run": "yes"}),
            "[notifiers.webhook] dry_run: expected a boolean, found string \"yes\"",
        ),
    ] {
        let text = cfg.to_string();
        match (root.new_notifier())("webhook".into(), text.as_str().into()) {
            abi_stable::std_types::RErr(e) => assert_eq!(e.message.as_str(), want, "{cfg}"),
            abi_stable::std_types::ROk(_) => panic!("{cfg} constructed"),
        }
    }
    // Python's float() coercion of the timeout is kept.
    let ok = json!({"url": "http://127.0.0.1:9/x", "timeout": " 2.5 ", "dry_run": true}).to_string();
    assert!((root.new_notifier())("webhook".into(), ok.as_str().into()).is_ok());
}
