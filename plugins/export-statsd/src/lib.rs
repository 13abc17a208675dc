//! Exporter plugin `statsd`: turns a batch of verdict events into StatsD
//! counters, one line per `(syscall, verdict)` pair, sent over UDP:
//!
//! ```text
//! dos.verdict:3|c|#syscall:liveness,verdict:STALLED     (tag_format = "dogstatsd", default)
//! dos.verdict.liveness.STALLED:3|c                     (tag_format = "graphite")
//! dos.verdict,syscall=liveness,verdict=STALLED:3|c     (tag_format = "influx")
//! ```
//!
//! Routing (reference `export_statsd`):
//! * host: `host` (CLI `--host` or `[exporters.statsd] host`) ›
//!   `$DOS_STATSD_HOST` › `DOS_STATSD_HOST` in the workspace `.env` ›
//!   `127.0.0.1`; empty values skip a rung.
//! * port: `port` when non-zero (a value that is not an integer means the
//!   default) › `$DOS_STATSD_PORT` › `.env` `DOS_STATSD_PORT` › `8125`; a
//!   non-integer env/`.env` value falls to the next rung.
//! * prefix: `prefix` from `dos.toml`, default `dos.verdict`.
//!
//! Wire options ([`options`]): `tag_format` (`--tag-format`) picks the tag
//! dialect ([`lines::TagFormat`]); `max_datagram_bytes` packs lines into
//! datagrams ([`packing`]). The defaults send exactly the reference's
//! datagrams: DogStatsD lines, one per datagram. A bad value is an error
//! result before anything is sent.
//!
//! Fixes over the reference:
//! * IPv6 works: the socket's address family follows the resolved host
//!   (`::1`, `[::1]`, or a name). A name with both families prefers IPv4, the
//!   family the reference always used, because UDP cannot tell us that
//!   nobody listens on the other one. An IPv6 literal is shown as
//!   `[::1]:8125` in messages.
//! * Tags are sanitized *before* grouping, so two raw keys that sanitize
//!   alike (`x|y`, `x_y`) yield one line with the summed count instead of
//!   two identical lines (quirk Q8). Lines are ordered by the sanitized key.
//!
//! A `cdylib` loaded by the `dos` plugin host: it depends on `dos-plugin-api`
//! only, never on the host crates (`dos-core`, `dos-plugin-host`, `dos`).

pub mod lines;
pub mod options;
pub mod packing;

pub use dos_plugin_api::pystr::io_error_text;
use dos_plugin_api::pyvalue::VerdictEvent;
use dos_plugin_api::{dotenv, DriverConfig, EventRef, ExportResult, Exporter, PluginError, Registry};
pub use lines::{build_lines, sanitize_tag, TagFormat};
pub use options::{OptionError, WireOptions};
use serde_json::Value;
use std::collections::HashMap;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::path::PathBuf;

/// Host used when no rung of the ladder names one.
pub const DEFAULT_HOST: &str = "127.0.0.1";
/// Port used when no rung of the ladder names one.
pub const DEFAULT_PORT: i64 = 8125;
/// Metric name used when none is configured.
pub const DEFAULT_PREFIX: &str = "dos.verdict";

/// Python's `int()` of a string (`dos_py`'s), an integer past `i64`
/// saturated: it fails the port range check either way, as in Python.
pub fn py_int(text: &str) -> Option<i64> {
    match dos_py::int::py_int_checked(text) {
        Ok(v) => Some(v),
        Err(dos_py::int::PyIntError::Syntax) => None,
        Err(dos_py::int::PyIntError::Overflow) => Some(if dos_py::text::py_strip(text).starts_with('-') {
            i64::MIN
        } else {
            i64::MAX
        }),
    }
}

/// What the configuration says about the port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortArg {
    /// Absent, empty or zero: consult the environment.
    Unset,
    /// A usable integer (possibly out of range; that fails at send time).
    Value(i64),
    /// Given but not an integer: the reference falls back to the default.
    Invalid,
}

/// Read `port` from the driver configuration.
pub fn port_arg(cfg: &DriverConfig) -> PortArg {
    match cfg.0.get("port") {
        None | Some(Value::Null) => PortArg::Unset,
        Some(Value::Number(n)) => {
            let v = n.as_i64().or_else(|| n.as_f64().map(|f| f.trunc() as i64));
            match v {
                Some(0) => PortArg::Unset,
                Some(v) => PortArg::Value(v),
                None => PortArg::Invalid,
            }
        }
        Some(Value::String(s)) if s.is_empty() => PortArg::Unset,
        Some(Value::String(s)) => match py_int(s) {
            Some(0) => PortArg::Unset,
            Some(v) => PortArg::Value(v),
            None => PortArg::Invalid,
        },
        Some(Value::Bool(false)) => PortArg::Unset,
        Some(_) => PortArg::Invalid,
    }
}

