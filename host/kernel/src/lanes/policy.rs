//! `SupervisePolicy` and the `[supervise]` table of `dos.toml`.

use serde_json::{Map, Value};
use toml::Value as T;

/// The default worker command line (`{lane}` is substituted).
pub const DEFAULT_TEMPLATE: &str = "/dos-dispatch-loop --lane {lane}";

/// How the supervisor keeps the roster at target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisePolicy {
    /// Desired live workers.
    pub target: i64,
    /// Whether a SPINNING worker counts toward `alive`.
    pub count_spinning_as_alive: bool,
    /// Whether a STALLED worker is reaped (and its lane refilled).
    pub reap_stalled: bool,
    /// Propose a halt for a spinner at least this old (None = off).
    pub spin_halt_after_ms: Option<i64>,
    /// The worker command (must contain `{lane}`).
    pub worker_launch_template: String,
    /// Concurrency budget for repeatable auto-pick lanes (None = off).
    pub max_concurrency: Option<i64>,
}

impl Default for SupervisePolicy {
    fn default() -> Self {
        SupervisePolicy {
            target: 1,
            count_spinning_as_alive: true,
            reap_stalled: true,
            spin_halt_after_ms: None,
            worker_launch_template: DEFAULT_TEMPLATE.into(),
            max_concurrency: None,
        }
    }
}

const KNOWN: [&str; 7] = [
    "count_spinning_as_alive",
    "max_concurrency",
    "reap_stalled",
    "spin_halt_after_minutes",
    "spin_halt_after_ms",
    "target",
    "worker_launch_template",
];

fn py_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| dos_py::repr::str_repr(s)).collect();
    format!("[{}]", quoted.join(", "))
}

impl SupervisePolicy {
    /// Check the invariants; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.target < 0 {
            return Err("supervise target must be non-negative".into());
        }
        if self.spin_halt_after_ms.is_some_and(|v| v < 0) {
            return Err("supervise spin_halt_after_ms must be non-negative or None".into());
        }
        if !self.worker_launch_template.contains("{lane}") {
            return Err("supervise worker_launch_template must contain the '{lane}' placeholder (the per-lane substitution point)".into());
        }
        if self.max_concurrency.is_some_and(|v| v < 1) {
            return Err("supervise max_concurrency must be >= 1 or None".into());
        }
        Ok(())
    }

    /// Overlay a `[supervise]` table onto `self` (absent keys inherit).
    pub fn overlay(&self, table: &T) -> Result<SupervisePolicy, String> {
        let T::Table(t) = table else {
            return Err(format!(
                "[supervise] must be a table, got {}",
                dos_py::toml_value::toml_type_name(table)
            ));
        };
        let mut unknown: Vec<&str> = t
            .keys()
            .map(String::as_str)
            .filter(|k| !KNOWN.contains(k))
            .collect();
        unknown.sort();
        if !unknown.is_empty() {
            return Err(format!(
                "[supervise] has unknown key(s) {}; known keys are {}",
                py_list(&unknown),
                py_list(&KNOWN)
            ));
        }
        if t.contains_key("spin_halt_after_ms") && t.contains_key("spin_halt_after_minutes") {
            return Err(
                "[supervise] declares both spin_halt_after_ms and spin_halt_after_minutes; pick one".into(),
            );
        }
        let mut p = self.clone();
        if let Some(v) = t.get("target") {
            match v {
                T::Integer(i) => p.target = *i,
                other => {
                    return Err(format!(
                        "[supervise].target must be a non-negative integer, got {}",
                        dos_py::toml_value::toml_type_name(other)
                    ))
                }
            }
        }
        for key in ["count_spinning_as_alive", "reap_stalled"] {
            if let Some(v) = t.get(key) {
                let T::Boolean(b) = v else {
                    return Err(format!(
                        "[supervise].{key} must be a boolean, got {}",
                        dos_py::toml_value::toml_type_name(v)
                    ));
                };
                if key == "reap_stalled" {
                    p.reap_stalled = *b;
                } else {
                    p.count_spinning_as_alive = *b;
                }
            }
        }
        for (key, scale) in [("spin_halt_after_ms", 1.0), ("spin_halt_after_minutes", 60_000.0)] {
            if let Some(v) = t.get(key) {
                let ms = match v {
                    T::Integer(i) if scale == 1.0 => *i,
                    T::Integer(i) => (*i as f64 * scale).trunc() as i64,
                    T::Float(f) if f.is_finite() => (f * scale).trunc() as i64,
                    other => {
                        return Err(format!(
                            "[supervise].{key} must be a non-negative number, got {}",
                            dos_py::toml_value::toml_type_name(other)
                        ))
                    }
                };
                p.spin_halt_after_ms = Some(ms);
            }
        }
        if let Some(v) = t.get("worker_launch_template") {
            let T::String(s) = v else {
                return Err(format!(
                    "[supervise].worker_launch_template must be a string, got {}",
                    dos_py::toml_value::toml_type_name(v)
                ));
            };
            p.worker_launch_template = s.clone();
        }
        if let Some(v) = t.get("max_concurrency") {
            let T::Integer(i) = v else {
                return Err(format!(
                    "[supervise].max_concurrency must be a positive integer or absent, got {}",
                    dos_py::toml_value::toml_type_name(v)
                ));
            };
            p.max_concurrency = Some(*i);
        }
        p.validate()?;
        Ok(p)
    }

    /// The policy for a workspace: `[supervise]` over the defaults. A
    /// malformed table keeps the defaults and returns the warning line.
    pub fn for_workspace(ws: &crate::workspace::Workspace) -> (SupervisePolicy, Option<String>) {
        let base = SupervisePolicy::default();
        let path = ws.root.join("dos.toml");
        let Some(raw) = ws_table(ws) else {
            return (base, None);
        };
        match base.overlay(&raw) {
            Ok(p) => (p, None),
            Err(msg) => (
                base,
                Some(format!(
                    "warning: ignoring malformed [supervise] in {}: {msg}",
                    path.display()
                )),
            ),
        }
    }

    /// `to_dict()` in the reference's key order.
    pub fn to_map(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("target".into(), Value::from(self.target));
        m.insert(
            "count_spinning_as_alive".into(),
            Value::Bool(self.count_spinning_as_alive),
        );
        m.insert("reap_stalled".into(), Value::Bool(self.reap_stalled));
        m.insert(
            "spin_halt_after_ms".into(),
            self.spin_halt_after_ms.map(Value::from).unwrap_or(Value::Null),
        );
        m.insert(
            "worker_launch_template".into(),
            Value::from(self.worker_launch_template.as_str()),
        );
        m.insert(
            "max_concurrency".into(),
            self.max_concurrency.map(Value::from).unwrap_or(Value::Null),
        );
        m
    }
}

