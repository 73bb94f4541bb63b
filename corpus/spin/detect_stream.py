"""Paragraphs in, labels out, batch by batch: what `corpus detect` runs over a crawl.

Readers yield (id, text) from text files (segmented into paragraphs), JSONL (one record per line, plain or gzip)
and Parquet (one row per record, read a row group at a time), so memory follows the batch, not the file. A record
that cannot be used (bad JSON, no such field, not a string) is skipped and reported with file:line.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from corpus.text.normalize import normalize
from corpus.text.segment import segment


def records(paths: list[Path], field: str, id_field: str | None, tone_policy: str,
            skipped: list[str]) -> Iterator[tuple[str, str]]:
    """(id, normalised text) of every paragraph or record, in input order; stdin (text) when `paths` is empty."""
    from corpus.cli_errors import fail

    if not paths:
        yield from _paragraphs("stdin", sys.stdin.read(), tone_policy)
        return
    for path in paths:
        name = str(path)
        try:
            if name.endswith((".jsonl", ".jsonl.gz")):
                yield from _jsonl(path, field, id_field, tone_policy, skipped)
            elif name.endswith(".parquet"):
                yield from _parquet(path, field, id_field, tone_policy, skipped)
            else:
                yield from _paragraphs(name, path.read_text(encoding="utf-8"), tone_policy)
        except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as e:
            fail(f"{name}: cannot read ({e})", 2)
        except Exception as e:  # pyarrow's errors for a file that is not Parquet
            if type(e).__module__.startswith("pyarrow"):
                fail(f"{name}: cannot read as Parquet ({e})", 2)
            raise


def _paragraphs(name: str, raw: str, tone_policy: str) -> Iterator[tuple[str, str]]:
    for k, (_, paragraph) in enumerate(segment(normalize(raw, tone_policy))):
        yield f"{name}:{k}", paragraph


def _jsonl(path: Path, field: str, id_field: str | None, tone_policy: str,
           skipped: list[str]) -> Iterator[tuple[str, str]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                record = json.loads(line)
            except (ValueError, RecursionError) as e:
                skipped.append(f"{where}: not JSON ({str(e)[:80]})")
                continue
            value = record.get(field) if isinstance(record, dict) else None
            if not isinstance(value, str):
                skipped.append(f"{where}: no string field {field!r}")
                continue
            ident = record.get(id_field) if id_field else where
            yield (where if ident is None else str(ident)), normalize(value, tone_policy)


def _parquet(path: Path, field: str, id_field: str | None, tone_policy: str,
             skipped: list[str]) -> Iterator[tuple[str, str]]:
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path)
    names = file.schema_arrow.names
    if field not in names or (id_field and id_field not in names):
        missing = field if field not in names else id_field
        from corpus.cli_errors import fail

        fail(f"{path}: no column {missing!r} (columns: {', '.join(names[:20])})", 2)
    row = 0
    for batch in file.iter_batches(batch_size=4096, columns=[field] + ([id_field] if id_field else [])):
        texts = batch.column(field).to_pylist()
        ids = batch.column(id_field).to_pylist() if id_field else [None] * len(texts)
        for text, ident in zip(texts, ids):
            where = f"{path}:{row}"
            row += 1
            if not isinstance(text, str):
                skipped.append(f"{where}: {field!r} is not a string")
                continue
            yield (where if ident is None else str(ident)), normalize(text, tone_policy)


def batches(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(frozen=True)
class ScoreBatch:
    """One batch of (id, text) → (id, text, label, score, evidence) rows: row-local, so it runs on any engine. The
    build folder's detector is loaded once per worker (None: the surface detector)."""

    folder: str | None

    def __call__(self, batch: list[tuple[str, str]]) -> list[tuple]:
        texts = [text for _, text in batch]
        if self.folder is None:
            from corpus.spin.detect import detect

            labelled = [detect(t) for t in texts]
        else:
            from corpus.spin.detector import load_detector

            labelled = load_detector(self.folder).label(texts)
        return [(ident, text, d.label, d.score, dict(d.evidence)) for (ident, text), d in zip(batch, labelled)]
