//! Where the decisions queue reads from, and the reading itself (the only I/O
//! of the queue): the workspace layout (`.dos/` or, with `--job`/`--driver`,
//! the reference `docs/` layout), `[paths]` overrides, `[retention]` and
//! `[reasons]` from `dos.toml`. A malformed table is reported as a warning
//! and its defaults are kept, as the reference does. A source that is
//! missing, torn or not UTF-8 contributes what it can and never fails.

use super::journal_read;
use super::model::Decision;
use super::reasons::ReasonRegistry;
use super::rows;
use crate::workspace::Workspace;
use dos_py::repr::list_repr as py_list_repr;
use dos_py::time::{utc_date, Micros};
use dos_py::toml_value::toml_repr;
use dos_py::toml_value::toml_type_name as py_type_name;
use serde_json::Value;
use std::path::{Path, PathBuf};
use toml::{Table, Value as Toml};

/// Which on-disk layout the workspace uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// Everything under `<root>/.dos/` (the default).
    #[default]
    Generic,
    /// The reference app's `docs/` + `output/` layout (`--job`, `--driver job|workshop`).
    Repo,
}

/// A `--driver` name that does not resolve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DriverError(pub String);

impl Layout {
    /// The layout for the `--driver` / `--job` flags (an explicit driver
    /// wins): the workspace's one resolver, in this module's terms.
    pub fn from_flags(driver: Option<&str>, job: bool) -> Result<Layout, DriverError> {
        match crate::workspace::Layout::select(driver, job) {
            Ok(crate::workspace::Layout::Plans) => Ok(Layout::Repo),
            Ok(crate::workspace::Layout::Generic) => Ok(Layout::Generic),
            Err(e) => Err(DriverError(e.to_string())),
        }
    }
}

/// Everything the queue needs to know about a workspace.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// The workspace root.
    pub root: PathBuf,
    /// The lane journal.
    pub lane_journal: PathBuf,
    /// The verdict-envelope directory.
    pub envelopes: PathBuf,
    /// The soak index.
    pub soaks_index: PathBuf,
    /// The active reason registry.
    pub reasons: ReasonRegistry,
    /// The recency cutoff in seconds (`None` = disabled).
    pub max_age_seconds: Option<f64>,
    /// Warnings about malformed `dos.toml` tables (one stderr line each).
    pub warnings: Vec<String>,
    /// Whether a `dos.toml` exists at the root.
    pub initialized: bool,
    /// The lanes always shown by `dos top`: concurrent, then exclusive.
    pub lanes_concurrent: Vec<String>,
    /// The exclusive lanes.
    pub lanes_exclusive: Vec<String>,
}

/// The default `[retention] journal_max_age_days`.
pub const DEFAULT_MAX_AGE_DAYS: f64 = 30.0;

const PATH_KEYS: [&str; 15] = [
    "archive_lock",
    "chained_runs",
    "dispatch_loops",
    "execution_state",
    "fanout_runs",
    "findings_queue",
    "lane_journal",
    "leases_dir",
    "next_packets",
    "picker_audits",
    "plans_glob",
    "project_card",
    "replan_dir",
    "soaks_index",
    "verdict_journal",
];

const RETENTION_KEYS: [&str; 6] = [
    "audits_keep_last",
    "journal_max_age_days",
    "journal_max_entries",
    "projections_compact",
    "runs_keep_last",
    "verdicts_keep_last",
];