/// The host ladder: explicit › env › `.env` › [`DEFAULT_HOST`]. `env` and
/// `dotenv` look a key up in the process environment and the workspace
/// `.env`; `dotenv` is only called when the earlier rungs are empty.
pub fn resolve_host<E>(
    explicit: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
    mut dotenv: impl FnMut(&str) -> Result<Option<String>, E>,
) -> Result<String, E> {
    if let Some(h) = explicit.filter(|h| !h.is_empty()) {
        return Ok(h.to_string());
    }
    if let Some(h) = env("DOS_STATSD_HOST").filter(|h| !h.is_empty()) {
        return Ok(h);
    }
    if let Some(h) = dotenv("DOS_STATSD_HOST")?.filter(|h| !h.is_empty()) {
        return Ok(h);
    }
    Ok(DEFAULT_HOST.to_string())
}

/// The port ladder: explicit › env › `.env` › [`DEFAULT_PORT`]; a
/// non-integer env/`.env` value falls to the next rung.
pub fn resolve_port<E>(
    explicit: PortArg,
    env: impl Fn(&str) -> Option<String>,
    mut dotenv: impl FnMut(&str) -> Result<Option<String>, E>,
) -> Result<i64, E> {
    match explicit {
        PortArg::Value(v) => return Ok(v),
        PortArg::Invalid => return Ok(DEFAULT_PORT),
        PortArg::Unset => {}
    }
    if let Some(v) = env("DOS_STATSD_PORT")
        .filter(|v| !v.is_empty())
        .and_then(|v| py_int(&v))
    {
        return Ok(v);
    }
    if let Some(v) = dotenv("DOS_STATSD_PORT")?
        .filter(|v| !v.is_empty())
        .and_then(|v| py_int(&v))
    {
        return Ok(v);
    }
    Ok(DEFAULT_PORT)
}

/// `host:port` for messages; an IPv6 literal is bracketed (`[::1]:8125`).
pub fn display_addr(host: &str, port: i64) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Resolve `host` for UDP, IPv4 addresses first (the reference's family).
pub fn resolve_addrs(host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let addrs: Vec<SocketAddr> = (bare, port)
        .to_socket_addrs()
        .map_err(|e| {
            let text = e.to_string();
            let msg = text
                .strip_prefix("failed to lookup address information: ")
                .unwrap_or(&text)
                .to_string();
            format!("cannot resolve host '{bare}': {msg}")
        })?
        .collect();
    let mut sorted: Vec<SocketAddr> = addrs.iter().filter(|a| a.is_ipv4()).copied().collect();
    sorted.extend(addrs.iter().filter(|a| a.is_ipv6()));
    if sorted.is_empty() {
        return Err(format!("cannot resolve host '{bare}': no addresses"));
    }
    Ok(sorted)
}

/// Send each datagram to `host:port`. Errors carry the reference's texts
/// where it has one (`sendto(): port must be 0-65535.`).
pub fn send_datagrams(host: &str, port: i64, datagrams: &[String]) -> Result<(), String> {
    let port = u16::try_from(port).map_err(|_| "sendto(): port must be 0-65535.".to_string())?;
    let addrs = resolve_addrs(host, port)?;
    let target = *addrs
        .first()
        .ok_or_else(|| format!("cannot resolve host '{host}': no addresses"))?;
    let bind: SocketAddr = if target.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        ([0u16; 8], 0).into()
    };
    let socket = UdpSocket::bind(bind).map_err(|e| io_error_text(&e))?;
    for datagram in datagrams {
        socket
            .send_to(datagram.as_bytes(), target)
            .map_err(|e| io_error_text(&e))?;
    }
    Ok(())
}

/// The `statsd` exporter, configured once per command.
pub struct StatsdExporter {
    root: PathBuf,
    host: Option<String>,
    port: PortArg,
    prefix: String,
    wire: Result<WireOptions, OptionError>,
    dry_run: bool,
}

