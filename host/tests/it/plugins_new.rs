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
    crate::support::plugin_support::cargo()
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
    for (group, name, table, wrong) in [
        (
            "notifiers",
            "gen-notifier",
            "path = \"n.log\"",
            ("path = 8765", "path: expected a string, found integer 8765"),
        ),
        (
            "exporters",
            "gen-exporter",
            "path = \"e.jsonl\"",
            ("path = []", "path: expected a string, found array"),
        ),
        (
            "stop_policies",
            "gen-stop",
            "stop_kinds = [\"WEDGE\"]",
            (
                "stop_kinds = \"WEDGE\"",
                "stop_kinds: expected a sequence, found string \"WEDGE\"",
            ),
        ),
        (
            "judges",
            "gen-judge",
            "case_sensitive = true",
            (
                "case_sensitive = 1",
                "case_sensitive: expected a boolean, found integer 1",
            ),
        ),
        (
            "evidence_sources",
            "gen-evidence",
            "dir = \".\"",
            ("dir = false", "dir: expected a string, found boolean false"),
        ),
        (
            "gen_widgets",
            "gen-generic",
            "greeting = \"hi\"",
            ("greeting = 2.5", "greeting: expected a string, found float 2.5"),
        ),
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

        // --construct builds the driver from the workspace's table ...
        let ws = tmp.path().join(format!("ws-{name}"));
        std::fs::create_dir(&ws).expect("mkdir");
        let lib_arg = lib.to_str().expect("utf-8");
        let construct = |toml: String| {
            std::fs::write(ws.join("dos.toml"), toml).expect("dos.toml");
            dos(
                &[
                    "plugins",
                    "check",
                    lib_arg,
                    "--construct",
                    "--workspace",
                    ws.to_str().expect("utf-8"),
                ],
                tmp.path(),
            )
        };
        let out = construct(format!("[{group}.{name}]\n{table}\n"));
        assert!(out.status.success(), "{group}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(&format!(
                "builds    {group}/{name} (with dos.toml [{group}.{name}])"
            )),
            "{group}: {}",
            text(&out)
        );
        // ... and reports a wrong-typed key as the constructor's error.
        let out = construct(format!("[{group}.{name}]\n{}\n", wrong.0));
        assert_eq!(out.status.code(), Some(1), "{group}: {}", text(&out));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!(
                "error: {group}/{name} (with dos.toml [{group}.{name}]): constructor failed: [{group}.{name}] {}\n",
                wrong.1
            ),
            "{group}"
        );
    }
}

#[test]
fn a_crate_built_as_an_rlib_only_gets_the_cdylib_hint() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("gen-rlib-only");
    let api = repo_root().join("plugin-api");
    let out = dos(
        &[
            "plugins",
            "new",
            "gen-rlib-only",
            "--group",
            "judges",
            "--dir",
            dir.to_str().expect("utf-8"),
            "--api-path",
            api.to_str().expect("utf-8"),
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out));
    let manifest = dir.join("Cargo.toml");
    let toml = std::fs::read_to_string(&manifest).expect("read");
    std::fs::write(
        &manifest,
        toml.replace("crate-type = [\"cdylib\", \"rlib\"]", "crate-type = [\"rlib\"]"),
    )
    .expect("write");
    std::fs::copy(repo_root().join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy lock");
    let built = cargo(&["build"], &dir);
    assert!(built.status.success(), "{}", text(&built));
    let so = dylib("gen_rlib_only");
    let _ = std::fs::remove_file(&so); // left over from an earlier cdylib build of this name
    let rlib = so.with_extension("rlib");
    assert!(rlib.is_file(), "{}", rlib.display());
    let hint = "the crate was built as a Rust library archive (rlib), which cannot be loaded: build the \
                plugin as a shared library with `crate-type = [\"cdylib\"]` under [lib] in its Cargo.toml\n";
    for file in [&so, &rlib] {
        let out = dos(&["plugins", "check", file.to_str().expect("utf-8")], tmp.path());
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with(&format!("error: cannot load {}: ", file.display())),
            "{err}"
        );
        assert!(err.ends_with(hint), "{err}");
    }
}

#[test]
fn dos_plugins_warns_about_tables_no_driver_uses_with_the_nearest_name() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tmp.path().join("dos.toml"),
        "[plugins]\ndefault_dir = false\n\n[notifiers.nul]\nx = 1\n\n[judges.abstian]\n\n\
         [stop_policies.never]\n\n[exporters.kafka]\nbrokers = \"b\"\n",
    )
    .expect("dos.toml");
    let ws = tmp.path().to_str().expect("utf-8");
    let out = dos(&["plugins", "--workspace", ws], tmp.path());
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "warning: dos.toml [exporters.kafka] configures no loaded exporter (no plugin on the search path provides it; see `dos plugins`)\n\
         warning: dos.toml [notifiers.nul] configures no loaded notifier (did you mean [notifiers.null]?)\n\
         warning: dos.toml [judges.abstian] configures no loaded judge (did you mean [judges.abstain]?)\n"
    );
    let out = dos(&["plugins", "--workspace", ws, "--json"], tmp.path());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["unused_tables"][1]["nearest"], "null");
    assert_eq!(report["unused_tables"].as_array().map(Vec::len), Some(3));
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
