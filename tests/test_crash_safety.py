"""Skipped inputs and exit codes, --strict, and builds killed at random moments."""

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time

from corpus.dataset.validate import UNDIGESTED

from tests.conftest import ROOT, write_small_recipe


def cli(*args):
    return subprocess.run([sys.executable, "-m", "corpus.cli", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def add_bad_inputs(recipe):
    folder = recipe.parent / "seeds"
    (folder / "trong.txt").write_bytes(b"")
    (folder / "anh.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    (folder / "tcvn3.txt").write_bytes("ViÖt Nam lµ mét quèc gia".encode("latin-1"))


def test_skipped_inputs_exit_1_and_strict_writes_nothing(tmp_path, wiki_articles):
    recipe = write_small_recipe(tmp_path, wiki_articles[:20])
    add_bad_inputs(recipe)
    strict = cli("build", recipe, "--out", tmp_path / "strict", "--strict", "--quiet")
    assert strict.returncode == 3 and "--strict: 3 inputs could not be read" in strict.stderr
    assert not list((tmp_path / "strict").rglob("build.json"))
    built = cli("build", recipe, "--out", tmp_path / "dist", "--workers", "1")
    assert built.returncode == 1, built.stderr
    for line in ("skipped seeds/trong.txt: empty file", "skipped seeds/anh.txt: binary file",
                 "skipped seeds/tcvn3.txt:1: not UTF-8, UTF-16 or Windows-1258"):
        assert line in built.stderr
    assert "Traceback" not in built.stderr
    manifest = json.loads(next((tmp_path / "dist").rglob("build.json")).read_text(encoding="utf-8"))
    assert len(manifest["skipped_inputs"]) == 3
    import pyarrow.parquet as pq

    rejects = pq.read_table(next((tmp_path / "dist").rglob("rejects.parquet"))).to_pylist()
    unreadable = {r["id"]: r["text"] for r in rejects if r["reason"] == "unreadable_input"}
    assert unreadable["seed:seeds/trong.txt"] == "empty file" and len(unreadable) == 3


def fingerprints(version):
    """sha256 of every file of a built version; build.json without its timings."""
    out = {}
    for f in sorted(p for p in version.rglob("*") if p.is_file()):
        data = f.read_bytes()
        if f.name == "build.json":
            manifest = json.loads(data)
            manifest = {k: v for k, v in manifest.items() if k not in UNDIGESTED}  # timings
            data = json.dumps(manifest, sort_keys=True).encode()
        out[f.relative_to(version).as_posix()] = hashlib.sha256(data).hexdigest()
    return out


def test_killed_builds_leave_no_half_version_and_the_next_build_is_identical(tmp_path, wiki_articles):
    """Ten SIGKILLs at seeded random moments: half anywhere in the run, half while the version is being written."""
    recipe = write_small_recipe(tmp_path, wiki_articles[:10])
    reference = tmp_path / "reference"
    started = time.monotonic()
    assert cli("build", recipe, "--out", reference, "--quiet", "--workers", "1").returncode == 0
    duration = time.monotonic() - started
    expected = fingerprints(next(reference.glob("*/*")))
    assert {"README.md", "build.json", "lm.tsv.gz", "rejects.parquet"} <= set(expected)
    out = tmp_path / "dist"
    rng = random.Random(7)
    for kill in range(10):
        proc = subprocess.Popen([sys.executable, "-m", "corpus.cli", "build", str(recipe), "--out", str(out),
                                 "--quiet", "--force", "--workers", "1"], env={**os.environ, "PYTHONPATH": str(ROOT)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if kill % 2:  # anywhere, now and then after the end
            time.sleep(rng.uniform(0.05, 1.1) * duration)
        else:  # the critical part: from this build's temporary folder (not a killed one's) to the renames
            stale = set(out.glob("*/.*"))
            deadline = time.monotonic() + 10 * duration
            while (not set(out.glob("*/.*.tmp-*")) - stale and proc.poll() is None
                   and time.monotonic() < deadline):
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.4) * duration)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for version in out.glob("*/*"):
            if not version.name.startswith("."):  # a visible version folder is always complete: the reference
                assert fingerprints(version) == expected, f"kill {kill}: {version} is not a complete build"
    assert cli("build", recipe, "--out", out, "--quiet", "--force", "--workers", "1").returncode == 0
    assert [p.name for p in out.glob("*/.*")] == []  # temporary and replaced folders are gone
    new = next(out.glob("*/*"))
    assert fingerprints(new) == expected
    assert cli("validate", new).returncode == 0


def test_ctrl_c_stops_cleanly_with_a_message(tmp_path, wiki_articles):
    recipe = write_small_recipe(tmp_path, wiki_articles)
    out = tmp_path / "dist"
    # Ctrl-C's default action, even when the tests themselves run in the background (`pytest &`): a shell starts
    # background jobs with SIGINT ignored, children inherit that, and Python then never raises KeyboardInterrupt.
    proc = subprocess.Popen([sys.executable, "-m", "corpus.cli", "build", str(recipe), "--out", str(out),
                             "--workers", "1"], env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 60
    while not list(out.glob("*/.*.tmp-*")) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)  # interrupt while the version is being written
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted: nothing written" in err and "Traceback" not in err
    assert not [p for p in out.glob("*/*")]  # neither a version nor a temporary folder
