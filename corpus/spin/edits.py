"""Exact character edits between a clean text and its noisy version.

An edit replaces clean[clean_start:clean_end] by `replacement`, which sits at noisy[noisy_start:noisy_end].
Offsets are code points in NFC text, so Python slicing, Arrow strings and `datasets` all agree on them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Edit:
    clean_start: int
    clean_end: int
    noisy_start: int
    noisy_end: int
    kind: str
    rule: str
    replacement: str

    def as_row(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Change:
    """A planned replacement on the clean text, before noisy offsets are known."""

    start: int
    end: int
    replacement: str
    kind: str
    rule: str


def realise(clean: str, changes: list[Change]) -> tuple[str, list[Edit]]:
    """Apply non-overlapping changes left to right; return the noisy text and the edits with both offsets."""
    pieces: list[str] = []
    edits: list[Edit] = []
    cursor = 0
    shift = 0
    for ch in sorted(changes, key=lambda c: (c.start, c.end)):
        if ch.start < cursor:
            raise ValueError(f"overlapping change at {ch.start}: {ch}")
        pieces.append(clean[cursor : ch.start])
        pieces.append(ch.replacement)
        noisy_start = ch.start + shift
        edits.append(
            Edit(ch.start, ch.end, noisy_start, noisy_start + len(ch.replacement), ch.kind, ch.rule, ch.replacement)
        )
        shift += len(ch.replacement) - (ch.end - ch.start)
        cursor = ch.end
    pieces.append(clean[cursor:])
    return "".join(pieces), edits


def apply(clean: str, edits: list[dict] | list[Edit]) -> str:
    """Rebuild the noisy text from the clean text and its edits (the inverse check of `realise`)."""
    rows = [e if isinstance(e, dict) else e.as_row() for e in edits]
    out, cursor = [], 0
    for e in sorted(rows, key=lambda e: (e["clean_start"], e["clean_end"])):
        out.append(clean[cursor : e["clean_start"]])
        out.append(e["replacement"])
        cursor = e["clean_end"]
    out.append(clean[cursor:])
    return "".join(out)


def check(clean: str, noisy: str, edits: list[dict]) -> str | None:
    """Why these edits do not turn clean into noisy, or None when they are exact (offsets included)."""
    cursor_c = cursor_n = 0
    for i, e in enumerate(sorted(edits, key=lambda e: (e["clean_start"], e["clean_end"]))):
        cs, ce, ns, ne = e["clean_start"], e["clean_end"], e["noisy_start"], e["noisy_end"]
        if not (cursor_c <= cs <= ce <= len(clean)) or not (cursor_n <= ns <= ne <= len(noisy)):
            return f"edit {i} has offsets out of order or out of range: {e}"
        if clean[cursor_c:cs] != noisy[cursor_n:ns]:
            return f"text before edit {i} differs between clean and noisy"
        if noisy[ns:ne] != e["replacement"]:
            return f"edit {i}: noisy[{ns}:{ne}] is not its replacement {e['replacement']!r}"
        cursor_c, cursor_n = ce, ne
    if clean[cursor_c:] != noisy[cursor_n:]:
        return "text after the last edit differs between clean and noisy"
    return None
