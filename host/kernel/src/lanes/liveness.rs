//! Liveness (pure): is a run ADVANCING, SPINNING (alive, no progress) or
//! STALLED (dead or hung)? Plus the journal fold that gathers one lease's
//! progress events and newest beat, and lenient timestamp parsing.

use super::journal::{
    py_str, Entry, OP_ACQUIRE, OP_CORRUPT, OP_HEARTBEAT, OP_RECONCILE, OP_RELEASE, OP_SCAVENGE,
};
use serde_json::{Map, Value};

/// The three liveness verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// Progress observed, or too young to judge.
    Advancing,
    /// Alive (fresh beat) but no progress past the grace window.
    Spinning,
    /// No fresh beat and no progress.
    Stalled,
}

impl Liveness {
    /// The upper-case token.
    pub fn name(self) -> &'static str {
        match self {
            Liveness::Advancing => "ADVANCING",
            Liveness::Spinning => "SPINNING",
            Liveness::Stalled => "STALLED",
        }
    }
}

/// The classification windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LivenessPolicy {
    /// Too-young-to-judge window (default 30 min).
    pub grace_ms: i64,
    /// A beat at most this old means alive (default 15 min).
    pub spin_ms: i64,
}

impl Default for LivenessPolicy {
    fn default() -> Self {
        LivenessPolicy {
            grace_ms: 1_800_000,
            spin_ms: 900_000,
        }
    }
}

/// The facts liveness is decided from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LivenessEvidence {
    /// When the run started (ms).
    pub run_started_ms: i64,
    /// Now (ms).
    pub now_ms: i64,
    /// Commits since the run's start SHA.
    pub commits_since_start: i64,
    /// State-mutating journal events since start.
    pub journal_events_since: i64,
    /// Age of the newest beat, if any.
    pub last_heartbeat_age_ms: Option<i64>,
    /// Echo only.
    pub tokens_spent_since: Option<i64>,
    /// The OS's word on the process, if asked.
    pub process_alive: Option<bool>,
}

/// A liveness verdict with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LivenessVerdict {
    /// The verdict.
    pub verdict: Liveness,
    /// Why.
    pub reason: String,
    /// The evidence it was decided from.
    pub evidence: LivenessEvidence,
}

/// Classify (pure). Errors name the invalid input.
pub fn classify(ev: &LivenessEvidence, policy: &LivenessPolicy) -> Result<LivenessVerdict, String> {
    if policy.grace_ms < 0 || policy.spin_ms < 0 {
        return Err("liveness windows must be non-negative (ms)".into());
    }
    if ev.commits_since_start < 0 || ev.journal_events_since < 0 {
        return Err("evidence counts must be non-negative".into());
    }
    let done = |verdict, reason: String| {
        Ok(LivenessVerdict {
            verdict,
            reason,
            evidence: *ev,
        })
    };
    if ev.commits_since_start >= 1 {
        return done(
            Liveness::Advancing,
            format!(
                "{} commit(s) since the run's start SHA — ground-truth state moved",
                ev.commits_since_start
            ),
        );
    }
    if ev.journal_events_since >= 1 {
        return done(
            Liveness::Advancing,
            format!(
                "{} state-mutating lane-journal event(s) since start — progress at the lease layer (0 commits)",
                ev.journal_events_since
            ),
        );
    }
    let (grace, spin) = (policy.grace_ms, policy.spin_ms);
    match ev.last_heartbeat_age_ms {
        Some(age) if age <= spin => {
            if ev.process_alive == Some(false) {
                return done(Liveness::Stalled, format!("heartbeat {age} ms old says alive, but the OS reports the run's process is gone — STALLED (the unforgeable proc rung overrides a forgeable heartbeat; docs/95)"));
            }
            let run_age = ev.now_ms - ev.run_started_ms;
            if run_age < grace {
                done(Liveness::Advancing, format!("alive (heartbeat {age} ms old) and only {run_age} ms into the run (< grace {grace} ms) — too young to judge spinning; no liveness problem yet (0 commits so far)"))
            } else {
                done(Liveness::Spinning, format!("alive (heartbeat {age} ms old ≤ spin window {spin} ms) and {run_age} ms into the run (≥ grace {grace} ms) but 0 commits and 0 lane events since start — spinning"))
            }
        }
        None => done(
            Liveness::Stalled,
            "no heartbeat and 0 commits since start — run is dead or hung (never beat)".into(),
        ),
        Some(age) => done(
            Liveness::Stalled,
            format!("heartbeat {age} ms old (> spin window {spin} ms) and 0 commits since start — run is dead or hung, not spinning"),
        ),
    }
}

