//! The scout's input (reference: `dos.scout.ScoutState` and
//! `_state_from_json`): the facts the host gathered, read from the
//! `--state-json` object with the reference's defaults and coercions.
//!
//! Where the reference would crash or silently mis-read, a value that cannot
//! mean what its field needs is a [`StateError`] naming the key: a string
//! boolean is read as the word it spells (`"false"` is false), a string list
//! field is one item (not its characters), and `null` text is empty (not
//! `"None"`).

use serde_json::{Map, Value};

/// The sibling health verdict's action (reference: `dos.health.HealthAction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HealthAction {
    /// History is clean — launch.
    Proceed,
    /// Recurring structural blocker — /unstick first.
    RouteUnstick,
    /// Soak/data-gated — /replan.
    RouteReplan,
    /// A live lease's tree collides — pick elsewhere.
    OverlapBlock,
}

impl HealthAction {
    /// The wire value (`proceed`, …).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            HealthAction::Proceed => "proceed",
            HealthAction::RouteUnstick => "route_unstick",
            HealthAction::RouteReplan => "route_replan",
            HealthAction::OverlapBlock => "overlap_block",
        }
    }

    /// Parse a wire value; anything unknown is PROCEED, as in the reference.
    pub(crate) fn parse(v: Option<&Value>) -> HealthAction {
        match v.and_then(Value::as_str) {
            Some("route_unstick") => HealthAction::RouteUnstick,
            Some("route_replan") => HealthAction::RouteReplan,
            Some("overlap_block") => HealthAction::OverlapBlock,
            _ => HealthAction::Proceed,
        }
    }
}

/// The slice of a `dos health` verdict the scout's stopping rules read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Health {
    /// What health recommends.
    pub action: HealthAction,
    /// The recurring cause, if any.
    pub cause_key: String,
}

/// The 7-day scoreboard shape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Scoreboard {
    /// Runs in the last 7 days.
    pub runs_7d: i64,
    /// Of those, runs that shipped nothing.
    pub zero_ship_7d: i64,
    /// False drains.
    pub false_drain_runs: i64,
    /// Runs that shipped.
    pub runs_shipped: i64,
}

impl Scoreboard {
    /// Fraction of zero-ship runs (0 when there were none).
    pub(crate) fn zero_ship_frac(&self) -> f64 {
        if self.runs_7d == 0 {
            0.0
        } else {
            self.zero_ship_7d as f64 / self.runs_7d as f64
        }
    }
}

/// The lane's pickable loop-closing work.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ClosedLoop {
    /// The lane has at least one such item.
    pub available: bool,
    /// How many.
    pub count: i64,
    /// The highest-value one.
    pub top_item: String,
}

/// Every fact the chooser reads.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScoutState {
    /// The `--state-json` object as given (the stop policy's view starts here).
    pub raw: Map<String, Value>,
    /// The lane (any JSON value; printed as given).
    pub scope: Value,
    /// The requested focus (any JSON value; falsy means `not-started`).
    pub focus: Value,
    /// `hard`, `soft` or `drive`.
    pub gate: String,
    /// The host measured a can't-launch wall.
    pub resource_blocked: bool,
    /// Why (operator-facing).
    pub resource_block_reason: String,
    /// The sibling health verdict, if any.
    pub health: Option<Health>,
    /// Escalated, unanswered operator decision ids.
    pub open_escalated_decisions: Vec<String>,
    /// The recurring cause is operator-owned.
    pub operator_owned_cause: bool,
    /// `/unstick` runs today.
    pub same_day_unstick_count: i64,
    /// The latest `/unstick` stamp.
    pub latest_unstick_stamp: String,
    /// Fixes have landed since the last `/unstick`.
    pub fixes_landing_since_unstick: bool,
    /// Open soak windows.
    pub open_soaks: Vec<String>,
    /// A replan is due by cooldown.
    pub replan_due: bool,
    /// Why it is due.
    pub replan_desc: String,
    /// A /replan is running now.
    pub replan_in_flight: bool,
    /// A recent /replan produced nothing.
    pub recent_replan_unproductive: bool,
    /// A /replan ran this cooldown window.
    pub recent_replan_ran: bool,
    /// Description of the recent /replan.
    pub recent_replan_desc: String,
    /// The 7-day scoreboard, if given.
    pub scoreboard: Option<Scoreboard>,
    /// Closed-loop work, if given.
    pub closed_loop: Option<ClosedLoop>,
}

