"""Lexicon groups learned from aligned (clean, noisy) pairs: candidates for a person to review
(`corpus lexicon learn`), and the lexicon a build learns from its mined pairs.

Both sides are cut into words with underthesea (token normalisation off, so words stay substrings of the
text) and aligned with difflib: aligning syllables instead would turn "hiệu quả → hiệu suất cao" into
"quả → suất cao". A replaced block becomes {clean => noisy}; an inserted block becomes an expansion of the
word before it ("tổ chức" => "tổ chức triển khai"), the commonest shape of this spinner's dictionary.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher

from corpus.spin.lexicon import MAX_SYLLABLES
from corpus.text.tokens import NUMBER_WORDS

_TOKEN = re.compile(r"[^\W_]")
_DIGITS = re.compile(r"\d")
_PHRASE = re.compile(r"[^\W_]+( [^\W_]+)*")


def substitutions(pairs: list[tuple[str, str]]) -> list[list[tuple[str, str, bool]]]:
    """For each (clean, noisy) pair, its aligned substitutions: (clean phrase, noisy phrase, whether the clean
    phrase holds a capitalised word that does not open the paragraph, a name), lower-cased phrases."""
    from underthesea import word_tokenize

    def words(text: str) -> list[str]:
        return [w for w in word_tokenize(text, use_token_normalize=False) if _TOKEN.search(w)]

    out = []
    for clean, noisy in pairs:
        cased = words(clean)
        a, b = [w.lower() for w in cased], [w.lower() for w in words(noisy)]
        found = []
        for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if op == "replace":
                old, new, span = a[i1:i2], b[j1:j2], range(i1, i2)
            elif op == "insert" and i1 > 0:
                old, new, span = a[i1 - 1 : i1], a[i1 - 1 : i1] + b[j1:j2], range(i1 - 1, i1)
            else:
                continue
            name = any(cased[i][:1].isupper() for i in span if i > 0)
            found.append((" ".join(old), " ".join(new), name))
        out.append(found)
    return out


def candidate_groups(pairs: list[tuple[str, str]]) -> list[tuple[str, str, int]]:
    """(clean phrase, noisy phrase, count), most frequent first."""
    counts: Counter = Counter((old, new) for found in substitutions(pairs) for old, new, _ in found)
    out = []
    for (old, new), n in counts.items():
        if old and new and old != new and all(len(p.split()) <= MAX_SYLLABLES + 1 for p in (old, new)):
            out.append((old, new, n))
    return sorted(out, key=lambda t: (-t[2], t[0], t[1]))


@dataclass(frozen=True)
class CountSubstitutions:
    """Row-local: the learnable substitutions of a chunk of mined (id, clean, noisy) pairs, counted, with the
    first example of each: {(old, new): [count, example id]}. Kept: at most MAX_SYLLABLES syllables to match,
    no names (a capitalised word inside a sentence), no digits except for number words ("hai" -> "2"),
    letters and digits only."""

    def __call__(self, chunk: list[tuple[str, str, str]]) -> dict[tuple[str, str], list]:
        out: dict[tuple[str, str], list] = {}
        for (row_id, _, _), found in zip(chunk, substitutions([(c, n) for _, c, n in chunk])):
            for old, new, name in found:
                digits = _DIGITS.search(old) or (_DIGITS.search(new) and not NUMBER_WORDS.intersection(old.split()))
                if name or digits or old == new or not (_PHRASE.fullmatch(old) and _PHRASE.fullmatch(new)):
                    continue
                if len(old.split()) > MAX_SYLLABLES or len(new.split()) > MAX_SYLLABLES + 1:
                    continue
                out.setdefault((old, new), [0, row_id])[0] += 1
        return out


def learned_lexicon(counted: list[dict[tuple[str, str], list]], min_count: int = 2) -> list[str]:
    """Lines of a lexicon file (provenance `mined`) from the chunks' counts, added up in order: each source
    phrase seen at least `min_count` times with what it became, weighted by how often, and an example row."""
    counts: dict[tuple[str, str], list] = {}
    for chunk in counted:
        for key, (n, example) in chunk.items():
            counts.setdefault(key, [0, example])[0] += n
    by_source: dict[str, list[tuple[str, int, str]]] = {}
    for (old, new), (n, example) in sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0])):
        if n >= min_count:
            by_source.setdefault(old, []).append((new, n, example))
    lines = []
    for old, outputs in sorted(by_source.items(), key=lambda kv: (-sum(o[1] for o in kv[1]), kv[0])):
        written = "|".join(f"{new}*{min(n, 999)}" if len(outputs) > 1 else new for new, n, _ in outputs)
        lines.append(f"{{{old} => {written}}} mined  # seen {sum(o[1] for o in outputs)}x, e.g. {outputs[0][2]}")
    return lines


def as_lexicon_line(old: str, new: str, count: int) -> str:
    """A line of a learned lexicon file, which a recipe can list ([[lexicons]]); the count is a comment."""
    return f"{{{old} => {new}}} learned  # seen {count}x"
