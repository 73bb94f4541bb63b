"""What a syllable and a token are, defined once for every module that counts them (statistics, the language
model, the segmenter, evaluation, mining)."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SYLLABLE = re.compile(r"[^\W_]+")  # letters and digits: "Hà", "Nội", "2015"
# Syllables and punctuation marks as separate tokens: a mark glued to a syllable ("tỉnh.") must not make the
# syllable a different token. Whitespace is no token, so the spinner's re-spacing ("tỉnh .") is invisible here.
TOKEN = re.compile(r"[^\W_]+|[^\w\s]")
NUMBER_WORDS = frozenset("một hai ba bốn năm sáu bảy tám chín mười mươi trăm nghìn ngàn triệu tỷ tỉ lăm mốt tư "
                         "linh lẻ rưỡi".split())  # what a digit may stand for: "hai" -> "2" is spinning


def syllables(text: str) -> list[str]:
    return SYLLABLE.findall(text)


def tokens(text: str) -> list[str]:
    """Syllables and punctuation marks of `text`, case kept (a case change is a real edit)."""
    return TOKEN.findall(text)


# What str.split() splits at besides " " (str.isspace; tests/test_dedup.py checks it against all of Unicode)
WHITESPACE = "[\t-\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


def split_batch(texts, spaces_only: bool = False) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(bounds, distinct, codes): text i's str.split() tokens are distinct[codes[j]] for j in bounds[i]:bounds[i+1].
    For a list of str or an Arrow string array; Arrow splits and finds the distinct tokens, so a caller's
    per-token Python work (a memo look-up) is done once per distinct token of the batch. `spaces_only`: cut at
    " " alone, without the regex pass that turns other whitespace into it, for a caller whose per-token work
    looks inside a token anyway (a token keeping a tab or a line break is one more distinct token)."""
    array = texts if isinstance(texts, (pa.Array, pa.ChunkedArray)) else pa.array(texts, pa.large_string())
    if not spaces_only:
        array = pc.replace_substring_regex(array, WHITESPACE, " ")
    parts = pc.split_pattern(array, " ")  # "" tokens: harmless
    if isinstance(parts, pa.ChunkedArray):
        parts = parts.combine_chunks()
    coded = pc.dictionary_encode(parts.flatten())
    bounds = parts.offsets.to_numpy() - parts.offsets[0].as_py()
    return bounds, coded.dictionary.to_pylist(), coded.indices.to_numpy(zero_copy_only=False)
