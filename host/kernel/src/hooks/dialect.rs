//! Hook dialects: one neutral verdict (pass / warn / deny) rendered into the
//! output envelope each agent host understands. Every hook verb (and the stop
//! hook) decides in Claude Code terms, extracts the neutral verdict, and
//! renders it here, byte-exact with the reference — the one renderer for
//! every moment. A dialect a `hook_dialects` plugin provides is installed
//! for the process by `dos hook` ([`install_external`]); `dos-hook` never
//! installs one (it stays loader-free).

use serde_json::{Map, Value};
use std::cell::RefCell;

/// When in the tool-call lifecycle the verdict applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// Before the tool runs (`PreToolUse`).
    Pre,
    /// After the tool ran (`PostToolUse`).
    Post,
    /// When the agent stops (`Stop`).
    Stop,
    /// When a session starts (`SessionStart`).
    Session,
}

impl Moment {
    /// The Claude Code event name.
    pub fn event_name(self) -> &'static str {
        match self {
            Moment::Pre => "PreToolUse",
            Moment::Post => "PostToolUse",
            Moment::Stop => "Stop",
            Moment::Session => "SessionStart",
        }
    }

    /// The moment's name on the plugin wire (`pre`, `post`, `stop`, `session`).
    pub fn wire_name(self) -> &'static str {
        match self {
            Moment::Pre => "pre",
            Moment::Post => "post",
            Moment::Stop => "stop",
            Moment::Session => "session",
        }
    }
}

/// The neutral verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookVerdict {
    /// Say nothing.
    Pass,
    /// Inform the agent (`context`).
    Warn {
        /// Text for the agent.
        context: String,
    },
    /// Refuse (with optional extra context).
    Deny {
        /// Why.
        reason: String,
        /// Extra context ("" = none).
        context: String,
    },
}

/// The dialects the reference renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Claude Code (default).
    ClaudeCode,
    /// OpenAI Codex (same envelope as Claude Code).
    Codex,
    /// Gemini CLI.
    Gemini,
    /// Antigravity.
    Antigravity,
    /// Hermes.
    Hermes,
    /// Cursor.
    Cursor,
    /// GitHub Copilot CLI: Claude Code's field names, flat at the top level.
    CopilotCli,
    /// Claude Cowork (runs the Claude Code harness: Claude Code's envelope).
    ClaudeCowork,
    /// The dialect a plugin provides, installed for this process.
    External,
}

/// The built-in dialect names, sorted.
pub const BUILTIN_NAMES: [&str; 8] = [
    "antigravity",
    "claude-code",
    "claude-cowork",
    "codex",
    "copilot-cli",
    "cursor",
    "gemini",
    "hermes",
];

/// An unknown `--dialect` name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown hook dialect {} — known: claude-code (or a registered dos.hook_dialects plugin). Refusing to fall back to 'claude-code': a wrong dialect against a non-Claude-Code host is a silent no-op.", dos_py::repr::str_repr(.0))]
pub struct UnknownDialect(pub String);

/// A dialect served outside the built-ins (a `hook_dialects` plugin).
pub trait ExternalDialect {
    /// Rewrite the runtime's `event` into the Claude-Code-shaped event the
    /// verbs read; `None` keeps the event as it came.
    fn parse(&mut self, moment: Moment, event: &Value) -> Option<Value>;
    /// Render `verdict` at `moment`: the object to print, or `None` for nothing.
    fn render(&mut self, verdict: &HookVerdict, moment: Moment) -> Option<Value>;
}

thread_local! {
    static EXTERNAL: RefCell<Option<(String, Box<dyn ExternalDialect>)>> = const { RefCell::new(None) };
}

/// Install `dialect` under `name` for this thread (the hook verbs run on
/// the main thread): `--dialect name` then resolves to it.
pub fn install_external(name: &str, dialect: Box<dyn ExternalDialect>) {
    EXTERNAL.with(|e| *e.borrow_mut() = Some((name.to_string(), dialect)));
}

