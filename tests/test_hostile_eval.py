"""`corpus eval` and `eval-detector` given careless or hostile arguments: a clear message and exit 2 (bad input) or 3
(cannot write), never a traceback, and never a score computed from predictions that do not cover the split
exactly once."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def cli(*args):
    run = subprocess.run([sys.executable, "-m", "corpus.cli", *map(str, args)], capture_output=True, text=True,
                         timeout=300)
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    return run


@pytest.fixture(scope="module")
def real_rows(small_build, tmp_path_factory) -> list[dict]:
    import datasets

    cache = tmp_path_factory.mktemp("cache")
    return datasets.load_dataset(str(small_build), "real", split="test", cache_dir=str(cache)).to_list()


def predictions(tmp_path, lines: list) -> str:
    path = tmp_path / "pred.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
                    encoding="utf-8")
    return path


def test_a_folder_that_is_not_one_version_is_refused_without_trying_the_hub(small_build, tmp_path):
    for folder in (small_build.parent.parent, small_build.parent / "0.1.O"):  # dist/, and a typo
        run = cli("eval", folder, "--config", "real", "--baseline", "identity", "--out", tmp_path / "e.json")
        assert run.returncode == 2 and "not a built version folder" in run.stderr, run.stderr
    run = cli("eval-detector", small_build.parent.parent)
    assert run.returncode == 2 and "not a built version folder" in run.stderr


def test_predictions_must_cover_the_split_exactly_once(small_build, real_rows, tmp_path):
    good = [{"id": r["id"], "prediction": r["clean"]} for r in real_rows]
    ok = cli("eval", small_build, "--config", "real", "--predictions", predictions(tmp_path, good),
             "--out", tmp_path / "ok.json")
    assert ok.returncode == 0, ok.stderr
    bad = [*good[:-1],                                      # the last row has no prediction
           {"id": good[0]["id"], "prediction": "Bản sao thứ hai."},  # a duplicate (last would win)
           {"id": good[1]["id"] + "-x", "prediction": "Không có dòng này."},  # an unknown id
           {"id": good[2]["id"], "prediction": None},        # null, once scored as the string "None"
           "[1, 2, 3]", '{"id": ' + "[" * 100_000]           # not an object; nested too deep to read
    run = cli("eval", small_build, "--config", "real", "--predictions", predictions(tmp_path, bad),
              "--out", tmp_path / "bad.json")
    assert run.returncode == 2 and not (tmp_path / "bad.json").exists()
    for fault in ("not a JSON object with a string id and a string prediction: 3", "duplicate id: 1",
                  "unknown id: 1", f"no prediction for 1 of {len(good)} rows"):
        assert fault in run.stderr, (fault, run.stderr)


@pytest.mark.parametrize("kind", ["missing", "folder", "not utf-8"])
def test_a_predictions_file_that_cannot_be_read_is_named(small_build, tmp_path, kind):
    path = tmp_path / "pred.jsonl"
    if kind == "folder":
        path.mkdir()
    elif kind == "not utf-8":
        path.write_bytes('{"id": "x", "prediction": "Điều 1."}\n'.encode("cp1258", "replace") + b"\xff\xfe\n")
    run = cli("eval", small_build, "--config", "real", "--predictions", path)
    assert run.returncode == 2 and str(path) in run.stderr, run.stderr


def test_scores_into_a_missing_folder_exit_3(small_build, tmp_path):
    out = tmp_path / "khong-co" / "e.json"
    run = cli("eval", small_build, "--config", "real", "--baseline", "identity", "--out", out)
    assert run.returncode == 3 and str(out) in run.stderr and "cannot write" in run.stderr
