//! The PRE-moment decision (pure): is this a PreToolUse event, what tree the
//! call may touch, whether it would edit the kernel's own running code
//! (SELF_MODIFY), the exec-capability advisory, and the operator nudge.
//!
//! Rung A as a whole (Disjointness against the live leases, then
//! SELF_MODIFY) is composed in `super::admission`; the live leases come from
//! `super::leases`.

use super::exec_capability::{self, Capability};
use super::json::Val;
use super::tool_stream::casefold;

/// Tools that only read.
pub const READ_ONLY_TOOLS: &[&str] = &[
    "Read",
    "Grep",
    "Glob",
    "LS",
    "NotebookRead",
    "WebFetch",
    "WebSearch",
];

/// The kernel files SELF_MODIFY protects (those that exist under the root).
pub const PROTECTED: &[&str] = &[
    "src/dos/arbiter.py",
    "src/dos/admission.py",
    "src/dos/self_modify.py",
    "src/dos/lane_overlap.py",
    "src/dos/_tree.py",
    "src/dos/gate_classify.py",
    "src/dos/loop_decide.py",
    "src/dos/tokens.py",
    "src/dos/wedge_reason.py",
    "src/dos/reasons.py",
    "src/dos/config.py",
];

/// The PRE-event test: a non-empty `tool_name`, `hook_event_name` absent /
/// non-string / empty / `PreToolUse`, and no non-null result key.
pub fn is_pre_event(event: &Val<'_>) -> bool {
    let tool_ok = matches!(event.get("tool_name"), Some(Val::Str(s)) if !s.raw.is_empty());
    let name_ok = match event.get("hook_event_name") {
        Some(Val::Str(s)) => s.raw.is_empty() || s.eq_str("PreToolUse"),
        _ => true,
    };
    let has_result = ["tool_response", "tool_output"]
        .iter()
        .any(|k| !matches!(event.get(k), None | Some(Val::Null)));
    tool_ok && name_ok && !has_result
}

/// What a call may touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    /// Repo-relative paths.
    pub paths: Vec<String>,
    /// Whether the footprint is known (an empty known tree touches nothing).
    pub known: bool,
}

/// Extract the tree of a call (before repo-relativizing).
pub fn extract_tree(tool: &str, input: Option<&Val<'_>>) -> Tree {
    if READ_ONLY_TOOLS.contains(&tool) {
        return Tree {
            paths: vec![],
            known: true,
        };
    }
    let input = input.filter(|v| v.is_obj());
    let field = |k: &str| -> Option<String> {
        input?
            .get(k)?
            .as_str()
            .map(|s| s.text)
            .filter(|s| !s.trim().is_empty())
    };
    for key in ["file_path", "path", "notebook_path"] {
        if let Some(p) = field(key) {
            return Tree {
                paths: vec![p],
                known: true,
            };
        }
    }
    if tool == "Bash" {
        if let Some(cmd) = field("command") {
            let paths = scrape_paths(&cmd);
            if !paths.is_empty() {
                return Tree { paths, known: true };
            }
        }
    }
    Tree {
        paths: vec![],
        known: false,
    }
}

