"""JSON Lines: one object per line is one document; the text and id fields are set in the recipe."""

from __future__ import annotations

import json
import re

from corpus.readers import Document, Skip
from corpus.readers.text import decode_capped

# JSON can spell half a UTF-16 pair ("\ud800"); Python keeps it, but no UTF-8 file (nor Parquet) can hold it.
_SURROGATE = re.compile("[\ud800-\udfff]")


class BadRecord(ValueError):
    """A JSON line that cannot become an object: its message is the reason, without the file and line."""


def parse_line(line: str):
    """One JSON value from one line, or BadRecord saying why not. Beyond invalid JSON, Python's parser raises
    ValueError for a number of over 4,300 digits (the int-string limit) and RecursionError for nesting deeper
    than its stack: each is one bad record, never the end of a build. A UTF-8 BOM that starts the line (files
    concatenated with `cat`) is ignored, so a line reads the same wherever a shard of the file begins."""
    try:
        return json.loads(line.lstrip("\ufeff"))
    except json.JSONDecodeError as e:
        raise BadRecord(f"invalid JSON ({e.msg})") from None
    except ValueError as e:  # "Exceeds the limit (4300 digits) for integer string conversion ..."
        raise BadRecord(f"a number too long to read: {str(e).split(': value has')[0].lower()}") from None
    except RecursionError:
        raise BadRecord("JSON nested too deep to read (over about 1,000 levels of [ or {): not a document") \
            from None


def read(source, inp, start: int = 0, end: int = -1, first_line: int = 1):
    """The whole file, or its byte range [start, end) that begins at line `first_line` (a shard of a big file)."""
    if end < 0:
        data = inp.path.read_bytes()
    else:
        with open(inp.path, "rb") as f:
            f.seek(start)
            data = f.read(end - start)
    text, rest = decode_capped(data, inp.name, source.name)
    if isinstance(text, Skip):
        if start > 0 and not data.strip():
            return  # blank lines that a cut put in a shard of their own: nothing, as when the file is read whole
        yield text
        return
    for n, line in enumerate(text.split("\n"), start=first_line):
        if not line.strip():
            continue
        where = f"{inp.name}:{n}"
        try:
            obj = parse_line(line)
        except BadRecord as e:
            yield Skip(source.name, where, str(e))
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
    if rest:
        yield rest
