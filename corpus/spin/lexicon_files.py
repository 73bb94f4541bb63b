"""Lexicon files → one Lexicon: our own files and spintax dictionaries as spinners ship them, read by one reader.

One group per line, in any of these shapes:
    {a|b|c} curated          any member may become any other; a provenance may follow the braces
    {a|x => b*2|c} seed      one-way: a and x are rewritten, into b (weight 2) or c
    a|b|c                    spintax without braces
    # comment, // comment    and blank lines are skipped
Files may be UTF-8 or UTF-16 (with or without BOM), Windows-1258 or gzipped. Each line is normalised the way a
recipe normalises its text (NFC, its tone-mark policy, spaces), so members meet text in the same form.

Real dictionaries overlap and are messy; one policy, applied in recipe order (lexicon, then file, then line), makes
the result the same every time, and each kind of repair is counted (KINDS):
- a member repeated inside its group (also after normalisation: hoà / hòa) is kept once;
- a member with characters other than letters, digits and single spaces is dropped; one with digits is kept;
- a member over MAX_SYLLABLES syllables is only ever written, never matched (the spinner's window);
- **first group wins**: a member that an earlier group already matches stays in the later group as an output
  only (the later group may still write it, but a match of it always goes to the earlier group);
- a group left with nothing to match still tells a de-spinner what its members may have been (kept, matching
  nothing); one with fewer than two members is skipped, and so is a line that is not a group at all
  (unbalanced braces, two arrows, an unknown provenance, more than MAX_MEMBERS members), each with its file and
  line.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from corpus.config.settings import LexiconSpec
from corpus.spin.lexicon import MAX_SYLLABLES, Group, Lexicon, LexiconError, rule_of
from corpus.rand import stable_hash

PROVENANCES = ("seed", "curated", "learned", "mined")  # and external:<name>
_EXTERNAL = re.compile(r"^external:[a-z0-9][a-z0-9._-]*$")
KINDS = {
    "bad_line": "lines skipped: not a group",
    "single_member": "groups skipped: fewer than two members, or nothing to write",
    "absorbed_group": "groups that match nothing, every member matched by an earlier group (kept for de-spinning)",
    "shared_member": "members kept as outputs only: an earlier group matches them (first group wins)",
    "repeated_member": "members dropped: repeated inside their group",
    "punctuation": "members dropped: characters other than letters, digits and single spaces",
    "empty_member": "members dropped: empty",
    "over_limit": f"members never matched: more than {MAX_SYLLABLES} syllables",
    "digits": "members kept with digits",
    "normalised_line": "lines whose letters normalisation changed (NFC, tone marks, invisible characters)",
}
LINE_LIMIT = 10_000  # characters; a longer line is data, not a synonym group
MAX_MEMBERS = 64  # a group of more is a list, not synonyms (and costs members² to index, and to invert)
SHOWN_SKIPS = 20  # bad lines listed by file:line in the manifest (all are counted)
COMPILED = "lexicon.jsonl.gz"  # the resolved lexicon a build keeps, which `corpus restore` and `detect` use

_BRACED = re.compile(r"^\{(?P<body>[^{}]*)\}(?:\s+(?P<prov>[^\s#]+))?\s*(?:#.*)?$")
_WEIGHT = re.compile(r"^(?P<phrase>.*?)\s*\*(?P<weight>[1-9]\d{0,2})$")
_MEMBER = re.compile(r"^[^\W_]+( [^\W_]+)*$")
_DIGIT = re.compile(r"\d")
_LATIN = re.compile("[\x09\x0a\x0d\x20-\x7e\u00a0-\u024f\u0300-\u036f\u1e00-\u1eff\u2000-\u206f\ufeff]")


def valid_provenance(value: str) -> bool:
    return value in PROVENANCES or bool(_EXTERNAL.match(value))


PACKAGE = LexiconSpec(
    name="package", license="MIT, as the toolkit (written for it; the seed's entries are attested on the seed page)",
    description="The toolkit's own lexicon: groups attested on the seed page and curated groups over ten domains "
                "(corpus/data/lexicon/*.txt), plus number words to digits (corpus/data/numbers.txt).")


@dataclass
class Loaded:
    lexicon: Lexicon
    reports: list[dict] = field(default_factory=list)  # one per lexicon: files, counts, skipped lines


def package_files() -> list:
    """The toolkit's own lexicon files, in the order they are read."""
    root = resources.files("corpus.data")
    lexicon = sorted((f for f in root.joinpath("lexicon").iterdir() if f.name.endswith(".txt")), key=lambda f: f.name)
    return [*lexicon, root.joinpath("numbers.txt")]


def half_of(rule: str) -> str:
    """"a" or "b": the held-out half a group belongs to, by a hash of its rule (the same in every build)."""
    return "ab"[stable_hash("heldout", rule) % 2]


