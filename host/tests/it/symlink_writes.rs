//! Issue #12 weak spot: writes under `.dos/` never follow a symlink out of
//! the workspace. A verdict journal, tool stream, marker tally, lane journal
//! or export cursor linked (itself, or through a parent directory) to an
//! outside file is not written through: hooks stay silent (exit 0),
//! commands fail with an error naming the path.

use crate::support::hooks_common;

use std::os::unix::fs::symlink;
use std::path::Path;

fn run(args: &[&str], cwd: &Path, env: &[(&str, &str)], stdin: &[u8]) -> (i32, String, String) {
    let o = hooks_common::run(env!("CARGO_BIN_EXE_dos"), cwd, args, env, stdin);
    (o.code, o.stdout, o.stderr)
}

struct Fixture {
    ws: tempfile::TempDir,
    outside: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let f = Fixture {
            ws: tempfile::tempdir().unwrap(),
            outside: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir_all(f.ws.path().join(".dos")).unwrap();
        f
    }
    /// Link `.dos/<rel>` to a fresh outside file holding `keep\n`.
    fn link_out(&self, rel: &str) -> std::path::PathBuf {
        let victim = self.outside.path().join(rel.replace('/', "_"));
        std::fs::write(&victim, "keep\n").unwrap();
        let link = self.ws.path().join(".dos").join(rel);
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        symlink(&victim, &link).unwrap();
        victim
    }
}

fn posttool_event(ws: &Path, sid: &str) -> Vec<u8> {
    serde_json::json!({"cwd": ws, "session_id": sid, "tool_name": "Bash",
        "tool_input": {"command": "ls"}, "tool_response": "same"})
    .to_string()
    .into_bytes()
}

#[test]
fn hooks_do_not_append_through_outside_links_and_stay_silent() {
    let f = Fixture::new();
    let ws = f.ws.path();
    let journal = f.link_out("verdict-journal.jsonl");
    let stream = f.link_out("streams/s1.jsonl");
    let tally = f.link_out("markers/s1.jsonl");
    let armed = [("DISPATCH_OBSERVE", "1")];
    for _ in 0..3 {
        let (code, out, err) = run(&["hook", "posttool"], ws, &armed, &posttool_event(ws, "s1"));
        assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    }
    let marker = serde_json::json!({"cwd": ws, "session_id": "s1"}).to_string();
    let (code, _, err) = run(&["hook", "marker", "--reset"], ws, &armed, marker.as_bytes());
    assert_eq!((code, err.as_str()), (0, ""));
    for victim in [&journal, &stream, &tally] {
        assert_eq!(
            std::fs::read_to_string(victim).unwrap(),
            "keep\n",
            "{}",
            victim.display()
        );
    }
    // A stream directory linked out is refused too.
    symlink(f.outside.path(), ws.join(".dos/streams2")).unwrap();
    std::fs::remove_dir_all(ws.join(".dos/streams")).unwrap();
    symlink(f.outside.path(), ws.join(".dos/streams")).unwrap();
    let (code, out, _) = run(&["hook", "posttool"], ws, &[], &posttool_event(ws, "s9"));
    assert_eq!((code, out.as_str()), (0, ""));
    assert!(
        !f.outside.path().join("s9.jsonl").exists(),
        "stream written through a linked directory"
    );
}

#[test]
fn commands_refuse_outside_links_by_name() {
    let f = Fixture::new();
    let ws = f.ws.path();
    let lane = f.link_out("lane-journal.jsonl");
    // A dangling `.gitignore` link must not create a file outside.
    symlink(f.outside.path().join("planted"), ws.join(".dos/.gitignore")).unwrap();
    let w = ws.to_str().unwrap();
    let acquire = || {
        run(
            &[
                "--workspace",
                w,
                "lease-lane",
                "acquire",
                "--lane",
                "main",
                "--owner",
                "w",
            ],
            ws,
            &[],
            b"",
        )
    };
    let (code, _, err) = acquire();
    assert_ne!(code, 0);
    assert!(
        err.contains("lane-journal.jsonl") && err.contains("outside the workspace"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&lane).unwrap(), "keep\n");
    assert!(
        !f.outside.path().join("planted").exists(),
        ".gitignore written through a link"
    );
    // The export cursor: a linked cursor directory is not written into.
    symlink(f.outside.path(), ws.join(".dos/cursors")).unwrap();
    let cursor = ws.join(".dos/cursors/file.cursor");
    let e = dos_core::export_cursor::write_cursor(&cursor, 7, &ws.join(".dos/verdict-journal.jsonl"), None)
        .unwrap_err();
    assert!(e.to_string().contains("outside the workspace"), "{e}");
    assert_eq!(
        std::fs::read_dir(f.outside.path()).unwrap().count(),
        1,
        "only the lane victim"
    );
    // A link that stays inside the workspace still works.
    std::fs::remove_file(ws.join(".dos/lane-journal.jsonl")).unwrap();
    std::fs::write(ws.join("lanes.jsonl"), "").unwrap();
    symlink(ws.join("lanes.jsonl"), ws.join(".dos/lane-journal.jsonl")).unwrap();
    let (code, _, err) = acquire();
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(ws.join("lanes.jsonl"))
        .unwrap()
        .contains("ACQUIRE"));
}
