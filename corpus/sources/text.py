"""Plain text files: one file is one document; paragraph layout is detected later by the segmenter."""

from __future__ import annotations

import gzip
import re
import unicodedata
import zlib
from pathlib import PurePosixPath

from corpus.sources import Document, Skip

# Syllables so common that real Vietnamese text always has some: a check that a guessed decoding makes sense.
_COMMON = frozenset("và của có là các những được trong người một cho không này với đã để khi theo về".split())
_MOJIBAKE = re.compile("[ÃÄÅÆ][\x80-\xbf\u0152-\u02dc\u2013-\u203a]|á»|áº")


def _vietnamese(text: str) -> bool:
    words = re.findall(r"[^\W\d_]+", unicodedata.normalize("NFC", text[:20000]).lower())
    return bool(words) and sum(w in _COMMON for w in words) >= 0.05 * len(words)


def decode(data: bytes, where: str, source: str) -> str | Skip:
    """Text from bytes: gzip, UTF-8 (BOM or not), UTF-16 (BOM or not), Windows-1258, and UTF-8 mojibake repaired.

    Legacy font encodings (TCVN3, VNI) and binary files are refused with a message that says so.
    """
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:
            return Skip(source, where, f"broken gzip file ({e})")
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
    if _MOJIBAKE.search(text):
        import ftfy

        text = ftfy.fix_text(text, uncurl_quotes=False, normalization="NFC")
    return text


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
    text = decode(inp.path.read_bytes(), inp.name, source.name)
    if isinstance(text, Skip):
        yield text
        return
    doc_id = str(PurePosixPath(inp.name).with_suffix("")).lstrip("./").replace("../", "")
    yield Document(source.name, doc_id, text, inp.name)
