"""Hostile and careless inputs to `corpus detect`: each one ends in a clear message naming the file (and line or
row) with exit code 2, or in a skipped record reported as `file:line: reason`; never a traceback, never text lost
without a word. Every sample is real Vietnamese with diacritics, written here; the CLI runs as a subprocess."""

import gzip
import json
import os
import random
import subprocess
import sys
import unicodedata

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import ROOT
from tests.test_bad_inputs import cp1258, nfd

LAW = "Điều 1. Phạm vi điều chỉnh của Bộ luật này."
RICE = "Người dân của các xã ven sông Tiền và sông Hậu đã thu hoạch lúa sớm để tránh lũ."
SCHOOL = "Bộ Giáo dục và Đào tạo công bố phương án thi tốt nghiệp trung học phổ thông năm nay."
FUEL = "Giá xăng dầu trong nước giảm nhẹ từ ba giờ chiều nay, theo thông báo của liên bộ."


def cli(*args, stdin=None):
    """`corpus detect ARGS`; `stdin` is a path whose bytes are piped in (None: no data at all)."""
    with open(stdin if stdin else os.devnull, "rb") as feed:
        run = subprocess.run([sys.executable, "-m", "corpus.cli", "detect", *map(str, args)], stdin=feed,
                             capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
                             timeout=120)
    assert "Traceback" not in run.stderr, run.stderr
    return run


def rows(run) -> list[dict]:
    return [json.loads(line) for line in run.stdout.splitlines()]


def texts(run) -> list[str]:
    return [r["text"] for r in rows(run)]


def jsonl(path, records, encoding="utf-8", ascii=False):
    path.write_bytes("".join(json.dumps(r, ensure_ascii=ascii) + "\n" for r in records).encode(encoding))
    return path


def fails(run, *needles):
    """Exit 2, no output, a message holding every needle (the file's name among them)."""
    assert run.returncode == 2, (run.returncode, run.stdout[:300], run.stderr)
    for needle in needles:
        assert str(needle) in run.stderr, (needle, run.stderr)


# --- files that cannot be read at all: exit 2, the file named --------------------------------------------------


def test_a_missing_file_a_directory_and_a_symlink_loop_are_named_with_exit_2(tmp_path):
    ok = tmp_path / "ok.txt"
    ok.write_text(LAW + "\n", encoding="utf-8")
    fails(cli("--json", tmp_path / "khong-co.txt"), f"{tmp_path / 'khong-co.txt'}: cannot read", "No such file")
    for name in ("thu-muc.txt", "thu-muc.jsonl", "thu-muc.parquet"):
        (tmp_path / name).mkdir()
        fails(cli(ok, tmp_path / name), f"{tmp_path / name}: cannot read")
    (tmp_path / "a.jsonl").symlink_to(tmp_path / "b.jsonl")
    (tmp_path / "b.jsonl").symlink_to(tmp_path / "a.jsonl")
    fails(cli(tmp_path / "a.jsonl"), f"{tmp_path / 'a.jsonl'}: cannot read", "symbolic links")


