//! The lane taxonomy from `dos.toml [lanes]`: which lanes exist, which run
//! concurrently, which alone, and their file trees.

use crate::workspace::Workspace;
use dos_py::toml_value::toml_type_name as type_name;
use std::collections::BTreeMap;
use toml::Value;

/// The declared lanes (`[lanes]` replaces the default when present and non-empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    /// Lanes that may run in parallel when their trees are disjoint.
    pub concurrent: Vec<String>,
    /// Lanes that run alone.
    pub exclusive: Vec<String>,
    /// The bare-request walk order (repeatable auto-pick handles).
    pub autopick: Vec<String>,
    /// Each lane's file globs.
    pub trees: BTreeMap<String, Vec<String>>,
}

/// A malformed `[lanes]` table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RosterError(pub String);

impl Default for Roster {
    /// The generic workspace: `main` (concurrent, auto-pick) and `global`
    /// (exclusive), both `**/*`.
    fn default() -> Self {
        let all = vec!["**/*".to_string()];
        Roster {
            concurrent: vec!["main".into()],
            exclusive: vec!["global".into()],
            autopick: vec!["main".into()],
            trees: [("main".to_string(), all.clone()), ("global".to_string(), all)]
                .into_iter()
                .collect(),
        }
    }
}

fn str_list(v: Option<&Value>, what: &str) -> Result<Vec<String>, RosterError> {
    match v {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                other => Err(RosterError(format!(
                    "{what} must be a list of strings; got a {} element",
                    type_name(other)
                ))),
            })
            .collect(),
        Some(other) => Err(RosterError(format!(
            "{what} must be a list of strings, got {}",
            type_name(other)
        ))),
    }
}

impl Roster {
    /// Read `[lanes]` from the workspace configuration.
    pub fn from_workspace(ws: &Workspace) -> Result<Roster, RosterError> {
        match ws.config.table("lanes") {
            Ok(Some(t)) if !t.is_empty() => Roster::from_table(t),
            Ok(_) => Ok(Roster::default()),
            Err(e) => Err(RosterError(e.to_string())),
        }
    }

    /// Parse a `[lanes]` table.
    pub fn from_table(t: &toml::Table) -> Result<Roster, RosterError> {
        let mut trees = BTreeMap::new();
        match t.get("trees") {
            None => {}
            Some(Value::Table(tt)) => {
                for (lane, globs) in tt {
                    trees.insert(
                        lane.clone(),
                        str_list(Some(globs), &format!("[lanes.trees].{lane}"))?,
                    );
                }
            }
            Some(other) => {
                return Err(RosterError(format!(
                    "[lanes.trees] must be a table, got {}",
                    type_name(other)
                )))
            }
        }
        Ok(Roster {
            concurrent: str_list(t.get("concurrent"), "[lanes].concurrent")?,
            exclusive: str_list(t.get("exclusive"), "[lanes].exclusive")?,
            autopick: str_list(t.get("autopick"), "[lanes].autopick")?,
            trees,
        })
    }

    /// The declared tree of `lane` (empty when undeclared).
    pub fn tree_for(&self, lane: &str) -> Vec<String> {
        self.trees.get(lane).cloned().unwrap_or_default()
    }

    /// Whether `lane` is declared exclusive.
    pub fn is_exclusive(&self, lane: &str) -> bool {
        self.exclusive.iter().any(|l| l == lane)
    }
}
