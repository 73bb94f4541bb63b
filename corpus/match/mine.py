"""Mining: find the original of each paragraph of a raw (possibly spun) page among the clean paragraphs, and tell a
spun copy and an exact copy from text that is merely on the same topic.

1. Candidates: MinHash LSH over 2-syllable shingles, laid out so that a pair at Jaccard `threshold` is proposed
   with probability >= RECALL (a spinner that changes 15-20% of words leaves a 2-shingle Jaccard of 0.36-0.6,
   ../shared/docs/mining-notes.md; 3-shingles fall to 0.23). The raw side is indexed (numpy arrays sorted per
   band) and clean paragraphs stream through it, so memory grows with the raw pages, not with the corpus; the
   pairs that share most bands are verified.
2. Verification (`verify`): a token alignment (syllables and marks, case-insensitive; spacing ignored, as the
   spinner re-spaces). A spun copy keeps the original's skeleton: most of each side in order, short
   substituted blocks in between, the same numbers and the same names. Legal formulas repeated with other
   words, and same-topic text, change numbers, names, clause labels or long stretches.
3. The page (`sources`): a spun page is a copy of one article, so the document that explains most of a page is
   its source, and a paragraph that shows the spinner left it alone (a mark the spinner would have spaced,
   unspaced) must be an exact copy of its original there. Spun pairs come only from the source document;
   exact copies from it first, else from anywhere. Raw paragraphs of a page with a source but no pair are
   looked for again among all that document's paragraphs (formula paragraphs repeat in hundreds of articles,
   more than LSH candidates are verified).
"""

from __future__ import annotations

import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz.distance import Indel

from corpus.config.settings import MIN_SHARED, MineSettings  # declared with the recipe's other settings
from corpus.match.dedup import band_keys, shingle_sets
from corpus.text.tokens import NUMBER_WORDS, tokens

# MINE_RECALL (0.99) and MIN_SHARED (3 bands a pair shares before it is verified: pairs sharing one or two are mostly
# chance) sit with MineSettings, whose bands follow from them
SOURCE_SHARE = 0.3  # a page's source document explains at least this share of its paragraphs (summed scores)
PREFILTER = 0.15  # share of a clean paragraph's shingles that some raw paragraph must have before its MinHash
_DIGITS = re.compile(r"\d")
# The spinner family's re-joining: a space before ; : ? ! and before the final full stop, spaced curly quotes,
# re-spaced document numbers, a lost line break (" .Next"); inner full stops keep their place (seed: 0 of 10).
_MARKS = re.compile(r"\S [.;:!?](?=\s|$|[\"”’)\]])|\S \.(?=[^\W_])|“ | ”|\d+ [–-] [A-ZĐ]+ / [A-ZĐ]")
_SPACEABLE = re.compile(r"[^\s.]\.[\"”’)\]]*$|\S[;:?!](?=\s|$|[\"”’)\]])|[“”]|\d+-[A-ZĐ]+/[A-ZĐ]")
_ENUMERATOR = re.compile(r"^(?:\d{1,3}|[a-zđ])[.)]")
_GLUED_INSIDE = re.compile(r"\S \.(?=[^\s.,;:!?…])")  # a lost line break the segmenter could not undo


_SHIFT = np.uint64(64 - 20)  # a value's slot: its top 20 bits


def _slots(universe: np.ndarray) -> np.ndarray:
    """Flags of the slots the universe's values fill (1 MB): a value in an empty slot is not one of them."""
    flags = np.zeros(1 << 20, dtype=bool)
    flags[universe >> _SHIFT] = True
    return flags


def _members(values: np.ndarray, universe: np.ndarray, slots: np.ndarray | None = None) -> np.ndarray:
    """np.isin(values, universe) for a sorted universe (slots: its _slots): a binary search only for the values
    in a filled slot (a page's few raw shingles leave most clean ones out: 5x faster than searching them all)."""
    found = np.zeros(len(values), dtype=bool)
    if not len(universe):
        return found
    maybe = np.flatnonzero((_slots(universe) if slots is None else slots)[values >> _SHIFT])
    wanted = values[maybe]
    found[maybe] = universe[np.minimum(np.searchsorted(universe, wanted), len(universe) - 1)] == wanted
    return found


