//! The ship-stamp grammar (`[stamp]` in `dos.toml`): which commit subjects
//! count as a ship. Two built-in conventions (GENERIC, the default, and JOB,
//! the reference app's) and the field-by-field override from a `[stamp]`
//! table, with the reference's error messages for a malformed table.

use dos_py::toml_value::toml_repr as py_repr;
use dos_py::toml_value::toml_type_name as py_type;
use toml::Value;

/// The universal release-subject anchor (`vX.Y.Z:`).
const RELEASE_VERSION_ANCHOR: &str = r"v\d+\.\d+\.\d+:";
/// The universal bulk-snapshot bookkeeping guard.
const SNAPSHOT_FRAGMENT: &str = r"[^:]*\bsnapshot:";
/// The universal run-archive-rollup bookkeeping guard.
const RUN_ARCHIVE_FRAGMENT: &str = r"(?:[^:]*:\s*)?(?:archive|rollup)\s+\d{8}(?:t\d+z?)?\b";

/// Every key a `[stamp]` table may name (sorted, as the error lists them).
pub const KNOWN_KEYS: [&str; 10] = [
    "bookkeeping_prefixes",
    "code_dirs",
    "infra_basenames",
    "infra_doc_basenames",
    "progress_markers",
    "style",
    "sub_phase_parent_fallback",
    "subject_dirs",
    "summary_bundle_prefixes",
    "trailer_stamp",
];

/// One workspace's ship-stamp grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StampConvention {
    /// `grep` (the only style with an effect; others are accepted and ignored).
    pub style: String,
    /// Required dir prefixes of a direct-ship subject (empty = generic shape).
    pub subject_dirs: Vec<String>,
    /// Extra summary-bundle prefixes besides `vX.Y.Z:`.
    pub summary_bundle_prefixes: Vec<String>,
    /// Subject prefixes that name phases without shipping them.
    pub bookkeeping_prefixes: Vec<String>,
    /// Code dirs (file-path rung; carried for completeness).
    pub code_dirs: Vec<String>,
    /// Extra shared-infra basenames (file-path rung; carried for completeness).
    pub infra_basenames: Vec<String>,
    /// Extra shared-infra doc basenames (file-path rung; carried for completeness).
    pub infra_doc_basenames: Vec<String>,
    /// Words that, right after the phase, mark progress rather than a ship.
    pub progress_markers: Vec<String>,
    /// Whether `<PHASE>-<suffix>` may ship through its parent's subject.
    pub sub_phase_parent_fallback: bool,
    /// Whether an end-of-subject `(<PLAN> <PHASE>)` trailer ships.
    pub trailer_stamp: bool,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

impl StampConvention {
    /// The generic convention (no dir prefix, no bundles, no markers).
    pub fn generic() -> Self {
        StampConvention {
            style: "grep".into(),
            subject_dirs: vec![],
            summary_bundle_prefixes: vec![],
            bookkeeping_prefixes: vec![],
            code_dirs: vec![],
            infra_basenames: vec![],
            infra_doc_basenames: vec![],
            progress_markers: vec![],
            sub_phase_parent_fallback: false,
            trailer_stamp: false,
        }
    }

    /// The reference app's ("JOB") convention, selected by `--job`.
    pub fn job() -> Self {
        StampConvention {
            style: "grep".into(),
            subject_dirs: strings(&["docs", "go", "agents", "job_search", "scripts"]),
            summary_bundle_prefixes: strings(&["docs/HYG:"]),
            bookkeeping_prefixes: strings(&[
                "docs/_plans:",
                "docs/fanout:",
                "docs/dispatch:",
                "docs/dispatch-loop:",
                "docs/_soaks:",
            ]),
            code_dirs: strings(&[
                "agents",
                "job_search",
                "go",
                "scripts",
                "templates",
                "config",
                "docs",
                "tests",
            ]),
            infra_basenames: vec![],
            infra_doc_basenames: vec![],
            progress_markers: strings(&[
                "week-1",
                "week-2",
                "week-3",
                "week-4",
                "day-1",
                "day-2",
                "day-3",
                "day-4",
                "day-5",
                "day-6",
                "day-7",
                "audit",
                "re-audit",
                "baseline",
                "re-baseline",
                "rebaseline",
                "read",
                "reading",
                "snapshot",
                "obs",
                "observation",
                "measurement",
                "progress",
                "soak",
                "wip",
                "partial",
                "§why",
                "todo",
            ]),
            sub_phase_parent_fallback: true,
            trailer_stamp: false,
        }
    }

