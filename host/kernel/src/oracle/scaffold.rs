//! `dos init`'s `dos.toml` scaffold: lanes derived from the top-level source
//! dirs, the `[paths]` and `[stamp]` tables, and a commented `[plugins]`
//! table naming the standard plugins. Pure text building plus the one
//! directory listing it needs.

use std::path::Path;

/// At most this many derived lanes.
const LANE_MAX: usize = 12;

/// Top-level entries that are never a source lane.
const NOISE_DIRS: [&str; 20] = [
    ".git",
    "__pycache__",
    "node_modules",
    "dist",
    "build",
    "target",
    "venv",
    ".venv",
    "env",
    ".env",
    ".idea",
    ".vscode",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".tox",
    "site-packages",
    ".dos",
    "htmlcov",
    ".eggs",
];

const HEADER: &str = "# DOS workspace config — the per-repo policy `dos` reads.
# The mechanism (oracle, arbiter, refusal enum) lives in `dos`; THIS file is the
# only policy that crosses into your tree.
#
# Every table below is read by `dos` at workspace load:
#   [lanes]   REPLACES the generic main/global taxonomy with yours.
#   [paths]   OVERRIDES individual layout fields (e.g. where your plans live).
#   [stamp]   OVERRIDES the ship-subject grammar `dos verify`'s grep rung recognises.
#   [plugins] WHERE the plugin host finds driver plugins (exporters, notifiers, …).
workspace = \".\"
";

const TAIL: &str = "
# Where this repo keeps the state DOS reads. Only the fields you name are
# overridden; the rest inherit the default layout. `plans_glob` lives HERE (it is
# a path), distinct from `[stamp]` (which is the ship-subject *grammar*).
[paths]
plans_glob = \"docs/**/*-plan.md\"

# How this repo stamps a shipped phase in its commit subjects. The default is the
# generic grammar: `AUTH1: …`, `AUTH: AUTH1 …` or `src/AUTH: AUTH1 …` ships
# (plan AUTH, phase AUTH1). Declare `subject_dirs` to REQUIRE your ship-dir
# prefixes instead; `dos verify PLAN PHASE` answers from this grammar.
[stamp]
style = \"grep\"                 # ship oracle grep rung over `git log` subjects
# subject_dirs = [\"src\", \"lib\"]  # uncomment to declare your own ship-dir prefixes
# trailer_stamp = true           # uncomment if ships are stamped as an end-of-subject
#                                # trailer — `feat(x): … (<PLAN> <PHASE>)`

# Plugins — drivers the plugin host loads (`dos plugins` lists what resolved and
# why). The standard plugins ship beside the `dos` binary; name one to use it:
#   exporters      file, statsd, otlp               (`dos export`; [exporters.<name>])
#   notifiers      webhook, slack                   (`dos notify`; [notifiers.<name>])
#   judges         similarity, llm, operator-decision  ([judges.<name>])
#   stop policies  decision-class                   ([scout] stop_policy = \"decision-class\")
# [plugins]
# paths = [\"plugins\"]          # extra dirs searched for plugin files (also $DOS_PLUGIN_PATH)
# call_timeout_ms = 10000      # per-call deadline for a plugin driver (0 = none)
";

/// The repo's top-level source dirs: sorted, noise and dot-dirs skipped, capped.
pub fn detect_source_dirs(target: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(target) else {
        return vec![];
    };
    let mut dirs: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.') && !NOISE_DIRS.contains(&n.as_str()))
        .collect();
    dirs.sort();
    dirs.truncate(LANE_MAX);
    dirs
}

fn toml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|i| format!("\"{}\"", i.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    format!("[{}]", quoted.join(", "))
}

/// The scaffold text for a repo with top-level `dirs`, and a one-line summary.
pub fn render_config(dirs: &[String]) -> (String, String) {
    let mut lines: Vec<String> = vec![HEADER.to_string()];
    lines.push(
        "# Lane taxonomy — concurrent clusters run in parallel iff their file trees are
# disjoint; exclusive lanes run alone. These were auto-derived from this repo's
# top-level directories; curate them as your real concurrency topics emerge.
[lanes]"
            .into(),
    );
    let summary = if dirs.is_empty() {
        lines.push("concurrent = []".into());
        lines.push("exclusive = [\"main\"]".into());
        lines.push("autopick = []".into());
        lines.push(String::new());
        lines.push("[lanes.trees]".into());
        lines.push("main = [\"**/*\"]".into());
        "no source dirs detected — scaffolded a single-writer 'main' lane".to_string()
    } else {
        lines.push(format!("concurrent = {}", toml_list(dirs)));
        lines.push("exclusive = [\"global\"]".into());
        lines.push(format!("autopick = {}", toml_list(dirs)));
        lines.push(String::new());
        lines.push("[lanes.trees]".into());
        for d in dirs {
            lines.push(format!("{} = [\"{}/**\"]", toml_key(d), d.replace('"', "\\\"")));
        }
        lines.push("global = [\"**/*\"]".into());
        format!(
            "derived {} concurrent lane(s) ({}) + an exclusive 'global'",
            dirs.len(),
            dirs.join(", ")
        )
    };
    lines.push(TAIL.to_string());
    (lines.join("\n"), summary)
}

/// A TOML key: bare when it can be, quoted otherwise.
fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        format!("\"{}\"", k.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaffold_parses_and_names_the_standard_plugins() {
        for dirs in [
            vec![],
            vec!["docs".to_string(), "my dir".to_string(), "src".to_string()],
        ] {
            let (text, _) = render_config(&dirs);
            let table: toml::Table = text.parse().expect("scaffold is valid TOML");
            assert_eq!(table["stamp"]["style"].as_str(), Some("grep"));
            assert_eq!(table["paths"]["plans_glob"].as_str(), Some("docs/**/*-plan.md"));
            for name in [
                "file, statsd, otlp",
                "webhook, slack",
                "similarity, llm, operator-decision",
                "decision-class",
                "# [plugins]",
            ] {
                assert!(text.contains(name), "{name}");
            }
        }
        assert_eq!(
            render_config(&[]).1,
            "no source dirs detected — scaffolded a single-writer 'main' lane"
        );
    }
}
