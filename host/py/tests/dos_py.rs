//! `dos-py` against CPython itself (where `python3` is on PATH with the
//! Unicode version the tables were generated from) and property tests of its
//! pure functions.

use dos_py::json::{loads, parse};
use dos_py::{dumps, int, repr, text, time, unicode_tables, value};
use proptest::prelude::*;
use std::io::Write;
use std::process::{Command, Stdio};

/// Run `script` with `python3`, `input` on stdin; `None` when python3 is
/// missing or has another Unicode version than the tables (then the
/// comparison is skipped, with a note on stderr).
fn python(script: &str, input: &str) -> Option<String> {
    let version = Command::new("python3")
        .args(["-c", "import unicodedata; print(unicodedata.unidata_version)"])
        .output()
        .ok()?;
    let found = String::from_utf8_lossy(&version.stdout).trim().to_string();
    if found != unicode_tables::UNICODE_VERSION {
        eprintln!(
            "skipped: python3 has Unicode {found:?}, the tables {}",
            unicode_tables::UNICODE_VERSION
        );
        return None;
    }
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(input.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    assert!(out.status.success(), "python3 failed");
    Some(String::from_utf8(out.stdout).expect("utf-8 from python3"))
}

#[test]
fn unicode_tables_are_what_the_generator_prints() {
    let script = include_str!("../tools/gen_unicode_tables.py");
    let Some(printed) = python(script, "") else { return };
    let checked_in = include_str!("../src/unicode_tables.rs");
    assert!(
        printed == checked_in,
        "src/unicode_tables.rs is stale: run tools/gen_unicode_tables.py"
    );
}

#[test]
fn isprintable_isspace_and_repr_agree_with_cpython_on_every_code_point() {
    // One line per code point (surrogates skipped): isprintable, isspace, decimal.
    let script = r#"
import sys, unicodedata
out = []
for c in range(0x110000):
    if 0xD800 <= c < 0xE000:
        continue
    ch = chr(c)
    d = unicodedata.decimal(ch, -1)
    out.append("%d%d%d" % (ch.isprintable(), ch.isspace(), d + 1))
sys.stdout.write("\n".join(out))
"#;
    let Some(printed) = python(script, "") else { return };
    let chars = (0..0x110000u32).filter_map(char::from_u32);
    for (c, line) in chars.zip(printed.lines()) {
        let b = line.as_bytes();
        assert_eq!(text::is_printable(c), b[0] == b'1', "isprintable {c:?}");
        assert_eq!(text::is_py_space(c), b[1] == b'1', "isspace {c:?}");
        let want: i64 = line[2..].parse::<i64>().unwrap() - 1;
        assert_eq!(int::decimal_value(c).map_or(-1, i64::from), want, "decimal {c:?}");
    }
}

/// Inputs fed to CPython and to us, one JSON string per line.
fn ask(script: &str, inputs: &[&str]) -> Option<Vec<String>> {
    let lines: Vec<String> = inputs
        .iter()
        .map(|s| dumps::dumps(&serde_json::json!(s), dumps::Style::DEFAULT))
        .collect();
    let out = python(script, &lines.join("\n"))?;
    Some(
        out.lines()
            .map(|l| serde_json::from_str::<String>(l).expect("python answer"))
            .collect(),
    )
}

#[test]
fn repr_str_and_int_agree_with_cpython() {
    let inputs = [
        "plain",
        "it's",
        "a\"b'c",
        "both ' and \"",
        "tab\tnl\ncr\r",
        "\\",
        "\u{0}\u{1f}\u{7f}\u{80}\u{9f}",
        "\u{a0}\u{ad}é",
        "\u{378}\u{2028}\u{200b}\u{feff}",
        "\u{e000}\u{f0000}\u{10ffff}",
        "😀\u{1f3fb}",
        "\u{e0001}",
        " 12 ",
        "+1_000",
        "-0",
        "1__0",
        "\u{661}\u{662}",
        "\u{ff11}",
        "\u{b2}",
        "0x10",
        "",
        " ",
        "\u{1c}7\u{85}",
        "007",
        "9223372036854775808",
        "- 1",
    ];
    let script = r#"
import sys, json
for line in sys.stdin.read().splitlines():
    s = json.loads(line)
    try:
        i = str(int(s))
    except ValueError:
        i = "ValueError"
    print(json.dumps(repr(s)))
    print(json.dumps(i))
    print(json.dumps(repr(s.strip()) + repr(s.splitlines())))
"#;
    let Some(answers) = ask(script, &inputs) else {
        return;
    };
    for (k, s) in inputs.iter().enumerate() {
        assert_eq!(repr::str_repr(s), answers[3 * k], "repr {s:?}");
        let ours = int::parse_int(s).map_or("ValueError".to_string(), |i| i.to_string());
        assert_eq!(ours, answers[3 * k + 1], "int {s:?}");
        let lines = repr::list_repr(text::py_splitlines(s));
        assert_eq!(
            format!("{}{lines}", repr::str_repr(text::py_strip(s))),
            answers[3 * k + 2],
            "strip/splitlines {s:?}"
        );
    }
}

#[test]
fn json_loads_agrees_with_cpython() {
    let inputs = [
        "",
        " ",
        "{bad",
        "{\"a\": 1} x",
        "\u{feff}{}",
        "[1,]",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "[1 2]",
        "\"abc",
        "\"a\\x\"",
        "\"\\u12\"",
        "\"a\u{1}b\"",
        "01",
        "-",
        "-x",
        "1.",
        "1e",
        "NaN",
        "-Infinity",
        "[1e400, -0, 1.5e-7]",
        "{\"a\": 1, \"b\": 2, \"a\": 3}",
        "\"\\ud83d\\ude00 \\u00e9\"",
        "{\"k\": [true, false, null]}",
        "\n\n  [1,\n x]",
        "[\"é\", \"\\n\"] tail",
        "{\"é\": 1} é",
    ];
    // Python's answer: "ok " + repr(value), or "err " + the JSONDecodeError text.
    let script = r#"
import sys, json
for line in sys.stdin.read().splitlines():
    s = json.loads(line)
    try:
        print(json.dumps("ok " + repr(json.loads(s))))
    except json.JSONDecodeError as e:
        print(json.dumps("err " + str(e)))
"#;
    let Some(answers) = ask(script, &inputs) else {
        return;
    };
    for (s, want) in inputs.iter().zip(&answers) {
        let ours = match loads(s) {
            Ok(v) => format!("ok {}", value::py_repr(&v)),
            Err(e) => format!("err {}", e.message(s.as_bytes())),
        };
        assert_eq!(&ours, want, "json.loads({s:?})");
    }
}

#[test]
fn fromisoformat_and_strptime_agree_with_cpython() {
    let inputs = [
        "2026-11-21",
        "2026-11-21T21:00:00Z",
        "2026-11-21T21:00:00",
        "2026-11-21 21:00:00+01:00",
        "2026-11-21T21:00:00.5-00:30",
        "2026-11-21T21:00:00.123456789",
        "20261121",
        "2026-02-30",
        "garbage",
        "2026-11-21T25:00",
        "",
        "2026-11-21T21",
        "2026-11-21T2100",
        "2026-11-21T21:00:00+0530",
        " 2026-11-21",
        "2026-11-21T21:00:00.5Z",
        "2026-01-01T12:00:00Z",
        "2026-1-1T1:2:3Z",
        "2026-01-01T23:59:60Z",
        "2026-01-01t12:00:00z",
        "2026-01-01T12:00Z",
        "0001-01-01T00:00:00Z",
        "2026-W01-1",
        "2026-11-21T21:00:00,5",
        "2026W011",
        "2026-W01",
        "2026W01",
        "2026-325",
        "2026-W53-1",
        "2020-W53-7",
        "2026-W01-8",
        "2026-W01-1T10:00",
        "2026W01T10",
        "2026-11-21T21:00:00.1234567",
        "2026-11-21T21:00:00+05",
        "2026-11-21T21:00:00+05:30:15",
        "2026-11-21T24:00:00",
        "2026-11-21T21:00:00 ",
        "2026-11-21\u{c4}21:00",
        "2026-11-2",
        "2026-1121",
        "202611-21",
    ];
    // Microseconds since the epoch (UTC when naive), or "-".
    let script = r#"
import sys, json, datetime as dt
def us(t):
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    d = t - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return str((d.days * 86400 + d.seconds) * 1000000 + d.microseconds)
for line in sys.stdin.read().splitlines():
    s = json.loads(line)
    try:
        iso = us(dt.datetime.fromisoformat(s.replace("Z", "+00:00")))
    except ValueError:
        iso = "-"
    try:
        st = us(dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        st = "-"
    print(json.dumps(iso + " " + st))
"#;
    let Some(answers) = ask(script, &inputs) else {
        return;
    };
    for (s, want) in inputs.iter().zip(&answers) {
        let iso = time::parse_iso(s).map_or("-".to_string(), |t| t.to_string());
        let st = time::parse_ts(s).map_or("-".to_string(), |t| (t * 1_000_000).to_string());
        assert_eq!(&format!("{iso} {st}"), want, "{s:?}");
    }
}

proptest! {
    #[test]
    fn calendar_round_trips(days in -1_000_000i64..1_000_000) {
        let (y, m, d) = time::civil_from_days(days);
        prop_assert!((1..=12).contains(&m) && d >= 1 && d <= time::days_in_month(y, m));
        prop_assert_eq!(time::days_from_civil(y, m, d), days);
    }

    #[test]
    fn journal_stamps_round_trip(secs in -62_135_596_800i64..253_402_300_799) {
        let ts = time::format_ts(secs);
        prop_assert_eq!(time::parse_ts(&ts), Some(secs));
        prop_assert_eq!(time::parse_iso(&ts), Some(secs * 1_000_000));
    }

    #[test]
    fn parsers_never_panic(s in "\\PC{0,40}|[0-9W:+\\-T.Z é]{0,30}") {
        let _ = time::parse_iso(&s);
        let _ = time::parse_stamp_ms(&s);
        let _ = int::parse_int(&s);
        let _ = parse(s.as_bytes());
    }

    #[test]
    fn ints_round_trip(n in any::<i64>(), pad in "[ \t\n]{0,2}") {
        let text = format!("{pad}{n}{pad}");
        prop_assert_eq!(int::py_int(&text), Some(n));
        let underscored: String = n.to_string().chars().flat_map(|c| [c, '_']).collect();
        let underscored = underscored.trim_end_matches('_').replace("-_", "-");
        prop_assert_eq!(int::py_int(&underscored), Some(n));
    }

    #[test]
    fn repr_is_quoted_and_escapes_exactly_the_unprintable(s in "\\PC*|[\\x00-\\x20'\"\\\\\u{80}-\u{a0}\u{2028}]*") {
        let r = repr::str_repr(&s);
        let quote = r.chars().next().unwrap();
        prop_assert!(quote == '\'' || quote == '"');
        prop_assert!(r.ends_with(quote));
        for c in s.chars() {
            if text::is_printable(c) && c != '\\' && c != quote {
                prop_assert!(r.contains(c));
            }
        }
        prop_assert!(!r[1..r.len() - 1].chars().any(|c| !text::is_printable(c)));
    }

    #[test]
    fn dumps_then_loads_is_identity(v in json_value()) {
        for style in [dumps::Style::RECORD, dumps::Style::DEFAULT, dumps::Style::PRETTY_SORTED] {
            let text = dumps::dumps(&v, style);
            let parsed = parse(text.as_bytes()).map_err(|e| TestCaseError::fail(e.message(text.as_bytes())))?;
            let (back, lossy) = dos_py::json::to_json(&parsed);
            prop_assert!(!lossy);
            prop_assert_eq!(dumps::dumps(&back, dumps::Style::RECORD), dumps::dumps(&v, dumps::Style::RECORD));
        }
    }

    #[test]
    fn truthiness_agrees_between_value_types(v in json_value()) {
        let text = dumps::dumps(&v, dumps::Style::DEFAULT);
        prop_assert_eq!(loads(&text).unwrap().truthy(), value::truthy(&v));
        prop_assert_eq!(value::py_str(&loads(&text).unwrap()), value::json_str(&v));
    }

    #[test]
    fn splitlines_pieces_hold_no_break(s in "[a\n\r\u{b}\u{c}\u{1c}\u{85}\u{2028}b]*") {
        for line in text::py_splitlines(&s) {
            prop_assert!(!line.chars().any(text::is_line_break));
        }
        let stripped = text::py_strip(&s);
        prop_assert!(!stripped.starts_with(text::is_py_space) && !stripped.ends_with(text::is_py_space));
    }
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        (-1e300f64..1e300).prop_map(serde_json::Value::from),
        "\\PC{0,8}|[\u{0}-\u{1f}\u{2028}\"\\\\é]{0,4}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::vec(("[a-c]{0,2}", inner), 0..4)
                .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        ]
    })
}
