"""End to end on a small recipe: build, load with datasets, validate, rebuild, refuse, and break on purpose."""

import json
import os
import subprocess
import sys

import datasets
import pyarrow.parquet as pq
import pytest

from corpus.build import build
from corpus.dataset.features import FEATURES
from corpus.dataset.validate import validate
from corpus.recipe import load_recipe
from tests.conftest import SPUN_STARTS, UNPUNCTUATED_STARTS, UNTOUCHED_STARTS, write_small_recipe

CLI = [sys.executable, "-m", "corpus.cli"]


def run_cli(*args, cwd):
    return subprocess.run([*CLI, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(os.getcwd())})


@pytest.fixture()
def built(small_recipe, tmp_path):
    """A build this test may modify."""
    folder, did = build(load_recipe(small_recipe), tmp_path / "dist", quiet=True)
    assert did
    return folder


@pytest.fixture(scope="module")
def shared_build(tmp_path_factory, wiki_articles):
    """One build for the tests that only read it."""
    tmp = tmp_path_factory.mktemp("shared")
    recipe = write_small_recipe(tmp, wiki_articles)
    folder, _ = build(load_recipe(recipe), tmp / "dist", quiet=True)
    return recipe, folder


def all_rows(folder):
    ds = datasets.load_dataset(str(folder), cache_dir=str(folder.parent / "cache"))
    return ds, [r for split in ds.values() for r in split]


def test_build_loads_with_declared_features_and_validates(shared_build):
    _, built = shared_build
    ds, rows = all_rows(built)
    assert set(ds) == {"train", "validation", "test"}
    for split in ds.values():
        assert split.features == FEATURES
        assert split.features["origin"].names == ["synthetic", "real", "mined"]
        assert split.features["edits"].feature["kind"].dtype == "string"  # a list of structs
    assert len(rows) > 1000
    report = validate(built)
    assert report.ok, report.problems
    manifest = json.loads((built / "build.json").read_text(encoding="utf-8"))
    card = (built / "README.md").read_text(encoding="utf-8")
    assert manifest["fingerprint"] in card and "num_examples: " in card
    assert manifest["counts"]["paragraphs"]["dropped"]["spun"] == 7
    assert manifest["counts"]["paragraphs"]["dropped"]["boilerplate"] >= 1


def test_seed_spun_paragraphs_never_clean_and_untouched_ones_kept(shared_build):
    _, built = shared_build
    _, rows = all_rows(built)
    seed_clean = [r["clean"] for r in rows if r["source"] == "seed"]
    for start in SPUN_STARTS:
        assert not [c for c in seed_clean if start in c], start
    for start in UNTOUCHED_STARTS:
        kept = [c for c in seed_clean if c.startswith(start)]
        assert not kept if start in UNPUNCTUATED_STARTS else kept, start  # headline, captions: no final mark


def test_no_document_in_two_splits(shared_build):
    _, built = shared_build
    ds, _ = all_rows(built)
    docs = {name: {(r["source"], r["doc_id"]) for r in split} for name, split in ds.items()}
    assert not docs["train"] & docs["test"] and not docs["train"] & docs["validation"]
    assert not docs["validation"] & docs["test"]


def test_forced_rebuild_is_byte_identical(small_recipe, built):
    before = {p.name: p.read_bytes() for p in (built / "data").iterdir()}
    card = (built / "README.md").read_bytes()
    folder, did = build(load_recipe(small_recipe), built.parent.parent, force=True, quiet=True)
    assert did and folder == built
    assert {p.name: p.read_bytes() for p in (built / "data").iterdir()} == before
    assert (built / "README.md").read_bytes() == card


