"""The op contract: each stage of a build is a small function over an Arrow table that returns an Arrow table.

An op declares the columns it reads and the columns it adds, whether it is row-local (runs on any batch, in
any worker, in any order) or a barrier (sees every batch, in reading order, with state kept between
batches), and a version. Op versions enter the recipe fingerprint: changing what an op does means bumping its
version, and any dataset built with the old one is then rebuilt, never silently mixed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpus.dataset.features import FEATURES
from corpus.dedup import band_keys, shingle_sets
from corpus.pairs import document_rows
from corpus.sources import Skip
from corpus.spin.detect import detect
from corpus.spin.stats import MEASURES, measure
from corpus.rand import stable_hash
from corpus.split import assign_split
from corpus.text.normalize import normalize
from corpus.text.quality import has_final_punct, respace, vietnamese_share
from corpus.text.segment import BODY, segment


@dataclass(frozen=True)
class Op:
    name: str
    version: int
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    barrier: bool
    fn: Callable[[pa.Table, object], pa.Table]  # (table, recipe) for row-local ops; (table, state) for barriers

    def __call__(self, table: pa.Table, context: object) -> pa.Table:
        missing = [c for c in self.inputs if c not in table.column_names]
        if missing:
            raise ValueError(f"op {self.name} needs columns {missing}; the table has {table.column_names}")
        return self.fn(table, context)


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
    out = []
    for kind, paragraph in segment(normalize(text, recipe.tone_marks), recipe.repair_glued):
        reason, detail = "", ""
        if kind != BODY:
            reason = kind
        elif len(paragraph) < recipe.min_chars:
            reason = "too_short"
        elif len(paragraph) > recipe.max_chars:
            reason = "too_long"
        elif raw and (d := detect(paragraph)).label == "spun":
            reason, detail = "spun", f"score {d.score:.3f}: {'; '.join(d.evidence)}"
        elif recipe.min_vietnamese and (share := vietnamese_share(paragraph)) < recipe.min_vietnamese:
            reason, detail = "not_vietnamese", f"{share:.2f} of its words are Vietnamese syllables"
        elif recipe.final_punct and not has_final_punct(paragraph):
            reason, detail = "no_final_punct", f"ends in {paragraph[-1:]!r}"
        elif not raw and recipe.respace_punct and (repaired := respace(paragraph)) != paragraph:
            paragraph, detail = repaired, RESPACED  # a clean side never teaches the spinner's "hợp đồng ;"
        out.append((paragraph, reason, detail))
    return out


def _paragraphs(table: pa.Table, recipe) -> pa.Table:
    """Columns, not a dict per paragraph: a document of a million one-letter lines costs its strings only."""
    columns = {name: [] for name in PARAGRAPHS.names}

    def add(source, doc_id, index, text, reason, detail, origin):
        for name, value in zip(PARAGRAPHS.names, (source, doc_id, index, text, reason, detail, origin)):
            columns[name].append(value)

    for doc in table.to_pylist():
        if doc["text"] is None:
            where, reason = doc["where"].split("\t", 1)
            add(doc["source"], where, SKIPPED, "", "unreadable_input", reason, where)
            continue
        for index, (text, reason, detail) in enumerate(triage(doc["text"], doc["raw"], recipe)):
            add(doc["source"], doc["doc_id"], index, text, reason, detail, doc["where"])
    return pa.table(columns, schema=PARAGRAPHS)


def _fingerprint(table: pa.Table, recipe) -> pa.Table:
    """Exact-duplicate digest and near-duplicate fingerprints of the paragraphs still in the running."""
    texts = table.column("text").to_pylist()
    live = [r == "" for r in table.column("reason").to_pylist()]
    digests = [hashlib.blake2b(t.encode(), digest_size=16).digest() if ok else None for t, ok in zip(texts, live)]
    if recipe.dedup.enabled:  # only paragraphs still in the running: a dropped one costs no fingerprint
        running = np.flatnonzero(live)
        offsets, hashes = shingle_sets([texts[i] for i in running], recipe.dedup.shingle)
        keys = band_keys(offsets, hashes, recipe.dedup.bands)
        shingles = pa.ListArray.from_arrays(_spread(np.diff(offsets), running, len(texts)),
                                            pa.array(hashes, pa.uint64()))
        bands = pa.ListArray.from_arrays(_spread(np.full(len(running), keys.shape[1]), running, len(texts)),
                                         pa.array(keys.reshape(-1), pa.uint64()))
    else:
        shingles = bands = pa.array([[]] * len(texts), pa.list_(pa.uint64()))
    return (table.append_column("digest", pa.array(digests, pa.binary(16)))
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
    """Exact then near duplicates, against everything kept before (state: a corpus.dedup.Deduplicator)."""
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


def _pairs(table: pa.Table, recipe) -> pa.Table:
    """Synthetic pairs of the kept paragraphs; a document's paragraphs arrive together, in order."""
    rows = []
    origin = FEATURES["origin"].str2int("synthetic")
    lexicon = recipe.load_lexicons().lexicon
    for (source, doc_id), group in groupby(table.to_pylist(), key=lambda r: (r["source"], r["doc_id"])):
        kept = [(r["index"], r["text"]) for r in group]
        rows += [{**row, "origin": origin}
                 for row in document_rows(source, doc_id, kept, recipe.seed, recipe.noise, lexicon)]
    return pa.Table.from_pylist(rows, schema=FEATURES.arrow_schema)


