"""The noise model: a clean paragraph in, the spinner's output and the exact edits out.

Mimics the dictionary spinner described in ../shared/docs/spinner-observations.md: lexicon substitution
(longest match, blind to context), digits for number words, Title Case abbreviation expansion, the re-join
artifacts (space before punctuation and inside quotes, re-spaced document numbers), lost paragraph breaks and
an unrelated SEO title line. Every random choice comes from the `rng` passed in, so the caller decides what
seeds it; candidates are visited left to right in one sweep, so the draws happen in a fixed order.
"""

from __future__ import annotations

import bisect
import random
import re
from functools import lru_cache

from corpus.config.settings import NoiseSettings  # declared with the recipe's other settings
from corpus.spin.edits import realise
from corpus.spin.lexicon import Lexicon, abbreviations, default_lexicon
from corpus.text.quality import ends_sentence


_PROTECTED = re.compile(r"https?://\S+|www\.\S+|(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.]+")
# The mark comes first so the regex engine can skip to candidates (a leading lookbehind is tried at every
# position: 13 us against 2 us per paragraph); the lookbehind then checks the character before it.
_PUNCT = re.compile(r"[.;:!?](?<=[^\s.,;:!?].)(?=\s|$|[”\"’)])")
_PUNCT_COMMA = re.compile(r"[.,;:!?](?<=[^\s.,;:!?].)(?=\s|$|[”\"’)])")
_ENUMERATOR = re.compile(r"\d{1,3}|[a-zđ]|[IVXLC]{1,5}")  # "4." or "a." opening a legal clause
_DOCNUM = re.compile(r"(?<![\w-])\d+-[A-ZĐ][A-ZĐ0-9]*(?:/[A-ZĐ][A-ZĐ0-9-]*)+(?![\w/])")
_AFTER_SENTENCE_END = re.compile(r"(?:[.!?…]\s+|\n)[\"“(]?$")
_SPACE_BEFORE = {mark: f"space_before:{mark}" for mark in ".,;:!?"}
_QUOTES = re.compile(r"“(?=\S)|(?<=\S)”")
_SPINTAX = re.compile(r"\{([^{}]*)\}")


def _sentence_start(text: str, start: int) -> bool:
    before = text[max(0, start - 4) : start]
    return (start <= 1 and before in ("", "“", '"', "(")) or bool(_AFTER_SENTENCE_END.search(before))


def _final_stop(text: str) -> set[int]:
    """Offsets of the full stops that end a paragraph (the spinner spaces those, not the inner ones)."""
    out = set()
    for end in (*(i for i, c in enumerate(text) if c == "\n"), len(text)) if "\n" in text else (len(text),):
        at = end - 1
        while at > 0 and text[at] in " ”\"’)":
            at -= 1
        if at > 0 and text[at] == "." and text[at - 1] not in " .":
            out.add(at)
    return out


def _enumerator(text: str, at: int) -> bool:
    """Is the punctuation at `at` the dot of a clause number opening its line ("4. Điều kiện ...")?"""
    line_start = text.rfind("\n", 0, at) + 1
    return at - line_start <= 5 and _ENUMERATOR.fullmatch(text, line_start, at) is not None


