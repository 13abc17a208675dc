//! The wait-marker budget (pure): when a Stop should be held open (blocked)
//! to keep a loop's keep-alive turn, and when the budget is spent. Arming,
//! the budget arithmetic, the tally replay and the texts.

use dos_py::json::Val;

/// `[marker]` policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkerPolicy {
    /// Markers allowed between resets.
    pub max_streak: i64,
    /// Environment variables whose non-empty value arms the budget.
    pub arm_on_env: Vec<String>,
    /// Whether `stop_hook_active: true` disarms.
    pub respect_stop_hook_active: bool,
}

impl Default for MarkerPolicy {
    fn default() -> Self {
        MarkerPolicy {
            max_streak: 4,
            arm_on_env: vec!["DOS_LOOP".into(), "CID_RUN_ID".into()],
            respect_stop_hook_active: true,
        }
    }
}

/// The arming decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arming {
    /// Armed; the reason (`armed by --loop`, `armed by env X`).
    Armed(String),
    /// Not armed; the debug explanation.
    NotArmed(String),
}

/// Decide arming: the `stop_hook_active` guard first, then `--loop`, then the
/// first `arm_on_env` variable with a non-empty value.
pub fn arm(
    policy: &MarkerPolicy,
    stop_hook_active: bool,
    loop_flag: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Arming {
    if policy.respect_stop_hook_active && stop_hook_active {
        return Arming::NotArmed(
            "stop_hook_active — stop already hook-continued; do not re-block; allow stop".into(),
        );
    }
    if loop_flag {
        return Arming::Armed("armed by --loop".into());
    }
    for name in &policy.arm_on_env {
        if env(name).is_some_and(|v| !v.is_empty()) {
            return Arming::Armed(format!("armed by env {name}"));
        }
    }
    let names = if policy.arm_on_env.is_empty() {
        "(none)".to_string()
    } else {
        policy.arm_on_env.join(", ")
    };
    Arming::NotArmed(format!(
        "no loop signal (--loop / env {names}) — ordinary turn, not a keep-alive poll; allow stop (wait-marker budget arms only inside a loop)"
    ))
}

/// The budget decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    /// Whether another marker is allowed (the Stop is blocked).
    pub allow: bool,
    /// The count carried forward (count + 1 if allowed).
    pub carried: i64,
    /// The cap.
    pub cap: i64,
    /// The budget reason.
    pub reason: String,
}

/// allow ⇔ count < cap.
pub fn budget(count: i64, cap: i64) -> Budget {
    if count < cap {
        let n = count + 1;
        Budget {
            allow: true,
            carried: n,
            cap,
            reason: format!("wait-marker {n}/{cap} — turn held open"),
        }
    } else {
        Budget {
            allow: false,
            carried: count,
            cap,
            reason: format!("wait-marker budget exhausted ({count}/{cap}) — each further marker replays full context out of cache for no work; wait on the Bash task-notification, OC1's orphan sweep is the safety net"),
        }
    }
}

/// The Stop block reason.
pub fn block_reason(b: &Budget) -> String {
    format!("DOS wait-marker budget: {}. The keep-alive turn is held open; continue waiting on the background task's completion signal rather than re-polling. (This block is withdrawn once the budget is spent, at which point you should end the turn and let the task-notification re-invoke you.)", b.reason)
}

/// What a readable tally record does to the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TallyOp {
    /// +1.
    Marker,
    /// Back to 0.
    Reset,
    /// No effect.
    Other,
}

/// The op of a readable record.
pub fn tally_op(record: &Val<'_>) -> TallyOp {
    match record.get("op") {
        Some(Val::Str(s)) if s.eq_str("MARKER") => TallyOp::Marker,
        Some(Val::Str(s)) if s.eq_str("RESET") => TallyOp::Reset,
        _ => TallyOp::Other,
    }
}

/// The count from readable ops given newest first: markers since the newest
/// reset. Consumes only as far back as that reset.
pub fn count_newest_first<I: Iterator<Item = TallyOp>>(ops: I) -> i64 {
    let mut n = 0;
    for op in ops {
        match op {
            TallyOp::Marker => n += 1,
            TallyOp::Reset => break,
            TallyOp::Other => {}
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_table() {
        let table = [
            (0, 4, true, 1),
            (3, 4, true, 4),
            (4, 4, false, 4),
            (9, 4, false, 9),
            (0, 0, false, 0),
        ];
        for (count, cap, allow, carried) in table {
            let b = budget(count, cap);
            assert_eq!((b.allow, b.carried), (allow, carried), "{count}/{cap}");
        }
        assert_eq!(budget(0, 4).reason, "wait-marker 1/4 — turn held open");
    }

    #[test]
    fn arming_table() {
        let d = MarkerPolicy::default();
        let custom = MarkerPolicy {
            arm_on_env: vec!["MY_LOOP".into()],
            ..d.clone()
        };
        let none = MarkerPolicy {
            arm_on_env: vec![],
            ..d.clone()
        };
        let lax = MarkerPolicy {
            respect_stop_hook_active: false,
            ..d.clone()
        };
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        type Row<'a> = (
            &'a MarkerPolicy,
            bool,
            bool,
            &'static [(&'static str, &'static str)],
            Option<&'static str>,
        );
        let table: Vec<Row> = vec![
            (&d, false, false, &[], None),
            (&d, false, true, &[], Some("armed by --loop")),
            (&d, true, true, &[], None),
            (&lax, true, true, &[], Some("armed by --loop")),
            (
                &d,
                false,
                false,
                &[("DOS_LOOP", "1")],
                Some("armed by env DOS_LOOP"),
            ),
            (&d, false, false, &[("DOS_LOOP", "")], None),
            (
                &d,
                false,
                false,
                &[("CID_RUN_ID", "r")],
                Some("armed by env CID_RUN_ID"),
            ),
            (&custom, false, false, &[("DOS_LOOP", "1")], None),
            (
                &custom,
                false,
                false,
                &[("MY_LOOP", "yes")],
                Some("armed by env MY_LOOP"),
            ),
            (&none, false, false, &[("DOS_LOOP", "1")], None),
        ];
        for (i, (p, active, lp, vars, expected)) in table.into_iter().enumerate() {
            let got = match arm(p, active, lp, &env(vars)) {
                Arming::Armed(r) => Some(r),
                Arming::NotArmed(_) => None,
            };
            assert_eq!(got.as_deref(), expected, "row {i}");
        }
        match arm(&none, false, false, &|_| None) {
            Arming::NotArmed(m) => assert!(m.contains("(--loop / env (none))")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn tally_counts_since_last_reset() {
        use TallyOp::*;
        let table: Vec<(Vec<TallyOp>, i64)> = vec![
            (vec![], 0),
            (vec![Marker, Marker, Marker], 3),
            (vec![Marker, Other, Other, Marker], 2),
            (vec![Marker, Marker, Marker, Marker, Reset, Marker], 1),
        ];
        for (oldest_first, expected) in table {
            assert_eq!(count_newest_first(oldest_first.into_iter().rev()), expected);
        }
    }
}
