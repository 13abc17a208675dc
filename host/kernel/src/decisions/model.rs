//! The `Decision` value and its closed vocabularies (reference: `dos.decisions`).

use serde_json::{Map, Value};

/// Which kernel surface emitted a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecisionKind {
    /// An arbiter refused a lane lease (journal `REFUSE`, or a mislabeled `ACQUIRE`).
    ArbiterRefuse,
    /// A no-pick verdict envelope.
    Wedge,
    /// A verdict envelope refused at preflight (`do_not_render` / `blocked`).
    PreflightRefuse,
    /// An open soak window.
    SoakGate,
    /// A watchdog proposed stopping a run (journal `HALT`).
    Liveness,
}

impl DecisionKind {
    /// The wire token (`ARBITER_REFUSE`, …).
    pub fn token(self) -> &'static str {
        match self {
            DecisionKind::ArbiterRefuse => "ARBITER_REFUSE",
            DecisionKind::Wedge => "WEDGE",
            DecisionKind::PreflightRefuse => "PREFLIGHT_REFUSE",
            DecisionKind::SoakGate => "SOAK_GATE",
            DecisionKind::Liveness => "LIVENESS",
        }
    }

    /// Sort precedence, lower = more urgent.
    pub fn rank(self) -> u8 {
        match self {
            DecisionKind::Liveness => 0,
            DecisionKind::ArbiterRefuse => 1,
            DecisionKind::PreflightRefuse => 2,
            DecisionKind::Wedge => 3,
            DecisionKind::SoakGate => 4,
        }
    }

    /// The urgency tier derived from the rank.
    pub fn urgency(self) -> Urgency {
        match self.rank() {
            0 | 1 => Urgency::Now,
            2 | 3 => Urgency::Soon,
            _ => Urgency::Later,
        }
    }

    /// Parse a wire token (case-sensitive, as written by `to_json`).
    pub fn from_token(token: &str) -> Option<DecisionKind> {
        [
            DecisionKind::ArbiterRefuse,
            DecisionKind::Wedge,
            DecisionKind::PreflightRefuse,
            DecisionKind::SoakGate,
            DecisionKind::Liveness,
        ]
        .into_iter()
        .find(|k| k.token() == token)
    }
}

/// Who can resolve a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResolverKind {
    /// A deterministic oracle can cross-check or auto-clear it.
    Oracle,
    /// An LLM adjudicator could rule before a human looks.
    Judge,
    /// A genuine operator call.
    Human,
    /// Nobody: it self-resolves (mutex contention the loop already handles).
    Backpressure,
}

impl ResolverKind {
    /// The wire token (`ORACLE`, …).
    pub fn token(self) -> &'static str {
        match self {
            ResolverKind::Oracle => "ORACLE",
            ResolverKind::Judge => "JUDGE",
            ResolverKind::Human => "HUMAN",
            ResolverKind::Backpressure => "BACKPRESSURE",
        }
    }
}

/// How loudly a decision announces itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// Costing now or blocking a loop.
    Now,
    /// Worth a look.
    Soon,
    /// Ripens on its own clock.
    Later,
}

impl Urgency {
    /// The ASCII glyph the plain list uses (`!`, `+`, `.`).
    pub fn ascii_glyph(self) -> &'static str {
        match self {
            Urgency::Now => "!",
            Urgency::Soon => "+",
            Urgency::Later => ".",
        }
    }
}

/// One pending operator decision — a row in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Which surface emitted it.
    pub kind: DecisionKind,
    /// Who can resolve it.
    pub resolver_kind: ResolverKind,
    /// Lane handle, may be empty.
    pub lane: String,
    /// Closed UPPER_SNAKE token or empty.
    pub reason_token: String,
    /// One-line operator prose.
    pub reason_text: String,
    /// Correlation id or empty.
    pub run_id: String,
    /// Chained-run dir name (the `dos judge` key) or empty.
    pub run_ts: String,
    /// Age at collection time, when the source was timestamped.
    pub age_seconds: Option<i64>,
    /// The file the row was read from.
    pub source_path: String,
    /// Supporting facts, in order.
    pub evidence: Vec<String>,
    /// LIVENESS paste-to-stop command or empty.
    pub proposed_command: String,
    /// LIVENESS opaque stop handle or empty.
    pub handle: String,
    /// How many identical rows this one stands for (≥ 1).
    pub dup_count: usize,
}

impl Decision {
    /// The reference's `to_dict`, key order included (the `--json` element shape).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("kind".into(), self.kind.token().into());
        m.insert("resolver_kind".into(), self.resolver_kind.token().into());
        m.insert("lane".into(), self.lane.clone().into());
        m.insert("reason_token".into(), self.reason_token.clone().into());
        m.insert("reason_text".into(), self.reason_text.clone().into());
        m.insert("run_id".into(), self.run_id.clone().into());
        m.insert("run_ts".into(), self.run_ts.clone().into());
        m.insert(
            "age_seconds".into(),
            self.age_seconds.map(Value::from).unwrap_or(Value::Null),
        );
        m.insert("source_path".into(), self.source_path.clone().into());
        m.insert(
            "evidence".into(),
            Value::Array(self.evidence.iter().cloned().map(Value::from).collect()),
        );
        m.insert("proposed_command".into(), self.proposed_command.clone().into());
        m.insert("handle".into(), self.handle.clone().into());
        m.insert("dup_count".into(), Value::from(self.dup_count));
        // 0.30: only its ENFORCE_BREAKER source (not ours) ever sets it true.
        m.insert("resolved".into(), Value::Bool(false));
        Value::Object(m)
    }

    /// The urgency tier of this row.
    pub fn urgency(&self) -> Urgency {
        self.kind.urgency()
    }
}
