//! Table-driven parity tests. Every expected number and text below was
//! printed by the reference (dos-kernel 0.22.0 on CPython 3.11.7).

use super::*;
use dos_plugin_api::Stance;
use proptest::prelude::*;

fn claim(text: &str, evidence: &[&str]) -> Claim {
    Claim {
        claim_text: text.to_string(),
        evidence: evidence.iter().map(|s| s.to_string()).collect(),
        ..Claim::default()
    }
}

fn lexical_judge(threshold: f64) -> SimilarityJudge {
    SimilarityJudge::with(threshold, None, Duration::from_secs(10))
}

fn embedding_judge(cmd: &str) -> SimilarityJudge {
    SimilarityJudge::with(DEFAULT_THRESHOLD, Some(cmd.to_string()), Duration::from_secs(10))
}

/// (claim, evidence blob, difflib ratio with autojunk, ratio without autojunk, lexical score)
fn score_table() -> Vec<(String, String, f64, f64, f64)> {
    let s = |x: &str| x.to_string();
    vec![
        (
            s("migration 0042 applied to prod"),
            s("migration 0042 applied to staging"),
            0.8253968253968254,
            0.8253968253968254,
            0.8253968253968254,
        ),
        (
            s("phase AUTH2 shipped"),
            s("abc123 feat: phase AUTH2 shipped"),
            0.7450980392156863,
            0.7450980392156863,
            1.0,
        ),
        (
            s("the login page supports OAuth"),
            s("def456 docs: fix typo in README"),
            0.23333333333333334,
            0.23333333333333334,
            0.23333333333333334,
        ),
        (
            s("AUTH2"),
            s("auth2 shipped"),
            0.5555555555555556,
            0.5555555555555556,
            1.0,
        ),
        (s("!!!"), s("!!!"), 1.0, 1.0, 1.0),
        (s("!!!"), s("abc"), 0.0, 0.0, 0.0),
        (s("Straße gebaut"), s("STRASSE GEBAUT"), 1.0, 1.0, 1.0),
        (s("ﬁle ﬁxed"), s("FILE FIXED"), 1.0, 1.0, 1.0),
        (
            s("naïve café déjà"),
            s("NAÏVE CAFÉ DÉJÀ vu"),
            0.9090909090909091,
            0.9090909090909091,
            1.0,
        ),
        (s("Σίσυφος ΟΔΟΣ"), s("σίσυφοσ οδοσ"), 1.0, 1.0, 1.0),
        (
            s("fix: tests pass ✅"),
            s("✅ all tests pass on CI"),
            0.6153846153846154,
            0.6153846153846154,
            0.6666666666666666,
        ),
        (
            format!("{} deploy", "x".repeat(10)),
            format!(
                "{} deploy {} {}",
                "a".repeat(150),
                "b".repeat(150),
                "x".repeat(10)
            ),
            0.041666666666666664,
            0.05952380952380952,
            1.0,
        ),
        (
            s("release v1.2.3 tagged"),
            format!(
                "git tag v1.2.3\n{}",
                "commit 0123456789abcdef release notes updated for the big launch; ".repeat(5)
            ),
            0.03825136612021858,
            0.07103825136612021,
            0.8,
        ),
        (
            s("the quick brown fox jumps over the lazy dog and keeps running far away"),
            format!(
                "{}quick jumps happen",
                "the lazy dog sleeps while a brown fox runs; ".repeat(6)
            ),
            0.09090909090909091,
            0.26704545454545453,
            0.5384615384615384,
        ),
        (s("abc"), s(""), 0.0, 0.0, 0.0),
        (s("हिन्दी परीक्षण"), s("हिन्दी परीक्षण सफल"), 0.875, 0.875, 1.0),
        (
            s("under_score word2vec"),
            s("UNDER_SCORE and WORD2VEC"),
            0.9090909090909091,
            0.9090909090909091,
            1.0,
        ),
        (
            s("tab\tsep"),
            s("tab sep"),
            0.8571428571428571,
            0.8571428571428571,
            1.0,
        ),
        (
            s("日本語のテスト"),
            s("日本語 テスト 完了"),
            0.7058823529411765,
            0.7058823529411765,
            0.7058823529411765,
        ),
    ]
}

#[test]
fn difflib_ratio_and_lexical_score_match_the_reference_exactly() {
    for (c, b, seq, _no_autojunk, score) in score_table() {
        let got_seq = if c.is_empty() || b.is_empty() {
            0.0
        } else {
            difflib::ratio(&casefold(&c), &casefold(&b))
        };
        assert_eq!(got_seq, seq, "ratio {c:?} vs {b:?}");
        assert_eq!(lexical_similarity(&c, &b), score, "score {c:?} vs {b:?}");
    }
}

