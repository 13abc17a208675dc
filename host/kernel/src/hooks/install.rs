//! Hook installers (pure data): where and in what shape each agent runtime
//! registers a hook command, and the exact command lines `dos init --hooks`
//! wires into it. The file merge lives in [`super::install_merge`]; the file
//! I/O in the `dos` binary (`cli/init.rs`).
//!
//! The event names, file paths and shapes are the reference's (0.30) install
//! specs. A plugin installer (`hook_installs` group) answers with the same
//! [`InstallSpec`] as JSON.

use serde::{Deserialize, Serialize};

/// The opening fence of the managed block in a TOML config.
pub const TOML_FENCE_OPEN: &str = "# >>> dos hooks (managed by `dos init --hooks`) >>>";
/// The closing fence of the managed block in a TOML config.
pub const TOML_FENCE_CLOSE: &str = "# <<< dos hooks <<<";

/// How a runtime's hook config is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConfigFormat {
    /// A JSON document with a top-level `hooks` object keyed by event.
    Json,
    /// A TOML document; DOS owns a fenced `[[hooks.EVENT]]` block in it.
    Toml,
}

fn yes() -> bool {
    true
}

/// Everything `dos init --hooks RUNTIME` needs to wire one runtime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallSpec {
    /// The `--hooks` name.
    pub runtime: String,
    /// The config file, as path parts under the workspace root.
    pub config_path: Vec<String>,
    /// The config file's format.
    pub format: ConfigFormat,
    /// The runtime's event name(s) for the moment before a tool runs.
    pub pre_events: Vec<String>,
    /// The runtime's event name(s) for the moment after a tool ran.
    pub post_events: Vec<String>,
    /// The runtime's event name(s) for the agent stopping.
    pub stop_events: Vec<String>,
    /// The `--dialect` each wired command carries (`None`: Claude Code's default).
    #[serde(default)]
    pub dialect: Option<String>,
    /// JSON: does an entry carry `"type": "command"`?
    #[serde(default = "yes")]
    pub entry_has_type: bool,
    /// JSON: is each event a list of `{"hooks": [entry]}` groups (Claude Code)?
    #[serde(default)]
    pub group_wraps: bool,
    /// JSON: a top-level `"version"` the file requires.
    #[serde(default)]
    pub version: Option<i64>,
    /// A hint printed after wiring.
    #[serde(default)]
    pub note: String,
    /// Whether the runtime's stop event also takes the wait-marker hook
    /// (`marker`, Claude Code's envelope) when a loop is configured.
    #[serde(default)]
    pub marker: bool,
}

/// A spec that cannot be installed (from a plugin, usually).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// The config path is empty, absolute, or climbs out of the workspace.
    #[error(
        "config_path {0:?} must be relative path parts inside the workspace (no '..', '/', or empty part)"
    )]
    BadPath(Vec<String>),
    /// No event at all.
    #[error("the installer names no event to wire")]
    NoEvents,
    /// An event name unusable in the format.
    #[error("event name {0:?} is not usable (empty, or not a bare TOML key)")]
    BadEvent(String),
    /// A dialect name that cannot ride a command line.
    #[error("dialect name {0:?} must be letters, digits, '-' or '_'")]
    BadDialect(String),
}

fn is_word(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl InstallSpec {
    /// Check the spec is installable: a relative path inside the workspace,
    /// at least one event, event and dialect names that are safe to write.
    pub fn validate(&self) -> Result<(), SpecError> {
        let bad_part = |p: &String| {
            p.is_empty() || p == "." || p == ".." || p.contains('/') || p.contains('\\') || p.contains('\0')
        };
        if self.config_path.is_empty() || self.config_path.iter().any(bad_part) {
            return Err(SpecError::BadPath(self.config_path.clone()));
        }
        let events: Vec<&String> = self
            .pre_events
            .iter()
            .chain(&self.post_events)
            .chain(&self.stop_events)
            .collect();
        if events.is_empty() {
            return Err(SpecError::NoEvents);
        }
        for e in events {
            let ok = match self.format {
                ConfigFormat::Toml => is_word(e),
                ConfigFormat::Json => !e.is_empty() && !e.chars().any(char::is_control),
            };
            if !ok {
                return Err(SpecError::BadEvent(e.clone()));
            }
        }
        match &self.dialect {
            Some(d) if !is_word(d) => Err(SpecError::BadDialect(d.clone())),
            _ => Ok(()),
        }
    }
}

/// Which program the per-call hooks run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PerCallProgram {
    /// The fast `dos-hook` binary at this absolute path.
    Native(std::path::PathBuf),
    /// `dos hook VERB` (no `dos-hook` found).
    DosHook,
}

