"""Regenerate tests/fixtures/parity.json: random claim/evidence pairs with the
reference's difflib ratio and lexical score (run with the reference's Python,
dos-kernel 0.22.0 installed):

    python tools/gen_parity_fixture.py > tests/fixtures/parity.json
"""
import difflib
import json
import random

from dos.drivers import similarity_judge as sj

rng = random.Random(20260601)
ALPHABETS = [
    "ab ",
    "abcdefgh ",
    "abcdefghijklmnopqrstuvwxyz0123456789 .:-_",
    "aAbBßSsΣσςİi ﬁ_1",
    "日本語テスト のé\u0301 x",
]
words = "phase shipped migration applied prod staging tests pass deploy fix auth2 release tag merged main".split()
cases = []
for n in range(240):
    alpha = ALPHABETS[n % len(ALPHABETS)]
    if n % 3 == 0:
        claim = " ".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
        blob = "\n".join(" ".join(rng.choice(words + ["abc123", "feat:"]) for _ in range(rng.randint(1, 12)))
                         for _ in range(rng.randint(1, 8)))
    else:
        claim = "".join(rng.choice(alpha) for _ in range(rng.randint(0, 50)))
        blob = "".join(rng.choice(alpha) for _ in range(rng.choice([rng.randint(0, 60), rng.randint(190, 420)])))
    seq = difflib.SequenceMatcher(None, claim.casefold(), blob.casefold()).ratio() if claim and blob else 0.0
    # Numbers as repr strings: parsed exactly on the Rust side (serde_json's
    # default float parsing may be off by one ulp).
    cases.append({"claim": claim, "blob": blob, "seq": repr(seq), "score": repr(sj._lexical_similarity(claim, blob))})
print(json.dumps(cases, ensure_ascii=False, indent=0))
