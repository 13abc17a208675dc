//! A minimal `dos top` snapshot for `dos notify top`: lane chips from the lane
//! journal (leases replayed, liveness classified on the heartbeat/event rung),
//! the newest verdict envelopes and the latest git commits, plus the plain
//! screen text the notification carries as its summary. Read-only.
//!
//! Not covered (documented limits): the ship-oracle trust chip of a verdict
//! row is always blank here (no oracle is consulted).

use crate::decisions::classify::dynamic_lane_handle;
use crate::decisions::journal_read::{self, text_or_empty, Entry};
use crate::decisions::rows::cut;
use crate::decisions::sources::{envelope_files, QueueConfig};
use dos_py::text::py_strip;
use dos_py::time::{parse_iso, utc_iso_seconds, Micros};
use dos_py::value::truthy_opt as truthy;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Chip of a held lane whose run is moving.
pub(crate) const CHIP_ADVANCING: &str = "🟢 ADVANCING";
/// Chip of a held lane alive but not moving.
pub(crate) const CHIP_SPINNING: &str = "🟡 SPINNING";
/// Chip of a held lane with no fresh heartbeat.
pub(crate) const CHIP_STALLED: &str = "🔴 STALLED";
/// Chip of a lane with a recent `SPAWN` and no lease yet.
pub(crate) const CHIP_SPAWNING: &str = "🔵 SPAWNING";
/// Chip of a lane with no lease.
pub(crate) const CHIP_FREE: &str = "⚪ FREE";

/// A `SPAWN` intent older than this no longer marks its lane SPAWNING.
pub(crate) const SPAWN_TTL_MS: i64 = 120_000;
/// Liveness grace: a run younger than this is never SPINNING.
pub(crate) const GRACE_MS: i64 = 30 * 60 * 1000;
/// Liveness spin window: a heartbeat older than this means STALLED.
pub(crate) const SPIN_MS: i64 = 15 * 60 * 1000;
/// Width of the screen frame, in code points.
pub(crate) const WIDTH: usize = 78;

/// One lane row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LaneState {
    /// The lane.
    pub lane: String,
    /// One of the `CHIP_*` constants.
    pub chip: &'static str,
    /// The holding loop's ts, when held.
    pub loop_ts: String,
    /// The holder, when held or spawning.
    pub holder: String,
    /// Heartbeat (or spawn) age in ms.
    pub heartbeat_age_ms: Option<i64>,
    /// Whether the lane is exclusive.
    pub is_exclusive: bool,
}

/// One recent verdict envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VerdictRow {
    /// The envelope tag (file name between `.verdict-` and `.json`).
    pub tag: String,
    /// The lane handle.
    pub lane: String,
    /// The verdict token.
    pub verdict: String,
    /// The reason token, upper-cased.
    pub reason_token: String,
    /// `PLAN PHASE` of the lead pick.
    pub pick: String,
    /// Age in ms.
    pub age_ms: Option<i64>,
}

/// One recent commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Commit {
    /// Full sha.
    pub sha: String,
    /// Subject line.
    pub subject: String,
}

/// One frozen moment of the fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    /// The workspace root.
    pub workspace: String,
    /// `now` as ISO seconds with `+00:00`.
    pub now_iso: String,
    /// Lane rows in display order.
    pub lanes: Vec<LaneState>,
    /// Newest verdicts first.
    pub verdicts: Vec<VerdictRow>,
    /// Newest commits first.
    pub activity: Vec<Commit>,
    /// Whether `dos.toml` exists.
    pub initialized: bool,
}

fn age_ms(stamp: &str, now: Micros) -> Option<i64> {
    if stamp.is_empty() {
        return None;
    }
    parse_iso(stamp).map(|t| ((now - t) / 1000).max(0))
}

