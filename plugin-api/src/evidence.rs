//! Evidence sources (group `evidence_sources`), served over the generic
//! channel: a typed trait for authors and the adapter that speaks the
//! host's protocol (`describe` → `{"accountability": RUNG}`, `gather` →
//! `EvidenceFacts`). Since 1.3.0.
//!
//! The host clamps every report to the rung the source declares, so a
//! source cannot claim more trust than it has.

use crate::sdk::{GenericDriver, PluginError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Who authored the evidence, from least to most trustworthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Accountability {
    /// The agent's own surface: forgeable.
    #[serde(rename = "AGENT_AUTHORED")]
    AgentAuthored,
    /// Recorded by the OS (exit codes, file snapshots).
    #[serde(rename = "OS_RECORDED")]
    OsRecorded,
    /// An independent third party (CI, a registry).
    #[serde(rename = "THIRD_PARTY")]
    ThirdParty,
}

/// What the source saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EvidenceStance {
    /// The claimed effect is present.
    #[serde(rename = "ATTESTED")]
    Attested,
    /// The claimed effect is absent.
    #[serde(rename = "REFUTED")]
    Refuted,
    /// No reading.
    #[serde(rename = "NO_SIGNAL")]
    NoSignal,
}

/// One report (the reference's `EvidenceFacts.to_dict()` shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceFacts {
    /// The source's name (the host overwrites it with the resolved name).
    pub source_name: String,
    /// The rung claimed for this report (clamped by the host).
    pub accountability: Accountability,
    /// ATTESTED, REFUTED or NO_SIGNAL.
    pub stance: EvidenceStance,
    /// What was probed.
    pub subject: String,
    /// Human detail.
    #[serde(default)]
    pub detail: String,
    /// Whether the witness actually reached the world.
    #[serde(default)]
    pub reachable: bool,
}

/// An evidence source: declares its rung, gathers facts about a subject.
pub trait EvidenceSource: Send {
    /// The highest rung this source can honestly claim.
    fn accountability(&self) -> Accountability;
    /// Probe `subject`; `config` is the per-call configuration object.
    fn gather(&mut self, subject: &str, config: &Map<String, Value>) -> Result<EvidenceFacts, PluginError>;
}

/// Adapts an [`EvidenceSource`] to the generic channel's protocol.
pub struct EvidenceAdapter<S: EvidenceSource>(pub S);

impl<S: EvidenceSource> GenericDriver for EvidenceAdapter<S> {
    fn call(&mut self, method: &str, input: &Value) -> Result<Value, PluginError> {
        let encode = |v: &dyn erased::Ser| {
            v.to_value()
                .map_err(|e| PluginError(format!("cannot encode: {e}")))
        };
        match method {
            "describe" => {
                let mut m = Map::new();
                m.insert("accountability".into(), encode(&self.0.accountability())?);
                Ok(Value::Object(m))
            }
            "gather" => {
                let subject = input.get("subject").and_then(Value::as_str).unwrap_or_default();
                let empty = Map::new();
                let config = input.get("config").and_then(Value::as_object).unwrap_or(&empty);
                let facts = self.0.gather(subject, config)?;
                encode(&facts)
            }
            other => Err(PluginError(format!(
                "evidence sources answer describe and gather, not {other:?}"
            ))),
        }
    }
}

mod erased {
    /// Object-safe "serialize to a JSON value".
    pub(super) trait Ser {
        fn to_value(&self) -> Result<serde_json::Value, serde_json::Error>;
    }
    impl<T: serde::Serialize> Ser for T {
        fn to_value(&self) -> Result<serde_json::Value, serde_json::Error> {
            serde_json::to_value(self)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Ci;
    impl EvidenceSource for Ci {
        fn accountability(&self) -> Accountability {
            Accountability::ThirdParty
        }
        fn gather(
            &mut self,
            subject: &str,
            config: &Map<String, Value>,
        ) -> Result<EvidenceFacts, PluginError> {
            let green = config.get("green").and_then(Value::as_bool).unwrap_or(false);
            Ok(EvidenceFacts {
                source_name: "ci".into(),
                accountability: Accountability::ThirdParty,
                stance: if green {
                    EvidenceStance::Attested
                } else {
                    EvidenceStance::Refuted
                },
                subject: subject.into(),
                detail: "pipeline 42".into(),
                reachable: true,
            })
        }
    }

    #[test]
    fn adapter_speaks_the_host_protocol() {
        let mut a = EvidenceAdapter(Ci);
        assert_eq!(
            a.call("describe", &json!({})).ok(),
            Some(json!({"accountability": "THIRD_PARTY"}))
        );
        let facts = a
            .call("gather", &json!({"subject": "deploy", "config": {"green": true}}))
            .ok();
        assert_eq!(
            facts,
            Some(
                json!({"source_name": "ci", "accountability": "THIRD_PARTY", "stance": "ATTESTED",
                        "subject": "deploy", "detail": "pipeline 42", "reachable": true})
            )
        );
        assert!(a.call("explode", &json!({})).is_err());
    }
}
