"""Parquet shards written with pyarrow from the one Features schema (so ClassLabel and list<struct> survive)."""

from __future__ import annotations

import math
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from corpus.dataset.features import FEATURES

ROW_GROUP_ROWS = 10_000  # keeps row groups far below the Hub viewer's ~100 MB limit


def to_table(rows: list[dict]) -> pa.Table:
    origin = FEATURES["origin"]
    encoded = [{**r, "origin": origin.str2int(r["origin"])} for r in rows]
    return pa.Table.from_pylist(encoded, schema=FEATURES.arrow_schema)


def write_split(rows: list[dict], split: str, root: Path, folder: str, rows_per_shard: int) -> list[dict]:
    """Write <folder>/<split>-0000i-of-0000N.parquet under root; return one {path, rows, bytes, nbytes} per shard."""
    data_dir = root / folder
    data_dir.mkdir(parents=True, exist_ok=True)
    n = max(1, math.ceil(len(rows) / rows_per_shard))
    shards = []
    for i in range(n):
        table = to_table(rows[i * rows_per_shard : (i + 1) * rows_per_shard])
        path = data_dir / f"{split}-{i:05d}-of-{n:05d}.parquet"
        pq.write_table(table, path, compression="zstd", row_group_size=ROW_GROUP_ROWS,
                       use_content_defined_chunking=True, write_page_index=True)
        shards.append({"path": f"{folder}/{path.name}", "rows": table.num_rows, "bytes": path.stat().st_size,
                       "nbytes": table.nbytes})
    return shards


REJECTS_SCHEMA = pa.schema([("id", pa.string()), ("reason", pa.string()), ("cluster", pa.string()),
                            ("text", pa.string())])


def write_rejects(rejects: list[dict], path: Path) -> None:
    """Every dropped paragraph with its reason (and, for duplicates, the id of the copy that was kept), and
    every unreadable input (reason unreadable_input, the why in `text`)."""
    pq.write_table(pa.Table.from_pylist(rejects, schema=REJECTS_SCHEMA), path, compression="zstd")
