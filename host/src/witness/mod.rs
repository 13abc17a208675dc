//! The effect witness: evidence facts on an accountability ladder, belief
//! under the forgeable floor, and the four-valued effect verdict
//! (CONFIRMED / REFUTED / UNWITNESSED / NO_CLAIM).

pub(crate) mod effect;
pub(crate) mod sources;
pub(crate) mod state_diff;

use serde_json::{Map, Value};

/// How accountable a witness is, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Accountability {
    /// The agent's own surface: forgeable.
    AgentAuthored,
    /// Recorded by the OS (exit codes, snapshots).
    OsRecorded,
    /// An independent third party (CI, a registry).
    ThirdParty,
}

impl Accountability {
    /// The upper-case token.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Accountability::AgentAuthored => "AGENT_AUTHORED",
            Accountability::OsRecorded => "OS_RECORDED",
            Accountability::ThirdParty => "THIRD_PARTY",
        }
    }

    /// Parse a token.
    pub(crate) fn from_name(s: &str) -> Option<Accountability> {
        match s {
            "AGENT_AUTHORED" => Some(Accountability::AgentAuthored),
            "OS_RECORDED" => Some(Accountability::OsRecorded),
            "THIRD_PARTY" => Some(Accountability::ThirdParty),
            _ => None,
        }
    }

    /// Only AGENT_AUTHORED is forgeable.
    pub(crate) fn is_agent_authored(self) -> bool {
        self == Accountability::AgentAuthored
    }
}

/// What one witness reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stance {
    /// The effect is present.
    Attested,
    /// The effect is absent.
    Refuted,
    /// No reading.
    NoSignal,
}

impl Stance {
    /// The upper-case token.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Stance::Attested => "ATTESTED",
            Stance::Refuted => "REFUTED",
            Stance::NoSignal => "NO_SIGNAL",
        }
    }

    /// Parse a token.
    pub(crate) fn from_name(s: &str) -> Option<Stance> {
        match s {
            "ATTESTED" => Some(Stance::Attested),
            "REFUTED" => Some(Stance::Refuted),
            "NO_SIGNAL" => Some(Stance::NoSignal),
            _ => None,
        }
    }
}

/// One witness's report about one effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EvidenceFacts {
    /// The source's name.
    pub source_name: String,
    /// Its rung.
    pub accountability: Accountability,
    /// Its stance.
    pub stance: Stance,
    /// What was probed.
    pub subject: String,
    /// Human detail.
    pub detail: String,
    /// Whether the witness actually reached the world.
    pub reachable: bool,
}

impl EvidenceFacts {
    /// A reached, attesting report.
    pub(crate) fn attest(source: &str, rung: Accountability, subject: &str, detail: &str) -> Self {
        Self::new(source, rung, Stance::Attested, subject, detail, true)
    }

    /// A reached, refuting report.
    pub(crate) fn refute(source: &str, rung: Accountability, subject: &str, detail: &str) -> Self {
        Self::new(source, rung, Stance::Refuted, subject, detail, true)
    }

    /// An unreached report.
    pub(crate) fn no_signal(source: &str, rung: Accountability, subject: &str, detail: &str) -> Self {
        Self::new(source, rung, Stance::NoSignal, subject, detail, false)
    }

    fn new(
        source: &str,
        rung: Accountability,
        stance: Stance,
        subject: &str,
        detail: &str,
        reachable: bool,
    ) -> Self {
        EvidenceFacts {
            source_name: source.into(),
            accountability: rung,
            stance,
            subject: subject.into(),
            detail: detail.into(),
            reachable,
        }
    }

    /// `to_dict()` in the reference's key order.
    pub(crate) fn to_map(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("source_name".into(), Value::from(self.source_name.as_str()));
        m.insert("accountability".into(), Value::from(self.accountability.name()));
        m.insert("stance".into(), Value::from(self.stance.name()));
        m.insert("subject".into(), Value::from(self.subject.as_str()));
        m.insert("detail".into(), Value::from(self.detail.as_str()));
        m.insert("reachable".into(), Value::Bool(self.reachable));
        m
    }

