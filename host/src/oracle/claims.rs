//! What (plan, phase) did an agent claim it shipped? Three rungs, strongest
//! first: `DOS-CLAIM:` marker lines, the hook's `--plan/--phase`
//! ("frontmatter"), and — only when asked — a heuristic over "shipped/done
//! <ID>" sentences. Abstain, never invent: prose without an ID-shaped token
//! gives no claim. The transcript reader is the I/O boundary; the extractor
//! is pure.

use super::pytext::{py_splitlines, py_strip};
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::OnceLock;

/// One claimed `(plan, phase)` and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The plan token.
    pub plan: String,
    /// The phase token.
    pub phase: String,
    /// `marker`, `frontmatter` or `heuristic`.
    pub rung: &'static str,
    /// The text the claim was lifted from.
    pub raw: String,
}

impl Claim {
    /// Marker and frontmatter claims are confident; heuristics are not.
    pub fn confident(&self) -> bool {
        matches!(self.rung, "marker" | "frontmatter")
    }

    /// The claim's JSON fields (`plan`, `phase`, `rung`, `raw`, `confident`).
    pub fn to_map(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("plan".into(), Value::from(self.plan.clone()));
        m.insert("phase".into(), Value::from(self.phase.clone()));
        m.insert("rung".into(), Value::from(self.rung));
        m.insert("raw".into(), Value::from(self.raw.clone()));
        m.insert("confident".into(), Value::from(self.confident()));
        m
    }
}

fn marker_re() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"(?m)^[ \t>*\-]*DOS-CLAIM:[ \t]+(?P<plan>\S+)[ \t]+(?P<phase>\S+)[ \t]*$")
            .expect("static regex")
    })
}

fn token_re() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"\b([A-Z][A-Z_]*[A-Z])(\d+)\b").expect("static regex"))
}

fn hint_re() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"(?i)\b(shipped|landed|completed|finished|done|merged)\b").expect("static regex")
    })
}

/// The frontmatter claim from `--plan`/`--phase` (both non-blank after trimming).
pub fn from_frontmatter(plan: Option<&str>, phase: Option<&str>) -> Vec<Claim> {
    let plan = py_strip(plan.unwrap_or(""));
    let phase = py_strip(phase.unwrap_or(""));
    if plan.is_empty() || phase.is_empty() {
        return vec![];
    }
    vec![Claim {
        plan: plan.into(),
        phase: phase.into(),
        rung: "frontmatter",
        raw: format!("dos.plan={plan} dos.phase={phase}"),
    }]
}

/// Extract claims from assistant text: markers first (text order), then —
/// with `allow_heuristic` — heuristic tokens; deduplicated on `(plan, phase)`
/// (first rung to record a pair keeps its position; a repeated marker keeps
/// the later marker's text, as the reference's dict does).
pub fn extract(text: &str, allow_heuristic: bool) -> Vec<Claim> {
    let mut out: Vec<Claim> = Vec::new();
    for c in marker_re().captures_iter(text) {
        let claim = Claim {
            plan: c["plan"].to_string(),
            phase: c["phase"].to_string(),
            rung: "marker",
            raw: py_strip(&c[0]).to_string(),
        };
        match out
            .iter_mut()
            .find(|o| o.plan == claim.plan && o.phase == claim.phase)
        {
            Some(existing) => *existing = claim,
            None => out.push(claim),
        }
    }
    if !allow_heuristic {
        return out;
    }
    for line in py_splitlines(text) {
        if !hint_re().is_match(line) {
            continue;
        }
        for tok in token_re().captures_iter(line) {
            let (phase, plan) = (tok[0].to_string(), tok[1].to_string());
            if out.iter().any(|o| o.plan == plan && o.phase == phase) {
                continue;
            }
            out.push(Claim {
                plan,
                phase,
                rung: "heuristic",
                raw: py_strip(line).to_string(),
            });
        }
    }
    out
}

fn text_blocks(content: Option<&Value>) -> Vec<String> {
    match content {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_object)
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        _ => vec![],
    }
}

/// The text of the last `last_turns` assistant turns of a transcript's
/// contents (JSON lines; values below 1 mean 1), joined with `\n`.
pub fn assistant_text(contents: &str, last_turns: i64) -> String {
    let n = last_turns.max(1) as usize;
    let mut turns: Vec<String> = Vec::new();
    for raw in py_splitlines(contents) {
        let raw = py_strip(raw);
        if raw.is_empty() {
            continue;
        }
        let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(raw) else {
            continue;
        };
        let Some(Value::Object(msg)) = obj.get("message") else {
            continue;
        };
        if msg.get("role").and_then(Value::as_str) != Some("assistant") {
            continue;
        }
        let blocks = text_blocks(msg.get("content"));
        if !blocks.is_empty() {
            turns.push(blocks.join("\n"));
        }
    }
    let start = turns.len().saturating_sub(n);
    turns[start..].join("\n")
}

