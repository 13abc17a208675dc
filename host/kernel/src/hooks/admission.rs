//! Rung A of `dos hook pretool` (pure): the reference's admission conjunction
//! — Disjointness then SelfModify, per live lease (or once against an empty
//! placeholder lease), first refusal wins — and the arbiter's overlap verdict
//! it rests on (`lane_overlap.overlap_verdict` under the ⅓ prefix floor).
//!
//! The lane arbiter in `crate::lanes::arbiter` answers `dos lease-lane`
//! with plain disjointness; this is the soft-overlap rule the reference's
//! admission predicates use, with their exact reason texts.

use super::pretool::{self_modify_hits, self_modify_reason, tree_prefix};
use dos_py::repr::str_repr as repr;
use serde_json::Value;

/// The kernel's soft-overlap tolerance (and the floor every policy is AND-ed
/// under): shared/requested above this refuses.
pub const FLOOR_RATIO_MAX: f64 = 1.0 / 3.0;

/// An admission refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The operator-facing reason.
    pub reason: String,
    /// The typed reason class (`SELF_MODIFY`), or empty.
    pub reason_class: &'static str,
}

/// Python's `f"{x:.0%}"`.
pub fn percent(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// A lease tree entry as the overlap code reads it.
enum Item<'a> {
    /// A string entry.
    Str(&'a str),
    /// A falsy non-string (skipped, as `if p` skips it).
    Skip,
    /// A truthy non-string: the reference raises `AttributeError` on it.
    Bad(&'static str),
}

use dos_py::value::json_type_name as type_name;

/// `list(lease.get("tree") or [])`: the entries, or the type name Python's
/// `list()` rejects.
fn lease_items(tree: Option<&Value>) -> Result<Vec<Value>, &'static str> {
    match tree {
        None => Ok(Vec::new()),
        Some(v) if !dos_py::value::truthy(v) => Ok(Vec::new()),
        Some(Value::Array(a)) => Ok(a.clone()),
        Some(Value::String(s)) => Ok(s.chars().map(|c| Value::String(c.to_string())).collect()),
        Some(Value::Object(o)) => Ok(o.keys().map(|k| Value::String(k.clone())).collect()),
        Some(other) => Err(type_name(other)),
    }
}

fn item(v: &Value) -> Item<'_> {
    match v {
        Value::String(s) if !s.is_empty() => Item::Str(s),
        other if !dos_py::value::truthy(other) => Item::Skip,
        other => Item::Bad(type_name(other)),
    }
}

/// The normalized prefixes of a lease tree's string entries, or the
/// `AttributeError` repr the reference raises on a truthy non-string entry.
fn lease_prefixes(items: &[Value]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for v in items {
        match item(v) {
            Item::Str(s) => out.push(tree_prefix(s)),
            Item::Skip => {}
            Item::Bad(t) => {
                return Err(format!(
                    "AttributeError(\"'{t}' object has no attribute 'replace'\")"
                ))
            }
        }
    }
    Ok(out)
}

/// The overlap verdict for two known trees: `Ok(None)` admits, `Ok(Some(reason))`
/// refuses (`lane_overlap.overlap_verdict` with tolerance `ratio_max`).
pub fn overlap_refusal(requested: &[String], lease: &[String], ratio_max: f64) -> Option<String> {
    let req: Vec<(&String, String)> = requested
        .iter()
        .filter(|r| !r.is_empty())
        .map(|r| (r, tree_prefix(r)))
        .collect();
    let shared = req
        .iter()
        .filter(|(_, nr)| {
            lease
                .iter()
                .any(|nl| nr.starts_with(nl.as_str()) || nl.starts_with(nr.as_str()))
        })
        .count();
    let mut exact: Vec<&String> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (r, nr) in &req {
        if !nr.is_empty() && lease.iter().any(|nl| nl == nr) && !seen.contains(&nr.as_str()) {
            seen.push(nr);
            exact.push(r);
        }
    }
    if !exact.is_empty() {
        let mut preview = exact
            .iter()
            .take(3)
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        if exact.len() > 3 {
            preview.push('…');
        }
        return Some(format!(
            "exact-glob overlap: identical glob claimed by both lanes ({}: {preview}) — same write region, hard collision regardless of ratio",
            exact.len()
        ));
    }
    if shared == 0 {
        return None;
    }
    let ratio = shared as f64 / requested.len().max(1) as f64;
    (ratio > ratio_max).then(|| {
        format!(
            "overlap too large ({shared}/{} = {} of requested tree shared, threshold {})",
            requested.len(),
            percent(ratio),
            percent(ratio_max)
        )
    })
}