/// Apply a `[paths]` table to the three queue paths.
fn apply_paths(
    table: &Table,
    root: &Path,
    paths: &mut [(&'static str, &mut PathBuf); 3],
) -> Result<(), String> {
    let mut unknown: Vec<&str> = table
        .keys()
        .map(String::as_str)
        .filter(|k| !PATH_KEYS.contains(k))
        .collect();
    if !unknown.is_empty() {
        unknown.sort();
        return Err(format!(
            "[paths] has unknown key(s) {}; known keys are {}",
            py_list_repr(&unknown),
            py_list_repr(PATH_KEYS)
        ));
    }
    let mut changes: Vec<(&str, PathBuf)> = Vec::new();
    for (key, value) in table {
        let Toml::String(s) = value else {
            let what = if key == "plans_glob" {
                "a string"
            } else {
                "a path string"
            };
            return Err(format!(
                "[paths].{key} must be {what}, got {}",
                py_type_name(value)
            ));
        };
        let p = PathBuf::from(s);
        changes.push((key.as_str(), if p.is_absolute() { p } else { root.join(p) }));
    }
    for (key, value) in changes {
        if let Some((_, slot)) = paths.iter_mut().find(|(k, _)| *k == key) {
            **slot = value;
        }
    }
    Ok(())
}

/// Validate one retention cap; `Ok(None)` = unbounded.
fn retention_cap(key: &str, raw: &Toml) -> Result<Option<f64>, String> {
    let bad_type = || {
        format!(
            "[retention] {key} must be a number or \"none\", got {}",
            toml_repr(raw)
        )
    };
    let n = match raw {
        Toml::String(s) if s.trim().eq_ignore_ascii_case("none") => return Ok(None),
        Toml::Integer(i) => *i as f64,
        Toml::Float(f) => *f,
        _ => return Err(bad_type()),
    };
    if n == -1.0 {
        return Ok(None);
    }
    if n < 0.0 {
        return Err(format!(
            "[retention] {key} must be >= 0 (or -1 / \"none\" for unbounded), got {}",
            toml_repr(raw)
        ));
    }
    Ok(Some(n))
}

/// The `journal_max_age_days` cutoff in seconds from a `[retention]` table.
fn retention_max_age(table: &Table) -> Result<Option<f64>, String> {
    let mut unknown: Vec<&str> = table
        .keys()
        .map(String::as_str)
        .filter(|k| !RETENTION_KEYS.contains(k))
        .collect();
    if !unknown.is_empty() {
        unknown.sort();
        return Err(format!(
            "unknown [retention] key(s): {} (allowed: {})",
            unknown.join(", "),
            RETENTION_KEYS.join(", ")
        ));
    }
    let mut days = Some(DEFAULT_MAX_AGE_DAYS);
    for (key, raw) in table {
        if key == "projections_compact" {
            if !matches!(raw, Toml::Boolean(_)) {
                return Err(format!(
                    "[retention] {key} must be a boolean, got {}",
                    toml_repr(raw)
                ));
            }
            continue;
        }
        let cap = retention_cap(key, raw)?;
        if key == "journal_max_age_days" {
            days = cap;
        }
    }
    Ok(days.map(|d| d * 86_400.0))
}

fn string_list(table: &Table, key: &str) -> Result<Vec<String>, String> {
    match table.get(key) {
        None => Ok(Vec::new()),
        Some(Toml::Array(items)) => items
            .iter()
            .map(|v| match v {
                Toml::String(s) => Ok(s.clone()),
                other => Err(format!(
                    "[lanes].{key} must be a list of strings, got a {} element",
                    py_type_name(other)
                )),
            })
            .collect(),
        Some(Toml::String(s)) => Ok(vec![s.clone()]),
        Some(other) => Err(format!(
            "[lanes].{key} must be a list of strings, got {}",
            py_type_name(other)
        )),
    }
}

impl QueueConfig {
    /// Read the queue's configuration from a workspace.
    pub fn for_workspace(ws: &Workspace, layout: Layout) -> QueueConfig {
        let root = ws.root.clone();
        let (mut lane_journal, mut envelopes, mut soaks_index) = match layout {
            Layout::Generic => {
                let d = root.join(".dos");
                (
                    d.join("lane-journal.jsonl"),
                    d.join("verdicts"),
                    d.join("soaks").join("index.yaml"),
                )
            }
            Layout::Repo => (
                root.join("docs").join("_plans").join("lane-journal.jsonl"),
                root.join("output").join("next-up"),
                root.join("docs").join("_soaks").join("index.yaml"),
            ),
        };
        let toml_path = root.join("dos.toml");
        let mut warnings = Vec::new();
        let mut warn = |label: &str, msg: String| {
            warnings.push(format!(
                "warning: ignoring malformed [{label}] in {}: {msg}",
                toml_path.display()
            ))
        };
        let table = |key: &str| -> Result<Option<&Table>, String> {
            ws.config
                .table(key)
                .map_err(|_| format!("[{key}] must be a table"))
        };

        let mut reasons = ReasonRegistry::builtin();
        match table("reasons") {
            Ok(Some(t)) => match reasons.extended(t) {
                Ok(r) => reasons = r,
                Err(e) => warn("reasons", e),
            },
            Ok(None) => {}
            Err(e) => warn("reasons", e),
        }
        match table("paths") {
            Ok(Some(t)) => {
                let mut slots = [
                    ("lane_journal", &mut lane_journal),
                    ("next_packets", &mut envelopes),
                    ("soaks_index", &mut soaks_index),
                ];
                if let Err(e) = apply_paths(t, &root, &mut slots) {
                    warn("paths", e);
                }
            }
            Ok(None) => {}
            Err(e) => warn("paths", e),
        }
        let default_age = Some(DEFAULT_MAX_AGE_DAYS * 86_400.0);
        let max_age_seconds = match table("retention") {
            Ok(Some(t)) if !t.is_empty() => retention_max_age(t).unwrap_or_else(|e| {
                warn("retention", e);
                default_age
            }),
            Ok(_) => default_age,
            Err(e) => {
                warn("retention", e);
                default_age
            }
        };
        let (mut lanes_concurrent, mut lanes_exclusive) =
            (vec!["main".to_string()], vec!["global".to_string()]);
        match table("lanes") {
            Ok(Some(t)) if !t.is_empty() => {
                match (string_list(t, "concurrent"), string_list(t, "exclusive")) {
                    (Ok(c), Ok(x)) => {
                        lanes_concurrent = c;
                        lanes_exclusive = x;
                    }
                    (Err(e), _) | (_, Err(e)) => warn("lanes", e),
                }
            }
            Ok(_) => {}
            Err(e) => warn("lanes", e),
        }
        QueueConfig {
            initialized: toml_path.exists(),
            root,
            lane_journal,
            envelopes,
            soaks_index,
            reasons,
            max_age_seconds,
            warnings,
            lanes_concurrent,
            lanes_exclusive,
        }
    }
}

/// The verdict envelope files (`.verdict-*.json`) in `dir`, by file name.
pub fn envelope_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(".verdict-") && n.ends_with(".json") && n.len() >= 14)
        })
        .collect();
    files.sort();
    files
}

