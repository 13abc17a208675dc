//! The canonical state diff and the state-diff witness: an effect is PRESENT
//! when its key was inserted or updated between two OS-recorded snapshots.

use super::effect::{witness_effect, EffectClaim, EffectWitnessVerdict};
use super::{Accountability, EvidenceFacts};
use dos_py::json::loads;
use dos_py::repr::str_repr as py_repr;
use dos_py::value::{py_eq, PyValue};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// A state: key → JSON value.
pub(crate) type State = BTreeMap<String, PyValue>;

/// What changed between two states (each list sorted by code point).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StateDelta {
    /// Keys only in `after`.
    pub inserted: Vec<String>,
    /// Keys only in `before`.
    pub deleted: Vec<String>,
    /// Keys in both whose values differ (Python `!=`).
    pub updated: Vec<String>,
}

impl StateDelta {
    /// Whether `key` is present in the world: inserted ∪ updated.
    pub(crate) fn changed(&self, key: &str) -> Option<&'static str> {
        if self.inserted.iter().any(|k| k == key) {
            Some("inserted")
        } else if self.updated.iter().any(|k| k == key) {
            Some("updated")
        } else {
            None
        }
    }

    /// `{"inserted", "deleted", "updated"}` in that order.
    pub(crate) fn to_map(&self) -> Map<String, Value> {
        let list = |v: &[String]| Value::Array(v.iter().map(|s| Value::from(s.as_str())).collect());
        let mut m = Map::new();
        m.insert("inserted".into(), list(&self.inserted));
        m.insert("deleted".into(), list(&self.deleted));
        m.insert("updated".into(), list(&self.updated));
        m
    }
}

/// Diff two states (pure). `BTreeMap` order is code-point order.
pub(crate) fn diff_state(before: &State, after: &State) -> StateDelta {
    StateDelta {
        inserted: after
            .keys()
            .filter(|k| !before.contains_key(*k))
            .cloned()
            .collect(),
        deleted: before
            .keys()
            .filter(|k| !after.contains_key(*k))
            .cloned()
            .collect(),
        updated: after
            .iter()
            .filter(|(k, v)| before.get(*k).is_some_and(|b| !py_eq(b, v)))
            .map(|(k, _)| k.clone())
            .collect(),
    }
}

/// The state-diff evidence source over one delta.
#[derive(Debug, Clone)]
pub(crate) struct StateDiffSource {
    delta: StateDelta,
    rung: Accountability,
}

/// The source's name.
pub(crate) const STATE_DIFF: &str = "state_diff";

impl StateDiffSource {
    /// A source at `rung`; an agent-authored snapshot is not a witness.
    pub(crate) fn new(delta: StateDelta, rung: Accountability) -> Result<StateDiffSource, String> {
        if rung.is_agent_authored() {
            return Err("state_diff witness requires a non-forgeable snapshot rung (OS_RECORDED/THIRD_PARTY); an agent-authored snapshot is not a witness".into());
        }
        Ok(StateDiffSource { delta, rung })
    }

    /// Look the (trimmed) key up in the delta. Never NO_SIGNAL for a non-blank key.
    pub(crate) fn gather(&self, subject: &str) -> EvidenceFacts {
        let key = subject.trim();
        if key.is_empty() {
            return EvidenceFacts::no_signal(
                STATE_DIFF,
                self.rung,
                subject,
                "no effect-key given — nothing to look for in the delta",
            );
        }
        match self.delta.changed(key) {
            Some(place) => EvidenceFacts::attest(
                STATE_DIFF,
                self.rung,
                key,
                &format!("effect-key {} is in the state delta ({place})", py_repr(key)),
            ),
            None => EvidenceFacts::refute(
                STATE_DIFF,
                self.rung,
                key,
                &format!(
                    "effect-key {} is NOT in the state delta (inserted={} updated={}) — the claimed change is absent from the world",
                    py_repr(key),
                    self.delta.inserted.len(),
                    self.delta.updated.len()
                ),
            ),
        }
    }
}

