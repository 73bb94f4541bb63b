"""Near-duplicate detection: MinHash LSH over syllable shingles, decided by the exact Jaccard similarity.

Fingerprints (a paragraph's shingle hashes and its LSH band keys) are computed per batch, vectorised with
numpy, in any worker; the index that decides is a barrier that sees paragraphs in reading order and keeps the
first of each cluster. Our own MinHash (multiply-shift permutations over 64-bit shingle hashes) replaced
datasketch: on the large recipe datasketch spent ~55 s of one core hashing shingles one by one with SHA-1;
this computes the same kind of signature for a batch in a few numpy operations (see `make bench`).
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections import Counter
from functools import lru_cache
from itertools import chain
from operator import is_not

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from corpus.config.settings import DedupSettings  # declared with the recipe's other settings
from corpus.text.memo import Memo
from corpus.text.tokens import SYLLABLE, split_batch

_CHUNK = 1 << 12  # shingles per MinHash matrix block (num_perm x CHUNK x 4 bytes: 2 MB, kept in cache)
_ROWS = 1 << 14  # shingle sets per signature block: bounds memory at _ROWS x num_perm x 12 bytes
# Bounded work per paragraph, whatever the input. Templated text (a notice repeated with a few words changed) puts
# thousands of kept paragraphs under one band key without any being a near twin: every new paragraph was compared
# with all of them (1k paragraphs 2.0 s, 2k 7.6 s, 4k 31.8 s). A band key stops collecting members at MAX_BUCKET,
# and a paragraph is compared with at most MAX_COMPARED candidates, those sharing the most bands with it (a true
# twin at the threshold shares about a third of the 25 bands; a template sibling, a few).
MAX_BUCKET = 32
MAX_COMPARED = 16


@lru_cache(maxsize=None)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.Generator(np.random.PCG64(seed))  # fixed: signatures are the same in every build
    a = rng.integers(0, 2**31, size=num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)  # odd multipliers
    b = rng.integers(0, 2**32, size=num_perm, dtype=np.uint32)
    return a, b


# syllable -> 63-bit xxh3 hash; a hit is a dict lookup
_syllable_hashes = Memo(lambda word: xxhash.xxh3_64_intdigest(word.encode()) >> 1)


def _token_syllables(token: str) -> tuple[int, ...]:
    return tuple(map(_syllable_hashes.__getitem__, SYLLABLE.findall(token.lower())))


# whitespace-separated token ("người,", "(2015)") -> the hashes of its lower-cased syllables. The same sequence as
# SYLLABLE.findall(text.lower()): whitespace is never part of a syllable, and lower() looks no further than the token
# (the final-sigma rule stops at whitespace).
_token_hashes = Memo(_token_syllables)


def _syllables_flat(texts) -> tuple[np.ndarray, np.ndarray]:
    """(lengths, flat): the hashes of SYLLABLE.findall(text.lower()) of each text (a list of str or an Arrow string
    array), one after the other. Only the batch's distinct tokens are looked up (per token, a str.split() and a
    Python look-up cost more than the rest of shingling)."""
    bounds, distinct, token = split_batch(texts, spaces_only=True)  # _token_hashes finds syllables in a token
    per_token = list(map(_token_hashes.__getitem__, distinct))
    counts = np.fromiter(map(len, per_token), dtype=np.int64, count=len(per_token))
    values = np.fromiter(chain.from_iterable(per_token), dtype=np.uint64, count=int(counts.sum()))
    per_use = counts[token]  # syllables of each token as it occurs
    ends = np.cumsum(per_use)
    first = (np.cumsum(counts) - counts)[token] - (ends - per_use)  # flat position -> its value: + position
    flat = values[np.repeat(first, per_use) + np.arange(int(ends[-1]) if len(ends) else 0)]
    return np.diff(np.concatenate([[0], ends])[bounds]), flat


def shingle_sets(texts, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, hashes): for text i, hashes[offsets[i]:offsets[i+1]] are the sorted distinct 64-bit hashes of
    its n-syllable shingles (lower-cased); a text of n syllables or fewer is one shingle. Vectorised per batch;
    `texts`: a list of str or an Arrow string array."""
    lengths, flat = _syllables_flat(texts)
    total = len(flat)
    ends = np.cumsum(lengths)
    owner = np.repeat(np.arange(len(lengths)), lengths)
    padded = np.concatenate([flat, np.zeros(n, dtype=np.uint64)])
    mix = np.uint64(0x9E3779B97F4A7C15)
    length = lengths[owner]
    start = np.arange(total) - (ends - lengths)[owner]
    keep = (start + n <= length) | ((start == 0) & (length <= n))
    short = np.flatnonzero(keep & (length < n))  # the one shingle of a text shorter than n: zeros past its end
    with np.errstate(over="ignore"):
        grams = flat * mix
        for k in range(1, n):  # the window starting at each syllable; those past a text's end are cut below
            grams ^= padded[k: k + total]
            grams *= mix
        if len(short):
            fixed = flat[short] * mix
            for k in range(1, n):
                fixed ^= np.where(k < length[short], padded[short + k], np.uint64(0))
                fixed *= mix
            grams[short] = fixed
    owner, grams = owner[keep], grams[keep]
    owner, grams = _sort_within(owner, grams)
    distinct = np.ones(len(grams), dtype=bool)
    distinct[1:] = (grams[1:] != grams[:-1]) | (owner[1:] != owner[:-1])
    owner, grams = owner[distinct], grams[distinct]
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=len(lengths)), out=offsets[1:])
    return offsets, grams


