//! The input half of a hook dialect: a runtime's own event, rewritten into
//! the Claude-Code-shaped event the hook verbs read (`tool_name`,
//! `tool_input`, `tool_response`, `hook_event_name`, `session_id`, `cwd`).
//!
//! Claude Code's shape passes through untouched (the same bytes), and so
//! does anything that does not parse or needs no rewrite, so the verbs'
//! byte-exact behaviour on Claude-Code-shaped input never changes.

use super::dialect::{with_external, Dialect, Moment};
use serde_json::{Map, Value};

/// Rewrite `input` (the raw stdin event at `moment`) for `dialect`; the
/// bytes are returned unchanged unless a rewrite applies. A plugin dialect
/// parses through its driver; a failure there keeps the event as it came.
pub fn normalize(dialect: Option<&str>, moment: Moment, input: Vec<u8>) -> Vec<u8> {
    let rewrite: fn(&mut Map<String, Value>) -> bool = match dialect.unwrap_or("") {
        "gemini" => gemini,
        "cursor" => cursor,
        "copilot-cli" => copilot_cli,
        name if Dialect::resolve(Some(name)) == Ok(Dialect::External) => {
            let Ok(event @ Value::Object(_)) = serde_json::from_slice::<Value>(&input) else {
                return input;
            };
            return match with_external(|d| d.parse(moment, &event)).flatten() {
                Some(parsed) => serde_json::to_vec(&parsed).unwrap_or(input),
                None => input,
            };
        }
        _ => return input,
    };
    let Ok(Value::Object(mut event)) = serde_json::from_slice::<Value>(&input) else {
        return input;
    };
    if !rewrite(&mut event) {
        return input;
    }
    serde_json::to_vec(&Value::Object(event)).unwrap_or(input)
}

/// Rename `hook_event_name` through `table`; whether it changed.
fn rename_event(event: &mut Map<String, Value>, table: &[(&str, &str)]) -> bool {
    let Some(Value::String(name)) = event.get("hook_event_name") else {
        return false;
    };
    match table.iter().find(|(from, _)| from == name) {
        Some((_, to)) => {
            event.insert("hook_event_name".into(), Value::from(*to));
            true
        }
        None => false,
    }
}

/// Copy `from` to `to` when `to` is absent; whether it did.
fn alias(event: &mut Map<String, Value>, from: &str, to: &str, map: fn(Value) -> Value) -> bool {
    if event.contains_key(to) {
        return false;
    }
    match event.get(from).cloned() {
        Some(v) => {
            event.insert(to.into(), map(v));
            true
        }
        None => false,
    }
}

/// A JSON-encoded string argument decoded to its object (else kept).
fn decoded(v: Value) -> Value {
    match &v {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(obj @ Value::Object(_)) => obj,
            _ => v,
        },
        _ => v,
    }
}

fn same(v: Value) -> Value {
    v
}

/// Gemini CLI: Claude Code's fields under its own event names.
fn gemini(event: &mut Map<String, Value>) -> bool {
    rename_event(
        event,
        &[
            ("BeforeTool", "PreToolUse"),
            ("AfterTool", "PostToolUse"),
            ("AfterAgent", "Stop"),
        ],
    )
}

