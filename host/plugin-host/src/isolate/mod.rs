//! Running plugins out of process. A plugin file marked for isolation is
//! never loaded into the host: a worker — `dos __plugin-worker FILE` —
//! loads it and serves construct and call requests over a framed pipe
//! ([`protocol`]). One worker per file serves every driver of that file for
//! the life of the command.
//!
//! A worker that crashes, aborts, exits, overflows its stack, hangs past the
//! call deadline (it is killed) or writes garbage on the pipe fails only the
//! call in progress: the handle gets its group's safe result with a detail
//! naming the plugin and what happened ([`fault::WorkerFault`]), and that
//! driver is not called again. Other drivers of the same file are rebuilt in
//! a fresh worker on their next call.

pub mod client;
pub mod fault;
pub mod protocol;
pub mod worker;

use super::failsoft::Failure;
use super::handles::{decode, ExportBackend, GenericBackend, JudgeBackend, NotifyBackend, StopBackend};
use client::WorkerProcess;
use dos_plugin_api::{
    Claim, EventRef, ExportResult, FfiError, Group, JudgeVerdict, Notification, NotifyResult, StopVerdict,
};
use fault::WorkerFault;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The least time a worker gets to start and load its file, whatever the
/// per-call deadline (process start-up is not the plugin's fault).
pub const MIN_STARTUP: Duration = Duration::from_secs(5);

/// Which plugin files run in a worker process (`[plugins] isolate`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum IsolatePolicy {
    /// Every file runs in-process (the default).
    #[default]
    Nothing,
    /// Every plugin file runs isolated (`isolate = true`).
    Everything,
    /// Files named by file name, path, or plugin name (`isolate = ["…"]`).
    Named(Vec<String>),
}

impl IsolatePolicy {
    /// Read `[plugins] isolate`: a boolean or a list of names.
    pub fn from_toml(value: Option<&toml::Value>) -> Result<IsolatePolicy, crate::config::ConfigError> {
        let bad = |found: &'static str| crate::config::ConfigError::Type {
            key: "plugins.isolate".into(),
            expected: "a boolean or an array of plugin file names",
            found,
        };
        match value {
            None | Some(toml::Value::Boolean(false)) => Ok(IsolatePolicy::Nothing),
            Some(toml::Value::Boolean(true)) => Ok(IsolatePolicy::Everything),
            Some(toml::Value::String(s)) => Ok(IsolatePolicy::Named(vec![s.clone()])),
            Some(toml::Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    toml::Value::String(s) => Ok(s.clone()),
                    _ => Err(bad("an array holding a non-string")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(IsolatePolicy::Named),
            Some(toml::Value::Integer(_)) => Err(bad("an integer")),
            Some(toml::Value::Float(_)) => Err(bad("a float")),
            Some(toml::Value::Datetime(_)) => Err(bad("a datetime")),
            Some(toml::Value::Table(_)) => Err(bad("a table")),
        }
    }

    /// Whether the file at `path` (declaring plugin `plugin`, if known) runs
    /// isolated. A name matches the file name (`libdos_judge_llm.so`), the
    /// path as configured relative to `root`, or the plugin's declared name.
    pub fn covers(&self, root: &Path, path: &Path, plugin: Option<&str>) -> bool {
        match self {
            IsolatePolicy::Nothing => false,
            IsolatePolicy::Everything => true,
            IsolatePolicy::Named(names) => names.iter().any(|n| {
                path.file_name().is_some_and(|f| f == n.as_str())
                    || plugin == Some(n.as_str())
                    || same_file(&root.join(n), path)
            }),
        }
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// The default worker program: this executable when it is `dos` (a test or
/// embedding binary must name one with `PluginHost::set_worker_program`).
pub fn default_worker_program() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let stem = exe.file_stem()?.to_str()?;
    (stem == "dos").then_some(exe)
}

/// One plugin file's worker, shared by every isolated driver of that file.
pub struct Slot {
    file: PathBuf,
    plugin: String,
    worker: Option<WorkerProcess>,
    generation: u64,
    dead: Option<WorkerFault>,
    frame: Vec<u8>,
}

/// The workers of one host, one slot per plugin file.
#[derive(Default)]
pub struct WorkerPool {
    slots: Mutex<HashMap<PathBuf, Arc<Mutex<Slot>>>>,
}

impl WorkerPool {
    /// The slot for `file` (created empty; its worker starts on first use).
    pub fn slot(&self, file: &Path, plugin: &str) -> Arc<Mutex<Slot>> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(slots.entry(file.to_path_buf()).or_insert_with(|| {
            Arc::new(Mutex::new(Slot {
                file: file.to_path_buf(),
                plugin: plugin.to_string(),
                worker: None,
                generation: 0,
                dead: None,
                frame: Vec::with_capacity(4096),
            }))
        }))
    }

    /// Process ids of the live workers (for tests and diagnostics).
    pub fn live_pids(&self) -> Vec<u32> {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots
            .values()
            .filter_map(|s| {
                s.lock()
                    .ok()
                    .and_then(|s| s.worker.as_ref().map(WorkerProcess::pid))
            })
            .collect()
    }
}

/// Where to reach an isolated driver: its file's slot and how to build it.
pub struct IsolatedDriver {
    slot: Arc<Mutex<Slot>>,
    program: Option<PathBuf>,
    group: Group,
    name: String,
    config: String,
    timeout: Option<Duration>,
    bound: Option<(u64, u32)>,
}

fn worker_failure(slot: &Slot, fault: WorkerFault) -> Failure {
    Failure::Worker {
        plugin: slot.plugin.clone(),
        fault,
    }
}

impl IsolatedDriver {
    /// Build the driver `name` of `group` in the worker for `slot`'s file
    /// (starting the worker if needed).
    pub fn construct(
        slot: Arc<Mutex<Slot>>,
        program: Option<PathBuf>,
        group: Group,
        name: &str,
        config: String,
        timeout: Option<Duration>,
    ) -> Result<IsolatedDriver, Failure> {
        let mut d = IsolatedDriver {
            slot,
            program,
            group,
            name: name.to_string(),
            config,
            timeout,
            bound: None,
        };
        let slot = Arc::clone(&d.slot);
        let mut guard = slot.lock().unwrap_or_else(|p| p.into_inner());
        d.ensure(&mut guard)?;
        drop(guard);
        Ok(d)
    }

