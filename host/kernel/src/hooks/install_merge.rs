//! The pure merge of DOS's hook entries into a runtime's config text. JSON
//! keeps the user's keys, their order and their other hooks; TOML is never
//! re-serialised — DOS owns one fenced block and the bytes outside it stay
//! as they were. An unchanged result is reported as such so the caller can
//! leave the file untouched (a second run is byte-identical).

use super::install::{is_dos_command, ConfigFormat, InstallSpec, TOML_FENCE_CLOSE, TOML_FENCE_OPEN};
use serde_json::{Map, Value};

/// What happened to one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOutcome {
    /// DOS's entries were added.
    Wired,
    /// DOS's entries were already there, exactly.
    Already,
    /// DOS entries are there but differ; left alone (no `--force`).
    Diverged,
    /// Differing DOS entries were replaced (`--force`).
    Repaired,
}

/// The merge's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The new file text (equal to the input when nothing changed).
    pub text: String,
    /// Whether `text` differs from the input (or the file is new).
    pub changed: bool,
    /// Each event with its outcome, in wiring order.
    pub events: Vec<(String, EventOutcome)>,
}

/// Why an existing config cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// Not valid JSON.
    #[error("is not valid JSON ({msg} at line {line}, column {column})")]
    Json {
        /// serde_json's message.
        msg: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// Not valid TOML (toml's message names line and column).
    #[error("is not valid TOML: {0}")]
    Toml(String),
    /// Valid, but a value DOS must extend has another type.
    #[error("{0}")]
    Shape(String),
    /// The managed TOML block is opened but never closed.
    #[error("has the DOS block's opening marker at line {0} but no closing `{TOML_FENCE_CLOSE}` line; fix the block by hand (nothing was written)")]
    Unclosed(usize),
    /// Adding DOS's block would make the TOML invalid.
    #[error("cannot take the DOS block: the result would not be valid TOML ({0}); does it already define these hook events as plain tables?")]
    TomlConflict(String),
}

/// Merge `spec`'s `wanted` entries (event → commands) into `existing`
/// (`None`: the file does not exist).
pub fn merge(
    existing: Option<&str>,
    spec: &InstallSpec,
    wanted: &[(String, Vec<String>)],
    force: bool,
) -> Result<Merged, MergeError> {
    match spec.format {
        ConfigFormat::Json => merge_json(existing, spec, wanted, force),
        ConfigFormat::Toml => merge_toml(existing.unwrap_or(""), existing.is_none(), wanted, force),
    }
}

fn json_entry(spec: &InstallSpec, command: &str) -> Value {
    let mut entry = Map::new();
    entry.insert("command".into(), Value::from(command));
    if spec.entry_has_type {
        entry.insert("type".into(), Value::from("command"));
    }
    if spec.group_wraps {
        let mut group = Map::new();
        group.insert("hooks".into(), Value::Array(vec![Value::Object(entry)]));
        return Value::Object(group);
    }
    Value::Object(entry)
}

fn entry_is_dos(entry: &Value) -> bool {
    entry
        .get("command")
        .and_then(Value::as_str)
        .is_some_and(is_dos_command)
}

/// Whether a list item carries a DOS command (a group holding one, or a flat entry).
fn item_is_dos(spec: &InstallSpec, item: &Value) -> bool {
    if spec.group_wraps {
        item.get("hooks")
            .and_then(Value::as_array)
            .is_some_and(|hooks| hooks.iter().any(entry_is_dos))
    } else {
        entry_is_dos(item)
    }
}

/// Remove DOS's entries from `items`: flat entries go; a group loses its DOS
/// hooks and goes only when nothing of the user's is left in it.
fn strip_dos(spec: &InstallSpec, items: Vec<Value>) -> Vec<Value> {
    items
        .into_iter()
        .filter_map(|item| {
            if !item_is_dos(spec, &item) {
                return Some(item);
            }
            if !spec.group_wraps {
                return None;
            }
            let mut group = item;
            let hooks = group.get_mut("hooks").and_then(Value::as_array_mut)?;
            hooks.retain(|h| !entry_is_dos(h));
            if hooks.is_empty() && group.as_object().is_some_and(|g| g.len() == 1) {
                None
            } else {
                Some(group)
            }
        })
        .collect()
}

