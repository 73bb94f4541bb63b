"""Lexicons: the toolkit's own files, spintax dictionaries as spinners ship them, the overlap policy, matching."""

import gzip
import random
import re
import unicodedata

import pytest

from corpus.config.recipe import resolve_inputs
from corpus.spin.lexicon import LexiconError, default_lexicon
from corpus.spin.lexicon_files import (KINDS, PACKAGE, LexiconSpec, half_of, load_lexicons, package_files,
                                       read_compiled, write_compiled)
from corpus.spin.noise import NoiseSettings, spin
from corpus.despin.restore import Restorer
from corpus.text.normalize import normalize_tones
from tests.conftest import SHARED

OBSERVATIONS = SHARED / "docs" / "spinner-observations.md"


def lexicon_of(tmp_path, *files: tuple[str, bytes], tone_policy="old", name="dict", **spec):
    """Load files written under tmp_path as one lexicon, the way a recipe's [[lexicons]] entry does."""
    for file_name, data in files:
        (tmp_path / file_name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file_name).write_bytes(data)
    inputs = tuple(i for f, _ in files for i in resolve_inputs(f, tmp_path))
    spec = LexiconSpec(name, tuple(f for f, _ in files), license="test", inputs=inputs, **spec)
    return load_lexicons((spec,), tone_policy)


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


def test_the_toolkits_own_files_need_no_repair():
    """Our files are the reference: no bad line, no overlap, NFC and old-style tone marks, letters only (digits
    only in numbers.txt), every line carrying its provenance."""
    loaded = load_lexicons((PACKAGE,), "old")
    report = loaded.reports[0]
    assert {k: v for k, v in report["counts"].items() if v} == {"digits": 6}
    assert len(report["inputs"]) == len(package_files()) == 12 and report["groups"] == len(loaded.lexicon) >= 900
    assert set(report["by_provenance"]) == {"seed", "curated"}
    for f in package_files():
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip() and not line.startswith("#"):
                assert re.match(r"^\{[^{}]+\} (seed|curated|learned)\b", line), f"{f.name}:{n}"
    for g in loaded.lexicon.groups:
        for member in g.sources + g.targets:
            assert unicodedata.is_normalized("NFC", member) and normalize_tones(member, "old") == member
            assert re.fullmatch(r"[^\W\d_]+( [^\W\d_]+)*", member) or g.file == "numbers.txt", g.rule


def test_a_spintax_dictionary_as_spinners_ship_it(tmp_path):
    """UTF-16 with a BOM, CRLF, braces and bare lines, // and # comments, NFD and both tone styles, overlaps,
    a member repeated, one with punctuation, one too long, broken lines: every line is either a group or
    counted, and each bad line is reported with its file and line."""
    lines = ["// Từ điển spin, bản chia sẻ", "# nhóm chung", "",
             "{hồ nước|ao hồ|hồ chứa}",
             "hồ|hồ nước|đầm lầy",
             "{hiệu quả|hiệu suất cao|hữu hiệu|Hiệu quả}",
             "{xin chào}",
             "{covid-19|dịch bệnh|đại dịch}",
             "{một số|1 số|vài}",
             "{nhóm|{lồng|nhau}}",
             "{thiếu ngoặc|không đủ",
             unicodedata.normalize("NFD", "{hoà giải|hòa giải|thương lượng}"),
             "{người lao động|công nhân viên chức nhà nước trung ương}",
             "{||}",
             "{ quy định | qui định  |  điều lệ }",
             "{trường hợp|tình huống} learned",
             "{trách nhiệm|bổn phận} guessed",
             "tổ chức => tổ chức triển khai",
             "{đô thị|thành thị}" + "x" * 20_000,
             "|".join(f"từ {i}" for i in range(1, 500))]
    loaded = lexicon_of(tmp_path, ("dicts/spin.txt", "\r\n".join(lines).encode("utf-16")))
    report, lexicon = loaded.reports[0], loaded.lexicon
    counts = report["counts"]
    assert set(counts) == set(KINDS)
    assert counts["bad_line"] == 6 and [s.split(": ")[0] for s in report["skipped"]] == [
        "dict/spin.txt:10", "dict/spin.txt:11", "dict/spin.txt:17", "dict/spin.txt:18", "dict/spin.txt:19",
        "dict/spin.txt:20"]
    assert "provenance 'guessed'" in report["skipped"][2] and "20,0" in report["skipped"][4]
    assert "499 members: more than 64" in report["skipped"][5]
    assert counts["single_member"] == 2  # {xin chào}, {||}
    assert counts["repeated_member"] == 2  # Hiệu quả; hòa giải, once NFC and the tone policy make it hoà's twin
    assert counts["punctuation"] == 1 and counts["empty_member"] == 3 and counts["digits"] == 1
    assert counts["over_limit"] == 1 and counts["normalised_line"] == 1
    assert counts["shared_member"] == 1  # "hồ nước": line 4 matches it, line 5 may only write it
    assert lexicon.by_source["hồ nước"].line == 4 and lexicon.by_source["hồ"].line == 5
    assert "hồ nước" in lexicon.by_source["hồ"].targets
    assert lexicon.by_source["hòa giải"].targets == ("hòa giải", "thương lượng")
    assert lexicon.by_source["quy định"].targets == ("quy định", "qui định", "điều lệ")
    assert lexicon.by_source["trường hợp"].provenance == "learned"
    assert lexicon.by_source["dịch bệnh"].provenance == "external:dict"
    assert "người lao động" in lexicon.by_source and "công nhân viên chức nhà nước trung ương" not in lexicon.by_source
    assert report["groups"] == 9 and report["inputs"][0]["name"] == "dicts/spin.txt"
    # the de-spinner inverts every group a phrase is in: "hồ nước" may come from "ao hồ" or "hồ chứa" (line 4)
    # or from "hồ" and "đầm lầy" (line 5, which writes it)
    back = {s for s, _ in Restorer(None, lexicon).sources["hồ nước"]}
    assert back == {"ao hồ", "hồ chứa", "hồ", "đầm lầy"}


