"""Steps: each stage of a build is one `Step`, a small function over an Arrow table that returns an Arrow table.

A step declares the columns it reads and writes, where it runs (row-local: any batch, in any worker, in any
order; barrier: the driver, every batch in reading order, with state kept between batches), the recipe sections
that shape it, and a one-line doc. Calling it checks its contract and records its stats (rows in and out, the
change in the counts of its `tally` column, seconds), as datatrove's `stat_update` does; build.json lists the
steps a build ran with their stats, and the card's "Steps" table is generated from that list.

The recipe's `[pipeline] steps` names the row steps in order (default: DEFAULT_STEPS); `plan` checks the order
against the contracts and cuts it into the build's phases. The card's own steps (the language model, the spin
detector, baselines, calibration, charts) follow in corpus/pipeline/build.py.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpus.dataset.features import FEATURES
from corpus.match.dedup import Deduplicator, band_keys, shingle_sets
from corpus.pipeline.pairs import pair_table
from corpus.readers import DocumentIds, Skip
from corpus.despin.detect import detect
from corpus.spin.stats import MEASURES, measure
from corpus.pipeline.split import assign_split
from corpus.text.normalize import normalize
from corpus.text.quality import has_final_punct, respace, vietnamese_shares
from corpus.text.segment import BODY, segment

ROW_LOCAL, BARRIER, DRIVER = "row-local", "barrier", "driver"


class StepStats:
    """Per step: rows in and out, counts of its tally column's values, seconds (summed over batches and workers).
    Plain dicts, so a worker hands its stats back with its table and the driver adds them up."""

    def __init__(self):
        self.counts: dict[str, Counter] = {}
        self.seconds: Counter = Counter()

    def add(self, name: str, seconds: float, **counts: int) -> None:
        self.counts.setdefault(name, Counter()).update({k: v for k, v in counts.items() if v})
        self.seconds[name] += seconds

    def merge(self, other: dict) -> None:
        for name, counts in other["counts"].items():
            self.counts.setdefault(name, Counter()).update(counts)
        self.seconds.update(other["seconds"])

    def as_dict(self) -> dict:
        return {"counts": {k: dict(v) for k, v in self.counts.items()}, "seconds": dict(self.seconds)}


@dataclass(frozen=True)
class Context:
    """What a row-local step sees besides its table: the recipe, and the share of rows measured for the card."""

    recipe: object
    measure_share: float = 1.0


@dataclass(frozen=True)
class Step:
    name: str
    doc: str  # one line for the card: what the step does
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    runs: str  # ROW_LOCAL, BARRIER or DRIVER (once, in the driver, over everything the steps before it made)
    settings: tuple[str, ...]  # the recipe sections that shape it
    fn: Callable | None  # (table, Context) for row-local steps; (table, state) for barriers; None: the build
    # runs a driver step itself (corpus/pipeline/build.py), over what the steps before it made
    tally: str = ""  # a column whose values it sets: the change in their counts is part of its stats
    state: Callable | None = None  # a barrier's state, made once per build from the recipe
    optional: bool = False  # may be left out of the recipe's [pipeline] steps

    def __call__(self, table: pa.Table, context: object, stats: StepStats | None = None) -> pa.Table:
        missing = [c for c in self.reads if c not in table.column_names]
        if missing:
            raise ValueError(f"step {self.name} needs columns {missing}; the table has {table.column_names}")
        clock = time.perf_counter()
        out = self.fn(table, context)
        if stats is not None:
            stats.add(self.name, time.perf_counter() - clock, rows_in=table.num_rows, rows_out=out.num_rows,
                      **self._tally(table, out))
        return out

    def _tally(self, before: pa.Table, after: pa.Table) -> dict[str, int]:
        """How many rows gained each non-empty value of the tally column (a reason, a split)."""
        if not self.tally:
            return {}
        counts = Counter(_value_counts(after, self.tally))
        counts.subtract(_value_counts(before, self.tally))
        return {f"{self.tally}:{k}": v for k, v in sorted(counts.items()) if v > 0}

    def describe(self) -> dict:
        """The step as build.json lists it (its stats are added by the build)."""
        return {"name": self.name, "doc": self.doc, "runs": self.runs, "reads": list(self.reads),
                "writes": list(self.writes), "settings": list(self.settings)}


def _value_counts(table: pa.Table, column: str) -> dict[str, int]:
    if column not in table.column_names or not table.num_rows:
        return {}
    return {x["values"]: x["counts"] for x in pc.value_counts(table.column(column)).to_pylist() if x["values"]}


DOCUMENTS = pa.schema([("source", pa.string()), ("doc_id", pa.string()), ("text", pa.string()),
                       ("raw", pa.bool_()), ("where", pa.string())])
PARAGRAPHS = pa.schema([("source", pa.string()), ("doc_id", pa.string()), ("index", pa.int32()),
                        ("text", pa.string()), ("reason", pa.string()), ("detail", pa.string()),
                        ("origin", pa.string())])
FINGERPRINTS = pa.schema([("digest", pa.binary(16)), ("bands", pa.list_(pa.uint64())),
                          ("shingles", pa.list_(pa.uint64()))])
KEPT = pa.schema([("source", pa.string()), ("doc_id", pa.string()), ("index", pa.int32()), ("text", pa.string())])
CLEAN_SIDE_REASONS = ("not_vietnamese", "no_final_punct")  # dropped as clean sides, though not spun or damaged
RESPACED = "respaced"  # the detail of a kept paragraph whose spacing before a mark was repaired
SKIPPED = -1  # the `index` of a row that stands for an unreadable input (reason unreadable_input)


def documents_table(items, recipe) -> pa.Table:
    """Documents and skips from a reader as one table; a skip is a row with no text and its reason in `where`."""
    raw = {s.name: s.role == "raw" for s in recipe.sources}
    rows = [{"source": d.source, "doc_id": "" if isinstance(d, Skip) else d.doc_id,
             "text": None if isinstance(d, Skip) else d.text, "raw": raw[d.source],
             "where": f"{d.where}\t{d.reason}" if isinstance(d, Skip) else d.origin} for d in items]
    return pa.Table.from_pylist(rows, schema=DOCUMENTS)


def triage(text: str, raw: bool, recipe) -> list[tuple[str, str, str]]:
    """(paragraph, drop reason or "", detail) for each paragraph of one document, in order.

    Spun detection comes before the clean-side checks (a raw paragraph's artifacts are its evidence, and the real
    test set needs every spun one). Only a clean source's paragraph is respaced (detail RESPACED): on a raw page
    a spaced mark is the spinner's, which mining must still see."""
    return triage_many([(text, raw)], recipe)[0]