fn sort_keys(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut pairs: Vec<(String, Value)> = m.into_iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(pairs.into_iter().map(|(k, v)| (k, sort_keys(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

fn merge_json(
    existing: Option<&str>,
    spec: &InstallSpec,
    wanted: &[(String, Vec<String>)],
    force: bool,
) -> Result<Merged, MergeError> {
    let fresh = existing.is_none_or(|t| t.trim().is_empty());
    let mut doc: Map<String, Value> = match existing {
        Some(text) if !text.trim().is_empty() => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => m,
            Ok(_) => {
                return Err(MergeError::Shape(
                    "has a top level that is not a JSON object".into(),
                ))
            }
            Err(e) => {
                return Err(MergeError::Json {
                    msg: e
                        .to_string()
                        .split(" at line ")
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                    line: e.line(),
                    column: e.column(),
                })
            }
        },
        _ => Map::new(),
    };
    let mut changed = fresh;
    if let Some(v) = spec.version {
        if !doc.contains_key("version") {
            doc.insert("version".into(), Value::from(v));
            changed = true;
        }
    }
    let hooks = doc.entry("hooks").or_insert_with(|| {
        changed = true;
        Value::Object(Map::new())
    });
    let Value::Object(hooks) = hooks else {
        return Err(MergeError::Shape(
            "has a \"hooks\" value that is not an object".into(),
        ));
    };
    let mut events = Vec::new();
    for (event, commands) in wanted {
        let want: Vec<Value> = commands.iter().map(|c| json_entry(spec, c)).collect();
        let items = match hooks.get(event) {
            None => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(_) => {
                return Err(MergeError::Shape(format!(
                    "has a \"hooks\".{} value that is not a list",
                    dos_py::repr::str_repr(event)
                )))
            }
        };
        let ours: Vec<&Value> = items.iter().filter(|i| item_is_dos(spec, i)).collect();
        let outcome = if ours.iter().copied().eq(want.iter()) {
            EventOutcome::Already
        } else if ours.is_empty() || force {
            let outcome = if ours.is_empty() {
                EventOutcome::Wired
            } else {
                EventOutcome::Repaired
            };
            let mut items = strip_dos(spec, items);
            items.extend(want);
            hooks.insert(event.clone(), Value::Array(items));
            changed = true;
            outcome
        } else {
            EventOutcome::Diverged
        };
        events.push((event.clone(), outcome));
    }
    let text = match (changed, existing) {
        (false, Some(t)) => t.to_string(),
        _ => {
            let doc = Value::Object(doc);
            let doc = if fresh { sort_keys(doc) } else { doc };
            let mut t = serde_json::to_string_pretty(&doc).unwrap_or_default();
            t.push('\n');
            t
        }
    };
    Ok(Merged {
        text,
        changed,
        events,
    })
}

/// The TOML basic string for `s`.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The managed TOML block (fence to fence, no trailing newline).
pub fn toml_block(wanted: &[(String, Vec<String>)]) -> String {
    let mut lines = vec![TOML_FENCE_OPEN.to_string()];
    for (event, commands) in wanted {
        lines.push(format!("[[hooks.{event}]]"));
        for c in commands {
            lines.push(format!("[[hooks.{event}.hooks]]"));
            lines.push("type = \"command\"".into());
            lines.push(format!("command = {}", toml_string(c)));
        }
        lines.push(String::new());
    }
    lines.push(TOML_FENCE_CLOSE.to_string());
    lines.join("\n")
}

/// The byte range of the managed block (open fence line start .. close fence
/// line end), or the 1-based line of an unclosed opening fence.
fn find_block(text: &str) -> Result<Option<(usize, usize)>, MergeError> {
    let mut offset = 0;
    let mut open: Option<(usize, usize)> = None;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end_matches(['\n', '\r']);
        match open {
            None if bare == TOML_FENCE_OPEN => open = Some((offset, i + 1)),
            Some((start, _)) if bare == TOML_FENCE_CLOSE => return Ok(Some((start, offset + bare.len()))),
            _ => {}
        }
        offset += line.len();
    }
    match open {
        Some((_, line)) => Err(MergeError::Unclosed(line)),
        None => Ok(None),
    }
}

fn toml_error(e: toml::de::Error) -> String {
    e.to_string().trim_end().replace('\n', " ").replace("  ", " ")
}

fn merge_toml(
    text: &str,
    missing: bool,
    wanted: &[(String, Vec<String>)],
    force: bool,
) -> Result<Merged, MergeError> {
    text.parse::<toml::Table>()
        .map_err(|e| MergeError::Toml(toml_error(e)))?;
    let block = toml_block(wanted);
    let all = |o: EventOutcome| wanted.iter().map(|(e, _)| (e.clone(), o)).collect::<Vec<_>>();
    let (new_text, outcome) = match find_block(text)? {
        Some((start, end)) if text[start..end] == block => (text.to_string(), EventOutcome::Already),
        Some(_) if !force => (text.to_string(), EventOutcome::Diverged),
        Some((start, end)) => (
            format!("{}{block}{}", &text[..start], &text[end..]),
            EventOutcome::Repaired,
        ),
        None => {
            let sep = if text.is_empty() || text.ends_with("\n\n") {
                ""
            } else if text.ends_with('\n') {
                "\n"
            } else {
                "\n\n"
            };
            (format!("{text}{sep}{block}\n"), EventOutcome::Wired)
        }
    };
    let changed = missing || new_text != text;
    if changed {
        new_text
            .parse::<toml::Table>()
            .map_err(|e| MergeError::TomlConflict(toml_error(e)))?;
    }
    Ok(Merged {
        text: new_text,
        changed,
        events: all(outcome),
    })
}

#[cfg(test)]
mod tests {
    use super::super::install::{builtin, event_commands, PerCallProgram};
    use super::*;

    fn wanted(spec: &InstallSpec) -> Vec<(String, Vec<String>)> {
        event_commands(spec, &PerCallProgram::DosHook, false)
    }

    #[test]
    fn json_keeps_user_order_and_hooks() {
        let spec = builtin("claude-code").unwrap();
        let user = r#"{"zeta": 1, "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "say done"}]}]}, "alpha": [2]}"#;
        let m = merge(Some(user), &spec, &wanted(&spec), false).unwrap();
        assert!(m.changed);
        let keys: Vec<String> = serde_json::from_str::<Map<String, Value>>(&m.text)
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, ["zeta", "hooks", "alpha"]);
        assert!(m.text.contains("say done"));
        let again = merge(Some(&m.text), &spec, &wanted(&spec), false).unwrap();
        assert!(!again.changed);
        assert_eq!(again.text, m.text);
        assert!(again.events.iter().all(|(_, o)| *o == EventOutcome::Already));
    }

    #[test]
    fn json_diverged_kept_then_repaired() {
        let spec = builtin("cursor").unwrap();
        let user =
            r#"{"version": 1, "hooks": {"stop": [{"command": "dos hook stop --old"}, {"command": "mine"}]}}"#;
        let kept = merge(Some(user), &spec, &wanted(&spec), false).unwrap();
        let stop = kept.events.iter().find(|(e, _)| e == "stop").unwrap().1;
        assert_eq!(stop, EventOutcome::Diverged);
        assert!(kept.text.contains("--old"));
        let fixed = merge(Some(user), &spec, &wanted(&spec), true).unwrap();
        assert!(!fixed.text.contains("--old"));
        assert!(fixed.text.contains("mine"));
        assert!(fixed.events.contains(&("stop".into(), EventOutcome::Repaired)));
    }

    #[test]
    fn json_group_with_user_hook_keeps_user_hook_on_repair() {
        let spec = builtin("claude-code").unwrap();
        let user = r#"{"hooks": {"Stop": [{"matcher": "", "hooks": [{"type": "command", "command": "dos hook stop --x"}, {"type": "command", "command": "mine"}]}]}}"#;
        let fixed = merge(Some(user), &spec, &wanted(&spec), true).unwrap();
        let v: Value = serde_json::from_str(&fixed.text).unwrap();
        let stop = v["hooks"]["Stop"].as_array().unwrap();
        assert_eq!(stop.len(), 2);
        assert_eq!(stop[0]["hooks"].as_array().unwrap().len(), 1);
        assert_eq!(stop[0]["hooks"][0]["command"], "mine");
    }

    #[test]
    fn json_errors_name_line() {
        let spec = builtin("gemini").unwrap();
        let e = merge(Some("{\n \"a\": 1,\n bad\n}"), &spec, &wanted(&spec), false).unwrap_err();
        assert!(matches!(e, MergeError::Json { line: 3, .. }), "{e:?}");
        for bad in ["[1]", r#"{"hooks": 3}"#, r#"{"hooks": {"BeforeTool": {}}}"#] {
            assert!(
                matches!(
                    merge(Some(bad), &spec, &wanted(&spec), true),
                    Err(MergeError::Shape(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn toml_outside_block_untouched() {
        let spec = builtin("codex").unwrap();
        let user = "model = \"o3\"\n# comment\n[profiles.x]\nk = 1";
        let m = merge(Some(user), &spec, &wanted(&spec), false).unwrap();
        assert!(m.text.starts_with(&format!("{user}\n\n{TOML_FENCE_OPEN}")));
        assert!(m.text.ends_with(&format!("{TOML_FENCE_CLOSE}\n")));
        let again = merge(Some(&m.text), &spec, &wanted(&spec), false).unwrap();
        assert!(!again.changed);
        let tampered = m.text.replace("--dialect codex", "--dialect x") + "tail = 2\n";
        let kept = merge(Some(&tampered), &spec, &wanted(&spec), false).unwrap();
        assert_eq!(
            (kept.text.as_str(), kept.events[0].1),
            (tampered.as_str(), EventOutcome::Diverged)
        );
        let fixed = merge(Some(&tampered), &spec, &wanted(&spec), true).unwrap();
        assert_eq!(fixed.text, format!("{}tail = 2\n", m.text));
    }

    #[test]
    fn toml_errors() {
        let spec = builtin("codex").unwrap();
        let e = merge(Some("a = 1\nb = = 2\n"), &spec, &wanted(&spec), false).unwrap_err();
        assert!(matches!(&e, MergeError::Toml(m) if m.contains("line 2")), "{e}");
        let unclosed = format!("a = 1\n{TOML_FENCE_OPEN}\n");
        assert_eq!(
            merge(Some(&unclosed), &spec, &wanted(&spec), true),
            Err(MergeError::Unclosed(2))
        );
        let conflict = "[hooks.PreToolUse]\nx = 1\n";
        assert!(matches!(
            merge(Some(conflict), &spec, &wanted(&spec), false),
            Err(MergeError::TomlConflict(_))
        ));
    }
}
