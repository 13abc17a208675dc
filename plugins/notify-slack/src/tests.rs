//! Table-driven tests of the pure parts.

use super::*;

fn note(
    severity: Severity,
    title: &str,
    summary: &str,
    fields: &[(&str, &str)],
    source: &str,
) -> Notification {
    Notification {
        action: None,
        severity,
        title: title.into(),
        summary: summary.into(),
        fields: fields
            .iter()
            .map(|(l, v)| (l.to_string(), v.to_string()))
            .collect(),
        key: String::new(),
        source: source.into(),
    }
}

#[test]
fn blocks_match_the_reference_golden() {
    let n = note(
        Severity::Urgent,
        "2 decisions need you",
        "# operator decisions\n  body",
        &[
            ("LIVENESS @ main", "run spinning  ⟶ stop: kill 1"),
            ("WEDGE @ api", "X"),
        ],
        "decisions",
    );
    let expected = json!([
     {"type": "header", "text": {"type": "plain_text", "text": ":red_circle: 2 decisions need you", "emoji": true}},
     {"type": "section", "fields": [
       {"type": "mrkdwn", "text": "*LIVENESS @ main*\nrun spinning  ⟶ stop: kill 1"},
       {"type": "mrkdwn", "text": "*WEDGE @ api*\nX"}]},
     {"type": "section", "text": {"type": "mrkdwn", "text": "```\n# operator decisions\n  body\n```"}},
     {"type": "context", "elements": [{"type": "mrkdwn", "text": "dos notify · source=`decisions` · severity=`URGENT`"}]}
    ]);
    let blocks = build_blocks(&n);
    assert_eq!(blocks, expected);
    // Key order as the reference writes it.
    assert!(pyjson::dumps(&blocks, Style::DEFAULT).starts_with(
        r#"[{"type": "header", "text": {"type": "plain_text", "text": ":red_circle: 2 decisions need you", "emoji": true}}, {"type": "section", "fields": [{"type": "mrkdwn", "text": "*LIVENESS @ main*\nrun spinning  \u27f6 stop: kill 1"}"#
    ));
}

