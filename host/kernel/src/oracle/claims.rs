//! What (plan, phase) did an agent claim it shipped? Three rungs, strongest
//! first: `DOS-CLAIM:` marker lines, the hook's `--plan/--phase`
//! ("frontmatter"), and — only when asked — a heuristic over "shipped/done
//! <ID>" sentences. Abstain, never invent: prose without an ID-shaped token
//! gives no claim. The transcript reader is the I/O boundary; the extractor
//! is pure.

use dos_py::text::{py_splitlines, py_strip};
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

/// The text of one transcript line if it is an assistant turn with text.
fn assistant_turn(raw: &str) -> Option<String> {
    let raw = py_strip(raw);
    if raw.is_empty() {
        return None;
    }
    let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(raw) else {
        return None;
    };
    let Some(Value::Object(msg)) = obj.get("message") else {
        return None;
    };
    if msg.get("role").and_then(Value::as_str) != Some("assistant") {
        return None;
    }
    let blocks = text_blocks(msg.get("content"));
    (!blocks.is_empty()).then(|| blocks.join("\n"))
}

/// The text of the last `last_turns` assistant turns of a transcript's
/// contents (JSON lines; values below 1 mean 1), joined with `\n`.
pub fn assistant_text(contents: &str, last_turns: i64) -> String {
    let n = last_turns.max(1) as usize;
    let turns: Vec<String> = py_splitlines(contents)
        .into_iter()
        .filter_map(assistant_turn)
        .collect();
    let start = turns.len().saturating_sub(n);
    turns[start..].join("\n")
}

/// How far back from its end a transcript is scanned for assistant turns.
/// A session's last turns sit at its end, so this only matters for a turn
/// buried under more than this many bytes of later lines.
pub const TRANSCRIPT_SCAN_CAP: u64 = 64 << 20;
/// A transcript line longer than this is skipped (never held in memory).
pub const TRANSCRIPT_LINE_CAP: usize = 8 << 20;
const SCAN_CHUNK: usize = 1 << 20;

/// Read a transcript's last assistant turns, scanning whole lines backwards
/// from the end in chunks, and stopping once `last_turns` turns are found
/// or [`TRANSCRIPT_SCAN_CAP`] bytes were scanned. Memory stays bounded by a
/// chunk plus one line of at most [`TRANSCRIPT_LINE_CAP`]. Only a regular
/// file is read (a FIFO, `/dev/zero` or unreadable file gives empty text);
/// invalid UTF-8 is replaced, as the reference does.
pub fn assistant_text_from_file(path: &Path, last_turns: i64) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let n = last_turns.max(1) as usize;
    let Ok((mut file, size)) = crate::safe_fs::open_regular(path) else {
        return String::new();
    };
    let floor = size.saturating_sub(TRANSCRIPT_SCAN_CAP);
    let mut pos = size;
    // Bytes of the line being assembled (it ends where the previous chunk began).
    let mut line: Vec<u8> = Vec::new();
    let mut overlong = false;
    let mut turns_rev: Vec<String> = Vec::new();
    let take_line = |bytes: &[u8], turns_rev: &mut Vec<String>| {
        let text = String::from_utf8_lossy(bytes);
        // `splitlines` breaks at more than `\n`: a segment may hold several.
        for piece in py_splitlines(&text).into_iter().rev() {
            if let Some(t) = assistant_turn(piece) {
                turns_rev.push(t);
            }
        }
    };
    let mut chunk = vec![0u8; SCAN_CHUNK];
    while pos > floor && turns_rev.len() < n {
        let len = (pos - floor).min(SCAN_CHUNK as u64) as usize;
        pos -= len as u64;
        if file.seek(SeekFrom::Start(pos)).is_err() || file.read_exact(&mut chunk[..len]).is_err() {
            return String::new();
        }
        let buf = &chunk[..len];
        let mut end = len;
        while let Some(i) = memchr::memrchr(b'\n', &buf[..end]) {
            let seg = &buf[i + 1..end];
            if !overlong && line.len() + seg.len() <= TRANSCRIPT_LINE_CAP {
                let mut whole = seg.to_vec();
                whole.extend_from_slice(&line);
                take_line(&whole, &mut turns_rev);
            }
            line.clear();
            overlong = false;
            end = i;
            if turns_rev.len() >= n {
                break;
            }
        }
        if turns_rev.len() >= n {
            break;
        }
        // The chunk's head continues a line that started earlier.
        if !overlong && line.len() + end <= TRANSCRIPT_LINE_CAP {
            let mut joined = buf[..end].to_vec();
            joined.extend_from_slice(&line);
            line = joined;
        } else {
            overlong = true;
            line.clear();
        }
    }
    // The file's first line, when the scan reached the start of the file.
    if pos == 0 && turns_rev.len() < n && !overlong && !line.is_empty() {
        take_line(&line, &mut turns_rev);
    }
    turns_rev.truncate(n);
    turns_rev.reverse();
    turns_rev.join("\n")
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

    /// The backward scan reads what the whole-text reader reads, for any
    /// number of turns, line endings and chunk-straddling lines.
    #[test]
    fn backward_file_scan_matches_the_whole_text_reader() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.jsonl");
        let turn = |i: usize, pad: usize| {
            format!(
                "{{\"message\":{{\"role\":\"assistant\",\"content\":\"T{i} {}\"}}}}",
                "x".repeat(pad)
            )
        };
        let user = "{\"message\":{\"role\":\"user\",\"content\":\"u\"}}";
        let mut texts = vec![
            String::new(),
            "garbage".into(),
            format!("{}\n", turn(1, 0)),
            format!("{}", turn(1, 0)),
            format!("{}\r\n{user}\r\n{}\r\n\n", turn(1, 3), turn(2, 5)),
            format!("{}\u{2028}{}\n", turn(1, 0), turn(2, 0)),
            format!("\u{feff}{}\n\u{fffd}\n", turn(1, 0)),
        ];
        // Lines that straddle the 1 MiB chunk boundary.
        let mut big = String::new();
        for i in 0..6 {
            big.push_str(&turn(i, 300_000 + i * 7));
            big.push('\n');
            big.push_str(user);
            big.push('\n');
        }
        texts.push(big);
        for text in &texts {
            std::fs::write(&p, text).unwrap();
            for n in [0, 1, 2, 3, 10] {
                assert_eq!(
                    assistant_text_from_file(&p, n),
                    assistant_text(text, n),
                    "{:?} n={n}",
                    &text[..text.len().min(80)]
                );
            }
        }
        // Invalid UTF-8 is replaced, as the whole-file reader does.
        let mut bytes = turn(7, 0).into_bytes();
        bytes.extend_from_slice(b"\xff\xfe\n\xe2\x80\n");
        std::fs::write(&p, &bytes).unwrap();
        assert_eq!(
            assistant_text_from_file(&p, 2),
            assistant_text(&String::from_utf8_lossy(&bytes), 2)
        );
        assert_eq!(assistant_text_from_file(Path::new("/dev/zero"), 1), "");
        assert_eq!(assistant_text_from_file(&dir.path().join("missing"), 1), "");
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