fn opt_i(v: Option<i64>) -> Value {
    v.map(Value::from).unwrap_or(Value::Null)
}

impl LivenessVerdict {
    /// `{verdict, reason, evidence:{…}}`.
    pub fn to_map(&self) -> Map<String, Value> {
        let e = &self.evidence;
        let mut ev = Map::new();
        ev.insert("run_started_ms".into(), Value::from(e.run_started_ms));
        ev.insert("now_ms".into(), Value::from(e.now_ms));
        ev.insert("commits_since_start".into(), Value::from(e.commits_since_start));
        ev.insert("journal_events_since".into(), Value::from(e.journal_events_since));
        ev.insert("last_heartbeat_age_ms".into(), opt_i(e.last_heartbeat_age_ms));
        ev.insert("tokens_spent_since".into(), opt_i(e.tokens_spent_since));
        ev.insert(
            "process_alive".into(),
            e.process_alive.map(Value::Bool).unwrap_or(Value::Null),
        );
        let mut m = Map::new();
        m.insert("verdict".into(), Value::from(self.verdict.name()));
        m.insert("reason".into(), Value::from(self.reason.as_str()));
        m.insert("evidence".into(), Value::Object(ev));
        m
    }
}

/// The number of days in month `m` of year `y` (proleptic Gregorian).
fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A journal stamp → ms, as Python's `datetime.strptime(s, FMT)` reads it for
/// FMT `%Y-%m-%dT%H:%MZ` or `%Y-%m-%dT%H:%M:%SZ` (UTC): four-digit year,
/// one- or two-digit other fields (`%d` also space-padded), `T`/`Z` in either
/// case, and a real calendar date (`None` for Feb 30 or second 60). Digits
/// are ASCII only (Python's `\d` would also take other Unicode digits).
pub fn parse_stamp_ms(s: &str) -> Option<i64> {
    let body = s.strip_suffix(['Z', 'z'])?;
    let year = body.get(..4).filter(|y| y.bytes().all(|b| b.is_ascii_digit()))?;
    let rest = body.get(4..)?.strip_prefix('-')?;
    let (month, rest) = rest.split_once('-')?;
    let (day, time) = rest.split_once(['T', 't'])?;
    let mut hms = time.split(':');
    let (hour, minute, second) = (hms.next()?, hms.next()?, hms.next());
    if hms.next().is_some() {
        return None;
    }
    let fields_ok = StrptimeField::MONTH.matches(month)
        && StrptimeField::DAY.matches(day)
        && StrptimeField::HOUR.matches(hour)
        && StrptimeField::MINUTE.matches(minute)
        && second.is_none_or(|s| StrptimeField::SECOND.matches(s));
    if !fields_ok {
        return None;
    }
    let date = format!("{year}-{month:0>2}-{:0>2}", day.trim_start());
    civil_ms(&date, &[hour, minute, second.unwrap_or("0")], 0)
}

/// One `_strptime` one-or-two-digit field pattern: a single digit (zero
/// included when `zero`), `0` + digit, a digit in `1..top` + any digit, or
/// `top` + one of `top_next`; `space_pad` also admits `" [1-9]"`.
struct StrptimeField {
    zero: bool,
    top: u8,
    top_next: &'static [u8],
    space_pad: bool,
}

