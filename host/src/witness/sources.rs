//! Evidence sources: the fifth plugin group (`evidence_sources`).
//!
//! Protocol over the plugin host's generic JSON channel:
//! - `describe` — input `{}`; output `{"accountability": "<RUNG>"}` (the rung
//!   the source declares; optionally `"name"`).
//! - `gather` — input `{"subject": "...", "config": {...}}`; output the
//!   `EvidenceFacts` dict (`source_name`, `accountability`, `stance`,
//!   `subject`, `detail`, `reachable`).
//!
//! The runner is fail-safe: a source that fails, times out, panics or
//! returns something that is not `EvidenceFacts` yields NO_SIGNAL, never a
//! fabricated attestation. And the trust clamp the reference lacks: facts can
//! never claim a higher rung than the source declares, nor another source's
//! name.

use super::{Accountability, EvidenceFacts};
use crate::plugin_host::handles::GenericHandle;
use crate::plugin_host::{PluginHost, ResolveError};
use dos_plugin_api::Group;
use dos_py::repr::str_repr as py_repr;
use serde_json::{Map, Value};

/// The built-in sources, in declaration order (they cannot be shadowed).
pub(crate) const BUILTINS: [&str; 1] = ["null"];

/// The detail of the built-in `null` source.
pub(crate) const NULL_DETAIL: &str = "no evidence source wired — the built-in null source witnesses nothing, so this effect has no signal (configure a dos.evidence_sources backend).";

/// What a source reports from one gather: facts, or why it could not.
pub(crate) type GatherOutcome = Result<Value, String>;

/// An evidence source.
pub(crate) trait EvidenceSource {
    /// Its name.
    fn name(&self) -> String;
    /// The rung it declares (None/unknown = AGENT_AUTHORED).
    fn declared(&mut self) -> Option<Accountability>;
    /// Gather facts about `subject` in the wire form.
    fn gather_raw(&mut self, subject: &str, config: &Map<String, Value>) -> GatherOutcome;
}

/// The built-in `null` source: witnesses nothing.
#[derive(Debug, Default)]
pub(crate) struct NullSource;

impl EvidenceSource for NullSource {
    fn name(&self) -> String {
        "null".into()
    }
    fn declared(&mut self) -> Option<Accountability> {
        Some(Accountability::AgentAuthored)
    }
    fn gather_raw(&mut self, subject: &str, _: &Map<String, Value>) -> GatherOutcome {
        Ok(Value::Object(
            EvidenceFacts::no_signal("null", Accountability::AgentAuthored, subject, NULL_DETAIL).to_map(),
        ))
    }
}

/// A plugin-provided source behind the generic channel.
pub(crate) struct PluginSource {
    name: String,
    handle: GenericHandle,
    declared: Option<Option<Accountability>>,
}

impl PluginSource {
    /// Wrap a resolved generic handle.
    pub(crate) fn new(name: &str, handle: GenericHandle) -> PluginSource {
        PluginSource {
            name: name.into(),
            handle,
            declared: None,
        }
    }
}

