//! `[group.name]` tables in dos.toml that no loaded driver uses — usually a
//! typo or a plugin that is not on the search path — with the nearest known
//! name. Pure: the caller supplies the tables and the known names.

/// One table no driver reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Unused {
    /// The group key (`notifiers`).
    pub group: String,
    /// The table's name (`teamz`).
    pub name: String,
    /// The closest known name of that group, when one is close.
    pub nearest: Option<String>,
    /// The group's singular noun for messages.
    pub noun: &'static str,
}

impl Unused {
    /// The warning line (without the `warning: ` prefix).
    pub(super) fn message(&self) -> String {
        let hint = match &self.nearest {
            Some(n) => format!("did you mean [{}.{n}]?", self.group),
            None => "no plugin on the search path provides it; see `dos plugins`".to_string(),
        };
        format!(
            "dos.toml [{}.{}] configures no loaded {} ({hint})",
            self.group, self.name, self.noun
        )
    }
}

/// The known name closest to `name`, if it is within a third of the
/// longer name's length (at least 1 edit, at most 3).
pub(super) fn nearest(name: &str, known: &[String]) -> Option<String> {
    known
        .iter()
        .map(|k| (crate::config_check::distance(name, k), k))
        .filter(|(d, k)| *d <= (name.chars().count().max(k.chars().count()) / 3).clamp(1, 3))
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
        .map(|(_, k)| k.clone())
}

/// The tables of `group` (names, in file order) that are not in `known`.
pub(super) fn unused(group: &str, noun: &'static str, tables: &[String], known: &[String]) -> Vec<Unused> {
    tables
        .iter()
        .filter(|t| !known.contains(t))
        .map(|t| Unused {
            group: group.to_string(),
            name: t.clone(),
            nearest: nearest(t, known),
            noun,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn distances() {
        for (a, b, d) in [
            ("", "", 0),
            ("teams", "teams", 0),
            ("teamz", "teams", 1),
            ("slak", "slack", 1),
            ("", "ab", 2),
            ("abc", "xyz", 3),
        ] {
            assert_eq!(crate::config_check::distance(a, b), d, "{a} {b}");
        }
    }

    #[test]
    fn nearest_only_when_close() {
        let known = names(&["null", "slack", "webhook"]);
        assert_eq!(nearest("slak", &known).as_deref(), Some("slack"));
        assert_eq!(nearest("webhok", &known).as_deref(), Some("webhook"));
        assert_eq!(nearest("teams", &known), None);
        assert_eq!(nearest("x", &names(&["y"])).as_deref(), Some("y"));
    }

    #[test]
    fn unused_tables_are_named_with_a_hint() {
        let known = names(&["null", "slack", "webhook"]);
        let found = unused(
            "notifiers",
            "notifier",
            &names(&["slack", "webhok", "teams"]),
            &known,
        );
        let lines: Vec<String> = found.iter().map(Unused::message).collect();
        assert_eq!(
            lines,
            [
                "dos.toml [notifiers.webhok] configures no loaded notifier (did you mean [notifiers.webhook]?)",
                "dos.toml [notifiers.teams] configures no loaded notifier (no plugin on the search path provides it; see `dos plugins`)",
            ]
        );
    }
}
