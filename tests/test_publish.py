"""`corpus publish` end to end against the local test Hub (tests/hub_server.py), with the real clients."""

from __future__ import annotations

import os
import subprocess
import sys

import datasets
import pytest

from corpus.pipeline.build import build
from corpus.dataset.publish import AUTH, NETWORK, TAG_CONFLICT, plan, publish
from corpus.config.recipe import load_recipe
from hub_server import hub  # noqa: F401  (fixture)
from tests.conftest import REAL_SECTION, ROOT, write_small_recipe

REPO = "vi-research/vi-despin-test"


def cli(*args):
    return subprocess.run([sys.executable, "-m", "corpus.cli", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.fixture(scope="module")
def versions(tmp_path_factory, wiki_articles):
    """Two built versions of a small recipe: 0.1.0, and 0.2.0 with a changed noise setting."""
    tmp = tmp_path_factory.mktemp("publish")
    recipe = write_small_recipe(tmp, wiki_articles[:12])
    recipe.write_text(recipe.read_text(encoding="utf-8") + REAL_SECTION, encoding="utf-8")
    v1, _ = build(load_recipe(recipe), tmp / "dist", quiet=True)
    text = recipe.read_text(encoding="utf-8").replace('version = "0.1.0"', 'version = "0.2.0"')
    recipe.write_text(text.replace("variants = 2", "variants = 1"), encoding="utf-8")
    v2, _ = build(load_recipe(recipe), tmp / "dist", quiet=True)
    return v1, v2


def releases(repo) -> list:
    return [c for c in repo.commits.values() if c.summary.startswith("Release")]


def local_rows(folder):
    ds = datasets.load_dataset(str(folder), cache_dir=str(folder.parent / "local-cache"))
    return {split: ds[split].to_list() for split in ds}


def hub_rows(tag, tmp_path):
    ds = datasets.load_dataset(REPO, revision=tag, cache_dir=str(tmp_path / f"cache-{tag}"))
    return {split: ds[split].to_list() for split in ds}


def test_publish_two_versions_load_each_tag_and_republish_is_a_no_op(hub, versions, tmp_path):
    v1, v2 = versions
    assert publish(plan(v1, REPO), say=lambda _: None) == "published"
    assert hub_rows("v0.1.0", tmp_path) == local_rows(v1)
    assert publish(plan(v2, REPO), say=lambda _: None) == "published"
    repo = hub.state.repo(REPO)
    assert set(repo.tags) == {"v0.1.0", "v0.2.0"}
    assert hub_rows("v0.2.0", tmp_path) == local_rows(v2) != local_rows(v1)
    assert hub_rows("v0.1.0", tmp_path / "again") == local_rows(v1)
    commits = len(repo.commits)
    said = []
    assert publish(plan(v2, REPO), say=said.append) == "unchanged"
    assert len(repo.commits) == commits and "nothing to do" in said[0]
    real = datasets.load_dataset(REPO, "real", revision="v0.2.0", cache_dir=str(tmp_path / "real"))
    assert len(real["test"]) == 13


def test_one_server_error_is_retried_into_one_commit(hub, versions):
    hub.state.fail_next("POST", r"/commit/", status=500)
    assert publish(plan(versions[0], REPO), say=lambda _: None) == "published"
    repo = hub.state.repo(REPO)
    assert len(releases(repo)) == 1
    assert repo.tags["v0.1.0"] == repo.head()


def test_a_lost_commit_answer_is_completed_by_a_rerun(hub, versions):
    release = plan(versions[0], REPO)
    hub.state.drop_next("POST", r"/commit/", after_apply=True)  # the commit lands, the answer is lost
    hub.state.drop_next("POST", r"/tag/", times=3)  # and the tag cannot be made in this run
    with pytest.raises(Exception) as first:
        publish(release, say=lambda _: None)
    assert getattr(first.value, "code", None) == NETWORK
    repo = hub.state.repo(REPO)
    assert "v0.1.0" not in repo.tags
    landed = releases(repo)
    assert len(landed) == 1
    assert publish(release, say=lambda _: None) == "tagged"
    assert repo.tags["v0.1.0"] == landed[0].oid and releases(repo) == landed


def test_a_conflicting_tag_is_refused_and_nothing_changes(hub, versions):
    v1, v2 = versions
    publish(plan(v1, REPO), say=lambda _: None)
    repo = hub.state.repo(REPO)
    before = (len(repo.commits), dict(repo.tags))
    other = plan(v2, REPO)
    other.tag = "v0.1.0"  # as if 0.2.0's content had been built again as 0.1.0
    with pytest.raises(Exception) as err:
        publish(other, say=lambda _: None)
    assert err.value.code == TAG_CONFLICT and "immutable" in str(err.value)
    assert (len(repo.commits), dict(repo.tags)) == before


def test_cli_bad_token_dry_run_and_the_token_never_shows(hub, versions, monkeypatch):
    v1, _ = versions
    dry = cli("publish", v1, "--repo", REPO, "--dry-run")
    assert dry.returncode == 0 and "v0.1.0" in dry.stdout and "dry run" in dry.stdout
    assert not hub.state.requests  # a dry run touches no network
    ok = cli("publish", v1, "--repo", REPO)
    assert ok.returncode == 0, ok.stderr
    again = cli("publish", v1, "--repo", REPO)
    assert again.returncode == 0 and "nothing to do" in again.stdout
    monkeypatch.setenv("HF_TOKEN", "hf_wrong_token_for_this_test_0123456789")
    bad = cli("publish", v1, "--repo", REPO)
    assert bad.returncode == AUTH and "rejected the token" in bad.stderr and "Traceback" not in bad.stderr
    for result in (dry, ok, again, bad):
        for secret in (hub.token, "hf_wrong_token_for_this_test_0123456789"):
            assert secret not in result.stdout + result.stderr
    assert all(hub.token not in p.read_text(encoding="utf-8", errors="ignore")
               for p in v1.rglob("*") if p.is_file() and p.suffix in (".md", ".json"))
    assert all(r.authorization in (None, f"Bearer {hub.token}", "Bearer hf_wrong_token_for_this_test_0123456789")
               for r in hub.state.requests)


def test_no_token_and_network_down(versions, monkeypatch, tmp_path):
    v1, _ = versions
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "no-login"))
    none = cli("publish", v1, "--repo", REPO)
    assert none.returncode == 4 and "no Hugging Face token" in none.stderr
    monkeypatch.setenv("HF_TOKEN", "hf_test_token_for_a_closed_port")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # discard port: nothing listens
    down = cli("publish", v1, "--repo", REPO)
    assert down.returncode == NETWORK and "cannot reach the Hub" in down.stderr
    assert "hf_test_token_for_a_closed_port" not in down.stdout + down.stderr
