//! A process's OS identity stamp: Linux `/proc/<pid>/stat` field 22
//! (`starttime`, clock ticks since boot), fixed when the process is created.
//! 0.30 records it on a lease as `proc_starttime` so a recycled pid is not
//! mistaken for the holder; we write it the same way.

use std::io::Read;

/// The longest `/proc/<pid>/stat` we read (the real line is a few hundred bytes).
const STAT_LIMIT: u64 = 4096;

/// `starttime` of `pid`, or `None` when it cannot be read (no `/proc`, a gone
/// pid, a malformed line) — never a made-up value.
pub fn starttime(pid: u32) -> Option<u64> {
    if pid == 0 {
        return None;
    }
    let file = std::fs::File::open(format!("/proc/{pid}/stat")).ok()?;
    let mut buf = Vec::new();
    file.take(STAT_LIMIT).read_to_end(&mut buf).ok()?;
    parse_stat(&String::from_utf8_lossy(&buf))
}

/// Field 22 of a `/proc/<pid>/stat` line. `comm` (field 2) sits in parentheses
/// and may hold spaces or `)`, so the split is after the LAST `)`.
pub fn parse_stat(line: &str) -> Option<u64> {
    let rest = &line[line.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_22_after_the_last_paren() {
        let line = "42 (we ird) proc)) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 286744 1000 10";
        assert_eq!(parse_stat(line), Some(286_744));
        assert_eq!(parse_stat("42 (x) S 1 2"), None);
        assert_eq!(parse_stat("no paren"), None);
        assert_eq!(
            parse_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 abc 1"),
            None
        );
    }

    #[test]
    fn own_process_has_a_stable_stamp() {
        let me = starttime(std::process::id());
        if std::path::Path::new("/proc/self/stat").exists() {
            assert!(me.is_some());
            assert_eq!(me, starttime(std::process::id()));
        }
        assert_eq!(starttime(0), None);
    }
}
