"""Plain text files: one file is one document; paragraph layout is detected later by the segmenter."""

from __future__ import annotations

import gzip
import io
import re
import unicodedata
import zlib
from pathlib import PurePosixPath

from corpus.config.settings import MAX_DOCUMENT_MB
from corpus.readers import Document, Skip

# Syllables so common that real Vietnamese text always has some: a check that a guessed decoding makes sense.
_COMMON = frozenset("và của có là các những được trong người một cho không này với đã để khi theo về".split())
_MOJIBAKE = re.compile("[ÃÄÅÆ][\x80-\xbf\u0152-\u02dc\u2013-\u203a]|á»|áº")
# The most bytes read out of one gzipped input (a 1 MB gzip bomb can hold 2 GB of one repeated letter): past it
# the input is cut at its last line break and the rest skipped with a reason. A plain text file larger than this
# is not read at all. Within it, a source's `max_document_mb` (recipe) caps one document.
GZIP_LIMIT = MAX_DOCUMENT_MB << 20


def _mojibake(text: str) -> bool:
    """_MOJIBAKE.search(text), at str.find speed: the regex engine tries the pattern at every character (a third
    of the reading), but its first letters are rare in Vietnamese, except "Ã" (NGÃ), looked at where it is."""
    if "á»" in text or "áº" in text or "Ä" in text or "Å" in text or "Æ" in text:
        return _MOJIBAKE.search(text) is not None
    at = text.find("Ã")
    while at >= 0:
        if _MOJIBAKE.match(text, at):
            return True
        at = text.find("Ã", at + 1)
    return False


def _vietnamese(text: str) -> bool:
    words = re.findall(r"[^\W\d_]+", unicodedata.normalize("NFC", text[:20000]).lower())
    return bool(words) and sum(w in _COMMON for w in words) >= 0.05 * len(words)


def gunzip(data: bytes, where: str, source: str, limit: int = GZIP_LIMIT) -> tuple[bytes, Skip | None] | Skip:
    """The decompressed bytes, at most `limit` of them (cut after a line break, with a Skip for the rest), or a
    Skip for a broken gzip file or one whose first `limit` bytes hold no line break at all."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            out = f.read(limit + 1)
    except (OSError, EOFError, zlib.error) as e:
        return Skip(source, where, f"broken gzip file ({e})")
    if len(out) <= limit:
        return out, None
    why = f"decompresses to over {_mb(limit)} MB (the most read from one gzipped input; a gzip bomb?)" \
        if limit == GZIP_LIMIT else f"decompresses to over {_mb(limit)} MB, the source's max_document_mb"
    return cut_lines(out, limit, where, source, why)


def cut_lines(out: bytes, limit: int, where: str, source: str, why: str) -> tuple[bytes, Skip] | Skip:
    """The whole lines within the first `limit` bytes of `out`, and a Skip (naming the first line left out) for
    the rest; only a Skip when those bytes hold no line break. UTF-16 (with its BOM or, guessed by its NUL bytes,
    without) is cut after a whole "\n" code unit."""
    codec = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}.get(out[:2])
    start = 2 if codec else 0
    if codec is None and b"\x00" in out[:4096]:  # UTF-16 without its BOM: ASCII letters come with a NUL byte
        codec = "utf-16-le" if out[1:2] == b"\x00" else "utf-16-be"
    if codec:  # at an even byte, so that no code unit is split
        nl = "\n".encode(codec)
        k = out.rfind(nl, start, limit)
        while k >= start and k % 2:
            k = out.rfind(nl, start, k + 1)
        cut = k + 2 if k >= start else 0
    else:
        cut = out.rfind(b"\n", 0, limit) + 1
    if not cut:
        return Skip(source, where, f"{why} with no line break in them: not text, not read")
    line = out[start:cut].decode(codec, errors="replace").count("\n") + 1 if codec else out.count(b"\n", 0, cut) + 1
    return out[:cut], Skip(source, f"{where}:{line}", f"{why}: the text from line {line} on is not read")


def _mb(n: int) -> str:
    return f"{n / 2**20:,.6g}"


def decode(data: bytes, where: str, source: str) -> str | Skip:
    """Text from bytes: gzip, UTF-8 (BOM or not), UTF-16 (BOM or not), Windows-1258, and UTF-8 mojibake repaired.

    Legacy font encodings (TCVN3, VNI) and binary files are refused with a message that says so; so is a gzipped
    input over GZIP_LIMIT (the readers, which keep its start, use decode_capped).
    """
    text, rest = decode_capped(data, where, source)
    return Skip(source, where, rest.reason.split(":")[0] + ": not read") if rest and isinstance(text, str) else text


def decode_capped(data: bytes, where: str, source: str, limit: int = GZIP_LIMIT) -> tuple[str | Skip, Skip | None]:
    """decode(), except that a gzipped input over `limit` gives its first lines, and a Skip for the rest."""
    rest = None
    if data[:2] == b"\x1f\x8b":
        out = gunzip(data, where, source, limit)
        if isinstance(out, Skip):
            return out, None
        data, rest = out
    return _decode(data, where, source), rest


def _decode(data: bytes, where: str, source: str) -> str | Skip:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            return Skip(source, where, f"broken UTF-16 (byte {e.start})")
    if not data.strip():
        return Skip(source, where, "empty file")
    if b"\x00" in data[:4096]:
        text = _utf16_without_bom(data)
        return text if text is not None else Skip(source, where, "binary file (NUL bytes), not text")
    try:
        text, first_error = data.decode("utf-8-sig"), 0
    except UnicodeDecodeError as e:
        text, first_error = _damaged_utf8(data), e.start
    if text is None:
        try:
            guess = data.decode("cp1258")
        except UnicodeDecodeError:
            guess = ""
        if guess and _vietnamese(guess):
            return guess  # Windows-1258: base letters plus combining tone marks; NFC recomposes them
        line = data[:first_error].count(b"\n") + 1
        return Skip(source, f"{where}:{line}", f"not UTF-8, UTF-16 or Windows-1258 (byte {first_error}); a legacy "
                                               f"font encoding such as TCVN3 or VNI? convert it to UTF-8 first")
    if _mojibake(text):  # repaired line by line: a line reads the same whichever lines share its shard
        text = "\n".join(_repair(line) if _mojibake(line) else line for line in text.split("\n"))
    return text


def _repair(line: str) -> str:
    """UTF-8 mojibake repaired in one line. ftfy keeps its line breaks and leaves character references (&amp;) to
    the readers, which decode them once; left to itself, it would stop decoding them for the rest of a text at
    its first "<", so a line would read differently after a cut elsewhere."""
    import ftfy

    body = line.lstrip("\ufeff")  # a BOM that starts the line (files joined with `cat`) would stop the repair
    return line[:len(line) - len(body)] + ftfy.fix_text(body, uncurl_quotes=False, normalization="NFC",
                                                        unescape_html=False, fix_line_breaks=False)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 saved without its BOM (each ASCII letter then comes with a NUL byte), if it reads as Vietnamese."""
    for codec in ("utf-16-le", "utf-16-be"):
        if _vietnamese(data[:40000].decode(codec, errors="ignore")):  # a look at the start: binaries can be big
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                return None
    return None


