"""The card's scoring shortcuts against plain computations on real text: tallies of several systems sharing their
reference side, chrF counted only where the sides differ, and the language model's memo of scores."""

import difflib
import math
import random

import numpy as np
import pytest

from corpus.despin.evaluate import _CHRF, _code_points, _ranks, levenshtein, tallies, tally, token_edits
from corpus.rand import RowRandom
from corpus.spin.noise import NoiseSettings, spin
from corpus.text.tokens import tokens
from corpus.despin.lm import NgramModel, syllables


def sacrebleus(predictions, references):
    import sacrebleu

    rows = sacrebleu.metrics.CHRF()._extract_corpus_statistics(predictions, [references])
    return [sum(column) for column in zip(*rows)]


def difflib_edits(source, target):
    """token_edits the plain way: difflib's opcodes, changed ones between two equal ones merged into one edit."""
    a, b = tokens(source), tokens(target)
    edits, block = [], None
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            if block:
                edits.append((block[0], block[1], tuple(b[block[2]:block[3]])))
            block = None
        elif block is None:
            block = [i1, i2, j1, j2]
        else:
            block[1], block[3] = i2, j2
    if block:
        edits.append((block[0], block[1], tuple(b[block[2]:block[3]])))
    return edits


def test_token_edits_are_difflibs(law_paragraphs, wiki_articles):
    """The inlined longest-match recursion gives difflib's edits: law and Wikipedia paragraphs spun (and half of
    them partly put back, as a restorer would), and random texts of three tokens, where ties between equally long
    matches decide everything."""
    wiki = [p for a in wiki_articles[:10] for p in a["text"].split("\n") if len(p) > 40]
    texts = law_paragraphs[:300] + wiki[:300]
    pairs = []
    for i, clean in enumerate(texts):
        noisy = spin(clean, RowRandom(3, i), NoiseSettings())[0]
        half = noisy.split("\n")[0] + clean[len(noisy.split("\n")[0]):] if i % 2 else clean
        pairs += [(noisy, clean), (noisy, half), (clean, noisy)]
    assert sum(n != c for n, c in pairs) > 600
    rng = random.Random(4)
    pairs += [(" ".join(rng.choices("abc", k=rng.randint(0, 14))), " ".join(rng.choices("abc", k=rng.randint(0, 14))))
              for _ in range(3000)]
    for source, target in pairs:
        assert token_edits(source, target) == difflib_edits(source, target)


def test_ranks_are_numpys_unique(law_paragraphs, wiki_articles):
    """chrF's character ranks from a table of the code points present equal np.unique's, on real text and with
    a character beyond U+FFFF (np.unique then) and nothing at all."""
    texts = law_paragraphs[:200] + [a["text"] for a in wiki_articles[:10]]
    for codes in (_code_points(texts)[0], _code_points(texts + ["Hà Nội 𝕏"])[0], _code_points([])[0]):
        alphabet, inverse = np.unique(codes, return_inverse=True)
        count, ranks = _ranks(codes)
        assert count == len(alphabet) and np.array_equal(ranks, inverse)


def plain_tally(inputs, predictions, references):
    """tally() the plain way: every row measured (edits by difflib), chrF by sacrebleu."""
    gold = [set(difflib_edits(s, r)) for s, r in zip(inputs, references)]
    hyp = [set(difflib_edits(s, p)) for s, p in zip(inputs, predictions)]
    untouched = [p != s for s, p, r in zip(inputs, predictions, references) if s == r]
    return {
        "rows": len(inputs), "exact": sum(p == r for p, r in zip(predictions, references)),
        "ref_chars": sum(map(len, references)), "ref_words": sum(len(r.split()) for r in references),
        "char_errors": sum(levenshtein(p, r) for p, r in zip(predictions, references)),
        "word_errors": sum(levenshtein(p.split(), r.split()) for p, r in zip(predictions, references)),
        "input_char_errors": sum(levenshtein(s, r) for s, r in zip(inputs, references)),
        "true_edits": sum(len(g & h) for g, h in zip(gold, hyp)), "proposed_edits": sum(map(len, hyp)),
        "gold_edits": sum(map(len, gold)), "untouched": len(untouched), "harmed": sum(untouched),
        "chrf": sacrebleus(predictions, references),
    }