/// Why `--state-json` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum StateError {
    /// Not JSON at all.
    #[error("--state-json is not valid JSON ({0})")]
    Json(String),
    /// JSON, but not an object.
    #[error("--state-json must be a JSON object (got {0})")]
    NotObject(&'static str),
    /// A field holds a value it cannot mean.
    #[error("--state-json: '{key}' {problem}")]
    Field {
        /// Dotted key (`scoreboard.runs_7d`).
        key: String,
        /// What is wrong.
        problem: String,
    },
    /// The gate is not one the reference knows.
    #[error("--state-json: unknown gate {0} — expected hard|soft|drive")]
    Gate(String),
}

/// What a JSON value is, in words.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

use dos_py::value::truthy;

fn field(key: &str, problem: String) -> StateError {
    StateError::Field {
        key: key.into(),
        problem,
    }
}

/// A boolean field: JSON booleans, numbers (non-zero), null (false) and the
/// strings true/false/yes/no/1/0/"" (any case).
fn boolean(obj: &Map<String, Value>, key: &str, prefix: &str, default: bool) -> Result<bool, StateError> {
    match obj.get(key) {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::Null) => Ok(false),
        Some(Value::Number(n)) => Ok(n.as_f64().is_some_and(|f| f != 0.0)),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(true),
            "false" | "no" | "0" | "" => Ok(false),
            _ => Err(field(
                &format!("{prefix}{key}"),
                format!("must be true or false (got the string {s:?})"),
            )),
        },
        Some(other) => Err(field(
            &format!("{prefix}{key}"),
            format!("must be true or false (got {})", kind(other)),
        )),
    }
}

/// An integer field (`int(x or 0)`): numbers (truncated), booleans, null
/// (0) and decimal strings.
fn integer(obj: &Map<String, Value>, key: &str, prefix: &str) -> Result<i64, StateError> {
    let bad = |what: String| {
        field(
            &format!("{prefix}{key}"),
            format!("must be an integer (got {what})"),
        )
    };
    match obj.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Bool(b)) => Ok(i64::from(*b)),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(i),
            (None, Some(f)) if f.is_finite() && f.abs() < 9.2e18 => Ok(f.trunc() as i64),
            _ => Err(bad(n.to_string())),
        },
        Some(Value::String(s)) if s.trim().is_empty() => Ok(0),
        Some(Value::String(s)) => s
            .trim()
            .replace('_', "")
            .parse()
            .map_err(|_| bad(format!("the string {s:?}"))),
        Some(other) => Err(bad(kind(other).to_string())),
    }
}

/// A scalar as text (`str(x)`; null → "").
fn scalar_text(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::Array(_) | Value::Object(_) => return None,
    })
}

/// A text field.
fn text(obj: &Map<String, Value>, key: &str, prefix: &str) -> Result<String, StateError> {
    match obj.get(key) {
        None => Ok(String::new()),
        Some(v) => scalar_text(v).ok_or_else(|| {
            field(
                &format!("{prefix}{key}"),
                format!("must be text (got {})", kind(v)),
            )
        }),
    }
}

/// A list-of-text field: null → empty; one string → one item; a list of
/// scalars → their text.
fn texts(obj: &Map<String, Value>, key: &str) -> Result<Vec<String>, StateError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) if s.is_empty() => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::Null => Err(field(key, "items must be text (got null)".into())),
                v => {
                    scalar_text(v).ok_or_else(|| field(key, format!("items must be text (got {})", kind(v))))
                }
            })
            .collect(),
        Some(other) => Err(field(
            key,
            format!("must be a list of strings (got {})", kind(other)),
        )),
    }
}

impl ScoutState {
    /// Build the state from the `--state-json` text (empty text = `{}`).
    pub(crate) fn from_json(blob: &str) -> Result<ScoutState, StateError> {
        let value: Value = if blob.trim().is_empty() {
            Value::Object(Map::new())
        } else {
            serde_json::from_str(blob).map_err(|e| StateError::Json(e.to_string()))?
        };
        let Value::Object(obj) = value else {
            return Err(StateError::NotObject(kind(&value)));
        };
        ScoutState::from_object(obj)
    }

