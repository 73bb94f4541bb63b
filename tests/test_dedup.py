"""Near-duplicate removal on the civil code, the rejects table, and the leakage check of `corpus validate`."""

import numpy as np
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


def test_judging_in_batches_finds_what_judging_one_by_one_finds(law_paragraphs):
    import numpy as np

    from corpus.match.dedup import NearIndex, fingerprints

    texts = list(dict.fromkeys(law_paragraphs))
    settings = DedupSettings(near_threshold=0.6)  # a lower bar: more twins, more rows judged one by one
    one_by_one = near_duplicates(texts, settings)
    index, found = NearIndex(settings), {}
    prints = fingerprints(texts, settings)
    for start in range(0, len(texts), 300):  # batches of 300, as the build's driver sees shards
        batch = prints[start: start + 300]
        twins = index.judge_batch([str(start + i) for i in range(len(batch))], np.array([k for k, _ in batch]),
                                  [s for _, s in batch])
        found |= {start + i: int(t) for i, t in enumerate(twins) if t is not None}
    assert len(one_by_one) > 10 and found == one_by_one


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
