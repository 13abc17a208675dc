//! Notifier plugin `slack` (reference: `dos.drivers.notify_slack`).
//!
//! Two shapes, chosen by `edit_in_place` (config; absent = auto: a
//! `source="top"` notification edits, everything else posts):
//! * **post** — a fresh Block Kit message per send (`chat.postMessage`);
//! * **edit in place** — one message per `Notification.key` (default
//!   `dos-notify`), posted once and then edited (`chat.update`). Unlike the
//!   reference, the message reference (channel, ts, last text) is persisted in
//!   `<state_dir>/slack-refs.json`, so the next `dos notify` run edits the same
//!   message; a message Slack no longer knows (`message_not_found`) is posted anew.
//!
//! Settings (first non-empty wins):
//! * token: `token` › `$SLACK_BOT_TOKEN` › `SLACK_BOT_TOKEN` in the workspace `.env`;
//! * channel: `channel` — a raw id (`C…`/`G…`/`D…`, alphanumeric, no lower
//!   case) or a logical name looked up in the `channels` table of the config
//!   (`[notifiers.slack.channels] ops = "C0…"`, a port extension);
//! * API base: `api_base` › `$DOS_SLACK_API_BASE` › `DOS_SLACK_API_BASE` in
//!   `.env` › `https://slack.com/api` (a port extension, for local servers);
//! * `timeout` seconds (default 10, floor 0.1).
//!
//! The token never appears in a detail: every detail is scrubbed.
//!
//! A `cdylib` loaded by the `dos` plugin host: it depends on `dos-plugin-api`
//! only, never on the host crates (`dos-core`, `dos-plugin-host`, `dos`).

use dos_plugin_api::pyjson::{self, Style};
use dos_plugin_api::pystr::cut;
use dos_plugin_api::{
    config, dotenv, DriverConfig, Notification, Notifier, NotifyResult, PluginError, Registry, Severity,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use dos_plugin_api::http;
pub mod refs;

use refs::{LiveRef, RefStore};

/// Slack caps a section's `fields` at 10.
pub const MAX_FIELDS: usize = 10;

/// The summary is cut to this many code points inside its code fence.
pub const MAX_SUMMARY: usize = 2800;

/// The header text is cut to this many code points.
pub const MAX_HEADER: usize = 150;

/// The API base used when none is configured.
pub const DEFAULT_API_BASE: &str = "https://slack.com/api";

/// The process environment variable (and `.env` key) overriding the API base.
pub const API_BASE_KEY: &str = "DOS_SLACK_API_BASE";

/// The process environment variable (and `.env` key) holding the bot token.
pub const TOKEN_KEY: &str = "SLACK_BOT_TOKEN";

/// The edit-in-place key used when a notification has none.
pub const DEFAULT_KEY: &str = "dos-notify";

/// The detail when no token resolved.
pub const NO_TOKEN_DETAIL: &str = "no SLACK_BOT_TOKEN (set it in env or the workspace .env)";

/// The `User-Agent` sent to Slack.
pub const USER_AGENT: &str = "dos-notify/slack";

/// The default request timeout in seconds.
pub const DEFAULT_TIMEOUT_SECS: f64 = 10.0;

/// The header emoji for a severity.
pub fn severity_emoji(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => ":large_blue_circle:",
        Severity::Warn => ":large_yellow_circle:",
        Severity::Urgent => ":red_circle:",
    }
}

/// A link button's label is cut to this many code points (Slack's limit).
const MAX_BUTTON_LABEL: usize = 75;