impl PerCallProgram {
    /// The command prefix a verb is appended to.
    fn prefix(&self) -> String {
        match self {
            PerCallProgram::Native(p) => shell_word(&p.to_string_lossy()),
            PerCallProgram::DosHook => "dos hook".into(),
        }
    }

    /// One line for `dos init`'s output: which program the hooks call.
    pub fn describe(&self) -> String {
        match self {
            PerCallProgram::Native(p) => format!(
                "per-call hooks run {} (the fast binary); the stop hook runs `dos hook stop`",
                p.display()
            ),
            PerCallProgram::DosHook => {
                "per-call hooks run `dos hook VERB`; the stop hook runs `dos hook stop`".into()
            }
        }
    }
}

/// `word` quoted for `sh` when it holds anything but plain path characters.
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:@%=".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The lifecycle verbs DOS wires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `pretool`.
    Pre,
    /// `posttool`.
    Post,
    /// `stop`.
    Stop,
    /// `marker` (the wait-marker budget on a loop's stop).
    Marker,
}

/// The program `spec`'s per-call hooks run: `dos-hook` serves the built-in
/// dialects only, so a plugin dialect is wired as `dos hook VERB`.
pub fn effective_program<'a>(
    spec: &InstallSpec,
    program: &'a PerCallProgram,
) -> std::borrow::Cow<'a, PerCallProgram> {
    match &spec.dialect {
        Some(d) if !super::dialect::BUILTIN_NAMES.contains(&d.as_str()) => {
            std::borrow::Cow::Owned(PerCallProgram::DosHook)
        }
        _ => std::borrow::Cow::Borrowed(program),
    }
}

/// The command line `spec` wires for `verb`.
pub fn command(spec: &InstallSpec, verb: Verb, program: &PerCallProgram) -> String {
    let program = effective_program(spec, program);
    let dialect = match &spec.dialect {
        Some(d) => format!(" --dialect {d}"),
        None => String::new(),
    };
    match verb {
        Verb::Pre => format!("{} pretool --workspace .{dialect}", program.prefix()),
        Verb::Post => format!("{} posttool --workspace .{dialect}", program.prefix()),
        Verb::Stop => format!("dos hook stop --workspace .{dialect}"),
        Verb::Marker => format!("{} marker --workspace .", program.prefix()),
    }
}

/// Every event the spec wires, each with the commands it gets (in order;
/// an event named twice gets its commands once, in first-seen order).
pub fn event_commands(
    spec: &InstallSpec,
    program: &PerCallProgram,
    with_marker: bool,
) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut add = |event: &String, cmd: String| match out.iter_mut().find(|(e, _)| e == event) {
        Some((_, cmds)) => {
            if !cmds.contains(&cmd) {
                cmds.push(cmd)
            }
        }
        None => out.push((event.clone(), vec![cmd])),
    };
    for e in &spec.pre_events {
        add(e, command(spec, Verb::Pre, program));
    }
    for e in &spec.post_events {
        add(e, command(spec, Verb::Post, program));
    }
    for e in &spec.stop_events {
        add(e, command(spec, Verb::Stop, program));
        if with_marker && spec.marker {
            add(e, command(spec, Verb::Marker, program));
        }
    }
    out
}

/// Whether a command line is one DOS wired: its program is `dos-hook`, or
/// `dos` followed by `hook`.
pub fn is_dos_command(cmd: &str) -> bool {
    let words = split_shell_words(cmd.trim());
    let base = |w: &str| w.rsplit('/').next().unwrap_or(w).to_string();
    match words.as_slice() {
        [first, ..] if base(first) == "dos-hook" => true,
        [first, second, ..] => base(first) == "dos" && second == "hook",
        _ => false,
    }
}

/// Every `command` string under `v` (a parsed hook config).
pub fn commands_under(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("command", serde_json::Value::String(s)) => out.push(s.clone()),
                    _ => commands_under(x, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| commands_under(x, out)),
        _ => {}
    }
}

