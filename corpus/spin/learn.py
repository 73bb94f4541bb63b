"""Candidate lexicon groups learned from aligned (clean, noisy) pairs, for a person to review.

Both sides are cut into words with underthesea (token normalisation off, so words stay substrings of the
text) and aligned with difflib: aligning syllables instead would turn "hiệu quả → hiệu suất cao" into
"quả → suất cao". A replaced block becomes {clean => noisy}; an inserted block becomes an expansion of the
word before it ("tổ chức" => "tổ chức triển khai"), the commonest shape of this spinner's dictionary.
"""

from __future__ import annotations

import re
from collections import Counter
from difflib import SequenceMatcher

from corpus.spin.lexicon import MAX_SYLLABLES

_TOKEN = re.compile(r"[^\W_]")


def candidate_groups(pairs: list[tuple[str, str]]) -> list[tuple[str, str, int]]:
    """(clean phrase, noisy phrase, count), most frequent first."""
    from underthesea import word_tokenize

    def words(text: str) -> list[str]:
        return [w.lower() for w in word_tokenize(text, use_token_normalize=False) if _TOKEN.search(w)]

    counts: Counter = Counter()
    for clean, noisy in pairs:
        a, b = words(clean), words(noisy)
        for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if op == "replace":
                counts[(" ".join(a[i1:i2]), " ".join(b[j1:j2]))] += 1
            elif op == "insert" and i1 > 0:
                head = a[i1 - 1 : i1]
                counts[(" ".join(head), " ".join(head + b[j1:j2]))] += 1
    out = []
    for (old, new), n in counts.items():
        if old and new and old != new and all(len(p.split()) <= MAX_SYLLABLES + 1 for p in (old, new)):
            out.append((old, new, n))
    return sorted(out, key=lambda t: (-t[2], t[0], t[1]))


def as_lexicon_line(old: str, new: str, count: int) -> str:
    """A line of a learned lexicon file, which a recipe can list ([[lexicons]]); the count is a comment."""
    return f"{{{old} => {new}}} learned  # seen {count}x"