/// The reference's `build_blocks`: a header (severity emoji + title, cut to
/// 150), a section of at most 10 `*label*\nvalue` fields (only when there
/// are fields), the summary in a code fence cut to 2800 (only when there is
/// a summary), 0.30's link button (only when the action has a URL), and a
/// context line naming source and severity (and 0.30's `open: \`<command>\``).
pub fn build_blocks(note: &Notification) -> Value {
    let head = format!("{} {}", severity_emoji(note.severity), note.title);
    let mut blocks = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": cut(head.trim(), MAX_HEADER), "emoji": true}
    })];
    if !note.fields.is_empty() {
        let fields: Vec<Value> = note
            .fields
            .iter()
            .take(MAX_FIELDS)
            .map(|(label, value)| json!({"type": "mrkdwn", "text": format!("*{label}*\n{value}")}))
            .collect();
        blocks.push(json!({"type": "section", "fields": fields}));
    }
    if !note.summary.is_empty() {
        let body = cut(&note.summary, MAX_SUMMARY);
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": format!("```\n{body}\n```")}
        }));
    }
    // 0.30: a link button only when the action has a URL; its command joins
    // the context line.
    let action = note.action.as_ref();
    if let Some(a) = action.filter(|a| !a.url.is_empty()) {
        let label = if a.label.is_empty() {
            "open"
        } else {
            a.label.as_str()
        };
        blocks.push(json!({
            "type": "actions",
            "elements": [{
                "type": "button",
                "text": {"type": "plain_text", "text": cut(label, MAX_BUTTON_LABEL), "emoji": true},
                "url": a.url
            }]
        }));
    }
    let source = if note.source.is_empty() {
        "?"
    } else {
        note.source.as_str()
    };
    let mut ctx = format!(
        "dos notify · source=`{source}` · severity=`{}`",
        note.severity.token()
    );
    if let Some(a) = action.filter(|a| !a.command.is_empty()) {
        ctx = format!("{ctx} · open: `{}`", a.command);
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": ctx}]
    }));
    Value::Array(blocks)
}

/// The text a live (edit-in-place) message carries: the title, then
/// `"\n" + summary` when there is one.
pub fn live_text(note: &Notification) -> String {
    if note.summary.is_empty() {
        note.title.clone()
    } else {
        format!("{}\n{}", note.title, note.summary)
    }
}

/// The edit-in-place key of a notification (`dos-notify` when empty).
pub fn live_key(note: &Notification) -> &str {
    if note.key.is_empty() {
        DEFAULT_KEY
    } else {
        note.key.as_str()
    }
}

/// Whether to edit in place: the explicit setting, else iff the source is `top`.
pub fn wants_edit(explicit: Option<bool>, note: &Notification) -> bool {
    explicit.unwrap_or(note.source == "top")
}

/// The reference's raw-id heuristic: first char `C`, `G` or `D`, every char
/// alphanumeric, none lower-case.
pub fn is_raw_channel_id(channel: &str) -> bool {
    matches!(channel.chars().next(), Some('C' | 'G' | 'D'))
        && channel.chars().all(|c| c.is_alphanumeric() && !c.is_lowercase())
}

/// A channel argument → its id: stripped; empty → none; a raw id passes
/// through; otherwise a logical name looked up in `channels`.
pub fn resolve_channel(arg: &str, channels: &HashMap<String, String>) -> Option<String> {
    let channel = arg.trim();
    if channel.is_empty() {
        return None;
    }
    if is_raw_channel_id(channel) {
        return Some(channel.to_string());
    }
    channels
        .get(channel)
        .map(|id| id.trim())
        .filter(|id| !id.is_empty())
        .map(str::to_string)
}

/// The detail when the channel did not resolve (the argument in Python repr).
pub fn no_channel_detail(arg: &str) -> String {
    format!(
        "no channel (got {}; name not in slack_config.json or not a raw id)",
        http::py_repr(arg)
    )
}

/// The dry-run detail.
pub fn dry_run_detail(edit: bool, channel: &str, note: &Notification) -> String {
    let how = if edit { "edit-in-place" } else { "post" };
    format!(
        "[dry-run] would {how} to {channel} ({}: {})",
        note.severity.token(),
        note.title
    )
}

pub use dos_plugin_api::dotenv::resolve_setting;

/// The effective timeout: default 10 s, NaN and values below 0.1 s become
/// 0.1 s, values above a day become a day.
pub fn effective_timeout(configured: Option<f64>) -> Duration {
    let secs = match configured {
        None => DEFAULT_TIMEOUT_SECS,
        Some(v) if v.is_nan() => 0.1,
        Some(v) => v.clamp(0.1, 86_400.0),
    };
    Duration::try_from_secs_f64(secs).unwrap_or(Duration::from_secs(10))
}

