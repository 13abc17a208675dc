//! Notifier plugin `webhook`: renders a [`Notification`] to a flat, portable
//! JSON body and POSTs it to a configured URL (reference:
//! `dos.drivers.notify_webhook`).
//!
//! Settings (first non-empty wins; empty strings count as unset):
//! * URL: `url` (CLI `--url` or `[notifiers.webhook] url`) › `$DOS_WEBHOOK_URL`
//!   › `DOS_WEBHOOK_URL` in the workspace `.env` › none.
//! * token (optional, sent as `Authorization: Bearer …`): `token` ›
//!   `$DOS_WEBHOOK_TOKEN` › `DOS_WEBHOOK_TOKEN` in the workspace `.env` › none.
//! * `timeout` seconds (default 10, floor 0.1) and `headers` (a table of extra
//!   headers that override the defaults) — configuration keys only.
//!
//! The body is byte-identical to the reference's `json.dumps(build_payload(note))`.
//! Every outcome is a [`NotifyResult`]; transport failures never become errors.
//!
//! A `cdylib` loaded by the `dos` plugin host: it depends on `dos-plugin-api`
//! only, never on the host crates (`dos-core`, `dos-plugin-host`, `dos`).

use dos_plugin_api::pyjson::{self, Style};
use dos_plugin_api::pystr::cut;
use dos_plugin_api::{
    config, dotenv, DriverConfig, Notification, Notifier, NotifyResult, PluginError, Registry, Severity,
};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use dos_plugin_api::http;

use http::TransportError;

/// The summary is cut to this many code points in the body (reference `_MAX_SUMMARY`).
pub const MAX_SUMMARY: usize = 8000;

/// The default request timeout in seconds.
pub const DEFAULT_TIMEOUT_SECS: f64 = 10.0;

/// The smallest timeout honoured, in seconds (the reference's floor).
pub const MIN_TIMEOUT_SECS: f64 = 0.1;

/// The largest timeout honoured, in seconds (a day; keeps `Duration` sane).
pub const MAX_TIMEOUT_SECS: f64 = 86_400.0;

/// The `User-Agent` the reference sends.
pub const USER_AGENT: &str = "dos-notify/webhook";

/// The detail when no URL resolved anywhere.
pub const NO_URL_DETAIL: &str =
    "no webhook URL (pass --url, set $DOS_WEBHOOK_URL, or add DOS_WEBHOOK_URL to the workspace .env)";

/// The process environment variable (and `.env` key) naming the URL.
pub const URL_KEY: &str = "DOS_WEBHOOK_URL";

/// The process environment variable (and `.env` key) naming the token.
pub const TOKEN_KEY: &str = "DOS_WEBHOOK_TOKEN";

/// The short tag that opens the synthesized `text` line.
pub fn severity_tag(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "·",
        Severity::Warn => "▲",
        Severity::Urgent => "■",
    }
}

/// The reference's `build_payload`: the notification's `to_dict` (`severity`,
/// `title`, `summary` cut to [`MAX_SUMMARY`], `fields`, `key`, `source`, and
/// 0.30's `action` or `null`) plus a synthesized `text` (`"<tag> [<SEV>]
/// <title>"`, then `"\n" + summary` when the summary is non-empty, then 0.30's
/// `"\n⟶ open: <command>"` when the action has a command).
pub fn build_payload(note: &Notification) -> Value {
    let summary = cut(&note.summary, MAX_SUMMARY);
    let head = format!(
        "{} [{}] {}",
        severity_tag(note.severity),
        note.severity.token(),
        note.title
    );
    let head = head.trim();
    let mut text = if summary.is_empty() {
        head.to_string()
    } else {
        format!("{head}\n{summary}")
    };
    // 0.30: a chat hook that renders only `text` still gets the open command.
    if let Some(a) = note.action.as_ref().filter(|a| !a.command.is_empty()) {
        text = format!("{text}\n⟶ open: {}", a.command);
    }
    let fields: Vec<Value> = note.fields.iter().map(|(l, v)| json!([l, v])).collect();
    let mut body = Map::new();
    body.insert("severity".into(), Value::from(note.severity.token()));
    body.insert("title".into(), Value::from(note.title.as_str()));
    body.insert("summary".into(), Value::from(summary));
    body.insert("fields".into(), Value::Array(fields));
    body.insert("key".into(), Value::from(note.key.as_str()));
    body.insert("source".into(), Value::from(note.source.as_str()));
    let action = note.action.as_ref().map_or(
        Value::Null,
        |a| json!({"label": a.label, "command": a.command, "url": a.url}),
    );
    body.insert("action".into(), action);
    body.insert("text".into(), Value::from(text));
    Value::Object(body)
}

