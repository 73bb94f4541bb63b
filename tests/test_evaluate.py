"""The de-spinning and detector metrics, on the seed page's real spun/clean paragraphs and hand-checked strings."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from corpus.despin.evaluate import (add_tallies, detector_scores, format_table, levenshtein, score, scores, tally,
                             token_edits)
from corpus.text.tokens import tokens as tokenize

RESTORED = Path(__file__).resolve().parents[1] / "seeds" / "000_10ed56cc2b936aaa.restored.jsonl"


@pytest.fixture(scope="module")
def pairs() -> list[tuple[str, str]]:
    """(spun input, clean reference) for the 7 spun paragraphs of the seed page, restored by hand."""
    rows = [json.loads(line) for line in RESTORED.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) == 7 and all(r["noisy"] != r["clean"] for r in rows)
    return [(r["noisy"], r["clean"]) for r in rows]


def _naive_levenshtein(a, b) -> int:
    """The textbook full-table DP, to check the bit-parallel version against."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


# --- edit distance, CER, WER -------------------------------------------------------------------------


def test_levenshtein_agrees_with_the_textbook_dp(pairs):
    rng = random.Random(7)
    text = " ".join(noisy + " " + clean for noisy, clean in pairs)
    for _ in range(400):
        i, j = rng.randrange(len(text)), rng.randrange(len(text))
        a = text[i:i + rng.randint(0, 60)]
        b = text[j:j + rng.randint(0, 60)]
        assert levenshtein(a, b) == _naive_levenshtein(a, b), (a, b)
        assert levenshtein(a.split(), b.split()) == _naive_levenshtein(a.split(), b.split()), (a, b)
    for noisy, clean in pairs[:3]:  # whole paragraphs: bit vectors far wider than a machine word
        assert levenshtein(noisy, clean) == _naive_levenshtein(noisy, clean)


def test_levenshtein_hand_checked():
    assert levenshtein("những", "các") == 5  # no letter in common: 3 substitutions + 2 deletions
    assert levenshtein("các", "những") == 5
    assert levenshtein("", "hiệu quả") == 8
    assert levenshtein("hiệu quả", "hiệu quả") == 0
    assert levenshtein("tỉnh .", "tỉnh.") == 1
    assert levenshtein("hiệu quả".split(), "hiệu suất cao".split()) == 2  # 1 substitution + 1 insertion


def test_cer_and_wer_on_hand_checked_rows():
    # NFC, one code point per letter, so the counts below are the ones a reader sees.
    assert (len("những"), len("các"), len("các cơ quan"), len("hiệu quả.")) == (5, 3, 11, 9)
    one = score(["những cơ quan"], ["những cơ quan"], ["các cơ quan"])
    assert one["cer"] == round(5 / 11, 4)  # "những" -> "các": 3 substitutions + 2 deletions
    assert one["wer"] == round(1 / 3, 4)  # one word of three substituted
    two = score(["hiệu quả ."], ["hiệu quả ."], ["hiệu quả."])
    assert two["cer"] == round(1 / 9, 4)  # one space too many
    # split on whitespace: "quả" -> "quả." and "." deleted, 2 errors over 2 reference words
    assert two["wer"] == 1.0


def test_cer_and_wer_are_corpus_level_not_row_means():
    both = score(["những cơ quan", "hiệu quả ."], ["những cơ quan", "hiệu quả ."], ["các cơ quan", "hiệu quả."])
    assert both["cer"] == round((5 + 1) / (11 + 9), 4) == 0.3  # the row mean would be 0.2828
    assert both["wer"] == round((1 + 2) / (3 + 2), 4) == 0.6  # the row mean would be 0.6667


# --- edits --------------------------------------------------------------------------------------------


def test_tokenize_splits_syllables_and_punctuation_and_keeps_case():
    assert tokenize("Đối với Quốc hội : Tập trung lãnh đạo, chỉ huy.") == [
        "Đối", "với", "Quốc", "hội", ":", "Tập", "trung", "lãnh", "đạo", ",", "chỉ", "huy", "."]
    assert tokenize("15 – NQ / TW") == ["15", "–", "NQ", "/", "TW"]


