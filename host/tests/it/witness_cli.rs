//! `dos witness state` against the reference's golden transcripts.

use std::process::Command;

fn run(dir: &std::path::Path, args: &[&str]) -> (String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_dos"))
        .arg("witness")
        .arg("state")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (String::from_utf8(out.stdout).unwrap(), out.status.code().unwrap())
}

#[test]
fn state_diff_goldens() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::write(
        p.join("B.json"),
        r#"{"orders:1": {"qty": 1}, "orders:2": {"qty": 5}, "orders:3": "x"}"#,
    )
    .unwrap();
    std::fs::write(
        p.join("A.json"),
        r#"{"orders:1": {"qty": 1}, "orders:2": {"qty": 6}, "orders:4": "new"}"#,
    )
    .unwrap();
    std::fs::write(p.join("list.json"), "[1]").unwrap();
    let ba = ["--before", "B.json", "--after", "A.json"];
    let with = |key: &str, extra: &[&str]| {
        let mut v = vec![key];
        v.extend(ba);
        v.extend(extra);
        run(p, &v)
    };
    assert_eq!(with("orders:4", &[]), ("EFFECT    orders:4\nDELTA     +1 ~1 -1\nVERDICT   CONFIRMED   (believe=True refuted=False)\nWITNESS   state_diff (OS_RECORDED)\nWHY       CONFIRMED — non-forgeable witness re-read the world and effect 'orders:4' is PRESENT: state_diff\n".into(), 0));
    assert_eq!(with("orders:3", &[]).1, 1);
    assert_eq!(with("orders:1", &[]).1, 1);
    assert_eq!(with("orders:99", &[]).1, 1);
    assert!(with("orders:2", &["--third-party"])
        .0
        .contains("WITNESS   state_diff (THIRD_PARTY)\n"));
    assert_eq!(with("", &[]), ("EFFECT    \nDELTA     +1 ~1 -1\nVERDICT   NO_CLAIM   (believe=False refuted=False)\nWITNESS   (none) (-)\nWHY       no checkable effect claimed — nothing to witness (abstain, never invent)\n".into(), 3));
    let (out, rc) = with("orders:4", &["--json", "--narrated", "I created order 4"]);
    assert_eq!(rc, 0);
    assert_eq!(out, "{\n  \"verdict\": \"CONFIRMED\",\n  \"believe\": true,\n  \"refuted\": false,\n  \"reason\": \"CONFIRMED \\u2014 non-forgeable witness re-read the world and effect 'orders:4' is PRESENT: state_diff\",\n  \"claim_key\": \"orders:4\",\n  \"narrated\": \"I created order 4\",\n  \"witness\": \"state_diff\",\n  \"accountability\": \"OS_RECORDED\",\n  \"silent_witnesses\": [],\n  \"delta\": {\n    \"inserted\": [\n      \"orders:4\"\n    ],\n    \"deleted\": [\n      \"orders:3\"\n    ],\n    \"updated\": [\n      \"orders:2\"\n    ]\n  }\n}\n");
    assert_eq!(run(p, &["orders:4", "--before", "missing.json", "--after", "A.json"]), ("VERDICT   UNWITNESSED\nWHY       could not read a snapshot: [Errno 2] No such file or directory: 'missing.json'\n".into(), 3));
    assert_eq!(run(p, &["orders:4", "--before", "list.json", "--after", "A.json"]).0, "VERDICT   UNWITNESSED\nWHY       could not read a snapshot: state snapshot at 'list.json' is a list, not an object\n");
    let (out, rc) = run(
        p,
        &["", "--before", "missing.json", "--after", "A.json", "--json"],
    );
    assert_eq!(rc, 3);
    assert!(
        out.contains("\"verdict\": \"NO_CLAIM\"") && !out.contains("delta"),
        "{out}"
    );
    assert_eq!(run(p, &["orders:4", "--after", "A.json"]).1, 2, "usage error");
}
