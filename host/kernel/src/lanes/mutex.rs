//! The lane-lease mutex: an exclusive lock file that serialises lease verbs
//! across processes. Re-entrant by owner string; a lock whose age is at least
//! the TTL is stolen with a compare-and-swap rename.
//!
//! The lock is born whole: its body is written to a temp file in the same
//! directory, which is then hard-linked to the lock name (the link fails if
//! the lock exists, like `O_EXCL`), so a writer killed mid-acquire never
//! leaves an empty lock. A lock with no readable `acquired_at` (an empty body
//! left by an older or foreign writer, or garbage) ages by its file mtime
//! under the same TTL, so it cannot wedge the verbs forever. The body format
//! is the reference's, so Python and Rust holders still exclude each other.

use dos_py::time::{now_ts, parse_ts};
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

/// A lock body is a few short lines; anything longer is not a lock we wrote.
const LOCK_READ_CAP: u64 = 64 * 1024;

/// What was read from a lock file: its `key: value` body, the file's
/// identity (device, inode) and mtime age in seconds.
#[derive(Debug, Clone, Default)]
struct LockSeen {
    info: BTreeMap<String, String>,
    id: (u64, u64),
    mtime_age_s: Option<i64>,
}

fn parse_body(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn read_lock(path: &Path) -> Option<LockSeen> {
    use std::io::Read;
    use std::os::unix::fs::MetadataExt;
    let (file, _) = crate::safe_fs::open_regular(path).ok()?;
    let meta = file.metadata().ok()?;
    let mut bytes = Vec::new();
    file.take(LOCK_READ_CAP).read_to_end(&mut bytes).ok()?;
    let mtime_age_s = meta
        .modified()
        .ok()
        .and_then(|m| std::time::SystemTime::now().duration_since(m).ok())
        .map(|d| d.as_secs() as i64);
    Some(LockSeen {
        info: parse_body(&String::from_utf8_lossy(&bytes)),
        id: (meta.dev(), meta.ino()),
        mtime_age_s,
    })
}

/// The lock body (the reference's format).
fn body(owner: &str) -> String {
    format!(
        "owner: {owner}\nacquired_at: {}\npid: {}\n",
        now_ts(),
        std::process::id()
    )
}

fn unique_sibling(path: &Path, tag: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    path.with_file_name(format!(".{name}.{tag}.{}.{nanos}", std::process::id()))
}

/// Create the lock atomically: write the whole body to a temp file beside it,
/// hard-link the temp to the lock name (fails with `AlreadyExists` when the
/// lock is held), then drop the temp.
fn create(path: &Path, owner: &str) -> std::io::Result<()> {
    let tmp = unique_sibling(path, "new");
    let linked = (|| {
        let mut f = crate::safe_fs::create_new(&tmp)?;
        f.write_all(body(owner).as_bytes())?;
        f.sync_all()?;
        drop(f);
        std::fs::hard_link(&tmp, path)
    })();
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Err(e)
            if e.kind() != std::io::ErrorKind::AlreadyExists && path.parent().is_some_and(Path::is_dir) =>
        {
            // A file system without hard links: fall back to `O_EXCL` with the
            // body in one write (the reference's way).
            let mut f = crate::safe_fs::create_new(path)?;
            f.write_all(body(owner).as_bytes())
        }
        other => other,
    }
}

