//! `dos-plugin-host`: finds plugin files, loads them lazily (once per
//! process), resolves drivers by name with the built-ins first, and hands
//! out fail-soft handles; runs isolated plugins in workers, quarantines
//! repeat crashers, keeps in-flight markers and handles operator signals.
//!
//! All of the host's `unsafe` lives here (the marker mapping and the signal
//! handler, each block with its SAFETY comment). It depends on `dos-core`
//! (workspace, configuration) and `dos-plugin-api`, and may not depend on
//! `dos-hook` or the `dos` binary: the binary plugs it into the kernel's
//! seams, never the kernel into it.
//!
//! Resolution replicates the reference's entry-point groups: a built-in
//! baseline per group that no plugin can shadow, then plugins in search order
//! (first claim wins; later claims are reported as conflicts). An unknown name
//! is a loud error listing the known names; calling a resolved driver never
//! fails.
//!
//! Containment: files named by `[plugins] isolate` (or all of them with
//! `isolate = true`, `--isolate`, or [`PluginHost::set_isolate_all`]) are
//! served by a worker process ([`isolate`]); every other file is pre-checked
//! in a worker before it is loaded in-process ([`precheck`]), and in-process
//! calls are noted in a crash journal that quarantines repeat offenders
//! ([`quarantine`]).

// The kernel modules the plugin host reads, at the paths they had when the
// plugin host was a module of the kernel's crate.
use dos_core::{config, workspace};

pub mod batch;
pub mod builtins;
pub mod discovery;
pub mod failsoft;
pub mod handles;
pub mod inflight;
pub mod isolate;
pub mod loader;
// The in-flight marker's shared mapping (mmap/munmap, atomic stores into
// it): every block carries its SAFETY comment.
#[allow(unsafe_code)]
mod marker_file;
pub mod precheck;
pub mod quarantine;
// The operator-signal handler (sigaction query, handler registration, the
// leaked marker paths it unlinks): every block carries its SAFETY comment.
#[allow(unsafe_code)]
pub mod signals;
pub mod stdout_guard;

pub use batch::EventBatch;

use crate::config::{Config, ConfigError};
use crate::workspace::Workspace;
use abi_stable::std_types::{RErr, ROk, RStr};
use builtins::BuiltinDriver;
use discovery::SearchEntry;
use dos_plugin_api::{DriverConfig, FfiResult, Group, PluginRoot_Ref};
use failsoft::{Caller, Failure};
use handles::{
    DriverInfo, DriverSource, ExportBackend, ExporterHandle, GenericBackend, GenericHandle, JudgeBackend,
    JudgeHandle, NotifierHandle, NotifyBackend, StopBackend, StopPolicyHandle,
};
use isolate::{
    IsolatePolicy, IsolatedDriver, IsolatedExporter, IsolatedGeneric, IsolatedJudge, IsolatedNotifier,
    IsolatedStopPolicy, WorkerPool,
};
use loader::LoadedPlugin;
use quarantine::{Book, Flight, InFlightEntry, InFlightMarker, Standing};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

static ISOLATE_ALL: AtomicBool = AtomicBool::new(false);

/// Ask every plugin host created later in this process to isolate all
/// plugin files (what the global `--isolate` flag does).
pub fn request_isolation_for_process(on: bool) {
    ISOLATE_ALL.store(on, Ordering::SeqCst);
}

/// Default per-call deadline when `[plugins] call_timeout_ms` is not set.
pub const DEFAULT_CALL_TIMEOUT_MS: u64 = 10_000;

/// A name could not be resolved to a driver.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// No built-in and no loaded plugin provides the name.
    #[error("unknown {noun} '{name}'; known: {known}")]
    Unknown {
        /// Group noun (`exporter`).
        noun: &'static str,
        /// The requested name.
        name: String,
        /// Sorted, comma-separated known names.
        known: String,
    },
    /// Only a plugin file that failed to load would have provided the name.
    #[error("{noun} '{name}' is provided only by {path}, which failed to load: {reason}")]
    Broken {
        /// Group noun.
        noun: &'static str,
        /// The requested name.
        name: String,
        /// The broken file.
        path: String,
        /// Why it failed.
        reason: String,
    },
}

