"""What a syllable and a token are, defined once for every module that counts them (statistics, the language
model, the segmenter, evaluation, mining)."""

from __future__ import annotations

import re

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
