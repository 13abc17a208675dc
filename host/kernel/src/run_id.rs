//! Run-ids: `RID-` + 9 Crockford-base32 symbols of the mint time (ms) + 6 of
//! entropy, with lineage (`parent_id`, `root_id`) and the `CID_*` env that
//! carries it to child processes.

use serde_json::{Map, Value};
use std::sync::atomic::{AtomicU64, Ordering};

/// The Crockford base32 alphabet, ascending.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Symbols of the time component.
const TS_WIDTH: u32 = 9;
/// Symbols of the entropy component.
const ENTROPY_WIDTH: u32 = 6;

/// Why a run-id could not be minted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunIdError {
    /// Empty process name.
    #[error("process_id is required (e.g. 'fanout', 'dispatch-loop')")]
    NoProcess,
    /// A component was negative.
    #[error("run-id components must be non-negative")]
    Negative,
}

/// A minted run identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunId {
    /// `RID-…` (19 characters).
    pub run_id: String,
    /// `PROC-…`.
    pub process_id: String,
    /// The parent run, if any.
    pub parent_id: Option<String>,
    /// The lineage root.
    pub root_id: String,
    /// The mint time (ms since the epoch).
    pub ts_ms: i64,
}

/// A parent for [`mint`].
#[derive(Debug, Clone, Copy)]
pub enum Parent<'a> {
    /// No parent: the run is its own root (unless a root is given).
    None,
    /// A minted parent: its root is inherited.
    Run(&'a RunId),
    /// A bare id string: it does NOT imply a root (reference behaviour).
    Id(&'a str),
}

fn encode(value: u64, width: u32) -> String {
    let mask = if width * 5 >= 64 {
        u64::MAX
    } else {
        (1u64 << (width * 5)) - 1
    };
    let v = value & mask;
    (0..width)
        .rev()
        .map(|i| ALPHABET[((v >> (i * 5)) & 31) as usize] as char)
        .collect()
}

/// Encode a token from its components (negative → error; high bits wrap).
pub fn token(ts_ms: i64, entropy: i64) -> Result<String, RunIdError> {
    if ts_ms < 0 || entropy < 0 {
        return Err(RunIdError::Negative);
    }
    Ok(format!(
        "RID-{}{}",
        encode(ts_ms as u64, TS_WIDTH),
        encode(entropy as u64, ENTROPY_WIDTH)
    ))
}

/// Fresh entropy: a per-process counter mixed with the pid and a clock, so
/// consecutive in-process mints differ.
pub fn entropy() -> i64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    ((n ^ ((u64::from(std::process::id()) << 13) ^ (nanos << 7))) & ((1 << 30) - 1)) as i64
}

use dos_py::time::now_ms;

/// Mint a run-id for `process` at `ts_ms` with `entropy`.
pub fn mint(
    process: &str,
    parent: Parent<'_>,
    root: Option<&str>,
    ts_ms: i64,
    entropy: i64,
) -> Result<RunId, RunIdError> {
    if process.is_empty() {
        return Err(RunIdError::NoProcess);
    }
    let run_id = token(ts_ms, entropy)?;
    let process_id = if process.starts_with("PROC-") {
        process.to_string()
    } else {
        format!("PROC-{process}")
    };
    let (parent_id, inherited_root) = match parent {
        Parent::None => (None, None),
        Parent::Run(p) => (Some(p.run_id.clone()), Some(p.root_id.clone())),
        Parent::Id(s) => (Some(s.to_string()), None),
    };
    let root_id = root
        .map(String::from)
        .or(inherited_root)
        .unwrap_or_else(|| run_id.clone());
    Ok(RunId {
        run_id,
        process_id,
        parent_id,
        root_id,
        ts_ms,
    })
}

/// Mint with the wall clock and fresh entropy.
pub fn mint_now(process: &str, parent: Parent<'_>, root: Option<&str>) -> Result<RunId, RunIdError> {
    mint(process, parent, root, now_ms(), entropy())
}