/// Cursor: `beforeShellExecution {command}`, `beforeMCPExecution
/// {tool_name, tool_input}`, `afterFileEdit {file_path, edits}`, `stop`;
/// `conversation_id` and `workspace_roots` for the session and the cwd.
fn cursor(event: &mut Map<String, Value>) -> bool {
    let name = event
        .get("hook_event_name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut changed = false;
    match name.as_str() {
        "beforeShellExecution" if !event.contains_key("tool_name") => {
            let command = event.get("command").cloned().unwrap_or(Value::from(""));
            let mut input = Map::new();
            input.insert("command".into(), command);
            event.insert("tool_name".into(), Value::from("Bash"));
            event.insert("tool_input".into(), Value::Object(input));
            changed = true;
        }
        "beforeMCPExecution" => {
            if let Some(v) = event.get("tool_input").cloned() {
                let d = decoded(v.clone());
                changed |= d != v;
                event.insert("tool_input".into(), d);
            }
        }
        "afterFileEdit" if !event.contains_key("tool_name") => {
            let mut input = Map::new();
            input.insert(
                "file_path".into(),
                event.get("file_path").cloned().unwrap_or(Value::from("")),
            );
            let mut response = Map::new();
            response.insert(
                "edits".into(),
                event.get("edits").cloned().unwrap_or(Value::Array(vec![])),
            );
            event.insert("tool_name".into(), Value::from("Edit"));
            event.insert("tool_input".into(), Value::Object(input));
            event.insert("tool_response".into(), Value::Object(response));
            changed = true;
        }
        _ => {}
    }
    changed |= rename_event(
        event,
        &[
            ("beforeShellExecution", "PreToolUse"),
            ("beforeMCPExecution", "PreToolUse"),
            ("afterFileEdit", "PostToolUse"),
            ("stop", "Stop"),
        ],
    );
    changed |= alias(event, "conversation_id", "session_id", same);
    if !event.contains_key("cwd") {
        if let Some(root) = event
            .get("workspace_roots")
            .and_then(Value::as_array)
            .and_then(|r| r.first())
            .cloned()
        {
            event.insert("cwd".into(), root);
            changed = true;
        }
    }
    changed
}

/// GitHub Copilot CLI: camelCase `toolName`, `toolArgs` (a JSON string),
/// `toolResult`, `sessionId`.
fn copilot_cli(event: &mut Map<String, Value>) -> bool {
    let mut changed = alias(event, "toolName", "tool_name", same);
    changed |= alias(event, "toolArgs", "tool_input", decoded);
    changed |= alias(event, "toolResult", "tool_response", same);
    changed |= alias(event, "sessionId", "session_id", same);
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(d: &str, s: &str) -> String {
        String::from_utf8(normalize(Some(d), Moment::Pre, s.as_bytes().to_vec())).unwrap()
    }

    #[test]
    fn claude_code_shape_is_untouched() {
        let cc =
            r#"{"tool_name": "Bash",  "tool_input": {"command": "ls"}, "hook_event_name": "PreToolUse"}"#;
        for d in [
            "claude-code",
            "codex",
            "gemini",
            "cursor",
            "copilot-cli",
            "antigravity",
            "hermes",
            "",
        ] {
            assert_eq!(norm(d, cc), cc, "{d}");
        }
        assert_eq!(norm("cursor", "not json"), "not json");
    }

    #[test]
    fn runtime_shapes_become_claude_code_shape() {
        let table = [
            (
                "gemini",
                r#"{"hook_event_name":"BeforeTool","tool_name":"write_file"}"#,
                r#"{"hook_event_name":"PreToolUse","tool_name":"write_file"}"#,
            ),
            (
                "cursor",
                r#"{"hook_event_name":"beforeShellExecution","command":"ls","conversation_id":"c1","workspace_roots":["/w"]}"#,
                r#"{"hook_event_name":"PreToolUse","command":"ls","conversation_id":"c1","workspace_roots":["/w"],"tool_name":"Bash","tool_input":{"command":"ls"},"session_id":"c1","cwd":"/w"}"#,
            ),
            (
                "cursor",
                r#"{"hook_event_name":"beforeMCPExecution","tool_name":"t","tool_input":"{\"a\":1}"}"#,
                r#"{"hook_event_name":"PreToolUse","tool_name":"t","tool_input":{"a":1}}"#,
            ),
            (
                "cursor",
                r#"{"hook_event_name":"afterFileEdit","file_path":"/w/a","edits":[]}"#,
                r#"{"hook_event_name":"PostToolUse","file_path":"/w/a","edits":[],"tool_name":"Edit","tool_input":{"file_path":"/w/a"},"tool_response":{"edits":[]}}"#,
            ),
            (
                "copilot-cli",
                r#"{"toolName":"bash","toolArgs":"{\"command\":\"ls\"}","cwd":"/w"}"#,
                r#"{"toolName":"bash","toolArgs":"{\"command\":\"ls\"}","cwd":"/w","tool_name":"bash","tool_input":{"command":"ls"}}"#,
            ),
        ];
        for (d, input, want) in table {
            assert_eq!(norm(d, input), want, "{d} {input}");
        }
    }
}
