"""Fuzzing (hypothesis) of every text stage on random Unicode and on random Vietnamese syllables.

The syllables are built from onsets, vowel nuclei, codas and the five tone marks, with the tone on either vowel
(old and new placement) and written NFC, NFD or as Windows-1258 does it (precomposed vowel, combining tone);
junk that real inputs carry (zero-width characters, NBSP, Ð, deprecated tone marks, CR, stray combining marks,
HTML) is mixed in. Stages must never raise; edits must be exact; normalisation must be idempotent and NFC.
"""

import random
import unicodedata
from functools import lru_cache

from hypothesis import event, given, settings
from hypothesis import strategies as st

from corpus.readers import Skip
from corpus.readers.markup import to_text
from corpus.readers.text import decode
from corpus.despin.detect import THRESHOLD, detect
from corpus.spin.edits import apply, check
from corpus.despin.lm import NgramModel
from corpus.spin.noise import NoiseSettings, spin
from corpus.despin.restore import Restorer
from corpus.text.normalize import TONE_POLICIES, TONES, normalize
from corpus.text.segment import BODY, segment
from tests.conftest import SEED

ONSETS = ["", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh", "nh", "ph",
          "qu", "r", "s", "t", "th", "tr", "v", "x"]
NUCLEI = ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "oa", "oă", "oe", "uy", "uê", "ia", "iê",
          "yê", "ua", "uô", "ưa", "ươ", "uya", "uyê", "oo"]
CODAS = ["", "", "c", "ch", "m", "n", "ng", "nh", "p", "t", "i", "o", "u", "y"]
JUNK = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u00ad", "\u00a0", "\u202f", "\t", "\r\n", "\r", "\n\n",
        "\u2028", "\u0340", "\u0341", "\u0301", "Ð", "ð", "&nbsp;", "<p>", "</p>", "<br>", "&amp;", " < ", "\x07"]
PUNCT = [" ", " ", " ", " ", ", ", ". ", " .", "; ", ": ", "? ", " “", "” ", "\n", " 15-NQ/TW ", " 2024 ",
         " UBND ", " (", ") ", " – "]
WORDS = ["các", "tổ chức", "hiệu quả", "một số", "tòa án", "Các", "phục vụ", "xây dựng", "Chủ tịch", "nhân dân",
         "Quốc hội", "https://chinhphu.vn/a.htm"]
SETTINGS = st.builds(NoiseSettings, paragraph_rate=st.just(1.0), substitution_rate=st.floats(0, 1),
                     inner_stop_space_rate=st.floats(0, 1), comma_space_rate=st.floats(0, 1),
                     quote_space_rate=st.floats(0, 1), glue_rate=st.floats(0, 1))


@st.composite
def syllable(draw) -> str:
    onset, nucleus, coda = draw(st.sampled_from(ONSETS)), draw(st.sampled_from(NUCLEI)), draw(st.sampled_from(CODAS))
    tone = draw(st.sampled_from(["", "", *TONES]))
    base = onset + nucleus + coda  # vowel-quality marks precomposed, as typed
    at = len(onset) + draw(st.integers(0, len(nucleus) - 1)) + 1  # the tone after the first or a later vowel
    word = base[:at] + tone + base[at:]  # as Windows-1258 writes it: precomposed vowel, combining tone
    form = draw(st.sampled_from(["NFC", "NFD", "cp1258"]))
    if form != "cp1258":
        word = unicodedata.normalize(form, word)
    case = draw(st.sampled_from(["lower", "lower", "capital", "upper"]))
    return word.capitalize() if case == "capital" else word.upper() if case == "upper" else word


# a stray combining mark right after a word: a second tone, or a mark that composes with the last letter
STRAY = ["", "", "", "", "", "", "\u0301", "\u0323", "\u0309", "\u0302", "\u031b", "\u0306", "\u0300\u0300"]
vietnamese = st.lists(st.tuples(st.one_of(syllable(), syllable(), st.sampled_from(WORDS)), st.sampled_from(STRAY),
                                st.sampled_from(PUNCT), st.sampled_from(["", "", "", "", *JUNK])),
                      min_size=1, max_size=50).map(lambda parts: "".join(w + m + p + j for w, m, p, j in parts))
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
texts = st.one_of(vietnamese, vietnamese, any_text)


@lru_cache(maxsize=1)
def restorer() -> Restorer:
    lines = [p for kind, p in segment(normalize(SEED.read_text(encoding="utf-8"))) if kind == BODY]
    return Restorer(NgramModel.train(lines))


@settings(max_examples=400, deadline=None)
@given(text=texts, policy=st.sampled_from(TONE_POLICIES))
def test_normalise_is_idempotent_nfc_and_clean(text, policy):
    once = normalize(text, policy)
    assert normalize(once, policy) == once
    assert unicodedata.is_normalized("NFC", once)
    assert not set(once) & set("\r\u200b\u200c\u200d\ufeff\u00a0\u00ad\u2028\u0340\u0341Ðð\t")
    assert all(line == line.strip() and "  " not in line for line in once.split("\n"))


@settings(max_examples=300, deadline=None)
@given(text=texts)
def test_segment_keeps_every_visible_character_in_order(text):
    clean = normalize(text)
    parts = segment(clean)
    assert all(kind in ("body", "heading", "boilerplate") and part and "\n" not in part for kind, part in parts)
    assert "".join("".join(p.split()) for _, p in parts) == "".join(clean.split())


@settings(max_examples=300, deadline=None)
@given(text=texts)
def test_detect_labels_and_scores_any_paragraph(text):
    for _, paragraph in segment(normalize(text)):
        d = detect(paragraph)
        assert d.label in ("boilerplate", "clean", "spun") and 0 <= d.score <= 1
        assert d.label == "boilerplate" or (d.label == "spun") == (d.score >= THRESHOLD)


