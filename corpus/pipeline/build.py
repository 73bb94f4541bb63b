"""Build orchestration: recipe → shards → paragraphs → dedup → pairs → splits → dist/<name>/<version>/.

Streamed in two phases (see corpus/pipeline): workers run the row-local steps, this driver runs the barriers and
writes every byte, in reading order. Every input paragraph ends up either as the clean side of rows or counted
under a drop reason. The version folder appears only complete: it is built in a temporary folder and renamed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from functools import cached_property
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import corpus
from corpus.despin.baselines import HELD_OUT, held_out_rows, results
from corpus.dataset.card import citation, licence_rows, render_card, render_license, source_rows
from corpus.dataset.charts import write_charts
from corpus.dataset.manifest import Manifest, ManifestError
from corpus.dataset.validate import file_records, manifest_digest
from corpus.dataset.features import SPLITS
from corpus.dataset.writer import REJECTS_SCHEMA, ShardWriter, close_rejects, rejects_writer, write_split
from corpus.match.mine import TWINS, Miner, mine, pair_row
from corpus.pipeline.engine import make_engine
from corpus.pipeline.progress import over_shards, stage
from corpus.pipeline.steps import (CLEAN_SIDE_REASONS, DRIVER, KEPT, RESPACED, SKIPPED, MakePairs, Plan,
                                   Context, ReadShard, Step, StepError, StepStats,
                                   plan as plan_steps)
from corpus.pipeline.shards import plan, work_bytes
from corpus.rand import RowRandom, stable_hash
from corpus.pipeline.real import real_rows
from corpus.config.recipe import LICENSE_FILE, Recipe
from corpus.readers.pairs import read_pairs, texts
from corpus.spin.calibrate import calibrate
from corpus.despin.detector import MODEL_FILE as DETECTOR_MODEL
from corpus.despin.detector import WEIGHTS_FILE as DETECTOR_SETTINGS
from corpus.despin.detector import WORDS_ONLY, Detector
from corpus.despin.detector import train as train_detector
from corpus.spin.learn import CountSubstitutions, learned_lexicon
from corpus.spin.lexicon_files import COMPILED, write_compiled
from corpus.despin.lm import NgramModel
from corpus.spin.noise import spin
from corpus.despin.restore import Restorer
from corpus.spin.stats import MEASURES, summarize
from corpus.pipeline.split import assign_split

MANIFEST = "build.json"
LM_FILE = "lm.tsv.gz"
LEARNED_FILE = "learned.txt"  # the lexicon learned from the mined pairs, for the next build's [[lexicons]]
REJECTS_FILE = "rejects.parquet"
RESULTS_SAMPLE = 2000  # synthetic test rows the card's baseline table is computed on (corpus eval scores all)
DETECTOR_TEXTS = 3_000  # distinct validation texts the spin detector is fitted (half) and calibrated (half) on
LM_TEXTS = 20_000  # distinct train texts (lowest rank) the baseline LM is trained on; the card says so
EXAMPLE_POOL = 64  # lowest-hash candidates kept for the card's three examples
SPILL_BYTES = 2 << 20  # kept text per spill file (phase two's unit; CORPUS_SPILL_BYTES, like CORPUS_SHARD_BYTES)
MEASURED_ROWS = 20_000  # about this many rows (the lowest ranks) are measured for the card's noise statistics
# raw paragraphs the miner sees: a caption or a paragraph dropped as a clean side may still copy a clean one
MINABLE = frozenset({"", "spun", "duplicate", "near_duplicate", *CLEAN_SIDE_REASONS})
TWIN_ROWS = 100_000  # clean paragraphs dropped as duplicates held before they go to a file (mining only)


class BuildError(RuntimeError):
    pass


CARD_STEPS = {step.name: step for step in (
    Step("real", "the hand-restored pairs of the real page, beside its untouched paragraphs as negatives: the `real` "
         "config", ("real pairs", "the real document's paragraphs"), ("real/test",), DRIVER, ("real",), None),
    Step("language_model", "a syllable n-gram model of the train split's clean text (a sample by rank), for the "
         "baseline restorer", ("train clean text",), (LM_FILE, COMPILED), DRIVER, ("lexicons",), None),
    Step("spin_detector", "the spin detector: n-gram tables from the train text, a regression and threshold fitted "
         "on validation paragraphs spun with one half of the lexicon", ("train and validation clean text",),
         (DETECTOR_MODEL, DETECTOR_SETTINGS), DRIVER, ("noise", "lexicons"), None),
    Step("baselines", "scores the identity and reference restorers on samples of the test splits, in-sample and on "
         "the held-back half of the lexicon", ("test rows", LM_FILE), ("results",), DRIVER, ("noise", "lexicons"),
         None),
    Step("calibration", "spins the real pairs' clean sides and compares the noise with the real spinner's", (
        "real pairs",), ("calibration",), DRIVER, ("noise", "real"), None),
    Step("charts", "the card's charts", ("counts", "results", "calibration"), ("charts/",), DRIVER, (), None),
)}


class Steps:
    """The steps a build ran, in order, with their stats: build.json's `steps` and the card's table."""

    def __init__(self, plan: Plan, quiet: bool, seconds: dict):
        self.plan, self.quiet, self.seconds = plan, quiet, seconds
        self.stats = StepStats()
        self.ran: list[Step] = []

    @contextmanager
    def driver(self, name: str):
        """`with steps.driver("charts") as counts:` a driver step, named on the terminal while it runs, timed,
        listed; the step may add counts to its stats."""
        step = CARD_STEPS.get(name) or next(s for s in self.plan.steps if s.name == name)
        self.ran.append(step)
        counts: dict[str, int] = {}
        clock = time.perf_counter()
        with stage(name.replace("_", " "), self.seconds, self.quiet):
            yield counts
        self.stats.add(name, time.perf_counter() - clock, **counts)

    def listing(self) -> list[dict]:
        return [{**step.describe(), "stats": dict(sorted(self.stats.counts.get(step.name, {}).items()))}
                for step in self.ran]

    def step_seconds(self) -> dict[str, float]:
        return {step.name: round(self.stats.seconds[step.name], 2) for step in self.ran}


class VersionLock:
    """One build of a version at a time: a lock on `.<version>.lock` beside the version folder, taken without
    waiting (BuildError if another process holds it). A POSIX record lock (fcntl.lockf): the kernel drops it
    when the process dies, however it dies, and the forked pool workers do not inherit it (with flock, a worker
    outliving a killed build would keep the version locked). The file is removed on release; whoever takes the
    lock checks that the file it locked is still the one at the path, as a build releasing it may just have
    removed it. Everything in the parent folder named after the version is changed only under this lock."""

    def __init__(self, parent: Path, name: str, version: str):
        import errno
        import fcntl

        self.path = parent / f".{version}.lock"
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                os.close(fd)
                if e.errno in (errno.EACCES, errno.EAGAIN):
                    raise BuildError(f"another build of {name} {version} is running ({self.path})") from None
                raise
            try:
                held, here = os.fstat(fd), os.stat(self.path)
                if (held.st_dev, held.st_ino) == (here.st_dev, here.st_ino):
                    self.fd: int | None = fd
                    return
            except FileNotFoundError:
                pass
            os.close(fd)  # removed or replaced by the build that released it: lock the file now at the path

    def release(self) -> None:
        if self.fd is not None:
            try:
                self.path.unlink(missing_ok=True)  # while still locked: no one can be holding it
            finally:
                os.close(self.fd)
                self.fd = None


def _discard(folder: Path, version: str) -> None:
    """Delete a folder, first renamed out of the `.old-` names: a deletion cut short never looks like a copy of
    a version that restore_replaced would put back."""
    trash = folder.with_name(f".{version}.del-{os.getpid()}-{folder.name.rsplit('-', 1)[-1]}")
    try:
        folder.rename(trash)
    except OSError:
        trash = folder
    shutil.rmtree(trash, ignore_errors=True)


def restore_replaced(target: Path) -> Path | None:
    """--force replaces a version with two renames (version -> .<version>.old-<pid>, new -> version): a build
    killed between them leaves no version at the path and the old one, complete, under its .old- name. Put it
    back (the newest, if there are several). Call under the version's lock; return the folder restored."""
    if os.path.lexists(target):
        return None
    olds = [p for p in target.parent.glob(f".{target.name}.old-*") if existing_fingerprint(p) is not None]
    if not olds:
        return None
    newest = max(olds, key=lambda p: ((p / MANIFEST).stat().st_mtime_ns, p.name))
    newest.rename(target)
    return newest


