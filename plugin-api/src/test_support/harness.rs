//! Load a built plugin file the way the `dos` host does and call its drivers,
//! so an author's `cargo test` proves the `.so` itself works — its exported
//! root module, the layout checks, the JSON round trips — without the `dos`
//! binary. Since 1.5.0.
//!
//! The host's loader does exactly this: abi_stable reads the library's
//! header, checks the ABI, the interface version and every type's layout,
//! and hands back the root module; the manifest is read through it.
//!
//! ```no_run
//! use dos_plugin_api::test_support::harness::{built_library, PluginFile};
//! use dos_plugin_api::{Notification, Severity};
//!
//! let file = PluginFile::load(&built_library("my_notifier").unwrap()).unwrap();
//! let mut n = file.notifier("mine", &serde_json::json!({"dry_run": true})).unwrap();
//! let note = Notification { severity: Severity::Info, title: "t".into(), summary: String::new(),
//!                           fields: vec![], key: String::new(), source: "test".into(), action: None };
//! assert!(!n.send(&note).unwrap().delivered);
//! ```

use crate::ffi::{DriverBox, ExporterBox, JudgeBox, NotifierBox, StopPolicyBox};
use crate::{
    Claim, EventRef, ExportResult, FfiResult, JudgeVerdict, Manifest, Notification, NotifyResult,
    PluginRoot_Ref, StopVerdict,
};
use abi_stable::library::{lib_header_from_path, LibraryError};
use abi_stable::std_types::{RErr, ROk, RSlice, RStr, RString};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why a plugin file could not be loaded or a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HarnessError(pub String);

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HarnessError {}

/// The platform's file name for the library of crate `lib_name`
/// (`my_notifier` → `libmy_notifier.so`, `.dylib`, or `my_notifier.dll`).
pub fn library_file_name(lib_name: &str) -> String {
    format!(
        "{}{}{}",
        std::env::consts::DLL_PREFIX,
        lib_name.replace('-', "_"),
        std::env::consts::DLL_SUFFIX
    )
}

/// The `cdylib` of crate `lib_name` that `cargo test` built next to the
/// running test binary (`target/<profile>/deps/` or `target/<profile>/`).
/// The crate needs `crate-type = ["cdylib", "rlib"]` for its integration
/// tests to see both.
pub fn built_library(lib_name: &str) -> Result<PathBuf, HarnessError> {
    let exe =
        std::env::current_exe().map_err(|e| HarnessError(format!("cannot locate the test binary: {e}")))?;
    let deps = exe
        .parent()
        .ok_or_else(|| HarnessError("the test binary has no directory".into()))?;
    let file = library_file_name(lib_name);
    let mut looked = Vec::new();
    for dir in [Some(deps), deps.parent()].into_iter().flatten() {
        let candidate = dir.join(&file);
        if candidate.is_file() {
            return Ok(candidate);
        }
        looked.push(candidate.display().to_string());
    }
    let rlib = deps.join(format!("lib{}.rlib", lib_name.replace('-', "_")));
    let hint = if rlib.exists() || deps.read_dir().is_ok_and(|mut d| rlib_named(&mut d, lib_name)) {
        "; the crate was built as an rlib only: add `crate-type = [\"cdylib\", \"rlib\"]` under [lib]"
    } else {
        ""
    };
    Err(HarnessError(format!(
        "no {file} was built (looked in {}){hint}",
        looked.join(", ")
    )))
}

fn rlib_named(dir: &mut std::fs::ReadDir, lib_name: &str) -> bool {
    let prefix = format!("lib{}-", lib_name.replace('-', "_"));
    dir.flatten().any(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        name.starts_with(&prefix) && name.ends_with(".rlib")
    })
}

/// A plugin file loaded through abi_stable, as the host loads it.
pub struct PluginFile {
    path: PathBuf,
    root: PluginRoot_Ref,
    manifest: Manifest,
}

impl fmt::Debug for PluginFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginFile")
            .field("path", &self.path)
            .field("manifest", &self.manifest)
            .finish()
    }
}

fn library_error(e: &LibraryError) -> String {
    let text = e.to_string();
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    match e {
        LibraryError::GetSymbolError { .. } => {
            "not a dos plugin: it exports no abi_stable root module (was it built with export_plugin!?)"
                .into()
        }
        _ if lines.len() > 4 => format!("{} … {}", lines[0], lines[lines.len() - 1]),
        _ => lines.join(" — "),
    }
}

impl PluginFile {
    /// Load `path`: abi_stable's header, ABI, version and layout checks, then
    /// the manifest. A library is loaded at most once per process and never
    /// unloaded (abi_stable's rule), so loading the same file twice is cheap.
    pub fn load(path: &Path) -> Result<PluginFile, HarnessError> {
        let fail = |why: String| HarnessError(format!("{}: {why}", path.display()));
        let header = lib_header_from_path(path).map_err(|e| fail(library_error(&e)))?;
        let root = header
            .init_root_module::<PluginRoot_Ref>()
            .map_err(|e| fail(library_error(&e)))?;
        let text = ffi_text((root.manifest())()).map_err(|e| fail(format!("manifest failed: {}", e.0)))?;
        let manifest: Manifest =
            serde_json::from_str(&text).map_err(|e| fail(format!("manifest is not valid: {e}")))?;
        Ok(PluginFile {
            path: path.to_path_buf(),
            root,
            manifest,
        })
    }

