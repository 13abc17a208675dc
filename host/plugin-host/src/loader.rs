//! Loading one plugin file: abi_stable's header and layout checks, then the
//! manifest. Each file is loaded explicitly (never abi_stable's per-type
//! cached `load_from_*`) and at most once per process.

use abi_stable::library::LibraryError;
use dos_plugin_api::{Manifest, PluginRoot_Ref};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// A plugin file that loaded and declared itself.
pub struct LoadedPlugin {
    /// The file.
    pub path: PathBuf,
    /// Its root module (function table); `None` when the file was only
    /// pre-checked for a worker and never loaded into this process.
    pub root: Option<PluginRoot_Ref>,
    /// What it declared.
    pub manifest: Manifest,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("path", &self.path)
            .field("manifest", &self.manifest)
            .finish()
    }
}

/// Why a file could not be used as a plugin (already condensed to one line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LoadError(pub String);

type Cache = Mutex<HashMap<PathBuf, Result<Arc<LoadedPlugin>, LoadError>>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Load `path` once per process; later calls return the same outcome.
pub fn load(path: &Path) -> Result<Arc<LoadedPlugin>, LoadError> {
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut guard = cache().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(done) = guard.get(&key) {
        return done.clone();
    }
    let outcome = load_uncached(path).map(Arc::new);
    guard.insert(key, outcome.clone());
    outcome
}

fn load_uncached(path: &Path) -> Result<LoadedPlugin, LoadError> {
    let meta = std::fs::metadata(path).map_err(|e| LoadError(format!("cannot read file: {e}")))?;
    if !meta.is_file() {
        return Err(LoadError("not a regular file".into()));
    }
    if meta.len() == 0 {
        return Err(LoadError("empty file, not a shared library".into()));
    }
    // Loading runs the library's initialisers; abi_stable then checks its ABI
    // header, the interface version and the full type layout before we touch
    // the root module.
    let header = abi_stable::library::lib_header_from_path(path).map_err(|e| LoadError(explain(&e)))?;
    let root = header
        .init_root_module::<PluginRoot_Ref>()
        .map_err(|e| LoadError(explain(&e)))?;
    let manifest_json = match (root.manifest())() {
        abi_stable::std_types::ROk(s) => s,
        abi_stable::std_types::RErr(e) => {
            return Err(LoadError(format!("manifest failed: {}", e.message)));
        }
    };
    let manifest: Manifest = serde_json::from_str(manifest_json.as_str())
        .map_err(|e| LoadError(format!("manifest is not valid: {e}")))?;
    Ok(LoadedPlugin {
        path: path.to_path_buf(),
        root: Some(root),
        manifest,
    })
}

/// One line saying why abi_stable refused the file.
pub fn explain(e: &LibraryError) -> String {
    match e {
        LibraryError::OpenError { err, .. } => {
            format!("not a loadable shared library: {}", condense(&err.to_string()))
        }
        LibraryError::GetSymbolError { .. } => {
            "not a dos plugin: it exports no abi_stable root module (was it built with export_plugin!?)"
                .into()
        }
        LibraryError::IncompatibleVersionNumber {
            expected_version,
            actual_version,
            ..
        } => format!(
            "built against dos-plugin-api {actual_version}, incompatible with this host's {expected_version} \
             (same major version required)"
        ),
        LibraryError::AbiInstability(inner) => {
            format!(
                "built against another plugin interface (layout mismatch): {}",
                condense(&inner.to_string())
            )
        }
        LibraryError::InvalidAbiHeader(_) | LibraryError::InvalidCAbi { .. } => {
            format!(
                "built with an incompatible abi_stable or compiler: {}",
                condense(&e.to_string())
            )
        }
        LibraryError::RootModule { err, .. } => {
            format!(
                "the plugin's root-module constructor failed: {}",
                condense(&err.to_string())
            )
        }
        other => condense(&other.to_string()),
    }
}

/// Reduce abi_stable's multi-hundred-line errors to their meaningful tail,
/// on one line.
pub fn condense(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let meaningful: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| {
            l.contains("Error:") || l.contains("rror") || l.contains("mismatch") || l.contains("version")
        })
        .collect();
    let picked: Vec<&str> = if lines.len() <= 3 {
        lines
    } else if !meaningful.is_empty() {
        meaningful[meaningful.len().saturating_sub(2)..].to_vec()
    } else {
        lines[lines.len() - 2..].to_vec()
    };
    let mut one = picked.join(" — ");
    if one.chars().count() > 400 {
        one = one.chars().take(399).collect::<String>() + "…";
    }
    one
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condense_keeps_short_errors() {
        assert_eq!(
            condense("cannot open\n  file too short\n"),
            "cannot open — file too short"
        );
    }

    #[test]
    fn condense_keeps_the_error_tail_of_long_errors() {
        let mut text = String::new();
        for i in 0..500 {
            text.push_str(&format!("  field {i}: layout\n"));
        }
        text.push_str("Error:mismatched type\n Expected: u32\n Found: u64\n");
        let one = condense(&text);
        assert!(one.contains("Error:mismatched type"), "{one}");
        assert!(!one.contains("field 3:"), "{one}");
    }
}