@lru_cache(maxsize=1)
def seo_templates() -> tuple[str, ...]:
    from importlib import resources

    text = resources.files("corpus.data").joinpath("seo_titles.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def seo_title(rng: random.Random) -> str:
    """An unrelated Title Case advert line, like the seed's "Dịch Vụ Sửa Chữa 24h Tại Hà Nội"."""
    def pick(options):
        return options[int(rng.random() * len(options))]

    return _SPINTAX.sub(lambda m: pick(m.group(1).split("|")), pick(seo_templates()))


_SPECIAL_KINDS = frozenset({"protected", "docnum", "abbreviation"})


@lru_cache(maxsize=1)
def _special_hint() -> re.Pattern:
    """A cheap literal search that saves the special-span regex on most paragraphs."""
    return re.compile("|".join(map(re.escape, ["@", "://", "www.", "/", *abbreviations()])))


@lru_cache(maxsize=1)
def _special_pattern() -> re.Pattern:
    """Spans the lexicon never sees: protected (URLs, e-mails), document numbers, abbreviations."""
    abbrev = "|".join(map(re.escape, sorted(abbreviations(), key=len, reverse=True))) or "(?!)"
    return re.compile(rf"(?P<protected>{_PROTECTED.pattern})|(?P<docnum>{_DOCNUM.pattern})"
                      rf"|(?P<abbreviation>(?<!\w)(?:{abbrev})(?![\w\u0300-\u036f]))")


_last_layout: tuple = (None, None)


def _layout(clean: str, lexicon: Lexicon, matches, comma: bool) -> tuple[list, list]:
    """What spin() finds in a text before it draws: the candidates (lexicon matches and special spans, in order)
    and the marks it may space (offset, mark, ends the paragraph, numbers a clause). Kept for the last text: a
    paragraph's variants are spun one after the other, and the second one skips this search."""
    global _last_layout
    key, found = _last_layout
    if key is not None and key[0] == clean and key[1] is lexicon and key[2] is matches and key[3] == comma:
        return found
    candidates = list(lexicon.matches(clean) if matches is None else matches)
    if _special_hint().search(clean):
        found_special = [(m.start(), m.end(), m.lastgroup) for m in _special_pattern().finditer(clean)]
        candidates = sorted(found_special + candidates, key=lambda c: (c[0], c[2] not in _SPECIAL_KINDS))
    final_at = _final_stop(clean)
    marks = [(at, clean[at], at in final_at,
              (at < 6 or clean.rfind("\n", at - 6, at) >= 0) and _enumerator(clean, at))
             for at in map(re.Match.start, (_PUNCT_COMMA if comma else _PUNCT).finditer(clean))]
    found = candidates, marks
    _last_layout = (clean, lexicon, matches, comma), found
    return found


def spin(clean: str, rng: random.Random, settings: NoiseSettings = NoiseSettings(),
         lexicon: Lexicon | None = None, title: str | None = None,
         matches: list[tuple[int, int, str]] | None = None) -> tuple[str, list[tuple]]:
    """Always spins `clean` (deciding whether a paragraph is spun at all is the pair builder's job).

    Only rng.random() is drawn from (weighted choices by bisection): corpus.rand.RowRandom in builds, or a
    random.Random.

    Returns the noisy text and its edits as tuples in EDIT_FIELDS order (see corpus.spin.edits).

    `title`, when given, is put on a line of its own before the text, as an SEO title line. `matches`: the
    lexicon's matches in `clean`, when the caller has them (the variants of one paragraph share them).
    """
    if lexicon is None:
        lexicon = default_lexicon()
    rand, options = rng.random, lexicon.options
    sub_rate, num_rate = settings.substitution_rate, settings.number_rate
    changes: list[tuple] = []
    add = changes.append
    special: list[tuple[int, int]] = []  # protected and rewritten special spans: no punctuation edits inside
    candidates, marks = _layout(clean, lexicon, matches, settings.comma_space_rate > 0)
    last_end = -1
    for start, end, key in candidates:
        if start < last_end:
            continue
        if key in _SPECIAL_KINDS:
            found = clean[start:end]
            if key == "docnum":
                if rand() >= settings.docnum_rate:
                    continue
                add((start, end, found.replace("-", " – ", 1).replace("/", " / "), key, "docnum_respace"))
            elif key == "abbreviation":
                if rand() >= settings.abbreviation_rate:
                    continue
                add((start, end, abbreviations()[found], key, f"abbreviations:{found}"))
            special.append((start, end))
            last_end = end
            continue
        targets, cumulative, rule, numeric, spelled_capital, weight = options[key]
        capitalised = clean[start].isupper() and not spelled_capital
        if capitalised and (clean[start:end].isupper() or (
                settings.keep_names and not (settings.sentence_initial and _sentence_start(clean, start)))):
            continue  # a proper name or a heading: the spinner leaves capitalised words alone
        if not targets or rand() >= (num_rate if numeric else sub_rate) * weight:
            continue
        new = targets[bisect.bisect_right(cumulative, rand() * cumulative[-1])] if len(targets) > 1 else targets[0]
        if clean[start].isupper() and new[:1].islower() and (capitalised or _sentence_start(clean, start)):
            new = new[0].upper() + new[1:]  # a sentence start stays capitalised ("Chủ tịch" -> "Quản trị")
        add((start, end, new, "number" if numeric else "lexical", rule))
        last_end = end

    rates = {".": settings.inner_stop_space_rate, ",": settings.comma_space_rate}
    final_rate, clause_rate = settings.final_stop_space_rate, settings.clause_space_rate
    for at, mark, final, enumerator in marks:
        rate = final_rate if final else rates.get(mark, clause_rate)
        if rate <= 0 or enumerator:
            continue
        if special and any(a < at < b for a, b in special):
            continue  # inside a URL, an e-mail address or a document number
        if rand() < rate:
            add((at, at, " ", "punct_space", _SPACE_BEFORE[mark]))
    if settings.quote_space_rate > 0 and ("“" in clean or "”" in clean):
        for m in _QUOTES.finditer(clean):
            if rand() < settings.quote_space_rate:
                at = m.end() if m.group() == "“" else m.start()
                add((at, at, " ", "quote_space", "space_inside_quotes"))
    at = clean.find("\n")
    while at >= 0:  # the seed's lost breaks follow a sentence's end (" .Đối với"); no full stop is invented
        if ends_sentence(clean[:at]):
            add((at, at + 1, "", "glue", "lost_break"))
        at = clean.find("\n", at + 1)
    if title:
        add((0, 0, title + "\n", "seo_title", "seo_title"))
    return realise(clean, changes)
