//! Judge plugin `llm`: asks a language model whether a claim is believable
//! given its un-authored evidence (reference: `dos.drivers.llm_judge.LlmJudge`).
//!
//! Two providers behind one prompt and one reply grammar:
//!
//! * **command** (the reference's seam): a shell command line from config
//!   `command` or `$DOS_LLM_JUDGE_CMD`, run as `/bin/sh -c`, the prompt on its
//!   stdin, its trimmed stdout the reply; time limit `timeout_s` (default
//!   120 s), after which the command's whole process group is killed. With no
//!   command, or when it cannot start, times out, exits non-zero or prints
//!   nothing, the judge ABSTAINs with the reference's "no LLM provider wired"
//!   text (the failure is named in the verdict's evidence). Cost 0.0.
//! * **http**: an OpenAI-compatible chat-completions endpoint. Config
//!   `endpoint` (the full URL, e.g. `https://api.openai.com/v1/chat/completions`),
//!   `model` (sent when set), API key from the environment variable named by
//!   `api_key_env` (default `OPENAI_API_KEY`; the process environment, then the
//!   workspace `.env`), sent as `Authorization: Bearer …` when present. A
//!   transport error, a non-2xx status or a body without a reply is an error
//!   (the host turns it into an ABSTAIN naming the cause). **Cost unit: tokens**
//!   — the response's `usage.total_tokens` (or `prompt_tokens +
//!   completion_tokens`), 0.0 when the endpoint reports no usage.
//!
//! `provider` = `command` | `http` picks one; unset, it is `http` when
//! `endpoint` is set, else `command`.
//!
//! Reply grammar (reference `_parse_three_valued`): the last `VERDICT:` line
//! carrying `abstain` / `disagree` / `agree` (checked in that order) decides;
//! the last `WHY:` line is the reason (else the whole reply); no recognisable
//! verdict → ABSTAIN. Nothing becomes AGREE by failure.
//!
//! A `cdylib` loaded by the `dos` plugin host: it depends on `dos-plugin-api`
//! only, never on the host crates (`dos-core`, `dos-plugin-host`, `dos`).

#![forbid(unsafe_code)]

pub mod http;

use dos_plugin_api::config::{non_empty, py_float_opt};
use dos_plugin_api::process;
pub use dos_plugin_api::pystr::{is_py_space, py_splitlines, py_strip};
use dos_plugin_api::{dotenv, Claim, DriverConfig, Judge, JudgeVerdict, PluginError, Registry};
use std::path::PathBuf;
use std::time::Duration;

/// The judge's registered name.
pub const JUDGE_NAME: &str = "llm";
/// The env var naming the provider command (the reference's seam).
pub const ENV_JUDGE_CMD: &str = "DOS_LLM_JUDGE_CMD";
/// The env var holding the HTTP provider's API key unless `api_key_env` names another.
pub const DEFAULT_API_KEY_ENV: &str = "OPENAI_API_KEY";
/// The provider's default time limit, in seconds (the reference's).
pub const DEFAULT_TIMEOUT_S: f64 = 120.0;
/// How much of the reply the verdict's evidence quotes (code points).
pub const REPLY_QUOTE: usize = 200;

/// Why the judge abstains when no provider answered (reference text).
pub const NO_PROVIDER_WHY: &str = "no LLM provider wired (set $DOS_LLM_JUDGE_CMD to a `claude -p`-style command) — abstaining, which routes this claim to a human.";
/// Why the judge abstains on a reply without a verdict (reference text).
pub const UNPARSEABLE_WHY: &str =
    "LLM reply did not carry a parseable VERDICT — abstaining (never guess agree)";

