//! Property tests: event parsing never panics and agrees with serde_json on
//! documents both accept; canonical digests are key-order independent; the
//! stream replay from the tail counts the trailing run exactly like a full
//! forward replay, whatever junk lines are mixed in.

use dos_core::hooks::{canon, store, tool_stream};
use dos_py::json;
use proptest::prelude::*;

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|i| serde_json::json!(i)),
        (-1e6f64..1e6).prop_map(|f| serde_json::json!(f)),
        "\\PC{0,12}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
            prop::collection::vec(("[a-z]{1,4}", inner), 0..5)
                .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn parser_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = json::parse(&bytes);
    }

    #[test]
    fn parser_accepts_what_serde_writes(v in arb_json()) {
        let text = serde_json::to_string(&v).unwrap();
        prop_assert!(json::parse(text.as_bytes()).is_ok());
    }

    #[test]
    fn digest_is_key_order_independent(v in arb_json()) {
        let a = serde_json::to_string(&v).unwrap();
        let b = dos_py::dumps::dumps(&v, dos_py::dumps::Style::RECORD);
        let da = canon::value_digest(&json::parse(a.as_bytes()).unwrap());
        let db = canon::value_digest(&json::parse(b.as_bytes()).unwrap());
        prop_assert_eq!(da, db);
    }

    #[test]
    fn tail_replay_matches_forward_replay(
        steps in prop::collection::vec((0u8..3, 0u8..2, prop::option::of(0u8..2), 0u8..6), 0..60)
    ) {
        // Build a file: each entry is a step or (kind 5) a junk line.
        let policy = tool_stream::StreamPolicy::default();
        let mut body = String::new();
        let mut forward: Vec<tool_stream::Step> = Vec::new();
        for (tool, args, result, kind) in &steps {
            if *kind == 5 {
                body.push_str("GARBAGE\n{\"schema\": {\"family\": \"tool-stream\", \"version\": 9}, \"tool_name\": \"X\", \"args_digest\": \"a\"}\n");
                continue;
            }
            let s = tool_stream::Step {
                tool_name: ["Bash", "bash", "Read"][*tool as usize].into(),
                args_digest: format!("a{args}"),
                result_digest: result.map(|r| format!("r{r}")),
            };
            let rd = s.result_digest.as_ref().map_or("null".to_string(), |r| format!("\"{r}\""));
            body.push_str(&format!("{{\"args_digest\": \"{}\", \"result_digest\": {rd}, \"tool_name\": \"{}\"}}\n", s.args_digest, s.tool_name));
            forward.push(s);
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        std::fs::write(&p, &body).unwrap();
        let newest = tool_stream::Step { tool_name: "Bash".into(), args_digest: "a0".into(), result_digest: Some("r0".into()) };
        // Forward: the reference's full replay.
        let expected = tool_stream::trailing_run(&newest, forward.iter().rev().cloned(), &policy);
        // Tail: read backwards.
        let mut f = std::fs::File::open(&p).unwrap();
        let mut lines = store::RevLines::new(&mut f).unwrap();
        let mut older = Vec::new();
        while let Some(l) = lines.next_line().unwrap() {
            let Some(rec) = store::parse_line(&l) else { continue };
            if !store::readable(&rec, store::TOOL_STREAM) { continue; }
            let tool_name = rec.get("tool_name").and_then(json::Val::as_str).map(|s| s.text);
            let args = rec.get("args_digest").and_then(json::Val::as_str).map(|s| s.text);
            let (Some(tool_name), Some(args_digest)) = (tool_name, args) else { continue };
            let result_digest = rec.get("result_digest").and_then(json::Val::as_str).map(|s| s.text);
            older.push(tool_stream::Step { tool_name, args_digest, result_digest });
        }
        prop_assert_eq!(older.len(), forward.len());
        let got = tool_stream::trailing_run(&newest, older.into_iter(), &policy);
        prop_assert_eq!(got, expected);
    }
}