/// The first words of a command line, honouring `'…'` and `"…"` quoting
/// (enough to recognise a quoted program path).
fn split_shell_words(cmd: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = cmd.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => cur.extend(chars.next()),
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true
            }
            (None, '\\') => {
                cur.extend(chars.next());
                in_word = true
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                    if words.len() == 2 {
                        return words;
                    }
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

fn owned(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const COWORK_NOTE: &str = "Claude Cowork runs the Claude Code harness, so these hooks wire the SAME .claude/settings.json Claude Code enforces on this workspace. Cowork itself does not fire hooks yet (anthropics/claude-code#63360) — until then its working DOS surface is advisory. The wired commands must resolve inside the session that fires them (in Cowork's VM: install dos there).";
const CURSOR_NOTE: &str = "Cursor honors \"failClosed\": true on the PRE deny — add it per-hook if you want a DOS crash to BLOCK the call (DOS itself fails to PASS; the host's fail-on-crash direction is your call).";
const CODEX_NOTE: &str = "Codex fires PreToolUse only on its Bash / apply_patch / unified_exec / mcp handlers (a host coverage limit, tracked upstream) — DOS wires the right bytes; Codex simply won't call the hook on every tool.";
const GEMINI_NOTE: &str = "Gemini 0.45.x adopted Claude-Code's group-wrapped hook-config shape (hence `gemini hooks migrate`). BeforeTool honors {\"continue\":false}, AfterAgent honors {\"decision\":\"block\"} — all rendered via --dialect gemini.";
const ANTIGRAVITY_NOTE: &str = "Antigravity also fires BeforeModel / AfterModel / SessionStart / SubAgentStop; DOS wires the tool + stop seams (PreToolUse / PostToolUse / Stop). A workspace .agents/hooks.json takes precedence over the global one. The hook OUTPUT is top-level {\"decision\":\"deny\"} (Gemini-shaped, via --dialect antigravity), even though the CONFIG is Claude-Code-shaped.";
const COPILOT_NOTE: &str = "GitHub Copilot CLI (the standalone copilot agent, NOT the VS Code agent-hooks surface) loads every .github/hooks/*.json; camelCase events preToolUse/postToolUse/agentStop. Its deny output is a FLAT top-level {\"permissionDecision\":\"deny\",…} (CC field names, un-nested), so DOS wires --dialect copilot-cli (the claude-code dialect's NESTED form would be a silent fail-open here).";

#[allow(clippy::too_many_arguments)]
fn spec(
    runtime: &str,
    path: &[&str],
    format: ConfigFormat,
    events: [&[&str]; 3],
    dialect: Option<&str>,
    shape: (bool, bool, Option<i64>),
    note: &str,
    marker: bool,
) -> InstallSpec {
    InstallSpec {
        runtime: runtime.into(),
        config_path: owned(path),
        format,
        pre_events: owned(events[0]),
        post_events: owned(events[1]),
        stop_events: owned(events[2]),
        dialect: dialect.map(str::to_string),
        entry_has_type: shape.0,
        group_wraps: shape.1,
        version: shape.2,
        note: note.into(),
        marker,
    }
}

/// The built-in runtime names, in display order.
pub const BUILTIN_RUNTIMES: [&str; 7] = [
    "antigravity",
    "claude-code",
    "claude-cowork",
    "codex",
    "copilot-cli",
    "cursor",
    "gemini",
];

/// The built-in installer for `runtime`, if there is one.
pub fn builtin(runtime: &str) -> Option<InstallSpec> {
    use ConfigFormat::{Json, Toml};
    const CC: [&[&str]; 3] = [&["PreToolUse"], &["PostToolUse"], &["Stop"]];
    let cc_shape = (true, true, None);
    Some(match runtime {
        "claude-code" => spec(
            runtime,
            &[".claude", "settings.json"],
            Json,
            CC,
            None,
            cc_shape,
            "",
            true,
        ),
        "claude-cowork" => InstallSpec {
            runtime: runtime.into(),
            note: COWORK_NOTE.into(),
            ..builtin("claude-code")?
        },
        "cursor" => spec(
            runtime,
            &[".cursor", "hooks.json"],
            Json,
            [
                &["beforeShellExecution", "beforeMCPExecution"],
                &["afterFileEdit"],
                &["stop"],
            ],
            Some("cursor"),
            (false, false, Some(1)),
            CURSOR_NOTE,
            false,
        ),
        "codex" => spec(
            runtime,
            &[".codex", "config.toml"],
            Toml,
            CC,
            Some("codex"),
            cc_shape,
            CODEX_NOTE,
            false,
        ),
        "gemini" => spec(
            runtime,
            &[".gemini", "settings.json"],
            Json,
            [&["BeforeTool"], &["AfterTool"], &["AfterAgent"]],
            Some("gemini"),
            cc_shape,
            GEMINI_NOTE,
            false,
        ),
        "antigravity" => spec(
            runtime,
            &[".agents", "hooks.json"],
            Json,
            CC,
            Some("antigravity"),
            cc_shape,
            ANTIGRAVITY_NOTE,
            false,
        ),
        "copilot-cli" => spec(
            runtime,
            &[".github", "hooks", "dos.json"],
            Json,
            [&["preToolUse"], &["postToolUse"], &["agentStop"]],
            Some("copilot-cli"),
            (true, false, Some(1)),
            COPILOT_NOTE,
            false,
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_are_valid() {
        for r in BUILTIN_RUNTIMES {
            let s = builtin(r).expect(r);
            assert_eq!(s.runtime, r);
            s.validate().expect(r);
        }
        assert!(builtin("nope").is_none());
    }

    #[test]
    fn recognises_dos_commands() {
        let table = [
            ("dos hook pretool --workspace .", true),
            ("  dos hook stop", true),
            ("/usr/local/bin/dos hook posttool", true),
            ("/opt/x/dos-hook pretool --workspace .", true),
            ("'/opt/my dir/dos-hook' pretool", true),
            ("\"/opt/my dir/dos-hook\" pretool", true),
            ("dos-hook", true),
            ("dos verify X Y", false),
            ("dossier hook", false),
            ("echo dos hook", false),
            ("", false),
        ];
        for (cmd, want) in table {
            assert_eq!(is_dos_command(cmd), want, "{cmd:?}");
        }
    }

    #[test]
    fn commands_per_program() {
        let s = builtin("cursor").unwrap();
        let native = PerCallProgram::Native("/a b/dos-hook".into());
        assert_eq!(
            command(&s, Verb::Pre, &native),
            "'/a b/dos-hook' pretool --workspace . --dialect cursor"
        );
        assert_eq!(
            command(&s, Verb::Stop, &native),
            "dos hook stop --workspace . --dialect cursor"
        );
        let cc = builtin("claude-code").unwrap();
        assert_eq!(
            command(&cc, Verb::Post, &PerCallProgram::DosHook),
            "dos hook posttool --workspace ."
        );
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        let mut plugin = builtin("cursor").unwrap();
        plugin.dialect = Some("tallyho".into());
        assert_eq!(
            command(&plugin, Verb::Pre, &native),
            "dos hook pretool --workspace . --dialect tallyho"
        );
        let events = event_commands(&s, &PerCallProgram::DosHook, true);
        assert_eq!(events.len(), 4);
        let cc_events = event_commands(&cc, &PerCallProgram::DosHook, true);
        assert_eq!(
            cc_events[2].1,
            vec!["dos hook stop --workspace .", "dos hook marker --workspace ."]
        );
    }

    #[test]
    fn validation_rejects_escapes() {
        let mut s = builtin("codex").unwrap();
        s.config_path = vec!["..".into(), "x".into()];
        assert!(matches!(s.validate(), Err(SpecError::BadPath(_))));
        let mut s = builtin("codex").unwrap();
        s.pre_events = vec!["a.b".into()];
        assert!(matches!(s.validate(), Err(SpecError::BadEvent(_))));
        let mut s = builtin("cursor").unwrap();
        s.dialect = Some("x; rm -rf /".into());
        assert!(matches!(s.validate(), Err(SpecError::BadDialect(_))));
        let mut s = builtin("cursor").unwrap();
        (s.pre_events, s.post_events, s.stop_events) = (vec![], vec![], vec![]);
        assert_eq!(s.validate(), Err(SpecError::NoEvents));
    }
}
