//! Where plugin files are looked for, in order: `[plugins] paths` from
//! `dos.toml`, then `$DOS_PLUGIN_PATH`, then the directory holding the `dos`
//! executable (where `cargo build --workspace` puts the standard plugins).

use std::path::{Path, PathBuf};

/// The platform's shared-library extension.
pub const PLUGIN_EXTENSION: &str = std::env::consts::DLL_EXTENSION;

/// One place plugins may come from, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchEntry {
    /// A file or directory named in `dos.toml` or `$DOS_PLUGIN_PATH`.
    Explicit(PathBuf),
    /// The executable's directory: only `dos_*` libraries there count.
    DefaultDir(PathBuf),
}

/// The ordered search path for this run; `default_dir = false` leaves out
/// the executable's directory (`[plugins] default_dir = false`).
pub fn search_path(
    root: &Path,
    configured: &[String],
    env_value: Option<&str>,
    default_dir: bool,
) -> Vec<SearchEntry> {
    let mut out: Vec<SearchEntry> = configured
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| {
            let p = PathBuf::from(p);
            SearchEntry::Explicit(if p.is_absolute() { p } else { root.join(p) })
        })
        .collect();
    if let Some(value) = env_value {
        out.extend(
            std::env::split_paths(value)
                .filter(|p| !p.as_os_str().is_empty())
                .map(SearchEntry::Explicit),
        );
    }
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    if let (true, Some(dir)) = (default_dir, exe_dir) {
        out.push(SearchEntry::DefaultDir(dir));
    }
    out
}

/// A candidate file (or a configured path that is missing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The file.
    pub path: PathBuf,
    /// Whether it was named explicitly (a missing explicit file is a warning).
    pub explicit: bool,
}

/// Whether a file name looks like a standard plugin in the default directory
/// (`libdos_export_otlp.so`, `dos_judge_llm.dll`).
pub fn is_default_plugin_name(name: &str) -> bool {
    let stem = name.strip_suffix(&format!(".{PLUGIN_EXTENSION}")).unwrap_or("");
    let stem = stem.strip_prefix("lib").unwrap_or(stem);
    stem.starts_with("dos_")
}

/// Expand the search path into candidate files, deterministic within each
/// directory (sorted by file name), first occurrence of a path wins.
pub fn candidates(entries: &[SearchEntry]) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    let mut push = |path: PathBuf, explicit: bool| {
        let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if !out
            .iter()
            .any(|c| std::fs::canonicalize(&c.path).unwrap_or_else(|_| c.path.clone()) == key)
        {
            out.push(Candidate { path, explicit });
        }
    };
    for entry in entries {
        match entry {
            SearchEntry::Explicit(p) if p.is_dir() => {
                for file in list_dir(p, |name| name.ends_with(&format!(".{PLUGIN_EXTENSION}"))) {
                    push(file, false);
                }
            }
            SearchEntry::Explicit(p) => push(p.clone(), true),
            SearchEntry::DefaultDir(dir) => {
                for file in list_dir(dir, is_default_plugin_name) {
                    push(file, false);
                }
            }
        }
    }
    out
}

fn list_dir(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.file_name().and_then(|n| n.to_str()).is_some_and(&keep))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Guess which (group, name) a plugin file provides from its file name, used
/// only to explain failures when the file itself cannot be loaded
/// (`libdos_export_otlp.so` → exporters/`otlp`).
pub fn inferred_driver(path: &Path) -> Option<(dos_plugin_api::Group, String)> {
    use dos_plugin_api::Group;
    let name = path.file_name()?.to_str()?;
    let stem = name.split('.').next()?;
    let stem = stem.strip_prefix("lib").unwrap_or(stem);
    let stem = stem.strip_prefix("dos_")?;
    let table = [
        ("export_", Group::Exporters),
        ("notify_", Group::Notifiers),
        ("stop_", Group::StopPolicies),
        ("judge_", Group::Judges),
        ("evidence_", Group::EvidenceSources),
    ];
    table.iter().find_map(|(prefix, group)| {
        stem.strip_prefix(prefix)
            .map(|rest| (*group, rest.replace('_', "-")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dos_plugin_api::Group;

    #[test]
    fn default_names() {
        let ext = PLUGIN_EXTENSION;
        assert!(is_default_plugin_name(&format!("libdos_export_otlp.{ext}")));
        assert!(is_default_plugin_name(&format!("dos_judge_llm.{ext}")));
        assert!(!is_default_plugin_name(&format!("libother.{ext}")));
        assert!(!is_default_plugin_name("libdos_export_otlp.rlib"));
    }

    #[test]
    fn inference_table() {
        let table = [
            ("libdos_export_otlp.so", Some((Group::Exporters, "otlp"))),
            (
                "libdos_judge_operator_decision.so",
                Some((Group::Judges, "operator-decision")),
            ),
            (
                "dos_stop_decision_class.dll",
                Some((Group::StopPolicies, "decision-class")),
            ),
            ("libdos_notify_slack.dylib", Some((Group::Notifiers, "slack"))),
            ("libhello_exporter.so", None),
        ];
        for (file, expected) in table {
            let got = inferred_driver(Path::new(file));
            assert_eq!(got, expected.map(|(g, n)| (g, n.to_string())), "{file}");
        }
    }

    #[test]
    fn relative_config_paths_join_the_root() {
        let entries = search_path(
            Path::new("/ws"),
            &["plugins/".into(), "/abs/x.so".into()],
            Some("/a:/b"),
            true,
        );
        assert_eq!(entries[0], SearchEntry::Explicit(PathBuf::from("/ws/plugins/")));
        assert_eq!(entries[1], SearchEntry::Explicit(PathBuf::from("/abs/x.so")));
        assert_eq!(entries[2], SearchEntry::Explicit(PathBuf::from("/a")));
        assert_eq!(entries[3], SearchEntry::Explicit(PathBuf::from("/b")));
        assert!(matches!(entries.last(), Some(SearchEntry::DefaultDir(_))));
        let without = search_path(Path::new("/ws"), &[], None, false);
        assert!(without.is_empty());
    }
}
