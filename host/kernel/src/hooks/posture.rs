//! The enforcement posture (0.30, `[enforcement] posture` / `DOS_HOOK_POSTURE`):
//! how a PRE refusal reaches the operator. `block` (default) keeps a deny a
//! deny; `observe` turns it into a warning; `gate` escalates it to the host's
//! permission prompt (`ask`); `assist` is `gate` plus an auto-`allow` of the
//! calls proven effect-free. The transform and the rendering are pure.

use super::dialect::{self, Dialect, HookVerdict, Moment};
use serde_json::Value;

/// The operator's enforcement posture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Posture {
    /// Record only: a refusal becomes a warning.
    Observe,
    /// A refusal blocks (the default; the pre-posture bytes).
    #[default]
    Block,
    /// A PRE refusal asks the human.
    Gate,
    /// `gate`, plus auto-allow of proven effect-free calls.
    Assist,
}

impl Posture {
    /// Parse leniently: trimmed, lower-cased; unknown or empty → `Block`
    /// (a typo can only make the hook stricter).
    pub fn parse(name: &str) -> Posture {
        match dos_py::text::py_strip(name).to_lowercase().as_str() {
            "observe" => Posture::Observe,
            "gate" => Posture::Gate,
            "assist" => Posture::Assist,
            _ => Posture::Block,
        }
    }

    /// The posture's token as records carry it.
    pub fn token(self) -> &'static str {
        match self {
            Posture::Observe => "observe",
            Posture::Block => "block",
            Posture::Gate => "gate",
            Posture::Assist => "assist",
        }
    }

    /// The effective posture: a non-blank `DOS_HOOK_POSTURE` wins, then a
    /// non-blank string `[enforcement] posture`, then `Block`. A non-string
    /// value reads as `Block`, like the reference's `str(value)`.
    pub fn effective(env: Option<&str>, table: Option<&toml::Table>) -> Posture {
        if let Some(e) = env.filter(|e| !dos_py::text::py_strip(e).is_empty()) {
            return Posture::parse(e);
        }
        match table.and_then(|t| t.get("posture")) {
            Some(toml::Value::String(s)) => Posture::parse(s),
            _ => Posture::Block,
        }
    }
}

/// What the operator sees for a PRE verdict after the posture transform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Surfaced {
    /// The verdict as decided (or softened to a warning).
    Verdict(HookVerdict),
    /// A host permission decision other than deny: `ask` or `allow`.
    Permission {
        /// `"ask"` or `"allow"`.
        verb: &'static str,
        /// Why.
        reason: String,
        /// Extra context ("" = none).
        context: String,
    },
}

impl Surfaced {
    /// The surface token 0.30 records (`deny`, `warn`, `ask`, `allow`, …);
    /// `None` for a pass (the record then keeps the kernel decision).
    pub fn token(&self) -> Option<&'static str> {
        match self {
            Surfaced::Verdict(HookVerdict::Pass) => None,
            Surfaced::Verdict(HookVerdict::Warn { .. }) => Some("warn"),
            Surfaced::Verdict(HookVerdict::Deny { .. }) => Some("deny"),
            Surfaced::Permission { verb, .. } => Some(verb),
        }
    }
}

/// Re-shape a PRE verdict for `posture`: a deny is softened (never
/// hardened); warnings and passes are untouched.
pub fn under_posture(verdict: HookVerdict, posture: Posture) -> Surfaced {
    match (verdict, posture) {
        (HookVerdict::Deny { reason, context }, Posture::Observe) => {
            let merged = [reason.as_str(), context.as_str()]
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            Surfaced::Verdict(HookVerdict::Warn {
                context: dos_py::text::py_strip(&merged).to_string(),
            })
        }
        (HookVerdict::Deny { reason, context }, Posture::Gate | Posture::Assist) => Surfaced::Permission {
            verb: "ask",
            reason,
            context,
        },
        (v, _) => Surfaced::Verdict(v),
    }
}

/// The `assist` auto-allow for a passthrough call proven effect-free.
pub fn assist_allow() -> Surfaced {
    Surfaced::Permission {
        verb: "allow",
        reason: "DOS verified this call carries no effect on shared state (no file write, no egress, no spawn) — auto-allowed under the assist posture.".into(),
        context: String::new(),
    }
}

/// A marker no real context contains, used to render the warning shape of a
/// dialect without its "empty warning is a pass" shortcut.
const PLACEHOLDER: &str = "\u{0}dos-posture-context\u{0}";

