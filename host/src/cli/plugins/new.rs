//! `dos plugins new NAME --group GROUP`: write a ready plugin crate — a
//! `cdylib` with the group's trait implemented and registered, a typed
//! config struct, unit tests, a test that loads the built library through
//! the SDK's harness, and a README. The file texts are templates embedded
//! from `templates/`; rendering is pure, writing is separate.

use std::path::{Path, PathBuf};

/// Why a crate could not be generated.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(super) enum NewError {
    /// NAME is not usable as a crate and driver name.
    #[error(
        "invalid plugin name '{0}': use lower-case letters, digits, '-' and '_', starting with a letter"
    )]
    BadName(String),
    /// GROUP is not a group key.
    #[error(
        "invalid group '{0}': use exporters, notifiers, stop_policies, judges, evidence_sources, \
         or a snake_case name for a generic-channel group"
    )]
    BadGroup(String),
    /// NAME is a built-in of the group, which a plugin can never shadow.
    #[error("'{name}' is a built-in {noun}; a plugin cannot replace it (pick another name)")]
    Builtin {
        /// The name.
        name: String,
        /// The group's noun.
        noun: String,
    },
    /// The target directory exists and is not empty.
    #[error("{0} already exists and is not empty; choose another --dir or NAME")]
    Exists(PathBuf),
    /// Writing failed.
    #[error("cannot write {path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        message: String,
    },
}

/// Which template family a group uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Exporter,
    Notifier,
    StopPolicy,
    Judge,
    EvidenceSource,
    Generic,
}

impl Kind {
    fn of(group: &str) -> Kind {
        match group {
            "exporters" => Kind::Exporter,
            "notifiers" => Kind::Notifier,
            "stop_policies" => Kind::StopPolicy,
            "judges" => Kind::Judge,
            "evidence_sources" => Kind::EvidenceSource,
            _ => Kind::Generic,
        }
    }

    fn templates(self) -> (&'static str, &'static str) {
        match self {
            Kind::Exporter => (
                include_str!("templates/exporter.rs.tmpl"),
                include_str!("templates/exporter_load.rs.tmpl"),
            ),
            Kind::Notifier => (
                include_str!("templates/notifier.rs.tmpl"),
                include_str!("templates/notifier_load.rs.tmpl"),
            ),
            Kind::StopPolicy => (
                include_str!("templates/stop_policy.rs.tmpl"),
                include_str!("templates/stop_policy_load.rs.tmpl"),
            ),
            Kind::Judge => (
                include_str!("templates/judge.rs.tmpl"),
                include_str!("templates/judge_load.rs.tmpl"),
            ),
            Kind::EvidenceSource => (
                include_str!("templates/evidence_source.rs.tmpl"),
                include_str!("templates/evidence_source_load.rs.tmpl"),
            ),
            Kind::Generic => (
                include_str!("templates/generic.rs.tmpl"),
                include_str!("templates/generic_load.rs.tmpl"),
            ),
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Kind::Exporter => "exporter",
            Kind::Notifier => "notifier",
            Kind::StopPolicy => "stop policy",
            Kind::Judge => "judge",
            Kind::EvidenceSource => "evidence source",
            Kind::Generic => "generic-channel",
        }
    }

    /// The README's `dos.toml` table body and how to run the driver.
    fn readme_parts(self, name: &str) -> (&'static str, String) {
        match self {
            Kind::Exporter => (
                "path = \"events.jsonl\"",
                format!("Run it: `dos export --to {name}` (add `--dry-run` to see without writing)."),
            ),
            Kind::Notifier => (
                "path = \"notifications.log\"",
                format!("Run it: `dos notify decisions --notifier {name}` (add `--dry-run` to send nothing)."),
            ),
            Kind::StopPolicy => (
                "stop_kinds = [\"LIVENESS\", \"WEDGE\"]",
                format!("Run it: `dos scout --stop-policy {name} --state-json '{{}}'` (or `[scout] stop_policy = \"{name}\"`)."),
            ),
            Kind::Judge => (
                "case_sensitive = false",
                format!("Score it: `dos judge-eval --judge {name} --cases cases.jsonl --verbose`."),
            ),
            Kind::EvidenceSource => (
                "dir = \"artifacts\"",
                format!("Run it: `dos witness gather SUBJECT --source {name}`."),
            ),
            Kind::Generic => (
                "greeting = \"hello\"",
                "The host reaches generic-channel groups through `Registry::generic`; a group \
                 of your own is called by your own tooling."
                    .to_string(),
            ),
        }
    }
}