/// Path-like tokens of a shell command.
pub fn scrape_paths(cmd: &str) -> Vec<String> {
    let spaced: String = cmd
        .chars()
        .map(|c| if matches!(c, ';' | '|' | '&') { ' ' } else { c })
        .collect();
    let mut out: Vec<String> = Vec::new();
    for tok in spaced.split_whitespace() {
        let t = tok.trim_matches(|c| matches!(c, '"' | '\'' | '(' | ')' | '<' | '>'));
        let last = t.rsplit('/').next().unwrap_or("");
        if t.contains('/') && !t.starts_with('-') && last.contains('.') && !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    out
}

/// Make `path` repo-relative to the event's `cwd`.
pub fn repo_relative(path: &str, cwd: &str) -> String {
    let p = path.replace('\\', "/");
    let c = cwd.replace('\\', "/");
    let c = c.trim_end_matches('/');
    if !c.is_empty() {
        if let Some(rest) = p.strip_prefix(&format!("{c}/")) {
            return rest.to_string();
        }
    }
    p.trim_start_matches('/').to_string()
}

/// Normalize a tree entry to a comparable prefix (the reference's
/// `norm_tree_prefix`): `\` → `/`, Python `strip()`, Unicode casefold,
/// truncated at the first `*` (a leading glob becomes `""`, the universe).
pub fn tree_prefix(p: &str) -> String {
    let f = casefold(crate::journal::pyvalue::py_strip(&p.replace('\\', "/")));
    match f.find('*') {
        Some(i) => f[..i].to_string(),
        None => f,
    }
}

/// The protected files a tree hits (in protected-list order).
pub fn self_modify_hits<'p>(tree: &[String], existing_protected: &[&'p str]) -> Vec<&'p str> {
    let entries: Vec<String> = tree.iter().map(|t| tree_prefix(t)).collect();
    existing_protected
        .iter()
        .filter(|prot| {
            let n = tree_prefix(prot);
            entries
                .iter()
                .any(|e| e.starts_with(&n) || n.starts_with(e.as_str()))
        })
        .copied()
        .collect()
}

/// The `tool_input` fields the tree extraction and the exec advisory read.
pub const TREE_FIELDS: &[&str] = &["file_path", "path", "notebook_path", "command"];

/// The SELF_MODIFY refusal reason.
pub fn self_modify_reason(tool: &str, hits: &[&str]) -> String {
    let mut list = hits.iter().take(3).copied().collect::<Vec<_>>().join(", ");
    if hits.len() > 3 {
        list.push('…');
    }
    format!(
        "lane {} would edit the orchestrator's own running code ({list}) — refusing to let a live loop rewrite the kernel that is adjudicating it (SELF_MODIFY). Pass --force only if you are deliberately editing the kernel between loop runs.",
        super::pyrepr::repr(tool)
    )
}

/// The exec-capability advisory for a Bash call, if its program grants
/// arbitrary execution.
pub fn exec_advisory(tool: &str, input: Option<&Val<'_>>, extra: &[String]) -> Option<String> {
    if tool != "Bash" {
        return None;
    }
    let cmd = input?.get("command")?.as_str()?.text;
    let v = exec_capability::classify(&cmd, extra);
    (v.capability == Capability::GrantsArbitraryExec).then(|| {
        format!(
            "DOS exec-capability (advisory): {} This call can run any code, so a narrower per-command allow-list does not bound what it does — proceeding; prefer a narrower command if one does the job.",
            v.reason
        )
    })
}

/// Operator-nudge counts for one holder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HelpCounts {
    /// BLOCK records.
    pub blocked: u64,
    /// WARN records.
    pub warned: u64,
    /// DEFER records.
    pub deferred: u64,
}

impl HelpCounts {
    /// Total helps.
    pub fn total(&self) -> u64 {
        self.blocked + self.warned + self.deferred
    }

    /// Count one lane-journal record if it is an ENFORCE help for `holder`
    /// (an empty holder counts every holder's records, as the reference does).
    pub fn add(&mut self, record: &Val<'_>, holder: &str) {
        if !matches!(record.get("op"), Some(Val::Str(s)) if s.eq_str("ENFORCE")) {
            return;
        }
        if !holder.is_empty() {
            // `str(rec.get("holder") or "")`, as the reference compares.
            let h = record
                .get("holder")
                .filter(|v| v.truthy())
                .map(Val::py_str)
                .unwrap_or_default();
            if h != holder {
                return;
            }
        }
        let rung = record
            .get("intervention")
            .and_then(Val::as_str)
            .map(|s| s.text.to_uppercase());
        match rung.as_deref() {
            Some("BLOCK") => self.blocked += 1,
            Some("WARN") => self.warned += 1,
            Some("DEFER") => self.deferred += 1,
            _ => {}
        }
    }
}

