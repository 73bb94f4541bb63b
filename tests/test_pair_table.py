"""The pairs step's columnar builder against the plain per-row reference, on real Vietnamese text."""

import pyarrow as pa

from corpus.dataset.features import FEATURES
from corpus.pipeline.pairs import document_rows, pair_table
from corpus.rand import RowRandom
from corpus.spin.lexicon import default_lexicon
from corpus.spin.noise import NoiseSettings


def test_seeded_draws_are_those_of_the_row_key():
    a = RowRandom(20261126, "vi-legal", "Bo-luat-dan-su-2015", 3, 1)
    b = RowRandom.seeded(RowRandom.key(20261126, "vi-legal", "Bo-luat-dan-su-2015", "") + b"3\x1f1")
    assert [a.random() for _ in range(50)] == [b.random() for _ in range(50)]  # past the first 16: _more


def test_pair_table_is_from_pylist_of_document_rows(law_paragraphs, wiki_articles):
    docs = [("vi-legal", "civil", list(enumerate(law_paragraphs[:300])))]
    docs += [("viwiki", str(a["id"]), list(enumerate(p for p in a["text"].split("\n") if len(p) > 30)))
             for a in wiki_articles[:10]]
    kept = pa.table({"source": [s for s, _, ps in docs for _ in ps], "doc_id": [d for _, d, ps in docs for _ in ps],
                     "index": pa.array([i for _, _, ps in docs for i, _ in ps], pa.int32()),
                     "text": [t for _, _, ps in docs for _, t in ps]})
    settings, lexicon, schema = NoiseSettings(glue_rate=0.3), default_lexicon(), FEATURES.arrow_schema
    label = FEATURES["origin"].str2int
    expected = [{**row, "origin": label(row["origin"])}
                for s, d, ps in docs for row in document_rows(s, d, ps, 5, settings, lexicon)]
    got = pair_table(kept, 5, settings, lexicon, schema, label("synthetic"))
    assert got.to_pylist() == pa.Table.from_pylist(expected, schema=schema).to_pylist()
    assert got.equals(pa.Table.from_pylist(expected, schema=schema))
    assert 0 < sum(r["clean"] != r["noisy"] for r in expected) < len(expected)  # spun and untouched rows both


def test_spin_of_a_text_just_spun_is_that_of_a_fresh_one(law_paragraphs, wiki_articles):
    """spin() keeps the last text's layout (its variants come one after the other): reusing it changes nothing."""
    from corpus.spin import noise

    texts = law_paragraphs[:200] + [a["text"][:3000] for a in wiki_articles[:20]]
    lexicon, settings = default_lexicon(), NoiseSettings()
    for i, text in enumerate(texts):
        matches = lexicon.matches(text)
        fresh = []
        for variant in range(3):
            noise._last_layout = (None, None)
            fresh.append(noise.spin(text, RowRandom(i, variant), settings, lexicon, None, matches))
        again = [noise.spin(text, RowRandom(i, variant), settings, lexicon, None, matches) for variant in range(3)]
        assert again == fresh
        commas = NoiseSettings(comma_space_rate=1.0)  # another mark pattern: never the cached layout
        after = noise.spin(text, RowRandom(i), commas, lexicon, None, matches)
        noise._last_layout = (None, None)
        assert after == noise.spin(text, RowRandom(i), commas, lexicon, None, matches)


def test_lexicon_matches_are_the_bounded_longest_matches(law_paragraphs, wiki_articles):
    """matches() inlines bounded(): the plain reference filters the automaton's longest matches with it."""
    from corpus.spin.lexicon import bounded

    lexicon = default_lexicon()
    for text in law_paragraphs[:300] + [a["text"] for a in wiki_articles[:20]]:
        low = text.lower()
        assert len(low) == len(text)
        plain = [(last - n + 1, last + 1, key) for last, (n, key) in lexicon.automaton.iter_long(low)
                 if bounded(low, last - n + 1, last + 1)]
        assert lexicon.matches(text) == plain


def test_unit_of_a_key_is_the_stable_hash_of_its_parts(law_paragraphs):
    from corpus.rand import stable_hash, unit_hash, unit_of

    for i, text in enumerate(law_paragraphs[:50]):
        parts = (20261126, "vi-legal", text[:30], i, "spun")
        assert unit_of(RowRandom.key(*parts)) == unit_hash(*parts) == stable_hash(*parts) / 2**64


def test_documents_are_the_groupby_runs(law_paragraphs, wiki_articles):
    """_documents cuts the rows in Arrow as itertools.groupby cuts (source, doc_id) in Python, nulls included
    (None == None), on a table whose documents repeat non-adjacently."""
    from itertools import groupby

    from corpus.pipeline.pairs import _documents

    sources = ["vi-legal"] * 5 + ["viwiki"] * 4 + ["vi-legal"] * 3 + [None, None, "viwiki", None]
    doc_ids = ["civil"] * 3 + ["labour"] * 2 + [str(a["id"]) for a in wiki_articles[:2] for _ in (0, 1)] + \
        ["civil"] * 3 + [None, None, None, "x"]
    table = pa.table({"source": pa.array(sources, pa.string()), "doc_id": pa.array(doc_ids, pa.string()),
                      "text": law_paragraphs[:len(sources)]})
    plain, first = [], 0
    for (source, doc_id), group in groupby(zip(sources, doc_ids)):
        size = len(list(group))
        plain.append((first, first + size, source, doc_id))
        first += size
    assert _documents(table) == plain
    assert _documents(table.slice(0, 0)) == []
    assert _documents(table.slice(3, 1)) == [(0, 1, "vi-legal", "labour")]


def test_variants_seed_each_row_by_its_key(law_paragraphs):
    """variants() joins each row's key as bytes and drops repeated variants with a set: the same rows as seeding
    RowRandom(seed, source, doc_id, index, variant) and comparing with every earlier variant."""
    from corpus.pipeline.pairs import variants
    from corpus.rand import unit_hash
    from corpus.spin.noise import spin

    settings, lexicon = NoiseSettings(variants=4, substitution_rate=0.05, glue_rate=0.0), default_lexicon()
    paragraphs = list(enumerate(law_paragraphs[:120]))
    expected = []
    for index, text in paragraphs:
        drawn = []
        if unit_hash(7, "vi-legal", "civil", index, "spun") < settings.paragraph_rate:
            for variant in range(settings.variants):
                rng = RowRandom(7, "vi-legal", "civil", index, variant)
                rng.random()  # the glue draw
                noisy, edits = spin(text, rng, settings, lexicon)
                if noisy != text and all((text, noisy) != (c, n) for _, c, n, _ in drawn):
                    drawn.append((variant, text, noisy, edits))
        expected += [(index, *row) for row in drawn] or [(index, 0, text, text, [])]
    got = list(variants("vi-legal", "civil", paragraphs, 7, settings, lexicon))
    assert got == expected
    assert any(row[1] > 0 for row in got) and any(row[2] == row[3] for row in got)