def remove_leftovers(parent: Path, version: str) -> None:
    """What killed builds left beside the version: temporary folders (never a valid version), replaced versions
    (once the version at the path is restored or complete) and cut-short deletions. Call under the version's
    lock, which says that no live build owns any of them."""
    restore_replaced(parent / version)
    for stale in parent.glob(f".{version}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in parent.glob(f".{version}.del-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in parent.glob(f".{version}.old-*"):
        _discard(stale, version)


def existing_fingerprint(folder: Path) -> str | None:
    """The fingerprint of the build in `folder`; None when its build.json is missing or damaged."""
    from corpus.dataset.manifest import Manifest, ManifestError

    try:
        return Manifest.read(folder).fingerprint
    except ManifestError:
        return None


class Reading:
    """What the driver learns from phase one, batch by batch: the accounting of every paragraph, the rejects,
    the kept paragraphs (spilled to disk), and the real document's paragraphs."""

    def __init__(self, recipe: Recipe, rejects, spill_dir: Path, mine: bool, spill_bytes: int = SPILL_BYTES):
        self.rejects, self.spill_dir, self.spill_bytes = rejects, spill_dir, spill_bytes
        self.real_doc = (recipe.real_source, recipe.real_doc_id) if recipe.real else None
        self.real_spun: dict[int, str] = {}
        self.real_kept: list[tuple[int, str]] = []
        self.dropped: Counter = Counter()
        self.respaced = 0  # kept paragraphs whose space before a mark was removed (filters.respace_punct)
        self.per_source: dict[str, Counter] = {s.name: Counter() for s in recipe.sources}
        self.skipped: list[dict] = []
        self.spills: list[str] = []
        self.kept: list[pa.Table] = []
        self.kept_bytes = 0
        # mining: every raw paragraph that could be a copy of a clean one, and whether it is a clean side
        self.raw_sources = {s.name for s in recipe.sources if s.role == "raw"}
        self.miner = Miner(recipe.mine) if mine else None
        self.raw_kept: list[bool] = []
        self.twins: list[tuple] = []
        self.twin_files: list[str] = []
        self.near: list[tuple] = []
        self.near_files: list[str] = []

    def add(self, table: pa.Table) -> None:
        self._count(table)
        if self.miner is not None:
            self.collect(table)
        reason = table.column("reason")
        dropped = table.filter(pc.not_equal(reason, ""))
        ids = pc.binary_join_element_wise(dropped.column("source"), dropped.column("doc_id"),
                                          pc.cast(dropped.column("index"), pa.string()), "/")
        unreadable = pc.equal(dropped.column("reason"), "unreadable_input")
        where = pc.binary_join_element_wise(dropped.column("source"), dropped.column("doc_id"), ":")
        cluster = pc.if_else(pc.is_in(dropped.column("reason"), pa.array(["duplicate", "near_duplicate"])),
                             dropped.column("detail"), "")
        self.rejects.write(pa.table({
            "id": pc.if_else(unreadable, where, ids), "reason": dropped.column("reason"), "cluster": cluster,
            "text": pc.if_else(unreadable, dropped.column("detail"), dropped.column("text")),
            "detail": pc.if_else(pc.equal(cluster, ""), dropped.column("detail"), ""),
        }, schema=REJECTS_SCHEMA))
        kept = table.filter(pc.equal(reason, "")).select(KEPT.names)
        if kept.num_rows:
            self.kept.append(kept)
            self.kept_bytes += kept.nbytes
        if self.kept_bytes >= self.spill_bytes:
            self.spill()

    def _count(self, table: pa.Table) -> None:
        """The accounting of a batch in a few group-bys (a document's paragraphs all come in one batch); only
        the unreadable inputs and the real document's paragraphs become Python objects."""
        skipped = pc.equal(table.column("index"), SKIPPED)
        for row in table.filter(skipped).select(["source", "doc_id", "detail"]).to_pylist():
            self.skipped.append({"source": row["source"], "where": row["doc_id"], "reason": row["detail"]})
        table = table.filter(pc.invert(skipped))
        reason = table.column("reason")
        kept = pc.equal(reason, "")
        per_source = pa.table({"source": table.column("source"), "doc_id": table.column("doc_id"),
                               "kept": pc.cast(kept, pa.int64())}).group_by("source", use_threads=False).aggregate(
            [("doc_id", "count"), ("kept", "sum"), ("doc_id", "count_distinct")])
        for row in per_source.to_pylist():
            counts = self.per_source[row["source"]]
            counts["paragraphs"] += row["doc_id_count"]
            if row["kept_sum"]:
                counts["paired"] += row["kept_sum"]
            counts["documents"] += row["doc_id_count_distinct"]
        for item in pc.value_counts(reason.filter(pc.invert(kept))).to_pylist():
            self.dropped[item["values"]] += item["counts"]
        self.respaced += pc.sum(pc.and_(kept, pc.equal(table.column("detail"), RESPACED))).as_py() or 0
        if self.real_doc is not None:
            real = table.filter(pc.and_(pc.equal(table.column("source"), self.real_doc[0]),
                                        pc.equal(table.column("doc_id"), self.real_doc[1])))
            for index, text, why in zip(*(real.column(c).to_pylist() for c in ("index", "text", "reason"))):
                if why == "spun":
                    self.real_spun[index] = text
                elif not why or why in CLEAN_SIDE_REASONS:  # the page as it is: its captions are negatives
                    self.real_kept.append((index, text))

    def collect(self, table: pa.Table) -> None:
        """Raw paragraphs for mining (all but headings, boilerplate and the too short or long), and the clean
        paragraphs dropped as exact duplicates (clean sources are read first, so a raw page's copy of a clean
        paragraph is the one dropped, and the clean one is in the spill files)."""
        reason = table.column("reason")
        raw = pc.and_(pc.and_(pc.is_in(table.column("source"), pa.array(sorted(self.raw_sources), pa.string())),
                              pc.not_equal(table.column("index"), SKIPPED)),
                      pc.is_in(reason, pa.array(sorted(MINABLE), pa.string())))
        wanted = pc.or_(raw, pc.is_in(reason, pa.array(["duplicate", "near_duplicate"])))
        rows = table.filter(wanted).select(["source", "doc_id", "index", "text", "reason", "detail"]).to_pydict()
        for is_raw, source, doc_id, index, text, reason, detail in zip(
                raw.filter(wanted).to_pylist(), *rows.values()):
            if is_raw:
                self.miner.add_raw(source, doc_id, index, text)
                self.raw_kept.append(not reason)
            elif reason == "duplicate":
                self.twins.append((detail, source, doc_id, index))
            else:
                self.near.append((source, doc_id, index, text))
        if len(self.twins) + len(self.near) >= TWIN_ROWS:
            self.spill_twins()

    def spill_twins(self) -> None:
        """Clean paragraphs dropped as duplicates, for the miner, which must see every paragraph of the article a
        page copies: the exact ones by the key of the copy kept (a crawl has millions), the near ones with their
        text (they differ from the copy kept: "từ 02 năm" is not "từ 03 năm"). To disk, like the spills."""
        for rows, schema, files, name in ((self.twins, TWINS, self.twin_files, "twins"),
                                          (self.near, KEPT, self.near_files, "near")):
            if rows:
                path = self.spill_dir / f"{name}-{len(files):05d}.arrow"
                table = pa.table([pa.array(c, t.type) for c, t in zip(zip(*rows), schema)], schema=schema)
                with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
                    writer.write_table(table)
                files.append(str(path))
                rows.clear()

    def spill(self) -> None:
        """Kept paragraphs to an Arrow file on disk: phase two reads them back, so memory stays bounded."""
        if not self.kept:
            return
        path = self.spill_dir / f"kept-{len(self.spills):05d}.arrow"
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, KEPT) as writer:
            writer.write_table(pa.concat_tables(self.kept))
        self.spills.append(str(path))
        self.kept, self.kept_bytes = [], 0

    def paragraphs(self) -> dict:
        read = sum(c["paragraphs"] for c in self.per_source.values())
        return {"input": read, "paired": sum(c["paired"] for c in self.per_source.values()),
                "dropped": dict(sorted(self.dropped.items(), key=lambda kv: (-kv[1], kv[0]))),
                "respaced": self.respaced}


