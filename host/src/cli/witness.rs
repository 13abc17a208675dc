//! `dos witness`: the effect witness verbs.
//! - `dos witness state KEY --before B --after A` — the state-diff witness
//!   (exit 0 CONFIRMED, 1 REFUTED, 2 usage, 3 NO_CLAIM / UNWITNESSED).
//! - `dos witness gather SUBJECT --source NAME` — run one evidence source
//!   through the fail-safe runner and the belief floor.
//! - `dos witness sources` — the active evidence-source names.

use super::CliError;
use crate::plugin_host::PluginHost;
use crate::witness::effect::{witness_effect, EffectClaim, EffectVerdict};
use crate::witness::sources::{active_names, gather_evidence, resolve};
use crate::witness::state_diff::{read_state_json, witness_via_state_diff};
use crate::witness::{believe_under_floor, Accountability};
use dos_py::dumps::{dumps, Style};
use serde_json::{Map, Value};
use std::path::PathBuf;

/// Arguments of `dos witness`.
#[derive(Debug, clap::Args)]
pub(crate) struct WitnessArgs {
    /// Which witness.
    #[command(subcommand)]
    pub action: WitnessAction,
}

/// The witness verbs.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum WitnessAction {
    /// The canonical-state-diff read-back witness.
    State(StateArgs),
    /// Run one evidence source on SUBJECT (fail-safe; exit 0 believed, 1 refuted, 3 otherwise).
    Gather(GatherArgs),
    /// List the evidence sources (built-ins first).
    Sources {
        /// Workspace root.
        #[arg(long)]
        workspace: Option<PathBuf>,
    },
}

/// `dos witness state`.
#[derive(Debug, clap::Args)]
pub(crate) struct StateArgs {
    /// The claimed effect's key (looked up in the delta, trimmed).
    pub effect_key: String,
    /// The snapshot before (a JSON object).
    #[arg(long)]
    pub before: String,
    /// The snapshot after (a JSON object).
    #[arg(long)]
    pub after: String,
    /// What the agent said it did.
    #[arg(long, default_value = "")]
    pub narrated: String,
    /// The snapshots come from a third party (rung THIRD_PARTY, default OS_RECORDED).
    #[arg(long)]
    pub third_party: bool,
    /// Machine output.
    #[arg(long)]
    pub json: bool,
}

/// `dos witness gather`.
#[derive(Debug, clap::Args)]
pub(crate) struct GatherArgs {
    /// What to probe.
    pub subject: String,
    /// The evidence source name.
    #[arg(long, default_value = "null")]
    pub source: String,
    /// Machine output.
    #[arg(long)]
    pub json: bool,
    /// Workspace root.
    #[arg(long)]
    pub workspace: Option<PathBuf>,
}

/// Run `dos witness`.
pub(crate) fn run(top_ws: Option<&PathBuf>, args: &WitnessArgs) -> Result<i32, CliError> {
    match &args.action {
        WitnessAction::State(a) => Ok(state(a)),
        WitnessAction::Gather(a) => gather(top_ws, a),
        WitnessAction::Sources { workspace } => {
            let ws = super::workspace(top_ws, workspace.as_ref())?;
            let host = PluginHost::for_workspace(&ws, true)?;
            for n in active_names(&host) {
                println!("{n}");
            }
            Ok(0)
        }
    }
}

fn exit_for(v: EffectVerdict) -> i32 {
    match v {
        EffectVerdict::Confirmed => 0,
        EffectVerdict::Refuted => 1,
        _ => 3,
    }
}

/// `dos witness state`: returns the exit code.
pub(crate) fn state(a: &StateArgs) -> i32 {
    let claim = EffectClaim {
        key: a.effect_key.clone(),
        subject: String::new(),
        narrated: a.narrated.clone(),
    };
    let rung = if a.third_party {
        Accountability::ThirdParty
    } else {
        Accountability::OsRecorded
    };
    let snapshots = read_state_json(&a.before).and_then(|b| read_state_json(&a.after).map(|af| (b, af)));
    let (before, after) = match snapshots {
        Ok(s) => s,
        Err(err) => {
            // Unreadable snapshot: UNWITNESSED, never a fabricated empty delta.
            let mut d = witness_effect(Some(&claim), &[]).to_map();
            d.insert(
                "reason".into(),
                Value::from(format!(
                    "UNWITNESSED — could not read a state snapshot ({err}); cannot tell"
                )),
            );
            if a.json {
                println!("{}", dumps(&Value::Object(d), Style::PRETTY));
            } else {
                println!("VERDICT   UNWITNESSED");
                println!("WHY       could not read a snapshot: {err}");
            }
            return 3;
        }
    };
    let (v, delta) = match witness_via_state_diff(&claim, &before, &after, rung) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    if a.json {
        let mut d = v.to_map();
        d.insert("delta".into(), Value::Object(delta.to_map()));
        println!("{}", dumps(&Value::Object(d), Style::PRETTY));
    } else {
        let py_bool = |b: bool| if b { "True" } else { "False" };
        println!("EFFECT    {}", a.effect_key);
        println!(
            "DELTA     +{} ~{} -{}",
            delta.inserted.len(),
            delta.updated.len(),
            delta.deleted.len()
        );
        println!(
            "VERDICT   {}   (believe={} refuted={})",
            v.verdict.name(),
            py_bool(v.believe),
            py_bool(v.refuted)
        );
        println!(
            "WITNESS   {} ({})",
            if v.witness.is_empty() {
                "(none)"
            } else {
                &v.witness
            },
            v.accountability.map(|r| r.name()).unwrap_or("-")
        );
        println!("WHY       {}", v.reason);
    }
    exit_for(v.verdict)
}

fn gather(top_ws: Option<&PathBuf>, a: &GatherArgs) -> Result<i32, CliError> {
    let ws = super::workspace(top_ws, a.workspace.as_ref())?;
    let host = PluginHost::for_workspace(&ws, true)?;
    let mut source = resolve(&host, &a.source, &Map::new())?;
    let cfg = host
        .driver_config(dos_plugin_api::Group::EvidenceSources, &a.source, &Map::new())
        .0;
    let facts = gather_evidence(source.as_mut(), &a.subject, &cfg);
    let belief = believe_under_floor(std::slice::from_ref(&facts));
    if a.json {
        let mut m = Map::new();
        m.insert("facts".into(), Value::Object(facts.to_map()));
        m.insert("belief".into(), Value::Object(belief.to_map()));
        println!("{}", dumps(&Value::Object(m), Style::PRETTY));
    } else {
        println!("SUBJECT   {}", a.subject);
        println!(
            "SOURCE    {} ({})",
            facts.source_name,
            facts.accountability.name()
        );
        println!("STANCE    {}", facts.stance.name());
        println!("WHY       {}", facts.detail);
        println!(
            "BELIEVE   {}   (refuted={})",
            if belief.believe { "True" } else { "False" },
            if belief.refuted { "True" } else { "False" }
        );
        println!("VERDICT   {}", belief.reason);
    }
    Ok(if belief.believe {
        0
    } else if belief.refuted {
        1
    } else {
        3
    })
}
