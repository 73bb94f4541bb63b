"""Streaming builds: the same bytes whatever the sharding, the workers or the engine; shards roll over by size;
big JSON Lines files are cut at line ends; ops check their contract; a repeated input only adds rejects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpus.pipeline.build import build
from corpus.pipeline.steps import DEFAULT_STEPS, STEPS, ReadShard, plan as plan_steps
from corpus.pipeline.shards import SHARD_BYTES, plan, read_shard
from corpus.config.recipe import load_recipe
from corpus.readers import read_source
from tests.conftest import SEED, SEED_SOURCE, VIWIKI, recipe_text

TINY = {"CORPUS_SHARD_BYTES": "20000", "CORPUS_SPILL_BYTES": "30000"}  # dozens of shards and spill files


def cli_build(recipe: Path, out: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "corpus.cli", "build", str(recipe), "--out", str(out), "--quiet",
                           *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=600)


def files(folder: Path) -> dict[str, bytes]:
    """Every file of a build but its manifest (which records timings)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "build.json"}


def test_tiny_shards_and_two_workers_give_the_same_bytes_as_one_worker(small_recipe, tmp_path):
    one, _ = build(load_recipe(small_recipe), tmp_path / "one", quiet=True, workers=1)
    run = cli_build(small_recipe, tmp_path / "tiny", "--workers", "2", env=TINY)
    assert run.returncode == 0, run.stderr
    tiny = Path(run.stdout.strip())
    assert len(plan(load_recipe(small_recipe))) == 2  # the default plan: the seed page, then the wiki file
    assert files(one) == files(tiny)
    manifest = json.loads((tiny / "build.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["rows"] > 300
    # the step stats are sums over batches: the same for 2 workers and tiny shards as for one worker and one shard
    alone = json.loads((one / "build.json").read_text(encoding="utf-8"))
    assert [s["stats"] for s in manifest["steps"]] == [s["stats"] for s in alone["steps"]]
    assert [s["name"] for s in manifest["steps"]][:len(DEFAULT_STEPS)] == list(DEFAULT_STEPS)  # raw and clean: mining


def test_ray_engine_gives_the_same_bytes_as_the_local_engine(small_recipe, tmp_path):
    pytest.importorskip("ray")
    local = cli_build(small_recipe, tmp_path / "local", "--workers", "2", env=TINY)
    ray = cli_build(small_recipe, tmp_path / "ray", "--engine", "ray", "--workers", "2", env=TINY)
    assert local.returncode == 0 and ray.returncode == 0, ray.stderr[-2000:]
    assert "Traceback" not in ray.stderr
    assert files(Path(local.stdout.strip())) == files(Path(ray.stdout.strip()))


def test_shards_roll_over_at_the_size_limit_and_load_whole(small_recipe, tmp_path):
    from datasets import load_dataset

    small_recipe.write_text(small_recipe.read_text(encoding="utf-8") + "\n[output]\nshard_mb = 0.05\n",
                            encoding="utf-8")
    folder, _ = build(load_recipe(small_recipe), tmp_path / "dist", quiet=True, workers=2)
    manifest = json.loads((folder / "build.json").read_text(encoding="utf-8"))
    train = manifest["splits"]["train"]["shards"]
    assert len(train) >= 3
    names = sorted(p.name for p in (folder / "data").glob("train-*.parquet"))
    assert names == [f"train-{i:05d}-of-{len(train):05d}.parquet" for i in range(len(train))]
    assert not list(folder.rglob("*.part"))
    for shard in train[:-1]:  # each closed just past the limit: at most one 10,000-row group beyond it
        assert shard["bytes"] >= 0.05 * 2**20
    loaded = load_dataset(str(folder), split="train")
    assert loaded.num_rows == manifest["splits"]["train"]["rows"] == sum(s["rows"] for s in train)
    assert len(set(loaded["id"])) == loaded.num_rows


def test_big_jsonl_is_cut_at_line_ends_and_read_the_same(tmp_path):
    if not VIWIKI.exists():
        pytest.skip(f"{VIWIKI} not present")
    lines = VIWIKI.read_bytes().split(b"\n")
    big = tmp_path / "in" / "wiki.jsonl"
    big.parent.mkdir()
    body = lines[:400]
    body.insert(300, "{không phải JSON: Quốc hội".encode())  # a bad line far past the first cut
    big.write_bytes(b"\n".join(body) + b"\n")
    assert big.stat().st_size > 2 * SHARD_BYTES  # the default: cut in three or more
    recipe_path = tmp_path / "r.toml"
    recipe_path.write_text(recipe_text('''
[[sources]]
name = "wiki"
paths = ["in/wiki.jsonl"]
format = "jsonl"
role = "clean"
license = "CC BY-SA 3.0"
'''), encoding="utf-8")
    recipe = load_recipe(recipe_path)
    shards = plan(recipe)
    assert len(shards) >= 3 and all(len(s.pieces) == 1 for s in shards)
    assert shards[0].pieces[0].start == 0 and shards[-1].pieces[0].end == big.stat().st_size
    cut = [item for shard in shards for item in read_shard(recipe, shard)]
    whole = list(read_source(recipe.sources[0]))
    assert cut == whole and len(whole) == 401
    bad = [item for item in cut if not hasattr(item, "text")]
    assert [b.where for b in bad] == ["in/wiki.jsonl:301"]


def test_ops_check_their_contract_on_the_seed(tmp_path):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / SEED.name).write_bytes(SEED.read_bytes())
    path = tmp_path / "r.toml"
    path.write_text(recipe_text(SEED_SOURCE), encoding="utf-8")
    recipe = load_recipe(path)
    table, stats = ReadShard(recipe, plan_steps(recipe).workers_one)(plan(recipe)[0])
    declared = {c for name in ("paragraphs", "fingerprint") for c in STEPS[name].writes}
    assert declared <= set(table.column_names)
    reasons = table.column("reason").to_pylist()
    assert reasons.count("spun") == 7 and reasons.count("") == 3  # the seed: 7 spun, 6 untouched paragraphs,
    assert reasons.count("no_final_punct") == 3  # of which the headline and two captions end without a mark
    counted = stats["counts"]["paragraphs"]  # its stats: the rows it made, and the reasons it gave
    assert counted["rows_out"] == table.num_rows and counted["reason:spun"] == 7 and counted["reason:no_final_punct"] == 3
    with pytest.raises(ValueError, match="needs columns"):
        STEPS["paragraphs"](pa.table({"text": ["Quốc hội họp phiên bế mạc."]}), recipe)


def test_a_repeated_input_only_adds_rejects(small_recipe, tmp_path):
    once, _ = build(load_recipe(small_recipe), tmp_path / "once", quiet=True)
    wiki = small_recipe.parent / "wiki.jsonl"
    lines = wiki.read_text(encoding="utf-8").split("\n")  # not splitlines(): texts hold U+2028
    copy = [json.loads(line) | {"id": f"copy-{json.loads(line)['id']}"} for line in lines if line]
    (small_recipe.parent / "wiki2.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in copy), encoding="utf-8")
    small_recipe.write_text(small_recipe.read_text(encoding="utf-8").replace('paths = ["wiki.jsonl"]',
                                                                           'paths = ["wiki*.jsonl"]'), encoding="utf-8")
    twice, _ = build(load_recipe(small_recipe), tmp_path / "twice", quiet=True, workers=2)
    assert {k: v for k, v in files(once).items() if k.startswith("data/")} == \
        {k: v for k, v in files(twice).items() if k.startswith("data/")}
    rejects = pq.read_table(twice / "rejects.parquet").to_pylist()
    copies = [r for r in rejects if r["id"].startswith("wiki/copy-")]
    wiki_counts = json.loads((once / "build.json").read_text())["counts"]["per_source"]["wiki"]
    assert len(copies) == wiki_counts["paragraphs"]  # every paragraph of the copy is rejected
    duplicates = [r for r in copies if r["reason"] == "duplicate"]
    assert len(duplicates) >= wiki_counts["paired"]  # what the first copy paired (or dropped as a twin) repeats
    assert {r["reason"] for r in copies} - {"duplicate"} <= {"heading", "too_short", "too_long", "boilerplate",
                                                              "not_vietnamese", "no_final_punct"}
    assert all(r["cluster"].startswith("wiki/") and not r["cluster"].startswith("wiki/copy-") for r in duplicates)


def test_parquet_input_is_cut_at_row_groups_and_gives_the_rows_jsonl_gives(small_recipe, tmp_path):
    from corpus.pipeline import shards

    once, _ = build(load_recipe(small_recipe), tmp_path / "jsonl", quiet=True)
    records = [json.loads(line) for line in (small_recipe.parent / "wiki.jsonl").read_text(encoding="utf-8")
               .split("\n") if line]
    pq.write_table(pa.Table.from_pylist(records), small_recipe.parent / "wiki.parquet", row_group_size=4)
    text = small_recipe.read_text(encoding="utf-8")
    small_recipe.write_text(text.replace('paths = ["wiki.jsonl"]\nformat = "jsonl"',
                                         'paths = ["wiki.parquet"]\nformat = "parquet"'), encoding="utf-8")
    recipe = load_recipe(small_recipe)
    cut = shards.plan(recipe, 20_000)
    assert len([s for s in cut if s.source == 1]) >= 3
    assert [d for s in cut if s.source == 1 for d in read_shard(recipe, s)] == list(read_source(recipe.sources[1]))
    parquet, _ = build(recipe, tmp_path / "parquet", quiet=True, workers=2)
    assert {k: v for k, v in files(once).items() if k.startswith("data/")} == \
        {k: v for k, v in files(parquet).items() if k.startswith("data/")}


@pytest.mark.parametrize("value", ["abc", "0", "-5", "12.5", "99"])
def test_a_bad_work_size_in_the_environment_is_named_not_a_traceback(small_recipe, tmp_path, value):
    for variable in ("CORPUS_SHARD_BYTES", "CORPUS_SPILL_BYTES"):
        run = cli_build(small_recipe, tmp_path / variable, env={variable: value})
        assert run.returncode != 0 and f"{variable}=" in run.stderr and "Traceback" not in run.stderr, run.stderr
        assert not list((tmp_path / variable).rglob("build.json"))
