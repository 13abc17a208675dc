//! Helpers for plugin tests (feature `test-support`; enable it only in
//! `[dev-dependencies]`): [`harness`] (load the built plugin file as the
//! host does and call its drivers) and [`event_refs`] (a journal batch as the
//! host hands it), which need the FFI types, plus the helpers of
//! `dos-plugin-support` re-exported under their old paths: a tiny recording
//! HTTP/1.1 server, self-removing temporary directories, journal-shaped
//! event batches and an injectable environment.

pub mod harness;

pub use dos_plugin_support::test_support::*;

use crate::EventRef;
use abi_stable::std_types::RStr;

/// Borrow `(seq, record)` pairs as the [`EventRef`] batch the host hands an exporter.
pub fn event_refs(events: &[(i64, String)]) -> Vec<EventRef<'_>> {
    events
        .iter()
        .map(|(seq, rec)| EventRef {
            seq: *seq,
            record: RStr::from(rec.as_str()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_batches() {
        let events = journal_events("{\"a\": 1}\n{\"b\": 2}\n");
        let refs = event_refs(&events);
        assert_eq!(refs.len(), 2);
        assert_eq!((refs[1].seq, refs[1].record.as_str()), (2, "{\"b\": 2}"));
    }
}