    /// The dir-prefix fragment of a direct-ship subject.
    pub fn direct_prefix_re(&self) -> String {
        if self.subject_dirs.is_empty() {
            r"(?:\w[\w.\-]*/)?".into()
        } else {
            let alt: Vec<String> = self
                .subject_dirs
                .iter()
                .map(|d| fancy_regex::escape(d).into_owned())
                .collect();
            format!("(?:{})/", alt.join("|"))
        }
    }

    /// The direct-ship core (after `<sha>\s+`): prefixed form, plus the glued
    /// form for a generic convention. `glued` is false when the phase is named
    /// like its plan (our fix: `AUTH AUTH` must not match every `AUTH:` subject).
    pub fn direct_ship_core(&self, series_re: &str, phase_alt: &str, glued: bool) -> String {
        let prefix = self.direct_prefix_re();
        let prefixed = format!(r"{prefix}{series_re}:?\s+(?:{phase_alt})");
        if !self.subject_dirs.is_empty() || !glued {
            return prefixed;
        }
        let glued = format!(r"{prefix}(?:{series_re})?(?:{phase_alt}):");
        format!("(?:{prefixed}|{glued})")
    }

    /// The trailer-form fragment (carries its own end anchor), if enabled.
    pub fn trailer_ship_core(&self, series_alt: &str, phase_alt: &str) -> Option<String> {
        if !self.trailer_stamp {
            return None;
        }
        let prefix = self.direct_prefix_re();
        Some(format!(
            r"\(\s*(?:refs\s+)?(?:{prefix})?(?:{series_alt}):?\s+(?:{phase_alt})\s*\)\s*$"
        ))
    }

    /// The summary-bundle subject fragment (`vX.Y.Z:` or a declared prefix).
    pub fn summary_subject_re(&self) -> String {
        let mut parts = vec![RELEASE_VERSION_ANCHOR.to_string()];
        parts.extend(
            self.summary_bundle_prefixes
                .iter()
                .map(|p| fancy_regex::escape(p).into_owned()),
        );
        format!("(?:{})", parts.join("|"))
    }

    /// The start-anchored, case-insensitive bookkeeping-subject pattern.
    pub fn bookkeeping_subject_re(&self) -> String {
        let mut parts: Vec<String> = self
            .bookkeeping_prefixes
            .iter()
            .map(|p| fancy_regex::escape(p).into_owned())
            .collect();
        parts.push(SNAPSHOT_FRAGMENT.into());
        parts.push(RUN_ARCHIVE_FRAGMENT.into());
        format!("(?i)^(?:{})", parts.join("|"))
    }

    /// The lower-cased progress-marker words.
    pub fn progress_marker_set(&self) -> Vec<String> {
        self.progress_markers.iter().map(|w| w.to_lowercase()).collect()
    }

    /// The upper-cased series slugs of the declared summary-bundle prefixes.
    pub fn bundle_slugs(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in &self.summary_bundle_prefixes {
            let mut slug = p.trim().trim_end_matches(':');
            if let Some((_, last)) = slug.rsplit_once('/') {
                slug = last;
            }
            if !slug.is_empty() {
                out.push(slug.to_uppercase());
            }
        }
        out
    }
}

fn str_list(value: &Value, key: &str) -> Result<Vec<String>, String> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!(
                    "[stamp].{key} must be a list of strings; got a {} element ({})",
                    py_type(other),
                    py_repr(other)
                )),
            })
            .collect(),
        other => Err(format!(
            "[stamp].{key} must be a string or list of strings, got {}",
            py_type(other)
        )),
    }
}

