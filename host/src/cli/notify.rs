//! `dos notify {decisions,top}`: push a read-only projection to a notifier.

use super::decisions::WorkspaceFlags;
use super::CliError;
use crate::decisions::collect;
use crate::decisions::render::render_list_plain;
use crate::notify::{self, top};
use crate::plugin_host::PluginHost;
use dos_py::dumps::{dumps, Style};
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::time::Duration;

/// The per-call deadline for a notifier when `[plugins] call_timeout_ms` is
/// not set: longer than a transport's own 10 s timeout, so the transport's
/// outcome (`error: timed out`) is what the operator sees.
pub(crate) const NOTIFY_CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Flags every `dos notify` surface takes.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct NotifyCommon {
    #[command(flatten)]
    /// Workspace selection.
    pub ws: WorkspaceFlags,
    /// Transport: built-in `null` (render only, default) or a notifier plugin (`webhook`, `slack`).
    #[arg(long, visible_alias = "to", value_name = "NAME", default_value = "null")]
    pub notifier: String,
    /// Target channel for `slack`: a raw id (C0…) or a configured name.
    #[arg(long, value_name = "NAME|ID", default_value = "")]
    pub channel: String,
    /// Endpoint for `webhook` (else $DOS_WEBHOOK_URL, `[notifiers.webhook] url`, or the workspace .env).
    #[arg(long, value_name = "URL", default_value = "")]
    pub url: String,
    /// Bearer token (webhook: else $DOS_WEBHOOK_TOKEN / .env; slack: else $SLACK_BOT_TOKEN / .env).
    #[arg(long, value_name = "SECRET", default_value = "")]
    pub token: String,
    /// Render and report what would be sent; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print `{notification, result, notifier}` as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The surfaces of `dos notify`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum NotifySurface {
    /// Push the operator-decision queue (its top decisions as fields).
    Decisions {
        #[command(flatten)]
        /// Shared flags.
        common: NotifyCommon,
        /// Include ORACLE/JUDGE/BACKPRESSURE-routed rows (default: HUMAN only).
        #[arg(long)]
        all: bool,
        /// How many top-ranked decisions become fields (negative = 0).
        #[arg(long, value_name = "K", default_value_t = 5, allow_negative_numbers = true)]
        top: i64,
    },
    /// Push the live fleet status (lanes, recent verdicts); slack edits it in place.
    Top {
        #[command(flatten)]
        /// Shared flags.
        common: NotifyCommon,
    },
}

/// Arguments of `dos notify`.
#[derive(Debug, clap::Args)]
pub(crate) struct NotifyArgs {
    /// Which projection to send.
    #[command(subcommand)]
    pub surface: NotifySurface,
}

/// The option bag handed to a notifier: the transport flags that were given,
/// plus `dry_run` (the host adds `root` and `state_dir`).
pub(crate) fn option_bag(c: &NotifyCommon) -> Map<String, Value> {
    let mut bag = Map::new();
    for (key, value) in [("url", &c.url), ("token", &c.token), ("channel", &c.channel)] {
        if !value.is_empty() {
            bag.insert(key.into(), Value::String(value.clone()));
        }
    }
    bag.insert("dry_run".into(), Value::Bool(c.dry_run));
    bag
}

/// Run `dos notify`.
pub(crate) fn run(top_ws: Option<&PathBuf>, args: &NotifyArgs) -> Result<i32, CliError> {
    let common = match &args.surface {
        NotifySurface::Decisions { common, .. } | NotifySurface::Top { common } => common,
    };
    let (ws, cfg) = common.ws.queue_config(top_ws)?;
    let now = dos_py::time::now_micros();
    let note = match &args.surface {
        NotifySurface::Decisions { all, top, .. } => {
            let rows = collect(&cfg, if *all { None } else { Some("HUMAN") }, now);
            notify::notification_for_decisions(&rows, render_list_plain(&rows), *top)
        }
        NotifySurface::Top { .. } => {
            let frame = top::snapshot(&cfg, now);
            let summary = top::render_frame_text(&frame);
            notify::notification_for_top(&frame, summary)
        }
    };
    let mut host = PluginHost::for_workspace(&ws, true)?;
    if ws.config.uint("plugins", "call_timeout_ms")?.is_none() {
        host.set_call_timeout(Some(NOTIFY_CALL_TIMEOUT));
    }
    let name = common.notifier.as_str();
    let bag = if name == "null" {
        Map::new()
    } else {
        option_bag(common)
    };
    let mut note = note;
    note.action = notify::action_for_source(&note.source, &ws.root.to_string_lossy());
    let mut notifier = host.notifier(name, &bag)?;
    let result = notifier.send(&note);
    if common.json {
        println!(
            "{}",
            dumps(&notify::report_json(&note, &result, name), Style::PRETTY)
        );
    } else {
        print!("{}", notify::report_text(&note, &result, name));
    }
    Ok(if notify::send_failed(&result, name, common.dry_run) {
        1
    } else {
        0
    })
}
