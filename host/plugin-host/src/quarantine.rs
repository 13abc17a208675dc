//! The crash journal and quarantine for in-process plugins.
//!
//! While an in-process plugin call (or load) runs, the host's marker file
//! `.dos/plugins/inflight/<pid>.jsonl` names it (written through a shared
//! memory mapping, see [`super::inflight`]); the process holds an
//! exclusive `flock` on that file for its whole life and removes it on a
//! normal exit. A later run that finds a marker it can lock found a dead
//! run: a non-empty marker means that run died inside a plugin, which is
//! recorded as a crash of that plugin in `.dos/plugins/quarantine.json`.
//! After `[plugins] quarantine_after` crashes (default 2; 0 turns the journal
//! off) the plugin file is skipped with a warning until
//! `dos plugins reset NAME`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use super::inflight::{Flight, FlightGuard, InFlightMarker};

/// Default number of host crashes after which a plugin is quarantined.
pub const DEFAULT_QUARANTINE_AFTER: u64 = 2;

/// What a marker line says was running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InFlightEntry {
    /// The plugin file.
    pub path: String,
    /// The plugin's declared name (empty while loading).
    pub plugin: String,
    /// What was running (`exporter 'x'`, `load`).
    pub what: String,
}

/// The directory of in-flight markers.
pub fn inflight_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("plugins").join("inflight")
}

/// The quarantine record file.
pub fn book_path(state_dir: &Path) -> PathBuf {
    state_dir.join("plugins").join("quarantine.json")
}

/// A dead run found by [`collect_dead_runs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadRun {
    /// The dead process's id.
    pub pid: u32,
    /// What it was running when it died.
    pub in_flight: Vec<InFlightEntry>,
}

/// Parse a marker's text (one JSON entry per line; junk lines are skipped).
pub fn parse_marker(text: &str) -> Vec<InFlightEntry> {
    let mut out: Vec<InFlightEntry> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter_map(|l| serde_json::from_str::<InFlightEntry>(l).ok())
        .collect();
    out.dedup();
    out
}

/// Find markers of runs that died (their lock is free), consume them, and
/// say what each was running. Markers of live runs are left alone.
pub fn collect_dead_runs(state_dir: &Path) -> Vec<DeadRun> {
    let dir = inflight_dir(state_dir);
    let own = std::process::id();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.filter_map(Result::ok) {
        let path = e.path();
        let Some(pid) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".jsonl"))
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == own {
            continue;
        }
        let Ok(mut file) = OpenOptions::new().read(true).write(true).open(&path) else {
            continue;
        };
        if rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_err() {
            continue; // its run is alive
        }
        // Another run may have consumed it between our open and lock.
        if !path.exists() {
            continue;
        }
        let mut text = String::new();
        let _ = file.read_to_string(&mut text);
        let _ = std::fs::remove_file(&path);
        let in_flight = parse_marker(&text);
        if !in_flight.is_empty() {
            out.push(DeadRun { pid, in_flight });
        }
    }
    out.sort_by_key(|d| d.pid);
    out
}

/// One plugin's crash record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrashRecord {
    /// The plugin's declared name (may be empty if it died while loading).
    pub plugin: String,
    /// How many runs it took down.
    pub crashes: u64,
    /// What was running the last time.
    pub last: String,
}

/// The quarantine records of a workspace, keyed by plugin file path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Book {
    /// Records by plugin file path.
    pub plugins: BTreeMap<String, CrashRecord>,
}

/// Where a plugin stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// No crashes on record (or the journal is off).
    Clean,
    /// Crashed before, still allowed: `left` more crashes before quarantine.
    Warned {
        /// Crashes so far.
        crashes: u64,
        /// Crashes left.
        left: u64,
    },
    /// Skipped until reset.
    Quarantined {
        /// Crashes so far.
        crashes: u64,
    },
}

/// Decide a plugin's standing from its crash count and the threshold
/// (`0` = never quarantine).
pub fn standing(crashes: u64, threshold: u64) -> Standing {
    match (crashes, threshold) {
        (0, _) => Standing::Clean,
        (c, 0) => Standing::Warned {
            crashes: c,
            left: u64::MAX,
        },
        (c, t) if c >= t => Standing::Quarantined { crashes: c },
        (c, t) => Standing::Warned {
            crashes: c,
            left: t - c,
        },
    }
}

impl Book {
    /// Read the records: a missing file is an empty book; a file that
    /// cannot be read or parsed is an error naming it, so that nobody saves
    /// over crash records they could not see.
    pub fn load(state_dir: &Path) -> Result<Book, String> {
        let path = book_path(state_dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                format!(
                    "{} is not a crash-record book ({e}); fix or delete it",
                    path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Book::default()),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Write the records atomically (temp file + rename).
    pub fn save(&self, state_dir: &Path) -> std::io::Result<()> {
        let path = book_path(state_dir);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)? + "\n";
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &path)
    }

