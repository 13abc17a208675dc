//! Time as the reference computes it: the proleptic Gregorian calendar,
//! `datetime.fromisoformat` (after the reference's `Z` → `+00:00`),
//! `datetime.strptime` for the journal's `%Y-%m-%dT%H:%M[:%S]Z` stamps, the
//! journal's `YYYY-MM-DDTHH:MM:SSZ` form, and the one wall clock (with a
//! fixed clock for tests). No time-zone database is needed: every stamp
//! carries its offset or is UTC.

use std::time::{SystemTime, UNIX_EPOCH};

/// Microseconds since the Unix epoch.
pub type Micros = i64;

/// A source of "now": the wall clock, or a fixed instant (the test seam for
/// callers that take a clock instead of reading it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    /// The system's wall clock.
    #[default]
    System,
    /// Always this instant (microseconds since the epoch).
    Fixed(Micros),
}

impl Clock {
    /// Now, in microseconds since the epoch.
    pub fn micros(self) -> Micros {
        match self {
            Clock::System => now_micros(),
            Clock::Fixed(t) => t,
        }
    }

    /// Now, in milliseconds since the epoch.
    pub fn ms(self) -> i64 {
        self.micros().div_euclid(1000)
    }

    /// Now, in whole seconds since the epoch.
    pub fn secs(self) -> i64 {
        self.micros().div_euclid(1_000_000)
    }
}

/// The wall clock as `SystemTime` (the one place that reads it).
pub fn now() -> SystemTime {
    SystemTime::now()
}

/// The wall clock in microseconds since the epoch (negative before it).
pub fn now_micros() -> Micros {
    match now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_micros()).unwrap_or(i64::MAX),
    }
}

/// The wall clock in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    now_micros().div_euclid(1000)
}