@lru_cache(maxsize=4)
def load_lexicons(specs: tuple[LexiconSpec, ...], tone_policy: str, half: str | None = None) -> Loaded:
    """Read, normalise and resolve the lexicons, in order; `half` keeps only the groups of one held-out half
    (before resolution, as a build given only that half would). Raises LexiconError for a file that cannot be
    read at all or a lexicon with no usable group; bad lines are skipped and reported."""
    claimed: set[str] = set()  # lower-cased sources of the groups kept so far
    groups: list[Group] = []
    reports = []
    for spec in specs:
        parsed, read_counts, skipped, inputs = _read(spec, tone_policy)
        counts = Counter(read_counts)
        kept = len(groups)
        for raw in parsed:
            if half and half_of(rule_of(spec.name, raw[0], raw[1])) != half:
                continue
            group = _resolve(raw, spec, claimed, counts)
            if group is not None:
                groups.append(group)
        mine = groups[kept:]
        if not mine and not half:
            first = f" (first: {skipped[0]})" if skipped else ""
            raise LexiconError(f"lexicon {spec.name!r}: no usable group in {len(inputs)} file(s){first}")
        reports.append({
            "name": spec.name, "provenance": spec.default_provenance, "weight": spec.weight,
            "license": spec.license, "description": spec.description, "inputs": list(inputs),
            "groups": len(mine), "phrases": len({s.lower() for g in mine for s in g.sources}),
            "outputs": len({t.lower() for g in mine for t in g.targets}),
            "by_provenance": dict(sorted(Counter(g.provenance for g in mine).items())),
            "counts": dict(counts), "skipped": list(skipped[:SHOWN_SKIPS]),
        })
    return Loaded(Lexicon(groups), reports)


def forget() -> None:
    """Drop every lexicon this process has read (a benchmark times cold loads)."""
    load_lexicons.cache_clear()
    _read.cache_clear()


