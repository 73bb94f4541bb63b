"""The paragraphs step builds its table column by column, a document at a time: the same rows as one dict per
paragraph from `triage`, on real Wikipedia articles, a raw page and an unreadable input."""

import pyarrow as pa

from corpus.config.recipe import load_recipe
from corpus.pipeline.steps import DOCUMENTS, PARAGRAPHS, SKIPPED, Context, _paragraphs, triage
from tests.conftest import SEED, TEXT_SOURCE, recipe_text


def _plain(table, recipe):
    rows = []
    for doc in table.to_pylist():
        if doc["text"] is None:
            where, reason = doc["where"].split("\t", 1)
            rows.append({"source": doc["source"], "doc_id": where, "index": SKIPPED, "text": "",
                         "reason": "unreadable_input", "detail": reason, "origin": where})
            continue
        for i, (text, reason, detail) in enumerate(triage(doc["text"], doc["raw"], recipe)):
            rows.append({"source": doc["source"], "doc_id": doc["doc_id"], "index": i, "text": text,
                         "reason": reason, "detail": detail, "origin": doc["where"]})
    return pa.Table.from_pylist(rows, schema=PARAGRAPHS)


def test_paragraph_rows_equal_a_dict_per_paragraph(tmp_path, wiki_articles):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("Một đoạn văn.", encoding="utf-8")
    path = tmp_path / "recipe.toml"
    path.write_text(recipe_text(TEXT_SOURCE), encoding="utf-8")
    recipe = load_recipe(path)
    source = recipe.sources[0].name
    docs = [{"source": source, "doc_id": str(a["id"]), "text": a["text"], "raw": False, "where": f"wiki:{n}"}
            for n, a in enumerate(wiki_articles)]
    docs.insert(3, {"source": source, "doc_id": "", "text": None, "raw": False, "where": "bad.txt\tnot UTF-8"})
    docs.append({"source": source, "doc_id": "seed", "text": SEED.read_text(encoding="utf-8"), "raw": True,
                 "where": "seed.txt"})
    docs.append({"source": source, "doc_id": "empty", "text": "", "raw": False, "where": "empty.txt"})
    table = pa.Table.from_pylist(docs, schema=DOCUMENTS)
    got = _paragraphs(table, Context(recipe))
    assert got.num_rows > 1_000
    assert got.equals(_plain(table, recipe))


def test_vietnamese_shares_equal_one_at_a_time(wiki_articles, law_paragraphs):
    """The batch (a look-up per distinct token) gives each text the float vietnamese_share gives it, on Wikipedia
    paragraphs, the civil code, and odd whitespace, capitals and empty texts; as a list or an Arrow array."""
    from corpus.text.normalize import normalize
    from corpus.text.quality import vietnamese_share, vietnamese_shares
    from corpus.text.segment import segment

    texts = [p for a in wiki_articles for _, p in segment(normalize(a["text"]))] + law_paragraphs
    texts += ["", " ", "UBND NATO", "b) c) d)", "người\tdân\u3000Hà\u2028Nội\x1cof the", "Khmer methyl hòa"]
    expected = [vietnamese_share(t) for t in texts]
    assert len(set(expected)) > 100
    assert vietnamese_shares(texts).tolist() == expected
    assert vietnamese_shares(pa.chunked_array([texts[:50], texts[50:]]).slice(7)).tolist() == expected[7:]


def _plain_segment(text):
    """segment as first written: every line's kind asked for in split_paragraphs, every part's again."""
    import re

    from corpus.text.segment import _STOPS, BODY, paragraph_kind, unglue

    blocks = [[ln.strip() for ln in b.split("\n") if ln.strip()] for b in re.split(r"\n[ \t]*\n", text)]
    blocks = [b for b in blocks if b]
    inner = [ln for b in blocks for ln in b[:-1]]
    stopped = sum(1 for ln in inner if ln[-1] in _STOPS)
    wrapped = sum(1 for ln in inner if ln[-1] not in _STOPS and paragraph_kind(ln) == BODY)
    paragraphs = [" ".join(b) for b in blocks] if len(blocks) > 1 and wrapped > stopped else [
        ln for b in blocks for ln in b]
    return [(paragraph_kind(part), part) for para in paragraphs for part in unglue(para)]


def test_segment_equals_the_plain_computation_on_laws_and_wikipedia(wiki_articles):
    """segment asks for a line's kind once (a memo shared with split_paragraphs): the same paragraphs and kinds
    on Vietnamese laws (hard-wrapped and not), Wikipedia articles, a hard-wrapped block and a one-line text."""
    from pathlib import Path

    from corpus.text.normalize import normalize
    from corpus.text.segment import segment
    from tests.conftest import SHARED

    laws = sorted((SHARED / "corpora" / "vi-legal").glob("*.txt"))[:12]
    texts = [normalize(Path(p).read_text(encoding="utf-8")) for p in laws] + [
        normalize(a["text"]) for a in wiki_articles]
    texts += ["Điều 1. Phạm vi\nđiều chỉnh của luật\n\nnày là các quan hệ\ndân sự.", "Một dòng", ""]
    assert sum(len(segment(t)) for t in texts) > 1_000
    for text in texts:
        assert segment(text) == _plain_segment(text)


def test_segment_searches_every_paragraph_the_whole_text_could_hold_a_match_in(wiki_articles):
    """segment looks for boilerplate needles and glued breaks once in the whole text and skips both per paragraph
    when there are none: the plain computation's paragraphs and kinds on laws and Wikipedia articles with
    boilerplate words, glued breaks and enumerators planted (some across a line break), normalised or not."""
    import random
    from pathlib import Path

    from corpus.text.normalize import normalize
    from corpus.text.segment import _glued, _needled, segment
    from tests.conftest import SHARED

    laws = [Path(p).read_text(encoding="utf-8") for p in sorted((SHARED / "corpora" / "vi-legal").glob("*.txt"))[:8]]
    plants = ["BẢN QUYỀN", "bản\nquyền", "Bản  \n quyền", "CopyRight", "©", "HTTPS://x.vn", "xem tại http://a.b",
              "cá thể .Đối với", "sau đây : .a) Có", "thể .\nĐối", "thể.Đối", " .1) Một", "Nội dung .Ông"]
    rng = random.Random(17)
    texts = []
    for raw in laws + [a["text"] for a in wiki_articles[:20]]:
        lines = raw.split("\n")[:300]
        texts.append("\n".join(lines))
        for _ in range(3):
            planted = list(lines)
            k = rng.randrange(len(planted))
            at = rng.randrange(len(planted[k]) + 1)
            planted[k] = planted[k][:at] + rng.choice(plants) + planted[k][at:]
            texts.append("\n".join(planted))
    searched = glued = 0
    for text in texts:
        for t in (normalize(text), "  " + text.replace("\n", " \n\t", 5)):
            whole = " ".join(filter(None, map(str.strip, t.split("\n"))))
            searched, glued = searched + _needled(whole), glued + _glued(whole)
            assert segment(t) == _plain_segment(t), t[:200]
            assert segment(t, repair_glued=False) == [
                (kind, part) for kind, part in _plain_segment_unrepaired(t)], t[:200]
    assert searched > 20 and glued > 20 and len(texts) * 2 - searched > 10


def _plain_segment_unrepaired(text):
    """_plain_segment without unglue."""
    import corpus.text.segment as seg

    keep, seg.unglue = seg.unglue, lambda p: [p]
    try:
        return _plain_segment(text)
    finally:
        seg.unglue = keep
