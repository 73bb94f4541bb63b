"""Paragraphs out of a document: layout detection, repair of glued paragraphs, and what is not prose.

Headings and boilerplate are recognised here so they never become pair material; the build counts them.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from corpus.text.tokens import syllables

try:  # the regex parser and case table of Python's re, to derive needles (segment.needles) from patterns
    from re._casefix import _EXTRA_CASES
    from re._constants import BRANCH as _BRANCH, LITERAL as _LITERAL, MAX_REPEAT as _MAX_REPEAT, \
        MIN_REPEAT as _MIN_REPEAT, SUBPATTERN as _SUBPATTERN
    from re._parser import parse as _parse
except ImportError:  # another Python: needles() finds none, every paragraph is searched
    _parse = None

BODY, HEADING, BOILERPLATE = "body", "heading", "boilerplate"

# A sentence end glued to the next paragraph's first word, as spinners leave it: "cá thể .Đối với".
# The dot must follow a space or a word of 3+ letters, so "TP.HCM", "v.v." and "Tp.Hồ" stay whole. The mark comes
# first and the lookbehinds check what precedes it: a pattern that opens with a lookbehind is tried at every
# position (7x slower).
_GLUED = re.compile(r"[.!?…](?:(?<= .)|(?<=[^\W\d_]{3}.))(?=[^\W\d_]{2})")

# The same before a clause number or letter ("... sau đây : .a) Có tổ chức"): only after the spinner's " .".
_GLUED_ENUMERATOR = re.compile(r" \.(?=(?:[a-zđ]|\d{1,3})[.)] )")

_LEGAL_HEADING = re.compile(
    r"^(?:Điều\s+\d+[a-zđ]?\s*[.:]|Chương\s+[IVXLCDM\d]+\b|Mục\s+\d+\b|Phần\s+thứ\s+\w+|Tiểu\s+mục\s+\d+\b)",
)
_WIKI_HEADING = re.compile(r"^=+[^=].*=+$")
_DOC_LINE = re.compile(r"^(?:(?:Luật|Bộ luật|Nghị định|Thông tư|Quyết định)\s+số\s*:|[^,]{2,40},\s+ngày\s+\d+\s+tháng\s+\d+)")
_HEADING = re.compile("|".join(f"(?:{p.pattern})" for p in (_LEGAL_HEADING, _WIKI_HEADING, _DOC_LINE)))  # one call
_STOPS = frozenset(".!?:;…”\"»)")


@lru_cache(maxsize=1)
def _boilerplate() -> tuple[re.Pattern, re.Pattern, tuple[str, ...] | None]:
    """data/boilerplate.txt as two alternations: the ^-anchored lines (tried once, at the start) and the rest;
    and the rest's needles (see `needles`; None: some line could not be analysed)."""
    text = resources.files("corpus.data").joinpath("boilerplate.txt").read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    anchored = [line[1:] for line in lines if line.startswith("^")]
    anywhere = [line for line in lines if not line.startswith("^")] or ["(?!)"]
    found = [needles(p) for p in anywhere]
    return (re.compile("|".join(f"(?:{p})" for p in anchored) or "(?!)", re.IGNORECASE),
            re.compile("|".join(f"(?:{p})" for p in anywhere), re.IGNORECASE),
            None if None in found else tuple(n for f in found for n in f))


def _plain_case(ch: str) -> bool:
    """Does every character that re.IGNORECASE matches with `ch` lower-case (str.lower) to ch.lower(), one
    character? Python's re compares simple lower cases, plus the pairs in re._casefix; str.lower differs from the
    simple lower case only for U+0130 (İ -> i + dot) and a final sigma. tests/test_segment.py checks the
    characters of the shipped patterns against all of Unicode."""
    low = ch.lower()
    return len(low) == 1 and low not in "iσς" and ord(low) not in _EXTRA_CASES


def _literal_runs(items) -> list[str] | None:
    """Lower-cased strings, one of which is in the lower-cased text of every match of the parsed pattern `items`
    (the runs of plain-case literals, through groups, alternations and repeats of at least one); None: none
    found."""
    candidates, run = [], ""
    for op, av in [*items, (None, None)]:
        if op is _LITERAL and _plain_case(chr(av)):
            run += chr(av).lower()
            continue
        if run:
            candidates.append([run])
        run, inner = "", None
        if op is _SUBPATTERN:
            inner = _literal_runs(av[-1])
        elif op is _BRANCH:
            branches = [_literal_runs(b) for b in av[1]]
            inner = None if None in branches else [n for b in branches for n in b]
        elif op in (_MAX_REPEAT, _MIN_REPEAT) and av[0] >= 1:
            inner = _literal_runs(av[2])
        if inner:
            candidates.append(inner)
    return max(candidates, key=lambda c: min(map(len, c)), default=None)


