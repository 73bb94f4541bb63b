"""The detector's batch shortcuts against the plain computations on real text (legal and Wikipedia paragraphs, and
the same spun): tokens found once per distinct whitespace chunk, the surface evidence's prefilters, and the labels'
evidence picked for all rows at once."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest

from corpus.despin import detect
from corpus.despin.detector import DOMAIN, FEATURES, SURFACE, Detector, Scored, _REGRESSED, features
from corpus.despin.ngrams import _TOKEN, NgramTables, found_tokens
from corpus.spin.lexicon import default_lexicon
from corpus.spin.noise import spin
from corpus.text.normalize import normalize
from corpus.text.segment import BOILERPLATE, BODY, paragraph_kind, segment, unglue

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"


@pytest.fixture(scope="module")
def texts() -> list[str]:
    files = sorted((CORPORA / "vi-legal").glob("*.txt"))[:2]
    wiki = CORPORA / "viwiki-politics.jsonl"
    if not files or not wiki.is_file():
        pytest.skip(f"{CORPORA} not present")
    legal = [p for f in files for kind, p in segment(normalize(f.read_text(encoding="utf-8"))) if kind == BODY]
    with wiki.open(encoding="utf-8") as f:
        articles = [json.loads(line)["text"] for _, line in zip(range(40), f)]
    plain = legal[:600] + [p for a in articles for kind, p in segment(normalize(a)) if kind == BODY][:600]
    lexicon = default_lexicon()
    spun = [spin(t, random.Random(i), lexicon=lexicon)[0] for i, t in enumerate(plain[::3])]
    odd = ["", "  ", "Σ ΑΣ. x\u00a0y\u2003z\tw", "Điều 12.\nKhoản 3,5 và 1.000 ; “ trích ” 45 - QĐ / UBND", "a_b ²³ ½"]
    return plain + spun + odd


def test_found_tokens_are_the_regex_over_each_lower_cased_text(texts):
    distinct, codes, lengths = found_tokens(texts)
    plain = [_TOKEN.findall(t.lower()) for t in texts]
    assert lengths.tolist() == [len(p) for p in plain]
    assert [distinct[c] for c in codes] == [w for p in plain for w in p]
    assert len(set(distinct)) == len(distinct)


def test_surface_evidence_is_every_regex_run_on_every_text(texts):
    def plain(paragraph: str) -> dict[str, int]:
        evidence = {name: len(p.findall(paragraph)) for name, p in detect._ARTIFACTS.items()}
        evidence["glued_paragraphs"] = len(unglue(paragraph)) - 1
        expansions = detect._alternation(list(detect.abbreviations().values()), 0)
        evidence["spun_phrase"] = len(detect._phrases().findall(paragraph)) + len(expansions.findall(paragraph))
        return evidence

    found = [detect.surface_evidence(t) for t in texts]
    assert found == [plain(t) for t in texts]
    assert all(sum(e[k] for e in found) for k in ("space_before_punct", "spaced_quotes", "spun_phrase"))


def test_labels_pick_the_evidence_of_each_row_as_a_loop_does(texts):
    tables = NgramTables.train(texts[:900])
    rng = np.random.default_rng(7)
    regressed = int(_REGRESSED.sum())
    settings = {"weights": rng.normal(0, 1, regressed + 1).tolist(), "mean": np.zeros(regressed).tolist(),
                "scale": np.ones(regressed).tolist(), "low": np.full(regressed, -5.0).tolist(),
                "high": np.full(regressed, 5.0).tolist(), "threshold": 0.5, "tone_marks": "old",
                "domain": {"max_unknown_share": 0.2, "min_mean_unigram_logprob": -9.0}}
    found = Detector(tables, settings, default_lexicon())
    sample = texts[900:] + ["QUỐC HỘI"]

    body = [i for i, t in enumerate(sample) if paragraph_kind(t) == BODY]
    expected = [Scored(BOILERPLATE, 0.0)] * len(sample)
    x = features(tables, [sample[i] for i in body], found.outputs)
    standard = found.standard(x)
    scores = 1 / (1 + np.exp(-np.clip(np.c_[np.ones(len(x)), standard] @ found.weights, -30, 30)))
    push = standard * found.weights[1:]
    names = [f for f in FEATURES if f not in DOMAIN]
    for row, i in enumerate(body):
        top = np.argsort(-push[row])[:3]
        evidence = {names[k]: round(float(x[row, FEATURES.index(names[k])]), 3) for k in top
                    if push[row, k] > 0.05 and x[row, FEATURES.index(names[k])] != 0}
        if found.out_of_domain(x)[row]:
            evidence["out_of_domain"] = 1
        score = round(float(scores[row]), 4)
        known = int(x[row, [FEATURES.index(f) for f in (*SURFACE, "lexicon_outputs")]].sum())
        expected[i] = Scored("spun" if score >= 0.5 else "clean", score, evidence, known)
    labelled = found.label(sample)
    assert labelled == expected
    assert {s.label for s in labelled} >= {"spun", "clean", BOILERPLATE} and any(s.evidence for s in labelled)
    assert any(s.known for s in labelled) and any(re.search(r"\d", str(s.evidence)) for s in labelled)


def test_language_model_score_is_the_sum_of_each_words_logprob_asked_twice(texts):
    from corpus.despin.lm import NgramModel, syllables

    model = NgramModel.train(texts[:900])
    windows = [syllables(t)[k : k + 7] for t in texts[900:1100] for k in (0, 3)]
    windows = [w for w in windows if w]
    for _ in range(2):  # the second round is answered from the memo of whole windows
        for w in windows:
            for start in (0, 2):
                plain = sum(model.logprob(tuple(w[max(0, i - 2) : i]), w[i]) for i in range(start, len(w)))
                assert model.score(w, start) == plain
    assert any((tuple(w), 2) in model._scored for w in windows)
