//! Which workspace a command runs in, and its `dos.toml`.
//!
//! Root precedence: `--workspace` › `$DISPATCH_WORKSPACE` › the current
//! directory; the result is absolute with `..` and symlinks resolved.

use crate::config::{Config, ConfigError};
use std::path::{Component, Path, PathBuf};

/// A resolved workspace: its root, its state directory and its configuration.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The workspace root (absolute).
    pub root: PathBuf,
    /// `<root>/.dos`, where every record the kernel writes lives.
    pub state_dir: PathBuf,
    /// The parsed `dos.toml` (empty when the file is absent).
    pub config: Config,
    /// The base path layout (`--job` / `--driver job` select the reference one).
    pub layout: Layout,
}

/// The base path layout a workspace uses before `dos.toml [paths]` overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// Everything under `<root>/.dos/` (no `--job` / `--driver`).
    #[default]
    Generic,
    /// The reference job-repo layout: journals under `<root>/docs/_plans/`
    /// (`--job`, `--driver job`, `--driver workshop`).
    Plans,
}

impl Layout {
    /// The layout selected by `--driver NAME` / `--job` (an explicit
    /// `--driver` wins over `--job`, as in the reference). The one resolver
    /// every layout command uses; an error carries the reference's message.
    pub fn select(driver: Option<&str>, job: bool) -> Result<Layout, WorkspaceError> {
        const TAIL: &str = "drivers live in src/dos/drivers/, see dos.drivers.workshop for a template";
        let name = match driver {
            Some(d) if !d.is_empty() => d,
            _ if job => "job",
            _ => return Ok(Layout::Generic),
        };
        let shown = dos_py::repr::str_repr(name);
        let message = if name.contains(['.', '/', '\\']) {
            format!("unknown driver {shown}: a driver name is a single module token (no '.', '/' or '\\'); {TAIL}")
        } else if FACTORYLESS_DRIVERS.contains(&name) {
            format!("driver {shown} (dos.drivers.{name}) exposes no {name}_config(workspace) factory")
        } else if matches!(name, "job" | "workshop") {
            return Ok(Layout::Plans);
        } else {
            format!("unknown driver {shown} (no module dos.drivers.{name}); {TAIL}")
        };
        Err(WorkspaceError::UnknownDriver(message))
    }

    /// The directory holding the journals, relative to the root.
    pub fn journal_dir(self) -> &'static str {
        match self {
            Layout::Generic => ".dos",
            Layout::Plans => "docs/_plans",
        }
    }
}

/// Why a workspace could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// The current directory is unavailable.
    #[error("cannot determine the current directory: {0}")]
    Cwd(std::io::Error),
    /// `dos.toml` exists but is not usable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// `--driver NAME` names no driver with a base configuration (the
    /// reference's message).
    #[error("{0}")]
    UnknownDriver(String),
}

impl Workspace {
    /// Resolve the root from an explicit flag, the environment, or the cwd,
    /// and read its `dos.toml`.
    pub fn resolve(flag: Option<&Path>) -> Result<Workspace, WorkspaceError> {
        let root = resolve_root(flag)?;
        Workspace::open(root)
    }

    /// Like [`Workspace::resolve`], with the base layout chosen by
    /// `--driver NAME` / `--job`.
    pub fn resolve_with(
        flag: Option<&Path>,
        driver: Option<&str>,
        job: bool,
    ) -> Result<Workspace, WorkspaceError> {
        let layout = Layout::select(driver, job)?;
        let mut ws = Workspace::resolve(flag)?;
        ws.layout = layout;
        Ok(ws)
    }

    /// Open the workspace at an already-resolved root.
    pub fn open(root: PathBuf) -> Result<Workspace, WorkspaceError> {
        let config = Config::load(&root.join("dos.toml"))?;
        Ok(Workspace {
            state_dir: root.join(".dos"),
            root,
            config,
            layout: Layout::Generic,
        })
    }

    /// The layout's verdict journal: `dos.toml [paths] verdict_journal`
    /// (relative to the root) › `<root>/<layout dir>/verdict-journal.jsonl`.
    /// A wrong-typed `[paths] verdict_journal` is an error naming the key.
    pub fn verdict_journal(&self) -> Result<PathBuf, ConfigError> {
        let configured = self.config.string("paths", "verdict_journal")?;
        Ok(verdict_journal_at(&self.root, self.layout, configured))
    }

    /// Resolve a path from `dos.toml`: relative values are joined onto the root.
    pub fn path_from_root(&self, value: &str) -> PathBuf {
        path_from_root(&self.root, value)
    }
}

/// The verdict journal of `layout` under `root`, given the `[paths]
/// verdict_journal` value (`None` or empty: the layout's default). Shared by
/// [`Workspace::verdict_journal`] and the hooks, which read `dos.toml` lazily.
pub fn verdict_journal_at(root: &Path, layout: Layout, configured: Option<&str>) -> PathBuf {
    match configured {
        Some(p) if !p.is_empty() => path_from_root(root, p),
        _ => root.join(layout.journal_dir()).join("verdict-journal.jsonl"),
    }
}