class RawIndex:
    """The raw paragraphs, indexed for LSH lookups: their band keys sorted (numpy, all bands in one array, each
    with its band and raw paragraph); and every shingle they have, so that clean paragraphs that share too few
    with all of them skip the MinHash. Both with _slots, so that a clean paragraph's shingles and keys that no
    raw paragraph has cost no binary search."""

    def __init__(self, texts: list[str], settings: MineSettings):
        self.texts, self.settings = texts, settings
        offsets, hashes = shingle_sets(texts, settings.shingle)
        keys = band_keys(offsets, hashes, settings.bands, seed=3)
        self.universe = np.unique(hashes)
        self.universe_slots = _slots(self.universe)
        order = np.argsort(keys.reshape(-1), kind="stable")
        self.keys, (self.raws, self.bands) = keys.reshape(-1)[order], np.divmod(order, keys.shape[1])
        self.key_slots = _slots(self.keys)

    def band_rows(self, texts) -> tuple[np.ndarray, np.ndarray]:
        """(rows, band keys) of the texts that share at least PREFILTER of their shingles with the raw ones (a
        pair at Jaccard j shares at least j of each side's shingles), one row of keys each."""
        offsets, hashes = shingle_sets(texts, self.settings.shingle)
        lengths = np.diff(offsets)
        owner = np.repeat(np.arange(len(lengths)), lengths)
        shared = np.bincount(owner, weights=_members(hashes, self.universe, self.universe_slots),
                             minlength=len(lengths))
        rows = np.flatnonzero((lengths > 0) & (shared >= PREFILTER * lengths))
        chosen = np.zeros(len(lengths), dtype=bool)
        chosen[rows] = True
        kept = chosen[owner]  # np.isin(owner, rows), by indexing
        sub = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths[rows], out=sub[1:])
        return rows, band_keys(sub, hashes[kept], self.settings.bands, seed=3)

    def pairs(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query row, raw paragraph, bands shared) of every pair that shares a band key; rows of `keys` are the
        band keys of clean paragraphs. The more bands a pair shares, the more alike its texts."""
        flat = keys.reshape(-1)  # entry e: row e // bands, band e % bands
        maybe = np.flatnonzero(self.key_slots[flat >> _SHIFT]) if len(self.keys) else np.zeros(0, np.int64)
        lo = self.keys.searchsorted(flat[maybe])
        n = self.keys.searchsorted(flat[maybe], side="right") - lo
        entries, at = np.repeat(maybe, n), np.repeat(lo - np.cumsum(n) + n, n) + np.arange(int(n.sum()))
        same = self.bands[at] == entries % keys.shape[1]  # the key in the same band
        if not same.any():
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        pair = entries[same] // keys.shape[1] * len(self.texts) + self.raws[at[same]]
        pair, shared = np.unique(pair, return_counts=True)
        return pair // len(self.texts), pair % len(self.texts), shared


@dataclass(frozen=True)
class Verdict:
    kind: str  # "copy", "spun" or "" (not a copy of this original)
    kept: float  # share of the original's tokens the raw paragraph keeps, in order
    covered: float  # share of the raw paragraph's tokens that come from the original, in order
    blocks: int  # substituted blocks
    longest: int  # tokens of the longest one, on either side

    @property
    def score(self) -> float:
        """How much of each side the other explains (F1 of the two shares): an original that is only a part of
        the raw paragraph, or contains it, scores lower than the whole of it."""
        total = self.kept + self.covered
        return round(2 * self.kept * self.covered / total, 4) if total else 0.0


def _name(block: list[str], at: int, text: list[str]) -> bool:
    """Does a block hold a capitalised syllable that does not open a sentence (a name, a title)?"""
    return any(w[:1].isupper() and i > 0 and text[i - 1] not in ".!?:" for i, w in enumerate(block, start=at))


def verify(clean: str, raw: str, settings: MineSettings) -> Verdict:
    """Is `raw` an exact or spun copy of `clean`? Exact: the same syllables and marks ("tỉnh ." is "tỉnh."),
    case included.
    Spun: at least `min_kept` of both sides in order, no substituted block over `max_block` tokens, the same
    clause label ("d)" is not "đ)"), the same numbers (a spinner writes digits for number words, "hai" -> "2",
    and changes no other number) and the same names (it leaves capitalised words mid-sentence alone)."""
    cased_a, cased_b = tokens(clean), tokens(raw)
    if cased_a == cased_b:
        return Verdict("copy", 1.0, 1.0, 0, 0)
    a, b = [w.lower() for w in cased_a], [w.lower() for w in cased_b]
    if a == b or _GLUED_INSIDE.search(raw):  # "Quốc gia" for "quốc gia" is another text, not a spin; and two
        return Verdict("", 0.0, 0.0, 0, 0)  # paragraphs glued (" .khi sinh") have no one original
    label_a, label_b = _ENUMERATOR.match(clean), _ENUMERATOR.match(raw)
    if (label_a or label_b) and (label_a and label_a[0]) != (label_b and label_b[0]):
        return Verdict("", 0.0, 0.0, 0, 0)
    equal, blocks, longest, other_text = 0, 0, 0, False
    span = [0, 0, 0, 0]  # the substituted block being read: a[i1:i2] became b[j1:j2]

    def close() -> None:
        nonlocal blocks, longest, other_text
        i1, i2, j1, j2 = span
        old, new = a[i1:i2], b[j1:j2]
        blocks, longest = blocks + 1, max(longest, len(old), len(new))
        other_text |= any(_DIGITS.search(w) for w in old) or (
            any(_DIGITS.search(w) for w in new) and not NUMBER_WORDS.intersection(old))
        other_text |= _name(cased_a[i1:i2], i1, cased_a) and _name(cased_b[j1:j2], j1, cased_b)

    for op in Indel.opcodes(a, b):
        if op.tag == "equal":
            equal += op.src_end - op.src_start
            if span[1] > span[0] or span[3] > span[2]:
                close()
            span = [op.src_end, op.src_end, op.dest_end, op.dest_end]
        else:
            span[1], span[3] = op.src_end, op.dest_end
    if span[1] > span[0] or span[3] > span[2]:
        close()
    kept, covered = (equal / len(a) if a else 0.0), (equal / len(b) if b else 0.0)
    spun = min(kept, covered) >= settings.min_kept and longest <= settings.max_block and not other_text
    return Verdict("spun" if spun else "", round(kept, 4), round(covered, 4), blocks, longest)


def spinner_marks(raw: str) -> bool | None:
    """Does the paragraph carry the spinner's re-joining artifacts (a space before . ; : ? !, spaced quotes,
    a re-spaced document number)? A paragraph the spinner rewrote has them, one it left alone does not; None
    when it has no mark the spinner would space (a caption, a title), so nothing can be told."""
    if _MARKS.search(raw):
        return True
    return False if _SPACEABLE.search(raw) else None


# A candidate original: (score, reading order, (source, doc_id, index, text), verdict)
Candidate = tuple[float, int, tuple[str, str, int, str], Verdict]


def _best(options: list[Candidate], settings: MineSettings) -> list[Candidate]:
    """Best score first, then reading order; at most `settings.candidates`."""
    return sorted(options, key=lambda c: (-c[0], c[1]))[: settings.candidates]


@dataclass(frozen=True)
class Scan:
    """A row-local task over one file of kept paragraphs (a build's spill): the verified originals it holds for
    the raw paragraphs, {raw: [Candidate]}. Without `wanted`: LSH candidates (pass one). With `wanted`
    ({(source, doc_id): raw paragraphs}): every paragraph of those documents against those raw paragraphs
    (pass two)."""

    index_path: str
    clean_sources: frozenset[str]
    wanted: dict = field(default_factory=dict)
    twins: dict = field(default_factory=dict)  # pass two: {kept paragraph's key: [(twin's identity, raws)]}

    def __call__(self, item: tuple[int, str]) -> dict[int, list[Candidate]]:
        number, path = item
        index = load_index(self.index_path)
        with pa.memory_map(path) as source:
            table = pa.ipc.open_file(source).read_all()
        clean = np.flatnonzero(pc.is_in(table.column("source"), pa.array(sorted(self.clean_sources), pa.string()))
                               .to_numpy(zero_copy_only=False))
        found: dict[int, list[Candidate]] = {}

        def check(row: tuple, r: int, identity: tuple | None = None) -> None:
            verdict = verify(row[3], index.texts[r], index.settings)
            if verdict.kind:
                found.setdefault(r, []).append((verdict.score, (number << 32) + row[4],
                                                (*(identity or row[:3]), row[3]), verdict))

        if self.wanted or self.twins:  # only the rows of the documents and kept paragraphs asked for
            docs = pc.binary_join_element_wise(table.column("source"), table.column("doc_id"), "/")
            keys = pc.binary_join_element_wise(docs, pc.cast(table.column("index"), pa.string()), "/")
            asked = pc.or_(pc.is_in(docs, pa.array(sorted(f"{s}/{d}" for s, d in self.wanted), pa.string())),
                           pc.is_in(keys, pa.array(sorted(self.twins), pa.string())))
            for row in _rows(table, clean[asked.to_numpy(zero_copy_only=False)[clean]]):
                for r in self.wanted.get((row[0], row[1]), ()):
                    check(row, r)
                for identity, raws in self.twins.get(f"{row[0]}/{row[1]}/{row[2]}", ()):
                    for r in raws:
                        check(row, r, identity)
        elif len(clean) and index.texts:  # Python objects only for the candidates
            candidates, keys = index.band_rows(table.column("text").take(clean))
            rows = _rows(table, clean[candidates])
            at, raws, shared = index.pairs(keys)
            order = np.lexsort((at, -shared, raws))  # by raw paragraph, most bands first, then reading order
            at, raws = at[order], raws[order]
            first = np.ones(len(raws), dtype=bool)
            first[1:] = raws[1:] != raws[:-1]
            rank = np.arange(len(raws)) - np.maximum.accumulate(np.where(first, np.arange(len(raws)), 0))
            keep = (rank < 4 * index.settings.candidates) & (shared[order] >= MIN_SHARED)
            for row, r in zip(at[keep].tolist(), raws[keep].tolist()):
                check(rows[row], r)
        return {r: _best(options, index.settings) for r, options in found.items()}


def _rows(table: pa.Table, rows: np.ndarray) -> list[tuple]:
    """(source, doc_id, index, text, row number) of the table's `rows`."""
    taken = table.take(rows)
    return list(zip(*(taken.column(c).to_pylist() for c in ("source", "doc_id", "index", "text")), rows.tolist()))


_INDEXES: dict[str, RawIndex] = {}


def load_index(path: str) -> RawIndex:
    """The raw index saved at `path`, once per process (workers forked after `keep_index` share it)."""
    if path not in _INDEXES:
        _INDEXES.clear()
        _INDEXES[path] = pickle.loads(Path(path).read_bytes())
    return _INDEXES[path]


def keep_index(path: str, index: RawIndex) -> None:
    Path(path).write_bytes(pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL))
    _INDEXES.clear()
    _INDEXES[path] = index