def triage_many(documents: list[tuple[str, bool]], recipe) -> list[list[tuple[str, str, str]]]:
    """triage of each (text, raw) document; the Vietnamese share of every paragraph that gets to that check is
    computed for all of them at once (vietnamese_shares: per distinct token, not per token)."""
    out, waiting = [], []  # waiting: the rows still in the running after the checks before the share
    for text, raw in documents:
        rows = []
        for kind, paragraph in segment(normalize(text, recipe.tone_marks), recipe.repair_glued):
            row = [paragraph, "", ""]
            if kind != BODY:
                row[1] = kind
            elif len(paragraph) < recipe.min_chars:
                row[1] = "too_short"
            elif len(paragraph) > recipe.max_chars:
                row[1] = "too_long"
            elif raw and (d := detect(paragraph)).label == "spun":
                row[1:] = "spun", f"score {d.score:.3f}: {'; '.join(d.evidence)}"
            else:
                waiting.append((row, raw))
            rows.append(row)
        out.append(rows)
    shares = vietnamese_shares([row[0] for row, _ in waiting]).tolist() if recipe.min_vietnamese and waiting else ()
    for i, (row, raw) in enumerate(waiting):
        paragraph = row[0]
        if recipe.min_vietnamese and (share := shares[i]) < recipe.min_vietnamese:
            row[1:] = "not_vietnamese", f"{share:.2f} of its words are Vietnamese syllables"
        elif recipe.final_punct and not has_final_punct(paragraph):
            row[1:] = "no_final_punct", f"ends in {paragraph[-1:]!r}"
        elif not raw and recipe.respace_punct and (repaired := respace(paragraph)) != paragraph:
            row[0], row[2] = repaired, RESPACED  # a clean side never teaches the spinner's "hợp đồng ;"
    return [[tuple(row) for row in rows] for rows in out]


