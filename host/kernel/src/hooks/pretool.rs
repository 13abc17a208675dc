//! The PRE-moment decision (pure): is this a PreToolUse event, what tree the
//! call may touch, whether it would edit the kernel's own running code
//! (SELF_MODIFY), the exec-capability advisory, and the operator nudge.
//!
//! Rung A as a whole (Disjointness against the live leases, then
//! SELF_MODIFY) is composed in `super::admission`; the live leases come from
//! `super::leases`.

use super::dialect::HookVerdict;
use super::exec_capability::{self, Capability};
use super::tool_stream::casefold;
use dos_py::json::Val;

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

/// The kernel files SELF_MODIFY protects (those that exist under the root):
/// 0.30's mid-flight-critical core (0.22 also listed five loop-internal files).
pub const PROTECTED: &[&str] = &[
    "src/dos/arbiter.py",
    "src/dos/admission.py",
    "src/dos/self_modify.py",
    "src/dos/lane_overlap.py",
    "src/dos/_tree.py",
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
    if READ_ONLY_TOOLS.contains(&tool) || super::footprint::NO_FOOTPRINT_TOOLS.contains(&tool) {
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
            if super::footprint::command_has_no_write_footprint(&cmd) {
                return Tree {
                    paths: vec![],
                    known: true,
                };
            }
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
    let f = casefold(dos_py::text::py_strip(&p.replace('\\', "/")));
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
        dos_py::repr::str_repr(tool)
    )
}

/// The SELF_MODIFY remedy the CLI offers, which the hook surface lacks.
const CLI_FORCE_TAIL: &str =
    "Pass --force only if you are deliberately editing the kernel between loop runs.";

/// The remedies that exist at the hook surface (0.30).
const HOOK_SURFACE_TAIL: &str = "Do not retry — there is no force override at this surface, and repeated denies raise an operator decision (dos decisions). Inspect with the read-only tools; the edit itself is the operator's, made between loop runs or under their armed override window (dos override status).";

/// Swap a SELF_MODIFY refusal's CLI-only `--force` remedy for the
/// hook-surface ones (appended when the tail is absent); other classes pass.
pub fn hook_surface_reason(reason: &str, reason_class: &str) -> String {
    if reason_class != "SELF_MODIFY" {
        return reason.to_string();
    }
    if reason.contains(CLI_FORCE_TAIL) {
        return reason.replace(CLI_FORCE_TAIL, HOOK_SURFACE_TAIL);
    }
    format!("{reason} {HOOK_SURFACE_TAIL}")
}

/// A session outside any dispatch loop: none of `DOS_LOOP`, `CID_RUN_ID`,
/// `DISPATCH_LOOP_TS` is set non-empty. Its collisions and SELF_MODIFY hits
/// are warnings, not denials (0.30).
pub fn operator_session(env: impl Fn(&str) -> Option<String>) -> bool {
    ["DOS_LOOP", "CID_RUN_ID", "DISPATCH_LOOP_TS"]
        .iter()
        .all(|k| env(k).is_none_or(|v| v.is_empty()))
}

/// The operator-session warning for a collision with a held lane.
pub fn operator_collision_warning(reason: &str) -> String {
    format!(
        "DOS PRE-admission (advisory, operator session): {reason} A held lane's DECLARED region overlaps this edit, but you are an interactive operator (not a dispatch loop) — you own the blast radius of your own change, so DOS warns instead of blocking. If a fleet loop is actively writing this exact file, coordinate before saving."
    )
}

/// The operator-session warning for a SELF_MODIFY hit.
pub fn operator_self_modify_warning(reason: &str) -> String {
    format!(
        "DOS PRE-admission (advisory, operator session): {reason} You are editing the live kernel, but NO dispatch loop is in flight (the mid-flight-rewrite hazard needs a live loop) — you own the blast radius of your own deliberate edit, so DOS warns instead of blocking. A dispatch loop carries the loop env and still gets the hard deny; arm a window (dos override status) to edit under a live loop."
    )
}