def windows_1258(text: str) -> bytes:
    """Text as Windows-1258 stores it: vowels with their shape marks precomposed (ư, â), tone marks combining."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for c in text:
        d = unicodedata.normalize("NFD", c)
        out.append(unicodedata.normalize("NFC", "".join(x for x in d if x not in tones)) +
                   "".join(x for x in d if x in tones))
    return "".join(out).encode("cp1258")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "gzip", "cp1258"])
def test_dictionary_encodings(tmp_path, encoding):
    text = "{thực hiện|triển khai|thi hành}\r\n{các|những|mọi}\r\n{cá nhân|cá thể}\r\n"
    data = (gzip.compress(text.encode()) if encoding == "gzip" else windows_1258(text) if encoding == "cp1258"
            else text.encode(encoding))
    lexicon = lexicon_of(tmp_path, ("d.txt", data)).lexicon
    assert set(lexicon.by_source) == {"thực hiện", "triển khai", "thi hành", "các", "những", "mọi", "cá nhân",
                                      "cá thể"}
    assert [g.line for g in lexicon.groups] == [1, 2, 3]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_and_without_common_words(tmp_path, codec):
    """A word list has few of the function words by which running text is recognised as Vietnamese."""
    text = "{thẩm định|kiểm định}\n{phê duyệt|chuẩn y}\n{quy hoạch|hoạch định}\n"
    lexicon = lexicon_of(tmp_path, ("d.txt", text.encode(codec))).lexicon
    assert set(lexicon.by_source) == {"thẩm định", "kiểm định", "phê duyệt", "chuẩn y", "quy hoạch", "hoạch định"}


@pytest.mark.parametrize("data,message", [
    (b"", "empty file"),
    (bytes(range(256)) * 64, "binary"),
    (b"# only comments\n\n// and nothing else\n", "no usable group"),
    ("{xin chào}\n{|}\n".encode(), "no usable group"),
    ("{tổ chức => }\n".encode(), "no usable group"),
])
def test_a_dictionary_with_nothing_usable_is_refused_with_its_name(tmp_path, data, message):
    with pytest.raises(LexiconError, match=message) as err:
        lexicon_of(tmp_path, ("broken.txt", data))
    assert "broken.txt" in str(err.value) or "'dict'" in str(err.value)


def test_rules_name_the_lexicon_file_and_line_and_files_with_one_name_stay_apart(tmp_path):
    loaded = lexicon_of(tmp_path, ("a/x.txt", "\n{cơ chế|chính sách}\n".encode()),
                        ("b/x.txt", "{bộ máy|cỗ máy}\n".encode()), name="two")
    assert [g.rule for g in loaded.lexicon.groups] == ["two/a/x.txt:2", "two/b/x.txt:1"]
    one = lexicon_of(tmp_path, ("only.txt", "{bộ máy|cỗ máy}\n".encode()), name="one")
    assert one.lexicon.groups[0].rule == "one/only.txt:1"
    assert default_lexicon().by_source["các"].rule == "package/seed.txt:7"


def test_first_group_wins_across_lexicons_and_weights_scale_the_rate(tmp_path):
    """Lexicons are read in recipe order: a phrase both know is matched by the first; a lexicon of weight 0 is
    never used for noise but is still known to the de-spinner."""
    (tmp_path / "ext.txt").write_text("{các|tất cả}\n{khẩn trương|gấp rút|hối hả}\n", encoding="utf-8")
    ext = LexiconSpec("ext", ("ext.txt",), license="test", inputs=tuple(resolve_inputs("ext.txt", tmp_path)))
    both = load_lexicons((PACKAGE, ext), "old")
    assert both.lexicon.by_source["các"].lexicon == "package"
    assert both.lexicon.by_source["khẩn trương"].lexicon == "ext"
    # both members of {các|tất cả} are matched by the toolkit's groups: absorbed, kept only as a way back
    assert both.reports[1]["counts"]["shared_member"] == 2 and both.reports[1]["counts"]["absorbed_group"] == 1
    assert ("các", "ext/ext.txt:1") in Restorer(None, both.lexicon).sources["tất cả"]
    first = load_lexicons((ext, PACKAGE), "old")
    assert first.lexicon.by_source["các"].rule == "ext/ext.txt:1"
    text = "Các cơ quan khẩn trương sửa các văn bản."
    settings = NoiseSettings(substitution_rate=1.0)
    muted = load_lexicons((PACKAGE, LexiconSpec("ext", ("ext.txt",), weight=0.0, license="t", inputs=ext.inputs)),
                          "old")
    for seed in range(10):
        _, edits = spin(text, random.Random(seed), settings, both.lexicon)
        assert any(e[5].startswith("ext/") for e in edits)
        _, edits = spin(text, random.Random(seed), settings, muted.lexicon)
        assert not any(e[5].startswith("ext/") for e in edits)
    assert "khẩn trương" in {s for s, _ in Restorer(None, muted.lexicon).sources["gấp rút"]}


def test_members_follow_the_recipes_tone_policy(tmp_path):
    """A recipe that writes "hoà" must have a lexicon that writes "hoà": members are normalised with the text."""
    loaded = lexicon_of(tmp_path, ("d.txt", "{hòa bình|thái bình}\n{sức khỏe|thể trạng}\n".encode()),
                        tone_policy="new")
    assert set(loaded.lexicon.by_source) == {"hoà bình", "thái bình", "sức khoẻ", "thể trạng"}
    old_style = [m for m in default_lexicon().by_source if normalize_tones(m, "new") != m]
    new_style = load_lexicons((PACKAGE,), "new").lexicon.by_source
    assert len(old_style) >= 10
    assert all(normalize_tones(m, "new") in new_style and m not in new_style for m in old_style)


def test_the_held_out_halves_split_the_groups_and_the_compiled_copy_is_exact(tmp_path):
    loaded = load_lexicons((PACKAGE,), "old")
    halves = {h: load_lexicons((PACKAGE,), "old", h).lexicon for h in "ab"}
    a, b = ({g.rule for g in halves[h].groups} for h in "ab")
    assert not a & b and a | b == {g.rule for g in loaded.lexicon.groups}
    assert 0.4 < len(a) / len(loaded.lexicon) < 0.6 and all(half_of(r) == "a" for r in a)
    write_compiled(loaded.lexicon, tmp_path / "l.jsonl.gz")
    again = read_compiled(tmp_path / "l.jsonl.gz")
    assert again.groups == loaded.lexicon.groups and again.options == loaded.lexicon.options
    write_compiled(again, tmp_path / "m.jsonl.gz")
    assert (tmp_path / "l.jsonl.gz").read_bytes() == (tmp_path / "m.jsonl.gz").read_bytes()
    (tmp_path / "bad.jsonl.gz").write_bytes(b"not gzip")
    with pytest.raises(LexiconError, match="not a lexicon written by a build"):
        read_compiled(tmp_path / "bad.jsonl.gz")


def test_matching_is_longest_first_case_insensitive_and_syllable_bounded(tmp_path):
    lex = lexicon_of(tmp_path, ("t.txt", "\n".join([
        "{tòa án => tòa án nhân dân} seed", "{quyết định => quyết định hành động} seed",
        "{quyết định các vấn đề => giải quyết} curated", "{các => những} seed"]).encode())).lexicon
    text = "Tòa án nhân dân quyết định các vấn đề, quyết định các việc; cáchs và tòa ánh"
    found = [(text[a:b], g.line) for a, b, g in lex.finditer(text)]
    assert found == [("Tòa án", 1), ("quyết định các vấn đề", 3), ("quyết định", 2), ("các", 4)]


def test_a_match_followed_by_a_combining_mark_is_not_a_whole_syllable():
    """Found by tests/test_fuzz.py: "tổ chức" + U+0323 was spun to "triển khai" + U+0323, which NFC turns into
    "khaị": the noisy side was no longer NFC. The same for an abbreviation ("UBND" + U+0301 -> "... Dâń")."""
    text = "Các tổ chức\u0323 và UBND\u0301 tỉnh đã họp."
    assert unicodedata.is_normalized("NFC", text)
    assert "tổ chức" not in [key for _, _, key in default_lexicon().matches(text)]
    for seed in range(20):
        noisy, _ = spin(text, random.Random(seed), NoiseSettings(substitution_rate=1.0))
        assert unicodedata.is_normalized("NFC", noisy) and "tổ chức\u0323" in noisy and "UBND\u0301" in noisy