impl StatsdExporter {
    /// Build from the driver configuration (`host`, `port`, `prefix`,
    /// `tag_format`, `max_datagram_bytes`, `root`, `dry_run`). A bad wire
    /// option is kept and reported by every `export` call.
    pub fn new(cfg: &DriverConfig) -> Self {
        StatsdExporter {
            root: cfg.root(),
            host: cfg.str("host").map(str::to_string),
            port: port_arg(cfg),
            prefix: cfg.str("prefix").unwrap_or(DEFAULT_PREFIX).to_string(),
            wire: WireOptions::from_config(&cfg.0),
            dry_run: cfg.dry_run(),
        }
    }

    /// Resolve host and port; the workspace `.env` is read at most once and
    /// only when a rung needs it (invalid UTF-8 there is an error, as in the
    /// reference).
    fn route(&self) -> Result<(String, i64), PluginError> {
        let mut cache: Option<HashMap<String, String>> = None;
        let root = &self.root;
        let mut dotenv = |key: &str| -> Result<Option<String>, PluginError> {
            if cache.is_none() {
                cache = Some(dotenv::load(root).map_err(|e| PluginError(e.0))?);
            }
            Ok(cache.as_ref().and_then(|m| m.get(key).cloned()))
        };
        let env = |key: &str| std::env::var(key).ok();
        let host = resolve_host(self.host.as_deref(), env, &mut dotenv)?;
        let port = resolve_port(self.port, env, &mut dotenv)?;
        Ok((host, port))
    }
}

impl Exporter for StatsdExporter {
    fn export(&mut self, events: &[EventRef<'_>]) -> Result<ExportResult, PluginError> {
        let done = |exported: u64, detail: String| ExportResult::for_batch(events, exported, detail);
        let wire = match &self.wire {
            Ok(w) => *w,
            Err(e) => return Ok(done(0, format!("error: {e}"))),
        };
        let (host, port) = self.route()?;
        let shown = display_addr(&host, port);
        let n = events.len();
        if n == 0 {
            return Ok(done(0, format!("no new events for {shown}")));
        }
        let decoded = match VerdictEvent::decode_batch(events) {
            Ok(d) => d,
            Err(why) => return Ok(done(0, format!("error: {why}"))),
        };
        // An empty token tags as `none` (sanitize_tag), as the reference's `or "none"`.
        let lines = build_lines(
            decoded
                .iter()
                .map(|e: &VerdictEvent| (e.syscall.as_str(), e.verdict.as_str())),
            &self.prefix,
            wire.tag_format,
        );
        let k = lines.len();
        if self.dry_run {
            return Ok(done(
                0,
                format!("[dry-run] would send {k} counter(s) for {n} event(s) to {shown}"),
            ));
        }
        match send_datagrams(&host, port, &packing::pack(&lines, wire.max_datagram_bytes)) {
            Ok(()) => Ok(done(
                n as u64,
                format!("sent {k} counter(s) for {n} event(s) to {shown}"),
            )),
            Err(e) => Ok(done(0, format!("error: {e}"))),
        }
    }
}

fn register(r: &mut Registry) {
    r.exporter("statsd", |cfg| Ok(StatsdExporter::new(cfg)));
}

dos_plugin_api::export_plugin!(name: "dos-export-statsd", version: env!("CARGO_PKG_VERSION"), register: register);

#[cfg(test)]
mod tests {
    use super::*;
    use dos_plugin_api::test_support::env_of;

