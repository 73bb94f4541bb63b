"""split_batch: Arrow's split of a batch of texts must give exactly what str.split() gives, whatever whitespace
the text holds (Unicode spaces, line and paragraph separators, control separators)."""

import pyarrow as pa

from corpus.text.tokens import split_batch

ODD_SPACES = ["\xa0", "\u2028", "\u3000", "\x1c", "\t", "\u202f", "\x85", "\r\n"]


def _tokens(texts) -> list[list[str]]:
    bounds, distinct, codes = split_batch(texts)
    return [[t for t in (distinct[c] for c in codes[bounds[i]: bounds[i + 1]]) if t] for i in range(len(bounds) - 1)]


def test_split_batch_equals_str_split_on_wikipedia_paragraphs(wiki_articles):
    paragraphs = [p for a in wiki_articles for p in a["text"].split("\n") if p.strip()]
    assert len(paragraphs) > 500 and any("ư" in p for p in paragraphs)
    expected = [p.split() for p in paragraphs]
    assert _tokens(paragraphs) == expected  # as a list
    chunked = pa.chunked_array([pa.array(paragraphs[:100], pa.large_string()),
                                pa.array(paragraphs[100:], pa.large_string())])
    assert _tokens(chunked) == expected  # as Arrow, in chunks


def test_split_batch_equals_str_split_with_every_kind_of_whitespace(wiki_articles):
    paragraphs = [p for a in wiki_articles[:5] for p in a["text"].split("\n") if len(p.split()) > 8][:60]
    odd = [space.join(p.split(" ")) if k % 2 else p.replace(" ", space, 3)
           for k, p in enumerate(paragraphs) for space in ODD_SPACES]
    assert sum(p.split() != p.split(" ") for p in odd) > 100  # the odd spaces are there, and str.split cuts at them
    assert _tokens(odd) == [p.split() for p in odd]
    # one odd text among plain ones: the whole batch is still split as str.split() would
    mixed = paragraphs[:30] + ["Hà\u2028Nội\xa0là thủ\u3000đô"] + paragraphs[30:]
    assert _tokens(mixed) == [p.split() for p in mixed]
    assert _tokens(mixed)[30] == ["Hà", "Nội", "là", "thủ", "đô"]


def test_spaces_only_cuts_at_plain_spaces_and_keeps_the_rest_in_the_token(wiki_articles):
    """spaces_only skips the whitespace rewrite: a text's tokens are its str.split(" ") pieces, a tab or a line
    separator staying inside its token (shingling looks for syllables inside each token)."""
    paragraphs = [p for a in wiki_articles[:5] for p in a["text"].split("\n") if len(p.split()) > 8][:60]
    odd = [p.replace(" ", space, 2) for p in paragraphs for space in ODD_SPACES] + ["", "  Hà  Nội "]
    bounds, distinct, codes = split_batch(odd, spaces_only=True)
    got = [[distinct[c] for c in codes[bounds[i]: bounds[i + 1]]] for i in range(len(odd))]
    assert got == [p.split(" ") for p in odd]
    assert any("\u3000" in token for tokens in got for token in tokens)