class Pairing:
    """What the driver keeps of phase two's rows besides writing them: sums and small samples chosen by each
    row's `rank` (a hash of its id), so memory does not grow with the number of rows."""

    def __init__(self):
        self.totals: Counter = Counter()
        self.rows = self.spun = 0
        self.rows_by_split: Counter = Counter()
        self.documents_by_split: Counter = Counter()
        self.edit_kinds: Counter = Counter()
        self.lm_texts = Lowest(LM_TEXTS, "clean")  # train clean texts: the baseline's language model's
        self.validation_texts = Lowest(DETECTOR_TEXTS, "clean")  # validation clean texts: the detector's regression
        self.test_sample = Lowest(RESULTS_SAMPLE, "id")  # test rows: the card's baseline results
        self.examples = Lowest(EXAMPLE_POOL, "id")  # short spun rows: the card's examples

    def add(self, table: pa.Table) -> dict[str, pa.Table]:
        """Sum and sample a batch of rows; return its rows of each split (cut once, for the writers too)."""
        table = table.append_column("order", pa.array(range(self.rows, self.rows + table.num_rows), pa.int64()))
        self.rows += table.num_rows
        self.spun += pc.sum(pc.not_equal(table.column("clean"), table.column("noisy"))).as_py() or 0
        measures = table.column("measures").combine_chunks()
        for name in MEASURES:
            self.totals[name] += pc.sum(measures.field(name)).as_py() or 0
        kinds = pc.list_flatten(table.column("edits")).combine_chunks()
        if len(kinds):
            for item in pc.value_counts(kinds.field("kind")).to_pylist():
                self.edit_kinds[item["values"]] += item["counts"]
        split = table.column("split")
        parts = {name: table.filter(pc.equal(split, name)) for name in SPLITS}
        for name, part in parts.items():
            if part.num_rows:
                self.rows_by_split[name] += part.num_rows
                documents = pc.binary_join_element_wise(part.column("source"), part.column("doc_id"), "/")
                self.documents_by_split[name] += pc.count_distinct(documents).as_py()  # a document is in one batch
        self.lm_texts.add(parts["train"].select(["clean", "rank"]))
        self.validation_texts.add(parts["validation"].select(["clean", "rank"]))
        sampled = [c for c in table.column_names if c != "measures"]
        self.test_sample.add(parts["test"].select(sampled))
        rows = table.select(sampled)
        clean = table.column("clean")
        short = pc.and_(pc.and_(pc.greater(pc.list_value_length(table.column("edits")), 0),
                                pc.invert(pc.match_substring(clean, "\n"))),
                        pc.and_(pc.greater_equal(pc.utf8_length(clean), 80), pc.less_equal(pc.utf8_length(clean), 320)))
        self.examples.add(rows.filter(short))
        return parts

    @cached_property
    def language_model_texts(self) -> list[str]:
        """Sorted once the rows are all in (the LM, the detector and the card read them)."""
        return sorted(self.lm_texts.items())

    def detector_texts(self) -> list[str]:
        return sorted(self.validation_texts.items())

    def sample(self) -> list[dict]:
        """The test rows with the lowest ranks, in their original order."""
        return sorted(self.test_sample.values(), key=lambda r: r["order"])

    def pick_examples(self, n: int = 3) -> list[dict]:
        """A few short spun rows, drawn by rank: the same at every build, and not cherry-picked."""
        picked: dict[tuple, dict] = {}
        for r in self.examples.values():
            picked.setdefault((r["source"], r["doc_id"], r["paragraph"]), r)
        return list(picked.values())[:n]

    def statistics(self) -> dict:
        stats = summarize(self.totals, self.rows)
        # rates come from the measured sample; the count of spun rows from every row
        stats["measured_pairs"], stats["spun_pairs"] = stats["spun_pairs"], self.spun
        stats["untouched_pairs"] = stats["pairs"] - stats["spun_pairs"]
        stats["edits_by_kind"] = dict(sorted(self.edit_kinds.items(), key=lambda kv: (-kv[1], kv[0])))
        return stats