impl StrptimeField {
    /// `%m`: `1[0-2]|0[1-9]|[1-9]`.
    const MONTH: Self = Self {
        zero: false,
        top: b'1',
        top_next: b"012",
        space_pad: false,
    };
    /// `%d`: `3[01]|[12]\d|0[1-9]|[1-9]| [1-9]`.
    const DAY: Self = Self {
        zero: false,
        top: b'3',
        top_next: b"01",
        space_pad: true,
    };
    /// `%H`: `2[0-3]|[0-1]\d|\d`.
    const HOUR: Self = Self {
        zero: true,
        top: b'2',
        top_next: b"0123",
        space_pad: false,
    };
    /// `%M`: `[0-5]\d|\d`.
    const MINUTE: Self = Self {
        zero: true,
        top: b'6',
        top_next: b"",
        space_pad: false,
    };
    /// `%S`: `6[0-1]|[0-5]\d|\d` (60 and 61 then fail the datetime check).
    const SECOND: Self = Self {
        zero: true,
        top: b'6',
        top_next: b"01",
        space_pad: false,
    };

    fn matches(&self, f: &str) -> bool {
        match *f.as_bytes() {
            [d] => d.is_ascii_digit() && (self.zero || d != b'0'),
            [b' ', d] => self.space_pad && (b'1'..=b'9').contains(&d),
            [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
                (a == b'0' && (self.zero || b != b'0'))
                    || (a > b'0' && a < self.top)
                    || (a == self.top && self.top_next.contains(&b))
            }
            _ => false,
        }
    }
}

fn civil_ms(date: &str, hms: &[&str], frac_ms: i64) -> Option<i64> {
    let d: Vec<&str> = date.split('-').collect();
    if d.len() != 3 || d[0].len() != 4 || d[1].len() != 2 || d[2].len() != 2 {
        return None;
    }
    let (y, mo, da) = (num(d[0])?, num(d[1])?, num(d[2])?);
    let h = num(hms.first().copied().unwrap_or("00"))?;
    let mi = num(hms.get(1).copied().unwrap_or("00"))?;
    let se = num(hms.get(2).copied().unwrap_or("00"))?;
    if y < 1
        || !(1..=12).contains(&mo)
        || !(1..=days_in_month(y, mo)).contains(&da)
        || h > 23
        || mi > 59
        || se > 59
    {
        return None;
    }
    Some((days_from_civil(y, mo, da) * 86_400 + h * 3600 + mi * 60 + se) * 1000 + frac_ms)
}

/// Lenient ISO-8601 → ms (Python `fromisoformat`, trailing `Z` = UTC, naive
/// = UTC, `±HH:MM` offsets, fractional seconds).
pub fn parse_iso_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, rest) = match s.find(['T', ' ']) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => return civil_ms(s, &[], 0),
    };
    let (time, offset_s) = if let Some(t) = rest.strip_suffix('Z') {
        (t, 0)
    } else if let Some(i) = rest.rfind(['+', '-']) {
        let (t, off) = (&rest[..i], &rest[i + 1..]);
        let sign = if rest.as_bytes()[i] == b'-' { -1 } else { 1 };
        let (oh, om) = off
            .split_once(':')
            .unwrap_or((off.get(..2)?, off.get(2..).unwrap_or("00")));
        (
            t,
            sign * (num(oh)? * 3600 + num(if om.is_empty() { "0" } else { om })? * 60),
        )
    } else {
        (rest, 0)
    };
    let (hms, frac) = match time.split_once('.') {
        Some((a, f)) => (a, f),
        None => (time, ""),
    };
    let frac_ms = if frac.is_empty() {
        0
    } else {
        let mut digits = frac.to_string();
        digits.truncate(3);
        while digits.len() < 3 {
            digits.push('0');
        }
        num(&digits)?
    };
    let parts: Vec<&str> = hms.split(':').collect();
    if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.len() != 2) {
        return None;
    }
    Some(civil_ms(date, &parts, frac_ms)? - offset_s * 1000)
}

