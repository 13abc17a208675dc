//! Golden transcripts of `dos decisions` and `dos notify` (null notifier),
//! produced by the reference CLI (`tests/fixtures/decisions/generate.py`):
//! every case's stdout, stderr and exit code must match byte for byte.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/decisions")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    let Ok(rd) = std::fs::read_dir(from) else { return };
    for entry in rd {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Run `dos` in `root` with a clean notifier environment.
pub(crate) fn dos(root: &Path, args: &[&str]) -> (String, String, i32) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dos"));
    cmd.args(args).current_dir(root);
    for (k, _) in std::env::vars() {
        if k.starts_with("DOS_") || k.starts_with("SLACK_") || k.starts_with("DISPATCH_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd.output().expect("run dos");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// Whole days since 2000-01-01T00:00:00Z, the age the reference prints for the
/// fixtures' one deliberately old record (`{DAYS_SINCE_2000}` in the goldens).
fn days_since_2000() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    (now - 946_684_800) / 86_400
}

fn check_workspace(name: &str) {
    let dir = fixtures().join(name);
    let cases: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(tmp.path()).unwrap();
    copy_dir(&dir.join("ws"), &root);
    let root_s = root.display().to_string();
    let mut failures = Vec::new();
    for case in &cases {
        let args: Vec<&str> = case["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let days_before = days_since_2000();
        let (stdout, stderr, code) = dos(&root, &args);
        // A run that straddles midnight UTC may print either day count.
        let expect_on = |k: &str, days: u64| {
            case[k]
                .as_str()
                .unwrap()
                .replace("{ROOT}", &root_s)
                .replace("{DAYS_SINCE_2000}", &days.to_string())
        };
        let days = if stdout == expect_on("stdout", days_before) {
            days_before
        } else {
            days_since_2000()
        };
        let expect = |k: &str| expect_on(k, days);
        let want_code = case["code"].as_i64().unwrap() as i32;
        if stdout != expect("stdout") || stderr != expect("stderr") || code != want_code {
            failures.push(format!(
                "case {args:?}\n--- want (code {want_code})\n{}{}\n--- got (code {code})\n{stdout}{stderr}",
                expect("stdout"),
                expect("stderr")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ in {name}:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn golden_empty_workspace() {
    check_workspace("empty");
}

#[test]
fn golden_mixed_queue() {
    check_workspace("mixed");
}

#[test]
fn golden_routing_and_supersession() {
    check_workspace("routing");
}

#[test]
fn golden_repo_layout() {
    check_workspace("job");
}

#[test]
fn golden_paths_and_recency() {
    check_workspace("paths");
}

#[test]
fn golden_malformed_config_warns() {
    check_workspace("malformed");
}

#[test]
fn golden_notify_top() {
    check_workspace("top");
}