@pytest.fixture(scope="module")
def rows(seed_paragraphs, wiki_articles):
    """Real paragraphs as references; inputs and two systems' predictions that leave some rows alone, respace
    some (the same text to chrF), rewrite some and harm an untouched one."""
    wiki = [p for a in wiki_articles[:6] for p in a["text"].split("\n") if len(p) > 40]
    references = [p for _, p in seed_paragraphs] + wiki
    inputs = [r.replace(" của ", " thuộc về ").replace(".", " .") if i % 3 else r for i, r in enumerate(references)]
    first = [s.replace(" .", ".") for s in inputs]  # fixes the spacing only
    second = [r if i % 2 else s.replace("Nam", "nam") for i, (s, r) in enumerate(zip(inputs, references))]
    return inputs, {"first": first, "second": second, "identity": list(inputs)}, references


def test_tallies_share_the_reference_side_and_count_as_the_plain_way(rows):
    inputs, systems, references = rows
    together = tallies(inputs, systems, references)
    assert list(together) == list(systems)
    for name, predictions in systems.items():
        assert together[name] == tally(inputs, predictions, references) == plain_tally(inputs, predictions,
                                                                                      references)
    with pytest.raises(ValueError):
        tallies(inputs, {"short": systems["first"][1:]}, references)


def test_chrf_counts_only_differing_rows_yet_as_sacrebleu(rows):
    inputs, systems, references = rows
    for predictions in [*systems.values(), references, [""] * len(references)]:
        assert _CHRF._counted(predictions, references) == sacrebleus(predictions, references)
    odd = ["", "Hà", " Hà  Nội ", "Hà Nội 𝕏", "Điều 5 ."], ["", "Hà Nội", "Hà Nội", "Hà Nội", "Điều 5."]
    assert _CHRF._counted(*odd) == sacrebleus(*odd)


def test_score_memo_gives_the_plain_sum(law_paragraphs):
    model = NgramModel.train(law_paragraphs[:200])
    for _ in range(2):  # cold, then from the memo
        for text in law_paragraphs[150:260]:
            words = syllables(text)[:30]
            for start in (0, 1, 2):
                plain = sum(model.logprob(tuple(words[max(0, i - 2) : i]), words[i])
                            for i in range(start, len(words)))
                assert model.score(words, start) == plain and math.isfinite(plain)


def test_restorer_abbreviations_are_the_plain_scan(law_paragraphs):
    """The restorer runs an expansion's pattern only on texts that hold it: the same changes as running them all,
    on real paragraphs with the expansions put where the pattern's look-arounds decide (glued to a letter, before
    a combining mark)."""
    import re

    from corpus.despin.restore import Restorer
    from corpus.spin.lexicon import abbreviations

    restorer = Restorer(None)
    inverse = {v: k for k, v in abbreviations().items()}
    expansions = list(inverse)
    for i, text in enumerate(law_paragraphs[:40]):
        e = expansions[i % len(expansions)]
        for noisy in (f"{e} {text}", f"{text[:30]}{e}{text[30:]}", f"{text} {e}x", f"{e}\u0301 {text}", text):
            plain = sorted((m.start(), m.end(), a) for expansion, a in inverse.items()
                           for m in re.finditer(rf"(?<!\w){re.escape(expansion)}(?![\w\u0300-\u036f])", noisy))
            _, edits = restorer.restore(noisy, force=True)
            assert [(s, t, r) for s, t, _, _, kind, _, r in edits if kind == "abbreviation"] == plain