impl RunId {
    /// The record (reference key order: run_id, process_id, parent_id, root_id, ts_ms).
    pub fn to_map(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("run_id".into(), Value::from(self.run_id.as_str()));
        m.insert("process_id".into(), Value::from(self.process_id.as_str()));
        m.insert(
            "parent_id".into(),
            self.parent_id.as_deref().map(Value::from).unwrap_or(Value::Null),
        );
        m.insert("root_id".into(), Value::from(self.root_id.as_str()));
        m.insert("ts_ms".into(), Value::from(self.ts_ms));
        m
    }

    /// The `CID_*` lineage env for a child process.
    pub fn lineage_env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("CID_RUN_ID".to_string(), self.run_id.clone()),
            ("CID_ROOT_ID".to_string(), self.root_id.clone()),
            ("CID_PROCESS_ID".to_string(), self.process_id.clone()),
        ];
        if let Some(p) = self.parent_id.as_deref().filter(|p| !p.is_empty()) {
            env.push(("CID_PARENT_ID".to_string(), p.to_string()));
        }
        env
    }
}

/// Whether `s` is a well-formed run-id token.
pub fn is_run_id(s: &str) -> bool {
    s.strip_prefix("RID-")
        .is_some_and(|body| body.len() == 15 && body.bytes().all(|b| ALPHABET.contains(&b)))
}

/// The mint time encoded in a run-id, or None if it is not one.
pub fn ts_ms_of(s: &str) -> Option<i64> {
    if !is_run_id(s) {
        return None;
    }
    let body = &s.as_bytes()[4..4 + TS_WIDTH as usize];
    let mut v: i64 = 0;
    for b in body {
        v = (v << 5) | ALPHABET.iter().position(|a| a == b)? as i64;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_mints() {
        let root = mint("fanout", Parent::None, None, 1_700_000_000_000, 12345).unwrap();
        assert_eq!(root.run_id, "RID-1HF7YAT00000C1S");
        assert_eq!(root.root_id, root.run_id);
        assert_eq!(root.process_id, "PROC-fanout");
        let child = mint(
            "dispatch-loop",
            Parent::Run(&root),
            None,
            1_700_000_000_001,
            (1 << 30) - 1,
        )
        .unwrap();
        assert_eq!(child.run_id, "RID-1HF7YAT01ZZZZZZ");
        assert_eq!(child.parent_id.as_deref(), Some("RID-1HF7YAT00000C1S"));
        assert_eq!(child.root_id, "RID-1HF7YAT00000C1S");
        assert_eq!(root.lineage_env().len(), 3);
        assert_eq!(
            child.lineage_env()[3],
            ("CID_PARENT_ID".into(), "RID-1HF7YAT00000C1S".into())
        );
        let s = mint("child", Parent::Id("RID-STRPARENT"), None, 0, 0).unwrap();
        assert_eq!(
            (s.run_id.as_str(), s.root_id.as_str()),
            ("RID-000000000000000", "RID-000000000000000")
        );
        let big = mint("big", Parent::None, None, (1 << 45) + 5, (1 << 31) + 7).unwrap();
        assert_eq!(big.run_id, "RID-000000005000007");
        assert_eq!(mint("", Parent::None, None, 0, 0), Err(RunIdError::NoProcess));
        assert_eq!(mint("x", Parent::None, None, -1, 0), Err(RunIdError::Negative));
    }

    #[test]
    fn validity_and_decode() {
        let table = [
            ("RID-000000000000000", true),
            ("RID-00000000000000", false),
            ("rid-000000000000000", false),
            ("RID-00000000000000I", false),
            ("RID-0000000000000000", false),
        ];
        for (s, want) in table {
            assert_eq!(is_run_id(s), want, "{s}");
        }
        assert_eq!(ts_ms_of("RID-7ZZZZZZZZZZZZZZ"), Some(8_796_093_022_207));
        assert_eq!(ts_ms_of("RID-1M7ZZX4HWMEE000"), Some(1_795_296_236_092));
        assert_eq!(ts_ms_of("nope"), None);
    }
}