def _damaged_utf8(data: bytes) -> str | None:
    """UTF-8 with a few broken bytes (a cut multi-byte character), read with U+FFFD in their place, so that only
    the damaged lines are skipped later; None when the bytes are mostly not UTF-8 (another encoding)."""
    text = data.decode("utf-8-sig", errors="replace")
    broken = text.count("\ufffd")
    valid_non_ascii = len(text) - len(text.encode("ascii", errors="ignore")) - broken
    return text if valid_non_ascii > broken else None


def read(source, inp):
    """One file, one document: at most the source's `max_document_mb` of it is read (whole lines), the rest is
    a Skip naming the first line left out; a gzipped file is capped after decompression."""
    limit = source.max_document_bytes
    size = inp.path.stat().st_size
    if size > GZIP_LIMIT:  # a 2 GB sparse file or a disk image is no document: not even its start is read
        yield Skip(source.name, inp.name, f"{size / 2**20:,.0f} MB, over the {GZIP_LIMIT >> 20} MB read from one "
                                          "input: not a document; not read")
        return
    with open(inp.path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
        f.seek(0)
        data = f.read() if gzipped else f.read(limit + 1)  # gzipped: capped as it is decompressed
    cut = None
    if not gzipped and len(data) > limit:
        cut = cut_lines(data, limit, inp.name, source.name,
                        f"{size / 2**20:,.1f} MB, over the source's max_document_mb ({_mb(limit)} MB)")
        if isinstance(cut, Skip):
            yield cut
            return
        data, cut = cut
    text, rest = decode_capped(data, inp.name, source.name, limit)
    for skip in (cut, rest):
        if skip:
            yield skip
    if isinstance(text, Skip):
        yield text
        return
    doc_id = str(PurePosixPath(inp.key or inp.name).with_suffix("")).lstrip("./").replace("../", "")
    yield Document(source.name, doc_id, text, inp.name)