impl EvidenceSource for PluginSource {
    fn name(&self) -> String {
        self.name.clone()
    }
    fn declared(&mut self) -> Option<Accountability> {
        if let Some(d) = self.declared {
            return d;
        }
        let d = self
            .handle
            .call("describe", &Value::Object(Map::new()))
            .ok()
            .and_then(|v| {
                v.get("accountability")
                    .and_then(Value::as_str)
                    .and_then(Accountability::from_name)
            });
        self.declared = Some(d);
        d
    }
    fn gather_raw(&mut self, subject: &str, config: &Map<String, Value>) -> GatherOutcome {
        let mut input = Map::new();
        input.insert("subject".into(), Value::from(subject));
        input.insert("config".into(), Value::Object(config.clone()));
        self.handle.call("gather", &Value::Object(input))
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The fail-safe runner with the trust clamp (pure over the source's answers).
pub(crate) fn gather_evidence(
    source: &mut dyn EvidenceSource,
    subject: &str,
    config: &Map<String, Value>,
) -> EvidenceFacts {
    let name = source.name();
    let rung = source.declared().unwrap_or(Accountability::AgentAuthored);
    let raw = match source.gather_raw(subject, config) {
        Ok(v) => v,
        Err(e) => {
            return EvidenceFacts::no_signal(&name, rung, subject, &format!(
                "evidence source {} raised ({e}) — no signal (a witness that cannot read produces NO_SIGNAL, never a fabricated attestation).",
                py_repr(&name)
            ))
        }
    };
    let mut facts = match EvidenceFacts::from_value(&raw) {
        Ok(f) => f,
        Err(why) => {
            return EvidenceFacts::no_signal(&name, rung, subject, &format!(
                "evidence source {} returned a {} ({why}), not EvidenceFacts — no signal (a source that does not return the evidence type cannot be trusted to have witnessed anything).",
                py_repr(&name),
                json_type(&raw)
            ))
        }
    };
    // The trust clamp: never above the declared rung, never another's name.
    if facts.accountability > rung {
        facts.detail = format!(
            "{} [rung clamped: source {} declares {} but reported {}]",
            facts.detail,
            py_repr(&name),
            rung.name(),
            facts.accountability.name()
        );
        facts.accountability = rung;
    }
    facts.source_name = name;
    facts
}

/// Every source name: built-ins first, then plugins (sorted).
pub(crate) fn active_names(host: &PluginHost) -> Vec<String> {
    let mut names: Vec<String> = BUILTINS.iter().map(|s| s.to_string()).collect();
    for n in host.known_names(Group::EvidenceSources) {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    names
}

/// Resolve a source by name: built-ins first, then plugins.
pub(crate) fn resolve(
    host: &PluginHost,
    name: &str,
    bag: &Map<String, Value>,
) -> Result<Box<dyn EvidenceSource>, ResolveError> {
    if name == "null" {
        return Ok(Box::new(NullSource));
    }
    match host.generic(Group::EvidenceSources, name, bag) {
        Ok(h) => Ok(Box::new(PluginSource::new(name, h))),
        Err(ResolveError::Unknown { noun, name, .. }) => {
            let mut known = active_names(host);
            known.sort();
            Err(ResolveError::Unknown {
                noun,
                name,
                known: known.join(", "),
            })
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake {
        declared: Option<Accountability>,
        answer: GatherOutcome,
    }

    impl EvidenceSource for Fake {
        fn name(&self) -> String {
            "boom".into()
        }
        fn declared(&mut self) -> Option<Accountability> {
            self.declared
        }
        fn gather_raw(&mut self, _: &str, _: &Map<String, Value>) -> GatherOutcome {
            self.answer.clone()
        }
    }

    #[test]
    fn fail_safe_and_clamp() {
        let cfg = Map::new();
        let tp =
            Value::Object(EvidenceFacts::attest("other", Accountability::ThirdParty, "s", "ok").to_map());
        let table: Vec<(Option<Accountability>, GatherOutcome, &str, &str, &str)> = vec![
            (
                Some(Accountability::OsRecorded),
                Err("kaput".into()),
                "NO_SIGNAL",
                "OS_RECORDED",
                "evidence source 'boom' raised (kaput) — no signal",
            ),
            (
                None,
                Ok(serde_json::json!({"x": 1})),
                "NO_SIGNAL",
                "AGENT_AUTHORED",
                "evidence source 'boom' returned a object",
            ),
            (
                None,
                Ok(Value::Null),
                "NO_SIGNAL",
                "AGENT_AUTHORED",
                "returned a null",
            ),
            (
                Some(Accountability::AgentAuthored),
                Ok(tp.clone()),
                "ATTESTED",
                "AGENT_AUTHORED",
                "ok [rung clamped",
            ),
            (
                Some(Accountability::ThirdParty),
                Ok(tp),
                "ATTESTED",
                "THIRD_PARTY",
                "ok",
            ),
        ];
        for (declared, answer, stance, rung, detail) in table {
            let mut s = Fake { declared, answer };
            let f = gather_evidence(&mut s, "s", &cfg);
            assert_eq!(
                (f.stance.name(), f.accountability.name()),
                (stance, rung),
                "{detail}"
            );
            assert!(f.detail.contains(detail), "{} !~ {detail}", f.detail);
            assert_eq!(f.source_name, "boom");
        }
        let f = gather_evidence(&mut NullSource, "x", &cfg);
        assert_eq!(f.detail, NULL_DETAIL);
    }
}