/// Parse one envelope file: `None` when unreadable, not UTF-8, not JSON or
/// not an object.
pub fn read_envelope(path: &Path) -> Option<serde_json::Map<String, Value>> {
    let bytes = std::fs::read(path).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

/// Parse the soak index: `None` when missing or malformed.
pub fn read_soak_index(path: &Path) -> Option<Value> {
    crate::yaml::load(path)
}

/// Every row from the three sources, in source order (journal, envelopes
/// ascending by file name, soak index), before filtering.
pub fn gather_rows(cfg: &QueueConfig, now: Micros) -> Vec<Decision> {
    let journal = journal_read::read_all(&cfg.lane_journal);
    let mut out = rows::journal_rows(
        &journal,
        &cfg.lane_journal.display().to_string(),
        &cfg.reasons,
        now,
    );
    for path in envelope_files(&cfg.envelopes) {
        let Some(env) = read_envelope(&path) else { continue };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(d) = rows::envelope_row(&env, &name, &path.display().to_string(), &cfg.reasons, now) {
            out.push(d);
        }
    }
    if let Some(data) = read_soak_index(&cfg.soaks_index) {
        out.extend(rows::soak_rows(
            &data,
            &cfg.soaks_index.display().to_string(),
            &utc_date(now),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        text.parse::<Table>().expect("toml")
    }

    #[test]
    fn retention_table() {
        let day = 86_400.0;
        let cases: [(&str, Result<Option<f64>, &str>); 7] = [
            ("journal_max_age_days = -1", Ok(None)),
            ("journal_max_age_days = \"None\"", Ok(None)),
            ("journal_max_age_days = 0.5", Ok(Some(0.5 * day))),
            ("runs_keep_last = 3", Ok(Some(30.0 * day))),
            ("journal_max_age_days = -2", Err("[retention] journal_max_age_days must be >= 0 (or -1 / \"none\" for unbounded), got -2")),
            ("journal_max_age_days = true", Err("[retention] journal_max_age_days must be a number or \"none\", got True")),
            ("bogus = 1", Err("unknown [retention] key(s): bogus (allowed: audits_keep_last, journal_max_age_days, journal_max_entries, projections_compact, runs_keep_last, verdicts_keep_last)")),
        ];
        for (text, expected) in cases {
            assert_eq!(
                retention_max_age(&table(text)),
                expected.map_err(String::from),
                "{text}"
            );
        }
    }

    #[test]
    fn driver_flags() {
        assert_eq!(Layout::from_flags(None, false), Ok(Layout::Generic));
        assert_eq!(Layout::from_flags(None, true), Ok(Layout::Repo));
        assert_eq!(Layout::from_flags(Some("workshop"), false), Ok(Layout::Repo));
        assert_eq!(
            Layout::from_flags(Some("bogus"), true).unwrap_err().0,
            "unknown driver 'bogus' (no module dos.drivers.bogus); drivers live in src/dos/drivers/, see dos.drivers.workshop for a template"
        );
        assert!(Layout::from_flags(Some("notify_slack"), false)
            .unwrap_err()
            .0
            .contains("exposes no notify_slack_config"));
    }

    #[test]
    fn paths_overrides() {
        let root = Path::new("/w");
        let (mut a, mut b, mut c) = (PathBuf::from("/a"), PathBuf::from("/b"), PathBuf::from("/c"));
        let mut slots = [
            ("lane_journal", &mut a),
            ("next_packets", &mut b),
            ("soaks_index", &mut c),
        ];
        apply_paths(
            &table("lane_journal = \"j.jsonl\"\nsoaks_index = \"/abs.yaml\""),
            root,
            &mut slots,
        )
        .unwrap();
        assert_eq!(
            (a.as_path(), c.as_path()),
            (Path::new("/w/j.jsonl"), Path::new("/abs.yaml"))
        );
        let mut slots = [
            ("lane_journal", &mut a),
            ("next_packets", &mut b),
            ("soaks_index", &mut c),
        ];
        let e = apply_paths(&table("lane_jounral = \"x\""), root, &mut slots).unwrap_err();
        assert!(
            e.starts_with("[paths] has unknown key(s) ['lane_jounral']; known keys are ['archive_lock',"),
            "{e}"
        );
    }
}
