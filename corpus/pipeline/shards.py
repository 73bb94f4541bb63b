"""Input shards: the units of reading work. Small files are grouped, big JSON Lines files are cut at line ends,
so work spreads over workers without a document ever spanning two shards. The plan depends on the inputs
only, never on the number of workers."""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator
from dataclasses import dataclass

from corpus.readers import Document, Skip, read_input

# Input bytes per shard: enough to amortise a task, small enough to spread over workers. The output never
# depends on it (tests build with tiny shards and compare bytes), so it may be tuned from the environment.
SHARD_BYTES = 2 << 20


def work_bytes(variable: str, default: int) -> int:
    """The size of a unit of work: `default`, or the environment's `variable` (read when a build plans its work,
    not at import). ValueError, naming the variable, for anything but a whole number of bytes from 1,000 up."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return default
    if not value.isdigit() or not 1000 <= int(value) <= 1 << 40:
        raise ValueError(f"{variable}={value[:40]!r}: expected a whole number of bytes, at least 1000")
    return int(value)


@dataclass(frozen=True)
class Piece:
    """A whole input file, or part of one: JSON Lines bytes [start, end) starting at line `first_line`, or Parquet
    row groups [start, end) starting at row `first_line`."""

    input: int
    start: int = 0
    end: int = -1
    first_line: int = 1


@dataclass(frozen=True)
class Shard:
    source: int
    pieces: tuple[Piece, ...]


def _line_cuts(path, size: int, unit: int) -> list[tuple[int, int, int]]:
    """(start, end, first line) ranges of about `unit` bytes, each ending just after a newline."""
    cuts, start, line = [], 0, 1
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        while start < size:
            end = data.find(b"\n", min(start + unit, size - 1))
            end = size if end < 0 else end + 1
            cuts.append((start, end, line))
            line += data[start:end].count(b"\n")
            start = end
    return cuts


def _cuts(source, inp, unit: int) -> list[tuple[int, int, int]] | None:
    """How to cut an input bigger than a shard: JSON Lines at line ends, Parquet at row groups; None: whole."""
    if inp.bytes <= unit or inp.problem:
        return None
    if source.format == "parquet":
        from corpus.readers.parquet import row_group_cuts

        try:
            return row_group_cuts(inp.path, unit)
        except (OSError, ValueError):  # not Parquet after all (ArrowInvalid is a ValueError): the reader says so
            return None
    if source.format != "jsonl":
        return None
    with open(inp.path, "rb") as f:
        head = f.read(2)
    if head in (b"\x1f\x8b", b"\xff\xfe", b"\xfe\xff"):  # gzip or UTF-16: decoded whole
        return None
    return _line_cuts(inp.path, inp.bytes, unit)


def plan(recipe, unit: int | None = None) -> list[Shard]:
    """The shards in reading order: clean sources first, then raw ones (each in recipe order), so that of two
    copies of a paragraph the clean source's is kept, and a raw page that copies it is the duplicate. `unit`:
    bytes per shard (default: SHARD_BYTES, or CORPUS_SHARD_BYTES)."""
    unit = unit or work_bytes("CORPUS_SHARD_BYTES", SHARD_BYTES)
    shards: list[Shard] = []
    for s, source in sorted(enumerate(recipe.sources), key=lambda item: item[1].role != "clean"):
        group: list[Piece] = []
        size = 0
        for i, inp in enumerate(source.inputs):
            cuts = _cuts(source, inp, unit)
            if cuts:
                shards += [Shard(s, (Piece(i, a, b, first),)) for a, b, first in cuts]
                continue
            group.append(Piece(i))
            size += inp.bytes
            if size >= unit:
                shards.append(Shard(s, tuple(group)))
                group, size = [], 0
        if group:
            shards.append(Shard(s, tuple(group)))
    return shards


def read_shard(recipe, shard: Shard) -> Iterator[Document | Skip]:
    source = recipe.sources[shard.source]
    for piece in shard.pieces:
        inp = source.inputs[piece.input]
        yield from read_input(source, inp, piece.start, piece.end, piece.first_line)
