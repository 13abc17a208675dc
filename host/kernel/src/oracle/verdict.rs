//! The ship verdict and the pure fold that turns gathered facts (registry
//! row, soak state, grep hit, commit footprint) into it.

use super::grep::GrepHit;
use super::registry::RegistryHit;
use dos_py::dumps::{dumps, Style};
use serde_json::{Map, Value};

/// One-line JSON, sorted keys, ASCII-escaped (the reference's `--json` style).
pub const JSON_LINE: Style = Style {
    sort_keys: true,
    ensure_ascii: true,
    compact: false,
    indent: 0,
};

/// Ledger files whose-only footprint never ships a phase (#399).
const LEDGER_BASENAMES: [&str; 5] = [
    "dos.state.yaml",
    "dos.findings.md",
    "findings-followup-queue.md",
    "execution-state.yaml",
    "plans.yaml",
];
/// Release-bump basenames (compared lower-cased).
const RELEASE_BUMP_BASENAMES: [&str; 5] = [
    "version",
    "version.txt",
    "pyproject.toml",
    "__init__.py",
    "changelog.md",
];

/// One `(plan, phase)` verdict (reference: `ShipVerdict`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShipVerdict {
    /// The plan as the caller gave it.
    pub plan: String,
    /// The phase as the caller gave it.
    pub phase: String,
    /// SHIPPED or not.
    pub shipped: bool,
    /// The short sha of the evidence, if any.
    pub sha: Option<String>,
    /// `registry`, `grep-subject` or `none`.
    pub source: String,
    /// Human summary of the evidence (and any demotion marker).
    pub summary: String,
    /// The raw grep pass (`direct`, `trailer`, …), empty otherwise.
    pub rung: String,
}

impl ShipVerdict {
    /// The verdict token: `SHIPPED` / `NOT_SHIPPED`.
    pub fn token(&self) -> &'static str {
        if self.shipped {
            "SHIPPED"
        } else {
            "NOT_SHIPPED"
        }
    }

    /// The JSON object (`sha`, `summary`, `rung` only when non-empty).
    pub fn to_map(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("plan".into(), Value::from(self.plan.clone()));
        m.insert("phase".into(), Value::from(self.phase.clone()));
        m.insert("shipped".into(), Value::from(self.shipped));
        m.insert("source".into(), Value::from(self.source.clone()));
        if let Some(sha) = self.sha.as_ref().filter(|s| !s.is_empty()) {
            m.insert("sha".into(), Value::from(sha.clone()));
        }
        if !self.summary.is_empty() {
            m.insert("summary".into(), Value::from(self.summary.clone()));
        }
        if !self.rung.is_empty() {
            m.insert("rung".into(), Value::from(self.rung.clone()));
        }
        m
    }

    /// The one-line JSON rendering.
    pub fn to_json_line(&self) -> String {
        dumps(&Value::Object(self.to_map()), JSON_LINE)
    }

    /// The text line: `<MARK> <plan> <phase>[ <sha>] (via <source>)`.
    pub fn to_text(&self, color: bool) -> String {
        let mark = if color {
            let c = if self.shipped { "\x1b[32m" } else { "\x1b[31m" };
            format!("\x1b[1m{c}{}\x1b[0m", self.token())
        } else {
            self.token().to_string()
        };
        let sha = match self.sha.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => format!(" {s}"),
            None => String::new(),
        };
        let via = format!("(via {})", self.source);
        let via = if color {
            let c = match self.source.as_str() {
                "none" => "\x1b[31m\x1b[1m",
                "grep-subject" => "\x1b[33m",
                _ => "\x1b[32m",
            };
            format!("{c}{via}\x1b[0m")
        } else {
            via
        };
        format!("{mark} {} {}{sha} {via}", self.plan, self.phase)
    }

    /// The layperson sentence (`--output plain`).
    pub fn to_plain(&self) -> String {
        let name = [&self.phase, &self.plan]
            .into_iter()
            .find(|s| !s.is_empty())
            .map(String::as_str)
            .unwrap_or("the change");
        let thing = format!("'{name}'");
        if self.shipped && self.source == "grep-subject" {
            format!("Probably yes: {thing} looks like it was added, but the only sign is a note in the project history, not the built result itself. Worth opening it to confirm it's really there. (This checks that it's present, not that it works.)")
        } else if self.shipped {
            format!("Yes: {thing} is in what was built. (This checks that it's present — not that it's correct or safe; that still needs a review.)")
        } else {
            format!("Not yet: {thing} isn't in what was built. The agent may have said it was done, but it isn't in the project yet. Ask it to actually add {thing}, then check again.")
        }
    }

    /// The `--explain` interpretation line.
    pub fn interpretation(&self) -> String {
        if self.shipped {
            let place = match self.source.as_str() {
                "registry" => "a run-registry row",
                "grep" => "a git commit",
                _ => "evidence",
            };
            let sha = match self.sha.as_deref().filter(|s| !s.is_empty()) {
                Some(s) => format!(" ({s})"),
                None => String::new(),
            };
            format!("SHIPPED — confirmed by {place}{sha}. You can rely on this; the evidence is real, not self-reported.")
        } else if self.source == "none" {
            "NOT shipped — and there is NO positive evidence either way (no registry row, no matching commit). Treat it as not done. Do NOT accept a worker's claim that it shipped without evidence.".into()
        } else {
            "NOT shipped on the evidence checked. Treat it as not done until a real commit or registry row appears.".into()
        }
    }
}