@lru_cache(maxsize=8)
def _read(spec: LexiconSpec, tone_policy: str) -> tuple[tuple, dict, tuple, tuple]:
    """One lexicon's files, parsed (once per process: a build resolves them three times, whole and by halves):
    (groups as parsed, counts of the repairs parsing made, bad lines, the files with their sha256)."""
    counts = Counter({k: 0 for k in KINDS})
    skipped: list[str] = []
    parsed = []
    files = _files(spec)
    for label, data, where in files:
        parsed += [(label, *raw) for raw in _parse(_decode(data, where), spec, label, tone_policy, counts, skipped)]
    inputs = tuple({"name": where, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                   for _, data, where in files)
    return tuple(parsed), dict(counts), tuple(skipped), inputs


def _files(spec: LexiconSpec) -> list[tuple[str, bytes, str]]:
    """(label in rules, bytes, name in messages) of each file; labels are base names unless two clash."""
    try:
        if not spec.paths:
            found = [(f.name, f.read_bytes(), f"pkg:corpus/data/{'' if f.name == 'numbers.txt' else 'lexicon/'}"
                                              f"{f.name}") for f in package_files()]
        else:
            for i in spec.inputs:
                if i.problem:
                    raise LexiconError(f"lexicon {spec.name!r}: {i.name}: {i.problem}")
            found = [(Path(i.name).name, i.path.read_bytes(), i.name) for i in spec.inputs]
    except OSError as e:
        raise LexiconError(f"lexicon {spec.name!r}: cannot read {e.filename}: {e.strerror}") from None
    names = Counter(label for label, _, _ in found)
    return [(label if names[label] == 1 else where, data, where) for label, data, where in found]


def _decode(data: bytes, where: str) -> str:
    """The reader of text sources, plus UTF-16 without a BOM that does not read as running Vietnamese (a word
    list has few of the function words that reader looks for): accepted when it decodes to Latin script."""
    from corpus.readers import Skip
    from corpus.readers.text import decode

    text = decode(data, where, "lexicon")
    if isinstance(text, Skip) and b"\x00" in data[:4096]:
        for codec in ("utf-16-le", "utf-16-be"):
            try:
                guess = data.decode(codec)
            except UnicodeDecodeError:
                continue
            if len(_LATIN.findall(guess)) >= 0.95 * len(guess):
                return guess
    if isinstance(text, Skip):
        raise LexiconError(f"{text.where}: {text.reason}")
    return text


def _parse(text: str, spec: LexiconSpec, label: str, tone_policy: str, counts: Counter, skipped: list[str]):
    """(line, provenance, sources, targets with weights) of each group line; bad lines counted and listed."""
    from corpus.text.normalize import normalize

    default = spec.default_provenance
    raws = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    normalised = normalize(text.replace("\r\n", "\n"), tone_policy).split("\n")  # one call: 10x faster
    if len(normalised) != len(raws):  # a U+2028 or form feed inside a line: normalise line by line
        normalised = [normalize(raw, tone_policy) for raw in raws]
    for n, (raw, line) in enumerate(zip(raws, normalised), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith(("#", "//")):
            continue

        def bad(reason: str) -> None:
            counts["bad_line"] += 1
            skipped.append(f"{spec.name}/{label}:{n}: {reason}")

        if len(stripped) > LINE_LIMIT:
            bad(f"a line of {len(stripped):,} characters, not a group")
            continue
        counts["normalised_line"] += line != " ".join(stripped.split())
        m = _BRACED.match(line)
        if m:
            body, provenance = m["body"], m["prov"] or default
            if m["prov"] and not valid_provenance(m["prov"]):
                bad(f"provenance {m['prov']!r} is not one of {', '.join(PROVENANCES)} or external:<name>")
                continue
        elif "{" in line or "}" in line:
            bad("braces unbalanced, nested, or more than one group on the line")
            continue
        elif "=>" in line:
            bad("'=>' needs braces: {a => b|c}")
            continue
        else:
            body, provenance = line.split("#", 1)[0], default
        if body.count("=>") > 1:
            bad("more than one '=>'")
            continue
        if body.count("|") >= MAX_MEMBERS:
            bad(f"{body.count('|') + 1} members: more than {MAX_MEMBERS}")
            continue
        left, arrow, right = body.partition("=>")
        seen: set[str] = set()
        members = _members(left, seen, counts)  # weights on the left of '=>' mean nothing and are ignored
        sources = [p for p, _ in members]
        targets = _members(right, seen, counts) if arrow else members
        long = [s for s in sources if s.count(" ") >= MAX_SYLLABLES]
        counts["over_limit"] += len(long)
        sources = [s for s in sources if s.count(" ") < MAX_SYLLABLES]
        if not sources or not targets or (not arrow and len(targets) < 2):
            counts["single_member"] += 1
            continue
        written, weights = zip(*targets)
        yield n, provenance, tuple(sources), written, weights, bool(arrow)


def _members(side: str, seen: set[str], counts: Counter) -> list[tuple[str, int]]:
    """(phrase, weight) of each valid member of one side, first spelling of a repeated one; repairs counted."""
    out = []
    for raw in side.split("|"):
        member = raw.strip()
        if not member:
            counts["empty_member"] += 1
            continue
        m = _WEIGHT.match(member) if "*" in member else None
        phrase, weight = (m["phrase"], int(m["weight"])) if m else (member, 1)
        if not _MEMBER.match(phrase):
            counts["punctuation"] += 1
            continue
        key = phrase.lower()
        if key in seen:
            counts["repeated_member"] += 1
            continue
        seen.add(key)
        counts["digits"] += bool(_DIGIT.search(phrase))
        out.append((phrase, weight))
    return out


def _resolve(raw: tuple, spec: LexiconSpec, claimed: set[str], counts: Counter) -> Group | None:
    """First group wins: sources an earlier group matches become outputs only (or are lost, on a left side)."""
    label, line, provenance, sources, targets, weights, directed = raw
    lowered = [s.lower() for s in sources]
    free = tuple(s for s, low in zip(sources, lowered) if low not in claimed)
    if len(free) < len(sources):
        counts["shared_member"] += len(sources) - len(free)
        if not free:
            counts["absorbed_group"] += 1
            if directed:
                return None  # its left side is all it could ever rewrite
    claimed.update(lowered)
    return Group(spec.name, label, line, provenance, free, targets, weights, directed, spec.weight)


def as_line(group: Group, spintax: bool = False) -> str:
    """The group as a lexicon line in our format (`spintax`: every member of it, braces, no direction or weight,
    as spinners' dictionaries have them)."""
    if spintax:
        members = list(dict.fromkeys([*group.sources, *group.targets]))
        return "{" + "|".join(members) + "}"
    written = "|".join(t if w == 1 else f"{t}*{w}" for t, w in zip(group.targets, group.weights))
    body = f"{'|'.join(group.sources)} => {written}" if group.directed else written
    return "{" + body + "} " + group.provenance


def write_compiled(lexicon: Lexicon, path: Path) -> None:
    """The resolved groups, one JSON object a line, gzipped without a timestamp: same groups, same bytes."""
    lines = "".join(json.dumps({"lexicon": g.lexicon, "file": g.file, "line": g.line, "provenance": g.provenance,
                                "sources": g.sources, "targets": g.targets, "weights": g.weights,
                                "directed": g.directed, "rate": g.rate},
                               ensure_ascii=False) + "\n" for g in lexicon.groups)
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
        f.write(lines.encode("utf-8"))


def read_compiled(path: Path) -> Lexicon:
    """A build's lexicon, exactly as its rows were spun with it."""
    groups = []
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for n, line in enumerate(f, start=1):
                g = json.loads(line)
                groups.append(Group(g["lexicon"], g["file"], g["line"], g["provenance"], tuple(g["sources"]),
                                    tuple(g["targets"]), tuple(g["weights"]), g["directed"], g["rate"]))
    except (OSError, EOFError, ValueError, KeyError, TypeError, RecursionError) as e:
        raise LexiconError(f"{path}: not a lexicon written by a build ({type(e).__name__}: {str(e)[:200]})") from None
    return Lexicon(groups)
