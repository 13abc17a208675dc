//! The built `.so` itself, loaded through the SDK's test harness (the same
//! abi_stable loading the host does): construct, send in dry-run, and the
//! constructor's typed-config error.

use dos_plugin_api::test_support::harness::{built_library, PluginFile};
use dos_plugin_api::{Notification, Severity};
use serde_json::json;

fn note() -> Notification {
    Notification {
        severity: Severity::Warn,
        title: "2 decisions need you".into(),
        summary: String::new(),
        fields: vec![],
        key: String::new(),
        source: "test".into(),
        action: None,
    }
}

#[test]
fn the_built_library_loads_and_sends_in_dry_run() {
    let path = built_library("dos_notify_webhook").expect("cargo test built the cdylib");
    let file = PluginFile::load(&path).expect("loads like the host loads it");
    assert_eq!(file.manifest().name, "dos-notify-webhook");
    assert_eq!(file.manifest().api_version, dos_plugin_api::API_VERSION);
    let mut n = file
        .notifier(
            "webhook",
            &json!({"url": "http://127.0.0.1:9/x", "dry_run": true, "root": "/nonexistent"}),
        )
        .expect("constructs");
    let out = n.send(&note()).expect("sends");
    assert!(!out.delivered);
    assert_eq!(
        out.detail,
        "[dry-run] would POST to http://127.0.0.1:9/x (WARN: 2 decisions need you)"
    );
    let err = file
        .notifier("webhook", &json!({"url": 8765}))
        .map(|_| ())
        .unwrap_err();
    assert_eq!(
        err.0,
        "[notifiers.webhook] url: expected a string, found integer 8765"
    );
    let err = file.notifier("teams", &json!({})).map(|_| ()).unwrap_err();
    assert_eq!(err.0, "this plugin provides no notifier driver named 'teams'");
}

#[test]
fn a_missing_library_is_named() {
    let err = built_library("surely_not_built_here").unwrap_err();
    let file = dos_plugin_api::test_support::harness::library_file_name("surely_not_built_here");
    assert!(
        err.0.starts_with(&format!("no {file} was built (looked in ")),
        "{err}"
    );
    let err = PluginFile::load(std::path::Path::new("/nonexistent/libx.so")).unwrap_err();
    assert!(err.0.starts_with("/nonexistent/libx.so: "), "{err}");
}