/// The advisory for a refusal whose unknown footprint proves no collision.
pub fn unproven_warning(reason: &str) -> String {
    format!(
        "DOS PRE-admission (advisory): {reason} This call's footprint does not prove a collision (an unresolved write footprint is unknown), so DOS cannot prove it collides — proceeding, but if this call mutates shared state, scope it to a declared path/lane."
    )
}

/// Whether Rung B (provenance) would consider the call mutating: anything
/// but a read or an orchestration tool.
pub fn is_mutating_tool(tool: &str) -> bool {
    !READ_ONLY_TOOLS.contains(&tool) && !super::footprint::NO_FOOTPRINT_TOOLS.contains(&tool)
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
    /// Helps whose record says `withheld: true` (the call was refused).
    pub withheld: u64,
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
            _ => return,
        }
        if matches!(record.get("withheld"), Some(Val::Bool(true))) {
            self.withheld += 1;
        }
    }
}

/// The nudge line on the 1st and every 5th help, else `None` (0.30's
/// wording: refusals first, advisories in parentheses).
pub fn nudge(c: &HelpCounts) -> Option<String> {
    let n = c.total();
    if !(n == 1 || (n > 0 && n.is_multiple_of(5))) {
        return None;
    }
    let advisory = n - c.withheld;
    if c.withheld > 0 {
        let noun = if c.withheld == 1 { "call" } else { "calls" };
        let detail = if advisory > 0 {
            format!(" (+{advisory} advisory)")
        } else {
            String::new()
        };
        return Some(format!(
            "DOS has refused {} {noun} this session{detail}. Run `dos helped` for the breakdown.",
            c.withheld
        ));
    }
    let cau = if advisory == 1 { "caution" } else { "cautions" };
    Some(format!(
        "DOS surfaced {advisory} advisory {cau} this session (no calls refused). Run `dos helped` for the breakdown."
    ))
}

/// The PRE decision as 0.30 makes it with the `observe` handler: the verdict
/// to show and the outcome fields its record carries.
#[derive(Debug, Clone)]
pub struct PreOutcome {
    /// The verdict to surface (before the posture reshapes it).
    pub verdict: HookVerdict,
    /// `deny`, `warn` or `passthrough`.
    pub decision: &'static str,
    /// `admission`, `provenance`, `none` (or our `exec_capability`).
    pub rung: &'static str,
    /// The typed reason class (`SELF_MODIFY`, `GRANTS_ARBITRARY_EXEC`, or empty).
    pub reason_class: &'static str,
    /// The (hook-surface) refusal reason, for the ENFORCE record.
    pub reason: String,
    /// Whether the call's tree was known, when the admission rung decided.
    pub tree_known: Option<bool>,
    /// The call's effect kind, when it is recorded.
    pub effect_kind: &'static str,
}

