"""spin() decides per text what it can before drawing (kept for a paragraph's second variant): against the plain
per-candidate loop it replaced, on real Vietnamese text; and the split step against its plain per-row form."""

import bisect
import re

import pyarrow as pa
import pytest

from corpus.rand import RowRandom, stable_hash
from corpus.spin import noise
from corpus.spin.edits import realise
from corpus.spin.lexicon import abbreviations, default_lexicon
from corpus.spin.noise import NoiseSettings
from corpus.text.quality import ends_sentence


def plain_spin(clean, rng, settings, lexicon, title=None):
    """The noise model as one loop over the candidates, every decision taken at the draw."""
    rand, options = rng.random, lexicon.options
    changes, special = [], []
    candidates = list(lexicon.matches(clean))
    if noise._special_hint().search(clean):
        found = [(m.start(), m.end(), m.lastgroup) for m in noise._special_pattern().finditer(clean)]
        candidates = sorted(found + candidates, key=lambda c: (c[0], c[2] not in noise._SPECIAL_KINDS))
    last_end = -1
    for start, end, key in candidates:
        if start < last_end:
            continue
        if key in noise._SPECIAL_KINDS:
            found = clean[start:end]
            if key == "docnum":
                if rand() >= settings.docnum_rate:
                    continue
                changes.append((start, end, found.replace("-", " – ", 1).replace("/", " / "), key, "docnum_respace"))
            elif key == "abbreviation":
                if rand() >= settings.abbreviation_rate:
                    continue
                changes.append((start, end, abbreviations()[found], key, f"abbreviations:{found}"))
            special.append((start, end))
            last_end = end
            continue
        targets, cumulative, rule, numeric, spelled_capital, weight = options[key]
        capitalised = clean[start].isupper() and not spelled_capital
        if capitalised and (clean[start:end].isupper() or (
                settings.keep_names and not (settings.sentence_initial and noise._sentence_start(clean, start)))):
            continue
        if not targets or rand() >= (settings.number_rate if numeric else settings.substitution_rate) * weight:
            continue
        new = targets[bisect.bisect_right(cumulative, rand() * cumulative[-1])] if len(targets) > 1 else targets[0]
        if clean[start].isupper() and new[:1].islower() and (capitalised or noise._sentence_start(clean, start)):
            new = new[0].upper() + new[1:]
        changes.append((start, end, new, "number" if numeric else "lexical", rule))
        last_end = end
    newlines = [i for i, c in enumerate(clean) if c == "\n"]
    final = set()
    for end in (*newlines, len(clean)):
        at = end - 1
        while at > 0 and clean[at] in " ”\"’)":
            at -= 1
        if at > 0 and clean[at] == "." and clean[at - 1] not in " .":
            final.add(at)
    rates = {".": settings.inner_stop_space_rate, ",": settings.comma_space_rate}
    pattern = noise._PUNCT_COMMA if settings.comma_space_rate > 0 else noise._PUNCT
    for at in (m.start() for m in pattern.finditer(clean)):
        mark = clean[at]
        rate = settings.final_stop_space_rate if at in final else rates.get(mark, settings.clause_space_rate)
        line_start = clean.rfind("\n", 0, at) + 1
        enumerator = at - line_start <= 5 and noise._ENUMERATOR.fullmatch(clean, line_start, at) is not None
        if rate <= 0 or enumerator or any(a < at < b for a, b in special):
            continue
        if rand() < rate:
            changes.append((at, at, " ", "punct_space", f"space_before:{mark}"))
    if settings.quote_space_rate > 0:
        for m in re.finditer(r"“(?=\S)|(?<=\S)”", clean):
            if rand() < settings.quote_space_rate:
                at = m.end() if m.group() == "“" else m.start()
                changes.append((at, at, " ", "quote_space", "space_inside_quotes"))
    changes += [(at, at + 1, "", "glue", "lost_break") for at in newlines if ends_sentence(clean[:at])]
    if title:
        changes.append((0, 0, title + "\n", "seo_title", "seo_title"))
    return realise(clean, changes)


SETTINGS = [NoiseSettings(), NoiseSettings(substitution_rate=0.3, number_rate=0.5, comma_space_rate=0.5,
                                           inner_stop_space_rate=0.5, quote_space_rate=0.5, docnum_rate=0.5,
                                           abbreviation_rate=0.5, final_stop_space_rate=0.0),
            NoiseSettings(keep_names=False, sentence_initial=False, clause_space_rate=0.0, quote_space_rate=0.0)]


@pytest.mark.parametrize("settings", SETTINGS)
def test_spin_is_the_plain_loop(settings, law_paragraphs, wiki_articles, seed_paragraphs):
    texts = law_paragraphs[:400] + [a["text"][:3000] for a in wiki_articles[:20]] + [p for _, p in seed_paragraphs]
    texts += [a + "\n" + b for a, b in zip(law_paragraphs[400:460], law_paragraphs[460:520])]  # lost breaks
    lexicon, spun = default_lexicon(), 0
    for i, text in enumerate(texts):
        for variant in range(2):  # the second variant reuses the first one's layout
            title = "Dịch Vụ Sửa Chữa 24h Tại Hà Nội" if i % 7 == 0 else None
            got = noise.spin(text, RowRandom(i, variant), settings, lexicon, title, lexicon.matches(text))
            assert got == plain_spin(text, RowRandom(i, variant), settings, lexicon, title)
            spun += got[0] != text
    assert spun > len(texts)  # the noise did change text


def test_split_is_the_per_row_hash(law_paragraphs, wiki_articles):
    from corpus.config.recipe import load_recipe
    from corpus.pipeline.split import assign_split
    from corpus.pipeline.steps import Context, _split

    recipe = load_recipe("recipes/large.toml")
    rows = [("vi-legal", f"law-{i % 37}", f"vi-legal/law-{i % 37}/{i}/0") for i in range(len(law_paragraphs[:500]))]
    rows += [("viwiki", str(a["id"]), f"viwiki/{a['id']}/{k}/1") for a in wiki_articles for k in range(3)]
    table = pa.table({"source": [r[0] for r in rows], "doc_id": [r[1] for r in rows], "id": [r[2] for r in rows]})
    got = _split(table, Context(recipe))
    assert got.column("split").to_pylist() == [assign_split(f"{s}/{d}", recipe.seed, recipe.splits) for s, d, _ in rows]
    assert got.column("rank").to_pylist() == [stable_hash("rank", i) for _, _, i in rows]
    assert got.column("rank").type == pa.uint64() and got.column("split").type == pa.string()
    assert len(set(got.column("split").to_pylist())) == 3
