//! Differential parity against the reference: 240 random claim/evidence pairs
//! (107 with evidence of 200+ code points, where difflib's autojunk applies)
//! scored by dos-kernel 0.22.0 on CPython 3.11.7 (`tools/gen_parity_fixture.py`).

use dos_judge_similarity::{casefold, difflib, lexical_similarity};

#[test]
fn every_fixture_pair_scores_exactly_as_the_reference() {
    let text = include_str!("../fixtures/parity.json");
    let cases: Vec<serde_json::Value> = serde_json::from_str(text).expect("fixture is JSON");
    assert_eq!(cases.len(), 240);
    let mut mismatches = Vec::new();
    for case in &cases {
        let claim = case["claim"].as_str().expect("claim");
        let blob = case["blob"].as_str().expect("blob");
        // Python reprs, parsed exactly (serde_json's float parsing is not).
        let num = |k: &str| -> f64 { case[k].as_str().and_then(|s| s.parse().ok()).expect(k) };
        let (seq, score) = (num("seq"), num("score"));
        let got_seq = if claim.is_empty() || blob.is_empty() {
            0.0
        } else {
            difflib::ratio(&casefold(claim), &casefold(blob))
        };
        let got = lexical_similarity(claim, blob);
        if got_seq != seq || got != score {
            mismatches.push(format!(
                "{claim:?} / {blob:?}: ratio {got_seq} want {seq}, score {got} want {score}"
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
