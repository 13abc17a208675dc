//! What a PRE call can touch beyond its path arguments (0.30's pretool
//! false-positive fixes): orchestration tools with no file footprint, Bash
//! commands whose every program provably writes no file (a path in their
//! arguments is a mention, not a mutation), and the narrower effect-free
//! subset the `assist` posture may auto-allow. Pure.

/// Orchestration tools: no file tree (they cannot collide on a file), but a
/// non-file effect (spawn / coordination / capability).
pub const NO_FOOTPRINT_TOOLS: &[&str] = &["Agent", "Task", "TaskCreate", "TaskUpdate", "ToolSearch"];

/// Local read tools provably free of any effect (no write, egress or spawn).
pub const PROVABLY_SAFE_READ_TOOLS: &[&str] = &["Read", "Grep", "Glob", "LS", "NotebookRead"];

/// Programs that reach the network: no local write, but not effect-free.
const NETWORK_PROGRAMS: &[&str] = &[
    "gh", "curl", "wget", "ssh", "scp", "rsync", "nc", "ncat", "telnet", "ftp",
];

/// One-token programs that write no file path they are handed.
const NO_WRITE_PROGRAMS: &[&str] = &[
    "cat",
    "grep",
    "rg",
    "head",
    "tail",
    "wc",
    "ls",
    "stat",
    "du",
    "df",
    "pwd",
    "echo",
    "printf",
    "which",
    "diff",
    "cmp",
    "cut",
    "tr",
    "nl",
    "basename",
    "dirname",
    "realpath",
    "readlink",
    "md5sum",
    "sha1sum",
    "sha256sum",
];

/// `git` subcommands that only read.
const GIT_READ: &[&str] = &[
    "log",
    "diff",
    "status",
    "show",
    "blame",
    "grep",
    "rev-parse",
    "rev-list",
    "ls-files",
    "ls-tree",
    "ls-remote",
    "cat-file",
    "describe",
    "shortlog",
    "name-rev",
    "merge-base",
    "check-ignore",
];

/// `gh issue` verbs that touch no local file.
const GH_ISSUE: &[&str] = &[
    "create", "list", "view", "comment", "close", "reopen", "edit", "status", "lock", "unlock", "pin",
    "unpin", "transfer",
];

/// `gh pr` verbs that touch no local file.
const GH_PR: &[&str] = &[
    "create", "list", "view", "diff", "checks", "status", "comment", "close", "reopen", "edit",
];

/// Other `gh` invocations that touch no local file.
const GH_OTHER: &[&[&str]] = &[
    &["gh", "label"],
    &["gh", "search"],
    &["gh", "api"],
    &["gh", "run", "list"],
    &["gh", "run", "view"],
    &["gh", "release", "list"],
    &["gh", "release", "view"],
    &["gh", "repo", "view"],
];

/// Shell syntax that can write (or run a hidden command) around a program.
const SHELL_WRITE_METACHARS: &[&str] = &[">", "`", "$(", "<("];

/// Whether `prefix` (program token + up to two subcommand tokens) is a
/// no-write-footprint invocation.
fn is_no_write_prefix(prefix: &[String]) -> bool {
    let p: Vec<&str> = prefix.iter().map(String::as_str).collect();
    match p.as_slice() {
        [one] => NO_WRITE_PROGRAMS.contains(one),
        ["git", sub] => GIT_READ.contains(sub),
        ["gh", "issue", verb] => GH_ISSUE.contains(verb),
        ["gh", "pr", verb] => GH_PR.contains(verb),
        other => GH_OTHER.contains(&other),
    }
}

/// Whether `prefix` is an effect-free invocation: no write and no network.
fn is_effect_free_prefix(prefix: &[String]) -> bool {
    let network = prefix
        .first()
        .is_some_and(|p| NETWORK_PROGRAMS.contains(&p.as_str()));
    let ls_remote = prefix.len() == 2 && prefix[0] == "git" && prefix[1] == "ls-remote";
    !network && !ls_remote && is_no_write_prefix(prefix)
}

/// The invoked program (basename, lower-cased; leading `VAR=value` skipped)
/// and up to two following non-flag tokens, lower-cased.
pub fn segment_lead_tokens(segment: &str) -> Vec<String> {
    let mut toks: Vec<String> = Vec::new();
    for tok in segment.split(dos_py::text::is_py_space).filter(|t| !t.is_empty()) {
        if toks.is_empty() {
            if let Some((head, _)) = tok.split_once('=') {
                if !head.is_empty() && head.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
            }
            let slashed = tok.replace('\\', "/");
            let base = slashed.rsplit('/').next().unwrap_or("");
            toks.push(base.to_lowercase());
        } else {
            if tok.starts_with('-') {
                continue;
            }
            toks.push(tok.to_lowercase());
        }
        if toks.len() >= 3 {
            break;
        }
    }
    toks
}

