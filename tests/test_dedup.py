"""Near-duplicate removal on the civil code, the rejects table, and the leakage check of `corpus validate`."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from corpus.dataset.validate import near_leakage
from corpus.match.dedup import DedupSettings, jaccard, near_duplicates, shingles


def test_civil_code_formulae_are_found_and_the_first_copy_kept(law_paragraphs):
    texts = list(dict.fromkeys(law_paragraphs))
    removed = near_duplicates(texts, DedupSettings())
    assert len(removed) >= 3  # the civil code alone: 5 near twins among 2,000+ paragraphs
    for i, kept in removed.items():
        assert kept < i and kept not in removed  # the kept copy comes first and is itself kept
        assert jaccard(shingles(texts[i], 3), shingles(texts[kept], 3)) >= 0.8
    assert near_duplicates(texts, DedupSettings()) == removed  # same inputs, same answer
    assert not DedupSettings(near_threshold=0).enabled and not DedupSettings(near_threshold=1).enabled


def test_a_changed_word_is_a_near_twin_and_a_different_article_is_not():
    a = ("Cá nhân, pháp nhân phải xác lập, thực hiện, chấm dứt quyền, nghĩa vụ dân sự của mình một cách thiện chí, "
         "trung thực và không được xâm phạm đến lợi ích quốc gia, dân tộc, lợi ích công cộng của xã hội.")
    b = a.replace("thiện chí", "thiện ý")
    c = "Người lao động có quyền làm việc, tự do lựa chọn việc làm, nơi làm việc, nghề nghiệp, học nghề."
    assert near_duplicates([a, c, b], DedupSettings()) == {2: 0}


def test_validate_counts_leakage_into_train():
    base = "Quyền dân sự chỉ có thể bị hạn chế theo quy định của luật trong trường hợp cần thiết vì lý do quốc phòng."
    twin = base.replace("cần thiết", "thật cần thiết")
    other = "Đất đai thuộc sở hữu toàn dân do Nhà nước đại diện chủ sở hữu và thống nhất quản lý theo luật định."
    splits = {"train": [{"clean": base}], "validation": [{"clean": other}], "test": [{"clean": twin}]}
    assert near_leakage(splits, {"near_threshold": 0.5, "num_perm": 128, "shingle": 3}) == 1
    splits["test"] = [{"clean": other + "\n" + other}]
    assert near_leakage(splits, {"near_threshold": 0.5, "num_perm": 128, "shingle": 3}) == 0
    assert near_leakage(splits, {"near_threshold": 0, "num_perm": 128, "shingle": 3}) is None


def test_rejects_table_lists_every_dropped_paragraph(tmp_path, small_recipe):
    import json

    from corpus.pipeline.build import build
    from corpus.config.recipe import load_recipe

    folder, _ = build(load_recipe(small_recipe), tmp_path / "dist", quiet=True)
    rejects = [r for r in pq.read_table(folder / "rejects.parquet").to_pylist() if r["reason"] != "unreadable_input"]
    manifest = json.loads((folder / "build.json").read_text(encoding="utf-8"))
    dropped = manifest["counts"]["paragraphs"]["dropped"]
    assert len(rejects) == sum(dropped.values())
    assert {r["reason"] for r in rejects} == set(dropped)
    assert all(r["cluster"] for r in rejects if r["reason"] in ("duplicate", "near_duplicate"))
    assert [r for r in rejects if r["reason"] == "spun"][0]["text"].startswith("Ủy viên Trung ương Đảng")


def _in_batches(texts: list[str], settings, size: int) -> dict[int, int]:
    """near_duplicates as the build's barrier finds them: BatchIndex.judge_batch over batches of `size`."""
    from corpus.match.dedup import BatchIndex, fingerprints

    index, found = BatchIndex(settings), {}
    prints = fingerprints(texts, settings)
    for start in range(0, len(texts), size):
        batch = prints[start: start + size]
        sets = [s for _, s in batch]
        offsets = np.cumsum([0] + [len(s) for s in sets])
        twins = index.judge_batch([str(start + i) for i in range(len(batch))], np.array([k for k, _ in batch]),
                                  np.concatenate(sets), offsets)
        found |= {start + i: int(t) for i, t in enumerate(twins) if t is not None}
    return found


def test_judging_in_batches_finds_what_judging_one_by_one_finds(law_paragraphs):
    """BatchIndex (sorted arrays, judged in bulk) against NearIndex (dicts, match then add row by row)."""
    texts = list(dict.fromkeys(law_paragraphs))
    settings = DedupSettings(near_threshold=0.6)  # a lower bar: more twins, more rows judged one by one
    one_by_one = near_duplicates(texts, settings)
    assert len(one_by_one) > 10
    for size in (300, 1, len(texts)):  # batches as the build's driver sees shards; one row; all at once
        assert _in_batches(texts, settings, size) == one_by_one


