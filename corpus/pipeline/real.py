"""The `real` config: real spun paragraphs with their hand restoration, and the same page's untouched
paragraphs as negatives (clean == noisy). Small, but the only test of de-spinning on text a spinner wrote."""

from __future__ import annotations

from corpus.readers.pairs import PairsError, read_pairs
from corpus.spin.edits import align


def real_rows(recipe, spun: dict[int, str], untouched: list[tuple[int, str]]) -> list[dict]:
    """Rows of the real test split; every restored pair must match a paragraph the build held back as spun."""
    source, doc_id, path = recipe.real_source, recipe.real_doc_id, recipe.real.path
    rows = []
    for pair in read_pairs(path, paragraphs=True):
        if spun.get(pair.paragraph) != pair.noisy:
            raise PairsError(f"{path}:{pair.line}: paragraph {pair.paragraph} of {source}/{doc_id} is not this spun "
                             f"text (the build found {'a different text' if pair.paragraph in spun else 'no spun paragraph'})")
        rows.append(_row(source, doc_id, pair.paragraph, pair.clean, pair.noisy, [*align(pair.clean, pair.noisy)]))
    rows += [_row(source, doc_id, index, text, text, []) for index, text in untouched]
    return sorted(rows, key=lambda r: r["paragraph"])


def _row(source: str, doc_id: str, index: int, clean: str, noisy: str, edits: list) -> dict:
    return {"id": f"{source}/{doc_id}/{index}/real", "clean": clean, "noisy": noisy, "origin": "real",
            "source": source, "doc_id": doc_id, "paragraph": index, "variant": 0, "edits": edits}
