//! The operator-decision queue: a read-only projection of what is waiting on a
//! human (reference: `dos.decisions`). It reads the lane journal, the verdict
//! envelopes and the soak index, normalises each finding into a [`Decision`],
//! filters, de-duplicates and ranks. It stores nothing.
//!
//! Library entry points: [`collect`] (typed rows) and [`pending_decisions`]
//! (the full ranked queue as `Decision.to_dict` JSON objects — what the
//! stop-policy seam hands to a policy as `pending_decisions`).

pub mod classify;
pub mod journal_read;
pub mod model;
pub mod reasons;
pub mod render;
pub mod rows;
pub mod sources;

pub use model::{Decision, DecisionKind, ResolverKind, Urgency};
pub use sources::{Layout, QueueConfig};

use crate::workspace::Workspace;
use dos_py::time::Micros;

/// The ranked queue for `cfg` as of `now`. `resolver` keeps only rows routed
/// to that resolver (`Some("HUMAN")` is the CLI default; `None` = everything).
pub fn collect(cfg: &QueueConfig, resolver: Option<&str>, now: Micros) -> Vec<Decision> {
    rows::finish(sources::gather_rows(cfg, now), cfg.max_age_seconds, resolver)
}

/// The full ranked queue of `ws` (every resolver, generic layout unless the
/// caller says otherwise), each row as its `to_dict` JSON object. Never fails:
/// unreadable sources contribute nothing; config warnings are dropped (the
/// CLI commands print them).
pub fn pending_decisions(ws: &Workspace, layout: Layout) -> Vec<serde_json::Value> {
    let cfg = QueueConfig::for_workspace(ws, layout);
    collect(&cfg, None, dos_py::time::now_micros())
        .iter()
        .map(Decision::to_json)
        .collect()
}