def _split(table: pa.Table, recipe) -> pa.Table:
    """Split by a seeded hash of the document: near-duplicates are already gone, so no cluster straddles two.
    Also a rank per row (a hash of its id), by which the driver draws its samples."""
    memo: dict[tuple[str, str], str] = {}

    def split_of(source: str, doc_id: str) -> str:
        if (source, doc_id) not in memo:
            memo[source, doc_id] = assign_split(f"{source}/{doc_id}", recipe.seed, recipe.splits)
        return memo[source, doc_id]

    splits = [split_of(s, d) for s, d in zip(table.column("source").to_pylist(), table.column("doc_id").to_pylist())]
    ranks = [stable_hash("rank", i) for i in table.column("id").to_pylist()]
    return table.append_column("split", pa.array(splits, pa.string())).append_column("rank", pa.array(ranks, pa.uint64()))


MEASURES_TYPE = pa.struct([(m, pa.int32()) for m in MEASURES])


def _measure(table: pa.Table, share: float) -> pa.Table:
    """Noise measures of the rows whose rank falls in the lowest `share` (the sample the card's statistics are
    drawn from: the same rows at any worker count); the others measure all zeros."""
    cutoff = int(share * 2**64)
    ranks = table.column("rank").to_numpy()
    sampled = ranks < cutoff if share < 1 else np.ones(len(ranks), dtype=bool)
    rows = np.flatnonzero(sampled)
    values = [dict.fromkeys(MEASURES, 0)] * table.num_rows
    pairs = zip(table.column("clean").take(rows).to_pylist(), table.column("noisy").take(rows).to_pylist())
    for row, (clean, noisy) in zip(rows.tolist(), pairs):
        values[row] = measure(clean, noisy)
    return table.append_column("measures", pa.array(values, MEASURES_TYPE))


PARAGRAPHS_OP = Op("paragraphs", 2, tuple(DOCUMENTS.names), tuple(PARAGRAPHS.names), False, _paragraphs)
FINGERPRINT_OP = Op("fingerprint", 1, ("text", "reason"), tuple(FINGERPRINTS.names), False, _fingerprint)
UNIQUE_IDS_OP = Op("unique_ids", 1, ("source", "doc_id", "origin", "index"), ("doc_id",), True, _unique_ids)
DEDUP_OP = Op("dedup", 1, ("source", "doc_id", "index", "reason", *FINGERPRINTS.names), ("reason", "detail"), True,
              _dedup)
PAIRS_OP = Op("pairs", 3, tuple(KEPT.names), tuple(FEATURES.arrow_schema.names), False, _pairs)
SPLIT_OP = Op("split", 1, ("source", "doc_id", "id"), ("split", "rank"), False, _split)
MEASURE_OP = Op("measure", 2, ("clean", "noisy", "rank"), ("measures",), False, _measure)
OPS = (PARAGRAPHS_OP, FINGERPRINT_OP, UNIQUE_IDS_OP, DEDUP_OP, PAIRS_OP, SPLIT_OP, MEASURE_OP)


@dataclass(frozen=True)
class ReadShard:
    """Phase one, row-local: a shard of input → its paragraphs, triaged and fingerprinted."""

    recipe: object

    def __call__(self, shard) -> pa.Table:
        from corpus.pipeline.shards import read_shard

        docs = documents_table(read_shard(self.recipe, shard), self.recipe)
        return FINGERPRINT_OP(PARAGRAPHS_OP(docs, self.recipe), self.recipe)


@dataclass(frozen=True)
class MakePairs:
    """Phase two, row-local: a spill file of kept paragraphs → pairs with their split and noise measures.
    `excluded`: paragraphs (source/doc_id/index) that mining found to be spun copies, never clean sides."""

    recipe: object
    excluded: frozenset = frozenset()
    measure_share: float = 1.0  # the share of rows (by rank) whose noise is measured for the card

    def __call__(self, path: str) -> pa.Table:
        with pa.memory_map(path) as source:
            kept = pa.ipc.open_file(source).read_all()
        if self.excluded:
            keys = pc.binary_join_element_wise(kept.column("source"), kept.column("doc_id"),
                                               pc.cast(kept.column("index"), pa.string()), "/")
            kept = kept.filter(pc.invert(pc.is_in(keys, pa.array(sorted(self.excluded), pa.string()))))
        return MEASURE_OP(SPLIT_OP(PAIRS_OP(kept, self.recipe), self.recipe), self.measure_share)
