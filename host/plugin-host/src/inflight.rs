//! The in-flight marker: which in-process plugin calls are running now,
//! kept where a later run finds it if this process dies mid-call.
//!
//! The marker file `.dos/plugins/inflight/<pid>.jsonl` (see
//! `marker_file::MarkerFile`) is a column of fixed regions, one per flight label
//! (plugin file + what runs), appended the first time the label is used.
//! A region is a JSON [`InFlightEntry`] line while a call under that label
//! runs and blanks (spaces, then a newline) otherwise, so the file is
//! always text whose non-blank lines are exactly the calls in flight.
//! Entering or leaving a call rewrites its region in place through a
//! shared mapping: a few word stores, no system call.
//!
//! One marker serves every host of a process and state directory (a second
//! one could not take the file's lock).

use super::marker_file::{words_of, MarkerFile, WORD};
use super::quarantine::{inflight_dir, InFlightEntry};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, OnceLock, Weak};

/// This process's in-flight marker (the file is created on first use).
pub struct InFlightMarker {
    path: PathBuf,
    file: OnceLock<Option<MarkerFile>>,
    /// Regions by JSON line, so a label gets one region however many
    /// flights carry it.
    regions: Mutex<HashMap<Box<str>, Arc<Region>>>,
}

/// Live markers of this process, by marker path.
static MARKERS: LazyLock<Mutex<HashMap<PathBuf, Weak<InFlightMarker>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

impl InFlightMarker {
    /// The marker for this process under `state_dir` (shared with any other
    /// host of this process on the same state directory).
    pub fn new(state_dir: &Path) -> Arc<InFlightMarker> {
        let path = inflight_dir(state_dir).join(format!("{}.jsonl", std::process::id()));
        let mut live = MARKERS.lock().unwrap_or_else(|p| p.into_inner());
        live.retain(|_, m| m.strong_count() > 0);
        if let Some(marker) = live.get(&path).and_then(Weak::upgrade) {
            return marker;
        }
        let marker = Arc::new(InFlightMarker {
            path: path.clone(),
            file: OnceLock::new(),
            regions: Mutex::new(HashMap::new()),
        });
        live.insert(path, Arc::downgrade(&marker));
        marker
    }

    fn file(&self) -> Option<&MarkerFile> {
        self.file.get_or_init(|| MarkerFile::create(&self.path)).as_ref()
    }

    /// The region for `line`, appended on first use (`None` when the marker
    /// is unavailable).
    fn region(&self, line: &str) -> Option<Arc<Region>> {
        let file = self.file()?;
        let mut regions = self.regions.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = regions.get(line) {
            return Some(Arc::clone(r));
        }
        // The line, padded with spaces so its newline ends the last word.
        let mut busy = line.as_bytes().to_vec();
        let len = (busy.len() + 1).div_ceil(WORD) * WORD;
        busy.resize(len - 1, b' ');
        busy.push(b'\n');
        let mut idle = vec![b' '; len - 1];
        idle.push(b'\n');
        let idle = words_of(&idle, b' ');
        let first = file.append(&idle)?;
        let region = Arc::new(Region {
            first,
            busy: words_of(&busy, b' ').into(),
            idle: idle.into(),
            running: Mutex::new(0),
        });
        regions.insert(line.into(), Arc::clone(&region));
        Some(region)
    }
}

/// One label's place in the marker file.
struct Region {
    /// First word of the region.
    first: usize,
    /// The words while a call runs (the JSON line).
    busy: Box<[u64]>,
    /// The words otherwise (blanks).
    idle: Box<[u64]>,
    /// Calls under this label running now; the lock also orders the
    /// region's rewrites.
    running: Mutex<u32>,
}

impl Region {
    fn enter(&self, file: &MarkerFile) {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if *running == 0 {
            file.write(self.first, &self.busy);
        }
        *running += 1;
    }

    fn leave(&self, file: &MarkerFile) {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        *running = running.saturating_sub(1);
        if *running == 0 {
            file.write(self.first, &self.idle);
        }
    }
}

/// A label for calls into one driver (or one load), noted in the marker
/// while they run. Cheap to clone.
#[derive(Clone)]
pub struct Flight {
    inner: Arc<FlightInner>,
}

struct FlightInner {
    marker: Arc<InFlightMarker>,
    line: Box<str>,
    /// Resolved on the first call.
    region: OnceLock<Option<Arc<Region>>>,
}

impl Flight {
    /// A flight label for `entry` in `marker`.
    pub fn new(marker: &Arc<InFlightMarker>, entry: &InFlightEntry) -> Flight {
        let line = serde_json::to_string(entry).unwrap_or_default();
        Flight {
            inner: Arc::new(FlightInner {
                marker: Arc::clone(marker),
                line: line.into(),
                region: OnceLock::new(),
            }),
        }
    }

    /// Note the call as in flight until the guard drops.
    pub fn enter(&self) -> FlightGuard<'_> {
        let inner = &*self.inner;
        let region = inner
            .region
            .get_or_init(|| inner.marker.region(&inner.line))
            .as_deref();
        let noted = match (region, inner.marker.file.get()) {
            (Some(region), Some(Some(file))) => {
                region.enter(file);
                Some((region, file))
            }
            _ => None,
        };
        FlightGuard { noted }
    }
}

/// Clears an in-flight note when dropped.
pub struct FlightGuard<'a> {
    noted: Option<(&'a Region, &'a MarkerFile)>,
}