    #[test]
    fn py_int_table() {
        for (raw, want) in [
            ("8125", Some(8125)),
            (" 18126 ", Some(18126)),
            ("+7", Some(7)),
            ("-3", Some(-3)),
            ("1_0", Some(10)),
            ("1__0", None),
            ("_1", None),
            ("1_", None),
            ("xyz", None),
            ("1.5", None),
            ("", None),
            ("-", None),
            ("\u{1c}5\u{1f}", None), // CPython: int() does not strip U+001C..U+001F
            ("\u{661}", Some(1)),
            ("99999999999999999999", Some(i64::MAX)),
            ("-99999999999999999999", Some(i64::MIN)),
        ] {
            assert_eq!(py_int(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn host_ladder() {
        type Case = (
            Option<&'static str>,
            &'static [(&'static str, &'static str)],
            &'static [(&'static str, &'static str)],
            &'static str,
        );
        let cases: &[Case] = &[
            (
                Some("h1"),
                &[("DOS_STATSD_HOST", "h2")],
                &[("DOS_STATSD_HOST", "h3")],
                "h1",
            ),
            (
                Some(""),
                &[("DOS_STATSD_HOST", "h2")],
                &[("DOS_STATSD_HOST", "h3")],
                "h2",
            ),
            (
                None,
                &[("DOS_STATSD_HOST", "")],
                &[("DOS_STATSD_HOST", "h3")],
                "h3",
            ),
            (None, &[], &[("DOS_STATSD_HOST", "")], "127.0.0.1"),
            (None, &[], &[], "127.0.0.1"),
        ];
        for (explicit, env, dotenv, want) in cases {
            let dot = env_of(dotenv);
            let got = resolve_host::<()>(*explicit, env_of(env), |k| Ok(dot(k))).unwrap();
            assert_eq!(got, *want);
        }
    }

    #[test]
    fn port_ladder() {
        type Case = (
            PortArg,
            &'static [(&'static str, &'static str)],
            &'static [(&'static str, &'static str)],
            i64,
        );
        let cases: &[Case] = &[
            (PortArg::Value(9000), &[("DOS_STATSD_PORT", "1")], &[], 9000),
            (PortArg::Value(-5), &[], &[], -5),
            (PortArg::Value(70000), &[], &[], 70000),
            (PortArg::Invalid, &[("DOS_STATSD_PORT", "1")], &[], 8125),
            (
                PortArg::Unset,
                &[("DOS_STATSD_PORT", "9001")],
                &[("DOS_STATSD_PORT", "9002")],
                9001,
            ),
            (
                PortArg::Unset,
                &[("DOS_STATSD_PORT", "xyz")],
                &[("DOS_STATSD_PORT", "18126")],
                18126,
            ),
            (
                PortArg::Unset,
                &[("DOS_STATSD_PORT", "xyz")],
                &[("DOS_STATSD_PORT", "abc")],
                8125,
            ),
            (PortArg::Unset, &[], &[], 8125),
        ];
        for (explicit, env, dotenv, want) in cases {
            let dot = env_of(dotenv);
            let got = resolve_port::<()>(*explicit, env_of(env), |k| Ok(dot(k))).unwrap();
            assert_eq!(got, *want, "{explicit:?} {env:?} {dotenv:?}");
        }
    }

    #[test]
    fn dotenv_is_read_only_when_needed() {
        let mut calls = 0;
        let host = resolve_host::<()>(
            Some("h"),
            |_| None,
            |_| {
                calls += 1;
                Ok(None)
            },
        )
        .unwrap();
        assert_eq!(host, "h");
        assert_eq!(calls, 0);
        let err = resolve_port(
            PortArg::Unset,
            |_| None,
            |_| Err::<Option<String>, _>("bad utf-8"),
        );
        assert_eq!(err, Err("bad utf-8"));
    }

    #[test]
    fn port_arg_from_config() {
        let cfg = |json: &str| DriverConfig::from_json(json).unwrap();
        assert_eq!(port_arg(&cfg("{}")), PortArg::Unset);
        assert_eq!(port_arg(&cfg(r#"{"port": 0}"#)), PortArg::Unset);
        assert_eq!(port_arg(&cfg(r#"{"port": ""}"#)), PortArg::Unset);
        assert_eq!(port_arg(&cfg(r#"{"port": 9125}"#)), PortArg::Value(9125));
        assert_eq!(port_arg(&cfg(r#"{"port": "9125"}"#)), PortArg::Value(9125));
        assert_eq!(port_arg(&cfg(r#"{"port": -1}"#)), PortArg::Value(-1));
        assert_eq!(port_arg(&cfg(r#"{"port": "abc"}"#)), PortArg::Invalid);
        assert_eq!(port_arg(&cfg(r#"{"port": [1]}"#)), PortArg::Invalid);
    }

    #[test]
    fn display_brackets_ipv6() {
        assert_eq!(display_addr("127.0.0.1", 8125), "127.0.0.1:8125");
        assert_eq!(display_addr("::1", 8125), "[::1]:8125");
        assert_eq!(display_addr("[::1]", 8125), "[::1]:8125");
        assert_eq!(display_addr("stats.local", 1), "stats.local:1");
    }

    #[test]
    fn out_of_range_ports_use_the_reference_text() {
        let lines = vec!["x:1|c".to_string()];
        assert_eq!(
            send_datagrams("127.0.0.1", 70000, &lines),
            Err("sendto(): port must be 0-65535.".into())
        );
        assert_eq!(
            send_datagrams("127.0.0.1", -1, &lines),
            Err("sendto(): port must be 0-65535.".into())
        );
    }
}
