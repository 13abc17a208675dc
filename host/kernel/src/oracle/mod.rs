//! The ship oracle behind `dos verify` and `dos hook stop`: "an agent says it
//! shipped; git decides". The boundary ([`Oracle`]) gathers facts — the run
//! registry, the soak index, `git log`, a commit's footprint — and
//! [`verdict::decide`] folds them into a [`ShipVerdict`].
//!
//! Also here: claim extraction from transcripts ([`claims`]), the stop-hook
//! decision ([`stop`]) and its help digest ([`digest`]), and the `dos init` /
//! `dos quickstart` scaffolding ([`scaffold`], [`quickstart`]).

pub mod claims;
pub mod digest;
pub mod git;
pub mod grep;
pub mod quickstart;
pub mod registry;
pub mod scaffold;
pub mod stamp;
pub mod stop;
pub mod verdict;

pub use stamp::StampConvention;
pub use verdict::ShipVerdict;

use crate::config::Config;
use grep::LogCache;
use std::cell::OnceCell;
use std::path::{Path, PathBuf};

/// Which built-in convention a command starts from before `[stamp]` applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Base {
    /// The generic convention and layout (the default).
    #[default]
    Generic,
    /// The reference app's convention and layout (`--job` / `--driver job`).
    Job,
}

impl Base {
    /// The workspace path layout this convention implies.
    pub fn layout(self) -> crate::workspace::Layout {
        match self {
            Base::Generic => crate::workspace::Layout::Generic,
            Base::Job => crate::workspace::Layout::Plans,
        }
    }

    /// Resolve `--driver NAME` / `--job` (the workspace's one resolver:
    /// `job` and `workshop` are the job convention); `Err` carries the
    /// reference's message.
    pub fn from_flags(driver: Option<&str>, job: bool) -> Result<Base, String> {
        match crate::workspace::Layout::select(driver, job) {
            Ok(crate::workspace::Layout::Plans) => Ok(Base::Job),
            Ok(crate::workspace::Layout::Generic) => Ok(Base::Generic),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Read `<root>/dos.toml` leniently: a missing file is empty; an unreadable
/// or unparsable one yields a warning and an empty configuration (a BOM is
/// tolerated). Problems the reference does not report (a FIFO or oversized
/// file, unknown keys) go to `notes`: a command prints them, a hook only
/// under `--debug`.
pub fn load_config_noting(root: &Path, warnings: &mut Vec<String>, notes: &mut Vec<String>) -> Config {
    let path = root.join("dos.toml");
    let text = match crate::config::read_config_bytes(&path) {
        Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        Ok(None) | Err(crate::config::ConfigError::Read { .. }) => return Config::default(),
        Err(e) => {
            notes.push(format!("warning: ignoring the configuration: {e}"));
            return Config::default();
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    match Config::parse(text, &path) {
        Ok(c) => {
            notes.extend(c.diagnostics().iter().cloned());
            c
        }
        Err(e) => {
            warnings.push(format!(
                "warning: ignoring malformed [stamp] in {}: {e}",
                path.display()
            ));
            Config::default()
        }
    }
}

/// [`load_config_noting`] for a command: the notes join the warnings.
pub fn load_config_lenient(root: &Path, warnings: &mut Vec<String>) -> Config {
    let mut notes = Vec::new();
    let c = load_config_noting(root, warnings, &mut notes);
    warnings.extend(notes);
    c
}

/// The oracle for one workspace: its convention and state paths, with the
/// git history read at most once.
#[derive(Debug)]
pub struct Oracle {
    /// The workspace root (git runs here).
    pub root: PathBuf,
    /// The resolved ship-stamp grammar.
    pub convention: StampConvention,
    /// The run registry (`dos.state.yaml` in the generic layout).
    pub state_path: PathBuf,
    /// The soak index (`.dos/soaks/index.yaml` in the generic layout).
    pub soaks_path: PathBuf,
    log: OnceCell<LogCache>,
}

fn env_path(names: &[&str]) -> Option<PathBuf> {
    names
        .iter()
        .filter_map(std::env::var_os)
        .find(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn config_path(config: &Config, root: &Path, key: &str) -> Option<PathBuf> {
    match config.string("paths", key) {
        Ok(Some(p)) if !p.is_empty() => {
            let p = PathBuf::from(p);
            Some(if p.is_absolute() { p } else { root.join(p) })
        }
        _ => None,
    }
}

impl Oracle {
    /// Build the oracle for `root`: `base` convention overridden by
    /// `[stamp]`; state paths from the layout, `[paths]` and the environment.
    /// A malformed `[stamp]` adds a warning and keeps the base.
    pub fn new(root: &Path, config: &Config, base: Base, warnings: &mut Vec<String>) -> Oracle {
        let base_conv = match base {
            Base::Generic => StampConvention::generic(),
            Base::Job => StampConvention::job(),
        };
        let convention = match config.table("stamp") {
            Ok(Some(t)) if !t.is_empty() => match stamp::from_table(t, &base_conv) {
                Ok(c) => c,
                Err(msg) => {
                    let shown = config
                        .path()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| root.join("dos.toml").display().to_string());
                    warnings.push(format!("warning: ignoring malformed [stamp] in {shown}: {msg}"));
                    base_conv
                }
            },
            Ok(_) => base_conv,
            Err(_) => {
                warnings.push(format!(
                    "warning: ignoring malformed [stamp] in {}: [stamp] must be a table",
                    root.join("dos.toml").display()
                ));
                base_conv
            }
        };
        let (state_default, soaks_default) = match base {
            Base::Generic => (root.join("dos.state.yaml"), root.join(".dos/soaks/index.yaml")),
            Base::Job => (
                root.join("docs/_plans/execution-state.yaml"),
                root.join("docs/_soaks/index.yaml"),
            ),
        };
        let state_path = env_path(&["JOB_FANOUT_STATE_PATH", "DISPATCH_STATE_PATH"])
            .or_else(|| config_path(config, root, "execution_state"))
            .unwrap_or(state_default);
        let soaks_path = env_path(&["DISPATCH_SOAKS_PATH"])
            .or_else(|| config_path(config, root, "soaks_index"))
            .unwrap_or(soaks_default);
        Oracle {
            root: root.to_path_buf(),
            convention,
            state_path,
            soaks_path,
            log: OnceCell::new(),
        }
    }

    /// The git history (read on first use).
    pub fn log(&self) -> &LogCache {
        self.log.get_or_init(|| git::read_log(&self.root))
    }

    /// Is `(plan, phase)` shipped? Registry first, then the grep rung, then
    /// the #399 / #326 demotions.
    pub fn is_shipped(&self, plan: &str, phase: &str) -> ShipVerdict {
        let mut facts = verdict::Facts {
            soaks_path: self.soaks_path.display().to_string(),
            ..Default::default()
        };
        let soaks = registry::soaks_from(registry::load_mapping(&self.soaks_path));
        facts.in_progress_soak = registry::is_inprogress_soak(plan, phase, &soaks);
        if let Some(state) = registry::load_mapping(&self.state_path) {
            facts.registry = registry::registry_row(&state, plan, phase);
        }
        if facts.registry.is_none() {
            facts.grep = grep::check_phase(plan, phase, &self.convention, self.log());
            if let Some(hit) = &facts.grep {
                facts.footprint = git::touched_files(&self.root, &hit.sha);
            }
        }
        verdict::decide(plan, phase, &facts)
    }
}