fn ws_table(ws: &crate::workspace::Workspace) -> Option<T> {
    // `Config` holds the parsed document; a non-table `supervise` is still
    // surfaced so `overlay` can name its type.
    match ws.config.table("supervise") {
        Ok(Some(t)) if t.is_empty() => None,
        Ok(Some(t)) => Some(T::Table(t.clone())),
        Ok(None) => None,
        Err(_) => Some(T::String(String::new())),
    }
}

/// Render the template for `lane` with Python `str.format` rules: `{lane}`
/// substituted, `{{`/`}}` literal braces; any other field is an error.
pub fn render_template(template: &str, lane: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut field = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(ch) => field.push(ch),
                        None => return Err(format!("worker_launch_template {template:?}: unclosed '{{'")),
                    }
                }
                if field == "lane" {
                    out.push_str(lane);
                } else {
                    return Err(format!(
                        "worker_launch_template {template:?} has an unknown placeholder {{{field}}} (only {{lane}} is substituted; write {{{{ and }}}} for literal braces)"
                    ));
                }
            }
            '}' => {
                return Err(format!(
                    "worker_launch_template {template:?}: single '}}' (write '}}}}' for a literal brace)"
                ))
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SupervisePolicy, String> {
        let doc: toml::Table = text.parse().unwrap();
        SupervisePolicy::default().overlay(doc.get("supervise").unwrap())
    }

    #[test]
    fn overlay_table() {
        let ok = [
            ("[supervise]\ntarget = 3", "target", Value::from(3)),
            (
                "[supervise]\nspin_halt_after_ms = 1500.9",
                "spin_halt_after_ms",
                Value::from(1500),
            ),
            (
                "[supervise]\nspin_halt_after_minutes = 0.5",
                "spin_halt_after_ms",
                Value::from(30000),
            ),
            (
                "[supervise]\nspin_halt_after_ms = 0",
                "spin_halt_after_ms",
                Value::from(0),
            ),
            (
                "[supervise]\nmax_concurrency = 4",
                "max_concurrency",
                Value::from(4),
            ),
        ];
        for (text, key, want) in ok {
            assert_eq!(parse(text).unwrap().to_map()[key], want, "{text}");
        }
        let bad = [
            ("[supervise]\ntarget = \"two\"", "[supervise].target must be a non-negative integer, got str"),
            ("[supervise]\ntarget = 1.5", "[supervise].target must be a non-negative integer, got float"),
            ("[supervise]\ntarget = -1", "supervise target must be non-negative"),
            ("[supervise]\nreap_stalled = 1", "[supervise].reap_stalled must be a boolean, got int"),
            ("[supervise]\nbogus = 1", "[supervise] has unknown key(s) ['bogus']; known keys are ['count_spinning_as_alive', 'max_concurrency', 'reap_stalled', 'spin_halt_after_minutes', 'spin_halt_after_ms', 'target', 'worker_launch_template']"),
            ("[supervise]\nspin_halt_after_ms = 1\nspin_halt_after_minutes = 1", "[supervise] declares both spin_halt_after_ms and spin_halt_after_minutes; pick one"),
            ("[supervise]\nspin_halt_after_ms = true", "[supervise].spin_halt_after_ms must be a non-negative number, got bool"),
            ("[supervise]\nworker_launch_template = 3", "[supervise].worker_launch_template must be a string, got int"),
            ("[supervise]\nworker_launch_template = \"x\"", "supervise worker_launch_template must contain the '{lane}' placeholder (the per-lane substitution point)"),
            ("[supervise]\nmax_concurrency = true", "[supervise].max_concurrency must be a positive integer or absent, got bool"),
            ("[supervise]\nmax_concurrency = 0", "supervise max_concurrency must be >= 1 or None"),
        ];
        for (text, want) in bad {
            assert_eq!(parse(text).unwrap_err(), want, "{text}");
        }
    }

    #[test]
    fn template_rendering() {
        assert_eq!(
            render_template("run {lane} {{x}}", "main").unwrap(),
            "run main {x}"
        );
        assert!(render_template("run {lane} {other}", "main").is_err());
    }
}
