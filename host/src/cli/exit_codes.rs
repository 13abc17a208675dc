//! `dos exit-codes [VERB] [--json]`: the verdict-is-the-exit-code contract of
//! every verdict-bearing verb, in the reference's table shape, so a shell or
//! CI step can branch on the code without parsing output.

use super::CliError;
use serde_json::{Map, Value};

/// Arguments of `dos exit-codes`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExitCodesArgs {
    /// Filter to one verb (e.g. verify, liveness); omit for all.
    pub verb: Option<String>,
    /// Emit the contract as JSON.
    #[arg(long)]
    pub json: bool,
}

/// One verb's (verdict, code) pairs.
pub(crate) type Contract = (&'static str, &'static [(&'static str, i32)]);

/// The contract table, by verb name (sorted). Shared verbs carry the
/// reference's rows; `scout` and `doctor` are ours.
pub(crate) const CONTRACTS: &[Contract] = &[
    ("doctor", &[("healthy", 0), ("broken", 1), ("contract_error", 2)]),
    (
        "exec-capability",
        &[
            ("BOUNDED", 0),
            ("EMPTY", 0),
            ("contract_error", 2),
            ("GRANTS_ARBITRARY_EXEC", 3),
            ("unknown", 5),
        ],
    ),
    (
        "hook-exit",
        &[
            ("PASS", 0),
            ("contract_error", 2),
            ("BLOCK", 3),
            ("WARN", 4),
            ("DEFER", 5),
            ("OBSERVE", 6),
            ("unknown", 7),
        ],
    ),
    (
        "liveness",
        &[
            ("ADVANCING", 0),
            ("contract_error", 2),
            ("SPINNING", 3),
            ("STALLED", 4),
            ("unknown", 5),
        ],
    ),
    (
        "scout",
        &[
            ("dispatch", 0),
            ("contract_error", 2),
            ("unstick", 3),
            ("replan", 4),
            ("wait", 5),
            ("stop", 6),
            ("next-up", 7),
            ("judge", 8),
            ("plan-audit", 9),
            ("tail-wag", 10),
            ("trajectory-audit", 11),
        ],
    ),
    (
        "verify",
        &[("shipped", 0), ("not_shipped", 1), ("contract_error", 2)],
    ),
];

const HEADER: &str = "The exit code IS the verdict. A shell/CI step branches on it directly.\n";

/// The text table for `contracts` (rows by code, then name; names padded
/// to the verb's widest).
pub(crate) fn render_text(contracts: &[Contract]) -> String {
    let mut out = String::from(HEADER);
    for (verb, rows) in contracts {
        let mut rows: Vec<(&str, i32)> = rows.to_vec();
        rows.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
        let width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
        out.push_str(&format!("\ndos {verb}\n"));
        for (name, code) in rows {
            out.push_str(&format!("  {code}  {name:<width$}\n"));
        }
    }
    out
}

/// The JSON form: `{verb: {verdict: code}}`, keys sorted.
pub(crate) fn render_json(contracts: &[Contract]) -> String {
    let mut all = Map::new();
    for (verb, rows) in contracts {
        let mut sorted: Vec<&(&str, i32)> = rows.iter().collect();
        sorted.sort();
        let m: Map<String, Value> = sorted
            .into_iter()
            .map(|(n, c)| (n.to_string(), Value::from(*c)))
            .collect();
        all.insert(verb.to_string(), Value::Object(m));
    }
    dos_py::dumps::dumps(
        &Value::Object(all),
        dos_py::dumps::Style {
            sort_keys: true,
            ..dos_py::dumps::Style::DEFAULT
        },
    )
}

/// Run `dos exit-codes`: exit 0, or 2 for a verb without a contract.
pub(crate) fn run(args: &ExitCodesArgs) -> Result<i32, CliError> {
    let chosen: Vec<Contract> = match &args.verb {
        None => CONTRACTS.to_vec(),
        Some(v) => match CONTRACTS.iter().find(|(name, _)| name == v) {
            Some(c) => vec![*c],
            None => {
                let known: Vec<&str> = CONTRACTS.iter().map(|c| c.0).collect();
                return Err(CliError::Usage(format!(
                    "{} is not a verdict-bearing verb. Known: {}",
                    dos_py::repr::str_repr(v),
                    known.join(", ")
                )));
            }
        },
    };
    if args.json {
        println!("{}", render_json(&chosen));
    } else {
        print!("{}", render_text(&chosen));
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_matches_the_reference_bytes() {
        let verify = CONTRACTS.iter().find(|c| c.0 == "verify").copied().unwrap();
        assert_eq!(
            render_text(&[verify]),
            "The exit code IS the verdict. A shell/CI step branches on it directly.\n\ndos verify\n  0  shipped       \n  1  not_shipped   \n  2  contract_error\n"
        );
        assert_eq!(
            render_json(&[verify]),
            r#"{"verify": {"contract_error": 2, "not_shipped": 1, "shipped": 0}}"#
        );
    }

    #[test]
    fn table_is_sorted_and_codes_are_sane() {
        let names: Vec<&str> = CONTRACTS.iter().map(|c| c.0).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        for (verb, rows) in CONTRACTS {
            assert!(rows.contains(&("contract_error", 2)), "{verb}");
            assert!(rows.iter().any(|r| r.1 == 0), "{verb}");
        }
        let liveness = CONTRACTS.iter().find(|c| c.0 == "liveness").copied().unwrap();
        assert_eq!(
            render_json(&[liveness]),
            r#"{"liveness": {"ADVANCING": 0, "SPINNING": 3, "STALLED": 4, "contract_error": 2, "unknown": 5}}"#
        );
    }

    #[test]
    fn scout_rows_follow_its_exit_codes() {
        use crate::scout::Activity;
        let scout = CONTRACTS.iter().find(|c| c.0 == "scout").unwrap().1;
        for a in [
            Activity::Dispatch,
            Activity::Stop,
            Activity::TrajectoryAudit,
            Activity::NextUp,
        ] {
            assert!(scout.contains(&(a.as_str(), a.exit_code())), "{a:?}");
        }
    }
}