    /// Start the worker if needed and (re)build this driver in it.
    fn ensure(&mut self, slot: &mut Slot) -> Result<u32, Failure> {
        if slot.worker.is_none() {
            if let Some(f) = &slot.dead {
                return Err(worker_failure(slot, f.clone()));
            }
            let Some(program) = &self.program else {
                let f = WorkerFault::Spawn(
                    "no worker program (this executable is not `dos`; set one with set_worker_program)"
                        .into(),
                );
                return Err(worker_failure(slot, f));
            };
            let startup = self.timeout.map(|t| t.max(MIN_STARTUP));
            match WorkerProcess::spawn(program, &slot.file, startup) {
                Ok(w) => {
                    if let Some(e) = &w.ready.error {
                        let f = WorkerFault::Spawn(format!("the file did not load: {e}"));
                        slot.dead = Some(f.clone());
                        return Err(worker_failure(slot, f));
                    }
                    slot.worker = Some(w);
                    slot.generation += 1;
                }
                Err(f) => {
                    slot.dead = Some(f.clone());
                    return Err(worker_failure(slot, f));
                }
            }
        }
        if let Some((generation, id)) = self.bound {
            if generation == slot.generation {
                return Ok(id);
            }
        }
        let req = protocol::ConstructRequest {
            group: self.group.key().to_string(),
            name: self.name.clone(),
            config: self.config.clone(),
        };
        let json = serde_json::to_vec(&req).map_err(|e| Failure::Invalid(e.to_string()))?;
        protocol::begin_frame(&mut slot.frame, protocol::REQ_CONSTRUCT);
        slot.frame.extend_from_slice(&json);
        protocol::finish_frame(&mut slot.frame);
        let answer = exchange(slot, self.timeout)?;
        let id = match answer {
            Answer::Ok(bytes) => protocol::decode_id(&bytes).map_err(|e| Failure::Invalid(e.to_string()))?,
            Answer::Err(f) => return Err(f),
        };
        self.bound = Some((slot.generation, id));
        Ok(id)
    }