fn basename_lower(path: &str) -> String {
    let p = path.trim().replace('\\', "/").to_lowercase();
    p.rsplit('/').next().unwrap_or("").to_string()
}

/// True iff every path is a ledger or release-bump file (an empty footprint
/// is not provably bookkeeping).
pub fn footprint_is_nonsubstantive(touched: &[String]) -> bool {
    let paths: Vec<&String> = touched.iter().filter(|p| !p.trim().is_empty()).collect();
    !paths.is_empty()
        && paths.iter().all(|p| {
            let base = basename_lower(p);
            let norm = p.trim().replace('\\', "/").to_lowercase();
            LEDGER_BASENAMES.contains(&base.as_str())
                || RELEASE_BUMP_BASENAMES.contains(&base.as_str())
                || norm.starts_with("docs/releases/")
        })
}

/// Everything the oracle gathered for one pair.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The registry row, if one counts.
    pub registry: Option<RegistryHit>,
    /// Whether the pair is a registered in-progress soak.
    pub in_progress_soak: bool,
    /// The grep hit, if any (only consulted without a registry row).
    pub grep: Option<GrepHit>,
    /// The grep hit's commit footprint, if git could answer.
    pub footprint: Option<Vec<String>>,
    /// The soak index path (for the demotion marker).
    pub soaks_path: String,
}