/// The Disjointness predicate for one live lease (`lease` is `None` for the
/// placeholder of an idle repo). `ratio_max` is the workspace's `[overlap]
/// ratio_max`; the ⅓ floor applies first.
pub fn disjointness(
    tool: &str,
    requested: &[String],
    lease: Option<&serde_json::Map<String, Value>>,
    ratio_max: f64,
) -> Option<String> {
    let lease = lease?;
    let lease_lane = match lease.get("lane") {
        Some(Value::String(s)) => repr(s),
        Some(v) => dos_py::value::json_repr(v),
        None => "None".into(),
    };
    let items = match lease_items(lease.get("tree")) {
        Ok(items) => items,
        Err(t) => return Some(raised(&format!("TypeError(\"'{t}' object is not iterable\")"))),
    };
    if items.is_empty() {
        return None;
    }
    if requested.is_empty() {
        return Some(format!(
            "lane {} has an EMPTY tree (unknown blast radius) and cannot share live lane {lease_lane} — unknown blast radius is never safe to admit concurrently.",
            repr(tool)
        ));
    }
    let prefixes = match lease_prefixes(&items) {
        Ok(p) => p,
        Err(e) => return Some(raised(&e)),
    };
    let why = overlap_refusal(requested, &prefixes, FLOOR_RATIO_MAX)
        .or_else(|| overlap_refusal(requested, &prefixes, ratio_max))?;
    Some(format!(
        "lane {} cannot share live lane {lease_lane}: {why}.",
        repr(tool)
    ))
}

fn raised(exc: &str) -> String {
    format!(
        "admission predicate 'disjointness' raised ({exc}) — refusing fail-closed (a safety hook that cannot answer must not admit)."
    )
}

