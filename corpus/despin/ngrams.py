"""A word-order model of clean text for the spin detector: hashed n-gram counts in numpy arrays.

Why not the restorer's dict model (corpus.despin.lm): the detector scores every token of a crawl and every small edit
around it, millions of look-ups a second, which only sorted arrays and vectorised search give. Tokens are lower-case
syllables, digit runs (one class: "<num>") and punctuation, so that "tổ chức triển khai ," reads as the odd
sequence it is. Probabilities are interpolated absolute discounting over orders 1..ORDER.

Stored as a zip of .npy arrays plus the vocabulary (fixed timestamps: the same text gives the same
bytes), loaded with allow_pickle=False.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from itertools import chain
from pathlib import Path

import numpy as np

from corpus.text.tokens import split_batch

ORDER = 4
DISCOUNT = 0.75
BOUNDARY, UNKNOWN = 1, 0  # ids; the vocabulary starts at 2
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+|[.,;:!?()“”\"%/–-]")
_MIX = np.uint64(0x9E3779B97F4A7C15)
_SHIFT = np.uint64(29)
_ARRAYS = ("keys", "counts", "contexts", "context_counts", "context_types", "best_contexts", "best_next")


def tokens(text: str) -> list[str]:
    return ["<num>" if t[0].isdigit() else t for t in _TOKEN.findall(text.lower())]


class _Ids(dict):
    """Token → id, for tokens as _TOKEN finds them: a digit run is "<num>" and a word outside the vocabulary
    UNKNOWN, decided only on a miss (a dict look-up per token instead of tokens()'s test per token)."""

    def __init__(self, vocabulary: list[str]):
        super().__init__((w, i + 2) for i, w in enumerate(vocabulary))
        self.number = self.get("<num>", UNKNOWN)

    def __missing__(self, token: str) -> int:
        return self.number if token[0].isdigit() else UNKNOWN


def found_tokens(texts: Iterable[str], pattern: re.Pattern = _TOKEN, lower: bool = True
                 ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(distinct, codes, lengths): the `pattern` matches of every text (lower-cased first unless not `lower`), end
    to end, are distinct[codes], text i's lengths[i] of them. A match never spans whitespace (the pattern's and the
    language model's syllables'), so Arrow splits the texts at it and finds the distinct chunks; the regex and the
    dict run once per distinct chunk, not per token (2x faster)."""
    bounds, chunks, at = split_batch([t.lower() for t in texts] if lower else list(texts))
    distinct: dict[str, int] = {}
    per_chunk = [[distinct.setdefault(w, len(distinct)) for w in pattern.findall(c)] for c in chunks]
    size = np.fromiter(map(len, per_chunk), np.int64, len(per_chunk))
    flat = np.fromiter(chain.from_iterable(per_chunk), np.int64, int(size.sum()))
    n = size[at]  # tokens of each chunk occurrence
    codes = flat[np.repeat((np.cumsum(size) - size)[at] - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))]
    return list(distinct), codes, np.diff(np.r_[0, np.cumsum(n)][bounds])


def with_boundaries(ids: np.ndarray, lengths: np.ndarray, before: int, after: int) -> np.ndarray:
    """The sequences laid end to end in `ids` (with these lengths), each with `before` boundaries in front and
    `after` behind it."""
    starts = np.cumsum(lengths + before + after) - lengths - after
    out = np.full(int(lengths.sum()) + len(lengths) * (before + after), BOUNDARY, np.int64)
    out[np.arange(len(ids)) + np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)] = ids
    return out


def _mix(h: np.ndarray, x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        h = (h ^ x.astype(np.uint64)) * _MIX
        return h ^ (h >> _SHIFT)


class _HashIndex:
    """Open addressing (linear probing, at most half full) over keys that are already well-mixed 64-bit hashes:
    a look-up costs one or two probes of one cache line (key and index side by side), where a binary search over
    millions of keys takes ~22 steps (np.searchsorted was 60% of the detector's time). Built at load time; the
    file keeps the sorted keys."""

    def __init__(self, keys: np.ndarray):
        """keys: ascending (as the file keeps them), so their home slots (top bits) are too and each key's slot is
        its home or the one after the key before it: one running maximum places them all, the few pushed past
        the end wrap round to the first free slots."""
        if np.any(keys[1:] <= keys[:-1]):
            raise ValueError("hash index keys must be ascending and distinct")
        bits = max(4, int(np.ceil(np.log2(max(len(keys), 1) * 2))))
        self.shift, self.mask = np.uint64(64 - bits), (1 << bits) - 1
        self.table = np.zeros((1 << bits, 2), np.uint64)  # (key, 1 + its index in keys); 0: an empty slot
        index = np.arange(len(keys))
        slot = np.maximum.accumulate((keys >> self.shift).astype(np.int64) - index) + index
        wrapped = slot > self.mask
        if wrapped.any():
            free = np.ones(1 << bits, bool)
            free[slot[~wrapped]] = False
            slot[wrapped] = np.flatnonzero(free)[: wrapped.sum()]
        self.table[slot, 0] = keys
        self.table[slot, 1] = index + 1

    def find(self, query: np.ndarray) -> np.ndarray:
        """Index of each query in the keys, -1 where absent. The first probe, which settles most queries, is
        taken for all of them at once; only those that met another key probe on."""
        at = (query >> self.shift).astype(np.int64)
        rows = self.table.take(at, 0)  # 8x faster than self.table[at] (numpy's 2-d fancy indexing)
        out = rows[:, 1].astype(np.int64) - 1
        miss = rows[:, 0] != query
        todo = np.flatnonzero(miss & (out >= 0))
        out[miss] = -1
        at = at[todo]
        while len(todo):
            at = (at + 1) & self.mask
            rows = self.table.take(at, 0)
            filled = rows[:, 1] > 0
            hit = filled & (rows[:, 0] == query[todo])
            out[todo[hit]] = rows[hit, 1].astype(np.int64) - 1
            again = filled & ~hit  # another key sits here: probe on; an empty slot ends the search
            todo, at = todo[again], at[again]
        return out


class NgramTables:
    def __init__(self, vocabulary: list[str], unigram: np.ndarray, tables: list[dict[str, np.ndarray]]):
        self.vocabulary = vocabulary
        self.ids = _Ids(vocabulary)
        self.unigram = unigram  # smoothed log p(token), indexed by id
        self.tables = tables  # one per order 2..ORDER
        self.indexes = [_indexes(t) for t in tables]

    # --- training -------------------------------------------------------------------------------------------
    @classmethod
    def train(cls, texts: Iterable[str]) -> NgramTables:
        distinct, codes, lengths = found_tokens(texts)
        counted = dict(zip(distinct, np.bincount(codes, minlength=len(distinct)).tolist()))
        counted["<num>"] = sum(c for t, c in counted.items() if t[0].isdigit())  # as tokens() counts them
        # a word seen once is as good as unknown
        vocabulary = sorted(w for w, c in counted.items() if c >= 2 and not w[0].isdigit())
        model = cls(vocabulary, np.zeros(len(vocabulary) + 2), [])
        ids = model.encode_distinct(distinct)[codes]
        flat, lengths = with_boundaries(ids, lengths, 1, 1), lengths + 2
        counts = np.bincount(flat, minlength=len(vocabulary) + 2).astype(np.float64)
        model.unigram = np.log((counts + 0.5) / (counts.sum() + 0.5 * len(counts)))
        windows = _all_windows(flat, lengths, ORDER)
        for n in range(2, ORDER + 1):
            model.tables.append(_table(*_distinct_rows(windows[:, ORDER - n :]), n, windows[:, -1]))
        return cls(vocabulary, model.unigram, model.tables)  # with its look-up indexes

    # --- encoding and scoring -------------------------------------------------------------------------------
    def encode(self, text: str) -> np.ndarray:
        """The ids of the text's tokens between two boundaries."""
        return with_boundaries(*self.encode_texts([text]), 1, 1)

    def encode_texts(self, texts: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        """The ids of all the texts' tokens laid end to end (no boundaries), and each text's number of tokens."""
        distinct, codes, lengths = found_tokens(texts)
        return self.encode_distinct(distinct)[codes], lengths

    def encode_distinct(self, distinct: list[str]) -> np.ndarray:
        """The ids of these tokens (as _TOKEN finds them)."""
        return np.fromiter(map(self.ids.__getitem__, distinct), np.int64, len(distinct))

    def next_logprob(self, history: np.ndarray, next_ids: np.ndarray) -> np.ndarray:
        """log p(next | history) for each row; history: (m, ORDER-1) ids, boundaries where a paragraph began.
        An n-gram unseen at one order is unseen at every higher one (it ends each of them), so each order looks up
        only the rows whose context (and joint n-gram) the order below found: the same result as looking up every
        row, up to a 64-bit hash collision, for a half to a third of the look-ups."""
        p = np.exp(self.unigram[next_ids])
        rows = np.arange(len(next_ids))  # rows whose context the order below saw
        known = np.ones(len(next_ids), bool)  # rows whose n-gram the order below saw
        for n, (table, index) in enumerate(zip(self.tables, self.indexes), start=2):
            context = _hash(history.take(rows, 0)[:, history.shape[1] - (n - 1) :], n)
            at = index["contexts"].find(context)
            rows, context, at = rows[at >= 0], context[at >= 0], at[at >= 0]
            ask = np.flatnonzero(known[rows])
            found = index["keys"].find(_mix(context[ask], next_ids[rows[ask]]))
            joint = np.zeros(len(rows), table["counts"].dtype)
            joint[ask[found >= 0]] = table["counts"][found[found >= 0]]
            known[:] = False
            known[rows[joint > 0]] = True
            seen, types = table["context_counts"][at], table["context_types"][at]
            p[rows] = (np.maximum(joint - DISCOUNT, 0) + DISCOUNT * types * p[rows]) / seen
        return np.log(p)

    def predict(self, history: np.ndarray) -> np.ndarray:
        """history: (m, ORDER-1) ids → the commonest next token after each row (longest context seen; 0: none);
        like next_logprob, each order looks up only the contexts the order below found."""
        out = np.zeros(len(history), np.int64)
        rows = np.arange(len(history))
        for n, (table, index) in enumerate(zip(self.tables, self.indexes), start=2):
            at = index["best_contexts"].find(_hash(history.take(rows, 0)[:, history.shape[1] - (n - 1) :], n))
            rows, at = rows[at >= 0], at[at >= 0]
            best = table["best_next"][at]
            out[rows[best > 0]] = best[best > 0]
        return out

    # --- files ----------------------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        with zipfile.ZipFile(path, "w") as z:
            def put(name: str, data: bytes) -> None:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED  # counts shrink; the hashed keys do not
                z.writestr(info, data, compresslevel=6)

            put("vocabulary.txt", "\n".join(self.vocabulary).encode("utf-8"))
            put("unigram.npy", _npy(self.unigram))
            for n, table in enumerate(self.tables, start=2):
                for name in _ARRAYS:
                    put(f"{n}/{name}.npy", _npy(table[name]))

    @classmethod
    def load(cls, path: Path) -> NgramTables:
        with zipfile.ZipFile(path) as z:
            vocabulary = z.read("vocabulary.txt").decode("utf-8").split("\n") if z.read("vocabulary.txt") else []
            unigram = _read_npy(z, "unigram.npy")
            tables = [{name: _read_npy(z, f"{n}/{name}.npy") for name in _ARRAYS} for n in range(2, ORDER + 1)]
        if len(unigram) != len(vocabulary) + 2:
            raise ValueError(f"{path}: {len(vocabulary)} words but {len(unigram)} unigram scores")
        return cls(vocabulary, unigram, tables)


def _indexes(table: dict[str, np.ndarray]) -> dict[str, _HashIndex]:
    """The look-up indexes of one order; its best_contexts are its contexts (as train() makes them): one index."""
    contexts = _HashIndex(table["contexts"])
    same = np.array_equal(table["best_contexts"], table["contexts"])
    return {"keys": _HashIndex(table["keys"]), "contexts": contexts,
            "best_contexts": contexts if same else _HashIndex(table["best_contexts"])}


def _distinct_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ids in lexicographic order, and their counts. Packed into one number each when the ids
    allow it: a sort of numbers, not of rows (np.unique(axis=0)) nor of the windows' hashes by position."""
    base, n = int(rows.max(initial=0)) + 1, rows.shape[1]
    if base**n >= 2**63:
        return np.unique(rows, axis=0, return_counts=True)
    packed = np.zeros(len(rows), np.int64)
    for j in range(n):
        packed = packed * base + rows[:, j]
    distinct, counts = np.unique(packed, return_counts=True)
    return distinct[:, None] // base ** np.arange(n - 1, -1, -1, dtype=np.int64) % base, counts


def _table(grams: np.ndarray, counts: np.ndarray, n: int, last: np.ndarray) -> dict[str, np.ndarray]:
    """One order's arrays from its distinct n-grams in lexicographic order (so each context's are together) and
    their counts; keys and contexts ascending by hash. Hashes only of distinct n-grams: assumes no two collide in
    64 bits. best_next as the files have always held it: not the token that ends a context's commonest n-gram (a
    tie: the lowest key) but `last` (each window's last token, in window order) at that n-gram's rank among the
    keys, the index NgramTables.train took into the wrong array. A bug (predict() proposes that token), kept: fixing it
    changes every build's detector."""
    context = _hash(grams[:, :-1], n)
    keys = _mix(context, grams[:, -1])
    starts = np.flatnonzero(np.r_[True, context[1:] != context[:-1]])
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(grams)]))
    best = counts == np.maximum.reduceat(counts, starts)[group]
    lowest = np.minimum.reduceat(np.where(best, keys, np.uint64(2**64 - 1)), starts)
    best = np.flatnonzero(best & (keys == lowest[group]))
    best = best[np.r_[True, group[best][1:] != group[best][:-1]]]
    by_key, by_context = np.argsort(keys), np.argsort(context[starts])
    rank = np.empty_like(by_key)
    rank[by_key] = np.arange(len(by_key))
    contexts = context[starts][by_context]
    return {"keys": keys[by_key], "counts": counts[by_key].astype(np.int32), "contexts": contexts,
            "context_counts": np.add.reduceat(counts, starts)[by_context].astype(np.int32),
            "context_types": np.diff(np.r_[starts, len(grams)])[by_context].astype(np.int32),
            "best_contexts": contexts, "best_next": last[rank[best]][by_context].astype(np.int32)}


def _all_windows(flat: np.ndarray, lengths: np.ndarray, n: int) -> np.ndarray:
    """Every n-gram ending at each sequence's ids[1:], its history padded with boundaries, for all sequences
    (laid end to end in `flat`, with these lengths) in order: shape (sum(lengths - 1), n). One vectorised pass,
    where a loop over a build's 20,000 paragraphs took half a second per order."""
    padded = lengths + n - 2  # each sequence after its n - 2 boundaries
    starts = np.cumsum(padded) - padded
    out = np.full(int(padded.sum()), BOUNDARY, np.int64)
    within = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    out[np.repeat(starts + n - 2, lengths) + within] = flat
    count = np.maximum(lengths - 1, 0)  # windows ending at ids[1:]
    first = np.repeat(starts, count) + np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    return np.lib.stride_tricks.sliding_window_view(out, n)[first]


def _hash(history: np.ndarray, n: int) -> np.ndarray:
    h = np.full(len(history), np.uint64(n))
    for j in range(history.shape[1]):
        h = _mix(h, history[:, j])
    return h


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _read_npy(z: zipfile.ZipFile, name: str) -> np.ndarray:
    return np.load(io.BytesIO(z.read(name)), allow_pickle=False)