/// Run `f` on the installed external dialect, if any.
pub fn with_external<T>(f: impl FnOnce(&mut dyn ExternalDialect) -> T) -> Option<T> {
    EXTERNAL.with(|e| e.borrow_mut().as_mut().map(|(_, d)| f(d.as_mut())))
}

fn external_named(name: &str) -> bool {
    EXTERNAL.with(|e| e.borrow().as_ref().is_some_and(|(n, _)| n == name))
}

impl Dialect {
    /// Resolve `--dialect` (absent or empty → Claude Code; a name that is
    /// not built in → the installed external dialect of that name).
    pub fn resolve(name: Option<&str>) -> Result<Dialect, UnknownDialect> {
        Ok(match name.unwrap_or("") {
            "" | "claude-code" => Dialect::ClaudeCode,
            "codex" => Dialect::Codex,
            "gemini" => Dialect::Gemini,
            "antigravity" => Dialect::Antigravity,
            "hermes" => Dialect::Hermes,
            "cursor" => Dialect::Cursor,
            "copilot-cli" => Dialect::CopilotCli,
            "claude-cowork" => Dialect::ClaudeCowork,
            other if external_named(other) => Dialect::External,
            other => return Err(UnknownDialect(other.to_string())),
        })
    }
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

fn s(text: &str) -> Value {
    Value::String(text.to_string())
}

/// `reason` and `context`, each omitted if empty, joined by a space, trimmed.
fn joined(reason: &str, context: &str) -> String {
    let parts: Vec<&str> = [reason, context].into_iter().filter(|p| !p.is_empty()).collect();
    parts.join(" ").trim().to_string()
}

/// The Claude Code dict for a verdict (`None` for pass).
pub fn claude_code(verdict: &HookVerdict, moment: Moment) -> Option<Value> {
    match verdict {
        HookVerdict::Pass => None,
        HookVerdict::Warn { context } => Some(obj(vec![(
            "hookSpecificOutput",
            obj(vec![
                ("hookEventName", s(moment.event_name())),
                ("additionalContext", s(context)),
            ]),
        )])),
        HookVerdict::Deny { reason, context } => {
            let mut inner = vec![
                ("hookEventName", s(moment.event_name())),
                ("permissionDecision", s("deny")),
                ("permissionDecisionReason", s(reason)),
            ];
            if !context.is_empty() {
                inner.push(("additionalContext", s(context)));
            }
            Some(obj(vec![("hookSpecificOutput", obj(inner))]))
        }
    }
}

/// Claude Code's stop-hook block, `{"decision": "block", "reason": …}`: what
/// a stop hook prints to keep the agent working when no `--dialect` is
/// given (the verify-on-stop hook, and its fallback for an unknown one) and
/// what the wait-marker hook always prints to hold the turn open.
pub fn stop_block(reason: &str) -> Value {
    obj(vec![("decision", s("block")), ("reason", s(reason))])
}

/// Render `verdict` at `moment` in `dialect` (`None` = print nothing).
pub fn render(dialect: Dialect, verdict: &HookVerdict, moment: Moment) -> Option<Value> {
    if matches!(verdict, HookVerdict::Warn { context } if context.is_empty()) {
        return None; // a warning with nothing to say is a pass
    }
    match dialect {
        Dialect::External => with_external(|d| d.render(verdict, moment)).flatten(),
        // At STOP too, as the reference renders an explicit `--dialect
        // claude-code` (or codex, claude-cowork): a `permissionDecision`
        // object with `hookEventName: "Stop"` (its quirk: Claude Code acts on
        // a stop hook's `{"decision": "block"}`, which [`stop_block`] is and
        // a stop hook without `--dialect` prints).
        Dialect::ClaudeCode | Dialect::Codex | Dialect::ClaudeCowork => claude_code(verdict, moment),
        Dialect::CopilotCli => match verdict {
            HookVerdict::Pass => None,
            HookVerdict::Warn { context } => Some(obj(vec![
                ("permissionDecision", s("allow")),
                ("permissionDecisionReason", s(context)),
            ])),
            HookVerdict::Deny { reason, context } => {
                let j = joined(reason, context);
                let mut pairs = vec![("permissionDecision", s("deny"))];
                if !j.is_empty() {
                    pairs.push(("permissionDecisionReason", s(&j)));
                }
                Some(obj(pairs))
            }
        },
        Dialect::Gemini => match verdict {
            HookVerdict::Pass => None,
            HookVerdict::Warn { context } => Some(obj(vec![(
                "hookSpecificOutput",
                obj(vec![("additionalContext", s(context))]),
            )])),
            HookVerdict::Deny { reason, context } => {
                let mut pairs = if moment == Moment::Pre {
                    vec![("continue", Value::Bool(false)), ("stopReason", s(reason))]
                } else {
                    vec![("decision", s("block")), ("reason", s(reason))]
                };
                if !context.is_empty() {
                    pairs.push(("hookSpecificOutput", obj(vec![("additionalContext", s(context))])));
                }
                Some(obj(pairs))
            }
        },
        Dialect::Antigravity | Dialect::Hermes => {
            let word = if dialect == Dialect::Antigravity {
                "deny"
            } else {
                "block"
            };
            match verdict {
                HookVerdict::Pass => None,
                HookVerdict::Warn { context } => Some(if dialect == Dialect::Antigravity {
                    obj(vec![("reason", s(context))])
                } else {
                    obj(vec![])
                }),
                HookVerdict::Deny { reason, context } => {
                    let j = joined(reason, context);
                    let mut pairs = vec![("decision", s(word))];
                    if !j.is_empty() {
                        pairs.push(("reason", s(&j)));
                    }
                    Some(obj(pairs))
                }
            }
        }
        Dialect::Cursor => match verdict {
            HookVerdict::Pass => None,
            HookVerdict::Warn { context } => Some(obj(vec![
                ("permission", s("allow")),
                ("agent_message", s(context)),
            ])),
            HookVerdict::Deny { reason, context } => {
                let mut pairs = vec![("permission", s("deny"))];
                let m = if context.is_empty() {
                    reason.clone()
                } else {
                    format!("{reason} {context}").trim().to_string()
                };
                if !m.is_empty() {
                    pairs.push(("agent_message", s(&m)));
                }
                Some(obj(pairs))
            }
        },
    }
}

/// The stdout line for a rendered object: sorted keys, ASCII-only, `\n`.
pub fn stdout_line(v: &Value) -> String {
    let mut out = dos_py::dumps::dumps(
        v,
        dos_py::dumps::Style {
            sort_keys: true,
            ..dos_py::dumps::Style::DEFAULT
        },
    );
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(d: Dialect, v: &HookVerdict, m: Moment) -> String {
        render(d, v, m).map(|x| stdout_line(&x)).unwrap_or_default()
    }

    #[test]
    fn dialect_table() {
        use Dialect::*;
        let warn = HookVerdict::Warn {
            context: "c—x".into(),
        };
        let deny = HookVerdict::Deny {
            reason: "r".into(),
            context: "".into(),
        };
        let deny_ctx = HookVerdict::Deny {
            reason: "r".into(),
            context: "n".into(),
        };
        let table: Vec<(Dialect, &HookVerdict, Moment, &str)> = vec![
            (ClaudeCode, &warn, Moment::Post, "{\"hookSpecificOutput\": {\"additionalContext\": \"c\\u2014x\", \"hookEventName\": \"PostToolUse\"}}\n"),
            (Codex, &warn, Moment::Post, "{\"hookSpecificOutput\": {\"additionalContext\": \"c\\u2014x\", \"hookEventName\": \"PostToolUse\"}}\n"),
            (Gemini, &warn, Moment::Post, "{\"hookSpecificOutput\": {\"additionalContext\": \"c\\u2014x\"}}\n"),
            (Antigravity, &warn, Moment::Post, "{\"reason\": \"c\\u2014x\"}\n"),
            (Hermes, &warn, Moment::Post, "{}\n"),
            (Cursor, &warn, Moment::Post, "{\"agent_message\": \"c\\u2014x\", \"permission\": \"allow\"}\n"),
            (ClaudeCode, &deny, Moment::Stop, "{\"hookSpecificOutput\": {\"hookEventName\": \"Stop\", \"permissionDecision\": \"deny\", \"permissionDecisionReason\": \"r\"}}\n"),
            (Codex, &deny_ctx, Moment::Stop, "{\"hookSpecificOutput\": {\"additionalContext\": \"n\", \"hookEventName\": \"Stop\", \"permissionDecision\": \"deny\", \"permissionDecisionReason\": \"r\"}}\n"),
            (ClaudeCowork, &deny, Moment::Stop, "{\"hookSpecificOutput\": {\"hookEventName\": \"Stop\", \"permissionDecision\": \"deny\", \"permissionDecisionReason\": \"r\"}}\n"),
            (ClaudeCode, &warn, Moment::Session, "{\"hookSpecificOutput\": {\"additionalContext\": \"c\\u2014x\", \"hookEventName\": \"SessionStart\"}}\n"),
            (ClaudeCode, &deny_ctx, Moment::Pre, "{\"hookSpecificOutput\": {\"additionalContext\": \"n\", \"hookEventName\": \"PreToolUse\", \"permissionDecision\": \"deny\", \"permissionDecisionReason\": \"r\"}}\n"),
            (Gemini, &deny, Moment::Pre, "{\"continue\": false, \"stopReason\": \"r\"}\n"),
            (Gemini, &deny_ctx, Moment::Pre, "{\"continue\": false, \"hookSpecificOutput\": {\"additionalContext\": \"n\"}, \"stopReason\": \"r\"}\n"),
            (Gemini, &deny, Moment::Stop, "{\"decision\": \"block\", \"reason\": \"r\"}\n"),
            (Antigravity, &deny_ctx, Moment::Pre, "{\"decision\": \"deny\", \"reason\": \"r n\"}\n"),
            (Hermes, &deny, Moment::Stop, "{\"decision\": \"block\", \"reason\": \"r\"}\n"),
            (Cursor, &deny_ctx, Moment::Pre, "{\"agent_message\": \"r n\", \"permission\": \"deny\"}\n"),
            (Cursor, &HookVerdict::Pass, Moment::Pre, ""),
            (ClaudeCowork, &warn, Moment::Post, "{\"hookSpecificOutput\": {\"additionalContext\": \"c\\u2014x\", \"hookEventName\": \"PostToolUse\"}}\n"),
            (CopilotCli, &warn, Moment::Post, "{\"permissionDecision\": \"allow\", \"permissionDecisionReason\": \"c\\u2014x\"}\n"),
            (CopilotCli, &deny_ctx, Moment::Pre, "{\"permissionDecision\": \"deny\", \"permissionDecisionReason\": \"r n\"}\n"),
            (CopilotCli, &HookVerdict::Pass, Moment::Pre, ""),
        ];
        for (i, (d, v, m, expected)) in table.into_iter().enumerate() {
            assert_eq!(line(d, v, m), expected, "row {i}");
        }
    }

    #[test]
    fn the_stop_hooks_block_shape() {
        assert_eq!(
            stdout_line(&stop_block("r—x")),
            "{\"decision\": \"block\", \"reason\": \"r\\u2014x\"}\n"
        );
    }

    #[test]
    fn unknown_dialect_message() {
        assert_eq!(Dialect::resolve(Some("")), Ok(Dialect::ClaudeCode));
        let e = Dialect::resolve(Some("bogus")).unwrap_err().to_string();
        assert_eq!(e, "unknown hook dialect 'bogus' — known: claude-code (or a registered dos.hook_dialects plugin). Refusing to fall back to 'claude-code': a wrong dialect against a non-Claude-Code host is a silent no-op.");
    }
}