/// Why a Slack Web API call did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    /// Slack's machine error code (`message_not_found`, `ratelimited`, …), when it gave one.
    pub error: Option<String>,
    /// A one-line description (without the `error: ` prefix).
    pub detail: String,
}

/// Interpret one Web API answer: `Ok(ts)` (possibly empty) when Slack said
/// `"ok": true`; otherwise why not. A 429 names its `Retry-After`; an
/// `"ok": false` names Slack's error code; other statuses name the status.
pub fn interpret_api(
    method: &str,
    status: u16,
    retry_after: Option<&str>,
    body: &str,
) -> Result<String, ApiFailure> {
    if status == 429 {
        let wait = match retry_after.map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) if v.chars().all(|c| c.is_ascii_digit()) => format!("retry after {v}s"),
            Some(v) => format!("retry after {v}"),
            None => "no Retry-After given".to_string(),
        };
        return Err(ApiFailure {
            error: Some("ratelimited".into()),
            detail: format!("slack rate-limited {method} (HTTP 429); {wait}"),
        });
    }
    let parsed: Option<Map<String, Value>> = match serde_json::from_str(body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    };
    let status_note = if (200..300).contains(&status) {
        String::new()
    } else {
        format!(" (HTTP {status})")
    };
    match parsed {
        Some(map) if map.get("ok") == Some(&Value::Bool(true)) && (200..300).contains(&status) => Ok(map
            .get("ts")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()),
        Some(map) if map.get("ok") == Some(&Value::Bool(false)) => {
            let code = map
                .get("error")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .unwrap_or("unknown_error")
                .to_string();
            let needed = map
                .get("needed")
                .and_then(Value::as_str)
                .map(|n| format!(" (needed: {n})"))
                .unwrap_or_default();
            Err(ApiFailure {
                detail: format!("slack {method} failed: {code}{needed}{status_note}"),
                error: Some(code),
            })
        }
        _ if !(200..300).contains(&status) => Err(ApiFailure {
            error: None,
            detail: format!("slack {method} HTTP {status}: {}", http::reason_phrase(status)),
        }),
        _ => Err(ApiFailure {
            error: None,
            detail: format!("slack {method} answered HTTP {status} without a JSON object saying ok"),
        }),
    }
}

/// Replace every occurrence of a secret in `text` with `***`.
pub fn scrub(text: &str, secret: &str) -> String {
    if secret.len() >= 3 {
        text.replace(secret, "***")
    } else {
        text.to_string()
    }
}

fn result(delivered: bool, detail: impl Into<String>, reference: impl Into<String>) -> NotifyResult {
    NotifyResult {
        delivered,
        detail: detail.into(),
        reference: reference.into(),
    }
}

/// A Web API client for one send: base URL, token, timeout.
struct Api<'a> {
    base: &'a str,
    token: &'a str,
    timeout: Duration,
}

impl Api<'_> {
    fn call(&self, method: &str, body: &Value) -> Result<String, ApiFailure> {
        let url = format!("{}/{method}", self.base.trim_end_matches('/'));
        let headers = [
            ("Authorization".to_string(), format!("Bearer {}", self.token)),
            (
                "Content-Type".to_string(),
                "application/json; charset=utf-8".to_string(),
            ),
            ("User-Agent".to_string(), USER_AGENT.to_string()),
        ];
        let text = pyjson::dumps(body, Style::DEFAULT);
        match http::post(&url, &headers, text.as_bytes(), self.timeout) {
            Ok(resp) => interpret_api(method, resp.status, resp.retry_after.as_deref(), &resp.body),
            Err(e) => Err(ApiFailure {
                error: None,
                detail: format!("slack {method}: {}", http::describe_error(&e)),
            }),
        }
    }

    fn post_message(&self, channel: &str, text: &str, blocks: Option<Value>) -> Result<String, ApiFailure> {
        let mut body = Map::new();
        body.insert("channel".into(), Value::from(channel));
        body.insert("text".into(), Value::from(text));
        if let Some(blocks) = blocks {
            body.insert("blocks".into(), blocks);
        }
        self.call("chat.postMessage", &Value::Object(body))
    }

    fn update_message(&self, channel: &str, ts: &str, text: &str) -> Result<String, ApiFailure> {
        let mut body = Map::new();
        body.insert("channel".into(), Value::from(channel));
        body.insert("ts".into(), Value::from(ts));
        body.insert("text".into(), Value::from(text));
        self.call("chat.update", &Value::Object(body))
    }
}

