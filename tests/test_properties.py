"""Property tests (hypothesis) of the noise model on random Vietnamese syllable text and real paragraphs."""

import random
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.spin.edits import apply, as_dict, check
from corpus.spin.noise import NoiseSettings, spin
from corpus.text.normalize import normalize
from tests.conftest import SEED

ONSETS = ["", "b", "c", "ch", "d", "đ", "g", "gi", "h", "kh", "l", "m", "n", "ng", "nh", "ph", "qu", "s", "t",
          "th", "tr", "v", "x"]
RIMES = ["a", "à", "á", "ả", "ã", "ạ", "an", "ân", "ấp", "ăng", "anh", "ác", "oa", "oà", "oá", "oe", "oẻ", "uy", "uỷ",
         "uý", "ương", "ước", "iêu", "ổ", "ức", "ông", "ục", "ơi", "ưa", "ệ", "ìn", "ỉnh", "ọt", "uyên", "oàng"]
PUNCT = [" ", " ", " ", " ", ", ", ". ", "; ", ": ", " “", "” ", "\n", " 15-NQ/TW ", " 2007 ", " UBND "]
# Words of the lexicon, so that random text also hits substitutions, numbers and expansions.
LEXICON_WORDS = ["các", "tổ chức", "hiệu quả", "một số", "tòa án", "Các", "phục vụ", "xây dựng", "Chủ tịch"]

syllable = st.builds(lambda o, r, cap: (o + r).capitalize() if cap else o + r,
                     st.sampled_from(ONSETS), st.sampled_from(RIMES), st.booleans())
token = st.one_of(syllable, syllable, st.sampled_from(LEXICON_WORDS))
vietnamese = st.lists(st.tuples(token, st.sampled_from(PUNCT)), min_size=1, max_size=60).map(
    lambda parts: "".join(w + p for w, p in parts))
rates = st.builds(NoiseSettings, substitution_rate=st.floats(0, 1), inner_stop_space_rate=st.floats(0, 1),
                  comma_space_rate=st.floats(0, 1), quote_space_rate=st.floats(0, 1))

SEED_LINES = [line for line in normalize(SEED.read_text(encoding="utf-8")).split("\n") if line]


@settings(max_examples=300, deadline=None)
@given(text=vietnamese, seed=st.integers(0, 2**32), noise=rates)
def test_edits_are_exact_on_random_vietnamese(text, seed, noise):
    clean = normalize(text)
    noisy, edits = spin(clean, random.Random(seed), noise)
    assert apply(clean, edits) == noisy
    assert check(clean, noisy, edits) is None
    assert unicodedata.is_normalized("NFC", noisy)


@settings(max_examples=60, deadline=None)
@given(line=st.sampled_from(SEED_LINES), seed=st.integers(0, 2**32))
def test_same_seed_same_output_on_real_text(line, seed):
    assert spin(line, random.Random(seed)) == spin(line, random.Random(seed))


@settings(max_examples=200, deadline=None)
@given(before=vietnamese, after=vietnamese, seed=st.integers(0, 2**32))
def test_protected_spans_are_never_edited(before, after, seed):
    url, mail, number = "https://baochinhphu.vn/cac-to-chuc-1.htm", "to.chuc@mof.gov.vn", "530.698"
    clean = normalize(f"{before} {url} {after} {mail} và {number} đoàn")
    noisy, edits = spin(clean, random.Random(seed), NoiseSettings(substitution_rate=1.0, inner_stop_space_rate=1.0))
    for span in (url, mail, number):
        start = clean.index(span)
        assert not [e for e in map(as_dict, edits) if start < e["clean_end"] and e["clean_start"] < start + len(span)
                    or start < e["clean_start"] < start + len(span)]
        assert span in noisy


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=200) | vietnamese)
def test_normalisation_is_idempotent_and_nfc(text):
    once = normalize(text)
    assert normalize(once) == once
    assert unicodedata.is_normalized("NFC", once)
