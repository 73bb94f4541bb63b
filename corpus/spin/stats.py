"""Noise statistics of (clean, noisy) pairs: the figures the card reports and calibration compares.

Everything is measured from the two texts alone (a word-level alignment), never from our own edit records,
so real pairs and synthetic pairs are measured by exactly the same ruler.
"""

from __future__ import annotations

import re
from collections import Counter

from rapidfuzz.distance import Indel

from corpus.text.tokens import syllables

# A full stop or clause mark, found by the mark itself (a pattern that opens with a lookbehind is tried at every
# position: ~3x slower); `_marks` then looks at the one or two characters before it.
_FULL_STOP = re.compile(r"\.(?=\s|$|[^\W\d_])")
_CLAUSE_MARK = re.compile(r"[;:?!](?=\s|$)")


def _blocks(a: list[str], b: list[str]) -> list[tuple[int, int, int, int]]:
    """Maximal differing blocks of a longest-common-subsequence alignment of two word lists (rapidfuzz's Indel,
    C++: ~3x faster than difflib over a build's pairs, and the same blocks for 93% of pairs)."""
    out: list[list[int]] = []
    previous_end = None
    for op in Indel.opcodes(a, b):
        if op.tag == "equal":
            previous_end = None
            continue
        if previous_end is not None:
            out[-1][1], out[-1][3] = op.src_end, op.dest_end
        else:
            out.append([op.src_start, op.src_end, op.dest_start, op.dest_end])
        previous_end = op.src_end
    return [tuple(x) for x in out]


def changes(clean: str, noisy: str) -> list[tuple[str, list[str], list[str]]]:
    """(kind, clean words, noisy words) of each differing block in a word alignment of the pair."""
    return _word_changes(syllables(clean), syllables(noisy))


def _word_changes(a: list[str], b: list[str]) -> list[tuple[str, list[str], list[str]]]:
    out = []
    for i1, i2, j1, j2 in _blocks(a, b):
        old, new = a[i1:i2], b[j1:j2]
        if any(w.isdigit() for w in new) and not any(w.isdigit() for w in old):
            kind = "digits"
        elif not old:
            kind = "insertion"  # mostly expansions: tổ chức -> tổ chức [triển khai]
        elif not new:
            kind = "deletion"
        else:
            kind = "substitution"
        out.append((kind, old, new))
    return out


KINDS = ("deletion", "digits", "insertion", "substitution")
MEASURES = ("spun", "words", "changed", "clean_chars", "noisy_chars", "stops", "spaced_stops", "marks",
            "spaced_marks", *KINDS)


def measure(clean: str, noisy: str) -> dict[str, int]:
    """The counts one pair adds to the statistics (all zero for an untouched pair): summed per batch, in any
    worker, so the statistics of a million pairs need no more memory than those of one."""
    out = dict.fromkeys(MEASURES, 0)
    if clean == noisy:
        return out
    out["spun"] = 1
    words = syllables(clean)
    out["words"] = len(words)
    for kind, old, _ in _word_changes(words, syllables(noisy)):
        out[kind] += 1
        out["changed"] += len(old) or 1  # an insertion touches one place of the clean text
    out["clean_chars"], out["noisy_chars"] = len(clean), len(noisy)
    out["stops"], out["spaced_stops"] = _marks(_FULL_STOP, noisy)
    out["marks"], out["spaced_marks"] = _marks(_CLAUSE_MARK, noisy)
    return out


def _marks(pattern: re.Pattern, text: str) -> tuple[int, int]:
    """(marks that follow a word, those of them with one space between): "tỉnh." and "tỉnh ." count, "tỉnh  ."
    and a mark opening the text do not."""
    found = spaced = 0
    for m in pattern.finditer(text):
        at = m.start()
        if at > 1 and text[at - 1] == " " and not text[at - 2].isspace():
            found, spaced = found + 1, spaced + 1
        elif at and not text[at - 1].isspace():
            found += 1
    return found, spaced


def summarize(totals: dict[str, int], pairs: int) -> dict:
    """Words changed, length ratio, spaced punctuation and change kinds over the pairs that differ.

    Words changed = clean words inside replaced or deleted blocks, plus one per inserted block, over all clean
    words of the spun pairs.
    """
    t = {k: totals.get(k, 0) for k in MEASURES}
    kinds = sum(t[k] for k in KINDS)
    return {
        "pairs": pairs,
        "spun_pairs": t["spun"],
        "words_changed": round(t["changed"] / t["words"], 4) if t["words"] else 0.0,
        "length_ratio": round(t["noisy_chars"] / t["clean_chars"], 4) if t["clean_chars"] else 1.0,
        "spaced_full_stops": round(t["spaced_stops"] / t["stops"], 4) if t["stops"] else 0.0,
        "spaced_clause_marks": round(t["spaced_marks"] / t["marks"], 4) if t["marks"] else 0.0,
        "change_kinds": {k: round(t[k] / kinds, 4) for k in KINDS if t[k]} if kinds else {},
    }


def pair_statistics(pairs: list[tuple[str, str]]) -> dict:
    totals: Counter = Counter()
    for clean, noisy in pairs:
        totals.update(measure(clean, noisy))
    return summarize(totals, len(pairs))
