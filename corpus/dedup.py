"""Near-duplicate removal before splitting, so no test paragraph has a near twin in train.

Exact duplicates are dropped as they are read (build.py); this removes near-duplicates: MinHash LSH over
syllable shingles proposes candidates, the exact Jaccard similarity of the shingle sets decides. Paragraphs
are visited in reading order and the first of a cluster is the one kept, so the rule is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH

from corpus.spin.lm import syllables

SEED = 1  # MinHash permutations: fixed, so builds are reproducible


@dataclass(frozen=True)
class DedupSettings:
    near_threshold: float = 0.8  # Jaccard similarity of shingle sets at which two paragraphs are near twins
    num_perm: int = 128
    shingle: int = 3  # syllables per shingle

    @property
    def enabled(self) -> bool:
        """0 turns it off; 1 would only find exact duplicates, which reading already drops."""
        return 0 < self.near_threshold < 1


def shingles(text: str, n: int) -> set[str]:
    words = syllables(text)
    if len(words) <= n:
        return {" ".join(words)}
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


class NearIndex:
    """An LSH index that answers: which indexed paragraph is a near twin of this one?"""

    def __init__(self, settings: DedupSettings):
        self.settings = settings
        self.lsh = MinHashLSH(threshold=settings.near_threshold, num_perm=settings.num_perm)
        self.sets: dict[str, set[str]] = {}

    def signatures(self, texts: list[str]) -> tuple[list[set[str]], list[MinHash]]:
        sets = [shingles(t, self.settings.shingle) for t in texts]
        hashes = MinHash.bulk([[s.encode() for s in sorted(x)] for x in sets], num_perm=self.settings.num_perm,
                              seed=SEED)
        return sets, hashes

    def match(self, shingle_set: set[str], signature: MinHash) -> str | None:
        found = [key for key in self.lsh.query(signature)
                 if jaccard(shingle_set, self.sets[key]) >= self.settings.near_threshold]
        return min(found) if found else None

    def add(self, key: str, shingle_set: set[str], signature: MinHash) -> None:
        self.lsh.insert(key, signature)
        self.sets[key] = shingle_set


def near_duplicates(texts: list[str], settings: DedupSettings) -> dict[int, int]:
    """{index of a removed paragraph: index of the kept paragraph it nearly repeats}, in reading order."""
    index = NearIndex(settings)
    sets, hashes = index.signatures(texts)
    removed: dict[int, int] = {}
    for i, (shingle_set, signature) in enumerate(zip(sets, hashes)):
        twin = index.match(shingle_set, signature)
        if twin is not None:
            removed[i] = int(twin)
        else:
            index.add(f"{i:012d}", shingle_set, signature)
    return removed