def test_batches_of_wikipedia_paragraphs_and_of_templated_text_match_one_by_one(wiki_articles):
    """Real paragraphs, repeated in places (a twin inside the batch, and across batches), and templated text
    (full buckets, more candidates than are compared): the same verdicts as judging one by one."""
    from benchmarks.dedup import templated

    paragraphs = [p for a in wiki_articles for p in a["text"].split("\n") if len(p) >= 40]
    texts = paragraphs + [p.replace(" là ", " chính là ", 1) for p in paragraphs[::7]] + paragraphs[::5]
    for texts, settings in ((texts, DedupSettings(near_threshold=0.5)), (templated(1500), DedupSettings())):
        one_by_one = near_duplicates(texts, settings)
        assert len(one_by_one) > 20
        for size in (97, 500):
            assert _in_batches(texts, settings, size) == one_by_one


def test_jaccard_equals_the_plain_set_computation(wiki_articles):
    paragraphs = [p for a in wiki_articles[:10] for p in a["text"].split("\n") if p][:60]
    sets = [shingles(p, 3) for p in paragraphs] + [np.empty(0, np.uint64)]
    for a in sets:
        for b in sets:
            plain = set(a.tolist()), set(b.tolist())
            expected = len(plain[0] & plain[1]) / len(plain[0] | plain[1]) if plain[0] | plain[1] else 1.0
            assert jaccard(a, b) == expected


def test_shingle_hashes_survive_a_full_memo(law_paragraphs, monkeypatch):
    """The syllable-hash memo is cleared when full (a crawl's junk tokens): the fingerprints must not change."""
    import corpus.match.dedup as dedup

    texts = law_paragraphs[:300]
    dedup._syllable_hashes.clear()
    expected = dedup.shingle_sets(texts, 3)
    monkeypatch.setattr(dedup._syllable_hashes, "limit", 5)
    dedup._syllable_hashes.clear()
    offsets, hashes = dedup.shingle_sets(texts, 3)
    assert len(dedup._syllable_hashes) <= 5 and len(hashes) > 5_000
    assert (offsets == expected[0]).all() and (hashes == expected[1]).all()


def test_templated_text_keeps_the_index_bounded_and_finds_every_planted_twin():
    """A notice repeated 3,000 times with a few words changed: before, one band key gathered thousands of kept
    paragraphs and each new one was compared with all of them (quadratic: 4k paragraphs 32 s). Now no key holds
    more than MAX_BUCKET, and the planted near twins (one in 50) are all still found."""
    from benchmarks.dedup import templated
    from corpus.match.dedup import MAX_BUCKET, NearIndex, fingerprints

    texts = templated(3000)
    settings = DedupSettings()
    index = NearIndex(settings)
    found = {}
    for i, (keys, shingles) in enumerate(fingerprints(texts, settings)):
        twin = index.match(keys, shingles)
        if twin is None:
            index.add(str(i), keys, shingles)
        else:
            found[i] = int(twin)
    sizes = [len(v) if isinstance(v, list) else 1 for bucket in index.buckets for v in bucket.values()]
    assert max(sizes) == MAX_BUCKET  # the template's keys filled up, and stopped there
    planted = {k: k - 37 for k in range(49, 3000, 50)}
    assert all(found.get(k) is not None for k in planted), [k for k in planted if k not in found]
    assert all(texts[found[k]] == texts[planted[k]] for k in planted)


def test_band_keys_in_blocks_equal_band_keys_at_once():
    """band_keys works through large shards a block of sets at a time (memory): the keys must not depend on it."""
    from corpus.match.dedup import _ROWS, band_keys, shingle_sets

    texts = [f"Điều {k}. Người lao động số {k % 97} có quyền làm việc và học nghề {k % 13}." for k in range(_ROWS + 500)]
    offsets, hashes = shingle_sets(texts, 3)
    together = band_keys(offsets, hashes, (25, 5))
    head, tail = texts[:300], texts[300:]
    parts = [band_keys(*shingle_sets(part, 3), (25, 5)) for part in (head, tail)]
    assert together.shape == (len(texts), 25)
    assert (together == np.concatenate(parts)).all()