/// A plugin file that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadFailure {
    /// The file.
    pub path: PathBuf,
    /// Why (one line).
    pub reason: String,
    /// Skipped because it is quarantined (not because it failed to load).
    pub quarantined: bool,
    /// The drivers it is known to provide (from an earlier pre-check), so
    /// naming one explains the failure instead of "unknown".
    pub provides: Vec<(Group, String)>,
}

/// Two plugins (or a plugin and a built-in) claiming one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The group.
    pub group: Group,
    /// The contested name.
    pub name: String,
    /// Who provides it (`built-in` or the first file).
    pub winner: String,
    /// The file whose claim is ignored.
    pub ignored: PathBuf,
}

/// Everything the search path yielded, loaded.
#[derive(Debug, Default)]
pub struct Inventory {
    /// Plugins that loaded, in search order.
    pub plugins: Vec<Arc<LoadedPlugin>>,
    /// Files that did not.
    pub failures: Vec<LoadFailure>,
    /// The provider of each plugin-supplied (group, name).
    pub providers: BTreeMap<(Group, String), Arc<LoadedPlugin>>,
    /// Ignored claims.
    pub conflicts: Vec<Conflict>,
    /// Crash reports about earlier runs (one warning line each).
    pub notes: Vec<String>,
}

/// The plugin host for one command run.
pub struct PluginHost {
    root: PathBuf,
    state_dir: PathBuf,
    search: Vec<SearchEntry>,
    timeout: Option<Duration>,
    tables: Map<String, Value>,
    emit_warnings: bool,
    inventory: OnceLock<Inventory>,
    isolate: IsolatePolicy,
    isolate_all: bool,
    worker_program: Option<PathBuf>,
    precheck: bool,
    quarantine_after: u64,
    marker: Arc<InFlightMarker>,
    workers: WorkerPool,
}