/// The nudge line on the 1st and every 5th help, else `None`.
pub fn nudge(c: &HelpCounts) -> Option<String> {
    let n = c.total();
    if !(n == 1 || (n > 0 && n.is_multiple_of(5))) {
        return None;
    }
    let mut parts = Vec::new();
    for (k, word) in [
        (c.blocked, "blocked"),
        (c.warned, "warned"),
        (c.deferred, "deferred"),
    ] {
        if k > 0 {
            parts.push(format!("{k} {word}"));
        }
    }
    let group = if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    };
    let thing = if n == 1 { "thing" } else { "things" };
    Some(format!(
        "DOS has caught {n} {thing} this session{group}. Run `dos helped` for the breakdown."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hooks::json::parse;

    #[test]
    fn pre_event_table() {
        let table: &[(&str, bool)] = &[
            (r#"{"tool_name":"Bash"}"#, true),
            (r#"{"tool_name":""}"#, false),
            (r#"{}"#, false),
            (r#"{"tool_name":"Bash","hook_event_name":"PostToolUse"}"#, false),
            (r#"{"tool_name":"Bash","hook_event_name":5}"#, true),
            (r#"{"tool_name":"Bash","tool_response":"x"}"#, false),
            (r#"{"tool_name":"Bash","tool_response":null}"#, true),
            (r#"{"tool_name":"Bash","tool_output":""}"#, false),
        ];
        for (ev, expected) in table {
            assert_eq!(is_pre_event(&parse(ev.as_bytes()).unwrap()), *expected, "{ev}");
        }
    }

    #[test]
    fn tree_and_self_modify() {
        let ev = parse(br#"{"command":"cat src/dos/arbiter.py > out.txt | grep -x ./a/b.c"}"#).unwrap();
        let t = extract_tree("Bash", Some(&ev));
        assert_eq!(t.paths, vec!["src/dos/arbiter.py", "./a/b.c"]);
        assert_eq!(
            repo_relative("/ws/src/dos/arbiter.py", "/ws/"),
            "src/dos/arbiter.py"
        );
        assert_eq!(repo_relative("/src/dos/arbiter.py", "/ws"), "src/dos/arbiter.py");
        let all: Vec<&str> = PROTECTED.to_vec();
        assert_eq!(
            self_modify_hits(&["SRC/DOS/Arbiter.py".into()], &all),
            vec!["src/dos/arbiter.py"]
        );
        assert_eq!(self_modify_hits(&["**/*".into()], &all).len(), 11);
        assert!(self_modify_hits(&["docs/a.md".into()], &all).is_empty());
        let r = self_modify_reason("Write", &self_modify_hits(&["src/dos/*.py".into()], &all));
        assert!(
            r.contains("(src/dos/arbiter.py, src/dos/admission.py, src/dos/self_modify.py…)"),
            "{r}"
        );
        assert_eq!(
            extract_tree("Read", None),
            Tree {
                paths: vec![],
                known: true
            }
        );
        assert!(!extract_tree("Bash", Some(&parse(br#"{"command":"ls"}"#).unwrap())).known);
    }

    #[test]
    fn nudge_cadence() {
        let c = |b, w| HelpCounts {
            blocked: b,
            warned: w,
            deferred: 0,
        };
        assert_eq!(
            nudge(&c(1, 0)).unwrap(),
            "DOS has caught 1 thing this session (1 blocked). Run `dos helped` for the breakdown."
        );
        assert_eq!(nudge(&c(2, 0)), None);
        assert_eq!(
            nudge(&c(3, 2)).unwrap(),
            "DOS has caught 5 things this session (3 blocked, 2 warned). Run `dos helped` for the breakdown."
        );
        assert_eq!(nudge(&c(0, 0)), None);
    }
}
