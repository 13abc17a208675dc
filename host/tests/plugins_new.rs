//! `dos plugins new` end to end: one crate per group is generated, built out
//! of tree (its own workspace; a shared CARGO_TARGET_DIR so abi_stable is
//! compiled once for all of them), its own tests run — unit tests and the
//! built library loaded through the SDK's harness — and `dos plugins check
//! --construct` loads the built file and constructs its driver from a
//! workspace's dos.toml table, with no edits to the generated files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent")
        .to_path_buf()
}

/// Shared with the other out-of-tree fixture builds.
fn shared_target() -> PathBuf {
    repo_root().join("target").join("fixtures")
}

fn dos(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dos"))
        .args(args)
        .current_dir(cwd)
        .env_remove("DOS_PLUGIN_PATH")
        .output()
        .expect("dos runs")
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn cargo(args: &[&str], crate_dir: &Path) -> Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    Command::new(cargo)
        .args(args)
        .arg("--quiet")
        .current_dir(crate_dir)
        .env("CARGO_TARGET_DIR", shared_target())
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .output()
        .expect("cargo runs")
}

fn dylib(lib: &str) -> PathBuf {
    shared_target().join("debug").join(format!(
        "{}{lib}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ))
}

#[test]
fn a_generated_plugin_of_every_group_builds_passes_its_tests_and_loads() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let api = repo_root().join("plugin-api");
    let api = api.to_str().expect("utf-8 path");
    for (group, name) in [
        ("notifiers", "gen-notifier"),
        ("exporters", "gen-exporter"),
        ("stop_policies", "gen-stop"),
        ("judges", "gen-judge"),
        ("evidence_sources", "gen-evidence"),
        ("gen_widgets", "gen-generic"),
    ] {
        let dir = tmp.path().join(name);
        let dir_arg = dir.to_str().expect("utf-8 path");
        let out = dos(
            &[
                "plugins",
                "new",
                name,
                "--group",
                group,
                "--dir",
                dir_arg,
                "--api-path",
                api,
            ],
            tmp.path(),
        );
        assert!(out.status.success(), "{group}: {}", text(&out));
        // Resolve exactly the workspace's dependency versions: no network,
        // and the shared target directory's compiled dependencies are reused.
        std::fs::copy(repo_root().join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy lock");

        let tested = cargo(&["test"], &dir);
        assert!(tested.status.success(), "{group}: cargo test: {}", text(&tested));
        let built = cargo(&["build"], &dir);
        assert!(built.status.success(), "{group}: cargo build: {}", text(&built));

        let lib = dylib(&name.replace('-', "_"));
        let out = dos(&["plugins", "check", lib.to_str().expect("utf-8")], tmp.path());
        assert!(out.status.success(), "{group}: {}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!("provides  {group}/{name}")),
            "{group}: {stdout}"
        );
    }
}

#[test]
fn bad_names_groups_and_occupied_directories_are_refused_with_the_reason() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cases: [(&[&str], &str); 3] = [
        (
            &["plugins", "new", "Teams", "--group", "notifiers"],
            "invalid plugin name 'Teams'",
        ),
        (
            &["plugins", "new", "abstain", "--group", "judges"],
            "'abstain' is a built-in judge; a plugin cannot replace it",
        ),
        (
            &[
                "plugins",
                "new",
                "x",
                "--group",
                "notifiers",
                "--api-path",
                "/nonexistent/plugin-api",
            ],
            "--api-path /nonexistent/plugin-api: No such file or directory",
        ),
    ];
    for (args, want) in cases {
        let out = dos(args, tmp.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(want),
            "{args:?}: {}",
            text(&out)
        );
    }
    std::fs::create_dir(tmp.path().join("taken")).expect("mkdir");
    std::fs::write(tmp.path().join("taken").join("keep"), "x").expect("write");
    let out = dos(&["plugins", "new", "taken", "--group", "notifiers"], tmp.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("taken already exists and is not empty"),
        "{}",
        text(&out)
    );
}
