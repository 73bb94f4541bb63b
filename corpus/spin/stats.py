"""Noise statistics of (clean, noisy) pairs: the figures the card reports and calibration compares."""

from __future__ import annotations

import re
from collections import Counter

_WORD = re.compile(r"[^\W_]+")
_SENTENCE_END = re.compile(r"(?<=\S)( ?)\.(?=\s|$)")


def noise_statistics(rows: list[dict]) -> dict:
    """Over spun rows (noisy != clean): words changed, length ratio, spaced full stops, edits by kind."""
    spun = [r for r in rows if r["noisy"] != r["clean"]]
    kinds: Counter = Counter()
    words = changed = clean_chars = noisy_chars = ends = spaced = 0
    for r in spun:
        clean = r["clean"]
        words += len(_WORD.findall(clean))
        for e in r["edits"]:
            kinds[e["kind"]] += 1
            if e["kind"] in ("lexical", "number", "abbreviation", "docnum"):
                changed += len(_WORD.findall(clean[e["clean_start"] : e["clean_end"]]))
        clean_chars += len(clean)
        noisy_chars += len(r["noisy"])
        found = _SENTENCE_END.findall(r["noisy"])
        ends += len(found)
        spaced += sum(1 for s in found if s)
    return {
        "rows": len(rows),
        "spun_rows": len(spun),
        "words_changed": round(changed / words, 4) if words else 0.0,
        "length_ratio": round(noisy_chars / clean_chars, 4) if clean_chars else 1.0,
        "spaced_full_stops": round(spaced / ends, 4) if ends else 0.0,
        "edits_by_kind": dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))),
    }
