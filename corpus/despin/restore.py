"""The reference de-spinner: invert the lexicon, let a clean-text language model choose, undo the artifacts.

A baseline for the card, not a research model. Paragraphs the detector calls clean are returned untouched;
in the others every spinner output the lexicon knows is a candidate for restoration, and a restoration is
made only when the language model prefers it in its context by `margin` (log score), which keeps the harm
to legitimately used words ("những", "triển khai") low.
"""

from __future__ import annotations

import re

import ahocorasick

from corpus.despin.detect import Detection, detect
from corpus.spin.edits import realise
from corpus.spin.lexicon import Lexicon, abbreviations, bounded, default_lexicon
from corpus.despin.lm import NgramModel, syllables
from corpus.text.segment import is_title_case

_SPACE_BEFORE = re.compile(r"(?<=[^\s]) (?=[.,;:!?](?:\s|$|[^\W\d_]))")
_GLUED = re.compile(r"(?<=[^\s]) \.(?=[^\W\d_]{2})")
_QUOTE_SPACE = re.compile(r"(?<=“) | (?=”)")
_DOCNUM = re.compile(r"\b(\d+) – ([A-ZĐ][A-ZĐ0-9]*) / ([A-ZĐ][A-ZĐ0-9]*(?: / [A-ZĐ][A-ZĐ0-9-]*)*)")


class Restorer:
    """`judge`, when given, is the build's trained detector (corpus.despin.detector.Detector): it decides which
    paragraphs are spun. Without one, the surface detector with this restorer's language-model evidence does."""

    def __init__(self, lm: NgramModel | None, lexicon: Lexicon | None = None, margin: float = 2.0, judge=None):
        self.lm, self.margin, self.judge = lm, margin, judge
        lexicon = lexicon if lexicon is not None else default_lexicon()
        self.sources: dict[str, list[tuple[str, str]]] = {}  # spun output -> [(original, rule)]
        for g in lexicon.groups:  # every group that holds t is a way back (overlapping groups: several)
            for t in g.targets:
                for s in g.sources if g.directed else g.targets:
                    options = self.sources.setdefault(t.lower(), [])
                    if s.lower() != t.lower() and (s, g.rule) not in options:
                        options.append((s, g.rule))
        self.words = {text: syllables(text) for key, options in self.sources.items()
                      for text in (key, *(s for s, _ in options))}  # what _lexical scores, split once
        self.automaton = ahocorasick.Automaton()
        for key in self.sources:
            self.automaton.add_word(key, (len(key), key))
        self.automaton.make_automaton()
        # (expansion, its pattern, abbreviation): the pattern is only run on a text that holds the expansion
        self.expansions = [(e, re.compile(rf"(?<!\w){re.escape(e)}(?![\w\u0300-\u036f])"), a)
                           for e, a in {v: k for k, v in abbreviations().items()}.items()]

    def detect(self, noisy: str) -> Detection:
        """The build's detector, or the surface detector with this restorer's language-model evidence."""
        if self.judge is not None:
            return self.judge.label([noisy])[0]
        return detect(noisy, len(self._lexical(noisy)) if self.lm is not None else 0)

    def restore_many(self, texts: list[str], labels: list | None = None) -> list[tuple[str, list[tuple]]]:
        """restore() of each text, the build's detector labelling them in one batch (or `labels`, its labels of
        these texts, when the caller has them)."""
        if self.judge is None:
            return [self.restore(t) for t in texts]
        # flagged on word order alone, a paragraph holds nothing the de-spinner knows how to undo, and what it would
        # change there is, more often than not, clean text (default build: 6 of 492 clean test paragraphs harmed)
        spun = [d.label == "spun" and d.known > 0 for d in (labels or self.judge.label(texts))]
        return [self.restore(t, force=True) if s else (t, []) for t, s in zip(texts, spun)]

    def restore(self, noisy: str, force: bool = False) -> tuple[str, list[tuple]]:
        """The restored text and the edits from noisy to it; untouched when the detector says clean."""
        if not force and self.judge is not None:
            return self.restore_many([noisy])[0]
        lexical = self._lexical(noisy) if self.lm is not None else []
        if not force and detect(noisy, len(lexical)).label != "spun":
            return noisy, []
        changes: list[tuple] = []
        first, newline, _ = noisy.partition("\n")
        if newline and is_title_case(first):
            changes.append((0, len(first) + 1, "", "seo_title", "drop_title_line"))
        glued = set()
        for m in _GLUED.finditer(noisy):
            changes.append((m.start(), m.start() + 1, "", "punct_space", "drop_space"))
            changes.append((m.end(), m.end(), "\n", "glue", "restore_break"))
            glued.add(m.start())
        for m in _SPACE_BEFORE.finditer(noisy):
            if m.start() not in glued:
                changes.append((m.start(), m.end(), "", "punct_space", "drop_space"))
        for m in _QUOTE_SPACE.finditer(noisy):
            changes.append((m.start(), m.end(), "", "quote_space", "drop_space"))
        for m in _DOCNUM.finditer(noisy):
            changes.append((m.start(), m.end(), f"{m[1]}-{m[2]}/{m[3].replace(' / ', '/')}", "docnum",
                            "docnum_join"))
        for expansion, pattern, abbreviation in self.expansions:
            for m in pattern.finditer(noisy) if expansion in noisy else ():
                changes.append((m.start(), m.end(), abbreviation, "abbreviation", f"abbreviations:{abbreviation}"))
        return realise(noisy, _first_wins(changes + lexical))

    def _lexical(self, noisy: str) -> list[tuple]:
        low = noisy.lower()
        out = []
        for last, (length, key) in self.automaton.iter_long(low):
            start, end = last - length + 1, last + 1
            if not bounded(low, start, end):
                continue
            left = syllables(noisy[max(0, start - 40) : start])[-2:]
            right = syllables(noisy[end : end + 40])[:2]
            keep = self.lm.score([*left, *self.words[key], *right], len(left))
            best, best_score = None, keep + self.margin
            for source, rule in self.sources[key]:
                s = self.lm.score([*left, *self.words[source], *right], len(left))
                if s > best_score:
                    best, best_score = (source, rule), s
            if best:
                source, rule = best
                if noisy[start].isupper():
                    source = source[0].upper() + source[1:]
                out.append((start, end, source, "lexical", rule))
        return out