fn boolean(table: &toml::Table, key: &str, base: bool) -> Result<bool, String> {
    match table.get(key) {
        None => Ok(base),
        Some(Value::Boolean(b)) => Ok(*b),
        Some(other) => Err(format!("[stamp].{key} must be a boolean, got {}", py_type(other))),
    }
}

/// Override `base` field by field from a `[stamp]` table. An unknown key or
/// a wrong-typed value is an error carrying the reference's message.
pub fn from_table(table: &toml::Table, base: &StampConvention) -> Result<StampConvention, String> {
    let mut unknown: Vec<&str> = table
        .keys()
        .map(String::as_str)
        .filter(|k| !KNOWN_KEYS.contains(k))
        .collect();
    if !unknown.is_empty() {
        unknown.sort();
        let quote = |v: &[&str]| v.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(", ");
        return Err(format!(
            "[stamp] has unknown key(s) [{}]; known keys are [{}]",
            quote(&unknown),
            quote(&KNOWN_KEYS)
        ));
    }
    let style = match table.get("style") {
        None => base.style.clone(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => return Err(format!("[stamp].style must be a string, got {}", py_type(other))),
    };
    let sub_phase_parent_fallback =
        boolean(table, "sub_phase_parent_fallback", base.sub_phase_parent_fallback)?;
    let trailer_stamp = boolean(table, "trailer_stamp", base.trailer_stamp)?;
    let list = |key: &str, base: &Vec<String>| -> Result<Vec<String>, String> {
        match table.get(key) {
            Some(v) => str_list(v, key),
            None => Ok(base.clone()),
        }
    };
    Ok(StampConvention {
        subject_dirs: list("subject_dirs", &base.subject_dirs)?,
        summary_bundle_prefixes: list("summary_bundle_prefixes", &base.summary_bundle_prefixes)?,
        bookkeeping_prefixes: list("bookkeeping_prefixes", &base.bookkeeping_prefixes)?,
        style,
        code_dirs: list("code_dirs", &base.code_dirs)?,
        infra_basenames: list("infra_basenames", &base.infra_basenames)?,
        infra_doc_basenames: list("infra_doc_basenames", &base.infra_doc_basenames)?,
        progress_markers: list("progress_markers", &base.progress_markers)?,
        sub_phase_parent_fallback,
        trailer_stamp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        text.parse().expect("toml")
    }

    #[test]
    fn malformed_tables_give_the_reference_messages() {
        let base = StampConvention::generic();
        let table_cases = [
            ("subject_dirs = 5", "[stamp].subject_dirs must be a string or list of strings, got int"),
            (
                "bogus = 1",
                "[stamp] has unknown key(s) ['bogus']; known keys are ['bookkeeping_prefixes', 'code_dirs', 'infra_basenames', 'infra_doc_basenames', 'progress_markers', 'style', 'sub_phase_parent_fallback', 'subject_dirs', 'summary_bundle_prefixes', 'trailer_stamp']",
            ),
            ("subject_dirs = [\"a\", 3]", "[stamp].subject_dirs must be a list of strings; got a int element (3)"),
            ("style = 1", "[stamp].style must be a string, got int"),
            ("trailer_stamp = \"yes\"", "[stamp].trailer_stamp must be a boolean, got str"),
            ("sub_phase_parent_fallback = 1", "[stamp].sub_phase_parent_fallback must be a boolean, got int"),
        ];
        for (text, expected) in table_cases {
            assert_eq!(from_table(&table(text), &base).unwrap_err(), expected, "{text}");
        }
    }

    #[test]
    fn overrides_are_field_by_field() {
        let c = from_table(
            &table("subject_dirs = \"src\"\ntrailer_stamp = true"),
            &StampConvention::job(),
        )
        .unwrap();
        assert_eq!(c.subject_dirs, vec!["src".to_string()]);
        assert!(c.trailer_stamp);
        assert!(c.sub_phase_parent_fallback, "kept from base");
        assert_eq!(StampConvention::job().bundle_slugs(), vec!["HYG".to_string()]);
    }
}
