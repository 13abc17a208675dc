//! The cross-crate plugin tests as one binary (`cargo test -p dos-tests`):
//! the host against real cdylibs built by cargo — the hostile matrix, the
//! versioning rule, crash containment, hook plugins. Each module is one
//! former test file; the helpers are under [`support`].

mod support;

mod plugin_containment;
mod plugin_hooks;
mod plugin_host;