def _first_wins(changes: list[tuple]) -> list[tuple]:
    """Drop each change that clashes with one listed before it: two rules may claim the same span (the space in
    "“ ." is both a space before a full stop and a space inside a quote), and realise() refuses overlaps."""
    kept: list[tuple] = []
    for c in changes:
        if not any(_clash(c[0], c[1], k[0], k[1]) for k in kept):
            kept.append(c)
    return kept


def _clash(a: int, b: int, x: int, y: int) -> bool:
    """Do [a, b) and [x, y) overlap as realise() sees it? An empty span is an insertion, which only clashes with a
    span around it."""
    if a < b and x < y:
        return a < y and x < b
    if a == b and x < y:
        return x < a < y
    if x == y and a < b:
        return a < x < b
    return False


_LOADED: dict[tuple[str | None, str | None], Restorer] = {}


def load_restorer(lm_path: str | None, lexicon_path: str | None = None) -> Restorer:
    """The restorer with the language model at lm_path (None: without one), loaded once per process, and the
    lexicon at lexicon_path; by default the lexicon its build kept beside the model (lexicon.jsonl.gz), or the
    toolkit's own when there is none (no model, or a build older than recipe lexicons). The build's detector
    beside the model, when there is one, decides what is spun (its lexicon evidence from lexicon_path if given)."""
    from pathlib import Path

    from corpus.spin.lexicon_files import COMPILED, read_compiled

    from corpus.despin.detector import WEIGHTS_FILE, load_detector

    if (lm_path, lexicon_path) not in _LOADED:
        beside = Path(lm_path).with_name(COMPILED) if lm_path else None
        path = lexicon_path or (str(beside) if beside and beside.is_file() else None)
        folder = Path(lm_path).parent if lm_path else None
        judge = load_detector(str(folder), lexicon_path) if folder and (folder / WEIGHTS_FILE).is_file() else None
        _LOADED[lm_path, lexicon_path] = Restorer(NgramModel.load(Path(lm_path)) if lm_path else None,
                                                  read_compiled(Path(path)) if path else None, judge=judge)
        while len(_LOADED) > 4:  # the last four (a model can be hundreds of MB; a test session loads many)
            del _LOADED[next(iter(_LOADED))]
    return _LOADED[lm_path, lexicon_path]