fn replace_placeholder(v: &mut Value, context: &str) {
    match v {
        Value::String(s) if s == PLACEHOLDER => *s = context.to_string(),
        Value::Object(m) => m.values_mut().for_each(|x| replace_placeholder(x, context)),
        _ => {}
    }
}

/// Render a surfaced verdict in `dialect` (`None` = print nothing). An
/// `ask`/`allow` renders as a `permissionDecision` where the dialect's deny
/// carries one (Claude Code's grammar); any other dialect has no such verb
/// and, as in 0.30, renders the warning shape with the verdict's context.
pub fn render(d: Dialect, surfaced: &Surfaced, moment: Moment) -> Option<Value> {
    let (verb, reason, context) = match surfaced {
        Surfaced::Verdict(v) => return dialect::render(d, v, moment),
        Surfaced::Permission {
            verb,
            reason,
            context,
        } => (*verb, reason, context),
    };
    let deny = HookVerdict::Deny {
        reason: reason.clone(),
        context: context.clone(),
    };
    if let Some(mut out) = dialect::render(d, &deny, moment) {
        if let Some(Value::Object(hso)) = out.get_mut("hookSpecificOutput") {
            if hso.contains_key("permissionDecision") {
                hso.insert("permissionDecision".into(), Value::from(verb));
                return Some(out);
            }
        }
    }
    let mut warn = dialect::render(
        d,
        &HookVerdict::Warn {
            context: PLACEHOLDER.into(),
        },
        moment,
    )?;
    replace_placeholder(&mut warn, context);
    Some(warn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_precedence() {
        assert_eq!(Posture::parse(" GATE "), Posture::Gate);
        assert_eq!(Posture::parse("bogus"), Posture::Block);
        assert_eq!(Posture::parse(""), Posture::Block);
        let t: toml::Table = toml::from_str("posture = \"observe\"").unwrap();
        let n: toml::Table = toml::from_str("posture = 1").unwrap();
        assert_eq!(Posture::effective(None, Some(&t)), Posture::Observe);
        assert_eq!(Posture::effective(Some("  "), Some(&t)), Posture::Observe);
        assert_eq!(Posture::effective(Some("assist"), Some(&t)), Posture::Assist);
        assert_eq!(Posture::effective(None, Some(&n)), Posture::Block);
        assert_eq!(Posture::effective(None, None), Posture::Block);
    }

    #[test]
    fn transform_and_render_table() {
        let deny = || HookVerdict::Deny {
            reason: "r".into(),
            context: "n".into(),
        };
        let line = |d, s: &Surfaced| {
            render(d, s, Moment::Pre)
                .map(|v| dialect::stdout_line(&v))
                .unwrap_or_default()
        };
        let table: Vec<(Dialect, Posture, &str)> = vec![
            (Dialect::ClaudeCode, Posture::Block, "{\"hookSpecificOutput\": {\"additionalContext\": \"n\", \"hookEventName\": \"PreToolUse\", \"permissionDecision\": \"deny\", \"permissionDecisionReason\": \"r\"}}\n"),
            (Dialect::ClaudeCode, Posture::Observe, "{\"hookSpecificOutput\": {\"additionalContext\": \"r n\", \"hookEventName\": \"PreToolUse\"}}\n"),
            (Dialect::ClaudeCode, Posture::Gate, "{\"hookSpecificOutput\": {\"additionalContext\": \"n\", \"hookEventName\": \"PreToolUse\", \"permissionDecision\": \"ask\", \"permissionDecisionReason\": \"r\"}}\n"),
            (Dialect::Codex, Posture::Assist, "{\"hookSpecificOutput\": {\"additionalContext\": \"n\", \"hookEventName\": \"PreToolUse\", \"permissionDecision\": \"ask\", \"permissionDecisionReason\": \"r\"}}\n"),
            (Dialect::Cursor, Posture::Gate, "{\"agent_message\": \"n\", \"permission\": \"allow\"}\n"),
            (Dialect::Hermes, Posture::Gate, "{}\n"),
        ];
        for (i, (d, p, expected)) in table.into_iter().enumerate() {
            assert_eq!(line(d, &under_posture(deny(), p)), expected, "row {i}");
        }
        let allow = assist_allow();
        assert_eq!(allow.token(), Some("allow"));
        assert_eq!(
            line(Dialect::Gemini, &allow),
            "{\"hookSpecificOutput\": {\"additionalContext\": \"\"}}\n"
        );
        assert!(line(Dialect::ClaudeCode, &allow).contains("\"permissionDecision\": \"allow\""));
        assert_eq!(
            under_posture(HookVerdict::Pass, Posture::Gate),
            Surfaced::Verdict(HookVerdict::Pass)
        );
    }
}
