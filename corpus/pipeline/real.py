"""The `real` config: real spun paragraphs with their hand restoration, and the same page's untouched
paragraphs as negatives (clean == noisy). Small, but the only test of de-spinning on text a spinner wrote."""

from __future__ import annotations

from corpus.readers.jsonl import parse_line
from corpus.spin.edits import align


class RealPairsError(ValueError):
    pass


def real_rows(recipe, spun: dict[int, str], untouched: list[tuple[int, str]]) -> list[dict]:
    """Rows of the real test split; every restored pair must match a paragraph the build held back as spun."""
    source, doc_id, path = recipe.real_source, recipe.real_doc_id, recipe.real.path
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            pair = parse_line(line)  # BadRecord is a ValueError: huge numbers, deep nesting
            index, clean, noisy = int(pair["paragraph"]), pair["clean"], pair["noisy"]
        except (ValueError, KeyError, TypeError) as e:
            raise RealPairsError(f"{path}:{n}: expected paragraph, clean and noisy ({e})") from None
        if spun.get(index) != noisy:
            raise RealPairsError(f"{path}:{n}: paragraph {index} of {source}/{doc_id} is not this spun text "
                                 f"(the build found {'a different text' if index in spun else 'no spun paragraph'})")
        rows.append(_row(source, doc_id, index, clean, noisy, [*align(clean, noisy)]))
    rows += [_row(source, doc_id, index, text, text, []) for index, text in untouched]
    return sorted(rows, key=lambda r: r["paragraph"])


def _row(source: str, doc_id: str, index: int, clean: str, noisy: str, edits: list) -> dict:
    return {"id": f"{source}/{doc_id}/{index}/real", "clean": clean, "noisy": noisy, "origin": "real",
            "source": source, "doc_id": doc_id, "paragraph": index, "variant": 0, "edits": edits}
