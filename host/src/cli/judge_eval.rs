//! `dos judge-eval`: score a judge against a labelled JSONL set — the
//! confusion grid, false-clear rate, accuracy, abstain rate and cost per
//! claim — with the reference's output and exit codes (1 iff any false
//! claim was cleared).

use super::decisions::WorkspaceFlags;
use super::CliError;
use crate::judge::eval::{report_json, score_each};
use crate::judge::per_case;
use crate::judge::{cases, resolve_judge};
use crate::plugin_host::PluginHost;
use dos_py::dumps::{dumps, Style};
use std::path::PathBuf;

/// Arguments of `dos judge-eval`.
#[derive(Debug, clap::Args)]
pub(crate) struct JudgeEvalArgs {
    /// The judge to score (built-in `abstain`, or a plugin: `similarity`,
    /// `llm`, `operator-decision`, …).
    #[arg(long, value_name = "NAME", default_value = "abstain")]
    pub judge: String,
    /// Labelled cases: one JSON object per line with claim_text, truth
    /// (boolean) and optional stated_reason / evidence / subject.
    #[arg(long, value_name = "FILE.jsonl")]
    pub cases: String,
    /// Print the machine-readable report.
    #[arg(long)]
    pub json: bool,
    /// Also print each case's verdict, why and evidence (with --json: a
    /// `verdicts` array; without, a `cases` block after the report).
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Workspace (plugin search path and `[judges.NAME]` configuration).
    #[command(flatten)]
    pub ws: WorkspaceFlags,
}

/// Run `dos judge-eval`.
pub(crate) fn run(top_ws: Option<&PathBuf>, args: &JudgeEvalArgs) -> Result<i32, CliError> {
    let cases = cases::load(&args.cases).map_err(|e| CliError::Usage(e.to_string()))?;
    if cases.is_empty() {
        return Err(CliError::Usage(format!("no cases found in {}", args.cases)));
    }
    let ws = super::workspace(top_ws, args.ws.workspace.as_ref())?;
    let host = PluginHost::for_workspace(&ws, true)?;
    let mut judge = resolve_judge(&host, &args.judge)?;
    // A judge that cannot be built would abstain on every case and score as
    // a harmless judge: that is a broken setup, not a score.
    if let Some(why) = judge.construct_failure() {
        return Err(CliError::Usage(why));
    }
    let (report, verdicts) = score_each(&mut judge, &cases);
    if args.json {
        let mut doc = report_json(&args.judge, &args.cases, &report);
        if let (true, Some(map)) = (args.verbose, doc.as_object_mut()) {
            map.insert("verdicts".into(), per_case::to_json(&cases, &verdicts));
        }
        println!("{}", dumps(&doc, Style::PRETTY));
    } else {
        print!("{}", report.render_text(&args.judge));
        if args.verbose {
            print!("{}", per_case::render_text(&cases, &verdicts));
        }
    }
    Ok(report.exit_code())
}