def test_same_fingerprint_is_up_to_date_and_a_changed_recipe_is_refused(small_recipe, built):
    stamp = (built / "build.json").stat().st_mtime_ns
    _, did = build(load_recipe(small_recipe), built.parent.parent, quiet=True)
    assert not did and (built / "build.json").stat().st_mtime_ns == stamp
    small_recipe.write_text(small_recipe.read_text(encoding="utf-8").replace("variants = 2", "variants = 3"),
                            encoding="utf-8")
    result = run_cli("build", small_recipe, "--out", built.parent.parent, "--quiet", cwd=small_recipe.parent)
    assert result.returncode == 3
    assert "already holds version 0.1.0" in result.stderr and "--force" in result.stderr
    assert "Traceback" not in result.stderr
    assert (built / "build.json").stat().st_mtime_ns == stamp  # nothing touched
    forced = run_cli("build", small_recipe, "--out", built.parent.parent, "--force", "--quiet",
                     cwd=small_recipe.parent)
    assert forced.returncode == 0, forced.stderr
    assert not [p for p in built.parent.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_cli_reports_a_bad_recipe_with_exit_2(tmp_path, small_recipe):
    small_recipe.write_text(small_recipe.read_text(encoding="utf-8").replace('version = "0.1.0"', 'version = "v1"'),
                            encoding="utf-8")
    result = run_cli("build", small_recipe, "--out", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 2
    assert f"{small_recipe}: dataset.version: 'v1' is not a semantic version" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_validate_catches_a_tampered_build(built):
    ok = run_cli("validate", built, cwd=built)
    assert ok.returncode == 0 and "valid:" in ok.stdout
    shard = next((built / "data").glob("train-*.parquet"))
    table = pq.read_table(shard)
    noisy = table.column("noisy").to_pylist()
    i = next(i for i, r in enumerate(table.column("edits").to_pylist()) if r)
    noisy[i] = noisy[i] + " thêm"
    table = table.set_column(table.schema.get_field_index("noisy"), "noisy",
                             __import__("pyarrow").array(noisy, type=table.schema.field("noisy").type))
    pq.write_table(table, shard)
    bad = run_cli("validate", built, cwd=built)
    assert bad.returncode == 1
    assert "text after the last edit differs" in bad.stderr


def test_two_workers_give_the_same_bytes_as_one(small_recipe, tmp_path):
    one, _ = build(load_recipe(small_recipe), tmp_path / "one", quiet=True, workers=1)
    two, _ = build(load_recipe(small_recipe), tmp_path / "two", quiet=True, workers=2)
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file() and p.name != "build.json")
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file() and p.name != "build.json")
    assert [(one / f).read_bytes() == (two / f).read_bytes() for f in files] == [True] * len(files)
    strip = lambda m: {k: v for k, v in m.items() if k not in ("built_at", "wall_seconds", "stage_seconds")}  # noqa: E731
    assert strip(json.loads((one / "build.json").read_text())) == strip(json.loads((two / "build.json").read_text()))


def test_every_long_stage_shows_on_a_terminal_and_nothing_shows_in_a_pipe(small_recipe, tmp_path):
    """Progress on a terminal (stderr a TTY): the shard bars and a line naming each later stage while it runs.
    In a pipe (a log file, CI) none of it: only the summary."""
    import fcntl
    import pty
    import struct
    import termios

    def run(stderr_tty: bool) -> str:
        out = tmp_path / ("tty" if stderr_tty else "pipe")
        command = [*CLI, "build", small_recipe, "--out", out, "--validate"]
        env = {**os.environ, "PYTHONPATH": str(os.getcwd()), "COLUMNS": "200"}
        if not stderr_tty:
            return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, env=env).stderr
        main, side = pty.openpty()
        fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))  # a new pty is 0 columns wide
        proc = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=side, env=env)
        os.close(side)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the other side closed: the build is over
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait()
        os.close(main)
        assert proc.returncode == 0
        return b"".join(chunks).decode("utf-8", errors="replace")

    shown, logged = run(True), run(False)
    stages = ["reading", "mining", "pairing", "language model", "spin detector", "baselines", "charts",
              "validating"]
    assert [s for s in stages if s not in shown] == [], shown[-3000:]
    assert [s for s in stages if f"{s} ..." in logged or f"{s}:" in logged] == [], logged[-3000:]
    assert "built " in logged  # the summary is there in both


def test_noise_statistics_from_a_sample_agree_with_every_row_and_change_no_shard(small_recipe, tmp_path,
                                                                                   monkeypatch):
    """A large build measures its noise statistics on a fixed sample of rows (lowest rank): the spun count stays
    exact, the rates stay close to those of every row, the card says it is a sample, and no shard changes."""
    import corpus.build

    whole, _ = build(load_recipe(small_recipe), tmp_path / "whole", quiet=True)
    monkeypatch.setattr(corpus.build, "MEASURED_ROWS", 600)
    sampled, _ = build(load_recipe(small_recipe), tmp_path / "sampled", quiet=True)
    every, part = (json.loads((f / "build.json").read_text(encoding="utf-8"))["counts"]["noise"]
                   for f in (whole, sampled))
    assert every["measured_pairs"] == every["spun_pairs"] == part["spun_pairs"]
    assert 100 < part["measured_pairs"] < every["spun_pairs"] / 2
    for rate in ("words_changed", "length_ratio", "spaced_full_stops", "spaced_clause_marks"):
        assert abs(part[rate] - every[rate]) < 0.05 * max(every[rate], 0.1), rate
    assert f"on a sample of {part['measured_pairs']} spun rows" in (sampled / "README.md").read_text(encoding="utf-8")
    assert {p.name: p.read_bytes() for p in (whole / "data").iterdir()} == \
        {p.name: p.read_bytes() for p in (sampled / "data").iterdir()}
