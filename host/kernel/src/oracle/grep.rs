//! The grep rung: pure passes over already-read `git log` output that decide
//! whether a commit subject (or a release commit's body) stamps a phase as
//! shipped. Pass order, first hit wins: `direct` → `trailer` →
//! `release-prefix` → `hyg-slug` → `sub-phase-parent` → `body-mention`.

use super::stamp::StampConvention;
use dos_py::text::{is_py_space, py_strip};
use fancy_regex::{escape, Regex};
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// The phase boundary after a token: not `[A-Za-z0-9.-]`.
const BOUNDARY_NEG: &str = r"(?![A-Za-z0-9.\-])";
/// The phase boundary before a token.
const BOUNDARY_PRE_NEG: &str = r"(?<![A-Za-z0-9.\-])";

/// One commit of the body cache (the newest 50 commits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyCommit {
    /// The abbreviated sha (`%h`).
    pub sha: String,
    /// The raw message (`%B`) split into lines.
    pub lines: Vec<String>,
}

/// The git history the grep rung reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogCache {
    /// `<short-sha> <subject>` lines, newest first (the last 4000 commits).
    pub oneline: Vec<String>,
    /// The newest 50 commits with their messages.
    pub bodies: Vec<BodyCommit>,
}

/// A grep hit: which commit and which pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrepHit {
    /// The short sha of the matched commit.
    pub sha: String,
    /// The human summary (the oneline, plus a pass-specific suffix).
    pub summary: String,
    /// The pass that matched (`direct`, `trailer`, …).
    pub via: &'static str,
}

/// A compiled pass pattern: the exact (look-around) regex, plus a plain
/// `regex` superset without the look-arounds that rejects most lines fast.
struct Pass {
    exact: Regex,
    prefilter: Option<regex::Regex>,
}

impl Pass {
    fn captures<'t>(&self, line: &'t str) -> Option<fancy_regex::Captures<'t>> {
        if let Some(pre) = &self.prefilter {
            if !pre.is_match(line) {
                return None;
            }
        }
        self.exact.captures(line).ok().flatten()
    }

    fn is_match(&self, line: &str) -> bool {
        self.captures(line).is_some()
    }
}

fn re(pattern: &str) -> Option<Pass> {
    let exact = Regex::new(pattern).ok()?;
    let plain = pattern.replace(BOUNDARY_NEG, "").replace(BOUNDARY_PRE_NEG, "");
    let prefilter = regex::Regex::new(&plain).ok();
    Some(Pass { exact, prefilter })
}

fn generic_phase_re() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"(?i)^phase\s*(\d+(?:\.\d+)?)$").expect("static regex"))
}

fn series_num_re() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"(?i)^([A-Za-z]+)\s*(\d+(?:\.\d+)?)$").expect("static regex"))
}

/// The number of a bare `Phase N` token, if `phase` is one.
fn generic_phase_number(phase: &str) -> Option<String> {
    generic_phase_re()
        .captures(py_strip(phase))
        .map(|c| c[1].to_string())
}

/// The phase spellings to try (unescaped, sorted): `'`↔`prime`, and the
/// `Phase N` ↔ `<PLAN>N` synonyms.
pub fn phase_variants(phase: &str, series: &str) -> Vec<String> {
    let mut v: BTreeSet<String> = BTreeSet::new();
    v.insert(phase.to_string());
    if phase.contains('\'') {
        v.insert(phase.replace('\'', "prime"));
    }
    if phase.contains("prime") {
        v.insert(phase.replace("prime", "'"));
    }
    if !series.is_empty() {
        if let Some(num) = generic_phase_number(phase) {
            v.insert(format!("{series}{num}"));
            v.insert(format!("{series} {num}"));
        } else if let Some(c) = series_num_re().captures(py_strip(phase)) {
            if c[1].to_uppercase() == series.to_uppercase() {
                v.insert(format!("Phase {}", &c[2]));
                v.insert(format!("Phase{}", &c[2]));
            }
        }
    }
    v.into_iter().collect()
}

