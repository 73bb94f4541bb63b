import unicodedata

import pytest

from corpus.text.normalize import normalize, place_tone
from tests.conftest import SEED


@pytest.mark.parametrize("word,old,new", [
    ("hoà", "hòa", "hoà"), ("hòa", "hòa", "hoà"), ("khoẻ", "khỏe", "khoẻ"), ("thuỷ", "thủy", "thuỷ"),
    ("Hoá", "Hóa", "Hoá"), ("HOÀ", "HÒA", "HOÀ"), ("loè", "lòe", "loè"),
])
def test_tone_policy_moves_marks_in_open_oa_oe_uy_syllables(word, old, new):
    assert place_tone(word, "old") == old
    assert place_tone(word, "new") == new
    assert place_tone(word, "keep") == word


@pytest.mark.parametrize("word", ["hoàng", "khoảng", "huỳnh", "quý", "quỳ", "thuở", "khuya", "tuyết", "người"])
def test_tone_policy_leaves_unambiguous_syllables_alone(word):
    assert place_tone(word, "old") == word
    assert place_tone(word, "new") == word


def test_nfd_and_nfc_seed_normalise_to_the_same_text():
    text = SEED.read_text(encoding="utf-8")
    nfd = unicodedata.normalize("NFD", text)
    assert nfd != text
    assert normalize(nfd) == normalize(text)
    assert unicodedata.is_normalized("NFC", normalize(nfd))


def test_normalisation_is_idempotent_and_keeps_spinner_artifacts():
    text = SEED.read_text(encoding="utf-8")
    once = normalize(text)
    assert normalize(once) == once
    # the space before the full stop is evidence of spinning: it must survive normalisation
    assert "cá thể .Đối với MTTQVN" in once
    assert "cho biết : Sau 15 năm" in once


def test_whitespace_is_tidied_but_line_breaks_kept():
    messy = "Cộng\u00a0hòa  xã\thội\u200b chủ nghĩa \r\nViệt Nam \rĐộc lập"
    assert normalize(messy) == "Cộng hòa xã hội chủ nghĩa\nViệt Nam\nĐộc lập"