/// The live leases after replaying the journal, in first-insertion order.
pub(crate) fn replay(entries: &[Entry]) -> Vec<Map<String, Value>> {
    const REBUILD: [&str; 11] = [
        "lane",
        "lane_kind",
        "tree",
        "loop_ts",
        "host_id",
        "pid",
        "acquired_at",
        "heartbeat_at",
        "ttl_minutes",
        "holder",
        "run_id",
    ];
    let mut live: Vec<((String, String), Map<String, Value>)> = Vec::new();
    let identity = |e: &Map<String, Value>| (text_or_empty(e.get("loop_ts")), text_or_empty(e.get("lane")));
    for e in entries {
        let op = e.get("op").and_then(Value::as_str).unwrap_or("");
        if op == "CHECKPOINT" {
            live.clear();
            if let Some(Value::Array(leases)) = e.get("leases") {
                for l in leases.iter().filter_map(Value::as_object) {
                    let id = identity(l);
                    if id.0.is_empty() && id.1.is_empty() {
                        continue;
                    }
                    match live.iter_mut().find(|(k, _)| *k == id) {
                        Some(slot) => slot.1 = l.clone(),
                        None => live.push((id, l.clone())),
                    }
                }
            }
            continue;
        }
        let id = identity(e);
        if id.0.is_empty() && id.1.is_empty() {
            continue;
        }
        let pos = live.iter().position(|(k, _)| *k == id);
        match op {
            "ACQUIRE" | "RECONCILE" => {
                let lease = match e.get("lease") {
                    Some(Value::Object(l)) => l.clone(),
                    _ => REBUILD
                        .iter()
                        .filter_map(|k| e.get(*k).map(|v| (k.to_string(), v.clone())))
                        .collect(),
                };
                match pos {
                    Some(i) => live[i].1 = lease,
                    None => live.push((id, lease)),
                }
            }
            "RELEASE" | "SCAVENGE" => {
                if let Some(i) = pos {
                    live.remove(i);
                }
            }
            "HEARTBEAT" | "ADOPT" => {
                let Some(i) = pos else { continue };
                let beat = if truthy(e.get("heartbeat_at")) {
                    e.get("heartbeat_at")
                } else {
                    e.get("ts")
                };
                if op == "ADOPT" {
                    for k in ["holder", "pid", "host_id"] {
                        if let Some(v) = e.get(k).filter(|v| !v.is_null()) {
                            live[i].1.insert(k.into(), v.clone());
                        }
                    }
                    live[i]
                        .1
                        .insert("heartbeat_at".into(), beat.cloned().unwrap_or(Value::Null));
                } else if truthy(beat) {
                    live[i]
                        .1
                        .insert("heartbeat_at".into(), beat.cloned().unwrap_or(Value::Null));
                }
            }
            _ => {}
        }
    }
    live.into_iter().map(|(_, l)| l).collect()
}

/// Forward lease-layer events per held lane, excluding each lane's first ACQUIRE.
fn events_by_lane(entries: &[Entry], held: &HashMap<String, Map<String, Value>>) -> HashMap<String, i64> {
    let mut out = HashMap::new();
    let mut born: HashSet<String> = HashSet::new();
    for e in entries {
        let op = text_or_empty(e.get("op"));
        if !matches!(op.as_str(), "ACQUIRE" | "RELEASE" | "SCAVENGE" | "RECONCILE") {
            continue;
        }
        let lane = text_or_empty(e.get("lane"));
        if lane.is_empty() || !held.contains_key(&lane) {
            continue;
        }
        if op == "ACQUIRE" && born.insert(lane.clone()) {
            continue;
        }
        *out.entry(lane).or_insert(0) += 1;
    }
    out
}

/// The liveness chip of a held lease (heartbeat/event rung; commits = 0).
pub(crate) fn lease_chip(lease: &Map<String, Value>, events: i64, now: Micros) -> &'static str {
    let run_age = age_ms(&text_or_empty(lease.get("acquired_at")), now).unwrap_or(0);
    let beat = if truthy(lease.get("heartbeat_at")) {
        lease.get("heartbeat_at")
    } else {
        lease.get("acquired_at")
    };
    let hb = age_ms(&text_or_empty(beat), now);
    classify(events, hb, run_age)
}

/// The liveness ladder (pure).
pub(crate) fn classify(events: i64, heartbeat_age_ms: Option<i64>, run_age_ms: i64) -> &'static str {
    if events >= 1 {
        return CHIP_ADVANCING;
    }
    match heartbeat_age_ms {
        Some(hb) if hb <= SPIN_MS && run_age_ms < GRACE_MS => CHIP_ADVANCING,
        Some(hb) if hb <= SPIN_MS => CHIP_SPINNING,
        _ => CHIP_STALLED,
    }
}