fn alternation(items: &[String]) -> String {
    items
        .iter()
        .map(|s| escape(s).into_owned())
        .collect::<Vec<_>>()
        .join("|")
}

/// The plan spellings for the trailer pass: the plan, plus `<head>` of a
/// `<head>_<slug>` plan whose head has a digit.
pub fn series_variants(series: &str) -> Vec<String> {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let head = RE.get_or_init(|| regex::Regex::new(r"(?i)^([^_\s]*\d[a-z0-9]*)_").expect("static regex"));
    let mut v: BTreeSet<String> = BTreeSet::new();
    v.insert(series.to_string());
    if let Some(c) = head.captures(series) {
        v.insert(c[1].to_string());
    }
    v.into_iter().collect()
}

/// The series-qualified alternation for the release/body scans: a bare
/// `Phase N` synonym is only accepted right after the plan.
fn release_body_alternation(series: &str, phase: &str) -> String {
    let series_re = escape(series);
    let mut safe: Vec<String> = Vec::new();
    for variant in phase_variants(phase, series) {
        if !series.is_empty() && variant.to_lowercase().contains(&series.to_lowercase()) {
            safe.push(escape(&variant).into_owned());
        } else if let Some(num) = generic_phase_re().captures(&variant).map(|c| c[1].to_string()) {
            safe.push(format!(r"{series_re}\s*:?\s+Phase\s*{}", escape(&num)));
        } else {
            safe.push(escape(&variant).into_owned());
        }
    }
    safe.join("|")
}

/// The subject part of a `<sha> <subject>` line.
fn oneline_subject(line: &str) -> &str {
    let trimmed = line.trim_start_matches(is_py_space);
    match trimmed.find(is_py_space) {
        Some(i) => trimmed[i..].trim_start_matches(is_py_space),
        None => "",
    }
}

/// The compiled, per-convention matchers shared by every pass.
struct Matchers<'a> {
    conv: &'a StampConvention,
    bookkeeping: Option<Pass>,
    markers: Vec<String>,
}

impl Matchers<'_> {
    fn is_bookkeeping(&self, subject: &str) -> bool {
        self.bookkeeping
            .as_ref()
            .map(|r| r.is_match(py_strip(subject)))
            .unwrap_or(false)
    }

    /// True if the token right after the match is a progress marker.
    fn is_progress_only(&self, line: &str, match_end: usize) -> bool {
        let tail = &line[match_end..];
        match tail.chars().next() {
            Some(c) if is_py_space(c) => {}
            _ => return false,
        }
        let next = tail
            .trim_start_matches(is_py_space)
            .split(is_py_space)
            .next()
            .unwrap_or("");
        !next.is_empty() && self.markers.contains(&next.to_lowercase())
    }
}

fn normalize_slug(s: &str) -> String {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let r = RE.get_or_init(|| regex::Regex::new(r"[\s\-_]+").expect("static regex"));
    r.replace_all(&s.to_lowercase(), "_").into_owned()
}