impl PluginHost {
    /// A host for `ws`: its `[plugins]` table, `$DOS_PLUGIN_PATH`, and the
    /// executable's directory. Warnings go to stderr when `emit_warnings`.
    pub fn for_workspace(ws: &Workspace, emit_warnings: bool) -> Result<PluginHost, ConfigError> {
        let configured = ws.config.strings("plugins", "paths")?.unwrap_or_default();
        let timeout_ms = ws
            .config
            .uint("plugins", "call_timeout_ms")?
            .unwrap_or(DEFAULT_CALL_TIMEOUT_MS);
        let env = std::env::var("DOS_PLUGIN_PATH").ok();
        let default_dir = ws.config.boolean("plugins", "default_dir")?.unwrap_or(true);
        let search = discovery::search_path(&ws.root, &configured, env.as_deref(), default_dir);
        let mut tables = Map::new();
        for group in Group::ALL {
            if let Some(t) = ws.config.table(group.key())? {
                tables.insert(group.key().into(), Value::Object(Config::table_as_json(t)));
            }
        }
        let isolate = IsolatePolicy::from_toml(ws.config.table("plugins")?.and_then(|t| t.get("isolate")))?;
        let precheck = ws.config.boolean("plugins", "precheck")?.unwrap_or(true);
        let quarantine_after = ws
            .config
            .uint("plugins", "quarantine_after")?
            .unwrap_or(quarantine::DEFAULT_QUARANTINE_AFTER);
        Ok(PluginHost {
            root: ws.root.clone(),
            state_dir: ws.state_dir.clone(),
            search,
            timeout: (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms)),
            tables,
            emit_warnings,
            inventory: OnceLock::new(),
            isolate,
            isolate_all: ISOLATE_ALL.load(Ordering::SeqCst),
            worker_program: isolate::default_worker_program(),
            precheck,
            quarantine_after,
            marker: InFlightMarker::new(&ws.state_dir),
            workers: WorkerPool::default(),
        })
    }

    /// Run every plugin file in a worker process (the `--isolate` flag).
    /// Call before resolving drivers.
    pub fn set_isolate_all(&mut self, on: bool) {
        self.isolate_all = on;
    }

    /// The program started as `PROGRAM __plugin-worker FILE` for isolated
    /// files and pre-checks (default: this executable when it is `dos`;
    /// `None` turns pre-checks off and makes isolated drivers fail soft).
    pub fn set_worker_program(&mut self, program: Option<PathBuf>) {
        self.worker_program = program;
    }

    /// Whether the file of `p` is served by a worker.
    pub fn is_isolated(&self, p: &LoadedPlugin) -> bool {
        self.isolate_all || self.isolate.covers(&self.root, &p.path, Some(&p.manifest.name))
    }

    /// Process ids of this host's live workers.
    pub fn worker_pids(&self) -> Vec<u32> {
        self.workers.live_pids()
    }

    fn flight(&self, p: &LoadedPlugin, what: String) -> Option<Flight> {
        (self.quarantine_after > 0).then(|| {
            Flight::new(
                &self.marker,
                &InFlightEntry {
                    path: p.path.display().to_string(),
                    plugin: p.manifest.name.clone(),
                    what,
                },
            )
        })
    }

    /// Override the per-call deadline (`None` = call directly, no deadline).
    pub fn set_call_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    /// The per-call deadline in force.
    pub fn call_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Load every plugin on the search path (once) and index its drivers.
    pub fn inventory(&self) -> &Inventory {
        self.inventory.get_or_init(|| {
            let inv = self.build_contained_inventory();
            if self.emit_warnings {
                for w in warning_lines(&inv) {
                    eprintln!("{w}");
                }
            }
            inv
        })
    }

    /// The sorted union of built-in and plugin names in `group`.
    pub fn known_names(&self, group: Group) -> Vec<String> {
        let mut names: Vec<String> = builtins::names(group).into_iter().map(String::from).collect();
        names.extend(
            self.inventory()
                .providers
                .keys()
                .filter(|(g, _)| *g == group)
                .map(|(_, n)| n.clone()),
        );
        names.sort();
        names.dedup();
        names
    }

    /// The configuration handed to a driver: its `dos.toml` table, overlaid
    /// with the CLI options that were given, plus `root` and `state_dir`.
    pub fn driver_config(&self, group: Group, name: &str, bag: &Map<String, Value>) -> DriverConfig {
        let mut cfg = match self.tables.get(group.key()).and_then(|t| t.get(name)) {
            Some(Value::Object(t)) => t.clone(),
            _ => Map::new(),
        };
        for (k, v) in bag {
            cfg.insert(k.clone(), v.clone());
        }
        cfg.insert("root".into(), Value::String(self.root.display().to_string()));
        cfg.insert(
            "state_dir".into(),
            Value::String(self.state_dir.display().to_string()),
        );
        DriverConfig(cfg)
    }

    fn locate(&self, group: Group, name: &str) -> Result<Located, ResolveError> {
        if let Some(b) = builtins::find(group, name) {
            return Ok(Located::Builtin(b));
        }
        let inv = self.inventory();
        if let Some(p) = inv.providers.get(&(group, name.to_string())) {
            return Ok(Located::Plugin(Arc::clone(p)));
        }
        if let Some(f) = inv.failures.iter().find(|f| {
            f.provides.iter().any(|(g, n)| *g == group && n == name)
                || discovery::inferred_driver(&f.path).is_some_and(|(g, n)| g == group && n == name)
        }) {
            return Err(ResolveError::Broken {
                noun: group.noun(),
                name: name.into(),
                path: f.path.display().to_string(),
                reason: f.reason.clone(),
            });
        }
        Err(ResolveError::Unknown {
            noun: group.noun(),
            name: name.into(),
            known: self.known_names(group).join(", "),
        })
    }

    /// The in-process root of `p`, loading it now if the inventory only
    /// pre-checked it for a worker.
    fn in_process_root(
        &self,
        p: &LoadedPlugin,
        group: Group,
        name: &str,
    ) -> Result<PluginRoot_Ref, ResolveError> {
        if let Some(root) = p.root {
            return Ok(root);
        }
        let flight = self.flight(p, "load".into());
        let _in_flight = flight.as_ref().map(Flight::enter);
        let _stdout = stdout_guard::redirect();
        match loader::load(&p.path) {
            Ok(loaded) => loaded.root.ok_or_else(|| ResolveError::Broken {
                noun: group.noun(),
                name: name.into(),
                path: p.path.display().to_string(),
                reason: "no root module".into(),
            }),
            Err(e) => Err(ResolveError::Broken {
                noun: group.noun(),
                name: name.into(),
                path: p.path.display().to_string(),
                reason: e.0,
            }),
        }
    }

    fn isolated_caller<D: ?Sized + Send + 'static>(
        &self,
        p: &LoadedPlugin,
        group: Group,
        name: &str,
        cfg: DriverConfig,
        wrap: fn(IsolatedDriver) -> Box<D>,
    ) -> Caller<D> {
        let slot = self.workers.slot(&p.path, &p.manifest.name);
        let program = self.worker_program.clone();
        let timeout = self.timeout;
        let owned_name = name.to_string();
        let json = Value::Object(cfg.0).to_string();
        // The worker enforces the deadline (and kills on it), so the call
        // runs on this thread with no timeout of its own.
        Caller::construct(None, move || {
            IsolatedDriver::construct(slot, program, group, &owned_name, json, timeout).map(wrap)
        })
    }

    fn resolve<D: ?Sized + Send + 'static>(
        &self,
        group: Group,
        name: &str,
        bag: &Map<String, Value>,
        from_builtin: fn(BuiltinDriver) -> Option<Box<D>>,
        from_plugin: fn(PluginRoot_Ref, RStr<'_>, RStr<'_>) -> FfiResult<Box<D>>,
        isolated: fn(IsolatedDriver) -> Box<D>,
    ) -> Result<(DriverInfo, Caller<D>), ResolveError> {
        let located = self.locate(group, name)?;
        let cfg = self.driver_config(group, name, bag);
        let (source, caller) = match located {
            Located::Builtin(b) => {
                let make = b.make;
                let caller = Caller::construct(self.timeout, move || {
                    from_builtin(make(&cfg))
                        .ok_or_else(|| Failure::Invalid("built-in of the wrong group".into()))
                });
                (DriverSource::Builtin, caller)
            }
            Located::Plugin(p) if self.is_isolated(&p) => {
                let caller = self.isolated_caller(&p, group, name, cfg, isolated);
                (plugin_source(&p), caller)
            }
            Located::Plugin(p) => {
                let root = self.in_process_root(&p, group, name)?;
                let owned_name = name.to_string();
                let json = Value::Object(cfg.0).to_string();
                let flight = self.flight(&p, format!("{} '{}'", group.noun(), name));
                let caller = Caller::construct_marked(self.timeout, flight, move || {
                    match from_plugin(root, RStr::from(owned_name.as_str()), RStr::from(json.as_str())) {
                        ROk(d) => Ok(d),
                        RErr(e) => Err(Failure::from_ffi(e)),
                    }
                });
                (plugin_source(&p), caller)
            }
        };
        let info = DriverInfo {
            group,
            name: name.to_string(),
            source,
        };
        if let (Some(f), true) = (caller.broken(), self.emit_warnings) {
            eprintln!(
                "warning: {} '{}' from {} failed to construct ({}); its calls degrade to the safe result",
                group.noun(),
                name,
                info.source.label(),
                f.cause()
            );
        }
        Ok((info, caller))
    }

    /// Resolve the exporter `name` with the CLI option bag `bag`.
    pub fn exporter(&self, name: &str, bag: &Map<String, Value>) -> Result<ExporterHandle, ResolveError> {
        let (info, caller) = self.resolve::<dyn ExportBackend>(
            Group::Exporters,
            name,
            bag,
            |b| match b {
                BuiltinDriver::Exporter(e) => Some(Box::new(e)),
                _ => None,
            },
            |root, n, c| (root.new_exporter())(n, c).map(|d| Box::new(d) as Box<dyn ExportBackend>),
            |d| Box::new(IsolatedExporter(d)),
        )?;
        Ok(ExporterHandle::new(info, caller))
    }

    /// Resolve the notifier `name`.
    pub fn notifier(&self, name: &str, bag: &Map<String, Value>) -> Result<NotifierHandle, ResolveError> {
        let (info, caller) = self.resolve::<dyn NotifyBackend>(
            Group::Notifiers,
            name,
            bag,
            |b| match b {
                BuiltinDriver::Notifier(n) => Some(Box::new(n)),
                _ => None,
            },
            |root, n, c| (root.new_notifier())(n, c).map(|d| Box::new(d) as Box<dyn NotifyBackend>),
            |d| Box::new(IsolatedNotifier(d)),
        )?;
        Ok(NotifierHandle::new(info, caller))
    }

    /// Resolve the stop policy `name`.
    pub fn stop_policy(
        &self,
        name: &str,
        bag: &Map<String, Value>,
    ) -> Result<StopPolicyHandle, ResolveError> {
        let (info, caller) = self.resolve::<dyn StopBackend>(
            Group::StopPolicies,
            name,
            bag,
            |b| match b {
                BuiltinDriver::StopPolicy(p) => Some(Box::new(p)),
                _ => None,
            },
            |root, n, c| (root.new_stop_policy())(n, c).map(|d| Box::new(d) as Box<dyn StopBackend>),
            |d| Box::new(IsolatedStopPolicy(d)),
        )?;
        Ok(StopPolicyHandle::new(info, caller))
    }

    /// Resolve the judge `name`.
    pub fn judge(&self, name: &str, bag: &Map<String, Value>) -> Result<JudgeHandle, ResolveError> {
        let (info, caller) = self.resolve::<dyn JudgeBackend>(
            Group::Judges,
            name,
            bag,
            |b| match b {
                BuiltinDriver::Judge(j) => Some(Box::new(j)),
                _ => None,
            },
            |root, n, c| (root.new_judge())(n, c).map(|d| Box::new(d) as Box<dyn JudgeBackend>),
            |d| Box::new(IsolatedJudge(d)),
        )?;
        Ok(JudgeHandle::new(info, caller))
    }

    /// Resolve a driver of a generic-channel group (e.g. evidence sources).
    pub fn generic(
        &self,
        group: Group,
        name: &str,
        bag: &Map<String, Value>,
    ) -> Result<GenericHandle, ResolveError> {
        let located = self.locate(group, name)?;
        let Located::Plugin(p) = located else {
            return Err(ResolveError::Unknown {
                noun: group.noun(),
                name: name.into(),
                known: self.known_names(group).join(", "),
            });
        };
        let cfg = self.driver_config(group, name, bag);
        let caller: Caller<dyn GenericBackend> = if self.is_isolated(&p) {
            self.isolated_caller(&p, group, name, cfg, |d| Box::new(IsolatedGeneric(d)))
        } else {
            let root = self.in_process_root(&p, group, name)?;
            let (owned_group, owned_name) = (group.key().to_string(), name.to_string());
            let json = Value::Object(cfg.0).to_string();
            let flight = self.flight(&p, format!("{} '{}'", group.noun(), name));
            Caller::construct_marked(self.timeout, flight, move || {
                match (root.new_driver())(
                    RStr::from(owned_group.as_str()),
                    RStr::from(owned_name.as_str()),
                    RStr::from(json.as_str()),
                ) {
                    ROk(d) => Ok(Box::new(d) as Box<dyn GenericBackend>),
                    RErr(e) => Err(Failure::from_ffi(e)),
                }
            })
        };
        let source = plugin_source(&p);
        Ok(GenericHandle::new(
            DriverInfo {
                group,
                name: name.into(),
                source,
            },
            caller,
        ))
    }
}

