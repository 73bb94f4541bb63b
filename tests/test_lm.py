"""The language model's numpy counting and pyarrow writing against plain Counter/f-string references on real text."""

import gzip
from collections import Counter

import pytest

from corpus.despin.lm import BOUNDARY, NgramModel, syllables


def reference_counts(texts: list[str], min_trigram: int = 1) -> dict[str, int]:
    """The model's counts the plain way: a Counter of space-joined n-grams of each text between boundaries."""
    counts: Counter = Counter()
    vocabulary: set[str] = set()
    for text in texts:
        words = [BOUNDARY, *syllables(text), BOUNDARY]
        vocabulary.update(words)
        counts[""] += len(words)
        for n in (1, 2, 3):
            counts.update(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    counts = Counter({k: v for k, v in counts.items() if k.count(" ") < 2 or v >= min_trigram})
    counts["\x00vocabulary"] = len(vocabulary)
    return dict(counts)


@pytest.fixture(scope="module")
def texts(law_paragraphs, wiki_articles) -> list[str]:
    # real paragraphs, plus the cases where lowering a whole text is not lowering each syllable (final sigma,
    # dotted capital I), texts without a syllable, and a one-syllable text
    # and syllables between Unicode spaces and separators (the texts are split at whitespace before the regex)
    odd = ["ΑΣ.Β và ΟΔΟΣ", "İstanbul, Thổ Nhĩ Kỳ", "", "— ; …", "Hà",
           "Hà\u00a0Nội\u2028và\tSài\u3000Gòn\x1c2015"]
    return law_paragraphs[:300] + [a["text"] for a in wiki_articles[:20]] + odd


@pytest.mark.parametrize("min_trigram", [1, 2])
def test_train_counts_what_a_counter_counts(texts, min_trigram):
    model = NgramModel.train(texts, min_trigram)
    assert model.counts == reference_counts(texts, min_trigram)
    assert list(model.counts) == sorted(model.counts)  # what lets save's sort be a linear pass


def test_train_of_nothing():
    assert NgramModel.train([]).counts == reference_counts([]) == {"\x00vocabulary": 0}
    assert NgramModel.train(iter(["Hà Nội"])).counts == reference_counts(["Hà Nội"])


@pytest.mark.parametrize("trained", [False, True])
def test_save_writes_the_plain_lines(texts, tmp_path, trained):
    """A model in any insertion order, and a trained one (its keys in order: save skips the look-ups)."""
    model = NgramModel.train(texts) if trained else NgramModel(reference_counts(texts[::-1]))
    model.save(tmp_path / "lm.tsv.gz")
    expected = "".join(f"{key}\t{model.counts[key]}\n" for key in sorted(model.counts)).encode("utf-8")
    with open(tmp_path / "ref.tsv.gz", "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                                   compresslevel=6) as f:
        f.write(expected)
    assert (tmp_path / "lm.tsv.gz").read_bytes() == (tmp_path / "ref.tsv.gz").read_bytes()
    assert NgramModel.load(tmp_path / "lm.tsv.gz").counts == model.counts