#[test]
fn block_layout_table() {
    let many: Vec<(String, String)> = (0..12).map(|i| (format!("L{i}"), format!("V{i}"))).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let long_title = "t".repeat(200);
    let long_summary = "ü".repeat(3000);
    // (note, block types, header text)
    let cases: Vec<(Notification, Vec<&str>, String)> = vec![
        (
            note(Severity::Info, "fleet clear", "", &[], ""),
            vec!["header", "context"],
            ":large_blue_circle: fleet clear".into(),
        ),
        (
            note(Severity::Warn, "w", "s", &[], "top"),
            vec!["header", "section", "context"],
            ":large_yellow_circle: w".into(),
        ),
        (
            note(Severity::Urgent, &long_title, "", &many, "x"),
            vec!["header", "section", "context"],
            format!(":red_circle: {}", "t".repeat(150 - ":red_circle: ".len())),
        ),
        (
            note(Severity::Info, "", "", &[], ""),
            vec!["header", "context"],
            ":large_blue_circle:".into(),
        ),
    ];
    for (n, types, header) in cases {
        let blocks = build_blocks(&n);
        let got: Vec<&str> = blocks
            .as_array()
            .map(|a| a.iter().filter_map(|b| b["type"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(got, types, "{:?}", n.title);
        assert_eq!(blocks[0]["text"]["text"], header.as_str());
        let source = if n.source.is_empty() {
            "?"
        } else {
            n.source.as_str()
        };
        let context = blocks
            .as_array()
            .and_then(|a| a.last())
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            context["elements"][0]["text"],
            format!(
                "dos notify · source=`{source}` · severity=`{}`",
                n.severity.token()
            )
        );
    }
    let blocks = build_blocks(&note(Severity::Urgent, "t", "", &many, "x"));
    assert_eq!(blocks[1]["fields"].as_array().map(Vec::len), Some(10));
    assert_eq!(blocks[1]["fields"][9]["text"], "*L9*\nV9");
    let blocks = build_blocks(&note(Severity::Info, "t", &long_summary, &[], "x"));
    assert_eq!(
        blocks[1]["text"]["text"],
        format!("```\n{}\n```", "ü".repeat(2800))
    );
}

#[test]
fn raw_channel_id_table() {
    let table: &[(&str, bool)] = &[
        ("C0AJ37QHMFB", true),
        ("G12", true),
        ("D1", true),
        ("CABC", true),
        ("C", true),
        ("ops", false),
        ("c0abc", false),
        ("C-1", false),
        ("C0ab", false),
        ("X123", false),
        ("", false),
    ];
    for (s, expected) in table {
        assert_eq!(is_raw_channel_id(s), *expected, "{s}");
    }
}

#[test]
fn channel_resolution_table() {
    let channels: HashMap<String, String> = [
        ("ops".to_string(), "C0OPS".to_string()),
        ("empty".into(), "".into()),
    ]
    .into_iter()
    .collect();
    let table: &[(&str, Option<&str>)] = &[
        ("  C0AJ37QHMFB ", Some("C0AJ37QHMFB")),
        ("ops", Some("C0OPS")),
        (" ops ", Some("C0OPS")),
        ("empty", None),
        ("zip-files", None),
        ("", None),
        ("   ", None),
    ];
    for (arg, expected) in table {
        assert_eq!(resolve_channel(arg, &channels).as_deref(), *expected, "{arg:?}");
    }
    assert_eq!(
        no_channel_detail(""),
        "no channel (got ''; name not in slack_config.json or not a raw id)"
    );
    assert_eq!(
        no_channel_detail("ops"),
        "no channel (got 'ops'; name not in slack_config.json or not a raw id)"
    );
}

#[test]
fn mode_text_and_dry_run_table() {
    let top = Notification {
        action: None,
        key: "dos-top:/ws".into(),
        ..note(Severity::Info, "fleet: 1 advancing", "SCREEN", &[], "top")
    };
    let digest = note(Severity::Warn, "5 decisions need you", "", &[], "decisions");
    let table: &[(Option<bool>, &Notification, bool)] = &[
        (None, &top, true),
        (None, &digest, false),
        (Some(false), &top, false),
        (Some(true), &digest, true),
    ];
    for (explicit, n, expected) in table {
        assert_eq!(wants_edit(*explicit, n), *expected);
    }
    assert_eq!(live_text(&top), "fleet: 1 advancing\nSCREEN");
    assert_eq!(live_text(&digest), "5 decisions need you");
    assert_eq!(live_key(&top), "dos-top:/ws");
    assert_eq!(live_key(&digest), "dos-notify");
    assert_eq!(
        dry_run_detail(false, "C0AJ37QHMFB", &digest),
        "[dry-run] would post to C0AJ37QHMFB (WARN: 5 decisions need you)"
    );
    assert_eq!(
        dry_run_detail(true, "C0AJ37QHMFB", &top),
        "[dry-run] would edit-in-place to C0AJ37QHMFB (INFO: fleet: 1 advancing)"
    );
}

#[test]
fn api_answer_table() {
    let m = "chat.postMessage";
    type Row<'a> = (
        u16,
        Option<&'a str>,
        &'a str,
        Result<&'a str, (Option<&'a str>, &'a str)>,
    );
    let table: Vec<Row> = vec![
        (
            200,
            None,
            r#"{"ok": true, "ts": "1700000000.000101"}"#,
            Ok("1700000000.000101"),
        ),
        (200, None, r#"{"ok": true}"#, Ok("")),
        (
            200,
            None,
            r#"{"ok": false, "error": "channel_not_found"}"#,
            Err((
                Some("channel_not_found"),
                "slack chat.postMessage failed: channel_not_found",
            )),
        ),
        (
            200,
            None,
            r#"{"ok": false, "error": "missing_scope", "needed": "chat:write"}"#,
            Err((
                Some("missing_scope"),
                "slack chat.postMessage failed: missing_scope (needed: chat:write)",
            )),
        ),
        (
            200,
            None,
            r#"{"ok": false}"#,
            Err((
                Some("unknown_error"),
                "slack chat.postMessage failed: unknown_error",
            )),
        ),
        (
            401,
            None,
            r#"{"ok": false, "error": "invalid_auth"}"#,
            Err((
                Some("invalid_auth"),
                "slack chat.postMessage failed: invalid_auth (HTTP 401)",
            )),
        ),
        (
            429,
            Some("30"),
            r#"{"ok": false, "error": "ratelimited"}"#,
            Err((
                Some("ratelimited"),
                "slack rate-limited chat.postMessage (HTTP 429); retry after 30s",
            )),
        ),
        (
            429,
            None,
            "",
            Err((
                Some("ratelimited"),
                "slack rate-limited chat.postMessage (HTTP 429); no Retry-After given",
            )),
        ),
        (
            500,
            None,
            "<html>",
            Err((None, "slack chat.postMessage HTTP 500: Internal Server Error")),
        ),
        (
            500,
            None,
            r#"{"ok": true}"#,
            Err((None, "slack chat.postMessage HTTP 500: Internal Server Error")),
        ),
        (
            200,
            None,
            "ok",
            Err((
                None,
                "slack chat.postMessage answered HTTP 200 without a JSON object saying ok",
            )),
        ),
    ];
    for (status, retry, body, expected) in table {
        let got = interpret_api(m, status, retry, body);
        let got = got
            .as_ref()
            .map(String::as_str)
            .map_err(|f| (f.error.as_deref(), f.detail.as_str()));
        assert_eq!(got, expected, "{status} {body}");
    }
}

#[test]
fn ladder_and_timeout() {
    let broken = || Err(dotenv::DotenvError("bad".into()));
    assert_eq!(
        resolve_setting(Some("x"), "K", &|_| None, &broken),
        Ok(Some("x".into()))
    );
    assert_eq!(
        resolve_setting(Some(""), "K", &|_| Some("e".into()), &broken),
        Ok(Some("e".into()))
    );
    assert_eq!(
        resolve_setting(None, "K", &|_| Some(String::new()), &|| Ok([(
            "K".to_string(),
            "d".to_string()
        )]
        .into_iter()
        .collect())),
        Ok(Some("d".into()))
    );
    assert_eq!(effective_timeout(None), Duration::from_secs(10));
    assert_eq!(effective_timeout(Some(0.01)), Duration::from_millis(100));
}

#[test]
fn scrub_table() {
    assert_eq!(
        scrub("bad xoxb-1-2 here xoxb-1-2", "xoxb-1-2"),
        "bad *** here ***"
    );
    assert_eq!(scrub("ab", "a"), "ab");
}

/// 0.30's blocks for an action with a URL (recorded from
/// `dos.drivers.notify_slack.build_blocks`): a link button with the label cut
/// to 75, and the command on the context line.
#[test]
fn action_button_and_open_command_match_030() {
    let mut n = note(Severity::Warn, "t", "", &[("a", "b")], "top");
    n.action = Some(dos_plugin_api::NotifyAction {
        label: "x".repeat(80),
        command: "dos top".into(),
        url: "https://example.test/top".into(),
    });
    let want: serde_json::Value = serde_json::from_str(r#"[{"type": "header", "text": {"type": "plain_text", "text": ":large_yellow_circle: t", "emoji": true}}, {"type": "section", "fields": [{"type": "mrkdwn", "text": "*a*\nb"}]}, {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "emoji": true}, "url": "https://example.test/top"}]}, {"type": "context", "elements": [{"type": "mrkdwn", "text": "dos notify \u00b7 source=`top` \u00b7 severity=`WARN` \u00b7 open: `dos top`"}]}]"#).unwrap();
    assert_eq!(build_blocks(&n), want);
    // No URL: no button, the command still on the context line.
    n.action.as_mut().unwrap().url.clear();
    let blocks = build_blocks(&n);
    assert!(blocks.as_array().unwrap().iter().all(|b| b["type"] != "actions"));
    assert_eq!(
        blocks[2]["elements"][0]["text"],
        "dos notify · source=`top` · severity=`WARN` · open: `dos top`"
    );
}