def _plain_shingle_sets(texts, n):
    """shingle_sets as first written: a regex match per syllable of the lower-cased text, one np.lexsort."""
    import xxhash

    from corpus.text.tokens import SYLLABLE

    words = [SYLLABLE.findall(t.lower()) for t in texts]
    lengths = np.array([len(w) for w in words], dtype=np.int64)
    flat = np.array([xxhash.xxh3_64_intdigest(w.encode()) >> 1 for ws in words for w in ws], dtype=np.uint64)
    ends = np.cumsum(lengths)
    owner = np.repeat(np.arange(len(texts)), lengths)
    padded = np.concatenate([flat, np.zeros(n, dtype=np.uint64)])
    mix = np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        grams = np.zeros(len(flat), dtype=np.uint64)
        for k in range(n):
            inside = np.arange(len(flat)) + k < ends[owner]
            grams = (grams ^ np.where(inside, padded[k: k + len(flat)], 0)) * mix
    start = np.arange(len(flat)) - (ends - lengths)[owner]
    keep = (start + n <= lengths[owner]) | ((start == 0) & (lengths[owner] <= n))
    owner, grams = owner[keep], grams[keep]
    order = np.lexsort((grams, owner))
    owner, grams = owner[order], grams[order]
    distinct = np.ones(len(grams), dtype=bool)
    distinct[1:] = (grams[1:] != grams[:-1]) | (owner[1:] != owner[:-1])
    owner, grams = owner[distinct], grams[distinct]
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=len(texts)), out=offsets[1:])
    return offsets, grams


def _plain_band_keys(offsets, hashes, layout, seed=1):
    """band_keys as first written: the whole MinHash matrix of a batch at once, then a minimum per set."""
    from corpus.match.dedup import _permutations

    bands, rows = layout
    a, b = _permutations(bands * rows, seed)
    mix = np.uint64(0x9E3779B97F4A7C15)
    folded = (hashes ^ (hashes >> np.uint64(32))).astype(np.uint32)
    signatures = np.full((len(offsets) - 1, bands * rows), 0xFFFFFFFF, dtype=np.uint32)
    with np.errstate(over="ignore"):
        for i in range(len(offsets) - 1):
            if offsets[i + 1] > offsets[i]:
                signatures[i] = (folded[offsets[i]: offsets[i + 1], None] * a[None, :] + b[None, :]).min(axis=0)
        by_band = signatures.reshape(-1, bands, rows).astype(np.uint64)
        keys = np.zeros((len(offsets) - 1, bands), dtype=np.uint64)
        for k in range(rows):
            keys = (keys ^ by_band[:, :, k]) * mix
    return keys


def _wiki_paragraphs(wiki_articles):
    from corpus.text.normalize import normalize
    from corpus.text.segment import segment

    out = [p for a in wiki_articles for _, p in segment(normalize(a["text"]))]
    return out + ["", "   ", "Σ ΟΔΟΣ. ΣΟΦΟΣ", "İstanbul IŞIK", "một", "ﬁ ﬂ ǅ", "a\u0301b \u00a0 c\u2003d", "２０１５ năm",
                 "Điều\t1.\nLuật\x0bsố\x0c2\r3\x1c4\x1d5\x1e6\x1f7\x858\u16809\u2000hà\u200anội\u2028tỉnh\u2029Σ\u202fΣ"
                 "\u205fa\u3000b\u200bc\u180ed"]


def test_shingle_sets_equal_the_plain_computation_on_wikipedia(wiki_articles):
    """shingle_sets tokenises by space-separated token (memoised) and sorts padded rows: the same
    offsets and hashes as a regex match per syllable and np.lexsort, for 2- and 3-shingles, in batches of every
    size the build and mining use; and after the token memo is cleared, the same again."""
    import corpus.match.dedup as dedup

    texts = _wiki_paragraphs(wiki_articles)
    assert len(texts) > 2_000
    for n in (2, 3):
        for size in (1, 7, 300, len(texts)):
            for start in range(0, min(len(texts), 40 * size), size):
                batch = texts[start: start + size]
                offsets, hashes = dedup.shingle_sets(batch, n)
                expected = _plain_shingle_sets(batch, n)
                assert (offsets == expected[0]).all() and (hashes == expected[1]).all(), (n, size, start)
    dedup._token_hashes.clear()
    assert (dedup.shingle_sets(texts, 3)[1] == _plain_shingle_sets(texts, 3)[1]).all()
    column = pa.chunked_array([texts[:500], texts[500:]]).slice(3)  # as _fingerprint passes them: Arrow, chunked
    for got, expected in zip(dedup.shingle_sets(column, 3), _plain_shingle_sets(texts[3:], 3)):
        assert (got == expected).all()


def test_the_whitespace_class_is_what_str_split_splits_at():
    """split_batch turns these characters into " " before Arrow splits at " ": exactly str.isspace's."""
    import re

    from corpus.text.tokens import WHITESPACE as _WHITESPACE

    every = "".join(map(chr, range(0x110000)))
    assert set(re.findall(_WHITESPACE, every)) | {" "} == {c for c in every if c.isspace()}


