"""Exact character edits between a clean text and its noisy version.

An edit replaces clean[clean_start:clean_end] by `replacement`, which sits at noisy[noisy_start:noisy_end].
Offsets are code points in NFC text, so Python slicing, Arrow strings and `datasets` all agree on them.
The noise model produces edits as plain tuples in EDIT_FIELDS order (the order of the Parquet struct, which
pyarrow fills from tuples by position): on the hot path a tuple costs a fifth of a dict. `datasets` hands
them back as dicts; every function here takes either.
"""

from __future__ import annotations

import itertools
import re
from difflib import SequenceMatcher

EDIT_FIELDS = ("clean_start", "clean_end", "noisy_start", "noisy_end", "kind", "rule", "replacement")


def as_dict(edit: tuple | dict) -> dict:
    return edit if isinstance(edit, dict) else dict(zip(EDIT_FIELDS, edit))


def realise(clean: str, changes: list[tuple]) -> tuple[str, list[tuple]]:
    """Apply non-overlapping changes (start, end, replacement, kind, rule), sorting them in place; return the
    noisy text and the edits with both offsets."""
    pieces: list[str] = []
    edits: list[tuple] = []
    add_piece, add_edit = pieces.append, edits.append
    cursor = shift = 0
    changes.sort()
    for start, end, replacement, kind, rule in changes:
        if start < cursor:
            raise ValueError(f"overlapping change at {start}: {kind} {rule}")
        add_piece(clean[cursor:start])
        add_piece(replacement)
        noisy_start = start + shift
        length = len(replacement)
        add_edit((start, end, noisy_start, noisy_start + length, kind, rule, replacement))
        shift += length - end + start
        cursor = end
    pieces.append(clean[cursor:])
    return "".join(pieces), edits


def apply(clean: str, edits: list) -> str:
    """Rebuild the noisy text from the clean text and its edits (the inverse check of `realise`)."""
    out, cursor = [], 0
    for e in sorted(map(as_dict, edits), key=lambda e: (e["clean_start"], e["clean_end"])):
        out.append(clean[cursor : e["clean_start"]])
        out.append(e["replacement"])
        cursor = e["clean_end"]
    out.append(clean[cursor:])
    return "".join(out)


def check(clean: str, noisy: str, edits: list) -> str | None:
    """Why these edits do not turn clean into noisy, or None when they are exact (offsets included)."""
    cursor_c = cursor_n = 0
    for i, e in enumerate(sorted(map(as_dict, edits), key=lambda e: (e["clean_start"], e["clean_end"]))):
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


_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


def align(clean: str, noisy: str, kind: str = "real", rule: str = "aligned") -> list[tuple]:
    """Exact edits between two texts nobody recorded edits for (real spun pages), from a token alignment.

    Tokens are words, runs of spaces and single punctuation marks; differing blocks separated only by spaces
    are merged into one edit ("tổ chức triển khai thực thi" -> one edit, not two).
    """
    a, b = _TOKEN.findall(clean), _TOKEN.findall(noisy)
    a_at = [0, *itertools.accumulate(map(len, a))]
    b_at = [0, *itertools.accumulate(map(len, b))]
    blocks: list[list[int]] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if blocks and all(t.isspace() for t in a[blocks[-1][1] : i1]):  # only spaces in between: merge
            blocks[-1][1], blocks[-1][3] = i2, j2
        else:
            blocks.append([i1, i2, j1, j2])
    changes = [(a_at[i1], a_at[i2], noisy[b_at[j1] : b_at[j2]], kind, rule) for i1, i2, j1, j2 in blocks]
    return realise(clean, changes)[1]
