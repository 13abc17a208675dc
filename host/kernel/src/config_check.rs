//! Pure checks of a parsed `dos.toml`: unknown tables and unknown keys in the
//! host's own tables are reported with the file, the line and the nearest
//! known name, so a typo (`[pathz]`) does not silently disable a setting.
//! Plugin driver tables (`[exporters.x]`, `[notifiers.x]`, …) belong to their
//! plugins and are not checked here.

use std::path::Path;
use toml::Table;

/// Every top-level table a `dos.toml` may hold: the host's own, the plugin
/// groups, and the reference's (a file is shared with the Python kernel).
pub const KNOWN_TABLES: &[&str] = &[
    "agent",
    "arg_provenance",
    "attest",
    "breaker",
    "call_shape",
    "ci",
    "completion",
    "concurrency_class",
    "cooldown",
    "coverage",
    "dangling",
    "data_class",
    "efficiency",
    "efficiency_advice",
    "efficiency_trend",
    "enforcement",
    "enumerate",
    "env",
    "evidence",
    "exec_capability",
    "heartbeats",
    "hook_exit",
    "hooks",
    "improve",
    "intervention",
    "intervention_policy",
    "journal",
    "lanes",
    "lifecycle",
    "liveness",
    "marker",
    "mcp",
    "mergegate",
    "noop_streak",
    "overlap",
    "paths",
    "pick_priority",
    "plan",
    "plugins",
    "precursor",
    "productivity",
    "progress_markers",
    "queue",
    "reasons",
    "resume",
    "retention",
    "retire",
    "rewind",
    "scope",
    "scout",
    "slack_approval",
    "spawn_pressure",
    "stamp",
    "supervise",
    "tool_stream",
    "tui",
    "vcs",
    "verify",
];

/// The keys of the host's own tables whose key set is closed. (`[paths]` is
/// left out: its readers already reject an unknown key with the
/// reference's own warning, which must stay byte-identical.)
pub const KNOWN_KEYS: &[(&str, &[&str])] = &[
    (
        "plugins",
        &[
            "call_timeout_ms",
            "default_dir",
            "isolate",
            "paths",
            "precheck",
            "quarantine_after",
        ],
    ),
    ("scout", &["stop_policy"]),
    ("tool_stream", &["ignore_tools", "repeat_n", "stall_n"]),
    (
        "marker",
        &["arm_on_env", "max_streak", "respect_stop_hook_active"],
    ),
];

/// Levenshtein distance over characters (small strings only: config names).
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The known name closest to `name`, if close enough to be a typo.
pub fn nearest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    known
        .into_iter()
        .map(|k| (distance(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| k)
}

fn header_name(line: &str) -> Option<String> {
    let t = line.trim_start();
    let inner = t.strip_prefix("[[").or_else(|| t.strip_prefix('['))?;
    let end = inner.find(']')?;
    Some(
        inner[..end]
            .split('.')
            .next()?
            .trim()
            .trim_matches('"')
            .to_string(),
    )
}

fn key_name(line: &str) -> Option<String> {
    let t = line.trim_start();
    if t.starts_with('#') || t.starts_with('[') {
        return None;
    }
    let (k, _) = t.split_once('=')?;
    Some(k.trim().trim_matches(|c| c == '"' || c == '\'').to_string())
}

/// The 1-based line where `[table]` (or `[table.…]`, or a top-level
/// `table = …` / `table.key = …`) first appears.
pub fn table_line(text: &str, table: &str) -> Option<usize> {
    let mut in_root = true;
    for (i, line) in text.lines().enumerate() {
        if let Some(h) = header_name(line) {
            in_root = false;
            if h == table {
                return Some(i + 1);
            }
        } else if in_root {
            if let Some(k) = key_name(line) {
                if k == table || k.split('.').next().map(str::trim) == Some(table) {
                    return Some(i + 1);
                }
            }
        }
    }
    None
}

/// The 1-based line of `key` inside `[table]` (or a dotted `table.key`).
pub fn key_line(text: &str, table: &str, key: &str) -> Option<usize> {
    let mut current: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with('[') {
            current = Some(
                t.trim_start_matches('[')
                    .split(']')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string(),
            );
            continue;
        }
        let Some(k) = key_name(line) else { continue };
        let full = match &current {
            None => k.clone(),
            Some(c) => format!("{c}.{k}"),
        };
        let parts: Vec<&str> = full.split('.').map(|p| p.trim().trim_matches('"')).collect();
        if parts.len() >= 2 && parts[0] == table && parts[1] == key {
            return Some(i + 1);
        }
    }
    None
}

