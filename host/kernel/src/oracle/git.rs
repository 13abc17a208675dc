//! The git boundary of the oracle: the `git` CLI, spawned in the workspace
//! root, read with NUL-separated formats (so no subject or body can be split
//! or glued by a stray line separator). Every failure means "no history".

use super::grep::{BodyCommit, LogCache};
use dos_py::text::py_splitlines;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

/// How many commits the subject passes scan (the reference's window).
pub const ONELINE_WINDOW: usize = 4000;
/// How many commits the body pass scans.
pub const BODY_WINDOW: usize = 50;

fn spawn(root: &Path, args: &[&str]) -> Option<Child> {
    Command::new("git")
        .args(args)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}

fn finish(child: Option<Child>) -> Option<String> {
    let mut child = child?;
    let mut buf = Vec::new();
    let read_ok = child
        .stdout
        .take()
        .map(|mut s| s.read_to_end(&mut buf).is_ok())
        .unwrap_or(false);
    let status = child.wait().ok()?;
    if !read_ok || !status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// Parse `git log -z --format=%h %s` output into `<sha> <subject>` lines.
pub fn parse_oneline(out: &str) -> Vec<String> {
    out.split('\0')
        .map(|s| s.trim_start_matches('\n'))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Parse `git log -z --format=%h%n%B` output into commits.
pub fn parse_bodies(out: &str) -> Vec<BodyCommit> {
    out.split('\0')
        .map(|s| s.trim_start_matches('\n'))
        .filter(|s| !s.is_empty())
        .map(|entry| {
            let (sha, rest) = entry.split_once('\n').unwrap_or((entry, ""));
            BodyCommit {
                sha: sha.to_string(),
                lines: py_splitlines(rest).into_iter().map(str::to_string).collect(),
            }
        })
        .collect()
}

/// Read the history the grep rung needs (both `git log`s run concurrently).
/// Not a repository, no commits, or no `git` → an empty cache.
pub fn read_log(root: &Path) -> LogCache {
    let window = format!("-{ONELINE_WINDOW}");
    let body_window = format!("-{BODY_WINDOW}");
    let oneline = spawn(root, &["log", &window, "-z", "--format=%h %s"]);
    let bodies = spawn(root, &["log", &body_window, "-z", "--format=%h%n%B"]);
    let oneline = finish(oneline).map(|o| parse_oneline(&o)).unwrap_or_default();
    let bodies = finish(bodies).map(|o| parse_bodies(&o)).unwrap_or_default();
    LogCache { oneline, bodies }
}

type FootprintMemo = HashMap<(PathBuf, String), Vec<String>>;

fn memo() -> &'static Mutex<FootprintMemo> {
    static MEMO: std::sync::OnceLock<Mutex<FootprintMemo>> = std::sync::OnceLock::new();
    MEMO.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The repo-relative paths commit `sha` touched (`git show --name-only`),
/// memoised per (root, sha); `None` when git cannot answer.
pub fn touched_files(root: &Path, sha: &str) -> Option<Vec<String>> {
    let sha = sha.trim();
    if sha.is_empty() {
        return None;
    }
    let key = (root.to_path_buf(), sha.to_string());
    if let Some(hit) = memo().lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Some(hit);
    }
    let out = finish(spawn(root, &["show", "-z", "--name-only", "--format=", sha]))?;
    let files: Vec<String> = out
        .split(['\0', '\n'])
        .map(|s| s.trim().replace('\\', "/"))
        .filter(|s| !s.is_empty())
        .collect();
    if let Ok(mut m) = memo().lock() {
        m.insert(key, files.clone());
    }
    Some(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nul_separated_output() {
        assert_eq!(parse_oneline("abc one\0\ndef two\0"), vec!["abc one", "def two"]);
        let b = parse_bodies("abc\nv1.0.0: cut\n\nIncludes X1.\n\0\ndef\nsubject\n\0");
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].sha, "abc");
        assert_eq!(b[0].lines, vec!["v1.0.0: cut", "", "Includes X1."]);
        assert_eq!(b[1].lines, vec!["subject"]);
    }
}
