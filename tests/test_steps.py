"""The recipe's [pipeline] steps: the default reproduces the build, dedup and mining can be left out without code,
an order that breaks a step's contract is refused before any work, and build.json and the card list the steps
with their stats."""

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import write_small_recipe

from corpus.config.recipe import load_recipe
from corpus.pipeline.build import build
from corpus.pipeline.steps import DEFAULT_STEPS, STEPS, StepError, plan


def with_steps(recipe: Path, steps: list[str] | None, extra: str = "") -> Path:
    text = recipe.read_text(encoding="utf-8") + extra
    if steps is not None:
        text += "\n[pipeline]\nsteps = " + json.dumps(steps) + "\n"
    recipe.write_text(text, encoding="utf-8")
    return recipe


@pytest.fixture()
def twice_recipe(tmp_path, wiki_articles):
    """The small recipe, its wiki file holding the first ten articles twice (the copies under other ids)."""
    recipe = write_small_recipe(tmp_path, wiki_articles)
    wiki = tmp_path / "wiki.jsonl"
    copies = [json.dumps({"id": f"copy-{a['id']}", "title": a["title"], "body": a["text"]}, ensure_ascii=False)
              for a in wiki_articles[:10]]
    wiki.write_text(wiki.read_text(encoding="utf-8") + "\n".join(copies) + "\n", encoding="utf-8")
    return recipe


def shards(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.glob("*/*.parquet"))}


