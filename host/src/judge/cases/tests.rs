use super::*;
use serde_json::json;

fn one(line: &str) -> Result<Case, CasesError> {
    parse_line("c.jsonl", 3, line)
}

#[test]
fn truth_is_a_real_boolean() {
    let table: &[(Value, Result<bool, &str>)] = &[
        (json!(true), Ok(true)),
        (json!(false), Ok(false)),
        (json!("false"), Ok(false)),
        (json!(" FALSE "), Ok(false)),
        (json!("no"), Ok(false)),
        (json!("0"), Ok(false)),
        (json!(""), Ok(false)),
        (json!("True"), Ok(true)),
        (json!("yes"), Ok(true)),
        (json!(0), Ok(false)),
        (json!(0.0), Ok(false)),
        (json!(2), Ok(true)),
        (json!(null), Ok(false)),
        (
            json!("maybe"),
            Err("must be true or false (got the string 'maybe')"),
        ),
        (json!([]), Err("must be true or false (got a list)")),
        (json!({"a": 1}), Err("must be true or false (got an object)")),
    ];
    for (v, want) in table {
        assert_eq!(truth_of(v), want.map_err(str::to_string), "{v}");
    }
}

type EvidenceRow = (Option<Value>, Result<Vec<&'static str>, &'static str>);

#[test]
fn evidence_string_is_one_item() {
    let table: &[EvidenceRow] = &[
        (None, Ok(vec![])),
        (Some(json!(null)), Ok(vec![])),
        (Some(json!("")), Ok(vec![])),
        (Some(json!([])), Ok(vec![])),
        (Some(json!("abc123 feat: x")), Ok(vec!["abc123 feat: x"])),
        (
            Some(json!(["a", "", 5, 1.5, true, null])),
            Ok(vec!["a", "", "5", "1.5", "True", "None"]),
        ),
        (Some(json!(["a", ["b"]])), Err("item 1 must be text (got a list)")),
        (Some(json!(7)), Err("must be a list of strings (got a number)")),
        (
            Some(json!({"a": "b"})),
            Err("must be a list of strings (got an object)"),
        ),
    ];
    for (v, want) in table {
        let want = want
            .clone()
            .map(|w| w.into_iter().map(str::to_string).collect::<Vec<_>>())
            .map_err(str::to_string);
        assert_eq!(evidence_of(v.as_ref()), want, "{v:?}");
    }
}

#[test]
fn a_full_line_becomes_a_claim() {
    let c = one(r#"{"claim_text": "phase AUTH2 shipped", "truth": true, "stated_reason": "I merged it", "evidence": ["abc"], "subject": "RID-1"}"#).unwrap();
    assert_eq!(
        c,
        Case {
            claim: Claim {
                claim_text: "phase AUTH2 shipped".into(),
                stated_reason: "I merged it".into(),
                evidence: vec!["abc".into()],
                subject: "RID-1".into(),
            },
            truth: true,
        }
    );
    // Scalars take Python's str() form, as the reference's str() does.
    let c = one(r#"{"claim_text": 42, "truth": 1, "stated_reason": null, "subject": 1.0}"#).unwrap();
    assert_eq!(
        (
            c.claim.claim_text.as_str(),
            c.claim.stated_reason.as_str(),
            c.claim.subject.as_str()
        ),
        ("42", "None", "1.0")
    );
}

#[test]
fn bad_lines_are_errors_naming_the_line() {
    let table: &[(&str, &str)] = &[
        (
            "7",
            "c.jsonl:3: each case needs 'claim_text' and 'truth' (got a number, not a JSON object)",
        ),
        (
            "\"claim_text truth\"",
            "c.jsonl:3: each case needs 'claim_text' and 'truth' (got a string, not a JSON object)",
        ),
        (
            "[1, 2]",
            "c.jsonl:3: each case needs 'claim_text' and 'truth' (got a list, not a JSON object)",
        ),
        (
            r#"{"claim_text": "x"}"#,
            "c.jsonl:3: each case needs 'claim_text' and 'truth' (got keys: ['claim_text'])",
        ),
        (
            r#"{"truth": true, "b": 1, "a": 2}"#,
            "c.jsonl:3: each case needs 'claim_text' and 'truth' (got keys: ['a', 'b', 'truth'])",
        ),
        (
            r#"{"claim_text": "x", "truth": "maybe"}"#,
            "c.jsonl:3: 'truth' must be true or false (got the string 'maybe')",
        ),
        (
            r#"{"claim_text": ["x"], "truth": true}"#,
            "c.jsonl:3: 'claim_text' must be text (got a list)",
        ),
        (
            r#"{"claim_text": "x", "truth": true, "subject": {}}"#,
            "c.jsonl:3: 'subject' must be text (got an object)",
        ),
        (
            r#"{"claim_text": "x", "truth": true, "evidence": 3}"#,
            "c.jsonl:3: 'evidence' must be a list of strings (got a number)",
        ),
    ];
    for (line, want) in table {
        assert_eq!(one(line).unwrap_err().to_string(), *want, "{line}");
    }
    let e = one("not json").unwrap_err().to_string();
    assert!(e.starts_with("c.jsonl:3: not valid JSON ("), "{e}");
}

#[test]
fn comments_blanks_line_numbers_and_bad_utf8() {
    let text = b"# header\n\n  \n{\"claim_text\": \"a\", \"truth\": true}\r\n   # indented comment\n{\"claim_text\": \"b\", \"truth\": \"false\"}\n";
    let cases = parse("c.jsonl", text).unwrap();
    assert_eq!(cases.len(), 2);
    assert!(cases[0].truth);
    assert!(!cases[1].truth);
    assert!(parse("c.jsonl", b"").unwrap().is_empty());
    let e = parse("c.jsonl", b"# ok\n{\"claim_text\": \"\xff\"}\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "c.jsonl:2: not valid UTF-8 (byte 0xff at byte 16 of the line)"
    );
    let e = parse("c.jsonl", b"\n\nnope\n").unwrap_err().to_string();
    assert!(e.starts_with("c.jsonl:3: not valid JSON"), "{e}");
}

#[test]
fn io_errors_read_like_python() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.jsonl").display().to_string();
    assert_eq!(
        load(&missing).unwrap_err().to_string(),
        format!("[Errno 2] No such file or directory: '{missing}'")
    );
    let d = dir.path().display().to_string();
    assert_eq!(
        load(&d).unwrap_err().to_string(),
        format!("[Errno 21] Is a directory: '{d}'")
    );
}
