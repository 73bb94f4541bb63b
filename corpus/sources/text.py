"""Plain text files: one file is one document; paragraph layout is detected later by the segmenter."""

from __future__ import annotations

from pathlib import PurePosixPath

from corpus.sources import Document, Skip


def decode(data: bytes, where: str, source: str) -> str | Skip:
    if not data.strip():
        return Skip(source, where, "empty file")
    if b"\x00" in data[:4096]:
        return Skip(source, where, "binary file (NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        return Skip(source, f"{where}:{line}", f"not UTF-8 (byte {e.start} of the file)")


def read(source, inp):
    text = decode(inp.path.read_bytes(), inp.name, source.name)
    if isinstance(text, Skip):
        yield text
        return
    doc_id = str(PurePosixPath(inp.name).with_suffix("")).lstrip("./").replace("../", "")
    yield Document(source.name, doc_id, text, inp.name)