def _paragraphs(table: pa.Table, context: Context) -> pa.Table:
    """Columns, not a dict per paragraph: a document of a million one-letter lines costs its strings only. A
    document's paragraphs are added to the columns at once (a Python call per paragraph cost 8% of the step)."""
    recipe = context.recipe
    sources, doc_ids, indexes, texts, reasons, details, origins = columns = [[] for _ in PARAGRAPHS.names]
    docs = table.to_pylist()
    triaged = iter(triage_many([(d["text"], d["raw"]) for d in docs if d["text"] is not None], recipe))
    for doc in docs:
        if doc["text"] is None:
            where, reason = doc["where"].split("\t", 1)
            rows = [("", "unreadable_input", reason)]
            doc_id, origin, first = where, where, SKIPPED
        else:
            rows = next(triaged)
            doc_id, origin, first = doc["doc_id"], doc["where"], 0
        sources += [doc["source"]] * len(rows)
        doc_ids += [doc_id] * len(rows)
        indexes += range(first, first + len(rows))
        origins += [origin] * len(rows)
        for column, values in zip((texts, reasons, details), zip(*rows)):
            column += values
    return pa.table(dict(zip(PARAGRAPHS.names, columns)), schema=PARAGRAPHS)


def _fingerprint(table: pa.Table, context: Context) -> pa.Table:
    """Exact-duplicate digest and near-duplicate fingerprints of the paragraphs still in the running."""
    recipe = context.recipe
    live = pc.fill_null(pc.equal(table.column("reason"), ""), False).to_numpy(zero_copy_only=False)
    running = np.flatnonzero(live)  # only paragraphs still in the running: a dropped one costs nothing here
    texts = table.column("text").take(running)
    # the UTF-8 bytes straight from Arrow (no str, no encode: 2.6x faster); null where not running
    digests = pa.array([hashlib.blake2b(b, digest_size=16).digest() for b in pc.cast(texts, pa.binary()).to_pylist()],
                       pa.binary(16)).take(pa.array(np.cumsum(live) - 1, mask=~live))
    if recipe.dedup.enabled:
        offsets, hashes = shingle_sets(texts, recipe.dedup.shingle)
        keys = band_keys(offsets, hashes, recipe.dedup.bands)
        shingles = pa.ListArray.from_arrays(_spread(np.diff(offsets), running, table.num_rows),
                                            pa.array(hashes, pa.uint64()))
        bands = pa.ListArray.from_arrays(_spread(np.full(len(running), keys.shape[1]), running, table.num_rows),
                                         pa.array(keys.reshape(-1), pa.uint64()))
    else:
        shingles = bands = pa.array([[]] * table.num_rows, pa.list_(pa.uint64()))
    return (table.append_column("digest", digests)
            .append_column("bands", bands).append_column("shingles", shingles))


def _spread(lengths: np.ndarray, rows: np.ndarray, count: int) -> pa.Array:
    """List offsets for `count` rows where only `rows` hold values (`lengths` of them); the others are empty."""
    per_row = np.zeros(count, dtype=np.int64)
    per_row[rows] = lengths
    return pa.array(np.concatenate([[0], np.cumsum(per_row)]), pa.int32())


