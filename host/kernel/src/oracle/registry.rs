//! The registry rung (`recently_completed` rows in the run registry) and the
//! in-progress soak index (#326): YAML read at the boundary, decided by pure
//! functions over the parsed values.

use crate::yaml::to_json;
use serde_json::{Map, Value};
use std::path::Path;
use yaml_rust2::YamlLoader;

/// Read a YAML file whose top level is a mapping; anything else (missing
/// file, malformed YAML, a list at the top) is `None`.
pub fn load_mapping(path: &Path) -> Option<Map<String, Value>> {
    let text = std::fs::read_to_string(path).ok()?;
    let docs = YamlLoader::load_from_str(&text).ok()?;
    match docs.first().map(to_json) {
        Some(Value::Object(m)) => Some(m),
        None | Some(Value::Null) => Some(Map::new()),
        _ => None,
    }
}

/// A scalar rendered as text the way the reference compares it (`None`/missing → "").
pub fn scalar_str(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(true)) => "True".into(),
        Some(Value::Bool(false)) => "False".into(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => other.to_string(),
    }
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

/// A registry hit: the row's commit sha (cut to 12 characters), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryHit {
    /// `commit_sha`, first 12 characters; `None` when absent or empty.
    pub sha: Option<String>,
}

/// The first `recently_completed` row for `(plan, phase)` with status `done`
/// (plan, phase and status compared trimmed and case-insensitively).
pub fn registry_row(state: &Map<String, Value>, plan: &str, phase: &str) -> Option<RegistryHit> {
    let rows = state.get("recently_completed")?.as_array()?;
    let (plan_n, phase_n) = (norm(plan), norm(phase));
    rows.iter().filter_map(Value::as_object).find_map(|row| {
        let matches = norm(&scalar_str(row.get("plan"))) == plan_n
            && norm(&scalar_str(row.get("phase"))) == phase_n
            && norm(&scalar_str(row.get("status"))) == "done";
        if !matches {
            return None;
        }
        let sha = scalar_str(row.get("commit_sha"));
        let sha: String = sha.chars().take(12).collect();
        Some(RegistryHit {
            sha: (!sha.is_empty()).then_some(sha),
        })
    })
}

/// The soak entries of a soak index (`soaks:` list), empty on any miss.
pub fn soaks_from(index: Option<Map<String, Value>>) -> Vec<Value> {
    match index.and_then(|mut m| m.remove("soaks")) {
        Some(Value::Array(a)) => a,
        _ => vec![],
    }
}

fn alnum(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        .collect()
}

/// Whether `(plan, phase)` is a registered soak whose status is `in_progress`.
pub fn is_inprogress_soak(plan: &str, phase: &str, soaks: &[Value]) -> bool {
    let (plan_n, phase_n) = (alnum(plan), alnum(phase));
    if plan_n.is_empty() || phase_n.is_empty() {
        return false;
    }
    soaks.iter().filter_map(Value::as_object).any(|entry| {
        if norm(&scalar_str(entry.get("status"))) != "in_progress"
            || alnum(&scalar_str(entry.get("plan"))) != plan_n
        {
            return false;
        }
        let sid = norm(&scalar_str(entry.get("id")));
        if sid.is_empty() {
            return false;
        }
        let lead = sid.split('-').next().unwrap_or("");
        let lead_us = lead.split('_').next().unwrap_or("");
        [alnum(lead), alnum(lead_us), alnum(&sid)].contains(&phase_n)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Map<String, Value> {
        let docs = YamlLoader::load_from_str(text).unwrap();
        match to_json(&docs[0]) {
            Value::Object(m) => m,
            _ => panic!("mapping"),
        }
    }

    #[test]
    fn registry_golden_rows() {
        let state = parse(
            "recently_completed:\n  - {plan: auth, phase: auth20, status: done, commit_sha: 0123456789abcdef0123}\n  - {plan: AUTH, phase: AUTH21, status: failed, commit_sha: deadbeef}\n  - {plan: AUTH, phase: AUTH22, status: DONE}\n  - {plan: AUTH, phase: AUTH1, status: done, commit_sha: abc}\n",
        );
        let sha = |p: &str| registry_row(&state, "AUTH", p).map(|h| h.sha);
        assert_eq!(sha("AUTH20"), Some(Some("0123456789ab".into())));
        assert_eq!(sha("AUTH21"), None);
        assert_eq!(sha("AUTH22"), Some(None));
        assert_eq!(sha("AUTH1"), Some(Some("abc".into())));
        assert_eq!(sha("AUTH2"), None);
    }

    #[test]
    fn soak_matching_table() {
        let soaks = vec![
            serde_json::json!({"id": "auth20-soak-window", "plan": "auth", "status": "in_progress"}),
            serde_json::json!({"id": "cs6_legacy", "plan": "CS", "status": "IN_PROGRESS"}),
            serde_json::json!({"id": "dt5", "plan": "dt", "status": "passed"}),
        ];
        let table = [
            ("AUTH", "AUTH20", true),
            ("AUTH", "AUTH2", false),
            ("cs", "CS6", true),
            ("DT", "DT5", false),
        ];
        for (plan, phase, expected) in table {
            assert_eq!(
                is_inprogress_soak(plan, phase, &soaks),
                expected,
                "{plan} {phase}"
            );
        }
    }
}