/// How much of a transcript's end is read: the claim extraction needs only
/// the last few assistant turns, and a transcript up to this size is read
/// whole (so the result is the reference's for any normal session).
pub const TRANSCRIPT_TAIL_CAP: u64 = 32 << 20;

/// Read a transcript file's tail (invalid UTF-8 replaced); unreadable, not a
/// regular file (FIFO, `/dev/zero`) → empty text. At most
/// [`TRANSCRIPT_TAIL_CAP`] bytes, whole lines only.
pub fn assistant_text_from_file(path: &Path, last_turns: i64) -> String {
    match crate::safe_fs::read_regular_tail(path, TRANSCRIPT_TAIL_CAP) {
        Ok(bytes) => assistant_text(&String::from_utf8_lossy(&bytes), last_turns),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str, heuristic: bool) -> Vec<(String, String, &'static str)> {
        extract(text, heuristic)
            .into_iter()
            .map(|c| (c.plan, c.phase, c.rung))
            .collect()
    }

    fn k(plan: &str, phase: &str, rung: &'static str) -> (String, String, &'static str) {
        (plan.into(), phase.into(), rung)
    }

    #[test]
    fn extractor_golden_table() {
        type Case = (&'static str, Vec<(String, String, &'static str)>, usize);
        let table: Vec<Case> = vec![
            ("AUTH2 shipped", vec![k("AUTH", "AUTH2", "heuristic")], 0),
            ("auth2 done", vec![], 0),
            ("A1 done", vec![], 0),
            ("FQ-390 done", vec![], 0),
            ("AUTH2.1 shipped", vec![k("AUTH", "AUTH2", "heuristic")], 0),
            ("AUTH2B done", vec![], 0),
            ("MY_PLAN3 merged", vec![k("MY_PLAN", "MY_PLAN3", "heuristic")], 0),
            ("AUTH2 is undone", vec![], 0),
            ("AUTH2 shipping soon", vec![], 0),
            ("not done yet: AUTH5", vec![k("AUTH", "AUTH5", "heuristic")], 0),
            (
                "Shipped AUTH2 and DLA3, done.",
                vec![k("AUTH", "AUTH2", "heuristic"), k("DLA", "DLA3", "heuristic")],
                0,
            ),
            ("> DOS-CLAIM: X Y", vec![k("X", "Y", "marker")], 1),
            ("text DOS-CLAIM: X Y", vec![], 0),
            ("DOS-CLAIM: X Y Z", vec![], 0),
            (
                "DOS-CLAIM:\tdocs/286 Phase-3  ",
                vec![k("docs/286", "Phase-3", "marker")],
                1,
            ),
            (
                "DOS-CLAIM: AUTH AUTH2\nAUTH2 done",
                vec![k("AUTH", "AUTH2", "marker")],
                1,
            ),
        ];
        for (text, expected, markers_only) in table {
            assert_eq!(keys(text, true), expected, "{text:?}");
            assert_eq!(
                keys(text, false).len(),
                markers_only,
                "{text:?} without heuristics"
            );
        }
        assert_eq!(
            extract("DOS-CLAIM:\tdocs/286 Phase-3  ", false)[0].raw,
            "DOS-CLAIM:\tdocs/286 Phase-3"
        );
        assert_eq!(extract("- DOS-CLAIM: A B", false)[0].raw, "- DOS-CLAIM: A B");
    }

    #[test]
    fn transcript_turns() {
        let t = concat!(
            "{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\"hi\"}}\n",
            "{\"message\":{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Earlier turn: AUTH30 is done.\"}]}}\n",
            "not json\n[1]\n",
            "{\"message\":{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"name\":\"x\"}]}}\n",
            "{\"message\":{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\"},{\"type\":\"text\",\"text\":\"AUTH1 shipped.\\nAUTH2 is done.\"}]}}\n",
        );
        assert_eq!(assistant_text(t, 1), "AUTH1 shipped.\nAUTH2 is done.");
        assert_eq!(assistant_text(t, 0), "AUTH1 shipped.\nAUTH2 is done.");
        assert_eq!(
            assistant_text(t, 2),
            "Earlier turn: AUTH30 is done.\nAUTH1 shipped.\nAUTH2 is done."
        );
        assert_eq!(assistant_text("", 1), "");
    }

    #[test]
    fn frontmatter_needs_both() {
        assert_eq!(
            from_frontmatter(Some(" AUTH "), Some("AUTH1"))[0].raw,
            "dos.plan=AUTH dos.phase=AUTH1"
        );
        assert!(from_frontmatter(Some("AUTH"), None).is_empty());
        assert!(from_frontmatter(Some("AUTH"), Some("  ")).is_empty());
    }
}