/// The request body as Python's `json.dumps` writes it (ASCII-only, `", "` / `": "`).
pub fn render_body(note: &Notification) -> String {
    pyjson::dumps(&build_payload(note), Style::DEFAULT)
}

/// The request headers in order: `Content-Type`, `User-Agent`, then
/// `Authorization: Bearer <token>` when a token resolved, then the operator's
/// extra headers, each replacing a default of the same name (case-insensitive).
pub fn request_headers(token: Option<&str>, extra: &[(String, String)]) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = vec![
        ("Content-Type".into(), "application/json".into()),
        ("User-Agent".into(), USER_AGENT.into()),
    ];
    if let Some(t) = token.filter(|t| !t.is_empty()) {
        headers.push(("Authorization".into(), format!("Bearer {t}")));
    }
    for (name, value) in extra {
        match headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some(slot) => *slot = (name.clone(), value.clone()),
            None => headers.push((name.clone(), value.clone())),
        }
    }
    headers
}

/// The effective timeout for a configured value: default 10 s; NaN and
/// anything below 0.1 s become 0.1 s; anything above a day becomes a day.
pub fn effective_timeout(configured: Option<f64>) -> Duration {
    let secs = match configured {
        None => DEFAULT_TIMEOUT_SECS,
        Some(v) if v.is_nan() => MIN_TIMEOUT_SECS,
        Some(v) => v.clamp(MIN_TIMEOUT_SECS, MAX_TIMEOUT_SECS),
    };
    Duration::try_from_secs_f64(secs).unwrap_or(Duration::from_secs(10))
}

pub use dos_plugin_api::dotenv::resolve_setting;

/// The outcome of an HTTP answer: 2xx is delivered (`posted HTTP <code>`,
/// ref `<code>`); anything else is `HTTP <code>: <reason phrase>`.
pub fn interpret_status(status: u16) -> NotifyResult {
    if (200..300).contains(&status) {
        NotifyResult {
            delivered: true,
            detail: format!("posted HTTP {status}"),
            reference: status.to_string(),
        }
    } else {
        NotifyResult {
            delivered: false,
            detail: format!("HTTP {status}: {}", http::reason_phrase(status)),
            reference: String::new(),
        }
    }
}

/// A transport failure worded as the reference's urllib words it: a URL with
/// no scheme and a timeout bare (`unknown url type: 'x'`, `timed out`), every
/// other failure wrapped as `<urlopen error …>`.
pub fn transport_detail(e: &TransportError) -> String {
    let text = http::describe_error(e);
    match e {
        TransportError::NoScheme(_) | TransportError::TimedOut => text,
        _ => format!("<urlopen error {text}>"),
    }
}

/// Replace every occurrence of a secret in `text` with `***`.
pub fn scrub(text: &str, secret: Option<&str>) -> String {
    match secret {
        Some(s) if s.len() >= 3 => text.replace(s, "***"),
        _ => text.to_string(),
    }
}

fn not_delivered(detail: impl Into<String>) -> NotifyResult {
    NotifyResult {
        delivered: false,
        detail: detail.into(),
        reference: String::new(),
    }
}

/// How a notifier reads its process environment (injectable for tests).
type EnvLookup = Box<dyn Fn(&str) -> Option<String> + Send>;

/// Read the process environment.
fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// The `headers` table from the configuration: string values only.
/// The driver's table (`[notifiers.webhook]`) with the CLI's `--url`,
/// `--token` and `--dry-run` and the host's `root`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct WebhookConfig {
    /// The URL to POST to; `""` counts as unset.
    #[serde(default, deserialize_with = "config::non_empty")]
    pub url: Option<String>,
    /// The bearer token; `""` counts as unset.
    #[serde(default, deserialize_with = "config::non_empty")]
    pub token: Option<String>,
    /// Seconds; read as Python's `float()` does (`"2.5"` works).
    #[serde(default, deserialize_with = "config::py_float_opt")]
    pub timeout: Option<f64>,
    /// Extra headers, in order; they override the defaults.
    #[serde(default, deserialize_with = "config::string_pairs")]
    pub headers: Vec<(String, String)>,
    /// The workspace root (host-added).
    #[serde(default)]
    pub root: Option<PathBuf>,
    /// Build the message, send nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// The `webhook` notifier, configured once per command.
pub struct WebhookNotifier {
    root: PathBuf,
    url: Option<String>,
    token: Option<String>,
    dry_run: bool,
    timeout: Duration,
    headers: Vec<(String, String)>,
    env: EnvLookup,
}

impl WebhookNotifier {
    /// Build from the driver configuration (`url`, `token`, `timeout`,
    /// `headers`, `root`, `dry_run`), reading the real process environment.
    /// A value of the wrong type is an error naming its key.
    pub fn new(cfg: &DriverConfig) -> Result<Self, PluginError> {
        Self::with_env(cfg, process_env)
    }

