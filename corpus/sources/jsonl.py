"""JSON Lines: one object per line is one document; the text and id fields are set in the recipe."""

from __future__ import annotations

import json
import re

from corpus.sources import Document, Skip
from corpus.sources.text import decode

# JSON can spell half a UTF-16 pair ("\ud800"); Python keeps it, but no UTF-8 file (nor Parquet) can hold it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def read(source, inp, start: int = 0, end: int = -1, first_line: int = 1):
    """The whole file, or its byte range [start, end) that begins at line `first_line` (a shard of a big file)."""
    if end < 0:
        data = inp.path.read_bytes()
    else:
        with open(inp.path, "rb") as f:
            f.seek(start)
            data = f.read(end - start)
    text = decode(data, inp.name, source.name)
    if isinstance(text, Skip):
        yield text
        return
    for n, line in enumerate(text.split("\n"), start=first_line):
        if not line.strip():
            continue
        where = f"{inp.name}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            yield Skip(source.name, where, f"invalid JSON ({e.msg})")
            continue
        if not isinstance(obj, dict):
            yield Skip(source.name, where, "not a JSON object")
            continue
        body = obj.get(source.text_field)
        if not isinstance(body, str):
            yield Skip(source.name, where, f"field {source.text_field!r} missing or not a string")
            continue
        if _SURROGATE.search(body):
            yield Skip(source.name, where, f"field {source.text_field!r} holds a lone surrogate escape (such as "
                                           f"\\ud800), which is no character: broken UTF-16 in the JSON")
            continue
        doc_id = obj.get(source.id_field)
        doc_id = str(doc_id) if isinstance(doc_id, str | int) and not _SURROGATE.search(str(doc_id)) else f"line-{n}"
        yield Document(source.name, doc_id, body, where)