def needles(pattern: str) -> list[str] | None:
    """Lower-cased strings, one of which is in text.lower() wherever re.search(pattern, text, re.IGNORECASE)
    finds a match; None when the pattern cannot be analysed. A cheap test before the search: Python's re tries an
    alternation of cased letters at every position (a quarter of the paragraphs step)."""
    try:
        return _literal_runs(_parse(pattern, re.IGNORECASE).data)
    except Exception:  # a pattern the parser of this Python version reads otherwise: no needles, plain search
        return None


def _needled(text: str) -> bool:
    """Could anywhere.search find a match in `text` or any piece of it? (False: no needle in its lower case.)"""
    found = _boilerplate()[2]
    if found is None:
        return True
    low = text.lower()
    return any(n in low for n in found)


def _anywhere(paragraph: str) -> bool:
    """anywhere.search(paragraph), searched only when a needle is in the lower-cased paragraph."""
    return _needled(paragraph) and _boilerplate()[1].search(paragraph) is not None


def split_paragraphs(text: str, kind=None) -> list[str]:
    """Blank-line separated blocks when their lines are hard-wrapped, else one paragraph per line.

    A line is wrapped when another line follows it in the same block and it stops mid-sentence; a file of
    one-paragraph lines has few such lines (headings do not count), a hard-wrapped file has mostly those.
    `kind`: paragraph_kind, or a memo of it (segment asks again for the lines that stay paragraphs).
    """
    kind = kind or paragraph_kind
    blocks = [list(filter(None, map(str.strip, b.split("\n")))) for b in re.split(r"\n[ \t]*\n", text)]
    blocks = [b for b in blocks if b]
    if len(blocks) < 2:  # nothing to join: no line need be looked at
        return [ln for b in blocks for ln in b]
    inner = [ln for b in blocks for ln in b[:-1]]
    stopped = sum(1 for ln in inner if ln[-1] in _STOPS)
    wrapped = sum(1 for ln in inner if ln[-1] not in _STOPS and kind(ln) == BODY)
    if wrapped > stopped:
        return [" ".join(b) for b in blocks]
    return [ln for b in blocks for ln in b]


def _glued(text: str) -> bool:
    """Would unglue cut `text` or any piece of it? (The patterns look at most a few characters around a cut, so
    a cut in a piece is one in the whole text.)"""
    return any(text[m.end()].isupper() for m in _GLUED.finditer(text)) or \
        (" ." in text and _GLUED_ENUMERATOR.search(text) is not None)


def unglue(paragraph: str) -> list[str]:
    """Split paragraphs merged by a lost line break ("... cá thể .Đối với ...", "... sau đây : .a) Có ...")
    back into paragraphs."""
    cuts = [m.end() for m in _GLUED.finditer(paragraph) if paragraph[m.end()].isupper()]
    if " ." in paragraph:
        cuts = sorted({*cuts, *(m.end() for m in _GLUED_ENUMERATOR.finditer(paragraph))})
    if not cuts:
        return [paragraph]
    bounds = [0, *cuts, len(paragraph)]
    parts = [paragraph[a:b].strip() for a, b in zip(bounds, bounds[1:])]
    return [p for p in parts if p]


def is_title_case(line: str) -> bool:
    """SEO title lines capitalise every syllable ("Dịch Vụ Sửa Chữa 24h Tại Hà Nội"); prose and names do not."""
    if line.rstrip()[-1:] in ".:;,!?" or line.isupper() or any(w[:1].islower() for w in line.split()):
        return False
    words = [w for w in syllables(line) if not w.isdigit()]
    return len(words) >= 5 and all(w[0].isupper() or w[0].isdigit() for w in words)


def paragraph_kind(paragraph: str, search: bool = True) -> str:
    """`search=False`: the caller knows the boilerplate search finds nothing in it (segment's whole-text look)."""
    if _HEADING.match(paragraph):
        return HEADING
    if paragraph.isupper():  # every cased letter is upper case: "QUỐC HỘI", "BỘ LUẬT DÂN SỰ"
        return HEADING
    if is_title_case(paragraph) or _boilerplate()[0].match(paragraph) or (search and _anywhere(paragraph)):
        return BOILERPLATE
    return BODY


def segment(text: str, repair_glued: bool = True) -> list[tuple[str, str]]:
    """(kind, paragraph) for every paragraph of a normalised document, in order.

    Every paragraph is a piece of the document's non-blank lines joined by spaces: when that whole text holds no
    boilerplate needle and no glued break (94% of the large recipe's text), no paragraph is searched for them."""
    kinds = {}
    whole = " ".join(filter(None, map(str.strip, text.split("\n"))))
    search, repair = _needled(whole), repair_glued and _glued(whole)

    def kind(paragraph: str) -> str:  # a line split_paragraphs looked at is not looked at twice
        if paragraph not in kinds:
            kinds[paragraph] = paragraph_kind(paragraph, search)
        return kinds[paragraph]

    paragraphs = split_paragraphs(text, kind)
    if repair:
        paragraphs = [part for para in paragraphs for part in unglue(para)]
    return [(kind(part), part) for part in paragraphs]
