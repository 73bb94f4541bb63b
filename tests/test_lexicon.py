import random
import re
import unicodedata

import pytest

from corpus.spin.lexicon import Lexicon, LexiconError, default_lexicon, parse_group, read_groups
from corpus.spin.noise import NoiseSettings, spin
from corpus.text.normalize import normalize_tones
from tests.conftest import ROOT, SHARED

LEXICON_DIR = ROOT / "corpus" / "data" / "lexicon"
OBSERVATIONS = SHARED / "docs" / "spinner-observations.md"


def attested_substitutions() -> list[tuple[str, str]]:
    """(original, spun) pairs listed under "Dictionary entries seen" in the observations document."""
    text = OBSERVATIONS.read_text(encoding="utf-8")
    section = text.split("## Dictionary entries seen", 1)[1].split("\n", 1)[1].split("\n\n")[0]
    pairs = []
    for entry in section.replace("\n", " ").split(" · "):
        original, _, outputs = entry.partition(" → ")
        for out in re.split(r"\s*/\s*|,\s*", outputs):
            pairs.append((original.strip(), re.sub(r"\s*\(\d+(/\d+)?\)", "", out).strip()))
    return pairs


def test_every_substitution_seen_in_the_seed_is_in_the_lexicon():
    if not OBSERVATIONS.exists():
        pytest.skip("observations document not present")
    lexicon = default_lexicon()
    pairs = attested_substitutions()
    assert len(pairs) > 55
    missing = []
    for original, spun in pairs:
        if original in ("một số", "UBND"):  # number words and abbreviations have their own operations
            continue
        group = lexicon.by_source.get(original.lower())
        if group is None or spun not in group.choices(original)[0]:
            missing.append(f"{original} → {spun}")
    assert not missing


@pytest.mark.parametrize("path", sorted(LEXICON_DIR.glob("*.txt")), ids=lambda p: p.name)
def test_lexicon_files_follow_the_rules(path):
    groups = read_groups(path)  # raises on format, NFC, letters-only, syllable limits, repeats
    assert groups
    for g in groups:
        for member in g.sources + g.targets:
            assert unicodedata.is_normalized("NFC", member)
            assert normalize_tones(member, "old") == member, f"{path.name}:{g.line} {member!r} breaks the tone policy"
            assert re.fullmatch(r"[^\W\d_]+( [^\W\d_]+)*", member)
        assert all(t.lower() not in {s.lower() for s in g.sources} or not g.directed for t in g.targets)
        assert g.provenance in ("seed", "curated", "learned")


def test_all_files_load_together_without_a_phrase_in_two_groups():
    lexicon = default_lexicon()
    assert len(lexicon) >= 52
    assert {g.provenance for g in lexicon.groups} >= {"seed"}


@pytest.mark.parametrize("line,message", [
    ("{tổ chức => } seed", "empty member"),
    ("{hiệu quả|hiệu quả} curated", "repeated"),
    ("{hòa bình|yên bình} guessed", "provenance"),
    ("{một hai ba bốn năm sáu|khác} curated", "more than 5 syllables"),
    ("{15-NQ/TW|nghị quyết} curated", "letters"),
    ("tổ chức => tổ chức triển khai seed", "expected"),
    ("{ho\u0300a|hòa bình} curated", "NFC"),
])
def test_bad_lines_are_rejected_with_file_and_line(line, message):
    with pytest.raises(LexiconError, match=message) as err:
        parse_group(line, "news", 7)
    assert "news.txt line 7" in str(err.value)


def test_matching_is_longest_first_case_insensitive_and_syllable_bounded():
    lex = Lexicon([parse_group("{tòa án => tòa án nhân dân} seed", "t", 1),
                   parse_group("{quyết định => quyết định hành động} seed", "t", 2),
                   parse_group("{quyết định các vấn đề => giải quyết} curated", "t", 3),
                   parse_group("{các => những} seed", "t", 4)])
    text = "Tòa án nhân dân quyết định các vấn đề, quyết định các việc; cáchs và tòa ánh"
    found = [(text[a:b], g.line) for a, b, g in lex.finditer(text)]
    assert found == [("Tòa án", 1), ("quyết định các vấn đề", 3), ("quyết định", 2), ("các", 4)]


def test_a_phrase_in_two_groups_is_refused():
    with pytest.raises(LexiconError, match="already a source"):
        Lexicon([parse_group("{hiệu quả => hiệu suất cao} seed", "a", 1),
                 parse_group("{hiệu quả|hữu hiệu} curated", "b", 9)])


def test_a_match_followed_by_a_combining_mark_is_not_a_whole_syllable():
    """Found by tests/test_fuzz.py: "tổ chức" + U+0323 was spun to "triển khai" + U+0323, which NFC turns into
    "khaị": the noisy side was no longer NFC. The same for an abbreviation ("UBND" + U+0301 -> "... Dâń")."""
    text = "Các tổ chức\u0323 và UBND\u0301 tỉnh đã họp."
    assert unicodedata.is_normalized("NFC", text)
    assert "tổ chức" not in [key for _, _, key in default_lexicon().matches(text)]
    for seed in range(20):
        noisy, _ = spin(text, random.Random(seed), NoiseSettings(substitution_rate=1.0))
        assert unicodedata.is_normalized("NFC", noisy) and "tổ chức\u0323" in noisy and "UBND\u0301" in noisy