/// The lane rows: the roster, then held lanes outside it, then spawning ones.
pub(crate) fn lane_states(cfg: &QueueConfig, entries: &[Entry], now: Micros) -> Vec<LaneState> {
    let leases = replay(entries);
    let mut held: HashMap<String, Map<String, Value>> = HashMap::new();
    let mut held_order: Vec<String> = Vec::new();
    for l in leases {
        let lane = text_or_empty(l.get("lane"));
        if !held.contains_key(&lane) {
            held_order.push(lane.clone());
        }
        held.insert(lane, l);
    }
    let events = events_by_lane(entries, &held);
    let mut spawning: Vec<(String, String, Option<i64>)> = Vec::new();
    for e in entries {
        if text_or_empty(e.get("op")) != "SPAWN" {
            continue;
        }
        let lane = text_or_empty(e.get("lane"));
        if lane.is_empty() || held.contains_key(&lane) {
            continue;
        }
        let ts = ["ts", "heartbeat_at", "acquired_at"]
            .iter()
            .map(|k| text_or_empty(e.get(*k)))
            .find(|s| !s.is_empty())
            .unwrap_or_default();
        let entry = (lane.clone(), text_or_empty(e.get("holder")), age_ms(&ts, now));
        match spawning.iter_mut().find(|(l, _, _)| *l == lane) {
            Some(slot) => *slot = entry,
            None => spawning.push(entry),
        }
    }
    spawning.retain(|(_, _, age)| !age.is_some_and(|a| a > SPAWN_TTL_MS));

    let mut roster: Vec<String> = Vec::new();
    for lane in cfg.lanes_concurrent.iter().chain(&cfg.lanes_exclusive) {
        if !lane.is_empty() && !roster.contains(lane) {
            roster.push(lane.clone());
        }
    }
    let state = |lane: &str| -> LaneState {
        let is_exclusive = cfg.lanes_exclusive.iter().any(|x| x == lane);
        if let Some(lease) = held.get(lane) {
            let chip = lease_chip(lease, *events.get(lane).unwrap_or(&0), now);
            let beat = if truthy(lease.get("heartbeat_at")) {
                lease.get("heartbeat_at")
            } else {
                lease.get("acquired_at")
            };
            return LaneState {
                lane: lane.into(),
                chip,
                loop_ts: text_or_empty(lease.get("loop_ts")),
                holder: text_or_empty(lease.get("holder")),
                heartbeat_age_ms: age_ms(&text_or_empty(beat), now),
                is_exclusive,
            };
        }
        if let Some((_, holder, age)) = spawning.iter().find(|(l, _, _)| l == lane) {
            return LaneState {
                lane: lane.into(),
                chip: CHIP_SPAWNING,
                loop_ts: String::new(),
                holder: holder.clone(),
                heartbeat_age_ms: *age,
                is_exclusive,
            };
        }
        LaneState {
            lane: lane.into(),
            chip: CHIP_FREE,
            loop_ts: String::new(),
            holder: String::new(),
            heartbeat_age_ms: None,
            is_exclusive,
        }
    };
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    let extra_held = held_order.iter().filter(|l| !l.is_empty());
    let extra_spawn = spawning.iter().map(|(l, _, _)| l);
    for lane in roster.iter().chain(extra_held).chain(extra_spawn) {
        if seen.insert(lane.clone()) {
            out.push(state(lane));
        }
    }
    out
}

fn envelope_lane(env: &Map<String, Value>) -> String {
    match env.get("scope") {
        Some(Value::Object(s)) => {
            let v = if truthy(s.get("lane")) {
                s.get("lane")
            } else {
                s.get("label")
            };
            dynamic_lane_handle(&text_or_empty(v))
        }
        Some(Value::String(s)) => dynamic_lane_handle(s),
        _ => dynamic_lane_handle(&text_or_empty(env.get("lane"))),
    }
}

fn lead_pick(env: &Map<String, Value>) -> String {
    for key in ["picks", "intended_picks"] {
        if let Some(Value::Array(picks)) = env.get(key) {
            for p in picks.iter().filter_map(Value::as_object) {
                let plan = py_strip(&text_or_empty(p.get("plan_id"))).to_string();
                let phase = py_strip(&text_or_empty(p.get("phase_id"))).to_string();
                if !plan.is_empty() {
                    return py_strip(&format!("{plan} {phase}")).to_string();
                }
            }
        }
    }
    String::new()
}