/// The fold of one lease's journal records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fold {
    /// State-mutating events since the run's start (birth excluded).
    pub events: i64,
    /// Age of the newest beat, if any.
    pub beat_age_ms: Option<i64>,
    /// A `_CORRUPT` sentinel was seen.
    pub saw_corrupt: bool,
}

/// Fold `entries` for the lease `(loop_ts, lane)` (pure).
pub fn fold_since(entries: &[Entry], run_started_ms: i64, now_ms: i64, key: Option<(&str, &str)>) -> Fold {
    let mut fold = Fold::default();
    let key = key.filter(|(a, b)| !(a.is_empty() && b.is_empty()));
    let floor = run_started_ms.div_euclid(1000) * 1000;
    let mut born = false;
    let mut newest: Option<i64> = None;
    for e in entries {
        let op = e.get("op").and_then(Value::as_str).unwrap_or("");
        if op == OP_CORRUPT {
            fold.saw_corrupt = true;
            continue;
        }
        let Some((lt, lane)) = key else { continue };
        if py_str(e.get("loop_ts")) != lt || py_str(e.get("lane")) != lane {
            continue;
        }
        let t = e
            .get("ts")
            .and_then(Value::as_str)
            .and_then(parse_stamp_ms)
            .or_else(|| {
                e.get("heartbeat_at")
                    .and_then(Value::as_str)
                    .and_then(parse_stamp_ms)
            });
        let Some(t) = t else { continue };
        let birth = op == OP_ACQUIRE && !born;
        if birth {
            born = true;
        }
        if !birth
            && [OP_ACQUIRE, OP_RELEASE, OP_SCAVENGE, OP_RECONCILE].contains(&op)
            && floor < t
            && t <= now_ms + 1000
        {
            fold.events += 1;
        }
        if (op == OP_ACQUIRE || op == OP_HEARTBEAT) && t <= now_ms + 1000 {
            newest = Some(newest.map_or(t, |n: i64| n.max(t)));
        }
    }
    fold.beat_age_ms = newest.map(|n| (now_ms - n).max(0));
    fold
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(age: Option<i64>, run_age: i64) -> LivenessEvidence {
        LivenessEvidence {
            run_started_ms: 0,
            now_ms: run_age,
            last_heartbeat_age_ms: age,
            ..Default::default()
        }
    }

    #[test]
    fn classify_boundaries() {
        let p = LivenessPolicy::default();
        let table = [
            (ev(Some(900_000), 1_800_000), Liveness::Spinning),
            (ev(Some(900_001), 1_800_000), Liveness::Stalled),
            (ev(Some(0), 1_799_999), Liveness::Advancing),
            (ev(None, 5), Liveness::Stalled),
            (
                LivenessEvidence {
                    process_alive: Some(false),
                    ..ev(Some(1), 1)
                },
                Liveness::Stalled,
            ),
            (
                LivenessEvidence {
                    journal_events_since: 1,
                    ..ev(None, 1)
                },
                Liveness::Advancing,
            ),
        ];
        for (e, want) in table {
            assert_eq!(classify(&e, &p).unwrap().verdict, want, "{e:?}");
        }
        assert!(classify(
            &LivenessEvidence {
                commits_since_start: -1,
                ..ev(None, 0)
            },
            &p
        )
        .is_err());
    }

    /// Expectations printed by CPython 3.11: `datetime.strptime(s, FMT)` for
    /// FMT `%Y-%m-%dT%H:%MZ`, then `%Y-%m-%dT%H:%M:%SZ`, as UTC ms.
    #[test]
    fn stamps_parse_as_python_strptime_does() {
        let table: &[(&str, Option<i64>)] = &[
            ("2026-01-01T12:00:00Z", Some(1767268800000)),
            ("2026-01-01T12:00Z", Some(1767268800000)),
            ("2026-1-1T1:2:3Z", Some(1767229323000)),
            ("2026-01- 1T12:00Z", Some(1767268800000)),
            ("2026-01-01t12:00:00z", Some(1767268800000)),
            ("2026-02-29T00:00Z", None),
            ("2024-02-29T00:00Z", Some(1709164800000)),
            ("2026-02-30T00:00:00Z", None),
            ("2026-04-31T00:00Z", None),
            ("2026-13-01T00:00Z", None),
            ("2026-00-01T00:00Z", None),
            ("2026-01-00T00:00Z", None),
            ("2026-01-01T24:00Z", None),
            ("2026-01-01T23:60Z", None),
            ("2026-01-01T23:59:60Z", None),
            ("2026-01-01T23:59:61Z", None),
            ("2026-01-01T23:59:59Z", Some(1767311999000)),
            ("0000-01-01T00:00Z", None),
            ("0001-01-01T00:00Z", Some(-62135596800000)),
            ("9999-12-31T23:59:59Z", Some(253402300799000)),
            ("26-01-01T00:00Z", None),
            ("20260-01-01T00:00Z", None),
            ("2026-01-01T00:00:00", None),
            ("2026-01-01 00:00:00Z", None),
            ("2026-01-01T00:00:00.5Z", None),
            ("2026-01-01T00:00:00+00:00", None),
            ("2026-01-01T0:0:0Z", Some(1767225600000)),
            ("2026-01-01T00:0Z", Some(1767225600000)),
            ("2026-01-01T00:00:0Z", Some(1767225600000)),
            (" 2026-01-01T00:00Z", None),
            ("2026-01-01T00:00Z ", None),
            ("2026-01-01T00::00Z", None),
            ("2026-01-01T00:00:00:00Z", None),
            ("2026-1-01T00:00Z", Some(1767225600000)),
            ("2026-01-1T00:00Z", Some(1767225600000)),
            ("2026-01-01T 1:00Z", None),
            ("2026-01-01T00: 1Z", None),
            ("2026-001-01T00:00Z", None),
            ("2026-01-001T00:00Z", None),
            ("", None),
            ("Z", None),
            ("2026-01-01TZ", None),
            ("2026-09-31T00:00Z", None),
            ("2026-12-31T00:00Z", Some(1798675200000)),
            ("2026-02-28T23:59:59Z", Some(1772323199000)),
            ("1900-02-29T00:00Z", None),
            ("2000-02-29T00:00Z", Some(951782400000)),
            ("2026-01-32T00:00Z", None),
            ("2026-01-01T19:00Z", Some(1767294000000)),
            ("2026-01-01T20:00Z", Some(1767297600000)),
            ("2026-01-01T09:09:09Z", Some(1767258549000)),
            ("2026-01-01T9:9:9Z", Some(1767258549000)),
            ("2026-01-01T00:00z", Some(1767225600000)),
        ];
        for (stamp, want) in table {
            assert_eq!(parse_stamp_ms(stamp), *want, "{stamp:?}");
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_stamp_ms("2026-01-01T12:00:00Z"), Some(1_767_268_800_000));
        assert_eq!(parse_stamp_ms("2026-01-01T12:00Z"), Some(1_767_268_800_000));
        assert_eq!(parse_stamp_ms("2026-01-01T12:00:00"), None);
        assert_eq!(parse_iso_ms("2026-01-01T11:00:00+00:00"), Some(1_767_265_200_000));
        assert_eq!(parse_iso_ms("2026-01-01T11:55:00.5"), Some(1_767_268_500_500));
        assert_eq!(parse_iso_ms("2026-01-01T13:00:00+01:00"), Some(1_767_268_800_000));
        assert_eq!(parse_iso_ms("garbage"), None);
    }
}
