"""Parquet: one row is one document; the text and id columns are set in the recipe (`text_field`, `id_field`).

A big file is read a range of row groups at a time (a shard), so it never has to fit in memory.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from corpus.readers import Document, Skip


def row_group_cuts(path, target_bytes: int) -> list[tuple[int, int, int]]:
    """(first group, end group, first row) ranges of about target_bytes of uncompressed data each."""
    meta = pq.read_metadata(path)
    cuts, first, row, size, start_row = [], 0, 0, 0, 0
    for g in range(meta.num_row_groups):
        size += meta.row_group(g).total_byte_size
        row += meta.row_group(g).num_rows
        if size >= target_bytes or g == meta.num_row_groups - 1:
            cuts.append((first, g + 1, start_row))
            first, size, start_row = g + 1, 0, row
    return cuts


def read(source, inp, start: int = 0, end: int = -1, first_row: int = 0):
    """The whole file, or its row groups [start, end) whose first row is `first_row`."""
    try:
        pf = pq.ParquetFile(inp.path)
    except (pa.ArrowException, OSError) as e:
        yield Skip(source.name, inp.name, f"not a readable Parquet file ({e})")
        return
    names = pf.schema_arrow.names
    if source.text_field not in names:
        yield Skip(source.name, inp.name, f"no column {source.text_field!r} (columns: {', '.join(names)})")
        return
    columns = [source.text_field] + ([source.id_field] if source.id_field in names else [])
    row = first_row
    for g in range(start, pf.num_row_groups if end < 0 else end):
        try:
            records = pf.read_row_group(g, columns=columns).to_pylist()
        except (pa.ArrowException, OSError, ValueError) as e:  # a damaged page, or strings that are not UTF-8
            rows = pf.metadata.row_group(g).num_rows
            yield Skip(source.name, f"{inp.name}:row group {g} (rows {row}-{row + rows - 1})",
                       f"damaged row group, not read ({type(e).__name__}: {(str(e).splitlines() or [''])[0][:200]})")
            row += rows
            continue
        for record in records:
            where = f"{inp.name}:row {row}"
            row += 1
            body = record[source.text_field]
            if not isinstance(body, str):
                yield Skip(source.name, where, f"column {source.text_field!r} is not text here ({type(body).__name__})")
                continue
            doc_id = record.get(source.id_field)
            yield Document(source.name, str(doc_id) if isinstance(doc_id, str | int) else f"row-{row - 1}", body,
                           where)