/// How a notifier reads its process environment (injectable for tests).
type EnvLookup = Box<dyn Fn(&str) -> Option<String> + Send>;

/// Read the process environment.
fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// A boolean setting: a JSON bool, or a string `true`/`false`/`yes`/`no`/`1`/`0`.
/// `edit_in_place`: a boolean, or a switch word (`yes`/`no`, `on`/`off`,
/// `true`/`false`, `1`/`0`); anything else is an error.
fn switch<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    use serde::de::Error;
    let v = Value::deserialize(d)?;
    match &v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "on" => Ok(Some(true)),
            "false" | "no" | "0" | "off" => Ok(Some(false)),
            _ => Err(D::Error::custom(format!(
                "expected a boolean, found {}",
                config::describe(&v)
            ))),
        },
        _ => Err(D::Error::custom(format!(
            "expected a boolean, found {}",
            config::describe(&v)
        ))),
    }
}

/// The driver's table (`[notifiers.slack]`) with the CLI's `--channel`,
/// `--token`, `--dry-run` and the host's `root` and `state_dir`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct SlackConfig {
    /// A raw channel id or a logical name from `channels`.
    #[serde(default)]
    pub channel: Option<String>,
    /// Logical channel name → id, in order.
    #[serde(default, deserialize_with = "config::string_pairs")]
    pub channels: Vec<(String, String)>,
    /// The bot token; `""` counts as unset.
    #[serde(default, deserialize_with = "config::non_empty")]
    pub token: Option<String>,
    /// The Web API base URL (tests point it at a local server).
    #[serde(default, deserialize_with = "config::non_empty")]
    pub api_base: Option<String>,
    /// Edit the previous message in place (unset: decided by the source).
    #[serde(default, deserialize_with = "switch")]
    pub edit_in_place: Option<bool>,
    /// Seconds; read as Python's `float()` does.
    #[serde(default, deserialize_with = "config::py_float_opt")]
    pub timeout: Option<f64>,
    /// The workspace root (host-added).
    #[serde(default, deserialize_with = "config::non_empty")]
    pub root: Option<String>,
    /// The state directory (host-added).
    #[serde(default, deserialize_with = "config::non_empty")]
    pub state_dir: Option<String>,
    /// Build the message, send nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// The `slack` notifier, configured once per command.
pub struct SlackNotifier {
    root: PathBuf,
    state_dir: PathBuf,
    channel: String,
    channels: HashMap<String, String>,
    token: Option<String>,
    api_base: Option<String>,
    dry_run: bool,
    edit_in_place: Option<bool>,
    timeout: Duration,
    env: EnvLookup,
}

impl SlackNotifier {
    /// Build from the driver configuration (`channel`, `channels`, `token`,
    /// `api_base`, `edit_in_place`, `timeout`, `root`, `state_dir`,
    /// `dry_run`), reading the real process environment.
    pub fn new(cfg: &DriverConfig) -> Result<Self, PluginError> {
        Self::with_env(cfg, process_env)
    }

