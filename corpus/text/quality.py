"""Is a paragraph clean prose? Cheap checks for the clean side of a pair, and one repair.

A de-spinning model learns to write its clean side: list items and captions without a final mark, chemical
names and English book titles, or a spinner's " ;" left in a source would all be learned as the target.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from corpus.text.memo import Memo
from corpus.text.tokens import split_batch

_CLOSERS = " ”\"’)]»"
SENTENCE_END = frozenset(".!?…")
FINAL_MARKS = SENTENCE_END | frozenset(";:")  # a legal list item ends with ";", its lead-in with ":"

_TONE_MARKS = dict.fromkeys(map(ord, "\u0300\u0301\u0303\u0309\u0323"))
# A written Vietnamese syllable, tone marks removed: onset, one to three vowels, coda ("k" for Đắk Lắk).
_SYLLABLE = re.compile(r"(?:ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdđghklmnprstvx])?[aăâeêioôơuưy]{1,3}"
                       r"(?:ng|nh|ch|[cmnptk])?")
_WORD = re.compile(r"[^\W\d_]{2,}")  # single letters are list markers ("b)") or initials: no evidence either way
# A space a spinner's re-join leaves before ; : ! ? or a full stop that ends a clause ("hợp đồng ;", "2 . Ủy
# ban"); not before an ellipsis, a decimal, or after an opening bracket or another mark ("(tiếng Đức: ; ...").
_SPACED = re.compile(" [.;:!?]")  # a cheap test first: most paragraphs have none of them
_SPACED_MARK = re.compile(r"(?<=[\w%)\]”\"’']) +(?=[.;:!?](?:\s|$))")


def final_mark(text: str) -> str:
    """The paragraph's last character past closing quotes and brackets ("" for an empty one)."""
    return text.rstrip(_CLOSERS)[-1:]


def ends_sentence(text: str) -> bool:
    """Does it end a sentence? Only there a lost line break glues the next paragraph on ("cá thể .Đối với")."""
    return final_mark(text) in SENTENCE_END


def has_final_punct(text: str) -> bool:
    return final_mark(text) in FINAL_MARKS


def is_syllable(word: str) -> bool:
    """Spelled as a Vietnamese syllable? "người", "Đắk": yes; "Khmer", "methyl", "of": no ("the", "in" pass)."""
    bare = unicodedata.normalize("NFC", unicodedata.normalize("NFD", word.lower()).translate(_TONE_MARKS))
    return _SYLLABLE.fullmatch(bare) is not None


_SEEN = Memo(is_syllable, limit=1 << 18)  # word -> is_syllable: a few thousand syllables and the foreign words met


def _token_counts(token: str) -> int:
    """The words of a whitespace-separated token that vietnamese_share counts, and the syllables among them, as
    one number: counted << 32 | syllables."""
    words = [w for w in _WORD.findall(token) if not w.isupper()]
    return len(words) << 32 | sum(map(_SEEN.__getitem__, words))


# token ("người,", "(NATO)") -> _token_counts: a paragraph costs a str.split() and a dict look-up per token, not
# a regex match and a look-up per word. Whitespace is never part of a word, so a paragraph's words are its
# tokens' words, in order.
_TOKENS = Memo(_token_counts, limit=1 << 18)
_LOW = (1 << 32) - 1


def vietnamese_share(text: str) -> float:
    """Share of the words that are Vietnamese syllables; abbreviations (UBND, NATO) and single letters are not
    counted. A paragraph with no word to count scores 0: it is not prose.

    Prose scores above 0.9, lists of foreign names 0.6 to 0.8, bibliography entries and species names below 0.4.
    A dictionary look-up per whitespace-separated token (the words of a token counted once)."""
    both = sum(map(_TOKENS.__getitem__, text.split()))
    counted = both >> 32
    return (both & _LOW) / counted if counted else 0.0


def vietnamese_shares(texts) -> np.ndarray:
    """vietnamese_share of each text of a batch (a list of str or an Arrow string array): a look-up per distinct
    token of the batch, not per token."""
    bounds, distinct, codes = split_batch(texts)
    both = np.fromiter(map(_TOKENS.__getitem__, distinct), dtype=np.uint64, count=len(distinct))[codes]
    per_text = np.diff(np.concatenate([np.zeros(1, np.uint64), np.cumsum(both, dtype=np.uint64)])[bounds])
    counted, found = per_text >> np.uint64(32), per_text & np.uint64(_LOW)
    return np.where(counted > 0, found / np.maximum(counted, 1), 0.0)


def respace(text: str) -> str:
    """The spinner's space before a mark removed: "hợp đồng ;" -> "hợp đồng;". Nothing else changes."""
    return _SPACED_MARK.sub("", text) if _SPACED.search(text) else text
