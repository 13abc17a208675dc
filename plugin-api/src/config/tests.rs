use super::*;
use serde_json::json;

fn cfg(v: Value) -> DriverConfig {
    match v {
        Value::Object(m) => DriverConfig(m),
        _ => DriverConfig::default(),
    }
}

/// Run `f` the way the SDK runs a constructor for `[notifiers.teams]`.
fn in_ctor<T>(c: &DriverConfig, f: impl FnOnce(&DriverConfig) -> T) -> Result<T, String> {
    c.construct("notifiers.teams", |c| Ok(f(c))).map_err(|e| e.0)
}

#[test]
fn accessors_read_well_typed_values() {
    let c = cfg(
        json!({"s": "x", "empty": "", "n": 5, "ns": " 7 ", "zero": 0, "b": true, "l": ["a", "b"],
                       "f": 2.5, "fs": " 1e1 ", "root": "/w", "t": 250, "nul": null}),
    );
    let read = in_ctor(&c, |c| {
        assert_eq!(c.str("s"), Some("x"));
        assert_eq!(c.str("empty"), None);
        assert_eq!(c.str("nul"), None);
        assert_eq!(c.int("n"), Some(5));
        assert_eq!(c.int("ns"), Some(7));
        assert_eq!(c.int("zero"), None);
        assert_eq!(c.float("f"), Some(2.5));
        assert_eq!(c.float("fs"), Some(10.0));
        assert_eq!(c.float("n"), Some(5.0));
        assert!(c.flag("b") && !c.flag("absent"));
        assert_eq!(c.strings("l"), Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(c.strings("s"), Some(vec!["x".to_string()]));
        assert_eq!(c.state_dir(), std::path::PathBuf::from("/w/.dos"));
        assert_eq!(c.millis("t"), Some(std::time::Duration::from_millis(250)));
    });
    assert_eq!(read, Ok(()));
}

#[test]
fn accessors_report_wrong_types_instead_of_treating_them_as_absent() {
    let table = [
        (
            json!({"url": 8765}),
            "str",
            "[notifiers.teams] url: expected a string, found integer 8765",
        ),
        (
            json!({"url": true}),
            "str",
            "[notifiers.teams] url: expected a string, found boolean true",
        ),
        (
            json!({"url": ["a"]}),
            "str",
            "[notifiers.teams] url: expected a string, found array",
        ),
        (
            json!({"url": {"a": 1}}),
            "str",
            "[notifiers.teams] url: expected a string, found table",
        ),
        (
            json!({"url": 1.5}),
            "int",
            "[notifiers.teams] url: expected an integer, found float 1.5",
        ),
        (
            json!({"url": "ten"}),
            "int",
            "[notifiers.teams] url: expected an integer, found string \"ten\"",
        ),
        (
            json!({"url": "fast"}),
            "float",
            "[notifiers.teams] url: expected a number, found string \"fast\"",
        ),
        (
            json!({"url": false}),
            "float",
            "[notifiers.teams] url: expected a number, found boolean false",
        ),
        (
            json!({"url": "yes"}),
            "flag",
            "[notifiers.teams] url: expected a boolean, found string \"yes\"",
        ),
        (
            json!({"url": ["a", 2]}),
            "strings",
            "[notifiers.teams] url[1]: expected a string, found integer 2",
        ),
        (
            json!({"url": 3}),
            "strings",
            "[notifiers.teams] url: expected an array of strings, found integer 3",
        ),
        (
            json!({"url": "", "dry_run": "no"}),
            "dry_run",
            "[notifiers.teams] dry_run: expected a boolean, found string \"no\"",
        ),
    ];
    for (value, accessor, want) in table {
        let c = cfg(value.clone());
        let got = in_ctor(&c, |c| match accessor {
            "str" => c.str("url").is_none(),
            "int" => c.int("url").is_none(),
            "float" => c.float("url").is_none(),
            "flag" => !c.flag("url"),
            "strings" => c.strings("url").is_none_or(|v| v.len() == 1),
            _ => !c.dry_run(),
        });
        assert_eq!(got, Err(want.to_string()), "{accessor} on {value}");
    }
}

#[test]
fn a_constructor_error_wins_over_a_recorded_one_and_scopes_nest() {
    let c = cfg(json!({"url": 1}));
    let got: Result<(), _> = c.construct("judges.x", |c| {
        let _ = c.str("url");
        Err(crate::PluginError::new("no endpoint"))
    });
    assert_eq!(got.unwrap_err().0, "no endpoint");
    // Outside any construction, nothing is recorded and nothing leaks into the next one.
    assert_eq!(c.str("url"), None);
    assert_eq!(cfg(json!({})).construct("judges.y", |_| Ok(1)), Ok(1));
}

#[test]
fn a_panicking_constructor_leaves_no_scope_behind() {
    let c = cfg(json!({"url": 1}));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _: Result<(), _> = c.construct("judges.x", |c| {
            let _ = c.str("url");
            panic!("boom")
        });
    }));
    assert!(caught.is_err());
    assert_eq!(ConfigError::new("k", "p").table, "");
}