class Lowest:
    """The n rows of lowest (rank, key) seen so far, one per key (its lowest rank; the first seen on a tie), kept
    as Arrow tables and cut back to n in one sort whenever 2n rows pile up: no row becomes a Python object until
    the end."""

    def __init__(self, n: int, key: str):
        self.n, self.key = n, key
        self.parts: list[pa.Table] = []
        self.size = 0
        self.cutoff: int | None = None  # a row ranked at or above it cannot make the n
        self.shrunk = True

    def add(self, table: pa.Table) -> None:
        if self.cutoff is not None:
            table = table.filter(pc.less(table.column("rank"), pa.scalar(self.cutoff, pa.uint64())))
        if table.num_rows:
            self.parts.append(table)
            self.size += table.num_rows
            self.shrunk = False
        if self.size > 2 * self.n:
            self._shrink()
            if self.size == self.n:
                self.cutoff = self.parts[0].column("rank")[-1].as_py() + 1

    def _shrink(self) -> None:
        table = pa.concat_tables(self.parts)
        table = table.take(pc.sort_indices(table, [("rank", "ascending"), (self.key, "ascending")]))  # stable
        position = pa.array(np.arange(table.num_rows))
        firsts = pa.table({"key": table.column(self.key), "at": position}).group_by("key", use_threads=False) \
            .aggregate([("at", "min")]).column("at_min").to_numpy()
        table = table.take(np.sort(firsts)[: self.n])
        self.parts, self.size, self.shrunk = [table], table.num_rows, True

    def table(self) -> pa.Table | None:
        if not self.parts:
            return None
        if not self.shrunk:
            self._shrink()
        return self.parts[0]

    def values(self) -> list[dict]:
        table = self.table()
        return table.to_pylist() if table is not None else []

    def items(self) -> list[str]:
        table = self.table()
        return table.column(self.key).to_pylist() if table is not None else []


