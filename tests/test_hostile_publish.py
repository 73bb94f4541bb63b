"""A built folder is exactly what its build.json lists, `corpus validate` says so, and `corpus publish` sends nothing
else: tampered, extended or linked folders, hostile repo ids and tokens, a build.json missing what it needs, and a
Hub that fails twice in a row or echoes the token back (tests/hub_server.py, driven by the real clients)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

import pyarrow.parquet as pq
import pytest

from corpus.dataset.publish import AUTH, HUB_ERROR, INVALID, TAG_CONFLICT, PublishError, plan, publish
from corpus.dataset.validate import file_records, validate
from hub_server import Fault, hub  # noqa: F401  (fixture)
from tests.conftest import ROOT

REPO = "vi-research/vi-despin-test"  # the small build's dataset.hub_repo (tests/conftest.py)


def cli(*args, **env):
    return subprocess.run([sys.executable, "-m", "corpus.cli", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env})


@pytest.fixture()
def folder(small_build, tmp_path):
    """A private copy of the shared small build, free to tamper with."""
    copy = tmp_path / "dist" / small_build.parent.name / small_build.name
    shutil.copytree(small_build, copy)
    return copy


def manifest_of(folder):
    return json.loads((folder / "build.json").read_text(encoding="utf-8"))


def rewrite_manifest(folder, change):
    manifest = manifest_of(folder)
    manifest = change(manifest)
    (folder / "build.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


# 1. build.json lists every file; validate checks them --------------------------------------------------------------


def test_build_json_lists_every_file_the_build_wrote(small_build, folder):
    files = manifest_of(small_build)["files"]
    paths = [f["path"] for f in files]
    on_disk = sorted(p.relative_to(small_build).as_posix() for p in small_build.rglob("*") if p.is_file())
    assert paths == sorted(paths) == [p for p in on_disk if p != "build.json"]
    for required in ("README.md", "rejects.parquet", "lm.tsv.gz", "lexicon.jsonl.gz", "detector.zip",
                     "detector.json"):
        assert required in paths
    assert any(p.startswith("charts/") and p.endswith(".png") for p in paths)
    assert any(p.startswith("data/") and p.endswith(".parquet") for p in paths)
    assert any(p.startswith("real/") for p in paths)
    assert files == file_records(small_build)  # sizes and sha256 of what is there, README.md included
    report = validate(folder)
    assert report.ok, report.problems
    assert report.figures["files checked against build.json"] == len(files)
    assert validate(folder).ok  # validating wrote nothing into the folder


def first(folder, pattern):
    return sorted(folder.glob(pattern))[0]


def delete_rejects(folder):
    (folder / "rejects.parquet").unlink()
    return "rejects.parquet", "missing"


def edit_card(folder):
    card = folder / "README.md"
    card.write_text(card.read_text(encoding="utf-8").replace("\n# ", "\n# Best dataset ever. ", 1), encoding="utf-8")
    return "README.md", "bytes"


def replace_chart(folder):
    charts = sorted((folder / "charts").glob("*.png"))
    shutil.copyfile(charts[1], charts[0])
    return charts[0].relative_to(folder).as_posix(), "bytes"


def garbage_lm(folder):
    (folder / "lm.tsv.gz").write_bytes(b"garbage, not gzip")
    return "lm.tsv.gz", "bytes"


def rewrite_shard(folder):
    """The same rows, written again with another compression: loads the same, is not the file the build wrote."""
    shard = first(folder, "data/train-*.parquet")
    pq.write_table(pq.read_table(shard), shard, compression="gzip")
    return shard.relative_to(folder).as_posix(), "bytes"


def flip_a_byte(folder):
    path = folder / "detector.zip"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))
    return "detector.zip", "altered (sha256"


def add_notes(folder):
    (folder / "notes.txt").write_text("hf_secret\n", encoding="utf-8")
    return "notes.txt", "extra file"


def link_a_chart(folder):
    outside = folder.parent.parent / "outside.png"
    shutil.copyfile(first(folder, "charts/*.png"), outside)
    (folder / "charts" / "extra.png").symlink_to(outside)
    return "charts/extra.png", "symbolic link"


TAMPERS = [delete_rejects, edit_card, replace_chart, garbage_lm, rewrite_shard, flip_a_byte, add_notes, link_a_chart]


@pytest.mark.parametrize("tamper", TAMPERS, ids=[t.__name__ for t in TAMPERS])
def test_validate_names_a_missing_extra_or_altered_file(folder, tamper):
    name, what = tamper(folder)
    report = validate(folder)
    assert not report.ok
    assert [p for p in report.problems if p.startswith(f"{name}: ") and what in p], report.problems


def test_cli_validate_says_invalid_and_names_the_file(folder):
    edit_card(folder)
    run = cli("validate", folder)
    assert run.returncode == 1 and "INVALID" in run.stderr and "README.md: " in run.stderr
    assert "Traceback" not in run.stderr


BROKEN_MANIFESTS = {
    "no splits": lambda m: {k: v for k, v in m.items() if k != "splits"},
    "splits is []": lambda m: {**m, "splits": []},
    "build.json is []": lambda m: [],
    "files is not a list": lambda m: {**m, "files": "everything"},
    "a file outside": lambda m: {**m, "files": m["files"] + [{"path": "../../etc/passwd", "bytes": 1,
                                                               "sha256": "0" * 64}]},
    "no counts": lambda m: {k: v for k, v in m.items() if k != "counts"},
    "lexicon elsewhere": lambda m: {**m, "lexicon": {**m["lexicon"], "file": "/etc/passwd"}},
}


@pytest.mark.parametrize("change", BROKEN_MANIFESTS.values(), ids=BROKEN_MANIFESTS.keys())
def test_a_broken_build_json_is_invalid_with_a_message_not_a_crash(folder, change):
    rewrite_manifest(folder, change)
    report = validate(folder)
    assert not report.ok and all(isinstance(p, str) and p for p in report.problems)
    assert any("build.json" in p or "lexicon" in p for p in report.problems), report.problems


def test_cli_validate_of_a_build_json_without_splits_is_one_clear_line(folder):
    rewrite_manifest(folder, BROKEN_MANIFESTS["no splits"])
    run = cli("validate", folder)
    assert run.returncode == 1 and "`splits`" in run.stderr and "Traceback" not in run.stderr


# 2. publish sends only what the build made -------------------------------------------------------------------------


def test_publish_uploads_exactly_the_listed_files(hub, folder):
    assert publish(plan(folder, REPO), say=lambda _: None) == "published"
    published = set(hub.state.repo(REPO).files("v" + manifest_of(folder)["version"]))
    assert published == {f["path"] for f in manifest_of(folder)["files"]} | {"build.json", ".gitattributes"}


@pytest.mark.parametrize("tamper", [add_notes, link_a_chart, edit_card], ids=["stray notes", "symlink", "card"])
def test_publish_refuses_a_folder_that_is_not_what_the_build_made_before_any_request(hub, folder, tamper):
    name, _ = tamper(folder)
    if tamper is add_notes:  # a stray file holding the token must not go anywhere, nor be printed
        (folder / "notes.txt").write_text(f"HF_TOKEN={hub.token}\n", encoding="utf-8")
    with pytest.raises(PublishError) as err:
        plan(folder, REPO)
    assert err.value.code == INVALID and name in str(err.value) and "nothing was sent" in str(err.value)
    run = cli("publish", folder, "--repo", REPO)
    assert run.returncode == INVALID and name in run.stderr and "Traceback" not in run.stderr
    assert hub.token not in run.stdout + run.stderr
    assert not hub.state.requests and not hub.state.has_repo(REPO)


def test_a_file_changed_after_the_check_is_not_uploaded(hub, folder):
    release = plan(folder, REPO)
    garbage_lm(folder)
    with pytest.raises(PublishError) as err:
        publish(release, say=lambda _: None)
    assert err.value.code == INVALID and "lm.tsv.gz" in str(err.value)
    assert not hub.state.requests_matching("POST", r"/commit/")


@pytest.mark.parametrize("repo", ["../evil", "a b/c", "org/.git", "org/name.git", "org/..", "-org/x", "org/a--b",
                                  "org/x/y", "org/", "/x", "ørg/x", "org/x\n"])
def test_hostile_repo_ids_are_refused_before_any_request(hub, folder, repo):
    with pytest.raises(PublishError) as err:
        plan(folder, repo)
    assert err.value.code == 2 and "ORG/NAME" in str(err.value)
    if repo in ("../evil", "a b/c", "org/.git"):
        run = cli("publish", folder, "--repo", repo)
        assert run.returncode == 2 and "--repo must be ORG/NAME" in run.stderr and "Traceback" not in run.stderr
    assert not hub.state.requests


def test_a_non_ascii_token_is_one_clear_message(hub, folder):
    token = "hf_tôken_with_an_accent_0123456789"
    run = cli("publish", folder, "--repo", REPO, HF_TOKEN=token)
    assert run.returncode == AUTH and "HF_TOKEN" in run.stderr and "Traceback" not in run.stderr
    assert token not in run.stdout + run.stderr
    assert not hub.state.requests


@pytest.mark.parametrize("change", [lambda m: {k: v for k, v in m.items() if k != "version"},
                                    lambda m: {**m, "version": "../../x"}, lambda m: {**m, "version": 3},
                                    lambda m: {k: v for k, v in m.items() if k != "fingerprint"}],
                         ids=["no version", "version a path", "version a number", "no fingerprint"])
def test_a_build_json_without_a_usable_version_is_refused(hub, folder, change):
    rewrite_manifest(folder, change)
    run = cli("publish", folder, "--repo", REPO)
    assert run.returncode == 2 and "build.json has no usable" in run.stderr and "Traceback" not in run.stderr
    assert not hub.state.requests


@dataclass
class ThenFail(Fault):
    """A fault that, when it fires, arms the next one: the commit fails, then so does the call that checks
    whether the commit landed anyway (the server's own faults would fire on the first matching request)."""

    then: tuple = ()

    def matches(self, method: str, path: str) -> bool:
        hit = super().matches(method, path)
        if hit and self.then:
            then, self.then = self.then, ()
            self._state.fail_next(*then[0], **then[1])
        return hit


def test_a_failed_check_after_a_failed_commit_is_one_clear_message(hub, folder):
    import re

    fault = ThenFail("POST", re.compile(r"/commit/"), "status", 1, status=400,
                     then=(("GET", r"/refs"), {"status": 400, "times": 5}))
    fault._state = hub.state
    hub.state.faults.append(fault)
    run = cli("publish", folder, "--repo", REPO)
    assert run.returncode == HUB_ERROR, run.stderr
    assert "committing" in run.stderr and "checking whether the commit landed" in run.stderr
    assert "Traceback" not in run.stderr
    assert not hub.state.repo(REPO).tags


def test_the_token_echoed_back_by_the_server_is_never_printed(hub, folder):
    version = manifest_of(folder)["version"]
    hub.state.create_repo(REPO)  # a tag already there, whose build.json "fingerprint" is the token itself
    oid = hub.state.commit(REPO, add={"build.json": json.dumps({"fingerprint": hub.token}).encode()})
    hub.state.repo(REPO).tags[f"v{version}"] = oid
    taken = cli("publish", folder, "--repo", REPO)
    assert taken.returncode == TAG_CONFLICT and "immutable" in taken.stderr and "***" in taken.stderr
    hub.state.repo(REPO).tags.clear()
    hub.state.fail_next("POST", r"/commit/", status=400, body={"error": f"no write access for {hub.token}"})
    echoed = cli("publish", folder, "--repo", REPO)
    assert echoed.returncode == HUB_ERROR and "no write access for ***" in echoed.stderr
    for run in (taken, echoed):
        assert hub.token not in run.stdout + run.stderr and "Traceback" not in run.stderr


def test_the_card_and_build_json_are_bound_by_a_digest(folder):
    """build.json is not in its own file list: the card states its digest, so editing build.json alone (a forged
    fingerprint, a count) is caught, and so is a card whose digest is edited to match, with its sha256 re-listed."""
    from corpus.dataset.validate import file_records, manifest_digest

    manifest = json.loads((folder / "build.json").read_text(encoding="utf-8"))
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert f"build.json digest: `{manifest_digest(manifest)}`" in card
    rewrite_manifest(folder, lambda m: {**m, "fingerprint": "0123456789abcdef", "built_at": "2030-01-01T00:00:00Z"})
    assert [p for p in validate(folder).problems if p.startswith("README.md and build.json disagree")]
    forged = json.loads((folder / "build.json").read_text(encoding="utf-8"))
    (folder / "README.md").write_text(card.replace(manifest_digest(manifest), manifest_digest(forged)),
                                      encoding="utf-8")
    rewrite_manifest(folder, lambda m: {**m, "files": file_records(folder)})
    assert validate(folder).ok  # a forger who rewrites both, consistently: a digest is no signature
    timings = lambda m: {**m, "wall_seconds": 1.0, "stage_seconds": {}}  # noqa: E731
    rewrite_manifest(folder, timings)
    assert validate(folder).ok  # timings are outside the digest: a rebuild of the same inputs, the same card