    /// Build the state from an already-parsed object.
    pub(crate) fn from_object(obj: Map<String, Value>) -> Result<ScoutState, StateError> {
        let gate = match obj.get("gate") {
            None => "hard".to_string(),
            Some(Value::String(g)) if matches!(g.as_str(), "hard" | "soft" | "drive") => g.clone(),
            Some(Value::String(g)) => return Err(StateError::Gate(format!("{g:?}"))),
            Some(other) => return Err(StateError::Gate(other.to_string())),
        };
        let health = match obj.get("health") {
            Some(Value::Object(h)) if !h.is_empty() => Some(Health {
                action: HealthAction::parse(h.get("action")),
                cause_key: text(h, "cause_key", "health.")?,
            }),
            Some(v) if truthy(v) => {
                return Err(field(
                    "health",
                    format!("must be a `dos health` verdict object (got {})", kind(v)),
                ))
            }
            _ => None,
        };
        let scoreboard = match obj.get("scoreboard") {
            Some(Value::Object(sb)) => Some(Scoreboard {
                runs_7d: integer(sb, "runs_7d", "scoreboard.")?,
                zero_ship_7d: integer(sb, "zero_ship_7d", "scoreboard.")?,
                false_drain_runs: integer(sb, "false_drain_runs", "scoreboard.")?,
                runs_shipped: integer(sb, "runs_shipped", "scoreboard.")?,
            }),
            _ => None,
        };
        let closed_loop = match obj.get("closed_loop") {
            Some(Value::Object(cl)) => Some(ClosedLoop {
                available: boolean(cl, "available", "closed_loop.", false)?,
                count: integer(cl, "count", "closed_loop.")?,
                top_item: text(cl, "top_item", "closed_loop.")?,
            }),
            _ => None,
        };
        Ok(ScoutState {
            scope: obj.get("scope").cloned().unwrap_or(Value::Null),
            focus: obj
                .get("focus")
                .cloned()
                .unwrap_or_else(|| Value::String("not-started".into())),
            gate,
            resource_blocked: boolean(&obj, "resource_blocked", "", false)?,
            resource_block_reason: text(&obj, "resource_block_reason", "")?,
            health,
            open_escalated_decisions: texts(&obj, "open_escalated_decisions")?,
            operator_owned_cause: boolean(&obj, "operator_owned_cause", "", false)?,
            same_day_unstick_count: integer(&obj, "same_day_unstick_count", "")?,
            latest_unstick_stamp: text(&obj, "latest_unstick_stamp", "")?,
            fixes_landing_since_unstick: boolean(&obj, "fixes_landing_since_unstick", "", true)?,
            open_soaks: texts(&obj, "open_soaks")?,
            replan_due: boolean(&obj, "replan_due", "", false)?,
            replan_desc: text(&obj, "replan_desc", "")?,
            replan_in_flight: boolean(&obj, "replan_in_flight", "", false)?,
            recent_replan_unproductive: boolean(&obj, "recent_replan_unproductive", "", false)?,
            recent_replan_ran: boolean(&obj, "recent_replan_ran", "", false)?,
            recent_replan_desc: text(&obj, "recent_replan_desc", "")?,
            scoreboard,
            closed_loop,
            raw: obj,
        })
    }

    /// The health action, PROCEED when no verdict was given.
    pub(crate) fn health_action(&self) -> HealthAction {
        self.health.as_ref().map_or(HealthAction::Proceed, |h| h.action)
    }

    /// The effective focus: the given one if truthy, else `not-started`.
    pub(crate) fn effective_focus(&self) -> Value {
        if truthy(&self.focus) {
            self.focus.clone()
        } else {
            Value::String("not-started".into())
        }
    }

    /// What a stop policy sees: the state object as given, with the host's
    /// full ranked decisions queue under `pending_decisions` (replacing any
    /// value the caller put there).
    pub(crate) fn policy_view(&self, queue: &[Value]) -> Value {
        let mut view = self.raw.clone();
        view.insert("pending_decisions".into(), Value::Array(queue.to_vec()));
        Value::Object(view)
    }
}
