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

    def __init__(self, root: Path, folder: str, split: str, shard_bytes: int, schema: pa.Schema = FEATURES.arrow_schema,
                 measure: bool = True):
        self.dir, self.folder, self.split, self.limit, self.schema = root / folder, folder, split, shard_bytes, schema
        self.measure = measure  # compute each shard's `nbytes` as datasets does (a second read of the shard)
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
            shards.append({"path": f"{self.folder}/{path.name}", "rows": pq.read_metadata(path).num_rows,
                           "bytes": path.stat().st_size, "nbytes": arrow_nbytes(path, self.schema) if self.measure else 0})
        return shards


def arrow_nbytes(path: Path, schema: pa.Schema) -> int:
    """A shard's size as `datasets` computes a split's `num_bytes` when it loads the folder (the card must say the
    same): the Parquet builder reads record batches of the first row group's length and the writer adds up each
    cast, combined table's `nbytes` (datasets/packaged_modules/parquet, arrow_writer._write_table). The Parquet
    metadata's uncompressed sizes are another figure, about 40% smaller here."""
    import pyarrow.dataset as pds
    from datasets.table import table_cast

    total = 0
    with open(path, "rb") as f:
        fragment = pds.ParquetFileFormat().make_fragment(f)
        if not fragment.row_groups or not fragment.row_groups[0].num_rows:  # an empty split (refused later)
            return 0
        for batch in fragment.to_batches(batch_size=fragment.row_groups[0].num_rows, batch_readahead=0,
                                         fragment_readahead=0):
            total += table_cast(pa.Table.from_batches([batch]), schema).combine_chunks().nbytes
    return total


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
    return ShardWriter(root, ".", "rejects", 2**62, REJECTS_SCHEMA, measure=False)


def close_rejects(writer: ShardWriter, path: Path) -> None:
    (shard,) = writer.close()
    (writer.dir / shard["path"]).rename(path)