def test_a_phrase_swap_is_one_merged_edit():
    source = "nâng cao hiệu suất cao công tác"
    assert token_edits(source, "nâng cao hiệu quả công tác") == [(3, 5, ("quả",))]
    # "Ủy Ban Nhân Dân" -> "UBND" and "quản trị" -> "Chủ tịch" (case differs too): one edit each
    assert token_edits("quản trị Ủy Ban Nhân Dân tỉnh", "Chủ tịch UBND tỉnh") == [(0, 6, ("Chủ", "tịch", "UBND"))]
    assert token_edits("Phó Bí thư, quản trị Ủy Ban Nhân Dân tỉnh", "Phó Bí thư, Chủ tịch UBND tỉnh") == [
        (4, 10, ("Chủ", "tịch", "UBND"))]
    assert token_edits(source, source) == []


def test_a_half_done_phrase_fix_earns_no_credit():
    """Edits must match the gold edit exactly: "suất cao" -> "quả cao" is not "suất cao" -> "quả"."""
    source, reference = "nâng cao hiệu suất cao công tác", "nâng cao hiệu quả công tác"
    half = score([source], ["nâng cao hiệu quả cao công tác"], [reference])
    assert (half["edit_precision"], half["edit_recall"], half["edit_f05"]) == (0.0, 0.0, 0.0)
    assert 0 < half["error_reduction"] < 1  # while CER still sees the improvement
    full = score([source], [reference], [reference])
    assert (full["edit_precision"], full["edit_recall"]) == (1.0, 1.0)


def test_spacing_only_changes_are_seen_by_cer_but_not_by_edits(pairs):
    noisy, clean = pairs[0]  # ends "Trường Chính trị tỉnh ." where the reference has "tỉnh."
    assert noisy.endswith(" tỉnh .") and clean.endswith(" tỉnh.")
    fixed = noisy[:-2] + "."
    result = score([noisy], [fixed], [clean])
    assert result["cer"] == round((levenshtein(noisy, clean) - 1) / len(clean), 4) < result["input_cer"]
    assert token_edits(noisy, fixed) == []
    assert result["edit_precision"] == 1.0 and result["edit_recall"] == 0.0


# --- score() on the seed paragraphs --------------------------------------------------------------------


def test_identity_predictions_score_as_the_baseline(pairs):
    inputs, references = [n for n, _ in pairs], [c for _, c in pairs]
    result = score(inputs, inputs, references)
    assert result["rows"] == result["spun_rows"] == 7 and result["untouched_rows"] == 0
    assert result["exact_match"] == 0.0
    assert result["cer"] == result["input_cer"] > 0.1
    assert result["error_reduction"] == 0.0
    assert result["edit_recall"] == 0.0 and result["edit_f05"] == 0.0
    assert result["edit_precision"] == 1.0  # proposing nothing is never wrong
    assert 0 < result["chrf"] < 100


def test_oracle_predictions_score_perfectly(pairs):
    inputs, references = [n for n, _ in pairs], [c for _, c in pairs]
    result = score(inputs, references, references)
    assert result["exact_match"] == 1.0
    assert result["cer"] == 0.0 and result["wer"] == 0.0
    assert result["error_reduction"] == 1.0
    assert result["edit_precision"] == result["edit_recall"] == result["edit_f05"] == 1.0
    assert result["chrf"] == 100.0
    assert result["input_cer"] > 0.1