def read(recipe: Recipe, tmp: Path, engine, steps: Steps) -> Reading:
    """Phase one: the plan's first steps on the workers, shard by shard (read, triage, fingerprint), the rest in
    the driver in reading order (ids, dedup), then the accounting; kept paragraphs spilled under tmp/.work,
    dropped ones into an open rejects writer."""
    work = tmp / ".work"
    work.mkdir()
    clock = time.time()
    try:
        shards, spill_bytes = plan(recipe), work_bytes("CORPUS_SPILL_BYTES", SPILL_BYTES)
    except ValueError as e:
        raise BuildError(str(e)) from None
    driver = [(step, step.state(recipe) if step.state else Context(recipe)) for step in steps.plan.driver_one]
    steps.ran += [*steps.plan.workers_one, *steps.plan.driver_one]
    reading = Reading(recipe, rejects_writer(tmp), work, steps.plan.mine, spill_bytes)
    tasks = engine.map(ReadShard(recipe, steps.plan.workers_one), shards)
    for table, stats in over_shards(tasks, len(shards), "reading", steps.quiet):
        steps.stats.merge(stats)
        for step, context in driver:
            table = step(table, context, steps.stats)
        reading.add(table)
    reading.spill()
    steps.seconds["reading"] = round(time.time() - clock, 2)
    return reading


def stream(recipe: Recipe, tmp: Path, engine, steps: Steps) -> tuple[Reading, Pairing, dict, Mined]:
    """Phase one, mining, then phase two (pairs, written as they come). Returns the accounting, the pairing
    summary, the shards of each split and what mining found (None: no mining)."""
    reading = read(recipe, tmp, engine, steps)  # the dedup index is freed when phase one returns
    mined = None
    if reading.miner is not None:
        with steps.driver("mine") as counts:
            mined = _mine(recipe, reading, engine, reading.spill_dir)
            counts.update(raw_paragraphs=mined.raw_paragraphs, pairs=len(mined.rows))
    close_rejects(reading.rejects, tmp / REJECTS_FILE)
    clock = time.time()
    writers = {name: ShardWriter(tmp, "data", name, recipe.shard_bytes) for name in SPLITS}
    pairing = Pairing()
    paired = reading.paragraphs()["paired"]
    expected_rows = paired * (1 + recipe.noise.paragraph_rate * (recipe.noise.variants - 1))
    pairs_op = MakePairs(recipe, steps.plan.workers_two, mined.excluded if mined else frozenset(),
                         measure_share=min(1.0, MEASURED_ROWS / expected_rows) if expected_rows else 1.0)
    steps.ran += steps.plan.workers_two
    tasks = engine.map(pairs_op, reading.spills)
    for table, stats in over_shards(tasks, len(reading.spills), "pairing", steps.quiet):
        steps.stats.merge(stats)
        for name, part in pairing.add(table).items():
            writers[name].write(part)
    shutil.rmtree(reading.spill_dir)
    shards = {name: writer.close() for name, writer in writers.items()}
    steps.seconds["pairing"] = round(time.time() - clock, 2)
    return reading, pairing, shards, mined