#[test]
fn autojunk_is_what_makes_the_long_cases_match() {
    // Where the reference's ratio differs from the no-autojunk ratio, the
    // popular-element heuristic is load-bearing, and we reproduce it.
    let long: Vec<_> = score_table().into_iter().filter(|r| r.2 != r.3).collect();
    assert_eq!(long.len(), 3);
    for (c, b, seq, _, _) in long {
        assert!(b.chars().count() >= 200);
        assert_eq!(difflib::ratio(&casefold(&c), &casefold(&b)), seq);
    }
}

#[test]
fn identical_long_strings_of_one_popular_char_still_match() {
    // Every element is popular, so the scan finds nothing; the extension from
    // the empty match at (0, 0) recovers the whole string, as in CPython.
    let s = "a".repeat(250);
    assert_eq!(difflib::ratio(&s, &s), 1.0);
    assert_eq!(difflib::ratio(" abcd", "abcd abcd"), 0.7142857142857143);
}

#[test]
fn tokens_follow_python_word_rules() {
    let sorted = |s: &str| {
        let mut v: Vec<String> = tokens(s).into_iter().collect();
        v.sort();
        v
    };
    assert_eq!(
        sorted("release v1.2.3 tagged"),
        ["2", "3", "release", "tagged", "v1"]
    );
    // Devanagari vowel signs are marks, not `\w`, so they split words.
    assert_eq!(sorted("हिन्दी परीक्षण"), ["क", "द", "न", "पर", "षण", "ह"]);
    assert_eq!(sorted("日本語のテスト"), ["日本語のテスト"]);
    assert_eq!(sorted("Ⓐ ² ½ x_y"), ["x_y", "²", "½"]);
    assert!(tokens("!!! ...").is_empty());
}

#[test]
fn casefold_is_full_folding() {
    assert_eq!(casefold("Straße"), "strasse");
    assert_eq!(casefold("ﬁle"), "file");
    assert_eq!(casefold("ΟΔΟΣ ς"), "οδοσ σ");
    assert_eq!(casefold("İ"), "i\u{307}");
    assert_eq!(casefold("ᏸ"), "Ᏸ");
}

/// (claim, evidence, threshold, stance, why, evidence out) — a reference verdict.
type VerdictRow<'a> = (&'a str, Vec<&'a str>, f64, Stance, String, Vec<String>);

/// Verbatim reference verdicts.
#[test]
fn lexical_verdicts_match_the_reference() {
    let agree = |d: &str| {
        format!("claim is witnessed by the evidence ({d}) — near-verbatim match to un-authored bytes the agent did not write.")
    };
    let disagree = |d: &str| {
        format!("claim is NOT supported by the evidence ({d}) — the gathered un-authored bytes do not match the assertion.")
    };
    let table: Vec<VerdictRow> = vec![
        (
            "phase AUTH2 shipped",
            vec!["abc123 feat: phase AUTH2 shipped"],
            0.82,
            Stance::Agree,
            agree("lexical similarity 1.000 vs threshold 0.82"),
            vec!["similarity: lexical similarity 1.000 vs threshold 0.82".into()],
        ),
        (
            "the login page supports OAuth",
            vec!["def456 docs: fix typo in README"],
            0.82,
            Stance::Disagree,
            disagree("lexical similarity 0.233 vs threshold 0.82"),
            vec!["similarity: lexical similarity 0.233 vs threshold 0.82".into()],
        ),
        (
            "tests pass",
            vec![],
            0.82,
            Stance::Abstain,
            NO_EVIDENCE_WHY.into(),
            vec![],
        ),
        (
            "migration 0042 applied to prod",
            vec!["migration 0042 applied to staging"],
            0.82,
            Stance::Agree,
            agree("lexical similarity 0.825 vs threshold 0.82"),
            vec!["similarity: lexical similarity 0.825 vs threshold 0.82".into()],
        ),
        (
            "   ",
            vec!["x"],
            0.82,
            Stance::Abstain,
            EMPTY_CLAIM_WHY.into(),
            vec![],
        ),
        (
            "\u{1c} \u{85}",
            vec!["x"],
            0.82,
            Stance::Abstain,
            EMPTY_CLAIM_WHY.into(),
            vec![],
        ),
        (
            "abc",
            vec![""],
            0.82,
            Stance::Disagree,
            disagree("lexical similarity 0.000 vs threshold 0.82"),
            vec!["similarity: lexical similarity 0.000 vs threshold 0.82".into()],
        ),
        (
            "migration 0042 applied to prod",
            vec!["migration 0042 applied to staging"],
            0.9,
            Stance::Disagree,
            disagree("lexical similarity 0.825 vs threshold 0.90"),
            vec!["similarity: lexical similarity 0.825 vs threshold 0.90".into()],
        ),
        (
            "migration 0042 applied to prod",
            vec!["migration 0042 applied to staging"],
            0.0,
            Stance::Agree,
            agree("lexical similarity 0.825 vs threshold 0.00"),
            vec!["similarity: lexical similarity 0.825 vs threshold 0.00".into()],
        ),
        (
            "migration 0042 applied to prod",
            vec!["migration 0042 applied to staging"],
            1.0,
            Stance::Disagree,
            disagree("lexical similarity 0.825 vs threshold 1.00"),
            vec!["similarity: lexical similarity 0.825 vs threshold 1.00".into()],
        ),
    ];
    for (text, evidence, threshold, stance, why, ev) in table {
        let v = lexical_judge(threshold).rule(&claim(text, &evidence)).unwrap();
        assert_eq!(v.stance, stance, "{text:?}");
        assert_eq!(v.why, why, "{text:?}");
        assert_eq!(v.evidence, ev, "{text:?}");
        assert_eq!(v.cost, 0.0);
    }
}