/// Rung A: for each live lease (or one empty placeholder), Disjointness then
/// SelfModify; the first refusal, or `None` to admit. `protected` are the
/// kernel files that exist under the workspace root.
pub fn rung_a(
    tool: &str,
    requested: &[String],
    leases: &[serde_json::Map<String, Value>],
    protected: &[&str],
    ratio_max: f64,
) -> Option<Refusal> {
    let hits = self_modify_hits(requested, protected);
    let self_modify = || Refusal {
        reason: self_modify_reason(tool, &hits),
        reason_class: "SELF_MODIFY",
    };
    let placeholder = [None];
    let each: Vec<Option<&serde_json::Map<String, Value>>> = if leases.is_empty() {
        placeholder.to_vec()
    } else {
        leases.iter().map(Some).collect()
    };
    for lease in each {
        if let Some(reason) = disjointness(tool, requested, lease, ratio_max) {
            return Some(Refusal {
                reason,
                reason_class: "",
            });
        }
        if !hits.is_empty() {
            return Some(self_modify());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    fn lease(l: Value) -> serde_json::Map<String, Value> {
        match l {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn percent_rounds_like_python() {
        for (x, want) in [
            (1.0, "100%"),
            (1.0 / 3.0, "33%"),
            (2.0 / 3.0, "67%"),
            (0.5, "50%"),
            (0.125, "12%"),
            (0.375, "38%"),
            (0.345, "34%"),
            (0.005, "0%"),
            (0.015, "2%"),
        ] {
            assert_eq!(percent(x), want, "{x}");
        }
    }

    #[test]
    fn overlap_table() {
        let n = |xs: &[&str]| xs.iter().map(|s| tree_prefix(s)).collect::<Vec<_>>();
        let t = FLOOR_RATIO_MAX;
        assert_eq!(
            overlap_refusal(&v(&["src/a.py"]), &n(&["src/**"]), t).unwrap(),
            "overlap too large (1/1 = 100% of requested tree shared, threshold 33%)"
        );
        assert_eq!(overlap_refusal(&v(&["docs/a.md"]), &n(&["src/**"]), t), None);
        assert_eq!(
            overlap_refusal(&v(&["src/a.py", "x/1", "x/2", "x/3"]), &n(&["src/**"]), t),
            None
        );
        assert_eq!(
            overlap_refusal(&v(&["src/a.py", "x/1"]), &n(&["src/**"]), t).unwrap(),
            "overlap too large (1/2 = 50% of requested tree shared, threshold 33%)"
        );
        assert_eq!(
            overlap_refusal(&v(&["src/**", "a", "b", "c", "d"]), &n(&["SRC/**"]), t).unwrap(),
            "exact-glob overlap: identical glob claimed by both lanes (1: src/**) — same write region, hard collision regardless of ratio"
        );
        assert_eq!(
            overlap_refusal(&v(&["a/*", "b/*", "c/*", "d/*"]), &n(&["a/", "b/", "c/", "d/"]), t).unwrap(),
            "exact-glob overlap: identical glob claimed by both lanes (4: a/*, b/*, c/*…) — same write region, hard collision regardless of ratio"
        );
        // A whole-repo glob is never "exact", but collides with everything.
        assert_eq!(
            overlap_refusal(&v(&["**/*"]), &n(&["**/*"]), t).unwrap(),
            "overlap too large (1/1 = 100% of requested tree shared, threshold 33%)"
        );
        // A tighter workspace ratio refuses what the floor admits.
        assert_eq!(
            overlap_refusal(&v(&["src/a.py", "x/1", "x/2", "x/3"]), &n(&["src/**"]), 0.2).unwrap(),
            "overlap too large (1/4 = 25% of requested tree shared, threshold 20%)"
        );
    }

    #[test]
    fn disjointness_table() {
        let l = lease(json!({"lane": "main", "tree": ["src/**"]}));
        assert_eq!(
            disjointness("Write", &v(&["docs/a"]), Some(&l), FLOOR_RATIO_MAX),
            None
        );
        assert_eq!(
            disjointness("Write", &v(&["docs/a"]), None, FLOOR_RATIO_MAX),
            None
        );
        assert_eq!(
            disjointness("Bash", &[], Some(&l), FLOOR_RATIO_MAX).unwrap(),
            "lane 'Bash' has an EMPTY tree (unknown blast radius) and cannot share live lane 'main' — unknown blast radius is never safe to admit concurrently."
        );
        let empty = lease(json!({"lane": "main", "tree": []}));
        assert_eq!(disjointness("Bash", &[], Some(&empty), FLOOR_RATIO_MAX), None);
        let no_lane = lease(json!({"tree": ["src/**"]}));
        assert!(disjointness("Bash", &[], Some(&no_lane), FLOOR_RATIO_MAX)
            .unwrap()
            .contains("live lane None —"));
        let bad = lease(json!({"lane": "m", "tree": [5]}));
        assert_eq!(
            disjointness("Write", &v(&["a"]), Some(&bad), FLOOR_RATIO_MAX).unwrap(),
            "admission predicate 'disjointness' raised (AttributeError(\"'int' object has no attribute 'replace'\")) — refusing fail-closed (a safety hook that cannot answer must not admit)."
        );
        let not_iter = lease(json!({"lane": "m", "tree": 5}));
        assert!(
            disjointness("Write", &v(&["a"]), Some(&not_iter), FLOOR_RATIO_MAX)
                .unwrap()
                .contains("TypeError(\"'int' object is not iterable\")")
        );
        let chars = lease(json!({"lane": "m", "tree": "src/**"}));
        assert!(disjointness("Write", &v(&["src/a"]), Some(&chars), FLOOR_RATIO_MAX).is_some());
    }

    #[test]
    fn rung_a_order() {
        let prot = ["src/dos/arbiter.py"];
        let l = lease(json!({"lane": "main", "tree": ["src/**"]}));
        let docs = lease(json!({"lane": "docs", "tree": ["docs/**"]}));
        // Disjointness on the first lease beats SELF_MODIFY.
        let r = rung_a(
            "Edit",
            &v(&["src/dos/arbiter.py"]),
            std::slice::from_ref(&l),
            &prot,
            FLOOR_RATIO_MAX,
        )
        .unwrap();
        assert_eq!(r.reason_class, "");
        // SELF_MODIFY beats a later lease's disjointness refusal.
        let r = rung_a(
            "Edit",
            &v(&["src/dos/arbiter.py"]),
            &[docs.clone(), l],
            &prot,
            FLOOR_RATIO_MAX,
        )
        .unwrap();
        assert_eq!(r.reason_class, "SELF_MODIFY");
        // Idle repo: SELF_MODIFY alone.
        let r = rung_a("Edit", &v(&["src/dos/arbiter.py"]), &[], &prot, FLOOR_RATIO_MAX).unwrap();
        assert_eq!(r.reason_class, "SELF_MODIFY");
        assert_eq!(
            rung_a("Edit", &v(&["src/x.py"]), &[docs], &prot, FLOOR_RATIO_MAX),
            None
        );
    }
}