def test_the_default_steps_listed_give_the_same_bytes_as_no_list(twice_recipe, tmp_path):
    implicit, _ = build(load_recipe(twice_recipe), tmp_path / "implicit", quiet=True)
    explicit, _ = build(load_recipe(with_steps(twice_recipe, list(DEFAULT_STEPS))), tmp_path / "explicit", quiet=True)
    assert shards(implicit) == shards(explicit) and shards(implicit)
    manifest = json.loads((explicit / "build.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in manifest["steps"]][: len(DEFAULT_STEPS)] == list(DEFAULT_STEPS)
    stats = {s["name"]: s["stats"] for s in manifest["steps"]}
    # the copies are dropped by the dedup step, and its stats say so in the same numbers as the accounting
    assert stats["dedup"]["reason:duplicate"] == manifest["counts"]["paragraphs"]["dropped"]["duplicate"] > 0
    assert stats["paragraphs"]["rows_out"] == manifest["counts"]["paragraphs"]["input"]
    assert stats["pairs"]["rows_out"] == manifest["counts"]["rows"] == sum(
        v for k, v in stats["split"].items() if k.startswith("split:"))
    assert set(manifest["step_seconds"]) == {s["name"] for s in manifest["steps"]}
    card = (explicit / "README.md").read_text(encoding="utf-8")
    assert "| `dedup` | barrier |" in card and "exact duplicates are dropped" in card


def test_leaving_out_dedup_keeps_the_copies(twice_recipe, tmp_path):
    with_dedup, _ = build(load_recipe(twice_recipe), tmp_path / "with", quiet=True)
    steps = [n for n in DEFAULT_STEPS if n not in ("fingerprint", "dedup")]
    without, _ = build(load_recipe(with_steps(twice_recipe, steps)), tmp_path / "without", quiet=True)
    manifest = json.loads((without / "build.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in manifest["steps"]][: len(steps)] == steps
    dropped = manifest["counts"]["paragraphs"]["dropped"]
    assert "duplicate" not in dropped and "near_duplicate" not in dropped
    reasons = set(pq.read_table(without / "rejects.parquet").column("reason").to_pylist())
    assert not reasons & {"duplicate", "near_duplicate"}
    # every copied article's paragraphs are now clean sides twice, under the copy's id too
    ids = set()
    for path in sorted(without.glob("*/*.parquet")):
        ids |= set(pq.read_table(path, columns=["doc_id"]).column("doc_id").to_pylist())
    assert sum(i.startswith("copy-") for i in ids) == 10
    before = json.loads((with_dedup / "build.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["paragraphs"]["paired"] > before["counts"]["paragraphs"]["paired"]
    card = (without / "README.md").read_text(encoding="utf-8")
    assert "duplicates are **not** removed" in card and "| `dedup` |" not in card


def test_leaving_out_mining(small_recipe, tmp_path):
    steps = [n for n in DEFAULT_STEPS if n != "mine"]
    folder, _ = build(load_recipe(with_steps(small_recipe, steps)), tmp_path / "dist", quiet=True)
    manifest = json.loads((folder / "build.json").read_text(encoding="utf-8"))
    assert manifest["mined"] is None and "mine" not in [s["name"] for s in manifest["steps"]]
    assert not (folder / "mined").exists()


@pytest.mark.parametrize("steps, message", [
    (["paragraphs", "fingerprint", "unique_ids", "dedupe", "pairs", "split", "measure"], "unknown step 'dedupe'"),
    (["paragraphs", "unique_ids", "unique_ids", "pairs", "split", "measure"], "unique_ids listed twice"),
    (["paragraphs", "unique_ids", "pairs", "split"], "measure cannot be left out"),
    (["paragraphs", "unique_ids", "dedup", "pairs", "split", "measure"],
     "dedup reads digest, bands, shingles, which no step before it writes"),
    (["paragraphs", "unique_ids", "pairs", "mine", "split", "measure"], "mine comes before pairs"),
    (["unique_ids", "paragraphs", "pairs", "split", "measure"], "paragraphs comes first"),
    (["paragraphs", "unique_ids", "split", "pairs", "measure"], "split reads id"),
    (["paragraphs", "unique_ids", "pairs", "measure", "split"], "measure reads rank"),
])
def test_an_order_that_breaks_a_contract_is_refused_before_any_work(small_recipe, tmp_path, steps, message):
    recipe = with_steps(small_recipe, steps)
    with pytest.raises(StepError, match=message):
        plan(load_recipe(recipe))
    run = subprocess.run([sys.executable, "-m", "corpus.cli", "build", str(recipe), "--out", str(tmp_path / "dist")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode != 0 and "pipeline.steps" in run.stderr and str(recipe) in run.stderr, run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "dist").exists()


def test_mining_needs_raw_and_clean_sources(tmp_path, wiki_articles):
    recipe = write_small_recipe(tmp_path, wiki_articles)
    text = recipe.read_text(encoding="utf-8").replace('role = "raw"', 'role = "clean"')
    recipe.write_text(text, encoding="utf-8")
    assert "mine" not in [s.name for s in plan(load_recipe(recipe)).steps]  # the default: no mining, no error
    with pytest.raises(StepError, match="mine needs a raw and a clean source"):
        plan(load_recipe(with_steps(recipe, list(DEFAULT_STEPS))))


def test_steps_that_are_not_names_are_a_recipe_error(small_recipe):
    from corpus.config.recipe import RecipeError

    with pytest.raises(RecipeError, match="pipeline.steps"):
        load_recipe(with_steps(small_recipe, None, '\n[pipeline]\nsteps = ["paragraphs", 3, {a = 1}]\n'))


def test_row_local_steps_after_a_barrier_run_in_the_driver_with_the_same_result(twice_recipe, tmp_path):
    """fingerprint listed after unique_ids (a barrier) runs in the driver, batch by batch: the same rows."""
    first, _ = build(load_recipe(twice_recipe), tmp_path / "first", quiet=True)
    steps = ["paragraphs", "unique_ids", "fingerprint", "dedup", "mine", "pairs", "split", "measure"]
    recipe = load_recipe(with_steps(twice_recipe, steps))
    cut = plan(recipe)
    assert [s.name for s in cut.workers_one] == ["paragraphs"]
    assert [s.name for s in cut.driver_one] == ["unique_ids", "fingerprint", "dedup"]
    second, _ = build(recipe, tmp_path / "second", quiet=True)
    assert shards(first) == shards(second)


def test_every_step_declares_what_the_card_shows():
    for step in STEPS.values():
        assert step.doc and step.runs in ("row-local", "barrier", "driver") and step.writes


def test_hostile_step_lists_are_named_briefly_and_before_the_version_check(small_recipe, tmp_path):
    """Thousands of unknown names, a 100,000-character name: one short message each. And a version already
    built: the bad list is named, not the version's fingerprint."""
    cli = [sys.executable, "-m", "corpus.cli", "build"]
    built = subprocess.run([*cli, str(small_recipe), "--out", str(tmp_path / "dist"), "--quiet"], capture_output=True,
                           text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    for steps, message in ([f"x{i % 9}" for i in range(5000)], "unknown steps 'x0', 'x1', 'x2', 'x3', 'x4' and 4 more"), \
            (["đ" * 100_000], "unknown step '" + "đ" * 40 + "'…"), (["paragraphs"] * 5000, "paragraphs listed twice"):
        recipe = small_recipe.with_name(f"r{len(steps[0])}-{len(steps)}.toml")
        recipe.write_text(small_recipe.read_text(encoding="utf-8"), encoding="utf-8")
        with_steps(recipe, steps)
        run = subprocess.run([*cli, str(recipe), "--out", str(tmp_path / "dist")], capture_output=True, text=True,
                             timeout=600)
        assert run.returncode == 3 and message in run.stderr and len(run.stderr) < 600, run.stderr[:600]
        assert "already holds version" not in run.stderr and "Traceback" not in run.stderr