/// Run every pass for `(series, phase)` over `log`; the first hit wins.
pub fn check_phase(series: &str, phase: &str, conv: &StampConvention, log: &LogCache) -> Option<GrepHit> {
    let m = Matchers {
        conv,
        bookkeeping: re(&conv.bookkeeping_subject_re()),
        markers: conv.progress_marker_set(),
    };
    let series_re = escape(series).into_owned();
    let variants = phase_variants(phase, series);
    let phase_alt = alternation(&variants);
    // Our fix: a phase named like its plan does not get the glued form.
    let glued = py_strip(phase).to_lowercase() != py_strip(series).to_lowercase();
    let summary_subject = conv.summary_subject_re();

    // Pass `direct`.
    let direct = re(&format!(
        r"(?i)^([a-f0-9]+)\s+{}{BOUNDARY_NEG}",
        conv.direct_ship_core(&series_re, &phase_alt, glued)
    ));
    if let Some(direct) = &direct {
        for line in &log.oneline {
            let Some(c) = direct.captures(line) else { continue };
            if m.is_bookkeeping(oneline_subject(line)) {
                continue;
            }
            let end = c.get(0).map(|g| g.end()).unwrap_or(0);
            if !m.is_progress_only(line, end) {
                let sha = c.get(1).map(|g| g.as_str()).unwrap_or("").to_string();
                return Some(GrepHit {
                    sha,
                    summary: line.clone(),
                    via: "direct",
                });
            }
        }
    }

    // Pass `trailer`.
    if let Some(core) = conv.trailer_ship_core(&alternation(&series_variants(series)), &phase_alt) {
        let trailer = re(&format!(r"(?i)^([a-f0-9]+)\s+.*{core}"));
        let summary_start = re(&format!(r"(?i)^{summary_subject}"));
        if let (Some(trailer), Some(summary_start)) = (trailer, summary_start) {
            for line in &log.oneline {
                let Some(c) = trailer.captures(line) else { continue };
                let subject = oneline_subject(line);
                if m.is_bookkeeping(subject) || summary_start.is_match(subject) {
                    continue;
                }
                let sha = c.get(1).map(|g| g.as_str()).unwrap_or("").to_string();
                return Some(GrepHit {
                    sha,
                    summary: line.clone(),
                    via: "trailer",
                });
            }
        }
    }

    // Pass `release-prefix`.
    let qualified = match generic_phase_number(phase) {
        Some(num) => {
            let num_re = escape(&num);
            format!(r"(?:{series_re}\s*{num_re}|{series_re}\s*:?\s+Phase\s*{num_re})")
        }
        None => format!("(?:{})", release_body_alternation(series, phase)),
    };
    let release = re(&format!(
        r"(?i)^([a-f0-9]+)\s+{summary_subject}.*?{BOUNDARY_PRE_NEG}{qualified}{BOUNDARY_NEG}"
    ));
    if let Some(release) = &release {
        for line in &log.oneline {
            let Some(c) = release.captures(line) else { continue };
            if m.is_bookkeeping(oneline_subject(line)) {
                continue;
            }
            let end = c.get(0).map(|g| g.end()).unwrap_or(0);
            if !m.is_progress_only(line, end) {
                let sha = c.get(1).map(|g| g.as_str()).unwrap_or("").to_string();
                return Some(GrepHit {
                    sha,
                    summary: format!("{line} (release-prefix mention)"),
                    via: "release-prefix",
                });
            }
        }
    }

    // Pass `hyg-slug` (bundle series only).
    if m.conv.bundle_slugs().contains(&series.to_uppercase()) {
        let slug = normalize_slug(phase);
        if let Some(hyg) = re(&format!(
            r"(?i)^([a-f0-9]+)\s+{}{series_re}:?\s+(.+)$",
            conv.direct_prefix_re()
        )) {
            for line in &log.oneline {
                let Some(c) = hyg.captures(line) else { continue };
                let rest = c.get(2).map(|g| g.as_str()).unwrap_or("");
                if normalize_slug(rest).contains(&slug) {
                    let sha = c.get(1).map(|g| g.as_str()).unwrap_or("").to_string();
                    return Some(GrepHit {
                        sha,
                        summary: format!("{line} (HYG slug fallback)"),
                        via: "hyg-slug",
                    });
                }
            }
        }
    }

    // Pass `sub-phase-parent`.
    if conv.sub_phase_parent_fallback {
        if let Some((parent, suffix)) = phase.split_once('-') {
            let suffix_slug = normalize_slug(suffix);
            let parent_alt = alternation(&phase_variants(parent, ""));
            let pat = re(&format!(
                r"(?i)^([a-f0-9]+)\s+{}{series_re}:?\s+(?:{parent_alt}){BOUNDARY_NEG}",
                conv.direct_prefix_re()
            ));
            if let Some(pat) = pat {
                for line in &log.oneline {
                    let Some(c) = pat.captures(line) else { continue };
                    if m.is_bookkeeping(oneline_subject(line)) {
                        continue;
                    }
                    let end = c.get(0).map(|g| g.end()).unwrap_or(0);
                    if m.is_progress_only(line, end) {
                        continue;
                    }
                    if !suffix_slug.is_empty() && normalize_slug(line).contains(&suffix_slug) {
                        let sha = c.get(1).map(|g| g.as_str()).unwrap_or("").to_string();
                        return Some(GrepHit {
                            sha,
                            summary: format!("{line} (sub-phase parent fallback: '{suffix}' in subject)"),
                            via: "sub-phase-parent",
                        });
                    }
                }
            }
        }
    }

    // Pass `body-mention` (bundle subjects of the newest 50 commits). The
    // summary gate is case-sensitive, as in the reference.
    let body = re(&format!(r"(?i){BOUNDARY_PRE_NEG}{qualified}{BOUNDARY_NEG}"));
    let gate = re(&format!(r"^{summary_subject}"));
    if let (Some(body), Some(gate)) = (body, gate) {
        for commit in &log.bodies {
            let sha = py_strip(&commit.sha);
            if sha.is_empty() {
                continue;
            }
            let mut summary = "";
            let mut in_summary = false;
            for line in &commit.lines {
                if summary.is_empty() {
                    summary = py_strip(line);
                    in_summary = gate.is_match(summary) && !m.is_bookkeeping(summary);
                    continue;
                }
                if in_summary && body.is_match(line) {
                    return Some(GrepHit {
                        sha: sha.to_string(),
                        summary: format!("{summary} (body mention)"),
                        via: "body-mention",
                    });
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(lines: &[&str]) -> LogCache {
        LogCache {
            oneline: lines.iter().map(|s| s.to_string()).collect(),
            bodies: vec![],
        }
    }

    fn via(
        series: &str,
        phase: &str,
        conv: &StampConvention,
        lines: &[&str],
    ) -> Option<(String, &'static str)> {
        check_phase(series, phase, conv, &log(lines)).map(|h| (h.sha, h.via))
    }

    #[test]
    fn direct_pass_table() {
        let g = StampConvention::generic();
        let hit = |sha: &str| Some((sha.to_string(), "direct"));
        type Case = (
            &'static str,
            &'static str,
            &'static [&'static str],
            Option<(String, &'static str)>,
        );
        let table: Vec<Case> = vec![
            (
                "AUTH",
                "AUTH1",
                &["ca03509 AUTH1: ship the login endpoint"],
                hit("ca03509"),
            ),
            ("AUTH", "1", &["ca03509 AUTH1: ship"], hit("ca03509")),
            ("auth", "auth1", &["ca03509 AUTH1: ship"], hit("ca03509")),
            (
                "AUTH",
                "AUTH2",
                &[
                    "aaaaaaa AUTH20: x",
                    "bbbbbbb AUTH2.1: x",
                    "ccccccc AUTH: AUTH2-port x",
                ],
                None,
            ),
            ("AUTH", "AUTH2", &["aaaaaaa AUTH: AUTH2) x"], hit("aaaaaaa")),
            (
                "AUTH",
                "AUTH5",
                &["09a8eb5 src/AUTH: AUTH5 wire tokens"],
                hit("09a8eb5"),
            ),
            ("AUTH", "AUTH9", &["09a8eb5 deep/notes/AUTH: AUTH9 x"], None),
            ("AUTH", "AUTH17", &["b21eff4 AUTH AUTH17 done"], hit("b21eff4")),
            ("AUTH", "AUTH17", &["24df2d4 AUTH17 audit: partial"], None),
            ("AUTH", "AUTH10", &["24df2d4 Merge AUTH10: y"], None),
            ("AUTH", "AUTH15", &["4c0b3c2 AUTH AUTH15 snapshot: x"], None),
            ("AUTH", "AUTH16", &["cd590b8 AUTH16: archive 20260101 x"], None),
            ("PSC", "Phase 6", &["014ee99 PSC6: worker pool"], hit("014ee99")),
            ("PSC", "Phase_6", &["014ee99 PSC6: worker pool"], None),
            ("MG3", "MG3'-1", &["ad57381 MG3prime-1: quote"], hit("ad57381")),
            (
                "AUTH",
                "AUTH8",
                &["2f8960d AUTH: AUTH8 second", "1111111 AUTH: AUTH8 first"],
                hit("2f8960d"),
            ),
            // Our fix: a phase named like its plan is not shipped by any `P:` subject.
            ("AUTH", "AUTH", &["0782ed7 AUTH: AUTH6 refresh"], None),
            ("AUTH", "AUTH", &["0782ed7 AUTH: AUTH done"], hit("0782ed7")),
        ];
        for (series, phase, lines, expected) in table {
            assert_eq!(
                via(series, phase, &g, lines),
                expected,
                "{series} {phase} {lines:?}"
            );
        }
    }

    #[test]
    fn job_progress_markers_and_dirs() {
        let j = StampConvention::job();
        assert_eq!(
            via("AUTH", "AUTH7", &j, &["1234567 docs/AUTH: AUTH7 audit"]),
            None
        );
        assert_eq!(
            via("AUTH", "AUTH11", &j, &["39e206d docs/AUTH: AUTH11: done"]),
            Some(("39e206d".into(), "direct"))
        );
        assert_eq!(
            via(
                "AUTH",
                "AUTH7",
                &StampConvention::generic(),
                &["1234567 docs/AUTH: AUTH7 audit"]
            )
            .map(|h| h.1),
            Some("direct")
        );
    }

    #[test]
    fn trailer_and_release_passes() {
        let mut t = StampConvention::generic();
        t.trailer_stamp = true;
        let table: Vec<(&str, &str, Option<&str>)> = vec![
            ("AUTH3", "df3cda6 feat(api): add x (AUTH AUTH3)", Some("trailer")),
            (
                "AUTH7",
                "1cad3f4 fix(x): thing (refs AUTH AUTH7)",
                Some("trailer"),
            ),
            ("AUTH8", "ca029ef fix(x): thing (AUTH: AUTH8)", Some("trailer")),
            ("AUTH9", "41f236d fix(x): thing (AUTH AUTH9) trailing", None),
            ("AUTH10", "ceec39e fix(x): (src/AUTH AUTH10)", Some("trailer")),
            (
                "AUTH11",
                "4a6919a v1.2.0: AUTH11 + AUTH12 bundle",
                Some("release-prefix"),
            ),
            ("AUTH11", "4a6919a v1.2: AUTH11 + AUTH12 bundle", None),
            ("AUTH3", "4a6919a v1.2.0: x (AUTH AUTH3)", Some("release-prefix")),
        ];
        for (phase, line, expected) in table {
            assert_eq!(via("AUTH", phase, &t, &[line]).map(|h| h.1), expected, "{line}");
        }
        assert_eq!(
            via(
                "AUTH",
                "AUTH3",
                &StampConvention::generic(),
                &["df3cda6 feat(api): add x (AUTH AUTH3)"]
            ),
            None
        );
    }

    #[test]
    fn body_mention_needs_a_bundle_subject() {
        let g = StampConvention::generic();
        let mk = |subject: &str| LogCache {
            oneline: vec![],
            bodies: vec![BodyCommit {
                sha: "33be111".into(),
                lines: vec![subject.into(), "".into(), "Includes AUTH14 and more.".into()],
            }],
        };
        let hit = check_phase("AUTH", "AUTH14", &g, &mk("v1.4.0: cut")).unwrap();
        assert_eq!(
            (hit.via, hit.summary.as_str()),
            ("body-mention", "v1.4.0: cut (body mention)")
        );
        assert_eq!(check_phase("AUTH", "AUTH14", &g, &mk("chore: cut")), None);
        assert_eq!(check_phase("AUTH", "AUTH14", &g, &mk("V1.4.0: cut")), None);
    }

    #[test]
    fn variants() {
        assert_eq!(phase_variants("Phase 6", "PSC"), vec!["PSC 6", "PSC6", "Phase 6"]);
        assert_eq!(phase_variants("PSC5", "PSC"), vec!["PSC5", "Phase 5", "Phase5"]);
        assert_eq!(
            series_variants("docs/286_shipping-x"),
            vec!["docs/286", "docs/286_shipping-x"]
        );
        assert_eq!(series_variants("my_plan"), vec!["my_plan"]);
    }
}