class Miner:
    """The driver's side: raw paragraphs in (as a build reads them), verified candidates merged from the scans,
    pairs out. `pages[r]` is raw paragraph r's page, `keys[r]` its (source, doc_id, index)."""

    def __init__(self, settings: MineSettings):
        self.settings = settings
        self.texts: list[str] = []
        self.keys: list[tuple[str, str, int]] = []
        self.found: dict[int, list[Candidate]] = {}  # pass one, and twins of its candidates
        self.home: dict[int, list[Candidate]] = {}  # pass two: in the page's source document

    def add_raw(self, source: str, doc_id: str, index: int, text: str) -> None:
        self.keys.append((source, doc_id, index))
        self.texts.append(text)

    def index(self) -> RawIndex:
        return RawIndex(self.texts, self.settings)

    def merge(self, found: dict[int, list[Candidate]], home: bool = False) -> None:
        """Add a scan's candidates (`home`: of pass two), keeping the best of each raw paragraph."""
        into = self.home if home else self.found
        for r, options in found.items():
            into[r] = _best(into.get(r, []) + options, self.settings)

    def pages(self) -> list[tuple[str, str]]:
        return [(s, d) for s, d, _ in self.keys]

    def sources(self) -> dict[tuple[str, str], tuple[str, str]]:
        """{page: the clean document it is a copy of}: the document that explains its paragraphs best (summed
        scores; ties: the first by name) if it explains at least SOURCE_SHARE of them, and unless one of the
        page's paragraphs that shows it was left alone is only a near match there (it would be an exact copy)."""
        pages, marked = self.pages(), [spinner_marks(t) for t in self.texts]
        size: dict = {}
        for page in pages:
            size[page] = size.get(page, 0) + 1
        votes: dict = {}
        against: dict = {}
        for r, options in self.found.items():
            best: dict = {}
            copies = {o[2][:2] for o in options if o[3].kind == "copy"}
            for score, _, original, _ in options:
                doc = original[:2]
                if marked[r] is False and doc not in copies:
                    against.setdefault(pages[r], set()).add(doc)
                else:
                    best[doc] = max(best.get(doc, 0.0), score)
            for doc, score in best.items():
                votes.setdefault(pages[r], {})
                votes[pages[r]][doc] = votes[pages[r]].get(doc, 0.0) + score
        out = {}
        for page, counted in votes.items():
            allowed = [kv for kv in counted.items()
                       if kv[0] not in against.get(page, ()) and kv[1] >= SOURCE_SHARE * size[page]]
            if allowed:
                out[page] = min(allowed, key=lambda kv: (-kv[1], kv[0]))[0]
        return out

    def wanted(self, sources: dict) -> dict[tuple[str, str], list[int]]:
        """{source document: raw paragraphs of its pages that have no pair yet}, for pass two."""
        paired = self.pairs(sources)
        out: dict = {}
        for r, page in enumerate(self.pages()):
            if r not in paired and page in sources:
                out.setdefault(sources[page], []).append(r)
        return out

    def pairs(self, sources: dict) -> dict[int, Candidate]:
        """{raw paragraph: its original}: a spun pairing only from the page's source document and not for a
        paragraph that shows it was left alone; an exact copy from the source document first, else from
        anywhere (formulas repeat, and a copy is a copy)."""
        pages, out = self.pages(), {}
        for r in sorted({*self.found, *self.home}):
            source = sources.get(pages[r])
            options = self.home.get(r, []) + self.found.get(r, [])
            for option in sorted(options, key=lambda o: o[2][:2] != source):
                verdict = option[3]
                if verdict.kind == "copy" or (verdict.kind == "spun" and option[2][:2] == source
                                              and spinner_marks(self.texts[r]) is not False):
                    out[r] = option
                    break
        return out


