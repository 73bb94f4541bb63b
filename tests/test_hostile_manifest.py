"""build.json read as a typed Manifest (corpus/dataset/manifest.py): the same JSON object back, byte for byte;
older builds still read; and a hostile build.json (nested garbage, wrong types, huge numbers, NaN, missing keys)
is one clear message naming build.json and an exit code from every command that reads it, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from corpus.dataset.manifest import Manifest, ManifestError
from corpus.dataset.validate import manifest_digest, validate
from tests.conftest import ROOT


def cli(*args):
    return subprocess.run([sys.executable, "-m", "corpus.cli", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "HF_TOKEN": ""}, timeout=300)


@pytest.fixture()
def folder(small_build, tmp_path):
    """A private copy of the shared small build, free to tamper with."""
    copy = tmp_path / "dist" / small_build.parent.name / small_build.name
    shutil.copytree(small_build, copy)
    return copy


def raw(folder) -> dict:
    return json.loads((folder / "build.json").read_text(encoding="utf-8"))


def write(folder, manifest) -> None:
    data = manifest if isinstance(manifest, (bytes, str)) else json.dumps(manifest, ensure_ascii=False)
    (folder / "build.json").write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))


# 1. the same object back --------------------------------------------------------------------------------------------


def test_to_dict_is_the_json_object_the_build_wrote(small_build):
    manifest = Manifest.read(small_build)
    text = (small_build / "build.json").read_text(encoding="utf-8")
    assert json.dumps(manifest.to_dict(), ensure_ascii=False, indent=2) + "\n" == text  # keys, order, values
    assert manifest.counts.rows == sum(s.rows for s in manifest.splits.values()) > 0
    assert manifest.splits["train"].shards[0].path.startswith("data/train-")
    assert manifest.real is not None and manifest.real.rows > 0
    assert [f.path for f in manifest.files] == sorted(f.path for f in manifest.files)


def test_steps_are_read_and_written_only_when_there_are_some(small_build):
    manifest = Manifest.read(small_build)
    written = json.loads((small_build / "build.json").read_text(encoding="utf-8"))
    assert manifest.steps == written["steps"] and manifest.steps[0]["name"] == "paragraphs"
    assert set(manifest.step_seconds) == {s["name"] for s in manifest.steps}
    manifest.steps = []  # a build from before the steps were listed
    assert "steps" not in manifest.to_dict()
    assert list(manifest.to_dict())[-1] == "files"  # still last: validate and publish check the folder against it


def test_an_older_build_reads_with_its_keys_left_out(folder):
    """A build from before files, lexicons, mining and the detector: show reads it, validate asks for a rebuild."""
    old = {k: v for k, v in raw(folder).items() if k not in ("files", "lexicon", "lexicons", "mined", "detector",
                                                               "skipped_inputs", "built_at")}
    write(folder, old)
    manifest = Manifest.read(folder)
    assert manifest.to_dict() == old and manifest.files is None and manifest.lexicon is None
    assert manifest_digest(manifest.to_dict()) == manifest_digest(old)
    run = cli("show", folder, "--n", "2")
    assert run.returncode == 0 and run.stdout.count("── ") == 2, run.stderr
    run = cli("validate", folder)
    assert run.returncode == 1 and "build.json lists no `files`" in run.stderr and "rebuild it" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_key_the_toolkit_does_not_know_is_kept_so_the_digest_sees_it(folder):
    write(folder, {**raw(folder), "note": {"added": "by hand"}})
    assert Manifest.read(folder).to_dict()["note"] == {"added": "by hand"}
    problems = validate(folder).problems
    assert [p for p in problems if p.startswith("README.md and build.json disagree")], problems


# 2. hostile build.json: one message naming it, an exit code, no traceback ------------------------------------------


def deep(levels: int):
    value: object = 0
    for _ in range(levels):
        value = [value]
    return value


HOSTILE = {  # name: (build.json from the real one, a piece of the message)
    "not JSON": (lambda m: b'{"name": "b\xe1\xbb\x99', "not JSON"),
    "not UTF-8": (lambda m: json.dumps(m).encode("utf-16"), "not UTF-8"),
    "a list": (lambda m: b"[]", "not a JSON object (it holds a list)"),
    "brackets all the way down": (lambda m: b"[" * 100_000, "nested too deeply"),
    "nested garbage in the recipe": (lambda m: {**m, "recipe": {**m["recipe"], "x": deep(500)}}, "nested more than"),
    "no counts": (lambda m: {k: v for k, v in m.items() if k != "counts"}, "`counts` is missing"),
    "rows a string": (lambda m: {**m, "counts": {**m["counts"], "rows": "nhiều"}}, "`counts.rows` must be a count"),
    "input NaN": (lambda m: {**m, "counts": {**m["counts"], "paragraphs": {**m["counts"]["paragraphs"],
                                                                             "input": float("nan")}}},
                  "`counts.paragraphs.input` must be a count (an integer >= 0), got nan"),
    "huge float": (lambda m: json.dumps({**m, "wall_seconds": 1}).replace('"wall_seconds": 1', '"wall_seconds": 1e999'),
                   "`wall_seconds` must be a finite number, got inf"),
    "too many digits": (lambda m: json.dumps(m).replace('"rows": ', '"rows": ' + "9" * 5000, 1), "not JSON"),
    "a split a list": (lambda m: {**m, "splits": {**m["splits"], "train": []}}, "`splits.train` must be an object"),
    "a shard path a number": (lambda m: {**m, "splits": {**m["splits"], "test": {
        **m["splits"]["test"], "shards": [{**m["splits"]["test"]["shards"][0], "path": 7}]}}},
        "`splits.test.shards[0].path` must be a string, got 7"),
    "a split named with escapes": (lambda m: {**m, "splits": {**m["splits"], "tr\x1b[2J\nain": {"rows": -3}}},
                                   r"`splits.tr\x1b[2J\nain.rows` must be a count"),
    "files entries strings": (lambda m: {**m, "files": ["README.md"]}, "`files[0]` must be an object"),
}


@pytest.mark.parametrize("case", HOSTILE, ids=HOSTILE)
def test_a_hostile_build_json_is_one_clear_message_from_every_command(folder, tmp_path, case):
    change, message = HOSTILE[case]
    write(folder, change(raw(folder)))
    with pytest.raises(ManifestError) as err:
        Manifest.read(folder)
    assert message in str(err.value) and str(folder / "build.json") in str(err.value)
    assert "\n" not in str(err.value) and "\x1b" not in str(err.value)

    runs = {"validate": (cli("validate", folder), 1),
            "show": (cli("show", folder), 2),
            "publish": (cli("publish", folder, "--dry-run"), 1 if message.startswith("`") else 2),
            "eval": (cli("eval", folder, "--config", "real", "--baseline", "identity", "--out", tmp_path / "e.json"),
                     2)}
    for command, (run, code) in runs.items():
        assert "Traceback" not in run.stderr, (command, run.stderr[-3000:])
        assert run.returncode == code, (command, run.returncode, run.stderr)
        assert "build.json" in run.stderr and message in run.stderr, (command, run.stderr)
        assert "\x1b" not in run.stderr
    assert len(runs["show"][0].stderr.strip().splitlines()) == 1
    assert "nothing was sent" in runs["publish"][0].stderr or "is not a built version" in runs["publish"][0].stderr
    assert not (tmp_path / "e.json").exists()


@pytest.mark.parametrize("change, key", [
    (lambda m: {**m, "version": 3}, "version"),
    (lambda m: {k: v for k, v in m.items() if k != "fingerprint"}, "fingerprint"),
])
def test_publish_names_the_version_or_fingerprint_it_cannot_use(folder, change, key):
    write(folder, change(raw(folder)))
    run = cli("publish", folder, "--dry-run")
    assert run.returncode == 2 and f"build.json has no usable `{key}`" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


def test_a_damaged_build_json_is_not_an_up_to_date_build(folder):
    """The build's own check (existing_fingerprint) reads the whole manifest: damaged, it is no fingerprint."""
    from corpus.pipeline.build import existing_fingerprint

    fingerprint = existing_fingerprint(folder)
    assert fingerprint == raw(folder)["fingerprint"]
    write(folder, {**raw(folder), "splits": "everything"})
    assert existing_fingerprint(folder) is None


def test_many_damaged_entries_are_counted_not_all_listed(folder):
    write(folder, {**raw(folder), "files": ["README.md"] * 500})
    problems = validate(folder).problems
    assert len(problems) == 11 and problems[-1].endswith("... and 490 more"), problems
    assert all(p.startswith(f"{folder / 'build.json'}: ") for p in problems)
