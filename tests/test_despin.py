"""Detection, the baseline de-spinner and evaluation, on the seed, hand-written clean text and a real build."""

import json
import os
import subprocess
import sys

import pytest

from corpus.pipeline.build import build
from corpus.config.recipe import load_recipe
from corpus.spin.edits import apply
from corpus.despin.lm import NgramModel
from corpus.despin.restore import Restorer
from tests.conftest import REAL_SECTION, ROOT, SEO_TITLE, SPUN_STARTS, UNTOUCHED_STARTS, write_small_recipe

CLEAN = [json.loads(line) for line in (ROOT / "tests" / "data" / "clean_paragraphs.jsonl").read_text(
    encoding="utf-8").splitlines()]
RESTORED = [json.loads(line) for line in (ROOT / "seeds" / "000_10ed56cc2b936aaa.restored.jsonl").read_text(
    encoding="utf-8").splitlines()]


def cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "corpus.cli", *map(str, args)], capture_output=True, text=True,
                          input=stdin, env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.fixture(scope="module")
def built(tmp_path_factory, wiki_articles):
    tmp = tmp_path_factory.mktemp("despin")
    recipe = write_small_recipe(tmp, wiki_articles)
    recipe.write_text(recipe.read_text(encoding="utf-8") + REAL_SECTION, encoding="utf-8")
    folder, _ = build(load_recipe(recipe), tmp / "dist", quiet=True)
    return folder


@pytest.fixture(scope="module")
def restorer(built):
    return Restorer(NgramModel.load(built / "lm.tsv.gz"))


def test_hand_written_clean_paragraphs_are_left_alone(restorer):
    assert len(CLEAN) >= 40 and len({c["domain"] for c in CLEAN}) >= 10
    flagged = [c["text"] for c in CLEAN if restorer.detect(c["text"]).label == "spun"]
    assert len(flagged) <= len(CLEAN) // 20
    assert [c["text"] for c in CLEAN if restorer.restore(c["text"])[0] != c["text"]] == []


def test_seed_labels_with_the_language_model_too(restorer, seed_paragraphs):
    for _, p in seed_paragraphs:
        d = restorer.detect(p)
        expected = "boilerplate" if p == SEO_TITLE else "spun" if p.startswith(SPUN_STARTS) else "clean"
        assert d.label == expected, (p[:40], d)
    assert all(p.startswith(SPUN_STARTS + UNTOUCHED_STARTS + (SEO_TITLE,)) for _, p in seed_paragraphs)


def test_restoring_the_real_pairs_gets_closer_to_the_hand_restoration(restorer):
    from corpus.despin.evaluate import score

    noisy = [r["noisy"] for r in RESTORED]
    restored = []
    for text in noisy:
        out, edits = restorer.restore(text)
        assert apply(text, edits) == out
        restored.append(out)
    result = score(noisy, restored, [r["clean"] for r in RESTORED])
    assert result["error_reduction"] > 0.5 and result["cer"] < result["input_cer"]
    fixed = restored[3]
    assert "Đối với Quốc hội:" in fixed and "các cấp" in fixed and "công tác làm việc" not in fixed


def test_build_has_a_real_config_and_baseline_results(built):
    import datasets

    real = datasets.load_dataset(str(built), "real", split="test", cache_dir=str(built.parent / "c"))
    assert len(real) == 13 and sum(r["noisy"] != r["clean"] for r in real) == 7
    assert set(real.features["origin"].int2str(real["origin"])) == {"real"}
    manifest = json.loads((built / "build.json").read_text(encoding="utf-8"))
    results = manifest["results"]
    assert results["real test"]["lexicon"]["error_reduction"] > 0.5
    # a small build (40 Wikipedia articles): the baseline must help; the default build's targets are checked
    # in test_default_recipe.py
    assert results["synthetic test"]["detector"]["roc_auc"] > 0.8
    assert results["synthetic test"]["lexicon"]["error_reduction"] > 0.2
    assert results["synthetic test"]["identity"]["error_reduction"] == 0
    card = (built / "README.md").read_text(encoding="utf-8")
    assert "## Baselines" in card and "| real test | lexicon |" in card and "config_name: real" in card


def test_eval_and_detect_cli(built, tmp_path):
    out = cli("eval", built, "--baseline", "lexicon", "--config", "real", "--out", tmp_path / "e.json")
    assert out.returncode == 0, out.stderr
    saved = json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))
    manifest = json.loads((built / "build.json").read_text(encoding="utf-8"))
    assert saved["scores"] == manifest["results"]["real test"]["lexicon"]
    ids = cli("eval", built, "--baseline", "identity", "--out", tmp_path / "i.json")
    assert ids.returncode == 0 and "exact_match" in ids.stdout
    preds = tmp_path / "p.jsonl"
    import datasets

    rows = datasets.load_dataset(str(built), "real", split="test", cache_dir=str(tmp_path / "c")).to_list()
    preds.write_text("\n".join(json.dumps({"id": r["id"], "prediction": r["clean"]}, ensure_ascii=False)
                               for r in rows), encoding="utf-8")
    assert cli("eval", built, "--config", "real", "--predictions", preds, "--out", tmp_path / "o.json").returncode == 0
    assert json.loads((tmp_path / "o.json").read_text(encoding="utf-8"))["scores"]["exact_match"] == 1.0
    preds.write_text(preds.read_text(encoding="utf-8").split("\n", 1)[1], encoding="utf-8")
    missing = cli("eval", built, "--config", "real", "--predictions", preds)
    assert missing.returncode == 2 and "no prediction for 1 of 13 rows" in missing.stderr
    det = cli("eval-detector", built)
    assert det.returncode == 0 and "roc_auc" in det.stdout
    labels = cli("detect", "--json", "--lm", built / "lm.tsv.gz", ROOT / "seeds" / "000_10ed56cc2b936aaa.txt")
    objs = [json.loads(line) for line in labels.stdout.splitlines()]
    assert [o["label"] for o in objs].count("spun") == 7 and objs[0]["label"] == "boilerplate"
    restored = cli("restore", "--lm", built / "lm.tsv.gz", stdin=RESTORED[3]["noisy"])
    assert restored.returncode == 0 and "Đối với Quốc hội: Tập trung" in restored.stdout


def test_two_rules_claiming_one_space_make_one_edit():
    """Found by tests/test_fuzz.py: the space in "“ ." is a space before a full stop and inside a quote."""
    noisy = "những ; những “ ."
    restored, edits = Restorer(None).restore(noisy, force=True)
    assert restored == "những; những “."
    assert apply(noisy, edits) == restored and len(edits) == 2