    /// Build with an injected environment lookup (tests use a fixed map).
    pub fn with_env(
        cfg: &DriverConfig,
        env: impl Fn(&str) -> Option<String> + Send + 'static,
    ) -> Result<Self, PluginError> {
        let c: SlackConfig = cfg.parse()?;
        let root = PathBuf::from(c.root.as_deref().unwrap_or("."));
        let state_dir = c
            .state_dir
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(".dos"));
        Ok(SlackNotifier {
            state_dir,
            channel: c.channel.unwrap_or_default(),
            channels: c.channels.into_iter().collect(),
            token: c.token,
            api_base: c.api_base,
            dry_run: c.dry_run,
            edit_in_place: c.edit_in_place,
            timeout: effective_timeout(c.timeout),
            env: Box::new(env),
            root,
        })
    }

    /// The file the edit-in-place references live in.
    pub fn refs_path(&self) -> PathBuf {
        refs::path_in(&self.state_dir)
    }

    fn resolve(&self, explicit: Option<&str>, key: &str) -> Result<Option<String>, dotenv::DotenvError> {
        let root: &Path = &self.root;
        resolve_setting(explicit, key, &*self.env, &|| dotenv::load(root))
    }

    fn deliver(&self, note: &Notification) -> NotifyResult {
        let Some(channel) = resolve_channel(&self.channel, &self.channels) else {
            return result(false, no_channel_detail(&self.channel), "");
        };
        let edit = wants_edit(self.edit_in_place, note);
        if self.dry_run {
            return result(false, dry_run_detail(edit, &channel, note), "");
        }
        let token = match self.resolve(self.token.as_deref(), TOKEN_KEY) {
            Ok(Some(t)) => t,
            Ok(None) => return result(false, NO_TOKEN_DETAIL, ""),
            Err(e) => return result(false, format!("error: {e}"), ""),
        };
        let base = match self.resolve(self.api_base.as_deref(), API_BASE_KEY) {
            Ok(b) => b.unwrap_or_else(|| DEFAULT_API_BASE.to_string()),
            Err(e) => return result(false, scrub(&format!("error: {e}"), &token), ""),
        };
        let api = Api {
            base: &base,
            token: &token,
            timeout: self.timeout,
        };
        let outcome = if edit {
            self.send_edit(&api, &channel, note)
        } else {
            send_post(&api, &channel, note)
        };
        NotifyResult {
            detail: scrub(&outcome.detail, &token),
            ..outcome
        }
    }

    fn send_edit(&self, api: &Api<'_>, channel: &str, note: &Notification) -> NotifyResult {
        let key = live_key(note);
        let text = live_text(note);
        let path = self.refs_path();
        let mut store = RefStore::load(&path);
        let known = store
            .get(key)
            .filter(|r| r.channel == channel && !r.ts.is_empty())
            .cloned();
        let mut note_prefix = "";
        if let Some(known) = known {
            if known.text == text {
                return result(true, "edited", known.ts);
            }
            match api.update_message(channel, &known.ts, &text) {
                Ok(_) => {
                    store.set(
                        key,
                        LiveRef {
                            channel: channel.to_string(),
                            ts: known.ts.clone(),
                            text,
                        },
                    );
                    return saved(store.save(&path), "edited".into(), known.ts);
                }
                Err(f) if f.error.as_deref() == Some("message_not_found") => {
                    note_prefix = "the previous message was gone; ";
                }
                Err(f) => return result(false, format!("error: {}", f.detail), ""),
            }
        }
        match api.post_message(channel, &text, None) {
            Ok(ts) if ts.is_empty() => result(true, "edit queued", ""),
            Ok(ts) => {
                store.set(
                    key,
                    LiveRef {
                        channel: channel.to_string(),
                        ts: ts.clone(),
                        text,
                    },
                );
                let detail = if note_prefix.is_empty() {
                    "edited".to_string()
                } else {
                    format!("edited ({note_prefix}posted a new one)")
                };
                saved(store.save(&path), detail, ts)
            }
            Err(f) => result(false, format!("error: {}", f.detail), ""),
        }
    }
}

/// A delivered result, noting when the reference could not be persisted.
fn saved(outcome: Result<(), String>, detail: String, ts: String) -> NotifyResult {
    match outcome {
        Ok(()) => result(true, detail, ts),
        Err(e) => result(true, format!("{detail} (message reference not saved: {e})"), ts),
    }
}

fn send_post(api: &Api<'_>, channel: &str, note: &Notification) -> NotifyResult {
    match api.post_message(channel, &note.title, Some(build_blocks(note))) {
        Ok(ts) => result(true, format!("posted ts={ts}"), ts),
        Err(f) => result(false, format!("error: {}", f.detail), ""),
    }
}

impl Notifier for SlackNotifier {
    fn send(&mut self, notification: &Notification) -> Result<NotifyResult, PluginError> {
        Ok(self.deliver(notification))
    }
}

fn register(r: &mut Registry) {
    r.notifier("slack", SlackNotifier::new);
}

dos_plugin_api::export_plugin!(name: "dos-notify-slack", version: env!("CARGO_PKG_VERSION"), register: register);

#[cfg(test)]
mod tests;
