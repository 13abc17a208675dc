//! The lane-lease mutex: an `O_EXCL` lock file that serialises lease verbs
//! across processes. Re-entrant by owner string; a lock whose `acquired_at`
//! is at least the TTL old is stolen with a compare-and-swap rename.

use crate::journal::record::{now_ts, parse_ts};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A lock older than this (seconds) is stale and may be stolen.
pub const DEFAULT_TTL_S: i64 = 300;
/// Default extra attempts after the first.
pub const DEFAULT_RETRIES: u32 = 5;
/// Default sleep between attempts.
pub const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_millis(200);

/// The lock could not be taken within the attempt budget.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("lane-lease lock busy (owner={})", .holder.as_deref().unwrap_or("None"))]
pub struct LockBusy {
    /// The owner named in the lock we could not take.
    pub holder: Option<String>,
}

/// The lock path: `$DISPATCH_LANE_LEASE_LOCK_PATH`, else `.lane-lease.lock`
/// beside the journal.
pub fn lock_path(journal: &Path) -> PathBuf {
    match std::env::var_os("DISPATCH_LANE_LEASE_LOCK_PATH") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => journal
            .parent()
            .map(|d| d.join(".lane-lease.lock"))
            .unwrap_or_else(|| PathBuf::from(".lane-lease.lock")),
    }
}

/// A held mutex; released (if still ours) on drop.
#[derive(Debug)]
pub struct LeaseMutex {
    path: PathBuf,
    owner: String,
}

fn read_lock(path: &Path) -> Option<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(
        text.lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect(),
    )
}

fn create(path: &Path, owner: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)?;
        }
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    write!(
        f,
        "owner: {owner}\nacquired_at: {}\npid: {}\n",
        now_ts(),
        std::process::id()
    )
}

fn age_s(info: &BTreeMap<String, String>) -> Option<i64> {
    let at = parse_ts(info.get("acquired_at")?)?;
    let now = parse_ts(&now_ts())?;
    Some(now - at)
}

impl LeaseMutex {
    /// Take the mutex at `path` for `owner`, trying `retries + 1` times.
    pub fn acquire(
        path: &Path,
        owner: &str,
        retries: u32,
        interval: Duration,
        ttl_s: i64,
    ) -> Result<LeaseMutex, LockBusy> {
        let mut last_holder = None;
        for attempt in 0..=retries {
            match create(path, owner) {
                Ok(()) => return Ok(LeaseMutex::held(path, owner)),
                Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                    // The lock directory is unusable: report busy, naming nobody.
                    last_holder = None;
                }
                Err(_) => {
                    let Some(info) = read_lock(path) else {
                        continue; // vanished: retry at once
                    };
                    let holder = info.get("owner").cloned();
                    if holder.as_deref() == Some(owner) {
                        return Ok(LeaseMutex::held(path, owner));
                    }
                    if age_s(&info).is_some_and(|a| a >= ttl_s) && steal(path, owner, &info) {
                        return Ok(LeaseMutex::held(path, owner));
                    }
                    last_holder = holder;
                }
            }
            if attempt < retries {
                std::thread::sleep(interval);
            }
        }
        Err(LockBusy {
            holder: last_holder.filter(|h| !h.is_empty()),
        })
    }

    /// Take the mutex with the default budget.
    pub fn acquire_default(path: &Path, owner: &str) -> Result<LeaseMutex, LockBusy> {
        LeaseMutex::acquire(
            path,
            owner,
            DEFAULT_RETRIES,
            DEFAULT_RETRY_INTERVAL,
            DEFAULT_TTL_S,
        )
    }

    fn held(path: &Path, owner: &str) -> LeaseMutex {
        LeaseMutex {
            path: path.to_path_buf(),
            owner: owner.to_string(),
        }
    }
}

/// Compare-and-swap steal: move the stale lock aside, check it is the one we
/// judged stale (else put it back), then create our own.
fn steal(path: &Path, owner: &str, seen: &BTreeMap<String, String>) -> bool {
    let tmp = PathBuf::from(format!(
        "{}.steal.{}.{}",
        path.display(),
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    if std::fs::rename(path, &tmp).is_err() {
        return false;
    }
    let moved = read_lock(&tmp).unwrap_or_default();
    if moved.get("owner") != seen.get("owner") || moved.get("acquired_at") != seen.get("acquired_at") {
        let _ = std::fs::rename(&tmp, path);
        return false;
    }
    let _ = std::fs::remove_file(&tmp);
    create(path, owner).is_ok()
}

impl Drop for LeaseMutex {
    fn drop(&mut self) {
        let ours = match read_lock(&self.path) {
            Some(info) => info.get("owner").is_none_or(|o| *o == self.owner),
            None => false,
        };
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reentrant_busy_and_stale_steal() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(".lane-lease.lock");
        let g = LeaseMutex::acquire(&p, "a", 0, Duration::ZERO, 300).unwrap();
        let again = LeaseMutex::acquire(&p, "a", 0, Duration::ZERO, 300);
        assert!(again.is_ok(), "re-entrant by owner");
        std::mem::forget(again);
        let busy = LeaseMutex::acquire(&p, "b", 1, Duration::from_millis(1), 300).unwrap_err();
        assert_eq!(busy.to_string(), "lane-lease lock busy (owner=a)");
        drop(g);
        assert!(!p.exists());
        std::fs::write(&p, "owner: old\nacquired_at: 2020-01-01T00:00:00Z\npid: 1\n").unwrap();
        let g = LeaseMutex::acquire(&p, "b", 0, Duration::ZERO, 300).unwrap();
        assert!(std::fs::read_to_string(&p).unwrap().starts_with("owner: b\n"));
        drop(g);
        // Release only unlinks our own lock.
        std::fs::write(&p, "owner: other\nacquired_at: 2099-01-01T00:00:00Z\n").unwrap();
        drop(LeaseMutex::held(&p, "b"));
        assert!(p.exists());
    }
}