/// Every segment's lead tokens, or `None` when a write metacharacter appears
/// anywhere or there is no segment.
fn segments(cmd: &str) -> Option<Vec<Vec<String>>> {
    if SHELL_WRITE_METACHARS.iter().any(|m| cmd.contains(m)) {
        return None;
    }
    let mut work = cmd.to_string();
    for sep in ["&&", "||", ";", "|", "&", "\n"] {
        work = work.replace(sep, "\0");
    }
    let segs: Vec<Vec<String>> = work
        .split('\0')
        .map(dos_py::text::py_strip)
        .filter(|s| !s.is_empty())
        .map(segment_lead_tokens)
        .collect();
    (!segs.is_empty()).then_some(segs)
}

/// Whether every segment of `cmd` matches `ok` at some prefix depth.
fn every_segment(cmd: &str, ok: fn(&[String]) -> bool) -> bool {
    segments(cmd).is_some_and(|segs| {
        segs.iter()
            .all(|toks| !toks.is_empty() && (1..=toks.len()).any(|d| ok(&toks[..d])))
    })
}

/// True when every program `cmd` invokes provably writes no file and no
/// shell metacharacter writes around them.
pub fn command_has_no_write_footprint(cmd: &str) -> bool {
    every_segment(cmd, is_no_write_prefix)
}

/// True when every program `cmd` invokes is a local read with no write and
/// no network effect (the `assist` posture's auto-allow floor for Bash).
pub fn command_is_effect_free(cmd: &str) -> bool {
    every_segment(cmd, is_effect_free_prefix)
}

/// Whether a call is positively proven free of any effect on shared state:
/// a local read tool, or a Bash command that is effect-free.
pub fn verified_safe(tool: &str, bash_command: Option<&str>) -> bool {
    if PROVABLY_SAFE_READ_TOOLS.contains(&tool) {
        return true;
    }
    tool == "Bash" && bash_command.is_some_and(|c| !c.trim().is_empty() && command_is_effect_free(c))
}

/// The non-file effect of an orchestration tool (`""` for none), as 0.30
/// records it in `effect_kind`.
pub fn effect_kind(tool: &str) -> &'static str {
    match tool {
        "Agent" => "spawn",
        "Task" | "TaskCreate" | "TaskUpdate" => "coordination",
        "ToolSearch" => "capability",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_write_footprint_table() {
        let table: &[(&str, bool, bool)] = &[
            // (command, no-write footprint, effect-free)
            ("ls -la src/dos/arbiter.py", true, true),
            ("git log -- src/dos/arbiter.py", true, true),
            ("git --no-pager log src/dos/config.py", true, true),
            ("git -C dir log", false, false),
            ("git commit -am x src/dos/arbiter.py", false, false),
            ("git ls-remote origin", true, false),
            ("gh issue create --body src/dos/arbiter.py", true, false),
            ("gh issue develop 3", false, false),
            ("gh pr checkout 3", false, false),
            ("gh run view 1", true, false),
            ("gh run download 1", false, false),
            ("grep -r x src | wc -l", true, true),
            ("grep x src > out.txt", false, false),
            ("echo $(rm -rf x)", false, false),
            ("cat `x`", false, false),
            ("diff <(ls) b", false, false),
            ("cat a < b", true, true),
            ("git log && rm src/a.py", false, false),
            ("LANG=C grep x f", true, true),
            ("/usr/bin/GREP x f", true, true),
            ("sudo grep x f", false, false),
            ("sed -i s/a/b/ f", false, false),
            ("", false, false),
            ("  ;  ", false, false),
            ("=x grep", false, false),
        ];
        for (cmd, nw, ef) in table {
            assert_eq!(command_has_no_write_footprint(cmd), *nw, "no-write {cmd:?}");
            assert_eq!(command_is_effect_free(cmd), *ef, "effect-free {cmd:?}");
        }
    }

    #[test]
    fn verified_safe_and_effects() {
        assert!(verified_safe("Read", None));
        assert!(!verified_safe("WebFetch", None));
        assert!(!verified_safe("Agent", None));
        assert!(verified_safe("Bash", Some("ls")));
        assert!(!verified_safe("Bash", Some("gh issue list")));
        assert!(!verified_safe("Bash", Some(" ")));
        assert_eq!(effect_kind("Agent"), "spawn");
        assert_eq!(effect_kind("TaskUpdate"), "coordination");
        assert_eq!(effect_kind("ToolSearch"), "capability");
        assert_eq!(effect_kind("Bash"), "");
    }
}
