"""Readers: one per input format, each turning input files into Documents (or Skips, never silence)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Document:
    source: str
    doc_id: str
    text: str
    origin: str  # the input it came from, as the manifest names it (file, and line for JSONL)


@dataclass(frozen=True)
class Skip:
    """An input (or part of one) that could not be read: counted in the manifest with its reason."""

    source: str
    where: str
    reason: str


def read_input(source, inp, start: int = 0, end: int = -1, first_line: int = 1) -> Iterator[Document | Skip]:
    """One input file, or (JSON Lines only) its byte range [start, end) beginning at line `first_line`."""
    from corpus.sources import jsonl, lawquery, text

    if end >= 0:
        yield from jsonl.read(source, inp, start, end, first_line)
        return
    yield from {"text": text.read, "jsonl": jsonl.read, "lawquery": lawquery.read}[source.format](source, inp)


def read_source(source) -> Iterator[Document | Skip]:
    for inp in source.inputs:
        yield from read_input(source, inp)
