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
_NEWLINE = re.compile("\n")


def _sentence_start(text: str, start: int) -> bool:
    before = text[max(0, start - 4) : start]
    return (start <= 1 and before in ("", "“", '"', "(")) or bool(_AFTER_SENTENCE_END.search(before))


def _final_stop(text: str) -> set[int]:
    """Offsets of the full stops that end a paragraph (the spinner spaces those, not the inner ones)."""
    out = set()
    for end in (*map(re.Match.start, _NEWLINE.finditer(text)), len(text)) if "\n" in text else (len(text),):
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


def _layout(clean: str, lexicon: Lexicon, matches, settings: NoiseSettings) -> tuple[list, list, list, list]:
    """What spin() decides about a text before it draws, kept for the last text (a paragraph's variants are spun
    one after the other, and the second one skips all of it):
    - the candidates left to right, lexicon matches and special spans, as (start, end, rate, replacement or
      targets, cumulative weights (None: a special span), rule, kind, capitalise the replacement); a match the
      spinner never touches (a proper name, a heading, no targets) draws nothing, so it is left out;
    - the marks it may space, (offset, rate, rule): not a clause number's, rate above 0;
    - the offsets it may space inside quotes, and the lost line breaks (changes, no draw)."""
    global _last_layout
    key, found = _last_layout
    if key is not None and key[0] == clean and key[1] is lexicon and key[2] is matches and (
            key[3] is settings or key[3] == settings):
        return found
    found = _candidates(clean, lexicon, matches, settings), _marks(clean, settings), \
        _quotes(clean, settings), _glue(clean)
    _last_layout = (clean, lexicon, matches, settings), found
    return found


def _candidates(clean: str, lexicon: Lexicon, matches, settings: NoiseSettings) -> list[tuple]:
    options, sub_rate, num_rate = lexicon.options, settings.substitution_rate, settings.number_rate
    keep_names, sentence_initial = settings.keep_names, settings.sentence_initial
    out: list[tuple] = []
    add = out.append
    found = list(lexicon.matches(clean) if matches is None else matches)
    if _special_hint().search(clean):
        found_special = [(m.start(), m.end(), m.lastgroup) for m in _special_pattern().finditer(clean)]
        found = sorted(found_special + found, key=lambda c: (c[0], c[2] not in _SPECIAL_KINDS))
    for start, end, key in found:
        if key in _SPECIAL_KINDS:
            text = clean[start:end]
            if key == "docnum":
                add((start, end, settings.docnum_rate, text.replace("-", " – ", 1).replace("/", " / "), None,
                     "docnum_respace", key, False))
            elif key == "abbreviation":
                add((start, end, settings.abbreviation_rate, abbreviations()[text], None, f"abbreviations:{text}",
                     key, False))
            else:
                add((start, end, None, None, None, None, key, False))  # protected: never drawn, never edited
            continue
        targets, cumulative, rule, numeric, spelled_capital, weight = options[key]
        upper = clean[start].isupper()
        capitalised = upper and not spelled_capital
        if capitalised and (clean[start:end].isupper() or (
                keep_names and not (sentence_initial and _sentence_start(clean, start)))):
            continue  # a proper name or a heading: the spinner leaves capitalised words alone
        if not targets:
            continue
        # a sentence start stays capitalised ("Chủ tịch" -> "Quản trị")
        add((start, end, (num_rate if numeric else sub_rate) * weight, targets, cumulative, rule,
             "number" if numeric else "lexical", upper and (capitalised or _sentence_start(clean, start))))
    return out


def _marks(clean: str, settings: NoiseSettings) -> list[tuple[int, float, str]]:
    rates = {".": settings.inner_stop_space_rate, ",": settings.comma_space_rate}
    final_rate, clause_rate = settings.final_stop_space_rate, settings.clause_space_rate
    final_at = _final_stop(clean)
    out = []
    for at in map(re.Match.start, (_PUNCT_COMMA if settings.comma_space_rate > 0 else _PUNCT).finditer(clean)):
        mark = clean[at]
        rate = final_rate if at in final_at else rates.get(mark, clause_rate)
        if not (rate <= 0 or (at < 6 or clean.rfind("\n", at - 6, at) >= 0) and _enumerator(clean, at)):
            out.append((at, rate, _SPACE_BEFORE[mark]))
    return out


def _quotes(clean: str, settings: NoiseSettings) -> list[int]:
    if settings.quote_space_rate <= 0 or ("“" not in clean and "”" not in clean):
        return []
    return [m.end() if m.group() == "“" else m.start() for m in _QUOTES.finditer(clean)]


def _glue(clean: str) -> list[tuple]:
    """The seed's lost breaks follow a sentence's end (" .Đối với"); no full stop is invented."""
    out = []
    at = clean.find("\n")
    while at >= 0:
        if ends_sentence(clean[:at]):
            out.append((at, at + 1, "", "glue", "lost_break"))
        at = clean.find("\n", at + 1)
    return out


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
    rand = rng.random
    changes: list[tuple] = []
    add = changes.append
    special: list[tuple[int, int]] = []  # protected and rewritten special spans: no punctuation edits inside
    candidates, marks, quotes, glue = _layout(clean, lexicon, matches, settings)
    last_end = -1
    for start, end, rate, targets, cumulative, rule, kind, capitalise in candidates:
        if start < last_end:
            continue
        if cumulative is None:  # a special span: `targets` is its replacement
            if rate is not None:
                if rand() >= rate:
                    continue
                add((start, end, targets, kind, rule))
            special.append((start, end))
            last_end = end
            continue
        if rand() >= rate:
            continue
        new = targets[bisect.bisect_right(cumulative, rand() * cumulative[-1])] if len(targets) > 1 else targets[0]
        if capitalise and new[:1].islower():
            new = new[0].upper() + new[1:]
        add((start, end, new, kind, rule))
        last_end = end
    for at, rate, rule in marks:
        if special and any(a < at < b for a, b in special):
            continue  # inside a URL, an e-mail address or a document number
        if rand() < rate:
            add((at, at, " ", "punct_space", rule))
    if quotes:
        rate = settings.quote_space_rate
        for at in quotes:
            if rand() < rate:
                add((at, at, " ", "quote_space", "space_inside_quotes"))
    changes += glue
    if title:
        add((0, 0, title + "\n", "seo_title", "seo_title"))
    return realise(clean, changes)