def _unique_ids(table: pa.Table, ids) -> pa.Table:
    """A document whose id an earlier document already has becomes `id@origin` (state: DocumentIds)."""
    # once per run of rows from one document (they come together), not once per paragraph
    if not table.num_rows:
        return table
    columns = [table.column(c).combine_chunks() for c in ("source", "doc_id", "origin")]
    skipped = pc.equal(table.column("index"), SKIPPED).to_numpy(zero_copy_only=False)
    starts = np.ones(table.num_rows, dtype=bool)
    starts[1:] = skipped[1:] != skipped[:-1]
    for column in columns:
        starts[1:] |= pc.not_equal(column[1:], column[:-1]).to_numpy(zero_copy_only=False)
    first = np.flatnonzero(starts)
    runs = zip(first.tolist(), *(column.take(first).to_pylist() for column in columns))
    renamed = ["" if skipped[row] else ids.unique(s, d, o) for row, s, d, o in runs]
    doc_ids = pa.array(renamed, pa.string()).take(np.cumsum(starts) - 1)
    doc_ids = pc.if_else(pa.array(skipped), table.column("doc_id").combine_chunks(), doc_ids)
    return table.set_column(table.column_names.index("doc_id"), "doc_id", doc_ids)


def _dedup(table: pa.Table, state) -> pa.Table:
    """Exact then near duplicates, against everything kept before (state: a corpus.match.dedup.Deduplicator)."""
    found = state.judge(table)
    keep = [c for c in table.column_names if c not in FINGERPRINTS.names]
    table = table.select(keep)
    if not found:
        return table
    rows = sorted(found)
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[rows] = True
    for column, values in (("reason", [found[r][0] for r in rows]), ("detail", [found[r][1] for r in rows])):
        patched = pc.replace_with_mask(table.column(column).combine_chunks(), pa.array(mask),
                                       pa.array(values, pa.string()))
        table = table.set_column(keep.index(column), column, patched)
    return table


def _pairs(table: pa.Table, context: Context) -> pa.Table:
    """Synthetic pairs of the kept paragraphs; a document's paragraphs arrive together, in order."""
    recipe = context.recipe
    return pair_table(table, recipe.seed, recipe.noise, recipe.load_lexicons().lexicon, FEATURES.arrow_schema,
                      FEATURES["origin"].str2int("synthetic"))


def _split(table: pa.Table, context: Context) -> pa.Table:
    """Split by a seeded hash of the document: near-duplicates are already gone, so no cluster straddles two.
    Also a rank per row (a hash of its id), by which the driver draws its samples. Each document is hashed
    once, and the ranks are stable_hash("rank", id) inlined into one array of big-endian digests."""
    recipe = context.recipe
    documents = pc.binary_join_element_wise(table.column("source"), table.column("doc_id"), "/")
    documents = documents.combine_chunks().dictionary_encode()
    splits = pa.array([assign_split(d, recipe.seed, recipe.splits) for d in documents.dictionary.to_pylist()],
                      pa.string()).take(documents.indices)
    digest, head = hashlib.blake2b, b"rank\x1f"
    ranks = np.frombuffer(b"".join([digest(head + i.encode(), digest_size=8).digest()
                                    for i in table.column("id").to_pylist()]), dtype=">u8").astype(np.uint64)
    return table.append_column("split", splits).append_column("rank", pa.array(ranks, pa.uint64()))


MEASURES_TYPE = pa.struct([(m, pa.int32()) for m in MEASURES])


def _measure(table: pa.Table, context: Context) -> pa.Table:
    """Noise measures of the rows whose rank falls in the lowest `share` (the sample the card's statistics are
    drawn from: the same rows at any worker count); the others measure all zeros, as do untouched rows. Built
    as one int32 column per measure: a struct array from row dicts cost more than measuring."""
    share = context.measure_share
    cutoff = int(share * 2**64)
    ranks = table.column("rank").to_numpy()
    sampled = ranks < cutoff if share < 1 else np.ones(len(ranks), dtype=bool)
    sampled &= ~pc.equal(table.column("clean"), table.column("noisy")).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(sampled)
    values = np.zeros((len(MEASURES), table.num_rows), dtype=np.int32)
    pairs = zip(table.column("clean").take(rows).to_pylist(), table.column("noisy").take(rows).to_pylist())
    values[:, rows] = np.array([list(measure(clean, noisy).values()) for clean, noisy in pairs],
                               dtype=np.int32).reshape(-1, len(MEASURES)).T
    measures = pa.StructArray.from_arrays(list(values), fields=list(MEASURES_TYPE))
    return table.append_column("measures", measures)


