"""Recipes with careless or hostile values, and inputs that leave nothing to build: a clear message before any work
(exit 2) or a refused build that writes nothing (exit 3), never a traceback and never a dataset that does not load."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import TEXT_SOURCE, recipe_text

LAW = ("Người lao động có quyền làm việc, tự do lựa chọn việc làm, nghề nghiệp, học nghề, nâng cao trình độ "
       "chuyên môn và không bị phân biệt đối xử trong lao động theo quy định của pháp luật.")
SOURCE = TEXT_SOURCE


def cli(*args):
    run = subprocess.run([sys.executable, "-m", "corpus.cli", *map(str, args)], capture_output=True, text=True,
                         timeout=600)
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    return run


def write(tmp_path, text: str, documents: int = 1, paragraph: str = LAW):
    (tmp_path / "docs").mkdir(exist_ok=True)
    for k in range(documents):
        (tmp_path / "docs" / f"{k:03d}.txt").write_text(f"{paragraph} Văn bản số {k}.\n", encoding="utf-8")
    path = tmp_path / "recipe.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("change, message", [
    ("\n[output]\nshard_mb = nan\n", "output.shard_mb: nan is not a finite number"),
    ("\n[output]\nshard_mb = inf\n", "output.shard_mb: inf is not a finite number"),
    ("\n[output]\nshard_mb = 0\n", "output.shard_mb: 0 must be above 0"),
    ("\n[output]\nshard_mb = -3\n", "output.shard_mb: -3 must be above 0"),
    ("\n[dedup]\nshingle = 1000000000\n", "dedup.shingle: 1000000000 is not between 1 and 32"),
    ("\n[dedup]\nnum_perm = 1000000000\n", "dedup.num_perm: 1000000000 is not between 16 and 4096"),
    ("\n[mine]\nshingle = 100000\n", "mine.shingle: 100000 is not between 1 and 32"),
])
def test_settings_out_of_range_are_refused_before_any_work(tmp_path, change, message):
    run = cli("build", write(tmp_path, recipe_text(SOURCE, extra=change)), "--out", tmp_path / "dist")
    assert run.returncode == 2 and message in run.stderr, run.stderr
    assert not (tmp_path / "dist").exists()


@pytest.mark.parametrize("old, new, message", [
    ("train = 0.6", "train = nan", "splits.train: nan is not a finite number"),
    ("train = 0.6\nvalidation = 0.2", "train = 0.8\nvalidation = 0.0", "splits.validation: 0.0 must be above 0"),
    ("train = 0.6", "train = 0.7", "ratios must be > 0 (an empty split does not load) and sum to 1"),
    ('name = "vi-despin-test"', 'name = "vi-despin-test\\n"', "dataset.name"),
    ('version = "0.1.0"', 'version = "0.1.0\\n"', "dataset.version"),
])
def test_split_ratios_names_and_versions_are_checked_whole(tmp_path, old, new, message):
    text = recipe_text(SOURCE)
    assert old in text
    run = cli("build", write(tmp_path, text.replace(old, new)), "--out", tmp_path / "dist")
    assert run.returncode == 2 and message in run.stderr, run.stderr


@pytest.mark.parametrize("template, message", [
    ("{% include 'other.j2' %}\n", "uses include"),
    ("{% extends 'base.j2' %}\n", "uses extends"),
    ("{% import 'macros.j2' as m %}\n", "uses import"),
    ("{% for x in rows %}\n", "card.j2:"),  # unclosed block: its line
])
def test_a_card_template_is_checked_before_any_work(tmp_path, template, message):
    (tmp_path / "card.j2").write_text("# Thẻ dữ liệu\n" + template, encoding="utf-8")
    text = recipe_text(SOURCE)
    text = text.replace(text.split('card_template = "')[1].split('"')[0], (tmp_path / "card.j2").as_posix())
    run = cli("build", write(tmp_path, text), "--out", tmp_path / "dist")
    assert run.returncode == 2 and "dataset.card_template" in run.stderr and message in run.stderr, run.stderr
    assert not (tmp_path / "dist").exists()


def test_a_card_template_that_is_not_utf8_is_refused(tmp_path):
    (tmp_path / "card.j2").write_bytes("# Thẻ dữ liệu của {{ name }}\n".encode("utf-16"))
    text = recipe_text(SOURCE)
    text = text.replace(text.split('card_template = "')[1].split('"')[0], (tmp_path / "card.j2").as_posix())
    run = cli("build", write(tmp_path, text), "--out", tmp_path / "dist")
    assert run.returncode == 2 and "is not UTF-8" in run.stderr, run.stderr


def test_a_build_where_nothing_survives_writes_nothing(tmp_path):
    change = "\n[filters]\nmin_chars = 5000\nmax_chars = 6000\n"
    run = cli("build", write(tmp_path, recipe_text(SOURCE, extra=change), documents=3), "--out", tmp_path / "dist")
    assert run.returncode == 3 and "no paragraph survived: 3 read" in run.stderr and "too_short" in run.stderr, \
        run.stderr
    assert not list((tmp_path / "dist").glob("*/*"))


def test_a_split_that_comes_out_empty_is_refused_not_written(tmp_path):
    """One document: all its rows go to one split, the other two would be empty (and `datasets` cannot load
    that); the build says so instead of writing a version that does not load."""
    run = cli("build", write(tmp_path, recipe_text(SOURCE), documents=1), "--out", tmp_path / "dist")
    assert run.returncode == 3 and "came out empty" in run.stderr and "from 1 documents" in run.stderr, run.stderr
    assert not list((tmp_path / "dist").glob("*/*"))
