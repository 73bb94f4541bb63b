"""A small syllable trigram language model of clean text, with stupid backoff.

Enough to rank a handful of candidate phrases in context ("phục vụ nhân dân" against "Giao hàng nhân dân"),
which is all the detector and the baseline restorer ask of it. Stored as a gzipped TSV of n-gram counts
(reviewable, no pickle), loaded into one dict.
"""

from __future__ import annotations

import gzip
import math
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from corpus.text.tokens import SYLLABLE

BACKOFF = math.log(0.4)
BOUNDARY = "<s>"


def syllables(text: str) -> list[str]:
    return [s.lower() for s in SYLLABLE.findall(text)]


class NgramModel:
    def __init__(self, counts: dict[str, int]):
        self.counts = counts
        self.total = counts.get("", 0) or 1
        self.vocabulary = counts.get("\x00vocabulary", 0) or 1

    @classmethod
    def train(cls, texts: Iterable[str], min_trigram: int = 1) -> NgramModel:
        counts: Counter = Counter()
        vocabulary: set[str] = set()
        count, join = counts.update, " ".join  # Counter.update of an iterable counts in C
        for text in texts:
            words = [BOUNDARY, *syllables(text), BOUNDARY]
            vocabulary.update(words)
            counts[""] += len(words)
            count(words)
            count(map(join, zip(words, words[1:])))
            count(map(join, zip(words, words[1:], words[2:])))
        if min_trigram > 1:
            counts = Counter({k: v for k, v in counts.items() if k.count(" ") < 2 or v >= min_trigram})
        counts["\x00vocabulary"] = len(vocabulary)
        return cls(dict(counts))

    def save(self, path: Path) -> None:
        """Sorted lines and a gzip header without a timestamp: the same counts give the same bytes."""
        text = "".join(f"{key}\t{self.counts[key]}\n" for key in sorted(self.counts))
        with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as f:
            f.write(text.encode("utf-8"))

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
        """Total log score of words[start:], each conditioned on the two words before it."""
        return sum(self.logprob(tuple(words[max(0, i - 2) : i]), words[i]) for i in range(start, len(words)))
