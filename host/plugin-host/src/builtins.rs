//! The built-in baseline of each group: one static table, resolved before
//! any plugin and never shadowed. The hook groups' built-ins are served by
//! the kernel (`dos_core::hooks`), whose name lists they are.

use std::sync::OnceLock;

use dos_plugin_api::{
    Claim, DriverConfig, EventRef, ExportResult, Exporter, Group, Judge, JudgeVerdict, Notification,
    Notifier, NotifyResult, PluginError, StopPolicy, StopVerdict,
};

/// A constructed built-in driver.
pub enum BuiltinDriver {
    /// An exporter.
    Exporter(Box<dyn Exporter>),
    /// A notifier.
    Notifier(Box<dyn Notifier>),
    /// A stop policy.
    StopPolicy(Box<dyn StopPolicy>),
    /// A judge.
    Judge(Box<dyn Judge>),
    /// Served by host code outside the plugin host (the built-in hook
    /// dialects and installers): listed and unshadowable, never constructed here.
    HostServed,
}

/// One built-in: its group, its name and how to build it.
pub struct Builtin {
    /// The group it belongs to.
    pub group: Group,
    /// The name it answers to.
    pub name: &'static str,
    /// Its constructor.
    pub make: fn(&DriverConfig) -> BuiltinDriver,
}

/// Every built-in: the four driver baselines, then the kernel-served hook
/// dialects and installers (listed so `dos plugins` shows them and no plugin
/// can shadow them).
fn all() -> &'static [Builtin] {
    static ALL: OnceLock<Vec<Builtin>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut v = vec![
            Builtin {
                group: Group::Exporters,
                name: "null",
                make: |_| BuiltinDriver::Exporter(Box::new(NullExporter)),
            },
            Builtin {
                group: Group::Notifiers,
                name: "null",
                make: |_| BuiltinDriver::Notifier(Box::new(NullNotifier)),
            },
            Builtin {
                group: Group::StopPolicies,
                name: "never",
                make: |_| BuiltinDriver::StopPolicy(Box::new(NeverPolicy)),
            },
            Builtin {
                group: Group::Judges,
                name: "abstain",
                make: |_| BuiltinDriver::Judge(Box::new(AbstainJudge)),
            },
        ];
        let served = |group: Group, names: &'static [&'static str]| {
            names.iter().map(move |name| Builtin {
                group,
                name,
                make: |_| BuiltinDriver::HostServed,
            })
        };
        v.extend(served(
            Group::HookDialects,
            &dos_core::hooks::dialect::BUILTIN_NAMES,
        ));
        v.extend(served(
            Group::HookInstalls,
            &dos_core::hooks::install::BUILTIN_RUNTIMES,
        ));
        v
    })
}

/// The built-in named `name` in `group`, if any.
pub fn find(group: Group, name: &str) -> Option<&'static Builtin> {
    all().iter().find(|b| b.group == group && b.name == name)
}

/// Every built-in of `group`, sorted by name.
pub fn names(group: Group) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = all()
        .iter()
        .filter(|b| b.group == group)
        .map(|b| b.name)
        .collect();
    v.sort_unstable();
    v
}

/// `null` exporter: ships nothing and says so.
pub struct NullExporter;

impl Exporter for NullExporter {
    fn export(&mut self, events: &[EventRef<'_>]) -> Result<ExportResult, PluginError> {
        Ok(ExportResult {
            exported: 0,
            detail: format!(
                "null sink (no transport configured) — {} event(s) not shipped",
                events.len()
            ),
            cursor: ExportResult::cursor_for(events),
        })
    }
}

/// `null` notifier: delivers nothing and says so.
pub struct NullNotifier;

impl Notifier for NullNotifier {
    fn send(&mut self, _n: &Notification) -> Result<NotifyResult, PluginError> {
        Ok(NotifyResult {
            delivered: false,
            detail: "null sink (no transport configured)".into(),
            reference: String::new(),
        })
    }
}

/// The reason the built-in `never` policy gives.
pub const NEVER_REASON: &str = "no STOP policy wired — the built-in policy defers, so an open decision is evidence-only (the kernel default).";

/// `never` stop policy: always DEFER.
pub struct NeverPolicy;

impl StopPolicy for NeverPolicy {
    fn decide(&mut self, _state: &serde_json::Value) -> Result<StopVerdict, PluginError> {
        Ok(StopVerdict::defer(NEVER_REASON, Vec::new()))
    }
}

/// The reason the built-in `abstain` judge gives.
pub const ABSTAIN_WHY: &str = "no adjudicator wired — the built-in judge abstains, routing this claim to a human (configure a JUDGE-rung driver to rule on it).";

/// `abstain` judge: always ABSTAIN.
pub struct AbstainJudge;

impl Judge for AbstainJudge {
    fn rule(&mut self, _claim: &Claim) -> Result<JudgeVerdict, PluginError> {
        Ok(JudgeVerdict::abstain(ABSTAIN_WHY, Vec::new(), 0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_baseline_per_group() {
        assert_eq!(names(Group::Exporters), vec!["null"]);
        assert_eq!(names(Group::Notifiers), vec!["null"]);
        assert_eq!(names(Group::StopPolicies), vec!["never"]);
        assert_eq!(names(Group::Judges), vec!["abstain"]);
    }

    #[test]
    fn the_kernel_knows_every_plugin_group_table() {
        let keys: Vec<&str> = Group::ALL.iter().map(|g| g.key()).collect();
        assert_eq!(keys, dos_core::config_check::PLUGIN_GROUP_TABLES.to_vec());
    }

    #[test]
    fn the_kernel_serves_the_hook_groups_built_ins() {
        assert_eq!(
            names(Group::HookDialects),
            dos_core::hooks::dialect::BUILTIN_NAMES.to_vec()
        );
        assert_eq!(
            names(Group::HookInstalls),
            dos_core::hooks::install::BUILTIN_RUNTIMES.to_vec()
        );
        assert!(matches!(
            find(Group::HookDialects, "codex").map(|b| (b.make)(&DriverConfig::default())),
            Some(BuiltinDriver::HostServed)
        ));
    }

    #[test]
    fn null_exporter_text_and_cursor() {
        let recs = [
            EventRef {
                seq: 3,
                record: "{}".into(),
            },
            EventRef {
                seq: 9,
                record: "{}".into(),
            },
        ];
        let r = NullExporter.export(&recs).expect("null never fails");
        assert_eq!(
            r.detail,
            "null sink (no transport configured) — 2 event(s) not shipped"
        );
        assert_eq!(r.cursor, "9");
        assert_eq!(NullExporter.export(&[]).map(|r| r.cursor), Ok(String::new()));
    }
}