@settings(max_examples=300, deadline=None)
@given(text=texts, seed=st.integers(0, 2**32), noise=SETTINGS, title=st.booleans())
def test_spin_edits_are_exact_and_the_noisy_side_is_nfc(text, seed, noise, title):
    clean = normalize(text)
    noisy, edits = spin(clean, random.Random(seed), noise, title="Dịch Vụ Sửa Chữa Tại Hà Nội" if title else None)
    assert apply(clean, edits) == noisy
    assert check(clean, noisy, edits) is None
    assert unicodedata.is_normalized("NFC", noisy)


@settings(max_examples=200, deadline=None)
@given(text=texts, seed=st.integers(0, 2**32), force=st.booleans())
def test_restore_edits_are_exact_on_spun_and_random_text(text, seed, force):
    noisy, _ = spin(normalize(text), random.Random(seed))
    restored, edits = restorer().restore(noisy, force=force)
    assert apply(noisy, edits) == restored
    assert check(noisy, restored, edits) is None
    assert unicodedata.is_normalized("NFC", restored)


@settings(max_examples=300, deadline=None)
@given(text=texts)
def test_markup_to_text_never_raises_and_keeps_plain_text(text):
    out = to_text(text)
    assert isinstance(out, str)
    if "<" not in text and "&" not in text:
        assert out == text


@settings(max_examples=300, deadline=None)
@given(data=st.one_of(st.binary(max_size=400), texts.map(lambda t: t.encode("utf-8", "surrogatepass")),
                      st.tuples(st.sampled_from([b"\x1f\x8b", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf"]),
                                st.binary(max_size=200)).map(b"".join)))
def test_decode_returns_text_or_a_skip_for_any_bytes(data):
    out = decode(data, "tep.txt", "nguon")
    assert isinstance(out, str | Skip)
    if isinstance(out, Skip):
        assert out.where.startswith("tep.txt") and out.reason


PIECES = ["{", "}", "|", " => ", "*2", "*0", "*9999", "#", "//", " curated", " guessed", " external:x", "  ", "-",
          "19", "\u0301", "\ufeff", "\x00", "\u2028", "\t"]
member = st.lists(st.one_of(syllable(), syllable(), st.sampled_from(WORDS)), min_size=1, max_size=3).map(" ".join)


@st.composite
def dictionary_line(draw) -> str:
    """A group line as real dictionaries have them, often damaged: braces or not, a direction, weights,
    provenance, comments, and junk pieces anywhere."""
    members = draw(st.lists(st.one_of(member, member, member, st.sampled_from(PIECES)), max_size=8))
    body = "|".join(members)
    if draw(st.booleans()):
        body = body.replace("|", " => ", 1)
    line = draw(st.sampled_from(["{%s}", "{%s} curated", "%s", "{%s", "%s}", "# %s", "{%s}  # note"])) % body
    junk = draw(st.lists(st.tuples(st.integers(0, len(line)), st.sampled_from(PIECES)), max_size=2))
    for at, piece in junk:
        line = line[:at] + piece + line[at:]
    return line


dictionary_lines = st.lists(dictionary_line(), max_size=30).map(lambda lines: ["\r\n".join(lines)])


@settings(max_examples=200, deadline=None)
@given(parts=dictionary_lines, encoding=st.sampled_from(["utf-8", "utf-16", "utf-16-le", "cp1258"]),
       policy=st.sampled_from(TONE_POLICIES), seed=st.integers(0, 2**32), text=texts)
def test_any_dictionary_file_loads_or_is_refused_and_spins_exactly(parts, encoding, policy, seed, text):
    """A dictionary file of any shape either loads (bad lines skipped and counted) or is refused with a
    LexiconError naming it; what loads keeps the invariants the spinner and the de-spinner rely on."""
    import tempfile
    from pathlib import Path

    from corpus.config.recipe import resolve_inputs
    from corpus.spin.lexicon import MAX_SYLLABLES, LexiconError
    from corpus.spin.lexicon_files import MAX_MEMBERS, LexiconSpec, load_lexicons

    data = "".join(parts).encode(encoding, errors="replace")
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "d.txt").write_bytes(data)
        spec = LexiconSpec("fuzz", ("d.txt",), license="t", inputs=tuple(resolve_inputs("d.txt", Path(folder))))
        try:
            loaded = load_lexicons((spec,), policy)
        except LexiconError as e:
            assert "d.txt" in str(e) or "'fuzz'" in str(e)
            event("refused")
            return
    event(f"loaded, {'some' if loaded.lexicon.groups else 'no'} groups")
    lexicon, seen = loaded.lexicon, set()
    for g in lexicon.groups:
        assert g.rule.startswith("fuzz/d.txt:") and len(g.targets) <= MAX_MEMBERS and len(g.weights) == len(g.targets)
        for member in (*g.sources, *g.targets):
            assert member == member.strip() and "  " not in member and "|" not in member and "{" not in member
            assert unicodedata.is_normalized("NFC", member) and normalize(member, policy) == member
        assert all(s.count(" ") < MAX_SYLLABLES and s.lower() not in seen for s in g.sources)
        seen.update(s.lower() for s in g.sources)
    clean = normalize(text, policy)
    noisy, edits = spin(clean, random.Random(seed), NoiseSettings(substitution_rate=1.0), lexicon)
    assert apply(clean, edits) == noisy and unicodedata.is_normalized("NFC", noisy)
    restored, back = Restorer(None, lexicon).restore(noisy, force=True)
    assert apply(noisy, back) == restored