    /// One request: build its frame with `build(frame, driver id)`, send it,
    /// and return the driver's answer text.
    fn request(&mut self, kind: u8, build: impl FnOnce(&mut Vec<u8>, u32)) -> Result<String, Failure> {
        let slot = Arc::clone(&self.slot);
        let mut guard = slot.lock().unwrap_or_else(|p| p.into_inner());
        let id = self.ensure(&mut guard)?;
        protocol::begin_frame(&mut guard.frame, kind);
        build(&mut guard.frame, id);
        protocol::finish_frame(&mut guard.frame);
        match exchange(&mut guard, self.timeout)? {
            Answer::Ok(bytes) => {
                String::from_utf8(bytes).map_err(|e| Failure::Invalid(format!("answer is not UTF-8: {e}")))
            }
            Answer::Err(f) => Err(f),
        }
    }
}

enum Answer {
    Ok(Vec<u8>),
    Err(Failure),
}

/// Send the slot's frame to its worker; a fault kills the worker.
fn exchange(slot: &mut Slot, timeout: Option<Duration>) -> Result<Answer, Failure> {
    let Slot { worker, frame, .. } = slot;
    let Some(w) = worker.as_mut() else {
        return Err(Failure::Invalid("worker missing".into()));
    };
    let outcome = match w.request(frame, timeout) {
        Ok((protocol::RESP_OK, payload)) => Ok(Answer::Ok(payload.to_vec())),
        Ok((protocol::RESP_ERR, payload)) => match protocol::decode_err(payload) {
            Ok((kind, message)) if kind == FfiError::PANICKED => Ok(Answer::Err(Failure::Panicked(message))),
            Ok((_, message)) => Ok(Answer::Err(Failure::Returned(message))),
            Err(e) => Err(WorkerFault::Garbage(e.to_string())),
        },
        Ok((kind, _)) => Err(WorkerFault::Garbage(format!("unexpected frame kind {kind}"))),
        Err(fault) => Err(fault),
    };
    match outcome {
        Ok(a) => Ok(a),
        Err(fault) => {
            // Dropping the process kills and reaps it if it still runs.
            slot.worker = None;
            Err(worker_failure(slot, fault))
        }
    }
}

/// An exporter served by a worker.
pub struct IsolatedExporter(pub IsolatedDriver);

impl ExportBackend for IsolatedExporter {
    fn export(&mut self, events: &[EventRef<'_>]) -> Result<ExportResult, Failure> {
        let text = self.0.request(protocol::REQ_EXPORT, |out, id| {
            protocol::encode_batch(out, id, events)
        })?;
        decode(&text, "ExportResult")
    }
}

fn json_call<T: serde::de::DeserializeOwned>(
    d: &mut IsolatedDriver,
    method: &str,
    input: &str,
    what: &str,
) -> Result<T, Failure> {
    let text = d.request(protocol::REQ_CALL, |out, id| {
        protocol::encode_call(out, id, method, input)
    })?;
    decode(&text, what)
}

/// A notifier served by a worker.
pub struct IsolatedNotifier(pub IsolatedDriver);

impl NotifyBackend for IsolatedNotifier {
    fn send(&mut self, n: &Notification) -> Result<NotifyResult, Failure> {
        let json = serde_json::to_string(n).map_err(|e| Failure::Invalid(e.to_string()))?;
        json_call(&mut self.0, "", &json, "NotifyResult")
    }
}

/// A stop policy served by a worker.
pub struct IsolatedStopPolicy(pub IsolatedDriver);

impl StopBackend for IsolatedStopPolicy {
    fn decide(&mut self, state: &serde_json::Value) -> Result<StopVerdict, Failure> {
        json_call(&mut self.0, "", &state.to_string(), "StopVerdict")
    }
}

/// A judge served by a worker.
pub struct IsolatedJudge(pub IsolatedDriver);

impl JudgeBackend for IsolatedJudge {
    fn rule(&mut self, claim: &Claim) -> Result<JudgeVerdict, Failure> {
        let json = serde_json::to_string(claim).map_err(|e| Failure::Invalid(e.to_string()))?;
        json_call(&mut self.0, "", &json, "JudgeVerdict")
    }
}

/// A generic-channel driver served by a worker.
pub struct IsolatedGeneric(pub IsolatedDriver);

impl GenericBackend for IsolatedGeneric {
    fn call(&mut self, method: &str, input: &serde_json::Value) -> Result<serde_json::Value, Failure> {
        json_call(&mut self.0, method, &input.to_string(), "JSON value")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(text: &str) -> Result<IsolatePolicy, String> {
        let t: toml::Table = text.parse().expect("toml");
        IsolatePolicy::from_toml(t.get("isolate")).map_err(|e| e.to_string())
    }

    #[test]
    fn isolate_setting_table() {
        assert_eq!(policy(""), Ok(IsolatePolicy::Nothing));
        assert_eq!(policy("isolate = false"), Ok(IsolatePolicy::Nothing));
        assert_eq!(policy("isolate = true"), Ok(IsolatePolicy::Everything));
        assert_eq!(
            policy("isolate = [\"libdos_judge_llm.so\"]"),
            Ok(IsolatePolicy::Named(vec!["libdos_judge_llm.so".into()]))
        );
        assert_eq!(
            policy("isolate = 3"),
            Err("dos.toml: `plugins.isolate` must be a boolean or an array of plugin file names, found an integer".into())
        );
    }

    #[test]
    fn names_match_file_plugin_or_path() {
        let p = IsolatePolicy::Named(vec![
            "libdos_judge_llm.so".into(),
            "dos-crashy".into(),
            "plug/x.so".into(),
        ]);
        let root = Path::new("/ws");
        assert!(p.covers(root, Path::new("/a/libdos_judge_llm.so"), None));
        assert!(p.covers(root, Path::new("/a/libother.so"), Some("dos-crashy")));
        assert!(p.covers(root, Path::new("/ws/plug/x.so"), None));
        assert!(!p.covers(root, Path::new("/a/libother.so"), Some("other")));
        assert!(IsolatePolicy::Everything.covers(root, Path::new("/x.so"), None));
        assert!(!IsolatePolicy::Nothing.covers(root, Path::new("/x.so"), None));
    }
}
