"""Hand-restored pairs: a JSON Lines file of (clean, noisy) objects, with `paragraph` (the spun paragraph's index
in its document) where the `real` config needs it. One reader for the build, calibration and `corpus spin`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from corpus.readers.jsonl import BadRecord, parse_line


class PairsError(ValueError):
    """A pairs file that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Pair:
    line: int  # where it is in the file, for messages
    clean: str
    noisy: str
    paragraph: int | None  # the index of the noisy paragraph in its document, when the file gives it


def read_pairs(path: Path, paragraphs: bool = False) -> list[Pair]:
    """Every pair of the file, in order; `paragraphs`: each must also give its paragraph index (an integer)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise PairsError(f"{path}: cannot read ({e})") from None
    pairs = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = parse_line(line)  # the build's JSONL parser: huge numbers and deep nesting are bad lines too
        except BadRecord as e:
            raise PairsError(f"{path}:{n}: {e}") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("clean"), str) or not isinstance(obj.get("noisy"), str):
            raise PairsError(f"{path}:{n}: expected an object with string fields 'clean' and 'noisy'")
        index = obj.get("paragraph")
        if paragraphs and (not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < 2**31):
            raise PairsError(f"{path}:{n}: expected 'paragraph', the index of the spun paragraph in its document "
                             f"(a whole number), beside 'clean' and 'noisy'")
        pairs.append(Pair(n, obj["clean"], obj["noisy"], index if paragraphs else None))
    if not pairs:
        raise PairsError(f"{path}: no pairs")
    return pairs


def texts(pairs: list[Pair]) -> list[tuple[str, str]]:
    """(clean, noisy) of each pair: what calibration and lexicon learning read."""
    return [(p.clean, p.noisy) for p in pairs]