STEPS = {step.name: step for step in (
    Step("paragraphs", "reads each document, normalises it (NFC, one tone-mark policy), cuts it into paragraphs and "
         "drops headings, boilerplate, the too short or long, spun raw paragraphs and unfit clean sides",
         tuple(DOCUMENTS.names), tuple(PARAGRAPHS.names), ROW_LOCAL, ("normalize", "filters"), _paragraphs,
         tally="reason"),
    Step("fingerprint", "a digest and MinHash band keys over syllable shingles of each paragraph still in the "
         "running", ("text", "reason"), tuple(FINGERPRINTS.names), ROW_LOCAL, ("dedup",), _fingerprint,
         optional=True),
    Step("unique_ids", "a document whose id an earlier one has becomes id@origin", ("source", "doc_id", "origin",
         "index"), ("doc_id",), BARRIER, (), _unique_ids, state=lambda recipe: DocumentIds()),
    Step("dedup", "drops exact and near duplicates of paragraphs kept before (the first copy in reading order "
         "stays)", ("source", "doc_id", "index", "reason", *FINGERPRINTS.names), ("reason", "detail"), BARRIER,
         ("dedup",), _dedup, tally="reason", state=lambda recipe: Deduplicator(recipe.dedup), optional=True),
    Step("mine", "pairs raw paragraphs with the clean ones they copy (real spun pairs: the `mined` config) and keeps "
         "spun copies out of the clean sides; learns a lexicon from them", ("source", "doc_id", "index", "text",
         "reason"), ("mined",), DRIVER, ("mine",), None, optional=True),
    Step("pairs", "spins each kept paragraph with the noise model (some stay untouched) and records the edits",
         tuple(KEPT.names), tuple(FEATURES.arrow_schema.names), ROW_LOCAL, ("noise", "lexicons", "dataset"),
         _pairs),
    Step("split", "assigns each document to train, validation or test by a seeded hash of its id, and ranks rows",
         ("source", "doc_id", "id"), ("split", "rank"), ROW_LOCAL, ("splits",), _split, tally="split"),
    Step("measure", "measures the noise of the rows the card's statistics are drawn from (lowest rank)",
         ("clean", "noisy", "rank"), ("measures",), ROW_LOCAL, (), _measure),
)}
DEFAULT_STEPS = tuple(STEPS)
SINK_READS = ("split", "rank", "measures")  # what the driver's writers and the card's samples read of a row
PAIRS_AT = "pairs"  # the first step of phase two: rows become pairs, per spill file of kept paragraphs


class StepError(ValueError):
    """A recipe's [pipeline] steps that cannot run; the message names the key and says why."""


@dataclass(frozen=True)
class Plan:
    """A recipe's steps cut into the build's phases: per shard on the workers, then in the driver in reading
    order (barriers, and row-local steps listed after one), mining at the spill, per spill file on the workers."""

    workers_one: tuple[Step, ...]
    driver_one: tuple[Step, ...]
    mine: bool
    workers_two: tuple[Step, ...]

    @property
    def steps(self) -> tuple[Step, ...]:
        mine = (STEPS["mine"],) if self.mine else ()
        return (*self.workers_one, *self.driver_one, *mine, *self.workers_two)