/// Fold the facts into a verdict: registry › grep; #399 and #326 demotions;
/// any not-shipped verdict gets `source = none`.
pub fn decide(plan: &str, phase: &str, facts: &Facts) -> ShipVerdict {
    let mut v = ShipVerdict {
        plan: plan.into(),
        phase: phase.into(),
        ..Default::default()
    };
    let append = |summary: &mut String, marker: String| {
        if !summary.is_empty() {
            summary.push(' ');
        }
        summary.push_str(&marker);
    };
    if let Some(row) = &facts.registry {
        v.shipped = true;
        v.sha = row.sha.clone();
        v.source = "registry".into();
        if facts.in_progress_soak {
            v.shipped = false;
            append(&mut v.summary, format!("[ship_oracle: demoted — (plan, phase) has a registry status:done row but its soak is still in_progress in {}; the implementation shipped, but under soak-as-parallel-lane the pick the lane wants is the soak FOLLOW-UP, not the shipped impl — so the picker treats it as not-yet-done until the soak window closes (#326-registry)]", facts.soaks_path));
        }
    } else if let Some(hit) = &facts.grep {
        v.shipped = true;
        v.sha = Some(hit.sha.clone()).filter(|s| !s.is_empty());
        v.source = "grep-subject".into();
        v.summary = hit.summary.clone();
        v.rung = hit.via.into();
        let bump = v.sha.is_some()
            && facts
                .footprint
                .as_deref()
                .map(footprint_is_nonsubstantive)
                .unwrap_or(false);
        if bump {
            v.shipped = false;
            let sha = v.sha.clone().unwrap_or_default();
            append(&mut v.summary, format!("[ship_oracle: demoted — grep matched release-bump/ledger-only commit {sha}; phase token in notes, not a ship (#399)]"));
        } else if facts.in_progress_soak {
            v.shipped = false;
            append(&mut v.summary, format!("[ship_oracle: demoted — (plan, phase) is a registered in-progress soak in {}; a commit names the soak token but the pick is the soak follow-up, not a re-ship (#326)]", facts.soaks_path));
        }
    }
    if !v.shipped {
        v.source = "none".into();
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(via: &'static str) -> Option<GrepHit> {
        Some(GrepHit {
            sha: "210107b".into(),
            summary: "210107b v1.3.0: release notes AUTH13 (release-prefix mention)".into(),
            via,
        })
    }

    #[test]
    fn release_bump_demotion_matches_the_golden() {
        let facts = Facts {
            grep: hit("release-prefix"),
            footprint: Some(vec!["VERSION".into()]),
            ..Default::default()
        };
        assert_eq!(
            decide("AUTH", "AUTH13", &facts).to_json_line(),
            r#"{"phase": "AUTH13", "plan": "AUTH", "rung": "release-prefix", "sha": "210107b", "shipped": false, "source": "none", "summary": "210107b v1.3.0: release notes AUTH13 (release-prefix mention) [ship_oracle: demoted \u2014 grep matched release-bump/ledger-only commit 210107b; phase token in notes, not a ship (#399)]"}"#
        );
        assert_eq!(
            decide("AUTH", "AUTH13", &facts).to_text(false),
            "NOT_SHIPPED AUTH AUTH13 210107b (via none)"
        );
    }

    #[test]
    fn decision_table() {
        let reg = Some(RegistryHit {
            sha: Some("0123456789ab".into()),
        });
        let cases: Vec<(Facts, bool, &str)> = vec![
            (Facts::default(), false, "none"),
            (
                Facts {
                    registry: reg.clone(),
                    grep: hit("direct"),
                    ..Default::default()
                },
                true,
                "registry",
            ),
            (
                Facts {
                    registry: reg.clone(),
                    in_progress_soak: true,
                    ..Default::default()
                },
                false,
                "none",
            ),
            (
                Facts {
                    grep: hit("direct"),
                    footprint: Some(vec!["src/a.py".into(), "VERSION".into()]),
                    ..Default::default()
                },
                true,
                "grep-subject",
            ),
            (
                Facts {
                    grep: hit("direct"),
                    footprint: Some(vec![]),
                    ..Default::default()
                },
                true,
                "grep-subject",
            ),
            (
                Facts {
                    grep: hit("direct"),
                    in_progress_soak: true,
                    ..Default::default()
                },
                false,
                "none",
            ),
        ];
        for (facts, shipped, source) in cases {
            let v = decide("AUTH", "AUTH20", &facts);
            assert_eq!((v.shipped, v.source.as_str()), (shipped, source), "{facts:?}");
        }
    }

    #[test]
    fn footprints() {
        let s =
            |v: &[&str]| footprint_is_nonsubstantive(&v.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert!(s(&[
            "VERSION",
            "pkg/__init__.py",
            "docs/releases/v1.md",
            "CHANGELOG.md",
            "dos.state.yaml"
        ]));
        assert!(!s(&["VERSION", "src/x.rs"]));
        assert!(!s(&[]));
    }
}
