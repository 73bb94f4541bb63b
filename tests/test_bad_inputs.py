"""Over fifty damaged inputs, generated here and built by the CLI: each one is read right or skipped with a reason.

Every sample is real Vietnamese with diacritics. An input that is read must give exactly the paragraph a
person expects (written out by hand below); one that is not must be a counted, explained skip that names its
file (and line), in build.json, in rejects.parquet and on stderr. Never a traceback.
"""

import codecs
import gzip
import json
import os
import subprocess
import sys
import unicodedata

import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252, to make real mojibake)
import pyarrow.parquet as pq
import pytest

from corpus.text.normalize import TONES
from tests.conftest import ROOT, recipe_text

HUGE_LINE_BYTES = 50_000_000


def cli(*args):
    return subprocess.run([sys.executable, "-m", "corpus.cli", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows wrote it: vowel letters precomposed, tone marks combining."""
    out = []
    for ch in text:
        try:
            ch.encode("cp1258")
            out.append(ch)
        except UnicodeEncodeError:
            parts = nfd(ch)
            out.append(unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
                       + "".join(c for c in parts if c in TONES))
    return "".join(out).encode("cp1258")


# name -> (bytes written, paragraphs expected in the output). Text files of source "tep", under bad/.
READ = {
    "nfd.txt": (nfd("Thủ tướng Chính phủ yêu cầu các bộ khẩn trương hoàn thiện hồ sơ dự án.").encode(),
                ["Thủ tướng Chính phủ yêu cầu các bộ khẩn trương hoàn thiện hồ sơ dự án."]),
    "tron-lan.txt": ((nfd("Ủy ban nhân dân tỉnh Nghệ An") + " công bố quy hoạch vùng nguyên liệu mía đường.").encode(),
                     ["Ủy ban nhân dân tỉnh Nghệ An công bố quy hoạch vùng nguyên liệu mía đường."]),
    "cp1258.txt": (cp1258("Người dân của các xã ven sông Tiền và sông Hậu đã thu hoạch lúa sớm để tránh lũ."),
                   ["Người dân của các xã ven sông Tiền và sông Hậu đã thu hoạch lúa sớm để tránh lũ."]),
    "utf16-le.txt": ("Bộ Giáo dục và Đào tạo công bố phương án thi tốt nghiệp trung học phổ thông."
                     .encode("utf-16-le").join([codecs.BOM_UTF16_LE, b""]),
                     ["Bộ Giáo dục và Đào tạo công bố phương án thi tốt nghiệp trung học phổ thông."]),
    "utf16-be.txt": (codecs.BOM_UTF16_BE + "Giá xăng dầu trong nước giảm nhẹ từ ba giờ chiều nay."
                     .encode("utf-16-be"), ["Giá xăng dầu trong nước giảm nhẹ từ ba giờ chiều nay."]),
    "bom.txt": (codecs.BOM_UTF8 + "Ngân hàng Nhà nước điều chỉnh lãi suất điều hành.".encode(),
                ["Ngân hàng Nhà nước điều chỉnh lãi suất điều hành."]),
    "nen.txt.gz": (gzip.compress("Sân bay Long Thành sẽ đón chuyến bay đầu tiên vào cuối năm.".encode()),
                   ["Sân bay Long Thành sẽ đón chuyến bay đầu tiên vào cuối năm."]),
    "mojibake.txt": ("Học sinh Hà Nội được nghỉ học do rét đậm, rét hại kéo dài.".encode()
                     .decode("sloppy-windows-1252").encode(),
                     ["Học sinh Hà Nội được nghỉ học do rét đậm, rét hại kéo dài."]),
    "crlf.txt": ("Đoàn kiểm tra làm việc với tỉnh Quảng Ninh.\r\nCông tác phòng chống thiên tai được chú trọng.\r\n"
                 .encode(), ["Đoàn kiểm tra làm việc với tỉnh Quảng Ninh.",
                             "Công tác phòng chống thiên tai được chú trọng."]),
    "cr.txt": ("Thành phố Huế đón hơn một triệu lượt khách.\rDoanh thu du lịch tăng mạnh so với cùng kỳ.".encode(),
               ["Thành phố Huế đón hơn một triệu lượt khách.", "Doanh thu du lịch tăng mạnh so với cùng kỳ."]),
    "nbsp.txt": ("Quốc\u00a0hội đã\u202fbiểu quyết\u3000thông qua\t\tLuật  Thủ đô.".encode(),
                 ["Quốc hội đã biểu quyết thông qua Luật Thủ đô."]),
    "zero-width.txt": ("Chí\u200bnh phủ\u200c ban hành\u200d nghị định\ufeff mới về đấ\u00adt đai.".encode(),
                       ["Chính phủ ban hành nghị định mới về đất đai."]),
    "eth.txt": ("Ðại hội ðại biểu toàn quốc của Ðảng diễn ra tại Hà Nội.".encode(),
                ["Đại hội đại biểu toàn quốc của Đảng diễn ra tại Hà Nội."]),
    "dau-cu.txt": (nfd("Đánh giá kết quả thực hiện nhiệm vụ của năm.").replace("\u0301", "\u0341")
                   .replace("\u0300", "\u0340").encode(), ["Đánh giá kết quả thực hiện nhiệm vụ của năm."]),
    "tach-dau.txt": ("Thu\u200b\u0309 tướng dự lễ khánh thành cầu Mỹ Thuận.".encode(),
                     ["Thủ tướng dự lễ khánh thành cầu Mỹ Thuận."]),
    "utf16-khong-bom.txt": ("Các tỉnh miền núi phía Bắc và của vùng Tây Nguyên được hỗ trợ."
                            .encode("utf-16-le"), ["Các tỉnh miền núi phía Bắc và của vùng Tây Nguyên được hỗ trợ."]),
    "html.txt": (('<!DOCTYPE html><html><head><title>Tin</title><style>p{color:red}</style></head><body>'
                  '<h1>Luật Đất đai sửa đổi</h1><p>Quốc hội&nbsp;đã thông qua <b>Luật Đất đai</b> (sửa đổi) với '
                  'đa số phiếu tán thành.</p><script>var a = 1 < 2;</script><p>Chính phủ &amp; các bộ, ngành triển\n'
                  'khai thi hành luật&#8230;</p></body></html>').encode(),
                ["Quốc hội đã thông qua Luật Đất đai (sửa đổi) với đa số phiếu tán thành.",
                 "Chính phủ & các bộ, ngành triển khai thi hành luật…"]),
    "thuc-the.txt": ("Tổng cục Thống kê c&#244;ng bố chỉ số &quot;giá tiêu dùng&quot; tháng mười.".encode(),
                     ['Tổng cục Thống kê công bố chỉ số "giá tiêu dùng" tháng mười.']),
    "nho-hon.txt": ("Người lái xe có nồng độ cồn < 0,25 mg/l khí thở và > 0 vẫn bị xử phạt.".encode(),
                    ["Người lái xe có nồng độ cồn < 0,25 mg/l khí thở và > 0 vẫn bị xử phạt."]),
    "dieu-khien.txt": ("Bão số\x07 ba đổ bộ\x1b vào các tỉnh ven biển miền Trung.\x7f".encode(),
                       ["Bão số ba đổ bộ vào các tỉnh ven biển miền Trung."]),
    "phan-cach.txt": ("Lũ quét gây thiệt hại ở Lào Cai.\u2028Lực lượng cứu hộ tiếp cận hiện trường.\u2029"
                      "Nhiều hộ dân được di dời khẩn cấp.".encode(),
                      ["Lũ quét gây thiệt hại ở Lào Cai.", "Lực lượng cứu hộ tiếp cận hiện trường.",
                       "Nhiều hộ dân được di dời khẩn cấp."]),
    "dau-moi.txt": ("Ông ấy vẫn khoẻ mạnh và tham gia hoà giải ở nhà máy thuỷ điện.".encode(),
                    ["Ông ấy vẫn khỏe mạnh và tham gia hòa giải ở nhà máy thủy điện."]),
    "hong-mot-byte.txt": ("Giá vàng miếng tăng mạnh trong phiên sáng nay.\n".encode()
                          + "Nhà đầu tư".encode()[:-1] + " bán ra.\n".encode()
                          + "Thị trường chứng khoán giao dịch ổn định.\n".encode(),
                          ["Giá vàng miếng tăng mạnh trong phiên sáng nay.",
                           "Thị trường chứng khoán giao dịch ổn định."]),
}
# Lines skipped inside files that are otherwise read.
PARTIAL = {("tep", "bad/hong-mot-byte.txt:2"): "not UTF-8"}
# (file, where, reason fragment) of the inputs the build must skip, and what it makes of the rest.
SKIP = {
    "rong.txt": (b"", "bad/rong.txt", "empty file"),
    "trang.txt": (b" \n\t\r\n  ", "bad/trang.txt", "empty file"),
    "anh.png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "bad/anh.png", "binary file"),
    "tcvn3.txt": ("ViÖt Nam lµ mét quèc gia".encode("latin-1"), "bad/tcvn3.txt:1", "TCVN3 or VNI"),
    "vni.txt": ("Vieät Nam laø moät quoác gia ñoäc laäp".encode("latin-1"), "bad/vni.txt:1", "TCVN3 or VNI"),
    "hong.txt.gz": (gzip.compress("Hội nghị Trung ương bế mạc.".encode())[:-12], "bad/hong.txt.gz", "broken gzip"),
    "utf16-hong.txt": (codecs.BOM_UTF16_LE + "Hà Nội".encode("utf-16-le") + b"\x00\xd8\x41",
                       "bad/utf16-hong.txt", "broken UTF-16"),
    "chi-the.html": (b"<div><p></p><br/></div>", "bad/chi-the.html", "no text"),
    "vo-hinh.txt": ("\u200b\u200c\ufeff\u200b".encode(), "bad/vo-hinh.txt", "no text"),
}
# JSON Lines of source "dong": (line, paragraphs expected) or (line, where, reason fragment) for a skipped one.
JSONL_LINES = [
    ({"id": "a1", "noi_dung": "Tòa án nhân dân tối cao công bố án lệ mới về hợp đồng."},
     ["Tòa án nhân dân tối cao công bố án lệ mới về hợp đồng."]),
    ('{"id": "a2", "noi_dung": "Bộ Y tế khuyến cáo', "jsonl/bai.jsonl:2", "invalid JSON"),
    ({"id": "a3", "noi_dung": 2024}, "jsonl/bai.jsonl:3", "missing or not a string"),
    ({"id": "a4", "tieu_de": "Thiếu nội dung bài viết"}, "jsonl/bai.jsonl:4", "missing or not a string"),
    ({"id": "a5", "noi_dung": None}, "jsonl/bai.jsonl:5", "missing or not a string"),
    (["Hà Nội", "Đà Nẵng"], "jsonl/bai.jsonl:6", "not a JSON object"),
    ({"id": "a7", "noi_dung": ""}, "jsonl/bai.jsonl:7", "no text"),
    ({"id": "a8", "noi_dung": "<p>Hải quan&nbsp;Hải Phòng thu ngân sách vượt kế hoạch.</p>"},
     ["Hải quan Hải Phòng thu ngân sách vượt kế hoạch."]),
    ('{"id": "a9", "noi_dung": "Cảng Cát Lái \\ud800 quá tải"}', "jsonl/bai.jsonl:9", "lone surrogate"),
    ({"id": "a10", "noi_dung": nfd("Người dân Cà Mau nuôi tôm theo hướng sinh thái.") + "\r\n"},
     ["Người dân Cà Mau nuôi tôm theo hướng sinh thái."]),
    ({"id": "a11", "noi_dung": "Trường Đại học\u0000 Cần Thơ tuyển sinh ngành mới."},
     ["Trường Đại học Cần Thơ tuyển sinh ngành mới."]),
    ({"id": "a1", "noi_dung": "Hai bản ghi cùng mã số vẫn là hai tài liệu khác nhau."},
     ["Hai bản ghi cùng mã số vẫn là hai tài liệu khác nhau."]),
    ({"id": ["không", "hợp lệ"], "noi_dung": "Mã số không hợp lệ thì tài liệu được đánh số theo dòng."},
     ["Mã số không hợp lệ thì tài liệu được đánh số theo dòng."]),
    ({"id": "a14", "noi_dung": "Xuất khẩu gạo " * 80_000 + "\nKim ngạch xuất khẩu nông sản đạt kỷ lục."},
     "jsonl/bai.jsonl:14 (line 1 of its text)", "characters (the limit is 1,000,000)"),
    ({"id": "a15", "noi_dung": "Câu này mất một ký tự \ufffd giữa chừng.\nCâu này còn nguyên vẹn không sao."},
     "jsonl/bai.jsonl:15 (line 1 of its text)", "not UTF-8"),
]
LINE_14_KEPT = "Kim ngạch xuất khẩu nông sản đạt kỷ lục."
LINE_15_KEPT = "Câu này còn nguyên vẹn không sao."
OTHER_JSONL = {
    "utf16.jsonl": (json.dumps({"id": "u1", "noi_dung": "Đường sắt tốc độ cao Bắc Nam được Quốc hội thông qua."},
                               ensure_ascii=False).encode("utf-16"),
                    ["Đường sắt tốc độ cao Bắc Nam được Quốc hội thông qua."]),
    "nen.jsonl.gz": (gzip.compress(json.dumps({"id": "g1", "noi_dung": "Tỉnh Lâm Đồng phát triển du lịch nông nghiệp."},
                                              ensure_ascii=False).encode()),
                     ["Tỉnh Lâm Đồng phát triển du lịch nông nghiệp."]),
}
TREE = {"cay/a": "Cây cầu mới nối hai bờ sông Hồng đã thông xe.",
        "cay/con/b": "Người dân hai huyện đi lại thuận tiện hơn nhiều."}
LONG_PARAGRAPH = " ".join(["Chính quyền địa phương rà soát, đánh giá hiệu quả đầu tư công."] * 3300)  # ~200 KB
HUGE_KEPT = "Đây là đoạn văn bình thường nằm sau một dòng dài năm mươi triệu byte."


def write_inputs(tmp):
    """The files, folders and links of the test corpus; returns (expected paragraphs, expected skips)."""
    bad, lines = tmp / "bad", tmp / "jsonl"
    bad.mkdir()
    lines.mkdir()
    expected, skips = [], dict(PARTIAL)
    for name, (data, paragraphs) in READ.items():
        (bad / name).write_bytes(data)
        expected += [(name, p) for p in paragraphs]
    for name, (data, where, reason) in SKIP.items():
        (bad / name).write_bytes(data)
        skips[("tep", where)] = reason
    (bad / "doan-dai.txt").write_text(LONG_PARAGRAPH + "\n", encoding="utf-8")
    unit = "Dòng này quá dài, không phải là văn xuôi. ".encode()
    with (bad / "dong-dai.txt").open("wb") as f:
        for _ in range(HUGE_LINE_BYTES // len(unit)):
            f.write(unit)
        f.write(f"\n{HUGE_KEPT}\n".encode())
    skips[("tep", "bad/dong-dai.txt:1")] = "characters (the limit is 1,000,000)"
    expected.append(("dong-dai.txt", HUGE_KEPT))
    locked = bad / "khoa.txt"
    locked.write_text("Kho bạc Nhà nước phong tỏa tài khoản của doanh nghiệp nợ thuế.", encoding="utf-8")
    locked.chmod(0)
    try:  # as root a mode of 000 does not stop reading: then the file must simply be read
        locked.open("rb").close()
        expected.append(("khoa.txt", "Kho bạc Nhà nước phong tỏa tài khoản của doanh nghiệp nợ thuế."))
    except PermissionError:
        skips[("tep", "bad/khoa.txt")] = "cannot be read (Permission denied)"
    (bad / "thu-muc").mkdir()
    (bad / "thu-muc" / "ben-trong.md").write_text("Tệp nằm trong thư mục con không được đọc riêng.", encoding="utf-8")
    skips[("tep", "bad/thu-muc")] = "a folder, not a file"
    (bad / "vong.txt").symlink_to("vong.txt")
    skips[("tep", "bad/vong.txt")] = "symbolic link loop"
    (bad / "gay.txt").symlink_to("khong-ton-tai.txt")
    skips[("tep", "bad/gay.txt")] = "broken symbolic link"
    os.mkfifo(bad / "ong.fifo")  # reading it would wait forever for a writer
    skips[("tep", "bad/ong.fifo")] = "not a regular file"
    tree = tmp / "cay"  # two links back up the tree: glob.glob("cay/**") would walk 2^40 paths
    (tree / "con").mkdir(parents=True)
    (tree / "a.txt").write_text(TREE["cay/a"], encoding="utf-8")
    (tree / "con" / "b.txt").write_text(TREE["cay/con/b"], encoding="utf-8")
    (tree / "moi-nhat").symlink_to(".")
    (tree / "con" / "len").symlink_to("..")
    expected += [("cay", p) for p in TREE.values()]
    with (lines / "bai.jsonl").open("w", encoding="utf-8") as f:
        for case in JSONL_LINES:
            line = case[0] if isinstance(case[0], str) else json.dumps(case[0], ensure_ascii=False)
            f.write(line + "\n")
            if len(case) == 2:
                expected += [("bai.jsonl", p) for p in case[1]]
            else:
                skips[("dong", case[1])] = case[2]
    expected += [("bai.jsonl", LINE_14_KEPT), ("bai.jsonl", LINE_15_KEPT)]
    for name, (data, paragraphs) in OTHER_JSONL.items():
        (lines / name).write_bytes(data)
        expected += [(name, p) for p in paragraphs]
    return expected, skips


SOURCES = '''
[[sources]]
name = "tep"
paths = ["bad/*", "bad/thu-muc"]
format = "text"
role = "clean"
license = "test"

[[sources]]
name = "cay"
paths = ["cay/**/*.txt"]
format = "text"
role = "clean"
license = "test"

[[sources]]
name = "dong"
paths = ["jsonl/*"]
format = "jsonl"
text_field = "noi_dung"
role = "clean"
license = "test"
'''


@pytest.fixture(scope="module")
def bad_build(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad")
    expected, skips = write_inputs(tmp)
    recipe = tmp / "recipe.toml"
    recipe.write_text(recipe_text(SOURCES, extra="\n[dedup]\nnear_threshold = 0\n"), encoding="utf-8")
    built = cli("build", recipe, "--out", tmp / "dist", "--workers", "1")
    strict = cli("build", recipe, "--out", tmp / "strict", "--strict", "--workers", "1")
    return tmp, expected, skips, built, strict


def test_the_corpus_has_over_thirty_bad_inputs(bad_build):
    _, expected, skips, _, _ = bad_build
    # every file and JSONL record except the first (clean) record is damaged in some way; the rest are made in
    # write_inputs: the 200 KB paragraph, the 50 MB line, the locked file, a folder, a loop, a broken link, a pipe,
    # a folder tree with links back up
    inputs = len(READ) + len(SKIP) + len(OTHER_JSONL) + len(JSONL_LINES) - 1 + 8
    assert inputs >= 30
    for _, paragraph in expected:
        assert any(c.isalpha() and not c.isascii() for c in paragraph), paragraph  # Vietnamese letters everywhere


def test_no_traceback_and_exit_1_listing_every_skip(bad_build):
    _, _, skips, built, _ = bad_build
    out = built.stdout + built.stderr
    assert "Traceback" not in out, out[-3000:]
    assert built.returncode == 1, out[-3000:]
    for (_, where), reason in skips.items():
        assert any(line.startswith(f"  skipped {where}: ") and reason in line for line in built.stderr.splitlines()), \
            (where, reason, built.stderr)


def test_strict_fails_with_exit_3_and_writes_nothing(bad_build):
    tmp, _, skips, _, strict = bad_build
    assert "Traceback" not in strict.stdout + strict.stderr
    assert strict.returncode == 3, strict.stderr
    assert f"--strict: {len(skips)} inputs could not be read" in strict.stderr
    assert not (tmp / "strict").exists() or not list((tmp / "strict").rglob("*.parquet"))


def test_every_skip_is_counted_in_the_manifest_and_in_rejects(bad_build):
    tmp, _, skips, _, _ = bad_build
    folder = next((tmp / "dist").glob("*/*"))
    manifest = json.loads((folder / "build.json").read_text(encoding="utf-8"))
    listed = {(s["source"], s["where"]): s["reason"] for s in manifest["skipped_inputs"]}
    assert set(listed) == set(skips) and len(manifest["skipped_inputs"]) == len(skips)
    for key, reason in skips.items():
        assert reason in listed[key], (key, listed[key])
    rejects = pq.read_table(folder / "rejects.parquet").to_pylist()
    unreadable = {r["id"]: r["text"] for r in rejects if r["reason"] == "unreadable_input"}
    assert unreadable == {f"{source}:{where}": listed[(source, where)] for source, where in skips}
    assert max(len(r["text"]) for r in rejects) < 300_000  # the 50 MB line is not copied into rejects


def test_every_readable_input_gives_exactly_the_expected_paragraphs(bad_build):
    tmp, expected, _, _, _ = bad_build
    folder = next((tmp / "dist").glob("*/*"))
    rows = [r for shard in sorted(folder.glob("data/*.parquet")) for r in pq.read_table(shard).to_pylist()]
    paragraphs = {p for r in rows for p in r["clean"].split("\n")}
    missing = [(name, p) for name, p in expected if p not in paragraphs]
    assert not missing
    assert all(unicodedata.is_normalized("NFC", p) and "\ufffd" not in p for p in paragraphs)
    # the two records with id "a1" are two documents, so row ids stay unique
    assert len({r["id"] for r in rows}) == len(rows)
    # a tree with links back to itself: each file read once
    assert {r["doc_id"] for r in rows if r["source"] == "cay"} == {k.removeprefix("cay/") for k in TREE}  # below "cay/"
    assert cli("validate", folder).returncode == 0


def test_a_200_kb_paragraph_is_read_and_dropped_as_too_long(bad_build):
    tmp, _, _, _, _ = bad_build
    folder = next((tmp / "dist").glob("*/*"))
    rejects = pq.read_table(folder / "rejects.parquet").to_pylist()
    assert len(LONG_PARAGRAPH.encode()) > 200_000
    assert [r["reason"] for r in rejects if r["text"] == LONG_PARAGRAPH] == ["too_long"]


def test_a_pattern_matching_nothing_names_the_recipe_and_the_key(tmp_path):
    (tmp_path / "bai").mkdir()
    (tmp_path / "bai" / "mot-thu-muc").mkdir()  # folders matched by a wildcard are not inputs
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(recipe_text(SOURCES.replace('["bad/*", "bad/thu-muc"]', '["bai/*"]')
                                  .replace('["jsonl/*"]', '["khong-co/*.jsonl"]')
                                  .replace('["cay/**/*.txt"]', '["bai/**/*.txt"]')), encoding="utf-8")
    result = cli("build", recipe, "--out", tmp_path / "dist")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{recipe}: sources[0] (tep).paths: 'bai/*' matches no file" in result.stderr
    assert f"{recipe}: sources[1] (cay).paths: 'bai/**/*.txt' matches no file" in result.stderr
    assert f"{recipe}: sources[2] (dong).paths: 'khong-co/*.jsonl' matches no file" in result.stderr