/// The wall clock in nanoseconds since the epoch (0 before it).
pub fn now_nanos() -> u64 {
    now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ` (the journal's `ts`).
pub fn now_ts() -> String {
    format_ts(now_micros().div_euclid(1_000_000))
}

/// Whether `y` is a leap year (proleptic Gregorian).
pub fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// The number of days in month `m` (1..=12) of year `y`.
pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm; any year, month 1..=12).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let (m, d) = (i64::from(m), i64::from(d));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The calendar date `(year, month, day)` of a day number (the inverse of
/// [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Seconds since the epoch of a valid UTC date and time (`datetime(...)`'s
/// checks: month 1..=12, a real day, hour < 24, minute and second < 60).
pub fn epoch_seconds(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    let mo = u32::try_from(mo).ok().filter(|m| (1..=12).contains(m))?;
    let d = u32::try_from(d)
        .ok()
        .filter(|d| (1..=days_in_month(y, mo)).contains(d))?;
    let valid = (0..24).contains(&h) && (0..60).contains(&mi) && (0..60).contains(&s);
    valid.then(|| days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, UTC): the
/// reference's `strftime("%Y-%m-%dT%H:%M:%SZ")`.
pub fn format_ts(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// `datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ")` as UTC, in Unix seconds
/// (the stamps leases and locks carry); `None` where Python raises.
pub fn parse_ts(ts: &str) -> Option<i64> {
    strptime_ms(ts, Some(true)).map(|ms| ms.div_euclid(1000))
}

/// `YYYY-MM-DD` of an instant, in UTC.
pub fn utc_date(t: Micros) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400_000_000));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DDTHH:MM:SS+00:00` of an instant (seconds resolution): the
/// reference's `isoformat(timespec="seconds")` of a UTC datetime.
pub fn utc_iso_seconds(t: Micros) -> String {
    let secs = t.div_euclid(1_000_000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+00:00",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// A journal stamp → ms, as Python's `datetime.strptime(s, FMT)` reads it for
/// FMT `%Y-%m-%dT%H:%MZ` or `%Y-%m-%dT%H:%M:%SZ` (UTC): four-digit year,
/// one- or two-digit other fields (`%d` also space-padded), `T`/`Z` in either
/// case, and a real calendar date (`None` for Feb 30 or second 60). Digits
/// are ASCII only (Python's `\d` would also take other Unicode digits).
/// `None` also for a time before year 1 or after 9999.
pub fn parse_stamp_ms(s: &str) -> Option<i64> {
    strptime_ms(s, None)
}

/// The strptime reading of [`parse_stamp_ms`] with the seconds field
/// required (`Some(true)`), forbidden (`Some(false)`) or either (`None`).
fn strptime_ms(s: &str, seconds: Option<bool>) -> Option<i64> {
    let body = s.strip_suffix(['Z', 'z'])?;
    let year = body.get(..4).filter(|y| y.bytes().all(|b| b.is_ascii_digit()))?;
    let rest = body.get(4..)?.strip_prefix('-')?;
    let (month, rest) = rest.split_once('-')?;
    let (day, time) = rest.split_once(['T', 't'])?;
    let mut hms = time.split(':');
    let (hour, minute, second) = (hms.next()?, hms.next()?, hms.next());
    if hms.next().is_some() || seconds.is_some_and(|want| want != second.is_some()) {
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
    civil_ms(
        year,
        month,
        day.trim_start(),
        [hour, minute, second.unwrap_or("0")],
    )
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

fn civil_ms(y: &str, mo: &str, d: &str, hms: [&str; 3]) -> Option<i64> {
    let num = |s: &str| -> Option<i64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let y = num(y)?;
    if !(1..=9999).contains(&y) {
        return None;
    }
    let secs = epoch_seconds(y, num(mo)?, num(d)?, num(hms[0])?, num(hms[1])?, num(hms[2])?)?;
    Some(secs * 1000)
}

fn digits(s: &str, n: usize) -> Option<u32> {
    if s.len() == n && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// Where the date part of an ISO string ends (Python 3.11's
/// `_find_isoformat_datetime_separator`).
fn date_end(s: &[u8]) -> Option<usize> {
    let digit = |i: usize| s.get(i).is_some_and(u8::is_ascii_digit);
    if s.len() == 7 {
        return Some(7);
    }
    if s.len() < 7 {
        return None;
    }
    if s[4] == b'-' {
        if s[5] != b'W' {
            return Some(10);
        }
        if s.len() > 8 && s[8] == b'-' {
            if s.len() == 9 {
                return None;
            }
            return Some(if s.len() > 10 && digit(10) { 8 } else { 10 });
        }
        return Some(8);
    }
    if s[4] != b'W' {
        return Some(8);
    }
    let mut idx = 7;
    while idx < s.len() && digit(idx) {
        idx += 1;
    }
    Some(if idx < 9 {
        idx
    } else if idx % 2 == 0 {
        7
    } else {
        8
    })
}

/// The day number of ISO year `y`, week `w`, weekday `d` (Monday = 1);
/// `None` for a week the year does not have or a day outside 1..=7.
fn iso_week_day(y: i64, w: u32, d: u32) -> Option<i64> {
    let jan1 = days_from_civil(y, 1, 1);
    // 1970-01-01 was a Thursday: weekday 0 = Monday.
    let jan1_weekday = (jan1 + 3).rem_euclid(7);
    let long_year = jan1_weekday == 3 || (jan1_weekday == 2 && is_leap(y));
    if w == 0 || w > 53 || (w == 53 && !long_year) || !(1..=7).contains(&d) {
        return None;
    }
    let jan4 = jan1 + 3;
    let week1_monday = jan4 - (jan4 + 3).rem_euclid(7);
    Some(week1_monday + i64::from(w - 1) * 7 + i64::from(d - 1))
}

/// `YYYY-MM-DD`, `YYYYMMDD`, `YYYY-Www[-D]`, `YYYYWww[D]` → day number.
fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 7 {
        return None;
    }
    let y = i64::from(digits(s.get(..4)?, 4)?);
    if y < 1 {
        return None;
    }
    let has_sep = b[4] == b'-';
    let mut pos = 4 + usize::from(has_sep);
    if b.get(pos) == Some(&b'W') {
        pos += 1;
        let w = digits(s.get(pos..pos + 2)?, 2)?;
        pos += 2;
        let mut d = 1;
        if b.len() > pos {
            if (b[pos] == b'-') != has_sep {
                return None;
            }
            pos += usize::from(has_sep);
            d = digits(s.get(pos..)?, 1)?;
        }
        return iso_week_day(y, w, d);
    }
    let m = digits(s.get(pos..pos + 2)?, 2)?;
    pos += 2;
    if (b.get(pos) == Some(&b'-')) != has_sep {
        return None;
    }
    pos += usize::from(has_sep);
    let d = digits(s.get(pos..)?, 2)?;
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// `HH[:MM[:SS[.f…]]]` or `HHMM[SS]` → microseconds into the day.
fn parse_clock(s: &str) -> Option<i64> {
    let (main, frac) = match s.find(['.', ',']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let parts: Vec<u32> = if main.contains(':') {
        main.split(':')
            .map(|p| digits(p, 2))
            .collect::<Option<Vec<_>>>()?
    } else {
        match main.len() {
            2 | 4 | 6 => (0..main.len() / 2)
                .map(|i| digits(&main[2 * i..2 * i + 2], 2))
                .collect::<Option<Vec<_>>>()?,
            _ => return None,
        }
    };
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let (h, mi, se) = (parts[0], *parts.get(1).unwrap_or(&0), *parts.get(2).unwrap_or(&0));
    if h > 23 || mi > 59 || se > 59 {
        return None;
    }
    let mut micros = 0i64;
    if let Some(f) = frac {
        if parts.len() != 3 || f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let six: String = f.chars().chain(std::iter::repeat('0')).take(6).collect();
        micros = six.parse().ok()?;
    }
    Some(((h as i64 * 60 + mi as i64) * 60 + se as i64) * 1_000_000 + micros)
}

/// `±HH[:MM[:SS]]` / `±HHMM` → signed offset in microseconds.
fn parse_offset(s: &str) -> Option<i64> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let clock = parse_clock(rest)?;
    if clock >= 86_400_000_000 {
        return None;
    }
    Some(sign * clock)
}

/// `datetime.fromisoformat(raw.replace("Z", "+00:00"))` as an instant (an
/// offset-less time is UTC); `None` where Python raises.
pub fn parse_iso(raw: &str) -> Option<Micros> {
    let s = raw.replace('Z', "+00:00");
    let s = s.as_str();
    let date_len = date_end(s.as_bytes())?;
    let days = parse_date(s.get(..date_len)?)?;
    let mut t = days * 86_400_000_000;
    // The separator is any one character.
    let mut rest = s.get(date_len..)?.chars();
    if rest.next().is_none() {
        return Some(t);
    }
    let time = rest.as_str();
    if !time.is_ascii() || time.is_empty() {
        return None;
    }
    let tz_at = time.find(['+', '-']);
    let (clock, offset) = match tz_at {
        Some(i) => (&time[..i], parse_offset(&time[i..])?),
        None => (time, 0),
    };
    t += parse_clock(clock)?;
    Some(t - offset)
}

/// Age in whole seconds of `stamp` as of `now` (never negative); `None`
/// when the stamp is absent or unparseable.
pub fn age_seconds(stamp: Option<&str>, now: Micros) -> Option<i64> {
    let t = parse_iso(stamp.filter(|s| !s.is_empty())?)?;
    Some(((now - t) / 1_000_000).max(0))
}

/// [`parse_iso`] in milliseconds (floored).
pub fn parse_iso_ms(s: &str) -> Option<i64> {
    parse_iso(s).map(|t| t.div_euclid(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn parse_table() {
        let base = days_from_civil(2026, 11, 21) * 86_400_000_000;
        let h = 3_600_000_000i64;
        let table: [(&str, Option<i64>); 10] = [
            ("2026-11-21", Some(base)),
            ("2026-11-21T21:00:00Z", Some(base + 21 * h)),
            ("2026-11-21T21:00:00", Some(base + 21 * h)),
            ("2026-11-21 21:00:00+01:00", Some(base + 20 * h)),
            (
                "2026-11-21T21:00:00.5-0030",
                Some(base + 21 * h + h / 2 + 500_000),
            ),
            ("20261121", Some(base)),
            ("2026-02-30", None),
            ("garbage", None),
            ("2026-11-21T25:00", None),
            ("", None),
        ];
        for (input, expected) in table {
            assert_eq!(parse_iso(input), expected, "{input}");
        }
    }

    #[test]
    fn ages_and_dates() {
        let now = parse_iso("2026-11-21T21:00:10Z").unwrap();
        assert_eq!(age_seconds(Some("2026-11-21T21:00:00Z"), now), Some(10));
        assert_eq!(age_seconds(Some("2027-01-01"), now), Some(0));
        assert_eq!(age_seconds(None, now), None);
        assert_eq!(utc_date(now), "2026-11-21");
        assert_eq!(utc_iso_seconds(now), "2026-11-21T21:00:10+00:00");
        assert_eq!(civil_from_days(days_from_civil(2000, 2, 29)), (2000, 2, 29));
    }
}