impl Drop for FlightGuard<'_> {
    fn drop(&mut self) {
        if let Some((region, file)) = self.noted {
            region.leave(file);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quarantine::{collect_dead_runs, parse_marker, DeadRun};

    fn entry(path: &str, what: &str) -> InFlightEntry {
        InFlightEntry {
            path: path.into(),
            plugin: "p".into(),
            what: what.into(),
        }
    }

    fn marker_text(dir: &Path) -> String {
        let file = inflight_dir(dir).join(format!("{}.jsonl", std::process::id()));
        std::fs::read_to_string(file).unwrap()
    }

    #[test]
    fn overlapping_flights_each_show_until_their_last_call_leaves() {
        let dir = tempfile::tempdir().unwrap();
        let marker = InFlightMarker::new(dir.path());
        assert!(Arc::ptr_eq(&marker, &InFlightMarker::new(dir.path())), "shared");
        let a = Flight::new(&marker, &entry("/w/a.so", "exporter 'x'"));
        let a2 = Flight::new(&marker, &entry("/w/a.so", "exporter 'x'"));
        let b = Flight::new(&marker, &entry("/w/b.so", "load"));
        let ga = a.enter();
        let gb = b.enter();
        let ga2 = a2.enter();
        assert_eq!(
            parse_marker(&marker_text(dir.path())),
            vec![entry("/w/a.so", "exporter 'x'"), entry("/w/b.so", "load")]
        );
        drop(ga);
        drop(gb);
        assert_eq!(
            parse_marker(&marker_text(dir.path())),
            vec![entry("/w/a.so", "exporter 'x'")],
            "a2 still runs under the same label"
        );
        drop(ga2);
        assert_eq!(marker_text(dir.path()).trim(), "");
        // Re-entering reuses the regions: the file does not grow.
        let len = marker_text(dir.path()).len();
        for _ in 0..3 {
            let _g = a.enter();
            let _h = b.enter();
        }
        assert_eq!(marker_text(dir.path()).len(), len);
    }

    /// Runs only when re-invoked by the test below: note a flight, then die
    /// the way `DOS_INFLIGHT_DEATH` says while it is in flight.
    #[test]
    fn inflight_child_death() {
        let (Ok(how), Ok(dir)) = (
            std::env::var("DOS_INFLIGHT_DEATH"),
            std::env::var("DOS_INFLIGHT_DIR"),
        ) else {
            return;
        };
        let marker = InFlightMarker::new(Path::new(&dir));
        let done = Flight::new(&marker, &entry("/w/done.so", "exporter 'done'"));
        drop(done.enter());
        let flight = Flight::new(&marker, &entry("/w/victim.so", "exporter 'x'"));
        let _g = flight.enter();
        match how.as_str() {
            "kill" => {
                let _ =
                    rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
                std::thread::sleep(std::time::Duration::from_secs(10));
            }
            "abort" => std::process::abort(),
            "exit" => std::process::exit(3),
            "int" | "term" | "hup" => {
                let sig = match how.as_str() {
                    "int" => rustix::process::Signal::INT,
                    "term" => rustix::process::Signal::TERM,
                    _ => rustix::process::Signal::HUP,
                };
                let _ = rustix::process::kill_process(rustix::process::getpid(), sig);
                std::thread::sleep(std::time::Duration::from_secs(10));
            }
            _ => {}
        }
    }

    /// Run [`inflight_child_death`] in a child test process that dies `how`,
    /// with a fresh state directory.
    fn die_in_child(how: &str) -> (tempfile::TempDir, std::process::Output) {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "inflight::tests::inflight_child_death",
                "--exact",
                "--test-threads=1",
            ])
            .env("DOS_INFLIGHT_DEATH", how)
            .env("DOS_INFLIGHT_DIR", dir.path())
            .output()
            .unwrap();
        (dir, out)
    }

    /// The operator's signals end the run the default way (killed by that
    /// signal), but leave no note of a crash: only the plugin's own deaths
    /// (and SIGKILL, which cannot be told apart) count.
    #[test]
    fn an_operator_signal_mid_call_is_not_a_crash() {
        use std::os::unix::process::ExitStatusExt;
        for (how, sig) in [("int", 2), ("term", 15), ("hup", 1)] {
            let (dir, out) = die_in_child(how);
            assert_eq!(out.status.signal(), Some(sig), "{how}: {out:?}");
            assert_eq!(collect_dead_runs(dir.path()), vec![], "{how}");
        }
    }

    #[test]
    fn a_process_that_dies_mid_call_is_found_by_the_next_run() {
        for how in ["kill", "abort", "exit", "clean"] {
            let (dir, out) = die_in_child(how);
            let dead = collect_dead_runs(dir.path());
            if how == "clean" {
                assert!(out.status.success(), "{out:?}");
                assert!(dead.is_empty(), "{dead:?}");
                let left = std::fs::read_dir(inflight_dir(dir.path())).unwrap().count();
                assert_eq!(left, 0, "a clean exit leaves no marker");
                continue;
            }
            use std::os::unix::process::ExitStatusExt;
            let died = (out.status.signal(), out.status.code());
            let expected = match how {
                "kill" => (Some(9), None),
                "abort" => (Some(6), None),
                _ => (None, Some(3)),
            };
            assert_eq!(died, expected, "{how}: {out:?}");
            assert_eq!(dead.len(), 1, "{how}: {dead:?}");
            let DeadRun { pid, in_flight } = &dead[0];
            assert_ne!(*pid, std::process::id());
            assert_eq!(in_flight, &vec![entry("/w/victim.so", "exporter 'x'")], "{how}");
            assert!(collect_dead_runs(dir.path()).is_empty(), "{how}: consumed");
        }
    }
}
