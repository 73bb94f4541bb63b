import unicodedata

import pytest

from corpus.text.normalize import normalize, place_tone
from tests.conftest import SEED, SHARED


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


@pytest.mark.parametrize("raw,clean", [
    ("Quốc\u00a0hội\u202fđã thông\u3000qua", "Quốc hội đã thông qua"),  # NBSP, narrow NBSP, ideographic space
    ("Chí\u200bnh phủ\u200c ban\u200d hành\ufeff nghị đị\u00adnh", "Chính phủ ban hành nghị định"),  # zero-width
    ("Thu\u200b\u0309 tướng", "Thủ tướng"),  # a zero-width space between a letter and its tone mark
    ("Ðảng ủy và ðoàn thanh niên", "Đảng ủy và đoàn thanh niên"),  # Icelandic eth for Đ/đ
    ("Ha\u0340 Nô\u0323i đa\u0341nh gia\u0341", "Hà Nội đánh giá"),  # deprecated tone marks U+0340/U+0341
    ("Viê\u0323t Nam", "Việt Nam"),  # Windows-1258 style: precomposed ê, combining dot below
    ("Điều 1.\r\nPhạm vi\rđiều chỉnh\u2028của luật\u2029Đối tượng",
     "Điều 1.\nPhạm vi\nđiều chỉnh\ncủa luật\n\nĐối tượng"),  # CRLF, CR, line and paragraph separators
    ("Bão\x07 số ba\x1b đổ bộ", "Bão số ba đổ bộ"),  # control characters
])
def test_repairs_of_text_copied_from_the_web_and_old_editors(raw, clean):
    assert normalize(raw) == clean


def test_nfd_and_mixed_forms_give_the_nfc_text():
    nfc = "Thủ tướng Chính phủ chủ trì hội nghị trực tuyến với các địa phương."
    nfd = unicodedata.normalize("NFD", nfc)
    mixed = " ".join(unicodedata.normalize("NFD", w) if i % 2 else w for i, w in enumerate(nfc.split(" ")))
    assert len(nfd) > len(nfc) and nfd != mixed != nfc
    assert normalize(nfd) == normalize(mixed) == nfc


def _viwiki_texts(limit: int = 300) -> list[str]:
    import json

    from tests.conftest import VIWIKI

    if not VIWIKI.exists():
        pytest.skip(f"{VIWIKI} not present")
    with VIWIKI.open(encoding="utf-8") as f:
        return [json.loads(line)["text"] for line, _ in zip(f, range(limit))]


def test_space_runs_rewrite_exactly_what_the_plain_pattern_rewrites():
    """normalize collapses spaces with _SPACE_RUNS (it leaves a lone " " alone, 2x faster): the same text as
    _SPACES.sub on Wikipedia articles, the seed, and random strings of every space character and line breaks."""
    import random

    from corpus.text.normalize import _SPACE_RUNS, _SPACES

    texts = _viwiki_texts() + [SEED.read_text(encoding="utf-8")]
    rnd = random.Random(7)
    alphabet = " \t\u00a0\u1680\u2000\u2005\u200a\u202f\u205f\u3000\n\u200bxá."
    texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12))) for _ in range(20_000)]
    changed = 0
    for text in texts:
        expected = _SPACES.sub(" ", text)
        assert _SPACE_RUNS.sub(" ", text) == expected, repr(text)
        changed += expected != text
    assert changed > 10_000


def test_the_cased_tone_candidate_pattern_finds_what_the_case_insensitive_one_finds():
    """normalize_tones scans with _CANDIDATE_END_CASED, _CANDIDATE_END with its letter classes spelled out in both
    cases: each class holds exactly the code points (?i) matches it with (all of Unicode checked), and both
    patterns find the same spans in Wikipedia articles and in random strings of the letters that matter."""
    import random
    import re

    from corpus.text.normalize import _CANDIDATE_END, _CANDIDATE_END_CASED, _CASED_CLASSES, _TONED

    everything = "".join(map(chr, range(0x110000))).encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    lower = {"o_toned": _TONED[3], "ae": "ae", "o": "o", "ae_toned": _TONED[0] + _TONED[1], "u_toned": _TONED[4],
             "y": "y", "u": "u", "y_toned": _TONED[2]}
    for name, letters in lower.items():
        assert sorted(re.findall(f"(?i)[{letters}]", everything)) == sorted(_CASED_CLASSES[name]), name
    texts = [normalize(t, "keep") for t in _viwiki_texts()]
    rnd = random.Random(3)
    alphabet = "oOuUaAeEyYòÒóọỏõùÚủũụàÀáạèÈéỳýỵỹhqk \u0300\u0301\u0345\u03b9\u0399\u1fbe1_"
    texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 8))) for _ in range(50_000)]
    found = 0
    for text in texts:
        spans = [m.span() for m in _CANDIDATE_END.finditer(text)]
        assert [m.span() for m in _CANDIDATE_END_CASED.finditer(text)] == spans, repr(text)
        found += len(spans)
    assert found > 5_000


def _plain_normalize(text: str, tone_policy: str = "old") -> str:
    """normalize as first written: every rewrite applied to every document."""
    import unicodedata

    from corpus.text.normalize import _INVISIBLE, _LINE_ENDS, _SPACES, normalize_tones

    text = _LINE_ENDS.sub("\n", text.replace("\r\n", "\n")).replace("\u2029", "\n\n")
    text = _INVISIBLE.sub("", text).replace("\u00d0", "\u0110").replace("\u00f0", "\u0111")
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", text))
    return normalize_tones("\n".join(line.strip() for line in text.split("\n")), tone_policy)


def test_normalize_equals_the_plain_computation():
    """normalize skips the line-end rewrite for a text with none, the invisible and odd-space rewrites for a text
    with neither (one scan), and collapses "  " by str.replace when " " is its only space: the same text as every
    rewrite applied, on the laws, Wikipedia, the seed, and random strings of every line end, space character and
    invisible one (with and without the odd ones, the invisible ones alone, and spaces NFC turns into others)."""
    import random

    from corpus.text.normalize import normalize

    laws = sorted((SHARED / "corpora" / "vi-legal").glob("*.txt"))[:40]
    assert len(laws) == 40
    texts = _viwiki_texts() + [SEED.read_text(encoding="utf-8")] + [p.read_text(encoding="utf-8") for p in laws]
    rnd = random.Random(11)
    for alphabet in (" \t\u00a0\u1680\u2000\u2005\u200a\u202f\u205f\u3000\n\r\x0b\x0c\x85\u2028\u2029\u200bxá.\u0301",
                     "  \nxá.\u0301hoa\u0300", "   \n\u200b\u00ad\x07\ufeffxĐÐð.\u0301hoa\u0300",
                     "  \u2000\u2001\nx\u034fá\u0300o"):
        texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 14))) for _ in range(10_000)]
    for text in texts:
        for policy in ("old", "keep"):
            assert normalize(text, policy) == _plain_normalize(text, policy), repr(text[:200])


def test_nfc_makes_no_odd_space():
    """normalize looks for odd spaces before NFC: no character outside _ODD decomposes to one (all of Unicode), so
    NFC, which composes only what decomposes, makes none that was not there."""
    import unicodedata

    from corpus.text.normalize import _ODD, _ODD_SPACE

    for code in range(0x110000):
        c = chr(code)
        if not _ODD.match(c):
            for form in ("NFD", "NFC"):
                assert not _ODD_SPACE.search(unicodedata.normalize(form, c)), hex(code)