    /// Build with an injected environment lookup (tests use a fixed map).
    pub fn with_env(
        cfg: &DriverConfig,
        env: impl Fn(&str) -> Option<String> + Send + 'static,
    ) -> Result<Self, PluginError> {
        let c: WebhookConfig = cfg.parse()?;
        Ok(WebhookNotifier {
            root: c.root.unwrap_or_else(|| PathBuf::from(".")),
            url: c.url,
            token: c.token,
            dry_run: c.dry_run,
            timeout: effective_timeout(c.timeout),
            headers: c.headers,
            env: Box::new(env),
        })
    }

    fn resolve(&self, explicit: Option<&str>, key: &str) -> Result<Option<String>, dotenv::DotenvError> {
        let root: &Path = &self.root;
        resolve_setting(explicit, key, &*self.env, &|| dotenv::load(root))
    }

    /// The URL this notifier would post to now, if any.
    pub fn resolve_url(&self) -> Result<Option<String>, PluginError> {
        self.resolve(self.url.as_deref(), URL_KEY)
            .map_err(|e| PluginError(e.0))
    }

    /// The bearer token this notifier would send now, if any.
    pub fn resolve_token(&self) -> Result<Option<String>, PluginError> {
        self.resolve(self.token.as_deref(), TOKEN_KEY)
            .map_err(|e| PluginError(e.0))
    }

    fn deliver(&self, note: &Notification) -> NotifyResult {
        let url = match self.resolve_url() {
            Ok(Some(u)) => u,
            Ok(None) => return not_delivered(NO_URL_DETAIL),
            Err(e) => return not_delivered(format!("error: {e}")),
        };
        if self.dry_run {
            return not_delivered(format!(
                "[dry-run] would POST to {url} ({}: {})",
                note.severity.token(),
                note.title
            ));
        }
        let token = match self.resolve_token() {
            Ok(t) => t,
            Err(e) => return not_delivered(format!("error: {e}")),
        };
        let body = render_body(note);
        let headers = request_headers(token.as_deref(), &self.headers);
        let result = match http::post(&url, &headers, body.as_bytes(), self.timeout) {
            Ok(resp) => interpret_status(resp.status),
            Err(e) => not_delivered(format!("error: {}", transport_detail(&e))),
        };
        NotifyResult {
            detail: scrub(&result.detail, token.as_deref()),
            ..result
        }
    }
}

impl Notifier for WebhookNotifier {
    fn send(&mut self, notification: &Notification) -> Result<NotifyResult, PluginError> {
        Ok(self.deliver(notification))
    }
}

fn register(r: &mut Registry) {
    r.notifier("webhook", WebhookNotifier::new);
}

dos_plugin_api::export_plugin!(name: "dos-notify-webhook", version: env!("CARGO_PKG_VERSION"), register: register);

#[cfg(test)]
mod tests {
    use super::*;

    fn note(severity: Severity, title: &str, summary: &str, fields: &[(&str, &str)]) -> Notification {
        Notification {
            action: None,
            severity,
            title: title.into(),
            summary: summary.into(),
            fields: fields
                .iter()
                .map(|(l, v)| (l.to_string(), v.to_string()))
                .collect(),
            key: "dos-decisions".into(),
            source: "decisions".into(),
        }
    }

    #[test]
    fn body_matches_the_reference_golden() {
        let n = note(
            Severity::Info,
            "fleet clear — no pending decisions",
            "# operator decisions\n  (none pending - nothing is waiting on you)",
            &[],
        );
        let expected = r##"{"severity": "INFO", "title": "fleet clear \u2014 no pending decisions", "summary": "# operator decisions\n  (none pending - nothing is waiting on you)", "fields": [], "key": "dos-decisions", "source": "decisions", "action": null, "text": "\u00b7 [INFO] fleet clear \u2014 no pending decisions\n# operator decisions\n  (none pending - nothing is waiting on you)"}"##;
        assert_eq!(render_body(&n), expected);
        assert_eq!(render_body(&n).len(), 363, "the golden Content-Length");
    }