/// Where the generated crate finds `dos-plugin-api`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ApiSource {
    /// A local checkout's `plugin-api` directory.
    Path(PathBuf),
    /// The published crate (`dos-plugin-api = "1"`).
    Registry,
}

impl ApiSource {
    /// This checkout's `plugin-api`, when the running `dos` was built from a
    /// checkout that is still there; else the published crate.
    pub(super) fn default_for_this_build() -> ApiSource {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("plugin-api");
        match std::fs::canonicalize(&dir) {
            Ok(p) if p.join("Cargo.toml").is_file() => ApiSource::Path(p),
            _ => ApiSource::Registry,
        }
    }

    fn dependency(&self, features: &str) -> String {
        let feats = if features.is_empty() {
            String::new()
        } else {
            format!(", features = [\"{features}\"]")
        };
        match self {
            ApiSource::Path(p) => {
                let quoted = toml_string(&p.display().to_string());
                format!("dos-plugin-api = {{ path = {quoted}{feats} }}")
            }
            ApiSource::Registry if feats.is_empty() => "dos-plugin-api = \"1\"".to_string(),
            ApiSource::Registry => format!("dos-plugin-api = {{ version = \"1\"{feats} }}"),
        }
    }
}

/// A TOML basic string (JSON's escaping is valid TOML for these characters).
fn toml_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// What to generate.
#[derive(Debug, Clone)]
pub(super) struct Spec {
    /// Crate and driver name.
    pub name: String,
    /// Group key.
    pub group: String,
    /// Where the API crate comes from.
    pub api: ApiSource,
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && name.len() <= 64
}

