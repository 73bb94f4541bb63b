"""Paragraphs in, labels out, batch by batch: what `corpus detect` runs over a crawl.

Readers yield (id, text) from text files (segmented into paragraphs), JSONL (one record per line, plain or gzip)
and Parquet (one row per record, read a row group at a time), so memory follows the batch, not the file.

Hostile or careless input ends one of two ways, never in a traceback: a record or line that cannot be used is
skipped and reported as `file:line: reason`; a file that cannot be used at all (missing, binary, not the format its
name says, the wrong --field on every record) stops the run with `file: reason` and exit code 2.
"""

from __future__ import annotations

import io
import json
import re
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from corpus.readers import LINE_LIMIT, Skip
from corpus.readers.text import decode
from corpus.text.normalize import normalize
from corpus.text.segment import segment

# A JSON Lines file with no usable record among its first this many is the wrong file or the wrong --field: the
# run stops there instead of scanning (and listing a skip for) every line of a crawl.
HOPELESS = 1000
_SURROGATE = re.compile("[\ud800-\udfff]")  # a JSON "\ud800" or a file name's stray byte: no UTF-8 can hold one
_JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean"}
_TOO_LONG = f"over {LINE_LIMIT:,} characters: not a paragraph (minified or binary data?)"


def records(paths: list[Path], field: str, id_field: str | None, tone_policy: str,
            skipped: list[str]) -> Iterator[tuple[str, str]]:
    """(id, normalised text) of every paragraph or record, in input order; stdin (text) when `paths` is empty."""
    if not paths:
        if sys.stdin is None:  # started with stdin closed (`<&-`)
            _fail("stdin: closed; give files, or pipe text in")
        yield from _text("stdin", sys.stdin.buffer.read(), tone_policy, skipped)
        return
    for path in paths:
        name = _printable(str(path))
        suffix = name.lower()  # CRAWL.JSONL is JSON Lines too, not text to cut into paragraphs
        try:
            if suffix.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")):
                yield from _jsonl(path, name, field, id_field, tone_policy, skipped)
            elif suffix.endswith(".parquet"):
                yield from _parquet(path, name, field, id_field, tone_policy, skipped)
            else:
                yield from _text(name, path.read_bytes(), tone_policy, skipped)
        except (OSError, EOFError, zlib.error) as e:  # missing, a directory, a symlink loop, a broken gzip header
            _fail(f"{name}: cannot read ({getattr(e, 'strerror', None) or e})")


def _text(name: str, data: bytes, tone_policy: str, skipped: list[str]) -> Iterator[tuple[str, str]]:
    """A text file or stdin, decoded as a build decodes it (UTF-8, UTF-16, Windows-1258, gzip; binary refused),
    lines over LINE_LIMIT or with undecodable bytes skipped by number before normalising (a 50 MB line costs a
    scan, not a paragraph), then cut into paragraphs: ids are file:paragraph."""
    text = decode(data, name, "detect")
    if isinstance(text, Skip):
        if text.reason != "empty file":
            _fail(f"{text.where}: cannot read: {text.reason}")
        text = ""
    if len(text) > LINE_LIMIT or "\ufffd" in text:
        lines = text.splitlines(keepends=True)
        for n, line in enumerate(lines, start=1):
            if len(line) > LINE_LIMIT or "\ufffd" in line:
                why = _TOO_LONG if len(line) > LINE_LIMIT else "bytes that are not text (U+FFFD)"
                skipped.append(f"{name}:{n}: line {why}")
                lines[n - 1] = "\n"
        text = "".join(lines)
    paragraphs = segment(normalize(text, tone_policy))
    if not paragraphs:
        skipped.append(f"{name}: no text (empty, or only whitespace and invisible characters)")
    for k, (_, paragraph) in enumerate(paragraphs):
        yield f"{name}:{k}", paragraph


def _jsonl(path: Path, name: str, field: str, id_field: str | None, tone_policy: str,
           skipped: list[str]) -> Iterator[tuple[str, str]]:
    """One record per line, read at most LINE_LIMIT characters at a time, so a 50 MB line costs a scan, not
    memory. UTF-8 (a BOM is dropped) or UTF-16 with a BOM; gzip is known by its magic bytes, not by the name."""
    import gzip

    n = used = bad = 0
    first = ""
    with open(path, "rb") as raw:
        data = gzip.GzipFile(fileobj=raw) if raw.peek(2)[:2] == b"\x1f\x8b" else raw
        head = data.peek(4096)[:4096]
        utf16 = head[:2] in (b"\xff\xfe", b"\xfe\xff")
        if b"\x00" in head and not utf16:
            _fail(f"{name}: binary data or UTF-16 without a BOM (NUL bytes), not UTF-8 JSON Lines")
        lines = io.TextIOWrapper(data, encoding="utf-16" if utf16 else "utf-8-sig", errors="replace", newline="")
        try:
            while line := lines.readline(LINE_LIMIT + 1):
                n += 1
                if not line.strip():
                    continue
                if len(line) > LINE_LIMIT and line[-1] not in "\r\n":
                    while (rest := lines.readline(LINE_LIMIT)) and rest[-1] not in "\r\n":
                        pass
                    got: tuple | str = f"line {_TOO_LONG}"
                else:
                    got = _parse(line, field, id_field)
                where = f"{name}:{n}"
                ident = _ident(got[0], where) if isinstance(got, tuple) else None
                if ident is not None:
                    used += 1
                    yield ident, normalize(got[1], tone_policy)
                    continue
                message = f"{where}: {got if isinstance(got, str) else f'id {id_field!r} nested too deep'}"
                skipped.append(message)
                bad += 1
                first = first or message
                if used == 0 and bad >= HOPELESS:
                    break
        except (OSError, EOFError, zlib.error) as e:  # a truncated or damaged gzip stream
            _fail(f"{name}:{n + 1}: cannot read on from this line ({e}): a truncated or damaged file?")
    if used == 0 and bad:
        hint = f"; is --field {field!r} right?" if "no string field" in first else ""
        _fail(f"{name}: none of its {'first ' if bad >= HOPELESS else ''}{bad:,} records could be used (the first: "
              f"{first}){hint}")
    if used == 0:
        skipped.append(f"{name}: no records (an empty file, or blank lines only)")