#[derive(Debug, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Teams {
    url: String,
    #[serde(default)]
    retries: u8,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
    #[serde(default, deserialize_with = "py_float_opt")]
    timeout: Option<f64>,
    #[serde(default, deserialize_with = "py_int")]
    port: i64,
}

#[test]
fn parse_names_the_key_and_the_expected_type() {
    let table = [
        (json!({"url": 8765}), "url: expected a string, found integer 8765"),
        (
            json!({"url": "u", "retries": 300}),
            "retries: expected u8, found integer 300",
        ),
        (
            json!({"url": "u", "retries": -1}),
            "retries: expected u8, found integer -1",
        ),
        (
            json!({"url": "u", "headers": {"A": 1}}),
            "headers.A: expected a string, found integer 1",
        ),
        (
            json!({"url": "u", "headers": []}),
            "headers: expected a map, found array",
        ),
        (
            json!({"url": "u", "timeout": "soon"}),
            "timeout: expected a number, found string \"soon\"",
        ),
        (
            json!({"url": "u", "port": "80x"}),
            "port: expected an integer, found string \"80x\"",
        ),
        (json!({}), "url: missing (required)"),
        (
            json!({"url": "u", "urll": 1}),
            "urll: unknown key; expected one of `url`, `retries`, `headers`, `timeout`, `port`",
        ),
    ];
    for (value, want) in table {
        let got = cfg(value.clone()).parse::<Teams>().map_err(|e| e.to_string());
        assert_eq!(got, Err(want.to_string()), "{value}");
    }
    let inside = cfg(json!({"url": 8765})).construct("notifiers.teams", |c| Ok(c.parse::<Teams>()?));
    assert_eq!(
        inside.unwrap_err().0,
        "[notifiers.teams] url: expected a string, found integer 8765"
    );
}

#[test]
fn parse_keeps_python_coercions_where_asked() {
    let t: Teams = cfg(json!({"url": "u", "timeout": " 2.5 ", "port": " 8125 "}))
        .parse()
        .expect("parses");
    assert_eq!((t.timeout, t.port), (Some(2.5), 8125));
    let t: Teams = cfg(json!({"url": "u", "timeout": 3, "port": 9.9}))
        .parse()
        .expect("parses");
    assert_eq!((t.timeout, t.port), (Some(3.0), 9));
}

#[test]
fn get_reads_one_key() {
    let c = cfg(json!({"n": 3, "s": "x", "z": null}));
    assert_eq!(c.get::<u32>("n"), Ok(Some(3)));
    assert_eq!(c.get::<u32>("z"), Ok(None));
    assert_eq!(c.get::<u32>("absent"), Ok(None));
    assert_eq!(
        c.get::<u32>("s").map_err(|e| e.to_string()),
        Err("s: expected u32, found string \"x\"".to_string())
    );
}

#[derive(Debug, serde::Deserialize, PartialEq)]
struct Hooks {
    #[serde(default, deserialize_with = "string_pairs")]
    headers: Vec<(String, String)>,
    #[serde(default, deserialize_with = "non_empty")]
    url: Option<String>,
}

#[test]
fn string_pairs_keep_order_and_name_a_bad_value() {
    let h: Hooks = cfg(json!({"headers": {"Z": "1", "A": "2"}, "url": ""}))
        .parse()
        .expect("parses");
    assert_eq!(
        h.headers,
        vec![("Z".into(), "1".into()), ("A".into(), "2".into())]
    );
    assert_eq!(h.url, None);
    let bad = cfg(json!({"headers": {"Z": "1", "X-Retry": 3}})).parse::<Hooks>();
    assert_eq!(
        bad.map_err(|e| e.to_string()),
        Err("headers.X-Retry: expected a string, found integer 3".to_string())
    );
}