    /// 0.30's body for a notification with an action (recorded from
    /// `dos.drivers.notify_webhook.build_payload`).
    #[test]
    fn action_rides_in_the_body_and_the_text() {
        let mut n = note(
            Severity::Info,
            "fleet clear — no pending decisions",
            "# operator decisions\n  (none pending - nothing is waiting on you)",
            &[],
        );
        n.action = Some(dos_plugin_api::NotifyAction {
            label: "review the decisions queue".into(),
            command: "dos decisions --workspace \"/my ws\"".into(),
            url: String::new(),
        });
        let expected = r##"{"severity": "INFO", "title": "fleet clear \u2014 no pending decisions", "summary": "# operator decisions\n  (none pending - nothing is waiting on you)", "fields": [], "key": "dos-decisions", "source": "decisions", "action": {"label": "review the decisions queue", "command": "dos decisions --workspace \"/my ws\"", "url": ""}, "text": "\u00b7 [INFO] fleet clear \u2014 no pending decisions\n# operator decisions\n  (none pending - nothing is waiting on you)\n\u27f6 open: dos decisions --workspace \"/my ws\""}"##;
        assert_eq!(render_body(&n), expected);
    }

    #[test]
    fn payload_table() {
        // (severity, title, summary, expected text)
        let table: &[(Severity, &str, &str, &str)] = &[
            (Severity::Info, "t", "", "· [INFO] t"),
            (
                Severity::Warn,
                "5 decisions need you",
                "s",
                "▲ [WARN] 5 decisions need you\ns",
            ),
            (Severity::Urgent, "x", "a\nb", "■ [URGENT] x\na\nb"),
            (Severity::Info, "", "", "· [INFO]"),
            (Severity::Warn, "  padded  ", "", "▲ [WARN]   padded"),
        ];
        for (sev, title, summary, text) in table {
            let p = build_payload(&note(*sev, title, summary, &[("L", "V")]));
            assert_eq!(p["text"], *text, "{title:?}");
            assert_eq!(p["severity"], sev.token());
            assert_eq!(p["fields"], json!([["L", "V"]]));
        }
        let payload = build_payload(&note(Severity::Info, "t", "", &[]));
        let keys: Vec<&String> = payload
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            ["severity", "title", "summary", "fields", "key", "source", "action", "text"]
        );
    }

    #[test]
    fn summary_is_cut_to_8000_code_points() {
        let long: String = "é".repeat(8005);
        let p = build_payload(&note(Severity::Warn, "t", &long, &[]));
        assert_eq!(p["summary"].as_str().map(|s| s.chars().count()), Some(8000));
        assert_eq!(
            p["text"].as_str().map(|s| s.chars().count()),
            Some("▲ [WARN] t\n".chars().count() + 8000)
        );
    }

    #[test]
    fn headers_table() {
        let h = |token: Option<&str>, extra: &[(&str, &str)]| {
            let extra: Vec<(String, String)> = extra
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            request_headers(token, &extra)
                .into_iter()
                .map(|(a, b)| format!("{a}: {b}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            h(None, &[]),
            ["Content-Type: application/json", "User-Agent: dos-notify/webhook"]
        );
        assert_eq!(
            h(Some(""), &[]),
            ["Content-Type: application/json", "User-Agent: dos-notify/webhook"]
        );
        assert_eq!(h(Some("T0K"), &[])[2], "Authorization: Bearer T0K".to_string());
        assert_eq!(
            h(Some("T0K"), &[("authorization", "Token x"), ("X-Extra", "1")]),
            [
                "Content-Type: application/json",
                "User-Agent: dos-notify/webhook",
                "authorization: Token x",
                "X-Extra: 1"
            ]
        );
    }

    #[test]
    fn timeout_table() {
        let table: &[(Option<f64>, f64)] = &[
            (None, 10.0),
            (Some(2.5), 2.5),
            (Some(0.0), 0.1),
            (Some(-5.0), 0.1),
            (Some(f64::NAN), 0.1),
            (Some(f64::INFINITY), 86_400.0),
        ];
        for (given, secs) in table {
            assert_eq!(
                effective_timeout(*given),
                Duration::from_secs_f64(*secs),
                "{given:?}"
            );
        }
    }

    #[test]
    fn status_table() {
        let table: &[(u16, bool, &str, &str)] = &[
            (200, true, "posted HTTP 200", "200"),
            (204, true, "posted HTTP 204", "204"),
            (299, true, "posted HTTP 299", "299"),
            (301, false, "HTTP 301: Moved Permanently", ""),
            (404, false, "HTTP 404: Not Found", ""),
            (500, false, "HTTP 500: Internal Server Error", ""),
            (599, false, "HTTP 599: HTTP error", ""),
        ];
        for (code, delivered, detail, reference) in table {
            let r = interpret_status(*code);
            assert_eq!(
                (r.delivered, r.detail.as_str(), r.reference.as_str()),
                (*delivered, *detail, *reference)
            );
        }
    }

    #[test]
    fn scrub_hides_the_token() {
        assert_eq!(scrub("x Bearer sekret y", Some("sekret")), "x Bearer *** y");
        assert_eq!(scrub("abc", None), "abc");
    }
}
