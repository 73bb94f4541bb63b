"""Other careless or hostile arguments to the CLI: a recipe that is not a file, stdin that is not UTF-8, a "model"
that is not one. Each ends in a clear message and exit 2, and stdin is read by the same rules as files."""

from __future__ import annotations

import gzip
import subprocess
import sys

import pytest

TEXT = "Các cơ quan phải thực hiện nghiêm túc Nghị quyết của Đảng về công tác cán bộ."


def cli(*args, stdin: bytes = b""):
    run = subprocess.run([sys.executable, "-m", "corpus.cli", *map(str, args)], input=stdin, capture_output=True,
                         timeout=300)
    stderr = run.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr[-3000:]
    return run.returncode, run.stdout.decode("utf-8"), stderr


@pytest.mark.parametrize("recipe, message", [
    ("FOLDER", "not a regular file"), ("/dev/zero", "not a regular file"),
    ("/proc/self/mem", "cannot read"), ("BIG", "not a recipe"),
])
def test_a_recipe_that_is_not_a_recipe_file_is_named(tmp_path, recipe, message):
    if recipe == "FOLDER":
        recipe = tmp_path
    elif recipe == "BIG":
        recipe = tmp_path / "big.toml"
        recipe.write_text("# " + "Bộ luật Dân sự " * 200_000 + "\n", encoding="utf-8")
    for command in (("build", recipe, "--out", tmp_path / "dist"), ("calibrate", "--pairs", recipe, "--recipe",
                                                                    recipe)):
        code, _, err = cli(*command)
        assert code == 2 and message in err and str(recipe) in err, (command, err)


def test_spin_reads_stdin_by_the_build_rules(tmp_path):
    code, out, _ = cli("spin", "--seed", "3", stdin=TEXT.encode("utf-16"))  # UTF-16 with a BOM, as Windows writes
    assert code == 0 and "cơ quan" in out and "\ufffd" not in out
    code, out, _ = cli("spin", "--seed", "3", stdin=gzip.compress(TEXT.encode("utf-8")))
    assert code == 0 and "cơ quan" in out
    code, out, err = cli("spin", stdin=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    assert code == 2 and "stdin" in err and "binary" in err and not out


def test_restore_reads_stdin_and_files_by_the_build_rules(tmp_path):
    spun = "Những cơ quan phải thực thi nghiêm túc Nghị quyết của Đảng về công tác cán bộ ."
    code, out, _ = cli("restore", stdin=spun.encode("utf-16"))
    assert code == 0 and "cơ quan" in out and "\ufffd" not in out
    (tmp_path / "spun.txt").write_bytes(spun.encode("cp1258", "strict") if _cp1258_ok(spun) else spun.encode("utf-16"))
    code, out, _ = cli("restore", tmp_path / "spun.txt")
    assert code == 0 and "cơ quan" in out
    code, out, err = cli("restore", stdin=b"\x00\x01\x02binary\x00")
    assert code == 2 and "stdin" in err and not out


def _cp1258_ok(text: str) -> bool:
    try:
        text.encode("cp1258")
        return True
    except UnicodeEncodeError:
        return False


@pytest.mark.parametrize("content", [b"", b"not gzip at all", gzip.compress(b"\xff\xfe garbage\tnot-a-number\n"),
                                     gzip.compress("tổ chức\t12\n".encode() * 3 + b"\x00\x00")])
def test_a_model_that_is_not_a_model_is_named(tmp_path, content):
    model = tmp_path / "lm.tsv.gz"
    model.write_bytes(content)
    for command in ("detect", "restore"):
        code, _, err = cli(command, "--lm", model, stdin=TEXT.encode())
        assert code == 2 and str(tmp_path) in err, (command, content[:20], err)


def test_a_dead_ray_address_fails_fast(small_recipe, tmp_path):
    """ray.init retried a dead address for minutes; now a connection check says so at once."""
    pytest.importorskip("ray")
    code, _, err = cli("build", small_recipe, "--engine", "ray", "--ray-address", "127.0.0.1:9", "--out",
                       tmp_path / "dist")
    assert code != 0 and "no Ray cluster answers at 127.0.0.1:9" in err, err
    assert not list((tmp_path / "dist").glob("*/*"))


@pytest.mark.parametrize("bad", ['{"clean": "Điều 1.", "noisy": ' + "9" * 5000 + "}", "[" * 200_000])
def test_pairs_files_read_huge_numbers_and_deep_nesting_as_bad_lines(tmp_path, bad):
    """calibrate and lexicon learn read pairs through the build's JSONL parser: one bad line is named, not a
    traceback (Python raises ValueError past 4,300 digits and RecursionError on deep nesting)."""
    pairs = tmp_path / "pairs.jsonl"
    good = '{"clean": "Các cơ quan phải thực hiện.", "noisy": "Những cơ quan phải thực thi ."}'
    pairs.write_text(good + "\n" + bad + "\n", encoding="utf-8")
    for command in (("calibrate", "--pairs", pairs, "--draws", "1"), ("lexicon", "learn", pairs)):
        code, _, err = cli(*command)
        assert code == 2 and f"{pairs}:2" in err, (command, err[-500:])
