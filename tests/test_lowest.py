"""The driver's rank samples (build.Lowest: the LM's texts, the detector's, the card's test sample) against the
plain computation: every row in a dict by key at its lowest rank (the first seen on a tie), sorted, cut at n."""

import json
from pathlib import Path

import pyarrow as pa
import pytest

from corpus.pipeline.build import Lowest
from corpus.rand import stable_hash

WIKI = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "viwiki-politics.jsonl"


def paragraphs(limit: int) -> list[str]:
    out = []
    with WIKI.open(encoding="utf-8") as f:
        for line in f:
            out += [p for p in json.loads(line)["text"].split("\n") if p.strip()]
            if len(out) >= limit:
                return out[:limit]
    return out


def plain(rows: list[dict], n: int, key: str) -> list[dict]:
    best: dict[str, dict] = {}
    for row in rows:
        if row[key] not in best or row["rank"] < best[row[key]]["rank"]:
            best[row[key]] = row
    return sorted(best.values(), key=lambda r: (r["rank"], r[key]))[:n]


@pytest.mark.parametrize("n,batch", [(1, 7), (50, 13), (300, 500), (5000, 400)])
def test_lowest_keeps_the_rows_a_plain_sort_keeps(n, batch):
    texts = paragraphs(4000)
    # each text two or three times (a paragraph's variants share their clean side), some ranks tied on purpose
    rows = [{"clean": t, "rank": stable_hash("rank", str(i % 997), str(copy)) % 5000, "order": k}
            for k, (i, t, copy) in enumerate((i, t, c) for c in range(3) for i, t in enumerate(texts) if c < 2 or i % 3)]
    lowest = Lowest(n, "clean")
    schema = pa.schema([("clean", pa.string()), ("rank", pa.uint64()), ("order", pa.int64())])
    for i in range(0, len(rows), batch):
        lowest.add(pa.Table.from_pylist(rows[i : i + batch], schema))
    expected = plain(rows, n, "clean")
    assert lowest.values() == expected
    assert lowest.items() == [r["clean"] for r in expected]
    assert len(expected) == min(n, len(set(texts)))


def test_an_empty_sample_gives_nothing():
    lowest = Lowest(10, "id")
    lowest.add(pa.table({"id": pa.array([], pa.string()), "rank": pa.array([], pa.uint64())}))
    assert lowest.values() == [] and lowest.items() == []