TWINS = pa.schema([("kept", pa.string()), ("source", pa.string()), ("doc_id", pa.string()), ("index", pa.int32())])


def mine(miner: Miner, spills: list[str], twins: list[str], clean_sources: frozenset[str], map_,
         work: Path) -> dict[int, Candidate]:
    """Both passes over the files of kept paragraphs through `map_` (an engine's map; results merged in file
    order, so the pairs do not depend on the number of workers): {raw paragraph: its original}.

    `twins` are files of the clean paragraphs the build dropped as exact duplicates (TWINS: the key of the copy
    kept, and the twin's own identity): a formula paragraph that a hundred articles repeat is kept once, yet a
    page copies it from its own article, so each candidate counts for every document that holds its text."""
    index_path = str(work / "mine-index.pkl")
    keep_index(index_path, miner.index())
    for found in map_(Scan(index_path, clean_sources), list(enumerate(spills))):
        miner.merge(found)
    candidates: dict[str, list[tuple[int, Candidate]]] = {}
    for r, options in miner.found.items():
        for option in options:
            candidates.setdefault("/".join(map(str, option[2][:3])), []).append((r, option))
    order = 1 << 62  # after every spill row
    for row in _twin_rows(twins, "kept", candidates):
        order += 1
        miner.merge({r: [(o[0], order, (row["source"], row["doc_id"], row["index"], o[2][3]), o[3])]
                     for r, o in candidates[row["kept"]]})
    sources = miner.sources()
    wanted = miner.wanted(sources)
    if wanted:
        home_twins: dict[str, list] = {}
        for row in _twin_rows(twins, "doc", {f"{s}/{d}" for s, d in wanted}):
            home_twins.setdefault(row["kept"], []).append(((row["source"], row["doc_id"], row["index"]),
                                                           wanted[row["source"], row["doc_id"]]))
        for found in map_(Scan(index_path, clean_sources, wanted, home_twins), list(enumerate(spills))):
            miner.merge(found, home=True)
    return miner.pairs(sources)