fn at(path: &Path, line: Option<usize>) -> String {
    match line {
        Some(n) => format!("{}:{n}", path.display()),
        None => path.display().to_string(),
    }
}

fn hint(near: Option<&str>) -> String {
    near.map(|k| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default()
}

/// A non-empty table of tables only: the shape of `[group.name]` driver
/// tables.
fn is_driver_tables(value: &toml::Value) -> bool {
    value
        .as_table()
        .is_some_and(|t| !t.is_empty() && t.values().all(toml::Value::is_table))
}

/// The `dos.toml` tables that belong to the plugin groups (`[exporters.NAME]`
/// …): the plugin interface's group keys, in its order. The kernel keeps its
/// own copy (it does not depend on the plugin host); the plugin host's tests
/// check the two agree.
pub const PLUGIN_GROUP_TABLES: [&str; 7] = [
    "exporters",
    "notifiers",
    "stop_policies",
    "judges",
    "evidence_sources",
    "hook_dialects",
    "hook_installs",
];

/// Warnings for unknown top-level tables (other than `extra_tables`, the
/// plugin groups) and unknown keys in the host's closed tables.
pub fn check(text: &str, table: &Table, path: &Path, extra_tables: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let known = || KNOWN_TABLES.iter().chain(extra_tables.iter()).copied();
    for (name, value) in table {
        if !known().any(|k| k == name) {
            if is_driver_tables(value) {
                // `[group.name]` of a group served over the generic channel:
                // the plugins own it, and `dos plugins` names a table no
                // loaded driver reads.
                continue;
            }
            let what = if value.is_table() {
                format!("table `[{name}]`")
            } else {
                format!("key `{name}`")
            };
            out.push(format!(
                "warning: {}: unknown {what}{} — it is ignored",
                at(path, table_line(text, name)),
                hint(nearest(name, known()))
            ));
            continue;
        }
        let Some((_, keys)) = KNOWN_KEYS.iter().find(|(t, _)| t == name) else {
            continue;
        };
        let Some(t) = value.as_table() else { continue };
        for key in t.keys() {
            if !keys.contains(&key.as_str()) {
                out.push(format!(
                    "warning: {}: unknown key `{key}` in [{name}]{} — it is ignored",
                    at(path, key_line(text, name, key)),
                    hint(nearest(key, keys.iter().copied()))
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Vec<String> {
        let t: Table = text.parse().unwrap();
        check(text, &t, Path::new("/w/dos.toml"), &["exporters", "notifiers"])
    }

    #[test]
    fn unknown_tables_and_keys_name_file_line_and_nearest() {
        let cases: &[(&str, &[&str])] = &[
            ("[paths]\nlane_journal = \"x\"\nlane_jounral = 1\n", &[]),
            (
                "# c\n[pathz]\nverdict_journal = \"x\"\n",
                &["warning: /w/dos.toml:2: unknown table `[pathz]` (did you mean `paths`?) — it is ignored"],
            ),
            (
                "[plugins]\npath = [\"p\"]\ncall_timeout_ms = 5\n",
                &["warning: /w/dos.toml:2: unknown key `path` in [plugins] (did you mean `paths`?) — it is ignored"],
            ),
            (
                "plugins.pahts = []\n",
                &["warning: /w/dos.toml:1: unknown key `pahts` in [plugins] (did you mean `paths`?) — it is ignored"],
            ),
            (
                "[exporters.otlp]\nanything = 1\n[notifiers.slack]\nwhatever = 2\n[lanes.trees]\napi = [\"a\"]\n",
                &[],
            ),
            ("[gen_widgets.gen-generic]\ngreeting = \"hi\"\n", &[]),
            (
                "[zzzzzzzzzz]\n",
                &["warning: /w/dos.toml:1: unknown table `[zzzzzzzzzz]` — it is ignored"],
            ),
            (
                "[scout]\nstop_polcy = \"x\"\n",
                &["warning: /w/dos.toml:2: unknown key `stop_polcy` in [scout] (did you mean `stop_policy`?) — it is ignored"],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(run(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn lines_of_keys() {
        let text = "[a]\nx = 1\n[b]\nx = 2\n\"y\" = 3\n";
        assert_eq!(key_line(text, "b", "x"), Some(4));
        assert_eq!(key_line(text, "b", "y"), Some(5));
        assert_eq!(key_line(text, "c", "x"), None);
        assert_eq!(table_line(text, "b"), Some(3));
    }
}