@pytest.mark.parametrize("suffix", [".txt", ".jsonl", ".jsonl.gz", ".parquet"])
@pytest.mark.parametrize("kind", ["random", "random-without-nul", "png"])
def test_binary_data_under_a_text_jsonl_or_parquet_name_stops_with_exit_2(tmp_path, suffix, kind):
    data = random.Random(7).randbytes(6000)
    data = {"random": data, "random-without-nul": data.replace(b"\x00", b"\x01"),
            "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + data[:500]}[kind]
    path = tmp_path / f"anh{suffix}"
    path.write_bytes(data)
    run = cli("--json", path)
    fails(run, f"{path}")
    assert run.stdout == ""


def test_a_truncated_gzip_keeps_what_came_before_and_names_the_line_where_it_breaks(tmp_path):
    lines = [{"text": f"{RICE} Đợt {i}."} for i in range(3000)]
    whole = gzip.compress("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines).encode())
    path = tmp_path / "cat-ngang.jsonl.gz"
    path.write_bytes(whole[: len(whole) // 2])
    run = cli("--json", "--batch-size", 1, path)
    fails(run, "truncated")
    got = texts(run)
    assert 100 < len(got) < 3000 and got == [r["text"] for r in lines[: len(got)]]
    assert f"{path}:{len(got) + 1}: cannot read" in run.stderr


def test_gzip_is_known_by_its_bytes_not_its_name_and_an_upper_case_suffix_is_still_jsonl(tmp_path):
    packed = tmp_path / "nen-nhung-ten-sai.jsonl"
    packed.write_bytes(gzip.compress(json.dumps({"text": LAW}, ensure_ascii=False).encode() + b"\n"))
    plain = jsonl(tmp_path / "khong-nen.jsonl.gz", [{"text": RICE}])
    upper = jsonl(tmp_path / "CRAWL.JSONL", [{"text": SCHOOL}])
    run = cli("--json", packed, plain, upper)
    assert run.returncode == 0, run.stderr
    assert texts(run) == [LAW, RICE, SCHOOL]


# --- encodings and normal forms ---------------------------------------------------------------------------------


def test_windows_1258_and_utf16_text_files_are_decoded_to_nfc(tmp_path):
    legacy = tmp_path / "cp1258.txt"
    legacy.write_bytes(cp1258(RICE) + b"\r\n")
    assert b"\xcc" in legacy.read_bytes() or b"\xd2" in legacy.read_bytes()  # combining tone marks of cp1258
    wide = tmp_path / "utf16.txt"
    wide.write_bytes((("\ufeff" + SCHOOL + "\n").encode("utf-16-le")))
    run = cli("--json", legacy, wide)
    assert run.returncode == 0, run.stderr
    assert texts(run) == [RICE, SCHOOL]
    assert [r["id"] for r in rows(run)] == [f"{legacy}:0", f"{wide}:0"]


def test_utf16_jsonl_with_a_bom_is_read_and_windows_1258_jsonl_stops_naming_its_line(tmp_path):
    wide = jsonl(tmp_path / "utf16.jsonl", [{"text": FUEL}], encoding="utf-16")
    assert wide.read_bytes()[:2] == b"\xff\xfe"
    run = cli("--json", wide)
    assert run.returncode == 0 and texts(run) == [FUEL], run.stderr
    legacy = tmp_path / "cp1258.jsonl"
    legacy.write_bytes(b'{"text": "' + cp1258(RICE) + b'"}\n')
    fails(cli(legacy), f"{legacy}: none of its 1 records", f"{legacy}:1: bytes that are not UTF-8")


def test_one_line_of_bad_bytes_in_a_jsonl_or_parquet_is_a_skip_and_the_rest_is_read(tmp_path):
    path = tmp_path / "hong-mot-dong.jsonl"
    path.write_bytes(json.dumps({"text": LAW}, ensure_ascii=False).encode() + b"\n"
                     + b'{"text": "Ng\xff\xfei d\xe2n"}\n'
                     + json.dumps({"text": RICE}, ensure_ascii=False).encode() + b"\n")
    run = cli("--json", path)
    assert run.returncode == 0 and texts(run) == [LAW, RICE], run.stderr
    assert f"skipped {path}:2: bytes that are not UTF-8" in run.stderr
    text = tmp_path / "hong-mot-dong.txt"
    text.write_bytes(f"{LAW}\n".encode() + b"Ng\xff\xfei d\xe2n\n" + f"{RICE}\n{SCHOOL}\n".encode())
    run = cli("--json", text)
    assert run.returncode == 0 and texts(run) == [LAW, RICE, SCHOOL], run.stderr
    assert f"skipped {text}:2: line bytes that are not text" in run.stderr
    table = tmp_path / "hong-mot-hang.parquet"
    cells = pa.array([LAW.encode(), b"Ng\xff\xfei d\xe2n", None, RICE.encode()], pa.binary()).view(pa.string())
    pq.write_table(pa.table({"text": cells}), table)
    run = cli("--json", table)
    assert run.returncode == 0 and texts(run) == [LAW, RICE], run.stderr
    assert f"{table}:1: 'text' holds bytes that are not UTF-8" in run.stderr
    assert f"{table}:2: 'text' is null" in run.stderr
    assert [r["id"] for r in rows(run)] == [f"{table}:0", f"{table}:3"]


def test_nfd_text_comes_out_nfc_from_text_jsonl_parquet_and_stdin(tmp_path):
    decomposed = nfd(LAW + " " + RICE)
    assert decomposed != LAW + " " + RICE
    text = tmp_path / "nfd.txt"
    text.write_text(decomposed + "\n", encoding="utf-8")
    lines = jsonl(tmp_path / "nfd.jsonl", [{"text": decomposed}])
    table = tmp_path / "nfd.parquet"
    pq.write_table(pa.table({"text": [decomposed]}), table)
    run = cli("--json", text, lines, table)
    assert run.returncode == 0, run.stderr
    piped = cli("--json", stdin=text)
    for got in texts(run) + texts(piped):
        assert got == LAW + " " + RICE and unicodedata.is_normalized("NFC", got)
    assert len(texts(run)) == 3 and len(texts(piped)) == 1


# --- JSON Lines records of every wrong shape --------------------------------------------------------------------


def test_jsonl_lines_that_are_not_objects_or_cannot_be_parsed_are_skipped_by_line(tmp_path):
    path = tmp_path / "hinh-dang.jsonl"
    bad = ["[\"" + LAW + "\"]", "42", "null", json.dumps(RICE, ensure_ascii=False), "9" * 5000,
           '{"text": "' + LAW + '", "so": ' + "1" * 5000 + "}", "[" * 100_000 + "]" * 100_000,
           '{"a":' * 100_000 + "1" + "}" * 100_000, "{\"text\": \"" + LAW, '{"text": "Điều \\ud800 một"}',
           json.dumps({"text": 7}), json.dumps({"text": None}), json.dumps({"noi_dung": LAW}, ensure_ascii=False)]
    path.write_text("\n".join(bad + ["", json.dumps({"text": SCHOOL}, ensure_ascii=False)]) + "\n", encoding="utf-8")
    run = cli("--json", path)
    assert run.returncode == 0, run.stderr
    assert texts(run) == [SCHOOL] and rows(run)[0]["id"] == f"{path}:{len(bad) + 2}"
    reasons = ["a JSON array, not an object", "a JSON number, not an object", "a JSON null, not an object",
               "a JSON string, not an object", "not JSON (Exceeds the limit", "not JSON (Exceeds the limit",
               "not JSON (nested too deep", "not JSON (nested too deep", "not JSON (Invalid control character",
               "lone surrogate", "no string field 'text' (a JSON number)", "no string field 'text' (a JSON null)",
               "no string field 'text' (missing)"]
    lines = run.stderr.splitlines()
    assert len(lines) == len(bad)
    for n, (line, reason) in enumerate(zip(lines, reasons), start=1):
        assert line.startswith(f"skipped {path}:{n}: ") and reason in line, (n, line)


def test_ids_that_are_not_strings_are_printed_as_json(tmp_path):
    ids = [{"so": "một", "trang": 2}, [1, "hai"], 3, True, 1.5, None, "văn-bản-7", "\ud800x"]
    path = jsonl(tmp_path / "ma.jsonl", [{"ma": i, "text": LAW} for i in ids] + [{"text": RICE}],
                 ascii=True)  # the lone surrogate travels as a JSON escape
    run = cli("--json", "--id-field", "ma", path)
    assert run.returncode == 0, run.stderr
    assert [r["id"] for r in rows(run)] == ['{"so": "một", "trang": 2}', '[1, "hai"]', "3", "true", "1.5",
                                            f"{path}:6", "văn-bản-7", "\\ud800x", f"{path}:9"]
    plain = cli("--id-field", "ma", path)
    assert plain.returncode == 0 and plain.stdout.splitlines()[0].startswith('{"so": "một", "trang": 2}\t')
    table = tmp_path / "ma.parquet"
    pq.write_table(pa.table({"text": [LAW, RICE], "ma": [{"so": 1}, {"so": 2}],
                             "ds": [["a", "ă"], []]}), table)
    assert [r["id"] for r in rows(cli("--json", "--id-field", "ma", table))] == ['{"so": 1}', '{"so": 2}']
    assert [r["id"] for r in rows(cli("--json", "--id-field", "ds", table))] == ['["a", "ă"]', "[]"]


def test_a_file_name_that_is_not_utf8_is_spelled_out_in_the_ids(tmp_path):
    path = os.path.join(os.fsencode(tmp_path), b"v\xe0n-b\xe1n.txt")
    with open(path, "wb") as f:
        f.write(LAW.encode() + b"\n")
    run = subprocess.run([sys.executable, "-m", "corpus.cli", "detect", "--json", path], capture_output=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert run.returncode == 0 and b"Traceback" not in run.stderr, run.stderr
    got = json.loads(run.stdout.decode("utf-8"))
    assert got["id"] == f"{tmp_path}/v\\udce0n-b\\udce1n.txt:0" and got["text"] == LAW


def test_a_50_mb_line_is_skipped_by_number_without_50_mb_of_memory(tmp_path):
    huge = json.dumps({"text": (RICE + " ") * 500_000}, ensure_ascii=False)
    assert len(huge.encode()) > 50_000_000
    path = tmp_path / "dong-dai.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps({"text": LAW}, ensure_ascii=False) + "\n" + huge + "\n"
                + json.dumps({"text": SCHOOL}, ensure_ascii=False) + "\n")
    text = tmp_path / "dong-dai.txt"
    with open(text, "w", encoding="utf-8") as f:
        f.write(FUEL + "\n\n" + (RICE + " ") * 500_000 + "\n\n" + LAW + "\n")
    measure = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); print(r.returncode); "
               "sys.stdout.write(r.stdout); sys.stderr.write(r.stderr)")
    for source, expected, limit_mb in ((path, [LAW, SCHOOL], 150), (text, [FUEL, LAW], 600)):
        run = subprocess.run([sys.executable, "-c", measure, sys.executable, "-m", "corpus.cli", "detect", "--json",
                              source], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
                             timeout=120)
        peak_kb, code, *out = run.stdout.splitlines()
        assert code == "0" and [json.loads(line)["text"] for line in out] == expected, run.stderr
        assert f"skipped {source}:{2 if source == path else 3}: line over 1,000,000 characters" in run.stderr
        assert int(peak_kb) < limit_mb * 1024, (source, peak_kb)


# --- Parquet columns of the wrong kind --------------------------------------------------------------------------


@pytest.mark.parametrize("column, shown", [(pa.array([1, 2]), "int64"), (pa.array([["Điều"], ["một"]]), "list"),
                                           (pa.array([None, None], pa.null()), "null"),
                                           (pa.array([b"\xc4\x90i\xe1\xbb\x81u", b"x"]), "binary")])
def test_a_parquet_text_column_that_holds_no_strings_stops_with_exit_2(tmp_path, column, shown):
    path = tmp_path / "sai-kieu.parquet"
    pq.write_table(pa.table({"text": column, "ma": ["một", "hai"]}), path)
    fails(cli(path), f"{path}: column 'text' holds {shown}", "not text")


def test_parquet_with_zero_rows_or_dictionary_or_large_strings(tmp_path):
    empty = tmp_path / "rong.parquet"
    pq.write_table(pa.table({"text": pa.array([], pa.string())}), empty)
    coded = tmp_path / "tu-dien.parquet"
    pq.write_table(pa.table({"text": pa.array([LAW, RICE, LAW]).dictionary_encode()}), coded)
    large = tmp_path / "lon.parquet"
    pq.write_table(pa.table({"text": pa.array([nfd(SCHOOL)], pa.large_string())}), large)
    run = cli("--json", empty, coded, large)
    assert run.returncode == 0, run.stderr
    assert texts(run) == [LAW, RICE, LAW, SCHOOL]
    assert f"skipped {empty}: no rows" in run.stderr


# --- the wrong --field, empty input, options --------------------------------------------------------------------


def test_a_field_missing_on_every_line_stops_with_exit_2_and_says_how_many(tmp_path):
    path = jsonl(tmp_path / "sai-truong.jsonl", [{"noi_dung": LAW}] * 30)
    fails(cli(path), f"{path}: none of its 30 records could be used", f"{path}:1: no string field 'text' (missing)",
          "--field 'text'")
    assert [r["text"] for r in rows(cli("--json", "--field", "noi_dung", path))] == [LAW] * 30
    big = jsonl(tmp_path / "sai-truong-lon.jsonl", [{"noi_dung": RICE}] * 5000)
    fails(cli(big), f"{big}: none of its first 1,000 records could be used")


def test_empty_inputs_are_reported_not_silent(tmp_path):
    for name in ("rong.txt", "rong.jsonl"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "trang.txt").write_text("\ufeff \n\u200b\n\t\n", encoding="utf-8")
    (tmp_path / "trang.jsonl").write_text("\n \n\n", encoding="utf-8")
    names = [tmp_path / n for n in ("rong.txt", "rong.jsonl", "trang.txt", "trang.jsonl")]
    ok = jsonl(tmp_path / "co.jsonl", [{"text": LAW}])
    run = cli("--json", *names, ok)
    assert run.returncode == 0 and texts(run) == [LAW], run.stderr
    for name in names:
        assert f"skipped {name}: no " in run.stderr
    piped = cli("--json")
    assert piped.returncode == 0 and piped.stdout == "" and "skipped stdin: no text" in piped.stderr


def test_stdin_is_decoded_like_a_file_and_a_closed_stdin_is_an_error(tmp_path):
    wide = tmp_path / "utf16.bin"
    wide.write_bytes(b"\xff\xfe" + (FUEL + "\n").encode("utf-16-le"))
    run = cli("--json", stdin=wide)
    assert run.returncode == 0 and texts(run) == [FUEL], run.stderr
    closed = subprocess.run(f"{sys.executable} -m corpus.cli detect <&-", shell=True, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    fails(closed, "stdin: closed")
    assert "Traceback" not in closed.stderr


@pytest.mark.parametrize("option", [("--batch-size", "0"), ("--batch-size", "-3"), ("--workers", "-1"),
                                    ("--workers", "0"), ("--batch-size", "100001")])
def test_batch_size_and_workers_out_of_range_are_usage_errors(tmp_path, option):
    path = jsonl(tmp_path / "a.jsonl", [{"text": LAW}])
    run = cli(*option, path)
    assert run.returncode == 2 and "Traceback" not in run.stderr and "Invalid value" in run.stderr, run.stderr
    assert option[0] in run.stderr and run.stdout == ""


def test_two_workers_give_the_same_rows_and_skips_as_one(tmp_path):
    records = [{"text": f"{t} Mục {i}."} if i % 7 else {"text": i} for i, t in enumerate([LAW, RICE, FUEL] * 40)]
    path = jsonl(tmp_path / "tron.jsonl", records)
    one = cli("--json", "--batch-size", "5", path)
    two = cli("--json", "--batch-size", "5", "--workers", "2", path)
    assert one.returncode == two.returncode == 0, two.stderr
    assert one.stdout == two.stdout and one.stderr == two.stderr
    assert len(rows(one)) == 120 - 18 and "skipped" in one.stderr
