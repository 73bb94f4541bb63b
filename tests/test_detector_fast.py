"""The spin detector's fast paths (corpus.despin.ngrams, corpus.despin.detector) against plain computations on real
legal text: tokens looked up one by one, n-grams counted and searched in sorted arrays, every order of every row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import corpus.despin.detector as detector
from corpus.despin.detector import OutputFinder, features
from corpus.despin.ngrams import (BOUNDARY, DISCOUNT, ORDER, UNKNOWN, NgramTables, _all_windows, _distinct_rows, _hash,
                                  _HashIndex, _mix, tokens, with_boundaries)
from corpus.spin.lexicon import default_lexicon
from corpus.text.normalize import normalize
from corpus.text.segment import BODY, segment

LEGAL = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "vi-legal"


@pytest.fixture(scope="module")
def paragraphs() -> list[str]:
    files = sorted(LEGAL.glob("*.txt"))
    if not files:
        pytest.skip(f"{LEGAL} not present")
    return [p for f in files[:3] for kind, p in segment(normalize(f.read_text(encoding="utf-8"))) if kind == BODY]


@pytest.fixture(scope="module")
def tables(paragraphs) -> NgramTables:
    return NgramTables.train(paragraphs[:1200])


def plain_ids(tables: NgramTables, text: str) -> list[int]:
    ids = {w: i + 2 for i, w in enumerate(tables.vocabulary)}
    return [BOUNDARY, *[ids.get(t, UNKNOWN) for t in tokens(text)], BOUNDARY]


def at_sorted(keys: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Position of each query in the sorted keys, -1 where absent: a binary search."""
    at = np.minimum(np.searchsorted(keys, query), max(len(keys) - 1, 0))
    return np.where((len(keys) > 0) & (keys[at] == query), at, -1) if len(keys) else np.full(len(query), -1)


def test_encoding_matches_tokens_looked_up_one_by_one(tables, paragraphs):
    texts = paragraphs[1200:1400] + ["Điều 12. Khoản 3, 4 và 5 của Luật số 45/2019/QH14 xyzzy", ""]
    assert any("<num>" in tokens(text) for text in texts) and "<num>" in tables.vocabulary
    ids, lengths = tables.encode_texts(texts)
    laid = with_boundaries(ids, lengths, 1, 1)
    assert laid.tolist() == [i for text in texts for i in plain_ids(tables, text)]
    assert all(tables.encode(t).tolist() == plain_ids(tables, t) for t in texts[:20])
    padded = with_boundaries(ids, lengths, 4, 6)
    assert padded.tolist() == [i for text in texts for i in [BOUNDARY] * 3 + plain_ids(tables, text) + [BOUNDARY] * 5]


def test_training_counts_match_counting_every_window(tables, paragraphs):
    """Context counts and types as a count over all windows gives them (the vocabulary as tokens() counts it)."""
    sequences = [plain_ids(tables, t) for t in paragraphs[:1200]]
    counted: dict[str, int] = {}
    for t in (t for p in paragraphs[:1200] for t in tokens(p)):
        counted[t] = counted.get(t, 0) + 1
    assert tables.vocabulary == sorted(w for w, c in counted.items() if c >= 2)
    flat = np.concatenate([np.array(s, np.int64) for s in sequences])
    lengths = np.array([len(s) for s in sequences])
    for n, table in enumerate(tables.tables, start=2):
        window = _all_windows(flat, lengths, n)
        c = _hash(window[:, :-1], n)
        contexts, counts = np.unique(c, return_counts=True)
        keys = np.unique(_mix(c, window[:, -1]))
        types = np.unique(c[np.unique(_mix(c, window[:, -1]), return_index=True)[1]], return_counts=True)[1]
        assert np.array_equal(table["contexts"], contexts) and np.array_equal(table["best_contexts"], contexts)
        assert np.array_equal(table["context_counts"], counts) and np.array_equal(table["context_types"], types)
        assert np.array_equal(table["keys"], keys)
        assert np.array_equal(table["counts"], np.unique(_mix(c, window[:, -1]), return_counts=True)[1])
        assert np.array_equal(table["best_next"], plain_best_next(window, c, keys))


def plain_best_next(window: np.ndarray, context: np.ndarray, keys: np.ndarray) -> list[int]:
    """best_next as the tables hold it, one context at a time: its commonest n-gram (a tie: the lowest key), then
    the last token of the window whose number is that n-gram's rank among the keys (see ngrams._table)."""
    count: dict[int, dict[int, int]] = {}
    for c, g in zip(context.tolist(), _mix(context, window[:, -1]).tolist()):
        count.setdefault(c, {})[g] = count.setdefault(c, {}).get(g, 0) + 1
    rank = {g: i for i, g in enumerate(keys.tolist())}
    best = {c: min(grams, key=lambda g: (-grams[g], g)) for c, grams in count.items()}
    return [int(window[rank[best[c]], -1]) for c in sorted(best)]


def test_distinct_rows_packed_or_not(tables, paragraphs):
    """Rows packed into one number each give what np.unique over the rows gives (its path for a vocabulary too big
    to pack), and so does a base too big to pack."""
    ids, lengths = tables.encode_texts(paragraphs[:300])
    window = _all_windows(with_boundaries(ids, lengths, 1, 1), lengths + 2, ORDER)
    rows, counts = np.unique(window, axis=0, return_counts=True)
    shift = np.array([0, 0, 0, 2**20])  # ids up to 2**20: 80 bits, not packed
    for (got, got_counts), plus in ((_distinct_rows(window), 0), (_distinct_rows(window + shift), shift)):
        assert np.array_equal(got, rows + plus) and np.array_equal(got_counts, counts)