def test_sorting_within_texts_equals_lexsort_on_wikipedia_shingles(wiki_articles):
    """_sort_within sorts texts of about one length as the rows of a padded matrix: the same as np.lexsort by
    (text, gram), on the shuffled 3-shingles of real paragraphs of every length (one to thousands of shingles),
    with grams equal to the padding (the largest hash) and repeated grams planted."""
    from corpus.match.dedup import _sort_within, shingle_sets

    texts = _wiki_paragraphs(wiki_articles)[:2_000]
    texts.append(" ".join(texts[:300]))  # a text of thousands of shingles
    offsets, hashes = shingle_sets(texts, 3)
    owner = np.repeat(np.arange(len(texts)), np.diff(offsets))
    grams = hashes.copy()
    grams[::97] = np.iinfo(np.uint64).max
    grams[5::89] = grams[4::89][: len(grams[5::89])]
    rng = np.random.default_rng(0)
    for start, end in zip(offsets[:-1], offsets[1:]):
        rng.shuffle(grams[start:end])
    assert {int(n).bit_length() for n in np.diff(offsets)} >= set(range(0, 9)) and offsets[-1] - offsets[-2] > 2_000
    got = _sort_within(owner, grams)
    order = np.lexsort((grams, owner))
    assert (got[0] == owner[order]).all() and (got[1] == grams[order]).all()
    assert all(len(part) == 0 for part in _sort_within(owner[:0], grams[:0]))


def test_band_keys_equal_the_plain_computation_on_wikipedia(wiki_articles):
    """band_keys works in cache-sized blocks, in place: the keys of the plain matrix-at-once computation, for the
    build's layout and mining's (seed 3), with a text longer than a block among them."""
    from corpus.match.dedup import _CHUNK, band_keys, shingle_sets
    from corpus.match.mine import MineSettings

    texts = _wiki_paragraphs(wiki_articles)[:3_000]
    texts.append(" ".join(texts[:400]))  # more shingles than a block holds
    for n, layout, seed in ((3, (25, 5), 1), (2, MineSettings().bands, 3)):
        offsets, hashes = shingle_sets(texts, n)
        assert np.diff(offsets).max() > _CHUNK
        assert (band_keys(offsets, hashes, layout, seed) == _plain_band_keys(offsets, hashes, layout, seed)).all()


def test_fingerprint_digests_are_blake2b_of_the_running_paragraphs(law_paragraphs):
    """The fingerprint step hashes the UTF-8 bytes Arrow holds: the same digest as blake2b of str.encode(), and
    none for a dropped paragraph; shingles and band keys only for the running ones."""
    import hashlib
    from types import SimpleNamespace

    from corpus.pipeline.steps import _fingerprint

    texts = law_paragraphs[:400]
    reasons = ["" if i % 3 else "too_short" for i in range(len(texts))]
    table = pa.table({"text": texts, "reason": reasons})
    out = _fingerprint(table, SimpleNamespace(recipe=SimpleNamespace(dedup=DedupSettings())))
    expected = [hashlib.blake2b(t.encode(), digest_size=16).digest() if not r else None
                for t, r in zip(texts, reasons)]
    assert out.column("digest").to_pylist() == expected
    shingle_rows = out.column("shingles").to_pylist()
    assert all((s == shingles(t, 3).tolist()) if not r else s == [] for t, r, s in zip(texts, reasons, shingle_rows))
    dropped = _fingerprint(table.filter(pa.array([bool(r) for r in reasons])), SimpleNamespace(
        recipe=SimpleNamespace(dedup=DedupSettings())))
    assert set(dropped.column("digest").to_pylist()) == {None}


def test_stable_order_and_merged_runs_equal_numpys_stable_sort(law_paragraphs):
    """The radix order of band keys and the merge of two index runs against np.argsort(kind="stable"), on the
    band keys of law paragraphs (some repeated: equal keys keep their rows' order)."""
    from corpus.match.dedup import _merged_runs, _stable_order, band_keys, shingle_sets

    texts = law_paragraphs[:1500] + law_paragraphs[:200]
    keys = band_keys(*shingle_sets(texts, 3), (25, 5))
    for column in keys.T[:5]:
        assert (_stable_order(column) == np.argsort(column, kind="stable")).all()
    half = len(texts) // 2
    runs = [(np.sort(keys[rows, 0], kind="stable"), rows[np.argsort(keys[rows, 0], kind="stable")])
            for rows in (np.arange(half), np.arange(half, len(texts)))]
    merged = _merged_runs(*runs)
    order = np.argsort(keys[:, 0], kind="stable")
    assert (merged[0] == keys[order, 0]).all() and (merged[1] == order).all()
