//! The `dos` package's integration tests as one binary (`cargo test -p dos
//! --test it`; one file with `cargo test -p dos --test it MODULE::`): each
//! module is one former test file, the helpers they share are under
//! [`support`]. One binary links once instead of once per file; the tests
//! that need a process of their own re-run this binary on one exact test name
//! (see `export_journal_concurrency`).

mod support;

mod bounded_reads;
mod config_warnings;
mod decisions_golden;
mod decisions_robust;
mod demo;
mod doctor_cli;
mod export_compat;
mod export_golden;
mod export_journal_concurrency;
mod export_otlp;
mod export_reliability;
mod export_statsd;
mod fault_injection;
mod hooks030_alternation;
mod hooks030_failsafe;
mod hooks030_golden;
mod hooks_alternation;
mod hooks_big_input;
mod hooks_compat_golden;
mod hooks_concurrency;
mod hooks_differential;
mod hooks_failsafe;
mod hooks_golden;
mod hooks_pretool_leases;
mod hooks_proptest;
mod init_hooks;
mod judge_eval_cli;
mod lanes_030;
mod lanes_cli;
mod lanes_watchdog;
mod lease_lock_kill;
mod notify_http;
mod plugins_new;
mod scout_cli;
mod symlink_writes;
mod verify_hooks;
mod verify_reference;
mod witness_cli;
