"""Noise statistics of (clean, noisy) pairs: the figures the card reports and calibration compares.

Everything is measured from the two texts alone (a word-level alignment), never from our own edit records,
so real pairs and synthetic pairs are measured by exactly the same ruler.
"""

from __future__ import annotations

import re
from collections import Counter
from difflib import SequenceMatcher

from corpus.spin.edits import as_dict

_WORD = re.compile(r"[^\W_]+")
_FULL_STOP = re.compile(r"(?<=\S)( ?)\.(?=\s|$|[^\W\d_])")
_CLAUSE_MARK = re.compile(r"(?<=\S)( ?)[;:?!](?=\s|$)")


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def changes(clean: str, noisy: str) -> list[tuple[str, list[str], list[str]]]:
    """(kind, clean words, noisy words) of each differing block in a word alignment of the pair."""
    a, b = _words(clean), _words(noisy)
    out = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
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


def pair_statistics(pairs: list[tuple[str, str]]) -> dict:
    """Words changed, length ratio, spaced punctuation and change kinds over the pairs that differ.

    Words changed = clean words inside replaced or deleted blocks, plus one per inserted block, over all clean
    words of the spun pairs.
    """
    spun = [(c, n) for c, n in pairs if c != n]
    kinds: Counter = Counter()
    words = changed = clean_chars = noisy_chars = stops = spaced_stops = marks = spaced_marks = 0
    for clean, noisy in spun:
        words += len(_words(clean))
        for kind, old, _ in changes(clean, noisy):
            kinds[kind] += 1
            changed += len(old) or 1  # an insertion touches one place of the clean text
        clean_chars += len(clean)
        noisy_chars += len(noisy)
        found = _FULL_STOP.findall(noisy)
        stops += len(found)
        spaced_stops += sum(1 for s in found if s)
        found = _CLAUSE_MARK.findall(noisy)
        marks += len(found)
        spaced_marks += sum(1 for s in found if s)
    total = sum(kinds.values())
    return {
        "pairs": len(pairs),
        "spun_pairs": len(spun),
        "words_changed": round(changed / words, 4) if words else 0.0,
        "length_ratio": round(noisy_chars / clean_chars, 4) if clean_chars else 1.0,
        "spaced_full_stops": round(spaced_stops / stops, 4) if stops else 0.0,
        "spaced_clause_marks": round(spaced_marks / marks, 4) if marks else 0.0,
        "change_kinds": {k: round(v / total, 4) for k, v in sorted(kinds.items())} if total else {},
    }


def edit_kinds(rows: list[dict]) -> dict[str, int]:
    """How many edits of each kind the noise model recorded (synthetic rows only have these)."""
    kinds: Counter = Counter(as_dict(e)["kind"] for r in rows for e in r["edits"])
    return dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