def test_hash_index_finds_what_a_binary_search_finds(tables):
    rng = np.random.default_rng(3)
    for table, index in zip(tables.tables, tables.indexes):
        keys = table["keys"]
        query = np.r_[keys[rng.integers(0, len(keys), 5000)],
                      rng.integers(1, 2**63, 5000, dtype=np.int64).astype(np.uint64)]
        assert np.array_equal(index["keys"].find(query), at_sorted(keys, query))
    assert np.array_equal(_HashIndex(np.zeros(0, np.uint64)).find(query[:10]), np.full(10, -1))


def histories(tables, texts):
    rows, nxt = [], []
    for text in texts:
        ids = [BOUNDARY] * (ORDER - 2) + plain_ids(tables, text)
        for j in range(ORDER - 1, len(ids)):
            rows.append(ids[j - ORDER + 1 : j])
            nxt.append(ids[j])
    return np.array(rows, np.int64), np.array(nxt, np.int64)


def test_next_logprob_and_predict_match_every_order_looked_up(tables, paragraphs):
    """The pruned look-ups (an order only where the order below found its context) against all rows at all orders
    by binary search; spun text (its rare n-grams) included."""
    from corpus.rand import RowRandom
    from corpus.spin.noise import NoiseSettings, spin

    texts = paragraphs[1400:1500]
    texts += [spin(t, RowRandom(1, str(i)), NoiseSettings(), default_lexicon())[0] for i, t in enumerate(texts)]
    history, nxt = histories(tables, texts)
    p = np.exp(tables.unigram[nxt])
    best = np.zeros(len(nxt), np.int64)
    for n, table in enumerate(tables.tables, start=2):
        context = _hash(history[:, ORDER - n :], n)
        joint_at, at = at_sorted(table["keys"], _mix(context, nxt)), at_sorted(table["contexts"], context)
        joint = np.where(joint_at >= 0, table["counts"][joint_at], 0)
        seen = np.where(at >= 0, table["context_counts"][at], 0)
        types = np.where(at >= 0, table["context_types"][at], 0)
        p = np.where(seen > 0, (np.maximum(joint - DISCOUNT, 0) + DISCOUNT * types * p) / np.maximum(seen, 1), p)
        b = at_sorted(table["best_contexts"], context)
        b = np.where(b >= 0, table["best_next"][b], 0)
        best = np.where(b > 0, b, best)
    assert np.array_equal(tables.next_logprob(history, nxt), np.log(p))
    assert np.array_equal(tables.predict(history), best)


def test_features_given_the_word_features_match_a_fresh_computation(tables, paragraphs):
    """Features with the word features passed in (label_both) give what a fresh computation gives, with the
    lexicon's own counts."""
    texts = paragraphs[1500:1560]
    full, none = OutputFinder(default_lexicon()), OutputFinder(None)
    with_full = features(tables, texts, full)
    words = detector._features(tables, texts)
    again = features(tables, texts, none, words)
    fresh = features(tables, texts, none)
    assert np.array_equal(again, fresh) and not np.array_equal(with_full, fresh)
    column = detector.FEATURES.index("lexicon_outputs")
    assert with_full[:, column].tolist() == [full.count(t) for t in texts]
    assert np.array_equal(np.delete(with_full, column, 1), np.delete(fresh, column, 1))
    assert np.array_equal(features(tables, texts, full, words), with_full)
    alone = np.concatenate([features(tables, [t], full) for t in texts[:10]])
    assert np.array_equal(alone, with_full[:10])


def test_top_mean_matches_sorting_each_paragraph(tables, paragraphs):
    """The mean of the k largest surprisals of each paragraph, ties (rounded values) and short paragraphs
    included, as sorting each paragraph's values gives it."""
    texts = paragraphs[1600:1700] + ["Điều 5.", ""]
    history, nxt = histories(tables, texts)
    group = np.repeat(np.arange(len(texts)), [len(plain_ids(tables, t)) - 1 for t in texts])
    for values in (-tables.next_logprob(history, nxt), np.round(-tables.next_logprob(history, nxt))):
        for k in (1, 3, 5):
            plain = [sum(sorted(values[group == g], reverse=True)[:k]) / max(min((group == g).sum(), k), 1)
                     for g in range(len(texts) + 2)]
            assert detector._top_mean(group, values, len(texts) + 2, k).tolist() == plain


def test_hash_index_with_keys_pushed_past_the_end():
    """Keys whose home slots crowd the table's end wrap round to its start and are still found (and only they)."""
    top = np.iinfo(np.uint64).max
    keys = np.sort(np.r_[np.arange(top - 7, top + 1, dtype=np.uint64), np.arange(1, 4, dtype=np.uint64)])
    index = _HashIndex(keys)
    assert np.array_equal(index.find(keys), np.arange(len(keys)))
    absent = np.array([0, 4, top - 8, 2**63], np.uint64)
    assert np.array_equal(index.find(absent), np.full(len(absent), -1))
    with pytest.raises(ValueError):
        _HashIndex(keys[::-1])