/// One envelope as a display row (pure).
pub(crate) fn verdict_row(env: &Map<String, Value>, tag: &str, now: Micros) -> VerdictRow {
    let mut verdict = py_strip(&text_or_empty(env.get("verdict"))).to_uppercase();
    if verdict.is_empty() {
        verdict = if truthy(env.get("all_clear")) && !truthy(env.get("blocked")) {
            "ACCEPT".into()
        } else if truthy(env.get("blocked")) {
            "WEDGE".into()
        } else {
            "UNKNOWN".into()
        };
    }
    let stamp = ["generated_at", "ts"]
        .iter()
        .map(|k| text_or_empty(env.get(*k)))
        .find(|s| !s.is_empty())
        .unwrap_or_default();
    VerdictRow {
        tag: tag.into(),
        lane: envelope_lane(env),
        verdict,
        reason_token: py_strip(&text_or_empty(env.get("reason_class"))).to_uppercase(),
        pick: lead_pick(env),
        age_ms: age_ms(&stamp, now),
    }
}

fn read_verdicts(dir: &Path, limit: usize, now: Micros) -> Vec<VerdictRow> {
    let mut out = Vec::new();
    for path in envelope_files(dir).into_iter().rev() {
        if out.len() >= limit {
            break;
        }
        let Ok(bytes) = std::fs::read(&path) else { continue };
        let Ok(Value::Object(env)) = serde_json::from_str::<Value>(&String::from_utf8_lossy(&bytes)) else {
            continue;
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tag = name
            .strip_prefix(".verdict-")
            .and_then(|n| n.strip_suffix(".json"))
            .unwrap_or("");
        out.push(verdict_row(&env, tag, now));
    }
    out
}

/// The latest `limit` commits of the git repository at `root` (empty when
/// git is unavailable or the directory is not a repository).
pub(crate) fn recent_commits(root: &Path, limit: usize) -> Vec<Commit> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["log", "-n", &limit.to_string(), "--format=%H%x1f%s"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter_map(|l| l.split_once('\u{1f}'))
            .map(|(sha, subject)| Commit {
                sha: sha.into(),
                subject: subject.into(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Read the sources and freeze one frame.
pub(crate) fn snapshot(cfg: &QueueConfig, now: Micros) -> Frame {
    let entries = journal_read::read_all(&cfg.lane_journal);
    Frame {
        workspace: cfg.root.display().to_string(),
        now_iso: utc_iso_seconds(now),
        lanes: lane_states(cfg, &entries, now),
        verdicts: read_verdicts(&cfg.envelopes, 12, now),
        activity: recent_commits(&cfg.root, 10),
        initialized: cfg.initialized,
    }
}

fn fmt_age_ms(age: Option<i64>) -> String {
    match age {
        None => "—".into(),
        Some(ms) => crate::decisions::render::fmt_age(Some(ms / 1000)),
    }
}

fn pad_right(s: &str, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(s.chars().count())))
}

fn pad_left(s: &str, width: usize) -> String {
    format!("{}{s}", " ".repeat(width.saturating_sub(s.chars().count())))
}

/// The whole screen as plain text (no trailing newline).
pub(crate) fn render_frame_text(f: &Frame) -> String {
    let head = format!("┌─ dos top · {} · {} ", f.workspace, f.now_iso);
    let fill = WIDTH.saturating_sub(head.chars().count());
    let mut out = vec![format!("{head}{}", "─".repeat(fill))];
    if !f.initialized {
        out.push("  (no dos.toml — showing generic main/global; `dos init` to declare lanes)".into());
    }
    out.push(String::new());
    out.push("LANES".into());
    if f.lanes.is_empty() {
        out.push("  (no lanes — declare [lanes] in dos.toml, or `dos init`)".into());
    }
    for s in &f.lanes {
        let mut bits = Vec::new();
        if !s.loop_ts.is_empty() {
            bits.push(format!("loop={}", s.loop_ts));
        }
        if s.heartbeat_age_ms.is_some() {
            let label = if s.chip == CHIP_SPAWNING { "spawn" } else { "hb" };
            bits.push(format!("{label} {}", fmt_age_ms(s.heartbeat_age_ms)));
        }
        if !s.holder.is_empty() {
            bits.push(s.holder.clone());
        }
        let marker = if s.is_exclusive { "*" } else { " " };
        let line = format!(
            "  {marker}{} {}  {}",
            pad_right(&s.lane, 13),
            pad_right(s.chip, 13),
            bits.join("  ")
        );
        out.push(line.trim_end().to_string());
    }
    let count = |chip: &str| f.lanes.iter().filter(|s| s.chip == chip).count();
    let mut tally = format!(
        "  {} lanes · {} advancing · {} spinning · {} stalled · ",
        f.lanes.len(),
        count(CHIP_ADVANCING),
        count(CHIP_SPINNING),
        count(CHIP_STALLED)
    );
    if count(CHIP_SPAWNING) > 0 {
        tally.push_str(&format!("{} spawning · ", count(CHIP_SPAWNING)));
    }
    tally.push_str(&format!("{} free", count(CHIP_FREE)));
    out.push(tally);
    out.push(String::new());
    out.push("RECENT VERDICTS        [trust = ship-oracle cross-check]".into());
    if f.verdicts.is_empty() {
        out.push("  (no verdicts yet)".into());
    }
    for r in f.verdicts.iter().take(12) {
        let reason = if r.reason_token.is_empty() {
            String::new()
        } else {
            format!("  {}", r.reason_token)
        };
        let line = format!(
            "  {}  {} {} {} {}{reason}",
            pad_left(&fmt_age_ms(r.age_ms), 4),
            pad_right(if r.lane.is_empty() { "-" } else { &r.lane }, 12),
            pad_right(&r.verdict, 8),
            pad_right(if r.pick.is_empty() { "-" } else { &r.pick }, 14),
            pad_right("", 10)
        );
        out.push(line.trim_end().to_string());
    }
    out.push(String::new());
    out.push("RECENT COMMITS        [ground truth — git history]".into());
    if f.activity.is_empty() {
        out.push("  (no commits — empty or non-git workspace)".into());
    }
    for c in f.activity.iter().take(10) {
        let line = format!("  {}  {}", pad_right(cut(&c.sha, 9), 9), c.subject);
        out.push(cut(&line, WIDTH + 2).to_string());
    }
    out.push("─".repeat(WIDTH));
    out.push("read-only · q quit · this screen mutates nothing".into());
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decisions::journal_read::parse_all;

    #[test]
    fn liveness_ladder() {
        let table = [
            (1, None, 0, CHIP_ADVANCING),
            (0, Some(SPIN_MS), GRACE_MS - 1, CHIP_ADVANCING),
            (0, Some(SPIN_MS), GRACE_MS, CHIP_SPINNING),
            (0, Some(SPIN_MS + 1), 0, CHIP_STALLED),
            (0, None, 0, CHIP_STALLED),
        ];
        for (events, hb, run, chip) in table {
            assert_eq!(classify(events, hb, run), chip, "{events} {hb:?} {run}");
        }
    }

    #[test]
    fn replay_and_lane_states() {
        let now = parse_iso("2026-01-01T12:00:00Z").unwrap();
        let journal = [
            r#"{"op":"ACQUIRE","lane":"main","loop_ts":"L1","lease":{"lane":"main","loop_ts":"L1","holder":"h:1","acquired_at":"2026-01-01T11:59:00Z"}}"#,
            r#"{"op":"ACQUIRE","lane":"side","loop_ts":"L2","holder":"h:2","acquired_at":"2026-01-01T10:00:00Z"}"#,
            r#"{"op":"HEARTBEAT","lane":"side","loop_ts":"L2","heartbeat_at":"2026-01-01T11:58:00Z"}"#,
            r#"{"op":"ACQUIRE","lane":"gone","loop_ts":"L3"}"#,
            r#"{"op":"RELEASE","lane":"gone","loop_ts":"L3"}"#,
            r#"{"op":"SPAWN","lane":"new","holder":"h:9","ts":"2026-01-01T11:59:30Z"}"#,
            r#"{"op":"SPAWN","lane":"old","ts":"2026-01-01T11:00:00Z"}"#,
        ]
        .join("\n");
        let entries = parse_all(&journal);
        let cfg_lanes = |c: &[&str], x: &[&str]| {
            (
                c.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                x.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            )
        };
        let (c, x) = cfg_lanes(&["main"], &["global"]);
        let cfg = QueueConfig {
            root: "/w".into(),
            lane_journal: "/w/j".into(),
            envelopes: "/w/v".into(),
            soaks_index: "/w/s".into(),
            reasons: Default::default(),
            max_age_seconds: None,
            warnings: vec![],
            initialized: true,
            lanes_concurrent: c,
            lanes_exclusive: x,
        };
        let states = lane_states(&cfg, &entries, now);
        let got: Vec<(&str, &str)> = states.iter().map(|s| (s.lane.as_str(), s.chip)).collect();
        assert_eq!(
            got,
            vec![
                ("main", CHIP_ADVANCING),
                ("global", CHIP_FREE),
                ("side", CHIP_SPINNING),
                ("new", CHIP_SPAWNING)
            ]
        );
        assert_eq!(states[0].holder, "h:1");
        assert!(states[1].is_exclusive);
    }
}
