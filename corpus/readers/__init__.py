"""Readers: one per input format, each turning input files into Documents (or Skips, never silence)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

# No paragraph is a million characters long (recipes drop those over max_chars, 5,000 by default): a line this
# long is minified data or a broken export. It is skipped before normalising, so a 50 MB line costs a scan, and
# it never lands in rejects.parquet whole.
LINE_LIMIT = 1_000_000


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
    """One input file, or a part of one (JSON Lines: the byte range [start, end) beginning at line `first_line`;
    Parquet: row groups [start, end) beginning at row `first_line`); an input that cannot be opened is a Skip."""
    from corpus.readers import jsonl, lawquery, parquet, text

    if inp.problem:
        yield Skip(source.name, inp.name, inp.problem)
        return
    readers = {"text": text.read, "jsonl": jsonl.read, "lawquery": lawquery.read, "parquet": parquet.read}
    try:
        items = readers[source.format](source, inp, start, end, first_line) if end >= 0 else \
            readers[source.format](source, inp)
        for item in items:
            if isinstance(item, Document) and source.format != "text" and _over(item.text, source):
                yield Skip(source.name, item.origin, f"a document of {len(item.text.encode()) / 2**20:,.1f} MB, over "
                                                     f"the source's max_document_mb ({source.max_document_mb} MB)")
                continue
            if isinstance(item, Document) and source.format != "lawquery":
                item, skips = _plain(item, source.format == "text")
                yield from skips
            if item is not None:
                yield item
    except OSError as e:  # gone or locked since the recipe was loaded
        yield Skip(source.name, inp.name, f"cannot be read ({e.strerror or e})")


def _over(text: str, source) -> bool:
    """Is a record's text over the source's cap (in UTF-8 bytes: at most 4 per character, so short texts are
    not encoded to tell)?"""
    limit = source.max_document_bytes
    return len(text) > limit // 4 and len(text.encode("utf-8", "surrogatepass")) > limit


class DocumentIds:
    """Document ids made unique in reading order: a later document that repeats an id (two JSONL records with
    one id, or a.txt beside a.md) becomes `id@origin`. The build applies it in its driver, so the result does
    not depend on how inputs were cut into shards."""

    def __init__(self):
        self.owners: dict[tuple[str, str], str] = {}  # every id given out so far -> the origin it names

    def unique(self, source: str, doc_id: str, origin: str) -> str:
        """The same answer for the same document every time. A record whose own id is one made here earlier
        ("a@f.jsonl:2" written into the data) gets another one in turn (`#2`, `#3`, ...): ids never repeat."""
        candidate, n = doc_id, 1
        while self.owners.setdefault((source, candidate), origin) != origin:
            n += 1
            candidate = f"{doc_id}@{origin}" if n == 2 else f"{doc_id}@{origin}#{n - 1}"
        return candidate


def read_source(source) -> Iterator[Document | Skip]:
    """Every input of a source, read by its format's reader, ids made unique."""
    ids = DocumentIds()
    for inp in source.inputs:
        for item in read_input(source, inp):
            if isinstance(item, Document):
                item = replace(item, doc_id=ids.unique(item.source, item.doc_id, item.origin))
            yield item


def _plain(doc: Document, numbered: bool) -> tuple[Document | None, list[Skip]]:
    """Over-long and damaged lines out (each a Skip naming its line), then HTML and character references to plain
    text."""
    from corpus.readers.markup import to_text

    body, skips = doc.text, []
    if len(body) > LINE_LIMIT or "\ufffd" in body:
        lines = body.splitlines()
        for n, line in enumerate(lines, start=1):
            if len(line) > LINE_LIMIT:
                why = f"a line of {len(line):,} characters (the limit is {LINE_LIMIT:,}): not prose; minified or " \
                      f"binary data?"
            elif "\ufffd" in line:
                why = "bytes that are not UTF-8 (or U+FFFD, the mark of an earlier failed decoding): line skipped"
            else:
                continue
            where = f"{doc.origin}:{n}" if numbered else f"{doc.origin} (line {n} of its text)"
            skips.append(Skip(doc.source, where, why))
            lines[n - 1] = ""
        body = "\n".join(lines)
        if not body.strip():
            return None, skips
    body = to_text(body)
    if not any(c.isalnum() for c in body):
        return None, [*skips, Skip(doc.source, doc.origin, "no text: no letters or digits (an empty field, or only "
                                                           "markup, punctuation or invisible characters)")]
    return replace(doc, text=body), skips
