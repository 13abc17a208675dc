//! Load pre-check: before a plugin file is loaded into the host (or listed
//! for isolation), a worker process loads it first, so a file whose
//! load-time code crashes is reported, not fatal. Files that passed are
//! remembered in `.dos/plugins/precheck.json`, keyed by path, size and
//! modification time (and this host's version), so the next run spends
//! nothing on them.

use super::isolate::client::WorkerProcess;
use dos_plugin_api::Manifest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What the cache is valid for: this host build's interface.
fn host_tag() -> String {
    format!(
        "dos {} / api {}",
        env!("CARGO_PKG_VERSION"),
        dos_plugin_api::API_VERSION
    )
}

/// A file's identity for the cache: (size, mtime in ns since the epoch).
pub fn fingerprint(path: &Path) -> Option<(u64, u128)> {
    let meta = std::fs::metadata(path).ok()?;
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some((meta.len(), mtime))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Passed {
    size: u64,
    mtime_ns: String,
    manifest: Manifest,
}

/// The cache of files that passed the pre-check.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PrecheckCache {
    host: String,
    files: BTreeMap<String, Passed>,
    #[serde(skip)]
    dirty: bool,
}

/// The cache file of a workspace.
pub fn cache_path(state_dir: &Path) -> PathBuf {
    state_dir.join("plugins").join("precheck.json")
}

impl PrecheckCache {
    /// Read the cache (missing, unreadable or from another host build: empty).
    pub fn load(state_dir: &Path) -> PrecheckCache {
        let cache: PrecheckCache = std::fs::read_to_string(cache_path(state_dir))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        if cache.host == host_tag() {
            cache
        } else {
            PrecheckCache {
                host: host_tag(),
                ..PrecheckCache::default()
            }
        }
    }

    /// The remembered manifest of `path`, if it passed with this size and mtime.
    pub fn lookup(&self, path: &Path) -> Option<&Manifest> {
        let (size, mtime) = fingerprint(path)?;
        self.files
            .get(&path.display().to_string())
            .filter(|p| p.size == size && p.mtime_ns == mtime.to_string())
            .map(|p| &p.manifest)
    }

    /// Remember that `path` passed.
    pub fn insert(&mut self, path: &Path, manifest: &Manifest) {
        if let Some((size, mtime)) = fingerprint(path) {
            self.files.insert(
                path.display().to_string(),
                Passed {
                    size,
                    mtime_ns: mtime.to_string(),
                    manifest: manifest.clone(),
                },
            );
            self.dirty = true;
        }
    }

    /// Write the cache if it changed (failures only cost a re-check later).
    pub fn save_if_changed(&self, state_dir: &Path) {
        if !self.dirty {
            return;
        }
        let path = cache_path(state_dir);
        let Some(dir) = path.parent() else { return };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
        if let Ok(text) = serde_json::to_string_pretty(self) {
            if std::fs::write(&tmp, text + "\n").is_ok() {
                let _ = std::fs::rename(&tmp, &path);
            }
        }
    }
}

/// Load `file` in a fresh worker and report its manifest, or one line on
/// why it cannot be used (including how the worker died).
pub fn check_one(program: &Path, file: &Path, timeout: Option<Duration>) -> Result<Manifest, String> {
    match WorkerProcess::spawn(program, file, timeout) {
        Ok(w) => match (&w.ready.manifest, &w.ready.error) {
            (Some(m), _) => Ok(m.clone()),
            (None, Some(e)) => Err(e.clone()),
            (None, None) => Err("the pre-check worker reported neither a manifest nor an error".into()),
        },
        Err(fault) => Err(format!(
            "loading it crashed the pre-check worker, which {}",
            fault.describe()
        )),
    }
}

/// [`check_one`] for several files at once (one worker each, in parallel).
pub fn check_many(
    program: &Path,
    files: &[PathBuf],
    timeout: Option<Duration>,
) -> Vec<Result<Manifest, String>> {
    std::thread::scope(|s| {
        let running: Vec<_> = files
            .iter()
            .map(|f| s.spawn(move || check_one(program, f, timeout)))
            .collect();
        running
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("the pre-check thread panicked".into()))
            })
            .collect()
    })
}