def mine_inputs(recipe: Recipe, out: Path, engine, quiet: bool) -> dict:
    """`corpus mine`: phase one and mining only, written to OUT as pairs.jsonl (the rows, with `split` and the
    verdict in `kind`) and learned.txt; returns the summary also written as summary.json. Each file appears
    whole (written aside, then renamed)."""
    from corpus.spin.edits import as_dict

    steps = Steps(plan_steps(recipe), quiet, {})
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".mine-", dir=out))
    try:
        reading = read(recipe, tmp, engine, steps)
        with steps.driver("mine"):
            mined = _mine(recipe, reading, engine, reading.spill_dir)
        with open(tmp / "pairs.jsonl", "w", encoding="utf-8") as f:
            for row in mined.rows:
                f.write(json.dumps({**row, "edits": [as_dict(e) for e in row["edits"]]}, ensure_ascii=False) + "\n")
        learned = _learn(mined.rows, tmp, engine.map)
        summary = {**mined.summary(), "learned_lexicon": learned, "paragraphs": reading.paragraphs(),
                   "skipped_inputs": reading.skipped, "stage_seconds": steps.seconds,
                   "inputs": [{"source": s.name, "role": s.role, "name": i.name, "bytes": i.bytes, "sha256": i.sha256}
                              for s in recipe.sources for i in s.inputs]}
        (tmp / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        for name in ("pairs.jsonl", LEARNED_FILE, "summary.json"):
            if (tmp / name).exists():
                (tmp / name).replace(out / name)
            else:
                (out / name).unlink(missing_ok=True)  # no learned lexicon this time: none from an earlier run
        return summary
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class Mined:
    """What mining found: the mined rows (with their split), and the raw paragraphs that are spun copies the
    detector let through, which must not be clean sides of synthetic rows."""

    def __init__(self, rows: list[dict], excluded: frozenset[str], raw_paragraphs: int, by_source: dict):
        self.rows, self.excluded, self.raw_paragraphs, self.by_source = rows, excluded, raw_paragraphs, by_source

    def summary(self) -> dict:
        spun = sum(r["noisy"] != r["clean"] for r in self.rows)
        return {"raw_paragraphs": self.raw_paragraphs, "pairs": len(self.rows), "spun": spun,
                "copies": len(self.rows) - spun, "without_original": self.raw_paragraphs - len(self.rows),
                "spun_copies_kept_out_of_clean_sides": len(self.excluded), "pairs_by_source": self.by_source}


def _mine(recipe: Recipe, reading: Reading, engine, work: Path) -> Mined:
    """Pair raw paragraphs with their originals (corpus.match.mine); a spun one the detector let through is taken out
    of the clean sides here: counted as dropped (spun) and listed in rejects.parquet with its original."""
    miner = reading.miner
    clean = frozenset(s.name for s in recipe.sources if s.role == "clean")
    reading.spill_twins()
    found = mine(miner, reading.spills + reading.near_files, reading.twin_files, clean, engine.map, work)
    rows, excluded, by_source = [], [], Counter()
    for r, original in sorted(found.items()):
        row = pair_row(miner, r, original)
        row["split"] = assign_split(f"{row['source']}/{row['doc_id']}", recipe.seed, recipe.splits)
        rows.append(row)
        by_source[miner.keys[r][0]] += 1
        if original[3].kind == "spun" and reading.raw_kept[r]:
            excluded.append(row)
            reading.per_source[miner.keys[r][0]]["paired"] -= 1
            reading.dropped["spun"] += 1
    if excluded:
        reading.rejects.write(pa.table({
            "id": [r["id"] for r in excluded], "reason": ["spun"] * len(excluded), "cluster": [""] * len(excluded),
            "text": [r["noisy"] for r in excluded],
            "detail": [f"mined: a spun copy of {r['source']}/{r['doc_id']}/{r['paragraph']}" for r in excluded],
        }, schema=REJECTS_SCHEMA))
    return Mined(rows, frozenset(r["id"] for r in excluded), len(miner.texts), dict(sorted(by_source.items())))


def _learn(rows: list[dict], tmp: Path, map_) -> dict:
    """The lexicon the spun mined pairs teach (corpus.spin.learn), counted in chunks on the workers, written as
    LEARNED_FILE in the project's lexicon format: a recipe lists it in [[lexicons]] to spin with it."""
    spun = [(r["id"], r["clean"], r["noisy"]) for r in rows if r["noisy"] != r["clean"]]
    chunks = [spun[i : i + 200] for i in range(0, len(spun), 200)]
    lines = learned_lexicon(list(map_(CountSubstitutions(), chunks)))
    if not lines:
        return {"file": None, "groups": 0, "from_pairs": len(spun)}
    header = ["# Learned from this build's mined pairs: {source => what it became*times} mined  # an example row.",
              "# List it in a recipe's [[lexicons]] (paths = [\".../learned.txt\"]) to spin or restore with it."]
    (tmp / LEARNED_FILE).write_text("\n".join(header + lines) + "\n", encoding="utf-8")
    return {"file": LEARNED_FILE, "groups": len(lines), "from_pairs": len(spun)}


def _mined_manifest(mined: Mined | None, configs: dict, learned: dict | None) -> dict | None:
    if mined is None:
        return None
    return {**mined.summary(), "learned_lexicon": learned,
            "splits": {n: {"rows": sum(s["rows"] for s in shards), "shards": shards}
                       for n, shards in configs.get("mined", {}).items()}}


def _refuse_empty(recipe: Recipe, reading: Reading, pairing: Pairing) -> None:
    """A split without rows does not load (`datasets` refuses an empty split), so such a build stops here, saying
    why, before anything is written into place."""
    paragraphs = reading.paragraphs()
    if not pairing.rows:
        dropped = ", ".join(f"{reason} {n:,}" for reason, n in paragraphs["dropped"].items()) or "none"
        raise BuildError(f"no paragraph survived: {paragraphs['input']:,} read, dropped by reason: {dropped}; "
                         f"nothing written (see the recipe's [filters] and its sources)")
    empty = [name for name in SPLITS if not pairing.rows_by_split[name]]
    if empty:
        documents = sum(pairing.documents_by_split.values())
        raise BuildError(f"split{'s' * (len(empty) > 1)} {', '.join(empty)} came out empty: {pairing.rows:,} rows "
                         f"from {documents:,} documents, and a document's paragraphs all go to one split "
                         f"(by a hash of its id, ratios {recipe.splits}); add documents or change [splits]. "
                         "Nothing written")


def _train_detector(recipe: Recipe, pairing: Pairing, lexicon, map_) -> Detector:
    """The build's spin detector (corpus.despin.detector): tables from the language model's train texts, regression
    and threshold from validation paragraphs spun here with half A of the groups."""
    def spin_one(text: str, half, artifacts: bool, key: str) -> str:
        settings = recipe.noise if artifacts else replace(recipe.noise, **WORDS_ONLY)
        return spin(text, RowRandom(recipe.seed, "detector", key), settings, half)[0]

    held = pairing.detector_texts()
    if len(held) < 40:  # a tiny recipe: calibrate on train paragraphs (in-sample; build.json says so)
        held = pairing.language_model_texts
    try:
        detector = train_detector(pairing.language_model_texts, held, lexicon, spin_one, recipe.seed,
                                  tone_policy=recipe.tone_marks, map_=map_)
    except ValueError as e:
        raise BuildError(f"cannot train the spin detector: {e}") from None
    return detector


def _held_out(recipe: Recipe, restorer: Restorer, test_sets: dict) -> Restorer | None:
    """Add the held-out set to `test_sets` (the synthetic test sample spun anew with half A of the groups) and
    return a restorer that knows only half B, its detector's lexicon evidence half B's too (None: no held-out set,
    when a half has no group or there is no synthetic test row)."""
    half_a, half_b = recipe.load_lexicons("a").lexicon, recipe.load_lexicons("b").lexicon
    if not (len(half_a) and len(half_b) and test_sets["synthetic test"]):
        return None
    test_sets[HELD_OUT] = held_out_rows(test_sets["synthetic test"], half_a, recipe.noise, recipe.seed)
    judge = restorer.judge
    return Restorer(restorer.lm, half_b, judge=Detector(judge.tables, judge.settings, half_b))


def build(recipe: Recipe, out_root: Path, force: bool = False, quiet: bool = False, workers: int = 1,
          strict: bool = False, engine: str = "local", ray_address: str | None = None) -> tuple[Path, bool]:
    """Build the recipe's version under out_root; return (folder, whether anything was built)."""
    started = time.time()
    fingerprint = recipe.fingerprint()
    target = out_root / recipe.name / recipe.version

    def up_to_date() -> bool:
        """Whether the version at the path is this build; BuildError if it differs and there is no --force."""
        if not target.exists():
            return False
        old = existing_fingerprint(target)
        if old == fingerprint and not force:
            return True
        if not force:
            raise BuildError(
                f"{target} already holds version {recipe.version} built with fingerprint {old}, but the recipe "
                f"now gives {fingerprint}. A version is immutable: bump dataset.version in {recipe.path}, "
                f"or pass --force to replace it."
            )
        return False

    try:
        steps = Steps(plan_steps(recipe), quiet, {})  # the recipe's [pipeline] steps, checked before any work
    except StepError as e:
        raise BuildError(f"{recipe.path}: {e}") from None
    if up_to_date():  # nothing to write: no lock needed
        return target, False
    lexicons = recipe.load_lexicons()  # before any work: a lexicon that cannot be read fails the build here
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = VersionLock(target.parent, recipe.name, recipe.version)  # BuildError if another build runs
    try:
        # first puts back a version a --force killed between its two renames left as .old-; the lock says that
        # no live build owns any of the rest
        remove_leftovers(target.parent, recipe.version)
        if up_to_date():  # again under the lock: another build may have finished it, or it was just restored
            lock.release()
            return target, False
        tmp = Path(tempfile.mkdtemp(prefix=f".{recipe.version}.tmp-", dir=target.parent))
    except BaseException:
        lock.release()
        raise
    try:
        # the models are compressed to disk by a thread (zlib lets go of the GIL) while the driver goes on
        with make_engine(engine, workers, ray_address) as runner, ThreadPoolExecutor(1) as saving:
            reading, pairing, data_shards, mined = stream(recipe, tmp, runner, steps)
            _refuse_empty(recipe, reading, pairing)
            if strict and reading.skipped:
                first = reading.skipped[0]
                raise BuildError(f"--strict: {len(reading.skipped)} inputs could not be read (first: "
                                 f"{first['where']}: {first['reason']}); nothing written")
            real, configs = [], {"default": data_shards}
            if recipe.real:
                with steps.driver("real") as counts:
                    real = real_rows(recipe, reading.real_spun, reading.real_kept)
                    if real:
                        configs["real"] = {"test": write_split(real, "test", tmp, "real", recipe.shard_bytes)}
                    counts.update(rows=len(real), spun=sum(r["noisy"] != r["clean"] for r in real))
            learned = None
            if mined is not None:
                by_split = {n: [r for r in mined.rows if r["split"] == n] for n in SPLITS}
                if mined.rows:  # only splits with rows: an empty split does not load
                    configs["mined"] = {n: write_split(rows, n, tmp, "mined", recipe.shard_bytes)
                                        for n, rows in by_split.items() if rows}
                learned = _learn(mined.rows, tmp, runner.map)
            # the baseline restorer's language model: clean text of the train split only, so test stays unseen
            with steps.driver("language_model") as counts:
                counts["texts"] = len(pairing.language_model_texts)
                lm = NgramModel.train(pairing.language_model_texts)
                saved = [saving.submit(lm.save, tmp / LM_FILE)]
                write_compiled(lexicons.lexicon, tmp / COMPILED)
            with steps.driver("spin_detector") as counts:
                detector = _train_detector(recipe, pairing, lexicons.lexicon, runner.map)
                saved.append(saving.submit(detector.save, tmp))
                calibrated = detector.settings["calibration"]  # the held paragraphs its threshold was set on
                counts.update({"calibrated on clean": calibrated["clean"], "calibrated on spun": calibrated["spun"]})
                restorer = Restorer(lm, lexicons.lexicon, judge=detector)
            with steps.driver("baselines") as counts:
                test_sets = {"synthetic test": pairing.sample(), **({"real test": real} if real else {})}
                if mined is not None and any(r["split"] == "test" for r in mined.rows):
                    test_sets["mined test"] = sorted((r for r in mined.rows if r["split"] == "test"),
                                                     key=lambda r: stable_hash("rank", r["id"]))[:RESULTS_SAMPLE]
                baseline_results = results(test_sets, restorer, _held_out(recipe, restorer, test_sets), runner.map)
                counts.update({f"rows:{name}": len(rows) for name, rows in test_sets.items() if rows})
            calibration = None
            if recipe.real:
                with steps.driver("calibration") as counts:
                    restored = texts(read_pairs(recipe.real.path))
                    calibration = calibrate(restored, recipe.noise, recipe.seed, recipe.calibration_draws,
                                            lexicons.lexicon)
                    calibration["file"] = recipe.real.name
                    counts.update(pairs=len(restored), draws=recipe.calibration_draws)
            resolved = recipe.resolved()
            real_summary = {"rows": len(real), "spun": sum(r["noisy"] != r["clean"] for r in real)} if real else None
            manifest = {
                "name": recipe.name,
                "version": recipe.version,
                "fingerprint": fingerprint,
                "toolkit_version": corpus.__version__,
                "recipe": resolved,
                "inputs": [{"source": s.name, "name": i.name, "bytes": i.bytes, "sha256": i.sha256}
                           for s in recipe.sources for i in s.inputs],
                "steps": [],  # filled in once the last step has run
                "counts": {
                    "documents": sum(c["documents"] for c in reading.per_source.values()),
                    "per_source": {k: dict(v) for k, v in reading.per_source.items()},
                    "paragraphs": reading.paragraphs(),
                    "rows": pairing.rows,
                    "noise": pairing.statistics(),
                },
                "calibration": calibration,
                "results": baseline_results,
                "splits": {n: {"rows": pairing.rows_by_split[n], "documents": pairing.documents_by_split[n],
                               "shards": configs["default"][n]} for n in SPLITS},
                "real": {**real_summary, "shards": configs["real"]["test"]} if real else None,
                "mined": _mined_manifest(mined, configs, learned),
                "language_model": LM_FILE,
                "detector": {"model": DETECTOR_MODEL, "settings": DETECTOR_SETTINGS, "threshold": detector.threshold,
                             "fpr": detector.settings["fpr"], "calibration": detector.settings["calibration"]},
                "lexicons": lexicons.reports,
                "lexicon": {"file": COMPILED, "bytes": (tmp / COMPILED).stat().st_size,
                            "sha256": hashlib.sha256((tmp / COMPILED).read_bytes()).hexdigest()},
                "rejects": REJECTS_FILE,
                "skipped_inputs": reading.skipped,
            }
            with steps.driver("charts"):  # drawn from the manifest (corpus/dataset/charts.py)
                charts = write_charts(tmp, manifest, runner.map)
            for done in saved:
                done.result()  # a model that could not be written fails the build here
            manifest["steps"] = steps.listing()
            # the card: build.json's facts, and what only the card shows
            counts = manifest["counts"]
            context = {
                **resolved, **{k: manifest[k] for k in ("fingerprint", "toolkit_version", "calibration", "results",
                                                        "lexicons", "mined", "steps")},
                "recipe_file": recipe.path.name,
                "stats": counts["noise"],
                "paragraphs": counts["paragraphs"],
                "skipped": reading.skipped,
                "splits": [{"name": n, "rows": s["rows"], "documents": s["documents"]}
                           for n, s in manifest["splits"].items()],
                "real": {**real_summary, "split": assign_split(f"{recipe.real_source}/{recipe.real_doc_id}",
                                                               recipe.seed, recipe.splits)} if real else None,
                "examples": pairing.pick_examples(),
                "results_rows": {name: len(rows) for name, rows in test_sets.items() if rows},
                "detector_threshold": detector.threshold,
                "detector": detector.settings,
                "lexicon_file": COMPILED,
                "seed_groups": sum(x["by_provenance"].get("seed", 0) for x in lexicons.reports),
                "held_out": HELD_OUT if HELD_OUT in baseline_results else None,
                "charts": charts,
                "licences": licence_rows(recipe, source_rows(tmp, configs)),
                "citation": citation(recipe, fingerprint, corpus.__version__),
            }
            (tmp / LICENSE_FILE).write_text(render_license(recipe, context["licences"], lexicons.reports),
                                            encoding="utf-8")
            # the card names build.json's digest (all but the file list and timings): validate checks the two agree
            (tmp / "README.md").write_text(render_card(recipe, configs, context, manifest_digest(manifest)),
                                           encoding="utf-8")
        manifest["built_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        manifest["wall_seconds"], manifest["stage_seconds"] = round(time.time() - started, 2), steps.seconds
        manifest["step_seconds"] = steps.step_seconds()  # summed over batches and workers
        manifest["files"] = file_records(tmp)  # last: validate and publish check the folder against this list
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        try:  # what the readers will see: the typed Manifest must read what the build wrote
            Manifest.read(tmp)
        except ManifestError as e:
            raise BuildError(f"the build wrote a build.json its readers refuse: {e}") from None
        os.chmod(tmp, 0o755)
        if target.exists():  # two renames: killed between them, the next build restores the old one (.old-)
            old = target.with_name(f".{recipe.version}.old-{os.getpid()}")
            target.rename(old)
            try:
                tmp.rename(target)
            except BaseException:  # an error or Ctrl-C: the old version back at once
                old.rename(target)
                raise
            _discard(old, recipe.version)
        else:
            tmp.rename(target)
    finally:
        try:
            if tmp.exists():
                shutil.rmtree(tmp)
        finally:
            lock.release()
    return target, True