def _sort_within(owner: np.ndarray, grams: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, grams) sorted by owner, then gram (owner is already non-decreasing). Texts of about one length
    (up to a power of two) are sorted as the rows of one matrix, padded with the largest hash: numpy sorts short
    rows in place, 5x faster than an argsort of (text, gram) and its gathers."""
    counts = np.bincount(owner) if len(owner) else np.zeros(0, dtype=np.int64)
    width = np.ceil(np.log2(np.maximum(counts, 1))).astype(np.int64)  # rows of 2**width columns
    starts = np.cumsum(counts) - counts
    out = np.empty_like(grams)
    for bits in np.unique(width[counts > 0]).tolist():
        texts = np.flatnonzero((width == bits) & (counts > 0))
        n = counts[texts]
        shift = np.repeat(starts[texts] - np.cumsum(n) + n, n)
        at = np.arange(len(shift)) + shift  # the texts' grams in the flat array
        cell = at + np.repeat((np.arange(len(texts)) << bits) - starts[texts], n)  # and in the matrix
        block = np.full((len(texts), 1 << bits), np.iinfo(np.uint64).max, dtype=np.uint64)
        block.ravel()[cell] = grams[at]
        block.sort(axis=1)  # the padding last: a text's own grams are the first n of its row
        out[at] = block.ravel()[cell]
    return owner, out


def shingles(text: str, n: int) -> np.ndarray:
    """The sorted, distinct 64-bit shingle hashes of one text."""
    return shingle_sets([text], n)[1]


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Of two sorted sets of distinct hashes. A look-up of a's hashes in b: 2.4x faster than np.intersect1d,
    which sorts both again."""
    if not len(b):
        return 1.0 if not len(a) else 0.0
    common = int(np.count_nonzero(b.take(b.searchsorted(a), mode="clip") == a))
    return common / (len(a) + len(b) - common)


def band_keys(offsets: np.ndarray, hashes: np.ndarray, layout: tuple[int, int], seed: int = 1) -> np.ndarray:
    """One row of `bands` 64-bit LSH keys per shingle set: its 32-bit MinHash signature of bands x rows
    permutations, folded band by band (layout: (bands, rows)). Computed _ROWS sets at a time: the signatures
    take num_perm x 12 bytes per set (10^6 paragraphs in one shard once took 1.5 GB here)."""
    count = len(offsets) - 1
    if count <= _ROWS:
        return _band_keys(offsets, hashes, layout, seed)
    return np.concatenate([_band_keys(offsets[i : i + _ROWS + 1] - offsets[i], hashes, layout, seed,
                                      int(offsets[i])) for i in range(0, count, _ROWS)])


