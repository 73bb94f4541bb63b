"""Build orchestration: recipe → documents → paragraphs → pairs → splits → dist/<name>/<version>/.

One direction, no back and forth. Every input paragraph ends up either as the clean side of rows or counted
under a drop reason. The version folder appears only complete: it is built in a temporary folder and renamed.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from pathlib import Path

from tqdm import tqdm

import corpus
from corpus.dataset.card import render_card
from corpus.dataset.charts import write_charts
from corpus.dataset.features import SPLITS
from corpus.dataset.writer import write_rejects, write_split
from corpus.dedup import near_duplicates
from corpus.pairs import document_rows
from corpus.real import real_rows
from corpus.recipe import Recipe
from corpus.sources import Skip, read_source
from corpus.spin.calibrate import calibrate, read_pairs
from corpus.baselines import results
from corpus.spin.detect import THRESHOLD, detect
from corpus.spin.restore import Restorer
from corpus.spin.lm import NgramModel
from corpus.spin.stats import edit_kinds, pair_statistics
from corpus.split import assign_split, stable_hash
from corpus.text.normalize import normalize
from corpus.text.segment import BODY, segment

MANIFEST = "build.json"
LM_FILE = "lm.tsv.gz"
REJECTS_FILE = "rejects.parquet"
RESULTS_SAMPLE = 2000  # synthetic test rows the card's baseline table is computed on (corpus eval scores all)


class BuildError(RuntimeError):
    pass


def remove_leftovers(parent: Path, version: str) -> None:
    """Temporary folders of builds that were killed before their rename: never a valid version, always safe."""
    for stale in parent.glob(f".{version}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in parent.glob(f".{version}.old-*"):
        shutil.rmtree(stale, ignore_errors=True)


def existing_fingerprint(folder: Path) -> str | None:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["fingerprint"]
    except (OSError, ValueError, KeyError):
        return None


def triage(text: str, raw: bool, tone_marks: str, repair_glued: bool, min_chars: int,
           max_chars: int) -> list[tuple[int, str, str | None, dict | None]]:
    """(index, paragraph, drop reason or None, detection of a spun raw paragraph) for one document.

    Pure and per document, so it runs in any worker; duplicates are judged later, in reading order.
    """
    out = []
    for index, (kind, paragraph) in enumerate(segment(normalize(text, tone_marks), repair_glued)):
        reason, detection = None, None
        if kind != BODY:
            reason = kind
        elif len(paragraph) < min_chars:
            reason = "too_short"
        elif len(paragraph) > max_chars:
            reason = "too_long"
        elif raw and (d := detect(paragraph)).label == "spun":
            reason, detection = "spun", {"score": d.score, "evidence": d.evidence}
        out.append((index, paragraph, reason, detection))
    return out


def _triage(job: tuple) -> list:
    return triage(*job)


def _pair(job: tuple) -> list[dict]:
    return document_rows(*job)


@contextmanager
def executor(workers: int):
    """An ordered map over `workers` processes (results come back in input order, so output never depends on
    the number of workers); a plain map for one worker."""
    if workers <= 1:
        yield map
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield lambda fn, items: pool.imap(fn, items, chunksize=8)


def collect_rows(recipe: Recipe, quiet: bool = False, workers: int = 1) -> tuple[list[dict], dict]:
    """All rows, in source / document / paragraph / variant order, and the accounting of every paragraph.

    Reading drops what is not pair material (by reason, into `rejects`); near-duplicates are removed across the
    whole input before any pair is made. The accounting keeps the real document's spun and kept paragraphs.
    """
    with executor(workers) as pmap:
        return _collect(recipe, quiet, pmap)


def _collect(recipe: Recipe, quiet: bool, pmap) -> tuple[list[dict], dict]:
    real_doc = (recipe.real_source, recipe.real_doc_id) if recipe.real else None
    real_spun: dict[int, str] = {}
    dropped: Counter = Counter()
    per_source: dict[str, Counter] = defaultdict(Counter)
    skipped, held_spun, rejects = [], [], []
    seen_clean: dict[str, str] = {}
    documents: list[tuple[str, str, list[tuple[int, str]]]] = []
    for source in recipe.sources:
        counts = per_source[source.name]
        read = []
        for doc in read_source(source):
            if isinstance(doc, Skip):
                skipped.append({"source": doc.source, "where": doc.where, "reason": doc.reason})
                rejects.append({"id": f"{doc.source}:{doc.where}", "reason": "unreadable_input", "cluster": "",
                                "text": doc.reason})
            else:
                read.append(doc)
        jobs = ((doc.text, source.role == "raw", recipe.tone_marks, recipe.repair_glued, recipe.min_chars,
                 recipe.max_chars) for doc in read)
        triaged = tqdm(pmap(_triage, jobs), total=len(read), desc=f"reading {source.name}", unit=" docs",
                       disable=True if quiet else None, file=sys.stderr, leave=False)
        for doc, paragraphs in zip(read, triaged):
            counts["documents"] += 1
            counts["paragraphs"] += len(paragraphs)
            kept: list[tuple[int, str]] = []
            for index, text, reason, detection in paragraphs:
                key = f"{source.name}/{doc.doc_id}/{index}"
                cluster = ""
                if reason == "spun":
                    held_spun.append({"id": key, **detection})
                    if (source.name, doc.doc_id) == real_doc:
                        real_spun[index] = text
                elif reason is None and text in seen_clean:
                    reason, cluster = "duplicate", seen_clean[text]
                if reason:
                    dropped[reason] += 1
                    rejects.append({"id": key, "reason": reason, "cluster": cluster, "text": text})
                    continue
                seen_clean[text] = key
                kept.append((index, text))
            documents.append((source.name, doc.doc_id, kept))

    flat = [(d, i, text) for d, (_, _, kept) in enumerate(documents) for i, text in kept]
    twins = near_duplicates([text for _, _, text in flat], recipe.dedup) if recipe.dedup.enabled else {}
    removed: set[tuple[int, int]] = set()
    for position, twin in sorted(twins.items()):
        d, index, text = flat[position]
        source, doc_id, _ = documents[d]
        kd, kindex, _ = flat[twin]
        dropped["near_duplicate"] += 1
        rejects.append({"id": f"{source}/{doc_id}/{index}", "reason": "near_duplicate",
                        "cluster": f"{documents[kd][0]}/{documents[kd][1]}/{kindex}", "text": text})
        removed.add((d, index))

    rows, real_kept = [], []
    jobs = []
    for d, (source, doc_id, kept) in enumerate(documents):
        kept = [(i, t) for i, t in kept if (d, i) not in removed]
        per_source[source]["paired"] += len(kept)
        if (source, doc_id) == real_doc:
            real_kept = kept
        jobs.append((source, doc_id, kept, recipe.seed, recipe.noise))
    for doc_rows in tqdm(pmap(_pair, jobs), total=len(jobs), desc="spinning", unit=" docs",
                         disable=True if quiet else None, file=sys.stderr, leave=False):
        rows += doc_rows
    paragraphs = {
        "input": sum(c["paragraphs"] for c in per_source.values()),
        "paired": sum(c["paired"] for c in per_source.values()),
        "dropped": dict(sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0]))),
    }
    accounting = {"paragraphs": paragraphs, "per_source": {k: dict(v) for k, v in per_source.items()},
                  "skipped": skipped, "held_spun": held_spun, "real_spun": real_spun, "real_kept": real_kept,
                  "rejects": rejects}
    return rows, accounting


def sample(rows: list[dict], n: int) -> list[dict]:
    """Up to n rows chosen by a hash of their id (the same rows at every build), in their original order."""
    if len(rows) <= n:
        return rows
    chosen = set(sorted(range(len(rows)), key=lambda i: stable_hash("sample", rows[i]["id"]))[:n])
    return [r for i, r in enumerate(rows) if i in chosen]


def pick_examples(rows: list[dict], n: int = 3) -> list[dict]:
    """A few short spun rows, drawn by a hash of their id: the same at every build, and not cherry-picked."""
    candidates = [r for r in rows if r["edits"] and 80 <= len(r["clean"]) <= 320 and "\n" not in r["clean"]]
    candidates.sort(key=lambda r: stable_hash("example", r["id"]))
    picked: dict[tuple, dict] = {}
    for r in candidates:
        picked.setdefault((r["source"], r["doc_id"], r["paragraph"]), r)
    return list(picked.values())[:n]


def build(recipe: Recipe, out_root: Path, force: bool = False, quiet: bool = False,
          workers: int = 1, strict: bool = False) -> tuple[Path, bool]:
    """Build the recipe's version under out_root; return (folder, whether anything was built)."""
    started = time.time()
    fingerprint = recipe.fingerprint()
    target = out_root / recipe.name / recipe.version
    if target.exists():
        old = existing_fingerprint(target)
        if old == fingerprint and not force:
            return target, False
        if not force:
            raise BuildError(
                f"{target} already holds version {recipe.version} built with fingerprint {old}, but the recipe "
                f"now gives {fingerprint}. A version is immutable: bump dataset.version in {recipe.path}, "
                f"or pass --force to replace it."
            )

    rows, accounting = collect_rows(recipe, quiet, workers)
    if strict and accounting["skipped"]:
        first = accounting["skipped"][0]
        raise BuildError(f"--strict: {len(accounting['skipped'])} inputs could not be read (first: {first['where']}: "
                         f"{first['reason']}); nothing written")
    by_split: dict[str, list[dict]] = {name: [] for name in SPLITS}
    docs_by_split: dict[str, set] = {name: set() for name in SPLITS}
    for row in rows:
        split = assign_split(f"{row['source']}/{row['doc_id']}", recipe.seed, recipe.splits)
        by_split[split].append(row)
        docs_by_split[split].add((row["source"], row["doc_id"]))

    real = real_rows(recipe, accounting["real_spun"], accounting["real_kept"]) if recipe.real else []

    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target.parent, recipe.version)
    tmp = Path(tempfile.mkdtemp(prefix=f".{recipe.version}.tmp-", dir=target.parent))
    try:
        configs = {"default": {name: write_split(split_rows, name, tmp, "data", recipe.rows_per_shard)
                               for name, split_rows in by_split.items()}}
        if real:
            configs["real"] = {"test": write_split(real, "test", tmp, "real", recipe.rows_per_shard)}
        write_rejects(accounting["rejects"], tmp / REJECTS_FILE)
        # the baseline restorer's language model: clean text of the train split only, so test stays unseen
        lm = NgramModel.train(sorted({r["clean"] for r in by_split["train"]}))
        lm.save(tmp / LM_FILE)
        test_sets = {"synthetic test": sample(by_split["test"], RESULTS_SAMPLE), **({"real test": real} if real else {})}
        baseline_results = results(test_sets, Restorer(lm))
        stats = pair_statistics([(r["clean"], r["noisy"]) for r in rows])
        stats["untouched_pairs"] = stats["pairs"] - stats["spun_pairs"]
        stats["edits_by_kind"] = edit_kinds(rows)
        calibration = None
        if recipe.real:
            calibration = calibrate(read_pairs(recipe.real.path), recipe.noise, recipe.seed,
                                    recipe.calibration_draws)
            calibration["file"] = recipe.real.name
        resolved = recipe.resolved()
        context = {
            **resolved,
            "recipe_file": recipe.path.name,
            "fingerprint": fingerprint,
            "toolkit_version": corpus.__version__,
            "stats": stats,
            "paragraphs": accounting["paragraphs"],
            "skipped": accounting["skipped"],
            "splits": [{"name": n, "rows": len(by_split[n]), "documents": len(docs_by_split[n])} for n in SPLITS],
            "real": {"rows": len(real), "spun": sum(r["noisy"] != r["clean"] for r in real),
                     "split": assign_split(f"{recipe.real_source}/{recipe.real_doc_id}", recipe.seed, recipe.splits)}
            if real else None,
            "examples": pick_examples(rows),
            "calibration": calibration,
            "results": baseline_results,
            "results_rows": {name: len(rows) for name, rows in test_sets.items() if rows},
            "detector_threshold": THRESHOLD,
        }
        # --- charts for the card (corpus/dataset/charts.py); it reads only the build.json fields it is given
        context["charts"] = write_charts(tmp, {"counts": {"noise": stats, "paragraphs": accounting["paragraphs"]},
                                               "calibration": calibration, "results": baseline_results,
                                               "splits": {s["name"]: s for s in context["splits"]},
                                               "real": context["real"]})
        (tmp / "README.md").write_text(render_card(recipe, configs, context), encoding="utf-8")
        manifest = {
            "name": recipe.name,
            "version": recipe.version,
            "fingerprint": fingerprint,
            "toolkit_version": corpus.__version__,
            "recipe": resolved,
            "inputs": [{"source": s.name, "name": i.name, "bytes": i.bytes, "sha256": i.sha256}
                       for s in recipe.sources for i in s.inputs],
            "counts": {
                "documents": sum(c.get("documents", 0) for c in accounting["per_source"].values()),
                "per_source": accounting["per_source"],
                "paragraphs": accounting["paragraphs"],
                "rows": len(rows),
                "noise": stats,
            },
            "calibration": calibration,
            "results": baseline_results,
            "splits": {n: {"rows": len(by_split[n]), "documents": len(docs_by_split[n]),
                           "shards": configs["default"][n]} for n in SPLITS},
            "real": {"rows": len(real), "spun": sum(r["noisy"] != r["clean"] for r in real),
                     "shards": configs["real"]["test"]} if real else None,
            "language_model": LM_FILE,
            "rejects": REJECTS_FILE,
            "skipped_inputs": accounting["skipped"],
            "held_spun_paragraphs": accounting["held_spun"],
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "wall_seconds": round(time.time() - started, 2),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        os.chmod(tmp, 0o755)
        if target.exists():
            old = target.with_name(f".{recipe.version}.old-{os.getpid()}")
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old)
        else:
            tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return target, True