def _parse(line: str, field: str, id_field: str | None) -> tuple[object, str] | str:
    """(id value, text) of one JSON Lines record, or why it cannot be used."""
    if "\ufffd" in line:
        return "bytes that are not UTF-8 (or U+FFFD, the mark of an earlier failed decoding)"
    try:
        record = json.loads(line)
    except RecursionError:
        return "not JSON (nested too deep to read)"
    except ValueError as e:  # bad JSON, or an integer past Python's 4,300-digit limit
        return f"not JSON ({str(e)[:80]})"
    if not isinstance(record, dict):
        return f"a JSON {_JSON_TYPES.get(type(record), 'null')}, not an object"
    value = record.get(field)
    if not isinstance(value, str):
        kind = "missing" if field not in record else f"a JSON {_JSON_TYPES.get(type(value), 'null')}"
        return f"no string field {field!r} ({kind})"
    if _SURROGATE.search(value):
        return f"field {field!r} holds a lone surrogate escape (such as \\ud800), which is no character"
    return (record.get(id_field) if id_field else None), value


def _ident(value: object, where: str) -> str | None:
    """How an id is printed: a string as it is, anything else as JSON (a dict, a list, a number, a timestamp), the
    record's position when there is none; None when it cannot be printed at all."""
    if value is None:
        return where
    if not isinstance(value, dict | list | int | float):
        return _printable(str(value))
    try:
        return _printable(json.dumps(value, ensure_ascii=False, default=str))
    except RecursionError:
        return None


def _printable(text: str) -> str:
    """Lone surrogates (a JSON escape, a file name's non-UTF-8 byte) spelled out as \\udcff: stdout is UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8") if _SURROGATE.search(text) else text


def _parquet(path: Path, name: str, field: str, id_field: str | None, tone_policy: str,
             skipped: list[str]) -> Iterator[tuple[str, str]]:
    """One row per record, 4,096 rows at a time; ids are file:row (from 0) unless an id column is named. The text
    column must hold strings; it is read as bytes, so one row of bad UTF-8 is one skipped row, not a failed run."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    row = 0
    columns = list(dict.fromkeys(filter(None, (field, id_field))))
    try:
        file = pq.ParquetFile(path)
        schema = file.schema_arrow
        for column in columns:
            if column not in schema.names:
                _fail(f"{name}: no column {column!r} (columns: {', '.join(schema.names[:20])})")
        kind = schema.field(field).type
        if not _is_text(kind):
            _fail(f"{name}: column {field!r} holds {kind}, not text")
        if file.metadata.num_rows == 0:
            skipped.append(f"{name}: no rows")
        for batch in file.iter_batches(batch_size=4096, columns=columns):
            texts = batch.column(field).cast(pa.large_binary()).to_pylist()
            ids = batch.column(id_field).to_pylist() if id_field else [None] * len(texts)
            for raw, ident in zip(texts, ids):
                where = f"{name}:{row}"
                row += 1
                text, why = _cell(raw, field)
                shown = _ident(ident, where) if text is not None else None
                if shown is None:
                    skipped.append(f"{where}: {why or f'id column {id_field!r} nested too deep to print'}")
                    continue
                yield shown, normalize(text, tone_policy)
    except (pa.ArrowException, OSError, ValueError) as e:  # not Parquet, a damaged page, an id pyarrow cannot convert
        _fail(f"{name}: cannot read as Parquet (at row {row}: {e})")


def _is_text(kind) -> bool:
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)


def _cell(raw: bytes | None, field: str) -> tuple[str | None, str]:
    """The text of one Parquet cell, or None and why there is none."""
    if raw is None:
        return None, f"{field!r} is null"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return None, f"{field!r} holds bytes that are not UTF-8 (byte {e.start})"
    return (None, f"{field!r} is {_TOO_LONG}") if len(text) > LINE_LIMIT else (text, "")


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
            from corpus.despin.detect import detect

            labelled = [detect(t) for t in texts]
        else:
            from corpus.despin.detector import load_detector

            labelled = load_detector(self.folder).label(texts)
        return [(ident, text, d.label, d.score, dict(d.evidence)) for (ident, text), d in zip(batch, labelled)]


class UnreadableInput(ValueError):
    """An input `corpus detect` / `restore` cannot go on with (the message names it): the CLI exits 2."""


def _fail(message: str) -> NoReturn:
    raise UnreadableInput(message)
