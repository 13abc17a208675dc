//! A real collectd (Debian `collectd-core`) running its `statsd` plugin on a
//! loopback port, for the statsd exporter's end-to-end tests: generated
//! config, its own temp BaseDir/PIDFile/log/CSV directory, no network plugin
//! other than `statsd` on 127.0.0.1, killed on drop. Every wait is a poll
//! with a deadline.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Set (by `.ci/run`) to make a missing collectd a failure instead of a skip.
pub(crate) const REQUIRE_ENV: &str = "DOS_TEST_REQUIRE_COLLECTD";

/// How long any single wait on collectd may take.
pub(crate) const DEADLINE: Duration = Duration::from_secs(20);

const HOSTNAME: &str = "dos-test";

/// Where the collectd binary and its plugins/types are installed.
struct Install {
    binary: PathBuf,
    plugin_dir: PathBuf,
    types_db: PathBuf,
}

fn find_install() -> Result<Install, String> {
    let binary = [
        "/usr/sbin/collectd",
        "/usr/bin/collectd",
        "/usr/local/sbin/collectd",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.is_file())
    .ok_or("no collectd binary in /usr/sbin, /usr/bin or /usr/local/sbin")?;
    let plugin_dir = [
        "/usr/lib/collectd",
        "/usr/lib64/collectd",
        "/usr/local/lib/collectd",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|d| {
        ["statsd.so", "csv.so", "logfile.so"]
            .iter()
            .all(|so| d.join(so).is_file())
    })
    .ok_or("no collectd plugin directory with statsd.so, csv.so and logfile.so")?;
    let types_db = [
        "/usr/share/collectd/types.db",
        "/usr/local/share/collectd/types.db",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.is_file())
    .ok_or("no collectd types.db")?;
    Ok(Install {
        binary,
        plugin_dir,
        types_db,
    })
}

/// A running collectd with the `statsd` and `csv` plugins.
pub(crate) struct Collectd {
    child: Child,
    dir: tempfile::TempDir,
    /// The loopback UDP port its statsd plugin listens on.
    pub port: u16,
}

impl Drop for Collectd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `collectd -h` first line, e.g. `collectd 5.12.0, http://collectd.org/`.
pub(crate) fn version() -> Option<String> {
    let install = find_install().ok()?;
    let out = Command::new(&install.binary).arg("-h").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .find(|l| l.starts_with("collectd "))
        .map(str::to_string)
}

impl Collectd {
    /// Start collectd, or return `None` (after saying why on stderr) when it
    /// is not installed and [`REQUIRE_ENV`] is unset. Panics when it is
    /// installed but does not come up.
    pub(crate) fn start() -> Option<Collectd> {
        let install = match find_install() {
            Ok(i) => i,
            Err(why) if std::env::var_os(REQUIRE_ENV).is_none() => {
                eprintln!(
                    "SKIPPED: collectd is not installed ({why}); `.ci/run` installs it (apt-get install -y collectd-core)"
                );
                return None;
            }
            Err(why) => panic!("{REQUIRE_ENV} is set but collectd is unusable: {why}"),
        };
        // The free port is found by binding and releasing it; another process
        // can take it in between, so a failed start is retried on a new one.
        let mut last = String::new();
        for _ in 0..3 {
            match Self::try_start(&install) {
                Ok(c) => return Some(c),
                Err(why) => last = why,
            }
        }
        panic!("collectd did not start: {last}");
    }

    fn try_start(install: &Install) -> Result<Collectd, String> {
        let port = UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .map_err(|e| format!("no free UDP port: {e}"))?
            .port();
        // The csv plugin refuses any path with a component starting with `.`,
        // which tempfile's default `.tmpXXXX` names have.
        let dir = tempfile::Builder::new()
            .prefix("dos-collectd-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let base = dir.path().join("base");
        std::fs::create_dir(&base).map_err(|e| e.to_string())?;
        let conf = dir.path().join("collectd.conf");
        std::fs::write(&conf, config(install, dir.path(), port)).map_err(|e| e.to_string())?;
        let child = Command::new(&install.binary)
            .arg("-f")
            .arg("-C")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", install.binary.display()))?;
        let mut c = Collectd { child, dir, port };
        let listening = format!("statsd plugin: Listening on [127.0.0.1]:{port}.");
        let started = Instant::now();
        loop {
            let log = c.log();
            if log.contains("Initialization complete") && log.contains(&listening) {
                return Ok(c);
            }
            if let Ok(Some(status)) = c.child.try_wait() {
                return Err(format!("collectd exited ({status}); log:\n{log}"));
            }
            if started.elapsed() > DEADLINE {
                return Err(format!("collectd not listening after {DEADLINE:?}; log:\n{log}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// collectd's log so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("collectd.log")).unwrap_or_default()
    }

    /// Poll the log until it contains `needle`; false after [`DEADLINE`].
    pub(crate) fn wait_for_log(&self, needle: &str) -> bool {
        poll(|| self.log().contains(needle).then_some(())).is_some()
    }

    /// The statsd counters collectd has written to CSV: metric name → the
    /// last recorded (cumulative) value.
    pub(crate) fn counters(&self) -> BTreeMap<String, f64> {
        let dir = self.dir.path().join("csv").join(HOSTNAME).join("statsd");
        let mut out = BTreeMap::new();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return out;
        };
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            // `derive-<metric>-<YYYY-MM-DD>`
            let Some(rest) = file.strip_prefix("derive-") else {
                continue;
            };
            let Some(name) = rest.len().checked_sub(11).and_then(|cut| rest.get(..cut)) else {
                continue;
            };
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            if let Some(v) = text.lines().skip(1).filter_map(last_value).last() {
                out.insert(name.to_string(), v);
            }
        }
        out
    }

    /// Poll the CSV output until every `(name, value)` of `want` is recorded
    /// with exactly that value; returns what was last seen.
    pub(crate) fn wait_for_counters(&self, want: &BTreeMap<String, f64>) -> BTreeMap<String, f64> {
        let mut seen = BTreeMap::new();
        let done = poll(|| {
            seen = self.counters();
            want.iter().all(|(k, v)| seen.get(k) == Some(v)).then_some(())
        });
        if done.is_none() {
            eprintln!("collectd log:\n{}", self.log());
        }
        seen
    }
}

/// `epoch,value` → value.
fn last_value(line: &str) -> Option<f64> {
    line.split(',').nth(1)?.trim().parse().ok()
}

/// Call `f` every 100 ms until it returns `Some`, for at most [`DEADLINE`].
pub(crate) fn poll<T>(mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let started = Instant::now();
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if started.elapsed() > DEADLINE {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn config(install: &Install, dir: &Path, port: u16) -> String {
    let d = dir.display();
    format!(
        r#"Hostname "{HOSTNAME}"
FQDNLookup false
BaseDir "{d}/base"
PIDFile "{d}/collectd.pid"
PluginDir "{plugins}"
TypesDB "{types}"
Interval 1
AutoLoadPlugin false
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File "{d}/collectd.log"
  Timestamp true
</Plugin>
LoadPlugin statsd
<Plugin statsd>
  Host "127.0.0.1"
  Port "{port}"
</Plugin>
LoadPlugin csv
<Plugin csv>
  DataDir "{d}/csv"
  StoreRates false
</Plugin>
"#,
        plugins = install.plugin_dir.display(),
        types = install.types_db.display(),
    )
}