def test_partial_correction_is_precise_but_incomplete(pairs):
    """Fix only "hiệu suất cao" -> "hiệu quả": every edit made is right, most are still missing."""
    inputs, references = [n for n, _ in pairs], [c for _, c in pairs]
    fixed = [n.replace("hiệu suất cao", "hiệu quả") for n in inputs]
    made = sum(n.count("hiệu suất cao") for n in inputs)
    assert made >= 4 and all("hiệu suất cao" not in c for c in references)
    gold = sum(len(token_edits(n, c)) for n, c in pairs)
    result = score(inputs, fixed, references)
    assert result["edit_precision"] == 1.0
    assert result["edit_recall"] == round(made / gold, 4)
    assert 0 < result["edit_recall"] < 1
    assert 0 < result["error_reduction"] < 1
    assert result["cer"] < result["input_cer"]
    assert result["exact_match"] == 0.0

    # plus one wrong "synonym" where the text was already right: precision falls, recall stays
    row = next(i for i, n in enumerate(inputs) if "phản biện xã hội" in n)
    assert "phản biện xã hội" in references[row]
    wrong = list(fixed)
    wrong[row] = wrong[row].replace("phản biện xã hội", "phản biện cộng đồng")
    worse = score(inputs, wrong, references)
    assert worse["edit_precision"] == round(made / (made + 1), 4) < 1.0
    assert worse["edit_recall"] == result["edit_recall"]
    assert worse["edit_f05"] < result["edit_f05"]
    assert worse["error_reduction"] < result["error_reduction"]


def test_harm_counts_changed_untouched_rows_only(pairs):
    spun, spun_clean = pairs[4]
    untouched_a, untouched_b = pairs[0][1], pairs[3][1]  # clean paragraphs: input == reference
    inputs = [untouched_a, untouched_b, spun]
    references = [untouched_a, untouched_b, spun_clean]
    overeager = untouched_a.replace("lầu 8", "tầng 8")  # a "fix" of text that was never spun
    assert overeager != untouched_a

    result = score(inputs, [overeager, untouched_b, spun_clean], references)
    assert (result["untouched_rows"], result["spun_rows"]) == (2, 1)
    assert result["harm"] == 0.5
    assert result["exact_match"] == round(2 / 3, 4)

    careful = score(inputs, [untouched_a, untouched_b, spun], references)
    assert careful["harm"] == 0.0  # the spun row left unfixed is a miss, not harm

    assert score([spun], [spun_clean], [spun_clean])["harm"] == 0.0  # no untouched rows at all


def test_score_rejects_mismatched_lengths(pairs):
    noisy, clean = pairs[0]
    with pytest.raises(ValueError):
        score([noisy, noisy], [noisy], [clean, clean])
    with pytest.raises(ValueError):
        score([], [], [])


# --- detector ------------------------------------------------------------------------------------------


def test_chunk_tallies_add_up_to_the_whole_and_chrf_is_sacrebleus(pairs):
    """A build scores its test sample in chunks on its workers: the sum of the chunks must score as the whole."""
    import sacrebleu

    inputs = [n for n, _ in pairs] + [c for _, c in pairs]  # the 7 spun rows, then 7 untouched ones
    references = [c for _, c in pairs] * 2
    predictions = [n.replace(" .", ".") for n in inputs]  # fixes some spacing, harms nothing else
    predictions[-1] = predictions[-1].replace("Đảng", "đảng")  # one untouched row harmed
    whole = score(inputs, predictions, references)
    for size in (1, 3, 5):
        chunks = [tally(inputs[i : i + size], predictions[i : i + size], references[i : i + size])
                  for i in range(0, len(inputs), size)]
        assert scores(add_tallies(chunks)) == whole
    assert whole["chrf"] == round(sacrebleu.metrics.CHRF().corpus_score(predictions, [references]).score, 4)
    assert whole["untouched_rows"] == 7 and whole["harm"] == round(1 / 7, 4) and 0 < whole["chrf"] < 100


def test_roc_auc_perfect_reversed_and_tied():
    labels = [1, 1, 1, 0, 0, 0]
    assert detector_scores(labels, [0.9, 0.8, 0.7, 0.3, 0.2, 0.1], 0.5)["roc_auc"] == 1.0
    assert detector_scores(labels, [0.1, 0.2, 0.3, 0.7, 0.8, 0.9], 0.5)["roc_auc"] == 0.0
    assert detector_scores(labels, [0.4] * 6, 0.5)["roc_auc"] == 0.5
    # one tied positive/negative pair counts half: (1 + 1 + 1 + 0.5) / 4
    assert detector_scores([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1], 0.5)["roc_auc"] == 0.875


def test_roc_auc_is_none_with_one_class():
    assert detector_scores([1, 1], [0.2, 0.9], 0.5)["roc_auc"] is None
    assert detector_scores([0, 0], [0.2, 0.9], 0.5)["roc_auc"] is None


