"""Version folders under hostile conditions: two builds of one version at once, a --force killed between its
two renames, and `corpus versions` over malformed build.json files and the leftovers of killed builds."""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from corpus.pipeline.build import build
from corpus.config.recipe import load_recipe
from tests.conftest import ROOT

NAME, VERSION = "vi-despin-test", "0.1.0"


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "corpus.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT)})


def hidden(parent):
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


@pytest.fixture(scope="module")
def reference(tmp_path_factory, wiki_articles):
    """One build of the small recipe (seed page + Wikipedia articles: Vietnamese text), copied by the tests."""
    from tests.conftest import write_small_recipe

    tmp = tmp_path_factory.mktemp("reference")
    recipe = write_small_recipe(tmp, wiki_articles)
    folder, built = build(load_recipe(recipe), tmp / "bản dựng", quiet=True)
    assert built
    return recipe, folder


def test_a_second_build_of_a_running_version_is_refused_and_the_first_completes(small_recipe, tmp_path):
    out = tmp_path / "bản dựng"  # a path with diacritics, in the message too
    parent = out / NAME
    first = subprocess.Popen([sys.executable, "-m", "corpus.cli", "build", str(small_recipe), "--out", str(out),
                              "--quiet", "--workers", "1"], env={**os.environ, "PYTHONPATH": str(ROOT)},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(parent.glob(f".{VERSION}.tmp-*")) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)  # the first build holds the lock from before its temporary folder exists
    assert first.poll() is None, "the first build ended before the second could start"
    second = cli("build", small_recipe, "--out", out, "--quiet", "--workers", "1")
    assert first.poll() is None, "the first build ended while the second ran: the race was not tested"
    lock = parent / f".{VERSION}.lock"
    assert second.returncode == 3, second.stderr
    assert second.stderr.strip() == f"build refused: another build of {NAME} {VERSION} is running ({lock})"
    assert list(parent.glob(f".{VERSION}.tmp-*")), "the second build removed the first one's temporary folder"
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert "Traceback" not in err
    valid = cli("validate", parent / VERSION)
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert hidden(parent) == []  # neither the temporary folder nor the lock file is left


def interrupted_force(reference, out):
    """The state a `corpus build --force` killed between its two renames leaves: the version renamed to
    .<version>.old-<pid>, the new one complete in its temporary folder, no version, and the dead build's lock."""
    _, folder = reference
    parent = out / NAME
    parent.mkdir(parents=True)
    shutil.copytree(folder, parent / f".{VERSION}.old-4242")
    shutil.copytree(folder, parent / f".{VERSION}.tmp-k1ll3d")
    (parent / f".{VERSION}.lock").write_bytes(b"")  # its holder is dead: the kernel dropped the lock
    return parent, (folder / "build.json").read_bytes()


def test_the_next_build_restores_a_version_a_killed_force_left_under_its_old_name(reference, tmp_path):
    recipe, _ = reference
    parent, manifest = interrupted_force(reference, tmp_path / "bản dựng")
    result = cli("build", recipe, "--out", tmp_path / "bản dựng")
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stderr and "Traceback" not in result.stderr
    assert (parent / VERSION / "build.json").read_bytes() == manifest  # the old version itself, not a rebuild
    assert hidden(parent) == []
    assert cli("validate", parent / VERSION).returncode == 0


def test_a_forced_build_after_the_kill_replaces_the_restored_version(reference, tmp_path):
    recipe, _ = reference
    parent, manifest = interrupted_force(reference, tmp_path / "out")
    result = cli("build", recipe, "--out", tmp_path / "out", "--force", "--quiet", "--workers", "1")
    assert result.returncode == 0, result.stderr
    rebuilt = json.loads((parent / VERSION / "build.json").read_text(encoding="utf-8"))
    assert rebuilt["fingerprint"] == json.loads(manifest)["fingerprint"]
    assert hidden(parent) == []


def test_versions_restores_a_version_a_killed_force_left_under_its_old_name(reference, tmp_path):
    parent, manifest = interrupted_force(reference, tmp_path / "bản dựng")
    result = cli("versions", tmp_path / "bản dựng")
    assert result.returncode == 0, result.stderr
    assert result.stderr == f"restored {parent / VERSION} from .{VERSION}.old-4242 (a --force replacement was " \
                            f"interrupted)\n"
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].split()[:2] == [NAME, VERSION]
    assert (parent / VERSION / "build.json").read_bytes() == manifest
    assert not (parent / f".{VERSION}.old-4242").exists()
    assert (parent / f".{VERSION}.tmp-k1ll3d").exists()  # the next build's to remove, under the version's lock


