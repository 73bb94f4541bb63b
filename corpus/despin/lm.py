"""A small syllable trigram language model of clean text, with stupid backoff.

Enough to rank a handful of candidate phrases in context ("phục vụ nhân dân" against "Giao hàng nhân dân"),
which is all the detector and the baseline restorer ask of it. Stored as a gzipped TSV of n-gram counts
(reviewable, no pickle), loaded into one dict.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from corpus.despin.ngrams import found_tokens
from corpus.text.tokens import SYLLABLE

BACKOFF = math.log(0.4)
BOUNDARY = "<s>"
VOCABULARY = "\x00vocabulary"  # the key of the number of distinct words


def syllables(text: str) -> list[str]:
    return [s.lower() for s in SYLLABLE.findall(text)]


class NgramModel:
    def __init__(self, counts: dict[str, int]):
        self.counts = counts
        self.total = counts.get("", 0) or 1
        self.vocabulary = counts.get(VOCABULARY, 0) or 1
        self._scored: dict[tuple, float] = {}  # score's memo of logprob and of whole windows

    @classmethod
    def train(cls, texts: Iterable[str], min_trigram: int = 1) -> NgramModel:
        """Counted with numpy over syllable ranks, not strings (about 2x faster than a Counter of joined keys).
        The keys come out in sorted order, so save's sort is one linear pass."""
        texts = list(texts)
        if not texts:
            return cls({VOCABULARY: 0})
        words, ranks, closing = _ranked(*found_tokens(texts, SYLLABLE, lower=False))
        keys, counts = _ngram_counts(ranks, closing, len(words) + 1, min_trigram)
        model = {"": len(ranks), VOCABULARY: len(words)}
        model.update(zip(_key_strings(words, keys, len(words) + 1), counts.tolist()))
        return cls(model)

    def save(self, path: Path) -> None:
        """Sorted lines and a gzip header without a timestamp: the same counts give the same bytes. The lines
        are formatted by pyarrow in one go (about 2x faster than an f-string per line)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        keys = sorted(self.counts)
        ordered = keys == list(self.counts)  # as train() leaves them: the values in order too, no look-ups
        values = np.fromiter(self.counts.values() if ordered else map(self.counts.__getitem__, keys), np.int64,
                             len(keys))
        values = pa.array(values).cast(pa.large_string())
        values = pc.binary_join_element_wise(values, _large(""), _large("\n"))  # "value\n"
        lines = pc.binary_join_element_wise(pa.array(keys, pa.large_string()), values, _large("\t"))
        with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as f:
            f.write(_data(lines))

    @classmethod
    def load(cls, path: Path) -> NgramModel:
        counts = {}
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                key, _, value = line.rstrip("\n").rpartition("\t")
                counts[key] = int(value)
        if "" not in counts:  # every model counts its tokens under the empty key
            raise ValueError(f"{path}: no token count, not a language model of this toolkit")
        return cls(counts)

    def logprob(self, history: tuple[str, ...], word: str) -> float:
        """Stupid-backoff log score of `word` after up to two history syllables."""
        c = self.counts
        penalty = 0.0
        for n in range(min(2, len(history)), 0, -1):
            context = " ".join(history[-n:])
            joint = c.get(context + " " + word)
            if joint:
                return penalty + math.log(joint / c[context])
            penalty += BACKOFF
        return penalty + math.log((c.get(word, 0) + 0.1) / (self.total + 0.1 * self.vocabulary))

    def score(self, words: list[str], start: int = 0) -> float:
        """Total log score of words[start:], each conditioned on the two words before it. Each word in its context
        is scored once per model: the restorer asks for the same ones over and over (4 in 5 calls on a build's
        test sample), and for the same whole windows too (1 in 2: the held-out set's two restorers share the
        model), so the totals are kept as well."""
        memo = self._scored
        if len(memo) > 1 << 20:
            memo.clear()
        window = (tuple(words), start)
        total = memo.get(window)
        if total is None:
            scores = []
            for i in range(start, len(words)):
                key = tuple(words[max(0, i - 2) : i + 1])  # history, then word
                value = memo.get(key)
                if value is None:
                    value = memo[key] = self.logprob(key[:-1], key[-1])
                scores.append(value)
            total = memo[window] = sum(scores)
        return total


def _ranked(distinct: list[str], codes: np.ndarray, lengths: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The distinct lowercased words (with BOUNDARY) in string order, and every text (its syllables distinct[codes],
    lengths[i] of them) as the ranks of its words (from 1: 0 stands for no word) between boundaries, all texts end
    to end, with a mask of each closing boundary."""
    lowered = [w.lower() for w in distinct]  # once per distinct syllable, not per occurrence
    words = sorted({*lowered, BOUNDARY})
    rank = {w: i for i, w in enumerate(words, 1)}
    of_distinct = np.array([rank[w] for w in lowered], np.int64)
    lengths = lengths + 2
    ends = np.cumsum(lengths)
    ranks = np.full(ends[-1], rank[BOUNDARY], np.int64)
    inner = np.ones(ends[-1], bool)
    inner[ends - lengths] = inner[ends - 1] = False
    ranks[inner] = of_distinct[codes]
    closing = np.zeros(ends[-1], bool)
    closing[ends - 1] = True
    return words, ranks, closing


def _ngram_counts(ranks: np.ndarray, closing: np.ndarray, base: int, min_trigram: int):
    """The distinct 1-, 2- and 3-grams that do not run past a text's closing boundary, each as the ranks of its
    words in base `base` padded with 0 to three digits (so that they sort as their keys do), and their counts."""
    if base ** 3 >= 2 ** 63:
        raise ValueError(f"{base - 1} distinct words: too many to count as trigrams in 64 bits")
    bigrams = ranks[:-1] * base + ranks[1:]
    trigrams = bigrams[:-1] * base + ranks[2:]
    unigram_counts = np.bincount(ranks, minlength=base)
    seen = np.flatnonzero(unigram_counts)
    bi_keys, bi_counts = np.unique(bigrams[~closing[:-1]], return_counts=True)
    tri_keys, tri_counts = np.unique(trigrams[~(closing[:-2] | closing[1:-1])], return_counts=True)
    if min_trigram > 1:
        tri_keys, tri_counts = tri_keys[tri_counts >= min_trigram], tri_counts[tri_counts >= min_trigram]
    keys = np.concatenate([seen * base * base, bi_keys * base, tri_keys])
    order = np.argsort(keys, kind="stable")
    return keys[order], np.concatenate([unigram_counts[seen], bi_counts, tri_counts])[order]


def _key_strings(words: list[str], keys: np.ndarray, base: int) -> list[str]:
    """The keys as the model stores them: their words joined by spaces."""
    import pyarrow as pa
    import pyarrow.compute as pc

    vocabulary = pa.array(["", *words], pa.large_string())
    digits = [keys // base ** (2 - i) % base for i in range(3)]
    columns = [vocabulary.take(pa.array(d, mask=d == 0)) for d in digits]  # a null word is left out of the join
    return pc.binary_join_element_wise(*columns, _large(" "), null_handling="skip").to_pylist()


def _data(strings) -> bytes:
    """A pyarrow string array's characters, end to end."""
    offsets = np.frombuffer(strings.buffers()[1], np.int64)
    return strings.buffers()[2].to_pybytes()[offsets[strings.offset]:offsets[strings.offset + len(strings)]]


def _large(text: str):
    """A pyarrow large_string scalar (large: a model's lines may pass the 2 GB that string offsets can address)."""
    import pyarrow as pa

    return pa.scalar(text, pa.large_string())