def test_detector_threshold_metrics_hand_checked():
    labels = [1, 1, 1, 0, 0, 0]
    scores = [0.9, 0.8, 0.3, 0.6, 0.2, 0.1]
    result = detector_scores(labels, scores, 0.5)
    # flagged: 0.9, 0.8 (spun) and 0.6 (clean) -> TP 2, FP 1, FN 1, TN 2
    assert result == {"rows": 6, "positives": 3, "roc_auc": round(8 / 9, 4), "precision": round(2 / 3, 4),
                      "recall": round(2 / 3, 4), "f1": round(2 / 3, 4), "threshold": 0.5,
                      "accuracy": round(4 / 6, 4)}
    at_boundary = detector_scores(labels, scores, 0.3)  # score >= threshold is flagged
    assert (at_boundary["precision"], at_boundary["recall"]) == (0.75, 1.0)
    nothing = detector_scores(labels, scores, 0.95)
    assert (nothing["precision"], nothing["recall"], nothing["f1"]) == (0.0, 0.0, 0.0)


def test_detector_rejects_bad_input():
    with pytest.raises(ValueError):
        detector_scores([1, 0], [0.5], 0.5)
    with pytest.raises(ValueError):
        detector_scores([1, 2], [0.5, 0.1], 0.5)


# --- table ---------------------------------------------------------------------------------------------


def test_format_table_aligns_names_and_columns():
    results = {
        "identity": {"cer": 0.2394, "edit_f05": 0.0, "rows": 7},
        "lexicon-reverse": {"cer": 0.12, "edit_f05": 0.61, "rows": 7, "roc_auc": None},
    }
    table = format_table(results, ["rows", "cer", "edit_f05", "roc_auc"])
    lines = table.splitlines()
    assert len(lines) == 4
    assert lines[0].split() == ["name", "rows", "cer", "edit_f05", "roc_auc"]
    assert lines[2].split() == ["identity", "7", "0.2394", "0.0000", "-"]
    assert lines[3].split() == ["lexicon-reverse", "7", "0.1200", "0.6100", "-"]
    assert len({len(line) for line in lines}) == 1  # right-aligned columns end at the same place
    # numbers end where their header ends
    assert lines[2].index("0.2394") + len("0.2394") == lines[0].index("cer") + len("cer")
    assert lines[3].index("0.6100") + len("0.6100") == lines[0].index("edit_f05") + len("edit_f05")


def test_chrf_statistics_are_sacrebleus_to_the_count(pairs, wiki_articles):
    """The numpy counting gives sacrebleu's own statistics, row sums, on real text and on the edge cases that
    bend its rules: an empty side (no reference n-grams of an order: the hypothesis ones are not counted),
    whitespace only, a character outside the BMP, a row shorter than 6 characters; and when the chunk's alphabet
    is too big to pack (sacrebleu counts then), the same."""
    import sacrebleu

    from corpus.despin.evaluate import _CHRF

    def sacrebleus(predictions, references):
        rows = sacrebleu.metrics.CHRF()._extract_corpus_statistics(predictions, [references])
        return [sum(column) for column in zip(*rows)]

    paragraphs = [p for a in wiki_articles[:20] for p in a["text"].split("\n") if p.strip()]
    predictions = [n for n, _ in pairs] + paragraphs[1:] + ["", "Hà", "  \t ", "Hà Nội 𝕏 ngày", "Điều 5."]
    references = [c for _, c in pairs] + paragraphs[:-1] + ["Hà Nội", "", "x", "Hà  Nội ngày", "Điều 5 ."]
    assert _CHRF._counted(predictions, references) == sacrebleus(predictions, references)
    assert _CHRF.extract(predictions, references) == sacrebleus(predictions, references)
    wide = "".join(chr(0x4E00 + i) for i in range(3000))  # 3,000 distinct characters: 12 bits x 6 > 64
    predictions, references = [wide, "Hà Nội"], [wide[::-1], "Hà Nội"]
    assert _CHRF._counted(predictions, references) is None
    assert _CHRF.extract(predictions, references) == sacrebleus(predictions, references)