    /// Decode the wire form (the `to_dict()` shape); the error names the
    /// offending field.
    pub(crate) fn from_value(v: &Value) -> Result<EvidenceFacts, String> {
        let o = v.as_object().ok_or("EvidenceFacts must be a JSON object")?;
        let s = |k: &str| -> Result<String, String> {
            match o.get(k) {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(format!("EvidenceFacts.{k} must be a string")),
            }
        };
        let rung = s("accountability")?;
        let stance = s("stance")?;
        Ok(EvidenceFacts {
            source_name: s("source_name")?,
            accountability: Accountability::from_name(&rung)
                .ok_or_else(|| format!("EvidenceFacts.accountability {rung:?} is not a rung"))?,
            stance: if stance.is_empty() {
                Stance::NoSignal
            } else {
                Stance::from_name(&stance)
                    .ok_or_else(|| format!("EvidenceFacts.stance {stance:?} is not a stance"))?
            },
            subject: s("subject")?,
            detail: s("detail")?,
            reachable: match o.get("reachable") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err("EvidenceFacts.reachable must be a boolean".into()),
            },
        })
    }
}

/// The belief a set of facts supports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BeliefVerdict {
    /// A non-forgeable witness attested.
    pub believe: bool,
    /// A non-forgeable witness refuted.
    pub refuted: bool,
    /// Why.
    pub reason: String,
    /// Every attesting source (forgeable included).
    pub attesting: Vec<String>,
    /// Every refuting source.
    pub refuting: Vec<String>,
    /// Every source that did not reach a stance.
    pub silent: Vec<String>,
}

impl BeliefVerdict {
    /// `to_dict()`.
    pub(crate) fn to_map(&self) -> Map<String, Value> {
        let list = |v: &[String]| Value::Array(v.iter().map(|s| Value::from(s.as_str())).collect());
        let mut m = Map::new();
        m.insert("believe".into(), Value::Bool(self.believe));
        m.insert("refuted".into(), Value::Bool(self.refuted));
        m.insert("reason".into(), Value::from(self.reason.as_str()));
        m.insert("attesting".into(), list(&self.attesting));
        m.insert("refuting".into(), list(&self.refuting));
        m.insert("silent".into(), list(&self.silent));
        m
    }
}

/// Believe only what a non-forgeable witness attested (pure).
pub(crate) fn believe_under_floor(facts: &[EvidenceFacts]) -> BeliefVerdict {
    let (mut believe, mut refuted) = (false, false);
    let (mut attesting, mut refuting, mut silent) = (Vec::new(), Vec::new(), Vec::new());
    for f in facts {
        let accountable = !f.accountability.is_agent_authored();
        match (f.reachable, f.stance) {
            (true, Stance::Attested) => {
                attesting.push(f.source_name.clone());
                believe |= accountable;
            }
            (true, Stance::Refuted) => {
                refuting.push(f.source_name.clone());
                refuted |= accountable;
            }
            _ => silent.push(f.source_name.clone()),
        }
    }
    let reason = if believe && refuted {
        format!(
            "CONFLICT — accountable witnesses disagree: {} attest, {} refute (route to a human)",
            attesting.join(", "),
            refuting.join(", ")
        )
    } else if believe {
        format!(
            "believed — non-forgeable witness attested: {}",
            attesting.join(", ")
        )
    } else if refuted {
        format!(
            "refuted — non-forgeable witness disconfirmed: {}",
            refuting.join(", ")
        )
    } else if !attesting.is_empty() {
        format!("abstain — only forgeable-floor (AGENT_AUTHORED) sources attested ({}); no accountable witness — verify cannot believe", attesting.join(", "))
    } else {
        "abstain — no witness reached this effect (no signal)".into()
    };
    BeliefVerdict {
        believe,
        refuted,
        reason,
        attesting,
        refuting,
        silent,
    }
}
