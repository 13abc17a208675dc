//! Lanes: the lane journal (WAL), lane leases and their mutex, liveness, and
//! the supervisor (pure plan, evidence gathering, the watchdog driver).

pub mod arbiter;
pub mod driver;
pub mod gather;
pub mod journal;
pub mod lease;
pub mod liveness;
pub mod lock_mode;
pub mod mutex;
pub mod policy;
pub mod proc_identity;
pub mod roster;
pub mod shellwords;
pub mod supervise;
pub mod tree;