    /// What the file declared (name, version, api_version, drivers).
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The file this was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Construct the exporter `name` with `config` (a JSON object, as the
    /// host would pass: add `root`, `state_dir`, `dry_run` yourself).
    pub fn exporter(&self, name: &str, config: &Value) -> Result<LoadedExporter, HarnessError> {
        let cfg = config.to_string();
        ffi_value((self.root.new_exporter())(name.into(), cfg.as_str().into())).map(LoadedExporter)
    }

    /// Construct the notifier `name` with `config`.
    pub fn notifier(&self, name: &str, config: &Value) -> Result<LoadedNotifier, HarnessError> {
        let cfg = config.to_string();
        ffi_value((self.root.new_notifier())(name.into(), cfg.as_str().into())).map(LoadedNotifier)
    }

    /// Construct the stop policy `name` with `config`.
    pub fn stop_policy(&self, name: &str, config: &Value) -> Result<LoadedStopPolicy, HarnessError> {
        let cfg = config.to_string();
        ffi_value((self.root.new_stop_policy())(name.into(), cfg.as_str().into())).map(LoadedStopPolicy)
    }

    /// Construct the judge `name` with `config`.
    pub fn judge(&self, name: &str, config: &Value) -> Result<LoadedJudge, HarnessError> {
        let cfg = config.to_string();
        ffi_value((self.root.new_judge())(name.into(), cfg.as_str().into())).map(LoadedJudge)
    }

    /// Construct the driver `name` of a generic-channel `group`
    /// (`evidence_sources`, or your own) with `config`.
    pub fn driver(&self, group: &str, name: &str, config: &Value) -> Result<LoadedDriver, HarnessError> {
        let cfg = config.to_string();
        ffi_value((self.root.new_driver())(
            group.into(),
            name.into(),
            cfg.as_str().into(),
        ))
        .map(LoadedDriver)
    }
}

fn ffi_value<T>(r: FfiResult<T>) -> Result<T, HarnessError> {
    match r {
        ROk(v) => Ok(v),
        RErr(e) => Err(HarnessError(e.message.into_string())),
    }
}

fn ffi_text(r: FfiResult<RString>) -> Result<String, HarnessError> {
    ffi_value(r).map(RString::into_string)
}

fn decode<T: DeserializeOwned>(r: FfiResult<RString>, what: &str) -> Result<T, HarnessError> {
    let text = ffi_text(r)?;
    serde_json::from_str(&text)
        .map_err(|e| HarnessError(format!("the plugin returned an invalid {what}: {e}: {text}")))
}

fn encode<T: serde::Serialize>(value: &T) -> Result<String, HarnessError> {
    serde_json::to_string(value).map_err(|e| HarnessError(format!("cannot encode the input: {e}")))
}

/// An exporter living in the loaded file.
pub struct LoadedExporter(ExporterBox);

impl LoadedExporter {
    /// Export `events` (see [`event_refs`](super::event_refs)).
    pub fn export(&mut self, events: &[EventRef<'_>]) -> Result<ExportResult, HarnessError> {
        decode(
            self.0.export(RSlice::from_slice(events), RStr::from("{}")),
            "ExportResult",
        )
    }
}

/// A notifier living in the loaded file.
pub struct LoadedNotifier(NotifierBox);

impl LoadedNotifier {
    /// Send one notification.
    pub fn send(&mut self, notification: &Notification) -> Result<NotifyResult, HarnessError> {
        let input = encode(notification)?;
        decode(self.0.send(input.as_str().into()), "NotifyResult")
    }
}

/// A stop policy living in the loaded file.
pub struct LoadedStopPolicy(StopPolicyBox);

impl LoadedStopPolicy {
    /// Decide on a scout-state view (include `pending_decisions`).
    pub fn decide(&mut self, state: &Value) -> Result<StopVerdict, HarnessError> {
        let input = encode(state)?;
        decode(self.0.decide(input.as_str().into()), "StopVerdict")
    }
}

/// A judge living in the loaded file.
pub struct LoadedJudge(JudgeBox);

impl LoadedJudge {
    /// Rule on one claim.
    pub fn rule(&mut self, claim: &Claim) -> Result<JudgeVerdict, HarnessError> {
        let input = encode(claim)?;
        decode(self.0.rule(input.as_str().into()), "JudgeVerdict")
    }
}

/// A generic-channel driver living in the loaded file.
pub struct LoadedDriver(DriverBox);

impl LoadedDriver {
    /// Invoke `method` with a JSON input (evidence sources answer
    /// `describe` and `gather` with `{"subject": …, "config": {…}}`).
    pub fn call(&mut self, method: &str, input: &Value) -> Result<Value, HarnessError> {
        let text = encode(input)?;
        decode(self.0.call(method.into(), text.as_str().into()), "JSON value")
    }
}
