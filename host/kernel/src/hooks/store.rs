//! The per-session JSONL files the hooks keep under `.dos/` (tool streams and
//! wait-marker tallies): the session-id → file-stem rule, the durable-schema
//! read gate, and the record reader over the kernel's one locked append
//! ([`crate::locked_append`]: read the tail backwards, so a hook's cost does
//! not grow with the session, then append torn-tail-safe and fsynced).

use dos_py::json::{self, Val};

/// A session file, open and exclusively locked: the kernel's one locked
/// append.
pub use crate::locked_append::LockedAppend as LockedFile;
pub use crate::locked_append::RevLines;

/// The file stem for a session id: only alphanumerics, `-` and `_` are kept
/// (everything else is dropped), so the stem can never name another
/// directory. `None` when nothing is left.
pub fn session_stem(session_id: &str) -> Option<String> {
    let stem: String = session_id
        .chars()
        .filter(|c| *c == '-' || *c == '_' || is_py_alnum(*c))
        .collect();
    (!stem.is_empty()).then_some(stem)
}

/// Python's `str.isalnum` for one character, approximated with std's tables:
/// letters and numbers, minus the combining marks and symbols that std counts
/// as alphabetic (`Other_Alphabetic`) but Python does not.
pub fn is_py_alnum(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    if !c.is_alphanumeric() {
        return false;
    }
    let u = c as u32;
    // Combining-mark and enclosed-symbol blocks (Mn/Mc/So with Other_Alphabetic).
    !matches!(u,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05C7 | 0x0610..=0x061A
        | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06ED | 0x0711 | 0x0730..=0x074A
        | 0x07A6..=0x07B0 | 0x0816..=0x082D | 0x0859..=0x085B | 0x08D3..=0x08FF
        | 0x0900..=0x0903 | 0x093A..=0x094F | 0x0951..=0x0957 | 0x0962..=0x0963
        | 0x0981..=0x0983 | 0x09BC..=0x09D7 | 0x09E2..=0x09E3
        | 0x0A01..=0x0A03 | 0x0A3C..=0x0A51 | 0x0A70..=0x0A71 | 0x0A75
        | 0x0A81..=0x0A83 | 0x0ABC..=0x0ACD | 0x0AE2..=0x0AE3
        | 0x0B01..=0x0B03 | 0x0B3C..=0x0B57 | 0x0B62..=0x0B63
        | 0x0B82 | 0x0BBE..=0x0BD7 | 0x0C00..=0x0C04 | 0x0C3E..=0x0C56
        | 0x0C62..=0x0C63 | 0x0C81..=0x0C83 | 0x0CBC..=0x0CD6 | 0x0CE2..=0x0CE3
        | 0x0D00..=0x0D03 | 0x0D3B..=0x0D57 | 0x0D62..=0x0D63 | 0x0D81..=0x0D83
        | 0x0DCA..=0x0DF3 | 0x0E31 | 0x0E34..=0x0E3A | 0x0E47..=0x0E4E
        | 0x0EB1 | 0x0EB4..=0x0EBC | 0x0EC8..=0x0ECD | 0x0F71..=0x0F84
        | 0x102B..=0x103E | 0x1056..=0x1059 | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF
        | 0x20D0..=0x20FF | 0x24B6..=0x24E9 | 0x2DE0..=0x2DFF | 0x302A..=0x302F
        | 0x3099..=0x309A | 0xA66F..=0xA67D | 0xFE20..=0xFE2F | 0x1F130..=0x1F189)
}

/// A durable-schema family a reader accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family(pub &'static str);

/// The tool-stream family.
pub const TOOL_STREAM: Family = Family("tool-stream");
/// The wait-marker family.
pub const WAIT_MARKER: Family = Family("wait-marker");

/// Whether a parsed record passes the durable-schema read gate for `family`
/// (untagged and malformed tags read as version 1; a foreign family or a
/// newer version is skipped).
pub fn readable(record: &Val<'_>, family: Family) -> bool {
    let Some(schema) = record.get("schema") else {
        return true;
    };
    match schema {
        Val::Int(t) => version_of(t) <= 1,
        Val::Obj(_) => {
            let fam = match schema.get("family") {
                Some(Val::Str(s)) => s.decode().text,
                _ => return true,
            };
            let version = match schema.get("version") {
                Some(Val::Int(t)) => version_of(t),
                _ => return true,
            };
            if version < 1 {
                return true;
            }
            if !fam.is_empty() && fam != family.0 {
                return false;
            }
            version <= 1
        }
        _ => true,
    }
}

fn version_of(t: &str) -> i64 {
    t.parse::<i64>()
        .unwrap_or(if t.starts_with('-') { i64::MIN } else { i64::MAX })
}

/// Parse one stored line: `None` for blank, unparseable and non-object lines.
/// Invalid UTF-8 inside strings reads as `?` (the reference reads U+FFFD;
/// only equality of such strings matters here).
pub fn parse_line(line: &[u8]) -> Option<Val<'_>> {
    let trimmed = trim_ascii_ws(line);
    if trimmed.is_empty() {
        return None;
    }
    match json::parse(trimmed) {
        Ok(v) if v.is_obj() => Some(v),
        _ => None,
    }
}

fn trim_ascii_ws(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if first.is_ascii_whitespace() || *first == 0x0b {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() || *last == 0x0b {
            b = rest;
        } else {
            break;
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_never_leave_the_directory() {
        let table = [
            ("sess-A", Some("sess-A")),
            ("../../etc/passwd", Some("etcpasswd")),
            ("séss ión/é", Some("séssióné")),
            ("../..//", None),
            ("a.b", Some("ab")),
            ("", None),
            ("x\u{301}y", Some("xy")),
        ];
        for (sid, expected) in table {
            assert_eq!(session_stem(sid).as_deref(), expected, "{sid}");
        }
    }

    #[test]
    fn schema_gate_table() {
        let table: &[(&str, bool)] = &[
            (r#"{}"#, true),
            (r#"{"schema": {"family": "tool-stream", "version": 1}}"#, true),
            (r#"{"schema": {"family": "tool-stream", "version": 2}}"#, false),
            (r#"{"schema": {"family": "wait-marker", "version": 1}}"#, false),
            (r#"{"schema": {"family": "", "version": 1}}"#, true),
            (r#"{"schema": {"family": "", "version": 2}}"#, false),
            (r#"{"schema": 1}"#, true),
            (r#"{"schema": 2}"#, false),
            (r#"{"schema": 0}"#, true),
            (r#"{"schema": -3}"#, true),
            (r#"{"schema": true}"#, true),
            (r#"{"schema": "x"}"#, true),
            (r#"{"schema": {"family": 5, "version": 9}}"#, true),
            (r#"{"schema": {"family": "other", "version": true}}"#, true),
            (r#"{"schema": {"family": "other", "version": 0}}"#, true),
            (r#"{"schema": {"family": "tool-stream", "version": 1.0}}"#, true),
        ];
        for (line, expected) in table {
            let v = json::parse(line.as_bytes()).unwrap();
            assert_eq!(readable(&v, TOOL_STREAM), *expected, "{line}");
        }
    }
}
