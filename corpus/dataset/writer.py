"""Parquet written with pyarrow from the one Features schema (so ClassLabel and list<struct> survive), streamed.

Rows arrive in order and leave in row groups of ROW_GROUP_ROWS (fewer when their text passes a quarter of the
shard limit), so the bytes depend on the rows alone, never on how they were batched. A shard rolls over to the next file once it passes the size limit; shards are
named `<split>-0000i-of-0000N.parquet` when the split is complete and N is known.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from corpus.dataset.features import FEATURES

ROW_GROUP_ROWS = 10_000  # keeps row groups far below the Hub viewer's ~100 MB limit
PARQUET_OPTIONS = {"compression": "zstd", "use_content_defined_chunking": True, "write_page_index": True}


def to_table(rows: list[dict]) -> pa.Table:
    origin = FEATURES["origin"]
    encoded = [{**r, "origin": origin.str2int(r["origin"])} for r in rows]
    return pa.Table.from_pylist(encoded, schema=FEATURES.arrow_schema)


class ShardWriter:
    """One split of one config, written as it streams in: <root>/<folder>/<split>-*.parquet."""

    def __init__(self, root: Path, folder: str, split: str, shard_bytes: int, schema: pa.Schema = FEATURES.arrow_schema):
        self.dir, self.folder, self.split, self.limit, self.schema = root / folder, folder, split, shard_bytes, schema
        self.dir.mkdir(parents=True, exist_ok=True)
        self.pending: list[pa.Table] = []
        self.pending_rows = 0
        self.pending_sizes = np.zeros(0, dtype=np.int64)  # text bytes of each pending row
        self.group_bytes = max(1, min(64 << 20, shard_bytes // 4))  # a group is also cut by its text bytes
        self.parts: list[Path] = []
        self.sink = self.writer = None

    def write(self, table: pa.Table) -> None:
        table = table.select(self.schema.names).cast(self.schema)
        self.pending.append(table)
        self.pending_rows += table.num_rows
        self.pending_sizes = np.concatenate([self.pending_sizes, _text_bytes(table)])
        while True:
            over = np.flatnonzero(np.cumsum(self.pending_sizes) >= self.group_bytes)
            n = min(ROW_GROUP_ROWS, int(over[0]) + 1 if len(over) else ROW_GROUP_ROWS)
            if self.pending_rows < n:
                break
            self._flush(n)

    def _flush(self, n: int) -> None:
        buffered = pa.concat_tables(self.pending) if self.pending else self.schema.empty_table()
        group, rest = buffered.slice(0, n), buffered.slice(n)
        self.pending, self.pending_rows, self.pending_sizes = [rest], rest.num_rows, self.pending_sizes[n:]
        if self.writer is None:
            path = self.dir / f"{self.split}-{len(self.parts):05d}.parquet.part"
            self.parts.append(path)
            self.sink = pa.OSFile(str(path), "wb")
            self.writer = pq.ParquetWriter(self.sink, self.schema, **PARQUET_OPTIONS)
        self.writer.write_table(group.combine_chunks(), row_group_size=ROW_GROUP_ROWS)  # pages cut by content only
        if self.sink.tell() >= self.limit:
            self._close_part()

    def _close_part(self) -> None:
        self.writer.close()
        self.sink.close()
        self.writer = self.sink = None

    def close(self) -> list[dict]:
        """Finish the split (an empty split still gets one empty shard); one {path, rows, bytes, nbytes} each."""
        if self.pending_rows or not self.parts:
            self._flush(self.pending_rows)
        if self.writer is not None:
            self._close_part()
        shards = []
        for i, part in enumerate(self.parts):
            path = self.dir / f"{self.split}-{i:05d}-of-{len(self.parts):05d}.parquet"
            part.rename(path)
            meta = pq.read_metadata(path)
            shards.append({"path": f"{self.folder}/{path.name}", "rows": meta.num_rows, "bytes": path.stat().st_size,
                           "nbytes": sum(meta.row_group(g).total_byte_size for g in range(meta.num_row_groups))})
        return shards


def _text_bytes(table: pa.Table) -> np.ndarray:
    """Bytes of text per row (all string columns): decided by content alone, unlike Arrow buffer sizes."""
    sizes = np.zeros(table.num_rows, dtype=np.int64)
    for column in table.columns:
        if pa.types.is_string(column.type):
            sizes += pc.fill_null(pc.binary_length(column), 0).to_numpy()
    return sizes


def write_split(rows: list[dict], split: str, root: Path, folder: str, shard_bytes: int) -> list[dict]:
    """A whole split from rows in memory (the small `real` config)."""
    writer = ShardWriter(root, folder, split, shard_bytes)
    writer.write(to_table(rows))
    return writer.close()


REJECTS_SCHEMA = pa.schema([("id", pa.string()), ("reason", pa.string()), ("cluster", pa.string()),
                            ("text", pa.string()), ("detail", pa.string())])


def rejects_writer(root: Path) -> ShardWriter:
    """Every dropped paragraph with its reason (for duplicates, the id of the kept copy in `cluster`; for spun
    paragraphs, the detector's evidence in `detail`), and every unreadable input (reason unreadable_input, the
    why in `text` and `detail`). Streamed in fixed row groups like the data: a crawl's millions of duplicates
    never sit in memory, and the bytes do not depend on batching. Close it with `close_rejects`."""
    return ShardWriter(root, ".", "rejects", 2**62, REJECTS_SCHEMA)


def close_rejects(writer: ShardWriter, path: Path) -> None:
    (shard,) = writer.close()
    (writer.dir / shard["path"]).rename(path)