def plan(recipe) -> Plan:
    """The recipe's [pipeline] steps (default: DEFAULT_STEPS, mining only with raw and clean sources), checked:
    known names, none twice, every required step, each step's columns written by a step before it, and the
    phase order (row steps, then mining, then pairs and the row-local steps after it)."""
    names = tuple(recipe.steps) or tuple(n for n in DEFAULT_STEPS if n != "mine" or recipe.mining)
    where = "pipeline.steps"
    unknown = list(dict.fromkeys(n for n in names if n not in STEPS))  # each once, in the recipe's order
    if unknown:
        shown = ", ".join(repr(n[:40]) + ("…" if len(n) > 40 else "") for n in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise StepError(f"{where}: unknown step{'s' * (len(unknown) > 1)} {shown}{more} (the steps: "
                        f"{', '.join(STEPS)})")
    twice = sorted(n for n, count in Counter(names).items() if count > 1)
    if twice:
        raise StepError(f"{where}: {', '.join(twice)} listed twice")
    missing = [n for n, s in STEPS.items() if not s.optional and n not in names]
    if missing:
        raise StepError(f"{where}: {', '.join(missing)} cannot be left out (only {', '.join(n for n, s in STEPS.items() if s.optional)} can)")
    if "mine" in names and not recipe.mining:
        raise StepError(f"{where}: mine needs a raw and a clean source, and [mine] enabled")
    if names[0] != "paragraphs":
        raise StepError(f"{where}: paragraphs comes first (it reads the documents)")
    cut = names.index(PAIRS_AT)
    if "mine" in names[cut:]:
        raise StepError(f"{where}: mine comes before pairs (it decides which paragraphs may be clean sides)")
    late = [n for n in names[cut:] if STEPS[n].runs != ROW_LOCAL]
    if late:
        raise StepError(f"{where}: {', '.join(late)} cannot come after pairs (after it, only row-local steps run, "
                        f"per spill file)")
    columns = set(DOCUMENTS.names)
    for name in names:
        step = STEPS[name]
        if name == PAIRS_AT:
            columns = set(KEPT.names)  # what the spill files hold
        lacking = [c for c in step.reads if c not in columns]
        if lacking:
            raise StepError(f"{where}: {name} reads {', '.join(lacking)}, which no step before it writes "
                            f"(order: {', '.join(names)})")
        columns |= set(step.writes)
    lacking = [c for c in SINK_READS if c not in columns]
    if lacking:
        raise StepError(f"{where}: the rows written need {', '.join(lacking)}, which no step writes")
    one = [STEPS[n] for n in names[:cut] if n != "mine"]
    first_barrier = next((i for i, s in enumerate(one) if s.runs != ROW_LOCAL), len(one))
    return Plan(tuple(one[:first_barrier]), tuple(one[first_barrier:]), "mine" in names,
                tuple(STEPS[n] for n in names[cut:]))


@dataclass(frozen=True)
class ReadShard:
    """Phase one, row-local: a shard of input → its paragraphs, through the plan's worker steps; with the stats."""

    recipe: object
    steps: tuple[Step, ...]

    def __call__(self, shard) -> tuple[pa.Table, dict]:
        from corpus.pipeline.shards import read_shard

        stats, context = StepStats(), Context(self.recipe)
        table = documents_table(read_shard(self.recipe, shard), self.recipe)
        for step in self.steps:
            table = step(table, context, stats)
        return table, stats.as_dict()


@dataclass(frozen=True)
class MakePairs:
    """Phase two, row-local: a spill file of kept paragraphs → pairs with their split and noise measures.
    `excluded`: paragraphs (source/doc_id/index) that mining found to be spun copies, never clean sides."""

    recipe: object
    steps: tuple[Step, ...]
    excluded: frozenset = frozenset()
    measure_share: float = 1.0  # the share of rows (by rank) whose noise is measured for the card

    def __call__(self, path: str) -> tuple[pa.Table, dict]:
        with pa.memory_map(path) as source:
            table = pa.ipc.open_file(source).read_all()
        if self.excluded:
            keys = pc.binary_join_element_wise(table.column("source"), table.column("doc_id"),
                                               pc.cast(table.column("index"), pa.string()), "/")
            table = table.filter(pc.invert(pc.is_in(keys, pa.array(sorted(self.excluded), pa.string()))))
        stats, context = StepStats(), Context(self.recipe, self.measure_share)
        for step in self.steps:
            table = step(table, context, stats)
        return table, stats.as_dict()