/// The adjudication prompt for a claim (reference `_build_claim_prompt`, byte for byte).
pub fn build_claim_prompt(claim: &Claim) -> String {
    let evidence = if claim.evidence.is_empty() {
        "  (none provided)".to_string()
    } else {
        claim
            .evidence
            .iter()
            .map(|e| format!("  - {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let narration = if claim.stated_reason.is_empty() {
        "(none given)"
    } else {
        claim.stated_reason.as_str()
    };
    format!(
        "You are a strict adjudicator for an autonomous-agent substrate. An agent asserted a claim and gave a justification (its NARRATION), and the system gathered some forgery-resistant EVIDENCE (git lines, file state). The deterministic oracle could not settle this claim, so it falls to you. Decide whether the claim is BELIEVABLE GIVEN THE EVIDENCE — not given the narration, which you should distrust. Default to skepticism: if the evidence does not support the claim, answer 'disagree'; if you genuinely cannot tell from the evidence, answer 'abstain' (do NOT guess 'agree'). Answer in two lines:\n\
         VERDICT: <agree|disagree|abstain>\n\
         WHY: <one sentence>\n\
         \n\
         CLAIM: {}\n\
         AGENT NARRATION: {narration}\n\
         EVIDENCE:\n\
         {evidence}\n",
        claim.claim_text
    )
}

/// What a reply's `VERDICT:` lines said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyStance {
    /// `agree` (and neither `disagree` nor `abstain`).
    Agree,
    /// `disagree` (and not `abstain`).
    Disagree,
    /// `abstain`.
    Abstain,
}

/// Parse a reply into its stance (if any `VERDICT:` line was recognisable)
/// and its reason (the last `WHY:` line, else the whole trimmed reply).
pub fn parse_reply(reply: &str) -> (Option<ReplyStance>, String) {
    let mut why = py_strip(reply).to_string();
    let mut stance = None;
    for line in py_splitlines(reply) {
        let low = py_strip(line).to_lowercase();
        if low.starts_with("verdict:") {
            let val = low.split_once(':').map_or("", |(_, v)| py_strip(v));
            if val.contains("abstain") {
                stance = Some(ReplyStance::Abstain);
            } else if val.contains("disagree") {
                stance = Some(ReplyStance::Disagree);
            } else if val.contains("agree") {
                stance = Some(ReplyStance::Agree);
            }
        } else if low.starts_with("why:") {
            why = line.split_once(':').map_or("", |(_, v)| py_strip(v)).to_string();
        }
    }
    (stance, why)
}

/// The verdict for a model's reply (reference `_parse_three_valued`), with
/// the provider's cost; evidence is `llm: ` + the reply's first 200 code points.
pub fn verdict_for_reply(reply: &str, cost: f64) -> JudgeVerdict {
    let quoted: String = reply.chars().take(REPLY_QUOTE).collect();
    let evidence = vec![format!("llm: {quoted}")];
    match parse_reply(reply) {
        (Some(ReplyStance::Agree), why) => JudgeVerdict::agree(why, evidence, cost),
        (Some(ReplyStance::Disagree), why) => JudgeVerdict::disagree(why, evidence, cost),
        (Some(ReplyStance::Abstain), why) => JudgeVerdict::abstain(why, evidence, cost),
        (None, _) => JudgeVerdict::abstain(UNPARSEABLE_WHY, evidence, cost),
    }
}

/// The ABSTAIN for "no provider answered"; `failure` names why a configured
/// command gave no reply (the reference's evidence is empty; we say why).
pub fn no_provider_verdict(failure: Option<&str>) -> JudgeVerdict {
    let evidence = failure
        .map(|f| vec![format!("llm provider: {f}")])
        .unwrap_or_default();
    JudgeVerdict::abstain(NO_PROVIDER_WHY, evidence, 0.0)
}

/// Where the judge sends its prompt.
#[derive(Debug, Clone, PartialEq)]
pub enum Provider {
    /// A shell command reading the prompt on stdin (`None`: none wired).
    Command {
        /// The command line, if any.
        command: Option<String>,
        /// Time limit.
        timeout: Duration,
    },
    /// An OpenAI-compatible chat-completions endpoint.
    Http(http::HttpProvider),
}

/// The time limit from `timeout_s`: positive finite seconds, else 120.
pub fn timeout_from(raw: Option<f64>) -> Duration {
    let default = Duration::from_secs_f64(DEFAULT_TIMEOUT_S);
    match raw {
        Some(s) if s.is_finite() && s > 0.0 => Duration::try_from_secs_f64(s).unwrap_or(default),
        _ => default,
    }
}

impl Provider {
    /// Choose and configure the provider from the driver configuration.
    /// A value of the wrong type is an error naming its key.
    pub fn from_config(cfg: &DriverConfig) -> Result<Provider, PluginError> {
        let c: LlmConfig = cfg.parse()?;
        let timeout = timeout_from(c.timeout_s);
        let kind = match c.provider.as_deref().map(|p| py_strip(p).to_lowercase()) {
            Some(p) => p,
            None if c.endpoint.is_some() => "http".to_string(),
            None => "command".to_string(),
        };
        match kind.as_str() {
            "command" => Ok(Provider::Command {
                command: c
                    .command
                    .or_else(|| std::env::var(ENV_JUDGE_CMD).ok().filter(|c| !c.is_empty())),
                timeout,
            }),
            "http" => {
                let endpoint = c.endpoint.ok_or_else(|| {
                    PluginError::new(
                        "llm judge: provider 'http' needs an `endpoint` (the chat-completions URL)",
                    )
                })?;
                let key_env = c.api_key_env.as_deref();
                let key_name = key_env.unwrap_or(DEFAULT_API_KEY_ENV);
                let root = PathBuf::from(c.root.as_deref().unwrap_or("."));
                let api_key = dotenv::lookup(&root, key_name).map_err(|e| PluginError(e.0))?;
                if api_key.is_none() && key_env.is_some() {
                    return Err(PluginError::new(format!(
                        "llm judge: api_key_env names ${key_name}, which is not set (environment or workspace .env)"
                    )));
                }
                Ok(Provider::Http(http::HttpProvider {
                    endpoint,
                    model: c.model,
                    api_key,
                    timeout,
                }))
            }
            other => Err(PluginError::new(format!(
                "llm judge: unknown provider '{other}' (expected 'command' or 'http')"
            ))),
        }
    }
}

/// The driver's table (`[judges.llm]`); every string treats `""` as unset.
#[derive(Debug, Default, serde::Deserialize)]
pub struct LlmConfig {
    /// `command` or `http` (default: `http` when `endpoint` is set).
    #[serde(default, deserialize_with = "non_empty")]
    pub provider: Option<String>,
    /// The chat-completions URL (provider `http`).
    #[serde(default, deserialize_with = "non_empty")]
    pub endpoint: Option<String>,
    /// The shell command that reads the prompt (provider `command`).
    #[serde(default, deserialize_with = "non_empty")]
    pub command: Option<String>,
    /// The environment variable holding the API key.
    #[serde(default, deserialize_with = "non_empty")]
    pub api_key_env: Option<String>,
    /// The model name sent to the endpoint.
    #[serde(default, deserialize_with = "non_empty")]
    pub model: Option<String>,
    /// The time limit in seconds (Python `float()` reading).
    #[serde(default, deserialize_with = "py_float_opt")]
    pub timeout_s: Option<f64>,
    /// The workspace root (host-added).
    #[serde(default, deserialize_with = "non_empty")]
    pub root: Option<String>,
}

/// The `llm` judge.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmJudge {
    provider: Provider,
}