impl PreOutcome {
    /// Rung A's refusal (if any) turned into the verdict: loop sessions get
    /// the hard deny; operator sessions a warning for collisions and
    /// SELF_MODIFY; a proven no-footprint call passes clean.
    pub fn decide(
        tool: &str,
        tree: &Tree,
        refusal: Option<super::admission::Refusal>,
        env: impl Fn(&str) -> Option<String>,
    ) -> PreOutcome {
        let effect_kind = super::footprint::effect_kind(tool);
        let Some(r) = refusal else {
            let mutating = is_mutating_tool(tool);
            return PreOutcome {
                verdict: HookVerdict::Pass,
                decision: "passthrough",
                rung: if mutating { "provenance" } else { "none" },
                reason_class: "",
                reason: String::new(),
                tree_known: None,
                effect_kind: if mutating { "" } else { effect_kind },
            };
        };
        let reason = if r.reason.is_empty() {
            "DOS admission refused this call (no lane available).".to_string()
        } else {
            r.reason
        };
        let reason = hook_surface_reason(&reason, r.reason_class);
        let provable = !r.reason_class.is_empty() || (tree.known && !tree.paths.is_empty());
        let operator = operator_session(env);
        let warn = |context: String, class: &'static str, reason: String| PreOutcome {
            verdict: HookVerdict::Warn { context },
            decision: "warn",
            rung: "admission",
            reason_class: class,
            reason,
            tree_known: Some(tree.known),
            effect_kind: "",
        };
        if provable && operator && r.reason_class.is_empty() {
            return warn(operator_collision_warning(&reason), "", reason);
        }
        if provable && operator && r.reason_class == "SELF_MODIFY" {
            return warn(operator_self_modify_warning(&reason), r.reason_class, reason);
        }
        if provable {
            return PreOutcome {
                verdict: HookVerdict::Deny {
                    reason: format!("DOS PRE-admission: {reason}"),
                    context: String::new(),
                },
                decision: "deny",
                rung: "admission",
                reason_class: r.reason_class,
                reason,
                tree_known: Some(tree.known),
                effect_kind: "",
            };
        }
        if tree.known && tree.paths.is_empty() {
            return PreOutcome {
                verdict: HookVerdict::Pass,
                decision: "passthrough",
                rung: "admission",
                reason_class: "",
                reason: String::new(),
                tree_known: Some(true),
                effect_kind,
            };
        }
        warn(unproven_warning(&reason), r.reason_class, reason)
    }

    /// Append the operator nudge to the verdict's context (`\n\n`-joined).
    pub fn add_nudge(&mut self, nudge: &str) {
        if nudge.is_empty() {
            return;
        }
        let ctx = match &mut self.verdict {
            HookVerdict::Warn { context } | HookVerdict::Deny { context, .. } => context,
            HookVerdict::Pass => return,
        };
        *ctx = if dos_py::text::py_strip(ctx).is_empty() {
            nudge.to_string()
        } else {
            format!("{}\n\n{nudge}", dos_py::text::py_strip(ctx))
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dos_py::json::parse;

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
        assert_eq!(self_modify_hits(&["**/*".into()], &all).len(), 6);
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
        assert!(
            extract_tree(
                "Bash",
                Some(&parse(br#"{"command":"ls src/dos/arbiter.py"}"#).unwrap())
            )
            .known
        );
        assert!(extract_tree(
            "Bash",
            Some(&parse(br#"{"command":"ls src/dos/arbiter.py"}"#).unwrap())
        )
        .paths
        .is_empty());
        assert!(!extract_tree("Bash", Some(&parse(br#"{"command":"make"}"#).unwrap())).known);
        assert!(extract_tree("TaskCreate", None).known);
    }

    #[test]
    fn nudge_cadence() {
        let c = |b, w| HelpCounts {
            blocked: b,
            warned: w,
            deferred: 0,
            withheld: b,
        };
        assert_eq!(
            nudge(&c(1, 0)).unwrap(),
            "DOS has refused 1 call this session. Run `dos helped` for the breakdown."
        );
        assert_eq!(nudge(&c(2, 0)), None);
        assert_eq!(
            nudge(&c(3, 2)).unwrap(),
            "DOS has refused 3 calls this session (+2 advisory). Run `dos helped` for the breakdown."
        );
        assert_eq!(
            nudge(&c(0, 1)).unwrap(),
            "DOS surfaced 1 advisory caution this session (no calls refused). Run `dos helped` for the breakdown."
        );
        assert_eq!(
            nudge(&c(0, 5)).unwrap(),
            "DOS surfaced 5 advisory cautions this session (no calls refused). Run `dos helped` for the breakdown."
        );
        assert_eq!(nudge(&c(0, 0)), None);
        assert_eq!(
            hook_surface_reason(
                "x. Pass --force only if you are deliberately editing the kernel between loop runs.",
                "SELF_MODIFY"
            ),
            format!("x. {HOOK_SURFACE_TAIL}")
        );
        assert_eq!(
            hook_surface_reason("y", "SELF_MODIFY"),
            format!("y {HOOK_SURFACE_TAIL}")
        );
        assert_eq!(hook_surface_reason("y", ""), "y");
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        assert!(operator_session(env(&[])));
        assert!(operator_session(env(&[("DOS_LOOP", "")])));
        assert!(!operator_session(env(&[("CID_RUN_ID", "r")])));
        assert!(!operator_session(env(&[("DISPATCH_LOOP_TS", "t")])));
    }
}