/// Witness `claim` against two snapshots (pure).
pub(crate) fn witness_via_state_diff(
    claim: &EffectClaim,
    before: &State,
    after: &State,
    rung: Accountability,
) -> Result<(EffectWitnessVerdict, StateDelta), String> {
    let delta = diff_state(before, after);
    let source = StateDiffSource::new(delta.clone(), rung)?;
    let facts = source.gather(claim.probe_subject());
    Ok((witness_effect(Some(claim), &[facts]), delta))
}

/// Python's `OSError` text: `[Errno 2] No such file or directory: 'x.json'`.
fn os_error_text(e: &std::io::Error, path: &str) -> String {
    let msg = e.to_string();
    let msg = match msg.rfind(" (os error ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    match e.raw_os_error() {
        Some(code) => format!("[Errno {code}] {msg}: {}", py_repr(path)),
        None => format!("{msg}: {}", py_repr(path)),
    }
}

fn utf8_error_text(bytes: &[u8], e: &std::str::Utf8Error) -> String {
    let pos = e.valid_up_to();
    let b = bytes[pos];
    let why = if (0x80..0xC2).contains(&b) || b >= 0xF5 {
        "invalid start byte"
    } else if e.error_len().is_none() {
        "unexpected end of data"
    } else {
        "invalid continuation byte"
    };
    format!("'utf-8' codec can't decode byte 0x{b:02x} in position {pos}: {why}")
}

/// Read a snapshot: strict UTF-8, one JSON object. Every failure is surfaced
/// (never an empty state).
pub(crate) fn read_state_json(path: &str) -> Result<State, String> {
    let bytes = std::fs::read(Path::new(path)).map_err(|e| os_error_text(&e, path))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| utf8_error_text(&bytes, &e))?;
    match loads(text).map_err(|e| e.message(text.as_bytes()))? {
        PyValue::Dict(m) => Ok(m.into_iter().collect()),
        other => Err(format!(
            "state snapshot at {} is a {}, not an object",
            py_repr(path),
            other.type_name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(text: &str) -> State {
        match loads(text).unwrap() {
            PyValue::Dict(m) => m.into_iter().collect(),
            _ => panic!(),
        }
    }

    #[test]
    fn equality_probe_delta() {
        let b = state(
            r#"{"a":1,"b":1,"c":true,"d":{"x":1,"y":2},"e":[1,2],"f":NaN,"g":null,"h":1e400,"dup":1,"dup":2}"#,
        );
        let a = state(
            r#"{"a":1.0,"b":true,"c":1,"d":{"y":2,"x":1},"e":[2,1],"f":NaN,"g":null,"h":1e400,"dup":2}"#,
        );
        let d = diff_state(&b, &a);
        assert_eq!(
            d,
            StateDelta {
                inserted: vec![],
                deleted: vec![],
                updated: vec!["e".into(), "f".into()]
            }
        );
    }

    #[test]
    fn source_golden() {
        let d = diff_state(&state(r#"{"a":1,"b":2,"c":3}"#), &state(r#"{"a":1,"b":9,"d":4}"#));
        let s = StateDiffSource::new(d, Accountability::OsRecorded).unwrap();
        let table = [
            ("d", "ATTESTED", "d", "effect-key 'd' is in the state delta (inserted)"),
            ("b", "ATTESTED", "b", "effect-key 'b' is in the state delta (updated)"),
            ("a", "REFUTED", "a", "effect-key 'a' is NOT in the state delta (inserted=1 updated=1) — the claimed change is absent from the world"),
            ("  ", "NO_SIGNAL", "  ", "no effect-key given — nothing to look for in the delta"),
            (" d ", "ATTESTED", "d", "effect-key 'd' is in the state delta (inserted)"),
        ];
        for (subject, stance, subj, detail) in table {
            let f = s.gather(subject);
            assert_eq!(
                (f.stance.name(), f.subject.as_str(), f.detail.as_str()),
                (stance, subj, detail)
            );
        }
        assert!(StateDiffSource::new(StateDelta::default(), Accountability::AgentAuthored).is_err());
    }
}