/// A path from `dos.toml`: relative values are joined onto `root`.
pub fn path_from_root(root: &Path, value: &str) -> PathBuf {
    let p = PathBuf::from(value);
    if p.is_absolute() {
        p
    } else {
        root.join(p)
    }
}

/// The root directory a command should use.
pub fn resolve_root(flag: Option<&Path>) -> Result<PathBuf, WorkspaceError> {
    let cwd = std::env::current_dir().map_err(WorkspaceError::Cwd)?;
    let chosen = match flag {
        Some(p) => p.to_path_buf(),
        None => match std::env::var_os("DISPATCH_WORKSPACE") {
            Some(v) if !v.is_empty() => PathBuf::from(v),
            _ => cwd.clone(),
        },
    };
    let absolute = if chosen.is_absolute() {
        chosen
    } else {
        cwd.join(chosen)
    };
    Ok(std::fs::canonicalize(&absolute).unwrap_or_else(|_| normalize(&absolute)))
}

/// Lexically remove `.` and `..` components (for paths that do not exist yet).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The reference's driver modules that have no `<name>_config` factory:
/// accepted by `--driver` (an error for layout commands, lane taxonomy only
/// for hooks), besides the layout drivers `job` and `workshop`.
pub const FACTORYLESS_DRIVERS: [&str; 20] = [
    "ci_status",
    "citation_resolve",
    "decision_stop",
    "export_file",
    "export_otlp",
    "export_statsd",
    "hook_dialects",
    "llm_judge",
    "memory_recall",
    "notify_slack",
    "notify_webhook",
    "operator_judge",
    "os_acceptance",
    "paste_log",
    "plan_scope",
    "self_improve",
    "similarity_judge",
    "state_diff",
    "supervisor",
    "watchdog",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_selection_table() {
        let table: [(Option<&str>, bool, Option<Layout>); 6] = [
            (None, false, Some(Layout::Generic)),
            (None, true, Some(Layout::Plans)),
            (Some("job"), false, Some(Layout::Plans)),
            (Some("workshop"), true, Some(Layout::Plans)),
            (Some(""), false, Some(Layout::Generic)),
            (Some("nosuch"), true, None),
        ];
        for (driver, job, expected) in table {
            assert_eq!(Layout::select(driver, job).ok(), expected, "{driver:?} {job}");
        }
    }

    /// The reference CLI's messages (`dos verify --driver X`, 0.22.0).
    #[test]
    fn unknown_driver_messages_are_the_references() {
        let tail = "drivers live in src/dos/drivers/, see dos.drivers.workshop for a template";
        let table = [
            ("nosuch", format!("unknown driver 'nosuch' (no module dos.drivers.nosuch); {tail}")),
            (
                "a.b",
                format!("unknown driver 'a.b': a driver name is a single module token (no '.', '/' or '\\'); {tail}"),
            ),
            (
                "supervisor",
                "driver 'supervisor' (dos.drivers.supervisor) exposes no supervisor_config(workspace) factory".into(),
            ),
        ];
        for (name, want) in table {
            let got = Layout::select(Some(name), false).map_err(|e| e.to_string());
            assert_eq!(got, Err(want), "{name}");
        }
    }

    #[test]
    fn verdict_journal_follows_layout_and_paths() {
        let mut ws = Workspace {
            root: PathBuf::from("/w"),
            state_dir: PathBuf::from("/w/.dos"),
            config: Config::default(),
            layout: Layout::Generic,
        };
        assert_eq!(
            ws.verdict_journal().unwrap(),
            PathBuf::from("/w/.dos/verdict-journal.jsonl")
        );
        ws.layout = Layout::Plans;
        assert_eq!(
            ws.verdict_journal().unwrap(),
            PathBuf::from("/w/docs/_plans/verdict-journal.jsonl")
        );
        ws.config = Config::parse(
            "[paths]\nverdict_journal = \"state/vj.jsonl\"\n",
            Path::new("dos.toml"),
        )
        .unwrap();
        assert_eq!(ws.verdict_journal().unwrap(), PathBuf::from("/w/state/vj.jsonl"));
        ws.config = Config::parse("[paths]\nverdict_journal = 3\n", Path::new("dos.toml")).unwrap();
        assert!(ws.verdict_journal().is_err());
    }

    #[test]
    fn normalize_table() {
        let table = [
            ("/a/rel/../x", "/a/x"),
            ("/a/./b/", "/a/b"),
            ("/..", "/"),
            ("/a/b/../../c", "/c"),
        ];
        for (input, expected) in table {
            assert_eq!(normalize(Path::new(input)), PathBuf::from(expected), "{input}");
        }
    }
}