def _band_keys(offsets: np.ndarray, hashes: np.ndarray, layout: tuple[int, int], seed: int,
               base: int = 0) -> np.ndarray:
    """band_keys of the sets at hashes[base + offsets[k] : base + offsets[k + 1]]. The MinHash matrix is laid out
    one permutation per row, so each minimum runs over contiguous memory (2-3x faster than a row per shingle)."""
    hashes = hashes[base : base + int(offsets[-1])]
    bands, rows = layout
    count = len(offsets) - 1
    a, b = _permutations(bands * rows, seed)
    signatures = np.full((bands * rows, count), 0xFFFFFFFF, dtype=np.uint32)
    folded = (hashes ^ (hashes >> np.uint64(32))).astype(np.uint32)
    lengths = np.diff(offsets)
    block = np.empty((bands * rows, _CHUNK), dtype=np.uint32)  # reused: a block stays in the CPU's cache
    with np.errstate(over="ignore"):
        first = 0
        while first < count:  # blocks of whole texts, about _CHUNK shingles each
            last = max(int(np.searchsorted(offsets, offsets[first] + _CHUNK, side="right")) - 1, first + 1)
            last = min(last, count)
            lo, hi = offsets[first], offsets[last]
            nonempty = lengths[first:last] > 0
            if hi > lo:
                values = block[:, : hi - lo] if hi - lo <= _CHUNK else np.empty((bands * rows, hi - lo), np.uint32)
                np.multiply(a[:, None], folded[None, lo:hi], out=values)
                values += b[:, None]
                signatures[:, first:last][:, nonempty] = np.minimum.reduceat(
                    values, offsets[first:last][nonempty] - lo, axis=1)
            first = last
        mix = np.uint64(0x9E3779B97F4A7C15)
        by_band = signatures.reshape(bands, rows, count).astype(np.uint64)
        keys = np.zeros((bands, count), dtype=np.uint64)
        for k in range(rows):
            keys = (keys ^ by_band[:, k, :]) * mix
    return np.ascontiguousarray(keys.T)


class NearIndex:
    """An LSH index of kept paragraphs that answers: which kept paragraph is a near twin of this one?

    Paragraphs are numbered in reading order; among several twins the earliest is the answer.
    """

    def __init__(self, settings: DedupSettings):
        self.threshold = settings.near_threshold
        self.buckets: list[dict[int, int | list[int]]] = [{} for _ in range(settings.bands[0])]
        self.sets: dict[int, np.ndarray] = {}
        self.names: dict[int, str] = {}
        self.count = 0

    def match(self, keys: np.ndarray, shingle_set: np.ndarray) -> str | None:
        """The earliest kept paragraph at the threshold among the MAX_COMPARED candidates sharing the most bands
        (all of them, as a rule: only templated text has more)."""
        candidates = []
        for members in map(dict.get, self.buckets, keys.tolist()):
            if type(members) is int:
                candidates.append(members)
            elif members is not None:
                candidates += members
        return _twin(self, candidates, shingle_set)

    def set_of(self, i: int) -> np.ndarray:
        return self.sets[i]

    def name_of(self, i: int) -> str:
        return self.names[i]

    def add(self, name: str, keys: np.ndarray, shingle_set: np.ndarray) -> None:
        i = self.count
        self.names[i], self.sets[i] = name, shingle_set.copy()  # a copy: a view would pin its whole batch
        for bucket, key in zip(self.buckets, keys.tolist()):
            found = bucket.setdefault(key, i)
            if found == i:
                continue
            if not isinstance(found, list):
                bucket[key] = [found, i]
            elif len(found) < MAX_BUCKET:  # a key this many kept paragraphs share is a template, not evidence
                found.append(i)
        self.count += 1


