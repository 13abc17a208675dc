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
}

impl Workspace {
    /// Resolve the root from an explicit flag, the environment, or the cwd,
    /// and read its `dos.toml`.
    pub fn resolve(flag: Option<&Path>) -> Result<Workspace, WorkspaceError> {
        let root = resolve_root(flag)?;
        Workspace::open(root)
    }

    /// Open the workspace at an already-resolved root.
    pub fn open(root: PathBuf) -> Result<Workspace, WorkspaceError> {
        let config = Config::load(&root.join("dos.toml"))?;
        Ok(Workspace {
            state_dir: root.join(".dos"),
            root,
            config,
        })
    }

    /// Resolve a path from `dos.toml`: relative values are joined onto the root.
    pub fn path_from_root(&self, value: &str) -> PathBuf {
        let p = PathBuf::from(value);
        if p.is_absolute() {
            p
        } else {
            self.root.join(p)
        }
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

#[cfg(test)]
mod tests {
    use super::*;

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