def _twin_rows(files: list[str], by: str, keys) -> list[dict]:
    """Rows of the twin files whose kept key (by="kept") or document (by="doc") is one of `keys`."""
    wanted = pa.array(sorted(keys), pa.string())
    out = []
    for path in files:
        with pa.memory_map(path) as source:
            table = pa.ipc.open_file(source).read_all()
        column = table.column("kept") if by == "kept" else pc.binary_join_element_wise(
            table.column("source"), table.column("doc_id"), "/")
        out += table.filter(pc.is_in(column, wanted)).to_pylist()
    return out


def pair_row(miner: Miner, r: int, original: Candidate) -> dict:
    """A mined row: the original as the clean side, the raw paragraph as the noisy side, the edits from their
    alignment. `id` names the raw paragraph (source/doc_id/paragraph of the page), `source`, `doc_id` and
    `paragraph` the original."""
    from corpus.spin.edits import align

    source, doc_id, index = miner.keys[r]
    clean_source, clean_doc, clean_index, clean = original[2]
    noisy = miner.texts[r]
    return {"id": f"{source}/{doc_id}/{index}", "clean": clean, "noisy": noisy, "origin": "mined",
            "source": clean_source, "doc_id": clean_doc, "paragraph": clean_index, "variant": 0,
            "edits": align(clean, noisy, "mined", original[3].kind) if clean != noisy else []}
