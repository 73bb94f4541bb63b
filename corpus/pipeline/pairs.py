"""Synthetic pairs from the clean paragraphs of one document.

Whether a paragraph is spun at all is decided once per paragraph (as the real spinner does); a spun
paragraph gets up to `variants` distinct noisy versions, an untouched one (or a spun one in which the noise
found nothing to change) a single row with noisy == clean and variant 0.
Each random choice is seeded by (recipe seed, row key), never by the order rows are produced in.
"""

from __future__ import annotations

from corpus.rand import RowRandom, unit_hash
from corpus.spin.noise import NoiseSettings, seo_title, spin
from corpus.spin.lexicon import default_lexicon
from corpus.text.quality import ends_sentence


def document_rows(source: str, doc_id: str, paragraphs: list[tuple[int, str]], seed: int,
                  settings: NoiseSettings, lexicon=None) -> list[dict]:
    """Rows for the kept paragraphs (index, text) of one document, in paragraph order."""
    by_index = dict(paragraphs)
    spun = {i: unit_hash(seed, source, doc_id, i, "spun") < settings.paragraph_rate for i, _ in paragraphs}
    spun_indices = [i for i, _ in paragraphs if spun[i]]
    titled = spun_indices[0] if spun_indices and unit_hash(seed, source, doc_id, "seo") < \
        settings.seo_title_rate else None  # an SEO title line sits above the page's first spun paragraph
    lexicon = default_lexicon() if lexicon is None else lexicon
    found: dict[str, list] = {}  # the lexicon's matches per text: every variant of a paragraph has the same
    rows = []
    for index, text in paragraphs:
        drawn: list[tuple[int, str, str, list]] = []
        for variant in range(settings.variants if spun[index] else 0):
            rng = RowRandom(seed, source, doc_id, index, variant)
            clean = text
            if rng.random() < settings.glue_rate and spun.get(index + 1) and ends_sentence(text):  # one draw
                clean = text + "\n" + by_index[index + 1]  # a lost line break glues the next paragraph on
            title = seo_title(rng) if index == titled else None
            if clean not in found:
                found[clean] = lexicon.matches(clean)
            noisy, edits = spin(clean, rng, settings, lexicon, title, found[clean])
            # a variant that changed nothing, or repeats an earlier one, adds no information
            if noisy != clean and all((clean, noisy) != (c, n) for _, c, n, _ in drawn):
                drawn.append((variant, clean, noisy, edits))
        for variant, clean, noisy, edits in drawn or [(0, text, text, [])]:
            rows.append({
                "id": f"{source}/{doc_id}/{index}/{variant}",
                "clean": clean,
                "noisy": noisy,
                "origin": "synthetic",
                "source": source,
                "doc_id": doc_id,
                "paragraph": index,
                "variant": variant,
                "edits": edits,
            })
    return rows