impl LlmJudge {
    /// Build from the driver configuration (see the crate docs for the keys).
    pub fn new(cfg: &DriverConfig) -> Result<Self, PluginError> {
        Ok(LlmJudge {
            provider: Provider::from_config(cfg)?,
        })
    }

    /// A judge using this provider.
    pub fn with_provider(provider: Provider) -> Self {
        LlmJudge { provider }
    }

    /// The provider in use.
    pub fn provider(&self) -> &Provider {
        &self.provider
    }
}

impl Judge for LlmJudge {
    fn rule(&mut self, claim: &Claim) -> Result<JudgeVerdict, PluginError> {
        let prompt = build_claim_prompt(claim);
        match &self.provider {
            Provider::Command { command: None, .. } => Ok(no_provider_verdict(None)),
            Provider::Command {
                command: Some(cmd),
                timeout,
            } => match process::run_shell(cmd, prompt.as_bytes(), *timeout) {
                Err(e) => Ok(no_provider_verdict(Some(&e.to_string()))),
                Ok(stdout) => {
                    let text = String::from_utf8_lossy(&stdout);
                    let reply = py_strip(&text);
                    if reply.is_empty() {
                        Ok(no_provider_verdict(Some("command printed nothing")))
                    } else {
                        Ok(verdict_for_reply(reply, 0.0))
                    }
                }
            },
            Provider::Http(p) => {
                let answer = p.complete(&prompt).map_err(PluginError)?;
                Ok(verdict_for_reply(py_strip(&answer.content), answer.tokens))
            }
        }
    }
}

fn register(r: &mut Registry) {
    r.judge(JUDGE_NAME, LlmJudge::new);
}

dos_plugin_api::export_plugin!(name: "dos-judge-llm", version: env!("CARGO_PKG_VERSION"), register: register);

#[cfg(test)]
mod tests;