#[test]
fn a_score_equal_to_the_threshold_agrees() {
    let score = lexical_similarity(
        "migration 0042 applied to prod",
        "migration 0042 applied to staging",
    );
    let v = verdict_for_score(score, Scorer::Lexical, score);
    assert_eq!(v.stance, Stance::Agree);
}

#[test]
fn threshold_parsing_matches_the_reference() {
    let table: &[(Option<&str>, f64)] = &[
        (None, 0.82),
        (Some(""), 0.82),
        (Some(" 0.9 "), 0.9),
        (Some("1e-1"), 0.1),
        (Some("garbage"), 0.82),
        (Some("-3"), 0.0),
        (Some("7"), 1.0),
        (Some("nan"), 1.0),
        (Some("inf"), 1.0),
        (Some("-inf"), 0.0),
    ];
    for (raw, want) in table {
        assert_eq!(threshold_from(*raw), *want, "{raw:?}");
    }
}

#[test]
fn config_threshold_wins_and_is_clamped() {
    let cfg = |v: serde_json::Value| {
        let mut m = serde_json::Map::new();
        m.insert("threshold".into(), v);
        DriverConfig(m)
    };
    let judge = |v: serde_json::Value| SimilarityJudge::new(&cfg(v)).expect("valid configuration");
    assert_eq!(judge(0.5.into()).threshold(), 0.5);
    assert_eq!(judge("0.7".into()).threshold(), 0.7);
    assert_eq!(judge(3.into()).threshold(), 1.0);
    assert_eq!(judge((-1).into()).threshold(), 0.0);
    for (bad, want) in [
        (
            serde_json::json!("high"),
            "threshold: expected a number, found string \"high\"",
        ),
        (
            serde_json::json!([0.5]),
            "threshold: expected a number, found array",
        ),
    ] {
        let err = SimilarityJudge::new(&cfg(bad)).map(|_| ()).unwrap_err();
        assert_eq!(err.0, want);
    }
}

#[test]
fn python_fixed_formatting() {
    assert_eq!(py_fixed(0.0625, 3), "0.062");
    assert_eq!(py_fixed(0.0005, 3), "0.001");
    assert_eq!(py_fixed(0.8253968253968254, 3), "0.825");
    assert_eq!(py_fixed(f64::NAN, 3), "nan");
    assert_eq!(py_fixed(f64::INFINITY, 3), "inf");
    assert_eq!(py_fixed(0.82, 2), "0.82");
}

#[test]
fn embedding_outputs_match_the_reference() {
    let agree = |d: &str| {
        format!("claim is witnessed by the evidence ({d}) — near-verbatim match to un-authored bytes the agent did not write.")
    };
    let disagree = |d: &str| {
        format!("claim is NOT supported by the evidence ({d}) — the gathered un-authored bytes do not match the assertion.")
    };
    let table: &[(&str, &str, &str, Stance, String)] = &[
        (
            "x",
            "y",
            "echo '0.9 extra'",
            Stance::Agree,
            agree("embedding similarity 0.900 vs threshold 0.82"),
        ),
        (
            "x",
            "y",
            "echo -0.5",
            Stance::Disagree,
            disagree("embedding similarity 0.000 vs threshold 0.82"),
        ),
        (
            "x",
            "x",
            "echo abc",
            Stance::Agree,
            agree("lexical similarity 1.000 vs threshold 0.82"),
        ),
        (
            "x",
            "y",
            "echo 1.7",
            Stance::Agree,
            agree("embedding similarity 1.000 vs threshold 0.82"),
        ),
        (
            "x",
            "y",
            "exit 1",
            Stance::Disagree,
            disagree("lexical similarity 0.000 vs threshold 0.82"),
        ),
        (
            "x",
            "y",
            "true",
            Stance::Disagree,
            disagree("lexical similarity 0.000 vs threshold 0.82"),
        ),
    ];
    for (text, ev, cmd, stance, why) in table {
        let v = embedding_judge(cmd).rule(&claim(text, &[ev])).unwrap();
        assert_eq!((v.stance, &v.why), (*stance, why), "{cmd}");
    }
}