class BatchIndex:
    """NearIndex's verdicts (match, then add, row by row) for whole batches, as the dedup barrier judges them.

    Each band's keys are sorted numpy arrays: the Python dicts of NearIndex cost ~200 ns per key indexed (3M on
    the large recipe: a quarter of the step). A band holds a few sorted runs, each at least twice the size of the
    next (a batch's keys are a new run, merged into the one before it while that one is not twice as big), so a
    key is copied about log(batches) times instead of once per batch. A table of the keys' top bits tells which
    of a batch's keys may be known, so only those are looked up (binary searches, run by run).
    """

    _FILTER_SHIFT = 64 - 24  # 16 MB: a tenth of false hits with 3M keys indexed

    def __init__(self, settings: DedupSettings):
        self.threshold = settings.near_threshold
        # per band, its runs (oldest first) of (keys, members), each sorted by (key, member); an older run holds
        # only smaller members, so runs read in order give a key's members in order
        self.runs: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in range(settings.bands[0])]
        self.filter = np.zeros(1 << (64 - self._FILTER_SHIFT), dtype=bool)
        # per batch judged: its first row's number, its rows' names, shingle sets (one array) and their offsets
        self.bases: list[int] = []
        self.batches: list[tuple[list[str], np.ndarray, list[int]]] = []
        self.count = 0

    def set_of(self, i: int) -> np.ndarray:
        b = bisect_right(self.bases, i) - 1
        _, flat, offsets = self.batches[b]
        i -= self.bases[b]
        return flat[offsets[i]: offsets[i + 1]]

    def name_of(self, i: int) -> str:
        b = bisect_right(self.bases, i) - 1
        return self.batches[b][0][i - self.bases[b]]

    def _slots(self, band: int, keys: np.ndarray) -> np.ndarray:
        return (keys >> np.uint64(self._FILTER_SHIFT)) ^ np.uint64(band * 40503)

    def _lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, members, counts): each kept paragraph under a key of a row, once per band; counts[row, band]:
        how many are under that key."""
        counts = np.zeros(keys.shape, dtype=np.int64)
        rows, members = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
        for band, runs in enumerate(self.runs):
            column = keys[:, band]
            maybe = np.flatnonzero(self.filter[self._slots(band, column)])
            wanted = column[maybe]
            for known, numbers in runs:  # a key is in one run or two, as a rule: the second search only for hits
                lo = known.searchsorted(wanted)
                hit = known.take(lo, mode="clip") == wanted
                at, lo = maybe[hit], lo[hit]
                n = known.searchsorted(wanted[hit], side="right") - lo
                counts[at, band] += n
                rows.append(np.repeat(at, n))
                members.append(numbers[np.repeat(lo - np.cumsum(n) + n, n) + np.arange(int(n.sum()))])
        rows, members = np.concatenate(rows), np.concatenate(members)
        order = np.argsort(rows, kind="stable")
        return rows[order], members[order], counts

    def judge_batch(self, names: list[str], keys: np.ndarray, flat: np.ndarray, offsets: np.ndarray
                    ) -> list[str | None]:
        """Each row's earliest near twin among kept paragraphs and earlier rows (None: kept, and now indexed).
        Row i's shingle set: flat[offsets[i]:offsets[i + 1]]; `flat` is kept (the caller's own copy: a view of a
        bigger array would pin it whole).

        Candidates among the paragraphs kept before the batch are found in bulk; only rows with one, or with a
        key another row of the batch has, are judged one by one (in order: a kept row joins the buckets of the
        keys the batch shares at once); then the batch's kept rows are indexed in bulk.
        """
        rows, base = len(names), self.count
        found, members, counts = self._lookup(keys)
        orders = np.stack([_stable_order(column) for column in keys.T])  # each band's keys sorted (rows in
        # order if equal)
        grouped = _repeated(keys.T, orders)
        offsets = offsets.tolist()
        self.bases.append(base)
        self.batches.append((names, flat, offsets))
        judged = np.union1d(found, np.flatnonzero(grouped.any(axis=0)))
        bounds = np.searchsorted(found, judged).tolist(), np.searchsorted(found, judged, side="right").tolist()
        which, band_of = np.nonzero(grouped[:, judged].T)  # each judged row's bands with a key of the batch
        shared = np.searchsorted(which, np.arange(len(judged) + 1)).tolist()
        shared_keys = keys[judged[which], band_of].tolist()
        band_of, members = band_of.tolist(), members.tolist()
        local: list[dict] = [{} for _ in self.runs]  # the batch's kept rows under its shared keys
        kept = np.ones(rows, dtype=bool)
        twins: list[str | None] = [None] * rows
        for k, row in enumerate(judged.tolist()):
            candidates = members[bounds[0][k]: bounds[1][k]]
            live = list(zip(band_of[shared[k]: shared[k + 1]], shared_keys[shared[k]: shared[k + 1]]))
            for band, key in live:
                candidates += local[band].get(key, ())
            twins[row] = _twin(self, candidates, flat[offsets[row]: offsets[row + 1]])
            if twins[row] is not None:
                kept[row] = False
                continue
            for band, key in live:
                bucket = local[band].setdefault(key, [])
                if len(bucket) < MAX_BUCKET - counts[row, band]:
                    bucket.append(base + row)
        self._index(keys, [order[kept[order]] for order in orders], base, counts)
        self.count += rows
        return twins

    def _index(self, keys: np.ndarray, orders: list[np.ndarray], base: int, counts: np.ndarray) -> None:
        """Rows (numbered from base) under their keys; orders: per band, the rows to index sorted by key, then
        row. A key stops taking members at MAX_BUCKET (counts: members before the batch)."""
        for band, order in enumerate(orders):
            column = keys[order, band]
            starts = np.ones(len(column), dtype=bool)
            starts[1:] = column[1:] != column[:-1]
            place = np.arange(len(column))
            rank = place - np.maximum.accumulate(np.where(starts, place, 0))
            room = rank < MAX_BUCKET - counts[order, band]
            if not room.any():
                continue
            runs, run = self.runs[band], (column[room], base + order[room])
            while runs and len(runs[-1][0]) <= 2 * len(run[0]):
                run = _merged_runs(runs.pop(), run)
            runs.append(run)
            self.filter[self._slots(band, column[room])] = True


def _merged_runs(older: tuple[np.ndarray, np.ndarray], newer: tuple[np.ndarray, np.ndarray]) -> tuple:
    """One run of two, sorted by (key, member): a newer run's members are all larger, so they go after the older
    run's members of the same key, as a stable sort of the two runs end to end puts them (timsort merges two
    sorted runs in one pass: 1.3-4x faster than placing the new keys with searchsorted and masks)."""
    keys = np.concatenate([older[0], newer[0]])
    order = np.argsort(keys, kind="stable")
    return keys[order], np.concatenate([older[1], newer[1]])[order]


def _stable_order(values: np.ndarray) -> np.ndarray:
    """np.argsort(values, kind="stable") of 64-bit integers, as four stable passes over 16-bit digits (numpy
    radix-sorts 16-bit integers in linear time: 2.5x faster than its timsort on random keys)."""
    order = np.argsort(values.astype(np.uint16), kind="stable")
    for shift in (16, 32, 48):
        order = order[np.argsort((values[order] >> np.uint64(shift)).astype(np.uint16), kind="stable")]
    return order


def _twin(index, candidates: list[int], shingle_set: np.ndarray) -> str | None:
    """The earliest of the candidates (kept paragraphs, once per band they share with it) at the threshold, among
    the MAX_COMPARED sharing the most bands (all of them, as a rule: only templated text has more)."""
    shared = set(candidates)
    if len(shared) > MAX_COMPARED:
        counts = Counter(candidates)
        shared = [i for i, _ in heapq.nsmallest(MAX_COMPARED, counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    for i in sorted(shared):
        if jaccard(shingle_set, index.set_of(i)) >= index.threshold:
            return index.name_of(i)
    return None


def _repeated(columns: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Which keys of each band (a row of `columns`, sorted by `order`) another row of the batch has too."""
    repeated = np.zeros(columns.shape, dtype=bool)
    if columns.shape[1] > 1:
        ordered = np.take_along_axis(columns, order, axis=1)
        same = ordered[:, 1:] == ordered[:, :-1]
        flags = np.zeros(columns.shape, dtype=bool)
        flags[:, 1:] |= same
        flags[:, :-1] |= same
        np.put_along_axis(repeated, order, flags, axis=1)
    return repeated


