//! Python and Rust hooks alternating on one session: the reference wrote the
//! prior steps (fixtures from `gen_alternation.sh`); our hook takes the next
//! step and must print what the reference printed and append a
//! byte-identical record (timestamps masked). Both `dos hook` and the
//! standalone `dos-hook` take the turn.

use crate::support::hooks_common;

use hooks_common::{mask_ts, HookBin};
use std::path::Path;

fn scenario(name: &str) {
    for bin in HookBin::built() {
        scenario_with(&bin, name);
    }
}

fn scenario_with(bin: &HookBin, name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hooks/alternation")
        .join(name);
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let ws = tempfile::tempdir().unwrap();
    let rel = read("path").trim().to_string();
    let target = ws.path().join(".dos").join(&rel);
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::copy(dir.join("prior.jsonl"), &target).unwrap();
    let args_line = read("args");
    let mut args: Vec<&str> = vec!["hook"];
    args.extend(args_line.split_whitespace());
    let ws_str = ws.path().to_str().unwrap().to_string();
    args.extend(["--workspace", ws_str.as_str()]);
    let out = bin
        .run(ws.path(), &args, &[], read("event.json").as_bytes())
        .unwrap();
    assert_eq!(out.code, 0, "{name} {bin:?}");
    assert_eq!(out.stdout, read("next.out"), "{name} {bin:?}: stdout");
    let got = std::fs::read_to_string(&target).unwrap();
    assert_eq!(mask_ts(&got), read("next.jsonl"), "{name} {bin:?}: file");
}

#[test]
fn posttool_continues_a_python_stream() {
    for name in ["post_repeat3", "post_stall5", "post_mixed", "post_unicode"] {
        scenario(name);
    }
}

#[test]
fn marker_continues_a_python_tally() {
    for name in ["marker_third", "marker_exhausted"] {
        scenario(name);
    }
}
