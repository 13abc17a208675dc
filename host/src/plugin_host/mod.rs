//! The plugin host: finds plugin files, loads them lazily (once per process),
//! resolves drivers by name with the built-ins first, and hands out fail-soft
//! handles.
//!
//! Resolution replicates the reference's entry-point groups: a built-in
//! baseline per group that no plugin can shadow, then plugins in search order
//! (first claim wins; later claims are reported as conflicts). An unknown name
//! is a loud error listing the known names; calling a resolved driver never
//! fails.

pub mod batch;
pub mod builtins;
pub mod discovery;
pub mod failsoft;
pub mod handles;
pub mod loader;

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
use loader::LoadedPlugin;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

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
        Ok(PluginHost {
            root: ws.root.clone(),
            state_dir: ws.state_dir.clone(),
            search,
            timeout: (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms)),
            tables,
            emit_warnings,
            inventory: OnceLock::new(),
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
            let inv = build_inventory(&self.search);
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
        if let Some(f) = inv
            .failures
            .iter()
            .find(|f| discovery::inferred_driver(&f.path).is_some_and(|(g, n)| g == group && n == name))
        {
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

    fn resolve<D: ?Sized + Send + 'static>(
        &self,
        group: Group,
        name: &str,
        bag: &Map<String, Value>,
        from_builtin: fn(BuiltinDriver) -> Option<Box<D>>,
        from_plugin: fn(PluginRoot_Ref, RStr<'_>, RStr<'_>) -> FfiResult<Box<D>>,
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
            Located::Plugin(p) => {
                let root = p.root;
                let owned_name = name.to_string();
                let json = Value::Object(cfg.0).to_string();
                let caller = Caller::construct(self.timeout, move || {
                    match from_plugin(root, RStr::from(owned_name.as_str()), RStr::from(json.as_str())) {
                        ROk(d) => Ok(d),
                        RErr(e) => Err(Failure::from_ffi(e)),
                    }
                });
                let source = DriverSource::Plugin {
                    path: p.path.clone(),
                    plugin: p.manifest.name.clone(),
                    version: p.manifest.version.clone(),
                    api_version: p.manifest.api_version.clone(),
                };
                (source, caller)
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
        let (root, owned_group, owned_name) = (p.root, group.key().to_string(), name.to_string());
        let json = Value::Object(cfg.0).to_string();
        let caller: Caller<dyn GenericBackend> = Caller::construct(self.timeout, move || {
            match (root.new_driver())(
                RStr::from(owned_group.as_str()),
                RStr::from(owned_name.as_str()),
                RStr::from(json.as_str()),
            ) {
                ROk(d) => Ok(Box::new(d) as Box<dyn GenericBackend>),
                RErr(e) => Err(Failure::from_ffi(e)),
            }
        });
        let source = DriverSource::Plugin {
            path: p.path.clone(),
            plugin: p.manifest.name.clone(),
            version: p.manifest.version.clone(),
            api_version: p.manifest.api_version.clone(),
        };
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

/// Load every candidate on `search` and index the drivers they declare.
pub fn build_inventory(search: &[SearchEntry]) -> Inventory {
    let mut inv = Inventory::default();
    for candidate in discovery::candidates(search) {
        if candidate.explicit && !candidate.path.exists() {
            inv.failures.push(LoadFailure {
                path: candidate.path,
                reason: "no such file".into(),
            });
            continue;
        }
        match loader::load(&candidate.path) {
            Ok(p) => {
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
            Err(e) => inv.failures.push(LoadFailure {
                path: candidate.path,
                reason: e.0,
            }),
        }
    }
    inv
}

/// One stderr line per unusable file and per conflict.
pub fn warning_lines(inv: &Inventory) -> Vec<String> {
    let mut out: Vec<String> = inv
        .failures
        .iter()
        .map(|f| {
            format!(
                "warning: plugin file '{}' failed to load ({}); skipping",
                f.path.display(),
                f.reason
            )
        })
        .collect();
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