def test_a_running_force_replacement_is_not_touched_by_versions(reference, tmp_path):
    """While a live build holds the lock, its .old- folder is its own: `corpus versions` leaves it alone."""
    parent, _ = interrupted_force(reference, tmp_path / "out")
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from corpus.pipeline.build import VersionLock; "
        f"VersionLock(Path(sys.argv[1]), {NAME!r}, {VERSION!r}); print('held', flush=True); time.sleep(60)"),
        str(parent)], env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        result = cli("versions", tmp_path / "out")
        assert result.returncode == 0 and "Traceback" not in result.stderr
        assert result.stderr == f"{parent / VERSION}: being replaced by a running build\n"
        assert result.stdout == f"no built versions under {tmp_path / 'out'}\n"
        assert (parent / f".{VERSION}.old-4242").is_dir() and not (parent / VERSION).exists()
    finally:
        holder.kill()
        holder.wait()


MALFORMED = {
    "0.2.0": (b"[]", "not a JSON object"),
    "0.3.0": (b'{"name": "x", "version": "0.3.0", "fingerprint": null, "counts": {"rows": 5}}',
              "missing or invalid fingerprint"),
    "0.4.0": ('{"name": "bộ dữ liệu", "version": "0.4.0", "fingerprint": "ab", "counts": {"rows": "nhiều"}}'
              .encode(), "missing or invalid counts.rows"),
    "0.5.0": (b'{"name": "x", "counts": []}', "missing or invalid version, fingerprint, counts.rows"),
    "0.6.0": (b"[" * 200_000, "nested too deeply"),
    "0.7.0": ("Tiếng Việt có dấu".encode("utf-16"), "not UTF-8"),
    "0.8.0": ('{"name": "cắt ngang'.encode(),
              "not JSON (Unterminated string starting at: line 1 column 10 (char 9))"),
    "0.9.0": (b"", "not JSON (Expecting value: line 1 column 1 (char 0))"),
}


def test_versions_lists_only_readable_versions_one_line_per_problem(reference, tmp_path):
    _, folder = reference
    root = tmp_path / "bản dựng"
    parent = root / NAME
    shutil.copytree(folder, parent / VERSION)
    for version, (data, _) in MALFORMED.items():
        (parent / version).mkdir()
        (parent / version / "build.json").write_bytes(data)
    (parent / "1.0.0").mkdir()
    (parent / "1.0.0" / "build.json").mkdir()  # a folder
    (parent / "1.1.0").mkdir()
    os.mkfifo(parent / "1.1.0" / "build.json")  # reading it would never end
    (parent / "2.0.0").mkdir()  # a folder without build.json: not a build, not a problem
    hostile = {"name": "tên\x1b[2J\ngiả", "version": "3.0.0", "fingerprint": "f1", "counts": {"rows": 7},
               "built_at": "hôm nay\r"}
    (parent / "3.0.0").mkdir()
    (parent / "3.0.0" / "build.json").write_text(json.dumps(hostile, ensure_ascii=False), encoding="utf-8")
    # the leftovers of killed builds, each with a complete build.json: never versions
    for leftover in (f".{VERSION}.tmp-abc123", f".{VERSION}.del-77-4242", ".9.9.9.tmp-x"):
        shutil.copytree(folder, parent / leftover)
    shutil.copytree(folder, parent / f".{VERSION}.old-4242")  # the version is there: a leftover, left alone
    (parent / f".{VERSION}.lock").write_bytes(b"")
    shutil.copytree(folder, root / ".cache" / "x" / VERSION)
    result = cli("versions", root)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    manifest = json.loads((folder / "build.json").read_text(encoding="utf-8"))
    assert result.stdout.splitlines() == [
        f"{NAME:<24}{VERSION:<10}{manifest['fingerprint']:<18}{manifest['counts']['rows']:>9} rows  "
        f"{manifest['built_at']}",
        "tên\\x1b[2J\\ngiả".ljust(24) + "3.0.0".ljust(10) + "f1".ljust(18) + "7".rjust(9) + " rows  hôm nay\\r",
    ]
    expected = [f"{parent / v / 'build.json'}: {why}, skipped" for v, (_, why) in MALFORMED.items()]
    expected += [f"{parent / v / 'build.json'}: not a regular file, skipped" for v in ("1.0.0", "1.1.0")]
    assert sorted(result.stderr.splitlines()) == sorted(expected)
    assert (parent / f".{VERSION}.old-4242").is_dir()  # not the listing's to delete


def test_versions_of_a_missing_or_unreadable_root_is_one_line(tmp_path):
    missing = cli("versions", tmp_path / "không có")
    assert missing.returncode == 0 and missing.stdout == f"no built versions under {tmp_path / 'không có'}\n"
    assert missing.stderr == ""
    a_file = tmp_path / "tệp.txt"
    a_file.write_text("không phải thư mục", encoding="utf-8")
    result = cli("versions", a_file)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [f"{a_file}: cannot be read (Not a directory), skipped"]