#[test]
fn a_non_finite_embedding_score_abstains_never_agrees() {
    // The reference clamps `nan` to 1.0 and AGREEs; we abstain.
    for (cmd, shown) in [("echo nan", "nan"), ("echo inf", "inf"), ("echo -inf", "-inf")] {
        let v = embedding_judge(cmd).rule(&claim("x", &["y"])).unwrap();
        assert_eq!(v.stance, Stance::Abstain, "{cmd}");
        let detail = format!("embedding similarity {shown} vs threshold 0.82");
        assert_eq!(
            v.why,
            format!("the similarity score is not a finite number ({detail}) — abstaining (a score that is not a number never clears a claim); routing this claim to a human.")
        );
        assert_eq!(v.evidence, vec![format!("similarity: {detail}")]);
    }
}

#[test]
fn the_embedding_command_reads_claim_nul_evidence() {
    let dir = std::env::temp_dir().join(format!("dos-sim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let capture = dir.join("stdin");
    let cmd = format!("cat > '{}'; echo 0.5", capture.display());
    let v = embedding_judge(&cmd)
        .rule(&claim("  a b \n", &["c", "a"]))
        .unwrap();
    assert_eq!(v.stance, Stance::Disagree);
    assert_eq!(std::fs::read(&capture).unwrap(), b"a b\0c\na");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn embedding_timeout_falls_back_to_lexical() {
    let mut j = SimilarityJudge::with(
        DEFAULT_THRESHOLD,
        Some("sleep 5; echo 0.99".into()),
        Duration::from_millis(200),
    );
    let v = j.rule(&claim("x", &["y"])).unwrap();
    assert_eq!(
        v.evidence,
        vec!["similarity: lexical similarity 0.000 vs threshold 0.82".to_string()]
    );
}

#[test]
fn word_table_spot_checks() {
    for c in ['a', 'Z', '0', '_', 'é', 'ß', '日', '²', '½', 'Ⅻ', 'ǅ', 'ʰ'] {
        assert!(is_word_char(c), "{c:?}");
    }
    for c in [
        ' ', '-', '!', '\u{301}', '\u{93f}', 'Ⓐ', '✅', '\u{a0}', '\u{200b}',
    ] {
        assert!(!is_word_char(c), "{c:?}");
    }
}

proptest! {
    #[test]
    fn lexical_score_is_a_fraction(c in "\\PC{0,30}", b in "\\PC{0,250}") {
        let s = lexical_similarity(&c, &b);
        prop_assert!((0.0..=1.0).contains(&s));
    }

    #[test]
    fn a_claim_scores_one_against_itself(c in "[a-zA-Z0-9 ._-]{1,120}") {
        prop_assert_eq!(lexical_similarity(&c, &c), 1.0);
    }
}

#[test]
fn judge_eval_golden_grid() {
    // The spec's cases.jsonl under `dos judge-eval --judge similarity`:
    // AGREE=2 DISAGREE=1 ABSTAIN=4.
    let cases: &[(&str, &[&str])] = &[
        ("phase AUTH2 shipped", &["abc123 feat: phase AUTH2 shipped"]),
        (
            "the login page supports OAuth",
            &["def456 docs: fix typo in README"],
        ),
        ("tests pass", &[]),
        (
            "migration 0042 applied to prod",
            &["migration 0042 applied to staging"],
        ),
        ("accept-recommended", &[]),
        ("escalate", &[]),
        ("defer", &[]),
    ];
    let mut judge = lexical_judge(DEFAULT_THRESHOLD);
    let stances: Vec<Stance> = cases
        .iter()
        .map(|(t, e)| judge.rule(&claim(t, e)).unwrap().stance)
        .collect();
    assert_eq!(
        stances,
        [
            Stance::Agree,
            Stance::Disagree,
            Stance::Abstain,
            Stance::Agree,
            Stance::Abstain,
            Stance::Abstain,
            Stance::Abstain
        ]
    );
}