enum Located {
    Builtin(&'static builtins::Builtin),
    Plugin(Arc<LoadedPlugin>),
}

fn plugin_source(p: &LoadedPlugin) -> DriverSource {
    DriverSource::Plugin {
        path: p.path.clone(),
        plugin: p.manifest.name.clone(),
        version: p.manifest.version.clone(),
        api_version: p.manifest.api_version.clone(),
    }
}

fn declared(m: &dos_plugin_api::Manifest) -> Vec<(Group, String)> {
    m.drivers
        .iter()
        .filter_map(|d| Group::from_key(&d.group).map(|g| (g, d.name.clone())))
        .collect()
}

fn failure(path: PathBuf, reason: impl Into<String>) -> LoadFailure {
    LoadFailure {
        path,
        reason: reason.into(),
        quarantined: false,
        provides: Vec::new(),
    }
}

/// Index the drivers `p` declares into `inv` (first claim wins).
fn register(inv: &mut Inventory, p: Arc<LoadedPlugin>) {
    for decl in &p.manifest.drivers {
        let Some(group) = Group::from_key(&decl.group) else {
            continue;
        };
        if builtins::find(group, &decl.name).is_some() {
            inv.conflicts.push(Conflict {
                group,
                name: decl.name.clone(),
                winner: "built-in".into(),
                ignored: p.path.clone(),
            });
            continue;
        }
        let key = (group, decl.name.clone());
        match inv.providers.get(&key) {
            Some(first) if !Arc::ptr_eq(first, &p) => inv.conflicts.push(Conflict {
                group,
                name: decl.name.clone(),
                winner: first.path.display().to_string(),
                ignored: p.path.clone(),
            }),
            Some(_) => {}
            None => {
                inv.providers.insert(key, Arc::clone(&p));
            }
        }
    }
    if !inv.plugins.iter().any(|q| Arc::ptr_eq(q, &p)) {
        inv.plugins.push(p);
    }
}

/// Load every candidate on `search` in-process (no pre-check, isolation or
/// quarantine) and index the drivers they declare.
pub fn build_inventory(search: &[SearchEntry]) -> Inventory {
    let mut inv = Inventory::default();
    for candidate in discovery::candidates(search) {
        if candidate.explicit && !candidate.path.exists() {
            inv.failures.push(failure(candidate.path, "no such file"));
            continue;
        }
        match loader::load(&candidate.path) {
            Ok(p) => register(&mut inv, p),
            Err(e) => inv.failures.push(failure(candidate.path, e.0)),
        }
    }
    inv
}

impl PluginHost {
    /// The inventory with containment: report runs that died inside a
    /// plugin, skip quarantined files, pre-check files in a worker (cached),
    /// and load in-process only the files that are not isolated.
    fn build_contained_inventory(&self) -> Inventory {
        let mut inv = Inventory::default();
        let mut book = Book::default();
        if self.quarantine_after > 0 {
            match Book::load(&self.state_dir) {
                // The book and the dead runs' markers stay untouched for a
                // run that can read it: nothing is lost.
                Err(e) => inv
                    .notes
                    .push(format!("warning: {e}; crash records are not updated this run")),
                Ok(loaded) => {
                    book = loaded;
                    let dead = quarantine::collect_dead_runs(&self.state_dir);
                    if !dead.is_empty() {
                        inv.notes = book.record(&dead, self.quarantine_after);
                        if let Err(e) = book.save(&self.state_dir) {
                            inv.notes.push(format!(
                                "warning: cannot write {}: {e}",
                                quarantine::book_path(&self.state_dir).display()
                            ));
                        }
                    }
                }
            }
        }
        let mut cache = precheck::PrecheckCache::load(&self.state_dir);
        let mut usable = Vec::new();
        for candidate in discovery::candidates(&self.search) {
            if candidate.explicit && !candidate.path.exists() {
                inv.failures.push(failure(candidate.path, "no such file"));
                continue;
            }
            if let Some(rec) = book.get(&candidate.path) {
                if let Standing::Quarantined { crashes } =
                    quarantine::standing(rec.crashes, self.quarantine_after)
                {
                    let name = quarantine::reset_name(&candidate.path.display().to_string());
                    inv.failures.push(LoadFailure {
                        provides: cache.lookup(&candidate.path).map(declared).unwrap_or_default(),
                        path: candidate.path,
                        reason: format!(
                            "quarantined after crashing the host {crashes} time(s) (last: {}); \
                             run `dos plugins reset {name}` to re-enable it",
                            rec.last
                        ),
                        quarantined: true,
                    });
                    continue;
                }
            }
            usable.push(candidate.path);
        }
        // Pre-check (in parallel) every file not already known to load.
        let by_path = self.isolate_all || self.isolate != IsolatePolicy::Nothing;
        let wants_check = |path: &PathBuf| {
            self.precheck || (by_path && (self.isolate_all || self.isolate.covers(&self.root, path, None)))
        };
        let mut manifests: Vec<Option<Result<dos_plugin_api::Manifest, String>>> = usable
            .iter()
            .map(|path| cache.lookup(path).cloned().map(Ok))
            .collect();
        if let Some(program) = &self.worker_program {
            let todo: Vec<usize> = (0..usable.len())
                .filter(|i| manifests[*i].is_none() && wants_check(&usable[*i]))
                .collect();
            let files: Vec<PathBuf> = todo.iter().map(|i| usable[*i].clone()).collect();
            let startup = Some(
                self.timeout
                    .unwrap_or(isolate::MIN_STARTUP)
                    .max(isolate::MIN_STARTUP),
            );
            for (i, outcome) in todo
                .into_iter()
                .zip(precheck::check_many(program, &files, startup))
            {
                if let Ok(m) = &outcome {
                    cache.insert(&usable[i], m);
                }
                manifests[i] = Some(outcome);
            }
            cache.save_if_changed(&self.state_dir);
        }
        for (path, checked) in usable.into_iter().zip(manifests) {
            let outcome = match checked {
                Some(Err(reason)) => Err(reason),
                Some(Ok(manifest)) => {
                    let pre = LoadedPlugin {
                        path: path.clone(),
                        root: None,
                        manifest,
                    };
                    if self.is_isolated(&pre) {
                        Ok(Arc::new(pre))
                    } else {
                        self.load_in_process(&pre)
                    }
                }
                None => {
                    let unknown = LoadedPlugin {
                        path: path.clone(),
                        root: None,
                        manifest: dos_plugin_api::Manifest {
                            name: String::new(),
                            version: String::new(),
                            api_version: String::new(),
                            drivers: Vec::new(),
                        },
                    };
                    if self.isolate_all || self.isolate.covers(&self.root, &path, None) {
                        Err("isolation requested but no worker program is available to pre-check it".into())
                    } else {
                        self.load_in_process(&unknown)
                    }
                }
            };
            match outcome {
                Ok(p) => register(&mut inv, p),
                Err(reason) => inv.failures.push(failure(path, reason)),
            }
        }
        inv
    }

    fn load_in_process(&self, p: &LoadedPlugin) -> Result<Arc<LoadedPlugin>, String> {
        let flight = self.flight(p, "load".into());
        let _in_flight = flight.as_ref().map(Flight::enter);
        let _stdout = stdout_guard::redirect();
        loader::load(&p.path).map_err(|e| e.0)
    }
}

/// One stderr line per crash report, unusable file and conflict.
pub fn warning_lines(inv: &Inventory) -> Vec<String> {
    let mut out: Vec<String> = inv.notes.clone();
    out.extend(inv.failures.iter().map(|f| {
        if f.quarantined {
            format!(
                "warning: plugin file '{}' is {}; skipping",
                f.path.display(),
                f.reason
            )
        } else {
            format!(
                "warning: plugin file '{}' failed to load ({}); skipping",
                f.path.display(),
                f.reason
            )
        }
    }));
    out.extend(inv.conflicts.iter().map(|c| {
        format!(
            "warning: {} '{}' is already provided by {}; ignoring the one in '{}'",
            c.group.noun(),
            c.name,
            c.winner,
            c.ignored.display()
        )
    }));
    out
}
