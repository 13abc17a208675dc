//! ISO-8601 stamps as the reference reads them (`datetime.fromisoformat` after
//! replacing `Z` with `+00:00`; an offset-less time is UTC), ages, and the UTC
//! calendar date. No time-zone database is needed: every stamp carries its
//! offset or is UTC.

use std::time::{SystemTime, UNIX_EPOCH};

/// Microseconds since the Unix epoch.
pub type Micros = i64;

/// The current wall-clock time.
pub fn now_micros() -> Micros {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_micros() as i64,
        Err(e) => -(e.duration().as_micros() as i64),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The calendar date of a day number.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `YYYY-MM-DD` of an instant, in UTC.
pub fn utc_date(t: Micros) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400_000_000));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DDTHH:MM:SS+00:00` of an instant (seconds resolution).
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

fn digits(s: &str, n: usize) -> Option<u32> {
    if s.len() == n && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn parse_date(s: &str) -> Option<i64> {
    let (y, m, d) = if s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-' {
        (digits(&s[..4], 4)?, digits(&s[5..7], 2)?, digits(&s[8..], 2)?)
    } else if s.len() == 8 {
        (digits(&s[..4], 4)?, digits(&s[4..6], 2)?, digits(&s[6..], 2)?)
    } else {
        return None;
    };
    let y = y as i64;
    if y < 1 || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
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

/// Parse an ISO-8601 stamp to an instant. `None` when unparseable.
pub fn parse_iso(raw: &str) -> Option<Micros> {
    let s = raw.replace('Z', "+00:00");
    let s = s.as_str();
    if !s.is_ascii() {
        return None;
    }
    let date_len = if s.len() >= 10 && s.as_bytes()[4] == b'-' {
        10
    } else {
        8.min(s.len())
    };
    let days = parse_date(&s[..date_len])?;
    let rest = &s[date_len..];
    let mut t = days * 86_400_000_000;
    if rest.is_empty() {
        return Some(t);
    }
    let time = &rest[1..];
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

#[cfg(test)]
mod tests {
    use super::*;

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
