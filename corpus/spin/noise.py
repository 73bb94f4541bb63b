"""The noise model: a clean paragraph in, the spinner's output and the exact edits out.

Mimics the dictionary spinner described in ../shared/docs/spinner-observations.md: lexicon substitution
(longest match, blind to context), digits for number words, Title Case abbreviation expansion, the re-join
artifacts (space before punctuation and inside quotes, re-spaced document numbers) and lost paragraph breaks.
Every random choice comes from the `rng` passed in, so the caller decides what seeds it.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from corpus.spin.edits import Change, Edit, realise
from corpus.spin.lexicon import Lexicon, abbreviations, default_lexicon, number_lexicon


@dataclass(frozen=True)
class NoiseSettings:
    paragraph_rate: float = 0.6  # share of paragraphs that are spun at all (the rest stay untouched)
    variants: int = 2  # noisy versions drawn for each spun paragraph
    substitution_rate: float = 0.9  # per lexicon match inside a spun paragraph (seed: nearly all)
    number_rate: float = 1.0
    abbreviation_rate: float = 1.0
    punct_space_rate: float = 0.9  # space before . ; : ? ! at clause ends
    quote_space_rate: float = 1.0  # “ text ” instead of “text”
    docnum_rate: float = 1.0  # 15-NQ/TW -> 15 – NQ / TW
    glue_rate: float = 0.1  # share of spun paragraphs glued to the next one (a lost line break)
    sentence_initial: bool = True  # also rewrite a capitalised match at a sentence start, keeping the capital


_PROTECTED = re.compile(r"https?://\S+|www\.\S+|[\w.+-]+@[\w-]+\.[\w.]+")
_PUNCT = re.compile(r"(?<=[^\s.])[.;:!?](?=\s|$|[”\"’)])")
_ENUMERATOR = re.compile(r"^(?:\d{1,3}|[a-zđ]|[IVXLC]{1,5})$")  # "4." or "a." opening a legal clause
_DOCNUM = re.compile(r"(?<![\w-])\d+-[A-ZĐ][A-ZĐ0-9]*(?:/[A-ZĐ][A-ZĐ0-9-]*)+(?![\w/])")
_SENTENCE_START = re.compile(r"(?:^|[.!?…]\s+|\n)[\"“(]?$")


def _is_sentence_start(text: str, start: int) -> bool:
    return bool(_SENTENCE_START.search(text[max(0, start - 4) : start]))


def _lexical(text, rng, lexicon, rate, kind, settings, taken) -> list[Change]:
    out = []
    for start, end, group in lexicon.finditer(text):
        found = text[start:end]
        spelled_capital = any(s[0].isupper() and s.lower() == found.lower() for s in group.sources)
        if found[0].isupper() and not spelled_capital:
            if found.isupper() or not (settings.sentence_initial and _is_sentence_start(text, start)):
                continue  # a proper name or a heading: the spinner leaves capitalised words alone
        if taken(start, end) or rng.random() >= rate:
            continue
        targets, weights = group.choices(found)
        if not targets:
            continue
        new = rng.choices(targets, weights)[0]
        if found[0].isupper() and not spelled_capital:
            new = new[0].upper() + new[1:]
        out.append(Change(start, end, new, kind, group.rule))
    return out


def spin(clean: str, rng: random.Random, settings: NoiseSettings = NoiseSettings(),
         lexicon: Lexicon | None = None) -> tuple[str, list[Edit]]:
    """Always spins `clean` (deciding whether a paragraph is spun at all is the pair builder's job)."""
    lexicon = lexicon or default_lexicon()
    protected = [m.span() for m in _PROTECTED.finditer(clean)]
    changes: list[Change] = []

    def taken(start: int, end: int) -> bool:
        spans = protected + [(c.start, c.end) for c in changes]
        return any(a < end and start < b or (start == end and a < start < b) for a, b in spans)

    for m in _DOCNUM.finditer(clean):
        if not taken(*m.span()) and rng.random() < settings.docnum_rate:
            new = m.group().replace("-", " – ", 1).replace("/", " / ")
            changes.append(Change(m.start(), m.end(), new, "docnum", "docnum_respace"))
    for word, expansion in abbreviations().items():
        for m in re.finditer(rf"(?<![\w]){re.escape(word)}(?![\w])", clean):
            if not taken(*m.span()) and rng.random() < settings.abbreviation_rate:
                changes.append(Change(m.start(), m.end(), expansion, "abbreviation", f"abbreviations:{word}"))
    changes += _lexical(clean, rng, number_lexicon(), settings.number_rate, "number", settings, taken)
    changes += _lexical(clean, rng, lexicon, settings.substitution_rate, "lexical", settings, taken)
    for m in _PUNCT.finditer(clean):
        if _ENUMERATOR.match(clean[: m.start()].rsplit("\n", 1)[-1]):
            continue
        if not taken(m.start(), m.start()) and rng.random() < settings.punct_space_rate:
            changes.append(Change(m.start(), m.start(), " ", "punct_space", f"space_before:{m.group()}"))
    for m in re.finditer(r"“(?=\S)|(?<=\S)”", clean):
        if rng.random() < settings.quote_space_rate:
            at = m.end() if m.group() == "“" else m.start()
            changes.append(Change(at, at, " ", "quote_space", "space_inside_quotes"))
    for m in re.finditer(r"\n", clean):
        glue = "" if clean[m.start() - 1 : m.start()] in ".!?" else " ."
        changes.append(Change(m.start(), m.end(), glue, "glue", "lost_break"))
    return realise(clean, changes)
