//! `dos plugins check FILE --construct`: build every driver the file
//! declares with the configuration the host would hand it (the workspace's
//! `dos.toml` table plus `root` and `state_dir`) and report each
//! constructor's outcome — so a wrong-typed key or a panicking constructor
//! shows up before the first real run.

use crate::config::Config;
use crate::plugin_host::loader::LoadedPlugin;
use crate::plugin_host::PluginHost;
use crate::workspace::Workspace;
use abi_stable::std_types::{RErr, ROk};
use dos_plugin_api::{FfiError, FfiResult, Group};
use serde_json::{Map, Value};

/// One constructor's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Built {
    /// The group key.
    pub group: String,
    /// The driver name.
    pub name: String,
    /// Whether the workspace's dos.toml has a `[group.name]` table.
    pub has_table: bool,
    /// `None` when the constructor returned a driver; else why not.
    pub error: Option<String>,
}

fn outcome<T>(r: FfiResult<T>) -> Option<String> {
    match r {
        ROk(_driver) => None,
        RErr(e) if e.kind == FfiError::PANICKED => Some(format!("constructor panicked: {}", e.message)),
        RErr(e) => Some(format!("constructor failed: {}", e.message)),
    }
}

/// The configuration the host would hand `group/name`, and whether a
/// `dos.toml` table contributed to it.
fn config_for(host: &PluginHost, ws: &Workspace, group: &str, name: &str) -> (Map<String, Value>, bool) {
    let table = ws
        .config
        .table(group)
        .ok()
        .flatten()
        .and_then(|t| t.get(name))
        .and_then(|v| v.as_table())
        .map(Config::table_as_json);
    let has_table = table.is_some();
    let cfg = match Group::from_key(group) {
        Some(g) => host.driver_config(g, name, &Map::new()).0,
        // A group this host does not know: the table plus the host's keys,
        // as `driver_config` builds them for the known groups.
        None => {
            let mut m = table.unwrap_or_default();
            m.insert("root".into(), Value::String(ws.root.display().to_string()));
            m.insert(
                "state_dir".into(),
                Value::String(ws.state_dir.display().to_string()),
            );
            m
        }
    };
    (cfg, has_table)
}

/// Construct every driver `plugin` declares; drivers are dropped at once.
pub(super) fn construct_all(plugin: &LoadedPlugin, host: &PluginHost, ws: &Workspace) -> Vec<Built> {
    let Some(root) = plugin.root else {
        return Vec::new();
    };
    plugin
        .manifest
        .drivers
        .iter()
        .map(|d| {
            let (cfg, has_table) = config_for(host, ws, &d.group, &d.name);
            let text = Value::Object(cfg).to_string();
            let (name, cfg) = (d.name.as_str().into(), text.as_str().into());
            let error = match Group::from_key(&d.group) {
                Some(Group::Exporters) => outcome((root.new_exporter())(name, cfg)),
                Some(Group::Notifiers) => outcome((root.new_notifier())(name, cfg)),
                Some(Group::StopPolicies) => outcome((root.new_stop_policy())(name, cfg)),
                Some(Group::Judges) => outcome((root.new_judge())(name, cfg)),
                Some(Group::EvidenceSources | Group::HookDialects | Group::HookInstalls) | None => {
                    outcome((root.new_driver())(d.group.as_str().into(), name, cfg))
                }
            };
            Built {
                group: d.group.clone(),
                name: d.name.clone(),
                has_table,
                error,
            }
        })
        .collect()
}