fn valid_group(group: &str) -> bool {
    let mut chars = group.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn camel(name: &str) -> String {
    name.split(['-', '_'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut cs = p.chars();
            cs.next()
                .map(|c| c.to_ascii_uppercase().to_string() + cs.as_str())
                .unwrap_or_default()
        })
        .collect::<String>()
        + "Driver"
}

/// Check NAME and GROUP.
pub(super) fn validate(name: &str, group: &str) -> Result<(), NewError> {
    if !valid_name(name) {
        return Err(NewError::BadName(name.to_string()));
    }
    if !valid_group(group) {
        return Err(NewError::BadGroup(group.to_string()));
    }
    if let Some(g) = dos_plugin_api::Group::from_key(group) {
        if crate::plugin_host::builtins::names(g).contains(&name) {
            return Err(NewError::Builtin {
                name: name.to_string(),
                noun: g.noun().to_string(),
            });
        }
    }
    Ok(())
}

/// The crate's files (relative path, text). Pure.
pub(super) fn render(spec: &Spec) -> Vec<(PathBuf, String)> {
    let kind = Kind::of(&spec.group);
    let lib = spec.name.replace('-', "_");
    let dylib = format!(
        "{}{lib}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    let (config_example, usage) = kind.readme_parts(&spec.name);
    let vars: [(&str, String); 11] = [
        ("{{crate}}", spec.name.clone()),
        ("{{name}}", spec.name.clone()),
        ("{{lib}}", lib),
        ("{{Type}}", camel(&spec.name)),
        ("{{group}}", spec.group.clone()),
        ("{{noun}}", kind.noun().to_string()),
        ("{{dylib}}", dylib),
        ("{{api_dep}}", spec.api.dependency("")),
        ("{{api_dev_dep}}", spec.api.dependency("test-support")),
        ("{{config_example}}", config_example.to_string()),
        ("{{usage}}", usage),
    ];
    let fill = |template: &str| {
        vars.iter().fold(template.to_string(), |text, (key, value)| {
            text.replace(key, value)
        })
    };
    let (lib_rs, load_rs) = kind.templates();
    vec![
        (
            PathBuf::from("Cargo.toml"),
            fill(include_str!("templates/Cargo.toml.tmpl")),
        ),
        (
            PathBuf::from("README.md"),
            fill(include_str!("templates/README.md.tmpl")),
        ),
        (PathBuf::from("src/lib.rs"), fill(lib_rs)),
        (PathBuf::from("tests/load.rs"), fill(load_rs)),
    ]
}

/// Write the crate into `dir` (created; must not exist or be empty).
pub(super) fn write(dir: &Path, files: &[(PathBuf, String)]) -> Result<(), NewError> {
    let io = |path: &Path, e: std::io::Error| NewError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    if let Ok(mut entries) = std::fs::read_dir(dir) {
        if entries.next().is_some() {
            return Err(NewError::Exists(dir.to_path_buf()));
        }
    } else if std::fs::symlink_metadata(dir).is_ok() {
        return Err(NewError::Exists(dir.to_path_buf()));
    }
    for (rel, text) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
            .map_err(|e| io(&path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, group: &str, api: ApiSource) -> Spec {
        Spec {
            name: name.into(),
            group: group.into(),
            api,
        }
    }

    #[test]
    fn names_and_groups_are_checked() {
        assert_eq!(validate("teams", "notifiers"), Ok(()));
        assert_eq!(validate("my-grp_2", "my_group"), Ok(()));
        for bad in ["", "Teams", "1x", "a b", "a/b", "../x"] {
            assert_eq!(
                validate(bad, "notifiers"),
                Err(NewError::BadName(bad.into())),
                "{bad}"
            );
        }
        assert_eq!(
            validate("x", "Notifiers"),
            Err(NewError::BadGroup("Notifiers".into()))
        );
        assert_eq!(
            validate("null", "notifiers").map_err(|e| e.to_string()),
            Err("'null' is a built-in notifier; a plugin cannot replace it (pick another name)".into())
        );
    }

    #[test]
    fn every_placeholder_is_filled_for_every_group() {
        for group in [
            "exporters",
            "notifiers",
            "stop_policies",
            "judges",
            "evidence_sources",
            "my_group",
        ] {
            let files = render(&spec(
                "my-thing",
                group,
                ApiSource::Path(PathBuf::from("/opt/dos/plugin-api")),
            ));
            for (path, text) in &files {
                assert!(
                    !text.contains("{{"),
                    "{group} {}: unfilled placeholder",
                    path.display()
                );
            }
            let lib = &files[2].1;
            assert!(
                lib.contains("MyThingDriver") && lib.contains("\"my-thing\""),
                "{group}"
            );
            let cargo = &files[0].1;
            assert!(
                cargo.contains("dos-plugin-api = { path = \"/opt/dos/plugin-api\" }")
                    && cargo.contains(
                        "dos-plugin-api = { path = \"/opt/dos/plugin-api\", features = [\"test-support\"] }"
                    )
                    && cargo.contains("crate-type = [\"cdylib\", \"rlib\"]"),
                "{cargo}"
            );
        }
    }

    #[test]
    fn the_registry_form_is_used_without_a_checkout() {
        let files = render(&spec("teams", "notifiers", ApiSource::Registry));
        assert!(
            files[0].1.contains("\ndos-plugin-api = \"1\"\n"),
            "{}",
            files[0].1
        );
        assert!(files[0]
            .1
            .contains("dos-plugin-api = { version = \"1\", features = [\"test-support\"] }"));
    }

    #[test]
    fn writing_refuses_a_non_empty_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("keep.txt"), "x").expect("write");
        let err = write(
            dir.path(),
            &render(&spec("teams", "notifiers", ApiSource::Registry)),
        );
        assert_eq!(err, Err(NewError::Exists(dir.path().to_path_buf())));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("keep.txt"))
                .ok()
                .as_deref(),
            Some("x")
        );
    }
}