    /// Count one crash per dead run for each plugin it had in flight; returns
    /// one warning line per crash.
    pub fn record(&mut self, dead: &[DeadRun], threshold: u64) -> Vec<String> {
        let mut lines = Vec::new();
        for run in dead {
            for e in &run.in_flight {
                let rec = self.plugins.entry(e.path.clone()).or_insert_with(|| CrashRecord {
                    plugin: e.plugin.clone(),
                    crashes: 0,
                    last: String::new(),
                });
                if rec.plugin.is_empty() {
                    rec.plugin = e.plugin.clone();
                }
                rec.crashes += 1;
                rec.last = format!("{} was running in pid {}", e.what, run.pid);
                let name = reset_name(&e.path);
                let tail = match standing(rec.crashes, threshold) {
                    Standing::Quarantined { .. } => format!(
                        "it is now quarantined and will be skipped; run `dos plugins reset {name}` to re-enable it"
                    ),
                    Standing::Warned { left, .. } if threshold > 0 => {
                        format!("it will be quarantined after {left} more")
                    }
                    _ => "quarantine is off".into(),
                };
                lines.push(format!(
                    "warning: a previous dos run (pid {}) died while {} from '{}' was running; \
                     that plugin has now crashed the host {} time(s) — {tail}",
                    run.pid, e.what, e.path, rec.crashes
                ));
            }
        }
        lines
    }

    /// The record for `path`, if any.
    pub fn get(&self, path: &Path) -> Option<&CrashRecord> {
        self.plugins.get(&path.display().to_string())
    }

    /// Remove the records matching `name` (file name, path, or plugin name);
    /// returns the removed (path, record) pairs.
    pub fn reset(&mut self, name: &str) -> Vec<(String, CrashRecord)> {
        let matching: Vec<String> = self
            .plugins
            .iter()
            .filter(|(path, rec)| {
                path.as_str() == name
                    || reset_name(path) == name
                    || (!rec.plugin.is_empty() && rec.plugin == name)
            })
            .map(|(p, _)| p.clone())
            .collect();
        matching
            .into_iter()
            .filter_map(|p| self.plugins.remove(&p).map(|r| (p, r)))
            .collect()
    }
}

/// The short name `dos plugins reset` accepts for a file: its file name.
pub fn reset_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standing_table() {
        let table = [
            (0, 2, Standing::Clean),
            (1, 2, Standing::Warned { crashes: 1, left: 1 }),
            (2, 2, Standing::Quarantined { crashes: 2 }),
            (5, 2, Standing::Quarantined { crashes: 5 }),
            (1, 1, Standing::Quarantined { crashes: 1 }),
            (
                3,
                0,
                Standing::Warned {
                    crashes: 3,
                    left: u64::MAX,
                },
            ),
        ];
        for (crashes, threshold, expected) in table {
            assert_eq!(standing(crashes, threshold), expected, "{crashes}/{threshold}");
        }
    }

    fn entry(path: &str) -> InFlightEntry {
        InFlightEntry {
            path: path.into(),
            plugin: "p".into(),
            what: "exporter 'x'".into(),
        }
    }

    #[test]
    fn markers_parse_and_skip_junk() {
        let line = serde_json::to_string(&entry("/a.so")).unwrap();
        let text = format!("{line}\n{{not json\n{line}\n");
        assert_eq!(parse_marker(&text), vec![entry("/a.so")]);
        assert!(parse_marker("").is_empty());
    }

    #[test]
    fn the_book_counts_warns_quarantines_and_resets() {
        let mut book = Book::default();
        let dead = [DeadRun {
            pid: 7,
            in_flight: vec![entry("/w/libcrash.so")],
        }];
        let first = book.record(&dead, 2);
        assert!(
            first[0].contains("has now crashed the host 1 time(s) — it will be quarantined after 1 more"),
            "{}",
            first[0]
        );
        let second = book.record(&dead, 2);
        assert!(second[0].contains("now quarantined"), "{}", second[0]);
        assert!(
            second[0].contains("`dos plugins reset libcrash.so`"),
            "{}",
            second[0]
        );
        assert_eq!(book.get(Path::new("/w/libcrash.so")).map(|r| r.crashes), Some(2));
        assert!(book.reset("nope").is_empty());
        assert_eq!(book.reset("libcrash.so").len(), 1);
        assert!(book.plugins.is_empty());
    }

    #[test]
    fn a_live_marker_is_left_alone_and_a_dead_one_is_collected() {
        let dir = tempfile::tempdir().unwrap();
        let marker = InFlightMarker::new(dir.path());
        let flight = Flight::new(&marker, &entry("/w/a.so"));
        let guard = flight.enter();
        let file = inflight_dir(dir.path()).join(format!("{}.jsonl", std::process::id()));
        assert!(std::fs::read_to_string(&file).unwrap().contains("/w/a.so"));
        // Our own marker is never collected.
        assert!(collect_dead_runs(dir.path()).is_empty());
        drop(guard);
        assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), "");
        assert!(parse_marker(&std::fs::read_to_string(&file).unwrap()).is_empty());
        // A marker nobody holds a lock on is a dead run.
        let dead_file = inflight_dir(dir.path()).join("999999999.jsonl");
        std::fs::write(
            &dead_file,
            serde_json::to_string(&entry("/w/b.so")).unwrap() + "\n",
        )
        .unwrap();
        let dead = collect_dead_runs(dir.path());
        assert_eq!(
            dead,
            vec![DeadRun {
                pid: 999_999_999,
                in_flight: vec![entry("/w/b.so")]
            }]
        );
        assert!(!dead_file.exists());
        drop(flight);
        drop(marker);
        assert!(!file.exists(), "a normal exit removes the marker");
    }
}
