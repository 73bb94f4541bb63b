"""Synthetic pairs from the clean paragraphs of one document.

Whether a paragraph is spun at all is decided once per paragraph (as the real spinner does); a spun
paragraph gets up to `variants` distinct noisy versions, an untouched one (or a spun one in which the noise
found nothing to change) a single row with noisy == clean and variant 0.
Each random choice is seeded by (recipe seed, row key), never by the order rows are produced in.
"""

from __future__ import annotations

import gc

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpus.rand import RowRandom, unit_hash, unit_of
from corpus.spin.noise import NoiseSettings, seo_title, spin
from corpus.spin.lexicon import default_lexicon
from corpus.text.quality import ends_sentence


def variants(source: str, doc_id: str, paragraphs: list[tuple[int, str]], seed: int, settings: NoiseSettings,
             lexicon=None):
    """(index, variant, clean, noisy, edits) of each row of the kept paragraphs (index, text) of one document, in
    paragraph order. `clean` is the paragraph's own str unless a break was lost, `noisy` is `clean` itself when
    untouched: pair_table takes those from Arrow."""
    by_index, prefix = dict(paragraphs), RowRandom.key(seed, source, doc_id, "")
    rate, glue_rate, count = settings.paragraph_rate, settings.glue_rate, settings.variants
    spun = {i: unit_of(prefix + b"%d\x1fspun" % i) < rate for i, _ in paragraphs}
    spun_indices = [i for i, _ in paragraphs if spun[i]]
    titled = spun_indices[0] if spun_indices and unit_hash(seed, source, doc_id, "seo") < \
        settings.seo_title_rate else None  # an SEO title line sits above the page's first spun paragraph
    lexicon = default_lexicon() if lexicon is None else lexicon
    found: dict[str, list] = {}  # the lexicon's matches per text: every variant of a paragraph has the same
    for index, text in paragraphs:
        if not spun[index]:
            yield index, 0, text, text, []
            continue
        drawn: list[tuple[int, str, str, list]] = []
        seen: set[tuple[str, str]] = set()
        for variant in range(count):
            rng = RowRandom.seeded(prefix + b"%d\x1f%d" % (index, variant))  # RowRandom(seed, ..., variant)
            clean = text
            if rng.random() < glue_rate and spun.get(index + 1) and ends_sentence(text):  # one draw
                clean = text + "\n" + by_index[index + 1]  # a lost line break glues the next paragraph on
            title = seo_title(rng) if index == titled else None
            matches = found.get(clean)
            if matches is None:
                matches = found[clean] = lexicon.matches(clean)
            noisy, edits = spin(clean, rng, settings, lexicon, title, matches)
            # a variant that changed nothing, or repeats an earlier one, adds no information
            if noisy != clean and (clean, noisy) not in seen:
                seen.add((clean, noisy))
                drawn.append((variant, clean, noisy, edits))
        if not drawn:
            yield index, 0, text, text, []
        for variant, clean, noisy, edits in drawn:
            yield index, variant, clean, noisy, edits


def document_rows(source: str, doc_id: str, paragraphs: list[tuple[int, str]], seed: int,
                  settings: NoiseSettings, lexicon=None) -> list[dict]:
    """Rows for the kept paragraphs (index, text) of one document, in paragraph order."""
    return [{"id": f"{source}/{doc_id}/{index}/{variant}", "clean": clean, "noisy": noisy, "origin": "synthetic",
             "source": source, "doc_id": doc_id, "paragraph": index, "variant": variant, "edits": edits}
            for index, variant, clean, noisy, edits in variants(source, doc_id, paragraphs, seed, settings, lexicon)]


def pair_table(table: pa.Table, seed: int, settings: NoiseSettings, lexicon, schema: pa.Schema,
               origin: int) -> pa.Table:
    """document_rows of every document in a table of kept paragraphs (a document's paragraphs together, in order)
    as one Arrow table, built column by column: from_pylist over row dicts cost a fifth of the step."""
    collecting = gc.isenabled()
    gc.disable()  # the rows make no cycles, and a full collection in a build rescans the driver's whole heap
    try:
        columns = _columns(table, seed, settings, lexicon)
    finally:
        if collecting:
            gc.enable()
    return _arrow(table, *columns, schema, origin)


def _columns(table: pa.Table, seed: int, settings: NoiseSettings, lexicon) -> tuple[list, ...]:
    at, paragraph, variant, clean, noisy, edits = [], [], [], [], [], []
    indices, texts = table.column("index").to_pylist(), table.column("text").to_pylist()
    for first, end, source, doc_id in _documents(table):
        kept = list(zip(indices[first:end], texts[first:end]))
        where = {index: (first + k, text) for k, (index, text) in enumerate(kept)}
        for index, number, clean_text, noisy_text, row_edits in variants(source, doc_id, kept, seed, settings,
                                                                          lexicon):
            position, text = where[index]
            at.append(position)
            paragraph.append(index)
            variant.append(number)
            clean.append(None if clean_text is text else clean_text)  # None: the paragraph, taken in Arrow
            noisy.append(None if noisy_text is clean_text else noisy_text)  # None: untouched
            edits.append(row_edits)
    return at, paragraph, variant, clean, noisy, edits


def _documents(table: pa.Table) -> list[tuple[int, int, str, str]]:
    """(first row, end row, source, doc_id) of each run of rows of one document, as itertools.groupby would cut
    them, found in Arrow: no per-row tuple of Python strs."""
    rows = table.num_rows
    if rows == 0:
        return []
    starts = np.zeros(rows, bool)
    starts[0] = True
    for name in ("source", "doc_id"):
        column = table.column(name)
        a, b = column.slice(1), column.slice(0, rows - 1)
        same = pc.or_kleene(pc.equal(a, b), pc.and_(pc.is_null(a), pc.is_null(b)))  # None == None, as in Python
        starts[1:] |= ~pc.fill_null(same, False).to_numpy(zero_copy_only=False)
    first = np.flatnonzero(starts)
    at = pa.array(first)
    return list(zip(first.tolist(), [*first[1:].tolist(), rows], table.column("source").take(at).to_pylist(),
                    table.column("doc_id").take(at).to_pylist()))


def _arrow(table: pa.Table, at, paragraph, variant, clean, noisy, edits, schema: pa.Schema, origin: int) -> pa.Table:
    """The rows' columns; `at`: the position of each row's paragraph in `table`."""
    at_array = pa.array(at, pa.int64())
    paragraphs, numbers = pa.array(paragraph, pa.int32()), pa.array(variant, pa.int32())
    source, doc_id = table.column("source").take(at_array), table.column("doc_id").take(at_array)
    clean_column = pc.coalesce(pa.array(clean, pa.string()), table.column("text").take(at_array))
    columns = {
        "id": pc.binary_join_element_wise(source, doc_id, pc.cast(paragraphs, pa.string()),
                                          pc.cast(numbers, pa.string()), "/"),
        "clean": clean_column,
        "noisy": pc.coalesce(pa.array(noisy, pa.string()), clean_column),
        "origin": pa.array([origin] * len(at), pa.int64()),
        "source": source,
        "doc_id": doc_id,
        "paragraph": paragraphs,
        "variant": numbers,
        "edits": pa.array(edits, schema.field("edits").type),
    }
    return pa.Table.from_arrays([columns[name] for name in schema.names], schema=schema).combine_chunks()