/// Remove temp files a killed creator or stealer left beside the lock
/// (`.<lock>.new.*`, `.<lock>.steal.*`) once they are `ttl_s` old: no live
/// acquire keeps one that long.
fn sweep_temps(path: &Path, ttl_s: i64) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let name = name.to_string_lossy();
    let prefixes = [format!(".{name}.new."), format!(".{name}.steal.")];
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let file = file.to_string_lossy();
        if !prefixes.iter().any(|p| file.starts_with(p.as_str())) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|m| std::time::SystemTime::now().duration_since(m).ok())
            .is_some_and(|age| age.as_secs() as i64 >= ttl_s);
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Seconds since the lock was taken: its `acquired_at`, else (no readable
/// stamp: an empty or foreign body) the file's mtime.
fn age_s(seen: &LockSeen) -> Option<i64> {
    let stamped = seen
        .info
        .get("acquired_at")
        .and_then(|at| parse_ts(at))
        .and_then(|at| Some(parse_ts(&now_ts())? - at));
    stamped.or(seen.mtime_age_s)
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
                Ok(()) => {
                    sweep_temps(path, ttl_s);
                    return Ok(LeaseMutex::held(path, owner));
                }
                Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                    // The lock directory is unusable: report busy, naming nobody.
                    last_holder = None;
                }
                Err(_) => {
                    let Some(seen) = read_lock(path) else {
                        continue; // vanished: retry at once
                    };
                    let holder = seen.info.get("owner").cloned();
                    if holder.as_deref() == Some(owner) {
                        return Ok(LeaseMutex::held(path, owner));
                    }
                    if age_s(&seen).is_some_and(|a| a >= ttl_s) && steal(path, owner, &seen) {
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
/// judged stale (same owner, stamp and file identity; else put it back), then
/// create our own.
fn steal(path: &Path, owner: &str, seen: &LockSeen) -> bool {
    let tmp = unique_sibling(path, "steal");
    if std::fs::rename(path, &tmp).is_err() {
        return false;
    }
    let moved = read_lock(&tmp).unwrap_or_default();
    let key = |s: &LockSeen| {
        (
            s.info.get("owner").cloned(),
            s.info.get("acquired_at").cloned(),
            s.id,
        )
    };
    if key(&moved) != key(seen) {
        let _ = std::fs::rename(&tmp, path);
        return false;
    }
    let _ = std::fs::remove_file(&tmp);
    create(path, owner).is_ok()
}

impl Drop for LeaseMutex {
    fn drop(&mut self) {
        let ours = match read_lock(&self.path) {
            Some(seen) => seen.info.get("owner").is_none_or(|o| *o == self.owner),
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

    fn age_file(p: &Path, secs: u64) {
        let f = std::fs::OpenOptions::new().write(true).open(p).unwrap();
        f.set_modified(std::time::SystemTime::now() - Duration::from_secs(secs))
            .unwrap();
    }

    #[test]
    fn an_empty_lock_goes_stale_by_its_file_age() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(".lane-lease.lock");
        // A writer killed between create and write left an empty lock.
        std::fs::write(&p, "").unwrap();
        let busy = LeaseMutex::acquire(&p, "b", 1, Duration::from_millis(1), 300).unwrap_err();
        assert_eq!(
            busy.to_string(),
            "lane-lease lock busy (owner=None)",
            "fresh: busy"
        );
        age_file(&p, 299);
        assert!(
            LeaseMutex::acquire(&p, "b", 0, Duration::ZERO, 300).is_err(),
            "not yet stale"
        );
        age_file(&p, 301);
        let g = LeaseMutex::acquire(&p, "b", 0, Duration::ZERO, 300).expect("stale by mtime");
        assert!(std::fs::read_to_string(&p)
            .unwrap()
            .starts_with("owner: b\nacquired_at: "));
        drop(g);
        assert!(!p.exists());
        // A body without a readable stamp ages the same way.
        std::fs::write(&p, "owner: ghost\nacquired_at: garbage\n").unwrap();
        assert!(LeaseMutex::acquire(&p, "b", 0, Duration::ZERO, 300).is_err());
        age_file(&p, 400);
        drop(LeaseMutex::acquire(&p, "b", 0, Duration::ZERO, 300).expect("stale by mtime"));
    }

    #[test]
    fn temps_left_by_killed_creators_are_swept_once_stale() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(".lane-lease.lock");
        let stale = dir.path().join("..lane-lease.lock.new.123.456");
        let fresh = dir.path().join("..lane-lease.lock.steal.123.789");
        let other = dir.path().join("lane-journal.jsonl");
        for f in [&stale, &fresh, &other] {
            std::fs::write(f, "owner: x\n").unwrap();
        }
        age_file(&stale, 301);
        age_file(&other, 301);
        drop(LeaseMutex::acquire(&p, "a", 0, Duration::ZERO, 300).unwrap());
        assert!(!stale.exists() && fresh.exists() && other.exists());
    }

    #[test]
    fn creation_leaves_no_temp_and_never_an_empty_lock() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(".lane-lease.lock");
        let g = LeaseMutex::acquire(&p, "a", 0, Duration::ZERO, 300).unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec![".lane-lease.lock".to_string()]);
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(parse_body(&text).get("owner").map(String::as_str), Some("a"));
        assert!(parse_body(&text).contains_key("pid"));
        drop(g);
    }
}