def fingerprints(texts: list[str], settings: DedupSettings, seed: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    """(band keys, shingle set) of each text."""
    offsets, hashes = shingle_sets(texts, settings.shingle)
    keys = band_keys(offsets, hashes, settings.bands, seed)
    return [(keys[i], hashes[offsets[i]: offsets[i + 1]]) for i in range(len(texts))]


def near_duplicates(texts: list[str], settings: DedupSettings) -> dict[int, int]:
    """{index of a removed paragraph: index of the kept paragraph it nearly repeats}, in reading order."""
    index = NearIndex(settings)
    removed: dict[int, int] = {}
    for i, (keys, shingle_set) in enumerate(fingerprints(texts, settings)):
        twin = index.match(keys, shingle_set)
        if twin is not None:
            removed[i] = int(twin)
        else:
            index.add(str(i), keys, shingle_set)
    return removed


def _taken(column, rows: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(values, offsets) of the `rows` of a list column, copied into arrays of their own by Arrow's take (a
    row's values in one piece) without the rest of the column."""
    lists = column.take(rows).combine_chunks()
    return lists.values.to_numpy(), lists.offsets.to_numpy()


class Deduplicator:
    """The dedup barrier's state: every paragraph kept so far (a digest, and a near-duplicate fingerprint).

    It sees paragraphs in reading order, so the first copy is the one kept whatever the parallelism. Memory
    grows with the distinct paragraphs kept, not with the input: a repeated paragraph costs nothing.
    """

    def __init__(self, settings: DedupSettings):
        self.seen: dict[bytes, str] = {}
        self.near = BatchIndex(settings) if settings.enabled else None

    def judge(self, table) -> dict[int, tuple[str, str]]:
        """{row: ("duplicate" or "near_duplicate", the kept copy's id)} for the rows found to repeat an earlier
        one. Only rows still in the running are looked at (a million dropped one-letter lines cost nothing)."""
        live = np.flatnonzero(pc.equal(table.column("reason"), "").to_numpy(zero_copy_only=False))
        running = table.select(["source", "doc_id", "index", "digest"]).take(live)
        keys = pc.binary_join_element_wise(running.column("source"), running.column("doc_id"),
                                           pc.cast(running.column("index"), pa.string()), "/").to_pylist()
        firsts = list(map(self.seen.setdefault, running.column("digest").to_pylist(), keys))  # a row's own key
        # is the one it returns when it comes first
        repeats = np.fromiter(map(is_not, firsts, keys), bool, len(keys))
        found = {int(live[i]): ("duplicate", firsts[i]) for i in np.flatnonzero(repeats).tolist()}
        fresh = np.flatnonzero(~repeats).tolist()
        if self.near is not None and fresh:
            rows = live[fresh].tolist()
            taken = pa.array(rows, pa.int64())
            band_rows = _taken(table.column("bands"), taken)[0].reshape(-1, len(self.near.runs))
            twins = self.near.judge_batch([keys[i] for i in fresh], band_rows,
                                          *_taken(table.column("shingles"), taken))
            found.update((row, ("near_duplicate", twin)) for row, twin in zip(rows, twins) if twin is not None)
        return found
