//! Shared/exclusive lock modes (0.30's `lock_modes` + `lock_mode_decision`):
//! two leases over intersecting trees may coexist only when both are SHARED;
//! anything with an EXCLUSIVE holder conflicts at any overlap. This replaces
//! the 0.22 soft-overlap ratio as the default admission rule.

use super::tree;
use serde_json::Value;

/// The mode a lane holds over its region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LockMode {
    /// A read lock: compatible with other shared holders.
    Shared,
    /// A write lock (the default): incompatible with every other holder.
    #[default]
    Exclusive,
}

impl LockMode {
    /// The on-disk / CLI name.
    pub fn as_str(self) -> &'static str {
        match self {
            LockMode::Shared => "shared",
            LockMode::Exclusive => "exclusive",
        }
    }

    /// Parse a `--mode` value exactly as 0.30's argparse choices do: `""`
    /// (the default, exclusive), `shared` or `exclusive`.
    pub fn from_flag(raw: &str) -> Result<LockMode, String> {
        match raw {
            "" | "exclusive" => Ok(LockMode::Exclusive),
            "shared" => Ok(LockMode::Shared),
            other => Err(format!(
                "argument --mode: invalid choice: {} (choose from '', 'shared', 'exclusive')",
                dos_py::repr::str_repr(other)
            )),
        }
    }

    /// A lease's held mode: `mode`, else `lock_mode`; a missing or unknown
    /// value is EXCLUSIVE (bad data fails toward less concurrency).
    pub fn of_lease(lease: &serde_json::Map<String, Value>) -> LockMode {
        let raw = lease.get("mode").or_else(|| lease.get("lock_mode"));
        match raw {
            Some(Value::String(s)) if s.trim().to_lowercase() == "shared" => LockMode::Shared,
            _ => LockMode::Exclusive,
        }
    }
}

/// Whether two known trees intersect (any normalised prefix collides).
pub fn intersect(a: &[String], b: &[String]) -> bool {
    let known = |t: &[String]| t.iter().any(|s| !s.is_empty());
    known(a) && known(b) && !tree::disjoint(a, b)
}

/// Whether a request may NOT run beside a live lease: the regions intersect
/// and the modes are not both shared.
pub fn conflict(req: &[String], req_mode: LockMode, lease: &[String], lease_mode: LockMode) -> bool {
    intersect(req, lease) && !(req_mode == LockMode::Shared && lease_mode == LockMode::Shared)
}

/// The refusal reason for two known trees in conflict, or `None` when they
/// may coexist (0.30's `lock_mode_decision` reason text).
pub fn conflict_reason(
    req: &[String],
    req_mode: LockMode,
    lease: &[String],
    lease_mode: LockMode,
) -> Option<String> {
    if !conflict(req, req_mode, lease, lease_mode) {
        return None;
    }
    let note = if req_mode == LockMode::Shared || lease_mode == LockMode::Shared {
        format!("{}/{}", req_mode.as_str(), lease_mode.as_str())
    } else {
        "exclusive/exclusive".to_string()
    };
    Some(format!(
        "lock-mode conflict: intersecting region with {note} modes requires zero-tolerance refusal"
    ))
}

#[cfg(test)]
mod tests {
    use super::LockMode::{Exclusive as X, Shared as S};
    use super::*;

    fn t(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn compatibility_matrix_over_regions() {
        let docs = t(&["docs/**"]);
        let doc = t(&["docs/a.md"]);
        let src = t(&["src/**"]);
        let table = [
            (&docs, S, &docs, S, None),
            (&docs, X, &docs, S, Some("exclusive/shared")),
            (&doc, S, &docs, X, Some("shared/exclusive")),
            (&doc, X, &docs, X, Some("exclusive/exclusive")),
            (&src, X, &docs, X, None),
            (&src, S, &docs, X, None),
        ];
        for (a, am, b, bm, want) in table {
            let got = conflict_reason(a, am, b, bm);
            let want = want.map(|n| {
                format!(
                    "lock-mode conflict: intersecting region with {n} modes requires zero-tolerance refusal"
                )
            });
            assert_eq!(got, want, "{a:?} {am:?} vs {b:?} {bm:?}");
            assert_eq!(conflict(a, am, b, bm), conflict(b, bm, a, am), "symmetric");
        }
        assert!(
            !conflict(&t(&[]), X, &docs, X),
            "an empty tree is the caller's rule"
        );
    }

    #[test]
    fn modes_parse_like_the_reference() {
        assert_eq!(LockMode::from_flag(""), Ok(X));
        assert_eq!(LockMode::from_flag("shared"), Ok(S));
        assert_eq!(
            LockMode::from_flag("SHARED"),
            Err("argument --mode: invalid choice: 'SHARED' (choose from '', 'shared', 'exclusive')".into())
        );
        let lease = |k: &str, v: Value| {
            let mut m = serde_json::Map::new();
            m.insert(k.into(), v);
            m
        };
        assert_eq!(LockMode::of_lease(&lease("mode", " Shared ".into())), S);
        assert_eq!(LockMode::of_lease(&lease("lock_mode", "shared".into())), S);
        assert_eq!(LockMode::of_lease(&lease("mode", "bogus".into())), X);
        assert_eq!(LockMode::of_lease(&lease("mode", Value::Null)), X);
    }
}
