"""Recipes: TOML files that say which inputs become which dataset version, checked strictly before any work.

Every problem in a recipe is reported at once, each naming the file and the key. A recipe is data only:
nothing in it is evaluated or imported. The sections, keys, types, defaults and ranges are the dataclasses of
corpus.config.settings; the rules between keys and about the files named are here.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import math
import re
import stat
import tokenize
import tomllib
from dataclasses import Field, asdict, dataclass, fields, replace
from importlib import resources
from pathlib import Path

import corpus
from corpus.config.settings import (SECTIONS, TABLES, DedupSettings, FilterSettings, LexiconSpec, MineSettings,
                                    NoiseSettings, RealSettings, Source, accepts, keys, required, type_name)
from corpus.readers.paths import expand
from corpus.spin.lexicon_files import PACKAGE, package_files, PROVENANCES, Loaded, load_lexicons, valid_provenance

MAX_RECIPE_BYTES = 1 << 20
LICENSE_FILE = "LICENSE.md"  # written into each version from the sources' licences; the card's license_link
_REQUIRED = object()
_REPO_PART = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?")  # the Hub's rule for ORG and NAME


class RecipeError(ValueError):
    def __init__(self, path: Path, problems: list[str]):
        self.path, self.problems = path, problems
        super().__init__("\n".join(f"{path}: {p}" for p in problems))


@dataclass(frozen=True)
class InputFile:
    name: str  # how the build manifest and the card refer to it (relative to the recipe, or pkg:...)
    path: Path
    bytes: int
    sha256: str
    problem: str = ""  # why it cannot be read (a folder, a symlink loop, no permission): the build skips it
    key: str = ""  # its path below the fixed folders of its pattern ("x.txt" of "../corpora/*.txt"): text ids
    # use it, so moving the files (and the pattern with them) changes no document id and no split


@dataclass(frozen=True)
class Recipe:
    path: Path
    name: str
    version: str
    pretty_name: str
    description: str
    license: str
    license_name: str
    license_link: str
    card_template: Path
    seed: int
    changelog: tuple[str, ...]
    sources: tuple[Source, ...]
    tone_marks: str
    repair_glued: bool
    min_chars: int
    max_chars: int
    noise: NoiseSettings
    dedup: DedupSettings
    splits: dict[str, float]
    shard_mb: float  # a split's Parquet file rolls over to the next past this size
    real: InputFile | None = None  # hand-restored real pairs: the `real` test config, and calibration
    real_source: str = ""  # the recipe source and document the real pairs were spun from
    real_doc_id: str = ""
    calibration_draws: int = RealSettings().draws
    lexicons: tuple[LexiconSpec, ...] = (PACKAGE,)  # in order: an earlier lexicon's group wins a shared member
    mine: MineSettings = MineSettings()
    hub_repo: str = ""  # ORG/NAME the card's load snippet names; publish sends the build there and nowhere else
    min_vietnamese: float = FilterSettings().min_vietnamese  # [filters]: see corpus.config.settings
    final_punct: bool = FilterSettings().final_punct
    respace_punct: bool = FilterSettings().respace_punct
    steps: tuple[str, ...] = ()  # [pipeline] steps, by name; none: the default steps (the pipeline checks the names)

    @property
    def mining(self) -> bool:
        """Are the originals of raw paragraphs looked for? Only when there are raw and clean sources."""
        roles = {s.role for s in self.sources}
        return self.mine.enabled and roles == {"raw", "clean"}

    def load_lexicons(self, half: str | None = None) -> Loaded:
        """The recipe's lexicons, read and resolved (once per process); `half`: one held-out half of the groups."""
        return load_lexicons(self.lexicons, self.tone_marks, half)

    def resolved(self) -> dict:
        """The recipe as the build sees it: defaults filled in, inputs by name and sha256, no local paths."""
        skip = ("path", "sources", "noise", "dedup", "real", "lexicons", "mine")
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}
        if self.real:
            out["real"] = {"name": self.real.name, "sha256": self.real.sha256}
        out["card_template"] = self.card_template.name
        out["changelog"] = list(self.changelog)
        out["steps"] = list(self.steps)
        out["noise"] = asdict(self.noise)
        out["mine"] = asdict(self.mine)
        out["dedup"] = asdict(self.dedup)
        out["sources"] = [
            {**{k: v for k, v in asdict(s).items() if k != "inputs"}, "paths": list(s.paths),
             "inputs": [{"name": i.name, "bytes": i.bytes, "sha256": i.sha256, **({"problem": i.problem}
                         if i.problem else {})} for i in s.inputs]}
            for s in self.sources
        ]
        out["lexicons"] = [
            {**{k: v for k, v in asdict(x).items() if k != "inputs"}, "paths": list(x.paths),
             "provenance": x.default_provenance,
             "inputs": [{"name": i.name, "bytes": i.bytes, "sha256": i.sha256} for i in x.inputs]}
            for x in self.lexicons
        ]
        return out

    @property
    def shard_bytes(self) -> int:
        return int(self.shard_mb * 2**20)

    def fingerprint(self) -> str:
        """Changes whenever anything that shapes the output changes: recipe, inputs, toolkit code and data, template.

        The toolkit's own source is hashed too, so new code never hides behind an unchanged version number.
        """
        h = hashlib.sha256()
        h.update(json.dumps(self.resolved(), sort_keys=True, ensure_ascii=False).encode())
        h.update(corpus.__version__.encode())
        h.update(code_digest(Path(corpus.__file__).parent))
        for f in _noise_data():
            h.update(f.name.encode() + hashlib.sha256(f.read_bytes()).digest())
        h.update(self.card_template.read_bytes())
        return h.hexdigest()[:16]


def _noise_data() -> list:
    """The packaged resources whose bytes shape the noise (they enter the build fingerprint)."""
    root = resources.files("corpus.data")
    return [*package_files(), *(root.joinpath(name) for name in ("abbreviations.txt", "boilerplate.txt",
                                                                 "spun_phrases.txt", "seo_titles.txt"))]


def code_digest(package: Path) -> bytes:
    """sha256 of a package's code as Python runs it: comments, docstrings, blank lines and trailing spaces left
    out, so a comment edit keeps every fingerprint and a changed line of code changes them all."""
    h = hashlib.sha256()
    for f in sorted(package.rglob("*.py")):
        h.update(f.relative_to(package).as_posix().encode() + b"\0" + _code_only(f.read_bytes()) + b"\0")
    return h.digest()


def _code_only(source: bytes) -> bytes:
    """The source without its comments and docstrings (string statements), found by Python's tokenizer; the same
    text on every Python version, since only those spans are cut. Code the tokenizer refuses is kept whole."""
    lines = source.decode("utf-8", errors="surrogateescape").splitlines()
    cuts: list[tuple[tuple[int, int], tuple[int, int]]] = []
    try:
        tokens = [t for t in tokenize.tokenize(io.BytesIO(source).readline)
                  if t.type not in (tokenize.NL, tokenize.ENCODING)]
    except (tokenize.TokenError, SyntaxError):
        tokens = []
    code = [t for t in tokens if t.type != tokenize.COMMENT]
    cuts += [(t.start, t.end) for t in tokens if t.type == tokenize.COMMENT]
    for before, t, after in zip([None, *code], code, [*code[1:], None]):
        # a docstring: a statement that is one string
        if t.type == tokenize.STRING and after is not None and after.type == tokenize.NEWLINE and (
                before is None or before.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)):
            cuts.append((t.start, t.end))
    cuts.sort()
    for (r0, c0), (r1, c1) in reversed(cuts):  # rows are 1-based; later spans first keep earlier offsets
        head, tail = lines[r0 - 1][:c0], lines[r1 - 1][c1:]
        lines[r0 - 1 : r1] = [head + tail]
    kept = [line.rstrip() for line in lines if line.strip()]
    return "\n".join(kept).encode("utf-8", errors="surrogateescape")


def _shown(value: object) -> str:
    """A value as a message quotes it: its repr, a long string cut at 80 characters."""
    if isinstance(value, str) and len(value) > 80:
        return f"{value[:80]!r}…"
    return repr(value) if isinstance(value, str | list | dict) else str(value)


def _check(f: Field, value: object) -> tuple[object, list[str]]:
    """One key's value against its declaration (type, finiteness, range, choices, pattern): the value to keep (a
    list keeps its strings) and the problems, each completing "KEY: "."""
    if not accepts(f, value):
        wanted = {"float": "int or float", "list[str]": "list of strings"}.get(type_name(f), type_name(f))
        return None, [f"expected {wanted}, got {type(value).__name__} {_shown(value)}"]
    if isinstance(value, float) and not math.isfinite(value):  # TOML has nan and inf; no setting wants them
        return None, [f"{value} is not a finite number"]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)], [f"{_shown(v)} is not a string" for v in value
                                                          if not isinstance(v, str)]
    m, problem = f.metadata, ""
    bounds = m.get("range")
    if bounds and value not in bounds:
        problem = (f"{value} is not {m['noun'] + ' ' if m['noun'] else ''}{bounds.phrase()}" if bounds.closed
                   else f"{value} must be {bounds.phrase()}") + f" — {m['doc']}"
    elif m.get("choices") and value not in m["choices"]:
        problem = f"{_shown(value)} is not one of {', '.join(m['choices'])}"
    elif m.get("pattern") and not (value == "" == f.default) and not m["pattern"].fullmatch(value):
        problem = f"{_shown(value)} {m['expect']}"
    return (None, [problem]) if problem else (value, [])


def _typed(cls: type, table: dict, where: str, problems: list[str]) -> tuple[dict, set[str]]:
    """A recipe table checked against its settings dataclass, every problem named `where.key`: the values (a
    missing key's default; _REQUIRED for a required one) and the keys that are missing or wrong (which keep their
    default, so that rules between keys can skip them)."""
    declared = {f.name: f for f in keys(cls)}
    for key in table:
        if key not in declared:
            problems.append(f"{where}.{key}: unknown key (expected one of: {', '.join(declared)})")
    out, bad = {}, set()
    for name, f in declared.items():
        default = _REQUIRED if required(f) else list(f.default) if isinstance(f.default, tuple) else f.default
        if name not in table:
            if default is _REQUIRED:
                problems.append(f"{where}.{name}: missing")
                bad.add(name)
            out[name] = default
            continue
        value, found = _check(f, table[name])
        problems += [f"{where}.{name}: {p}" for p in found]
        if found:
            bad.add(name)
        out[name] = default if value is None else value
    return out, bad


def template_problems(path: Path) -> list[str]:
    """A card template checked before any work (it is rendered only at the end of a build): UTF-8, Jinja syntax,
    and no include / extends / import, which would read other files than the recipe names."""
    from jinja2 import TemplateSyntaxError, nodes
    from jinja2.sandbox import SandboxedEnvironment

    try:
        tree = SandboxedEnvironment().parse(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        return [f"dataset.card_template: {path} is not UTF-8 (byte {e.start})"]
    except TemplateSyntaxError as e:
        return [f"dataset.card_template: {path}:{e.lineno}: {e.message}"]
    except OSError as e:
        return [f"dataset.card_template: cannot read {path} ({e.strerror or e})"]
    found = {type(n).__name__.lower() for n in tree.find_all((nodes.Include, nodes.Extends, nodes.Import,
                                                              nodes.FromImport))}
    return [f"dataset.card_template: {path} uses {', '.join(sorted(found))}: a card template must stand alone"] \
        if found else []


def sha256_file(path: Path) -> str:
    """A file's sha256, read a megabyte at a time."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def resolve_inputs(pattern: str, base: Path) -> list[InputFile]:
    """Files for one path pattern: relative to the recipe's folder, or pkg:PACKAGE/GLOB inside an installed package."""
    if pattern.startswith("pkg:"):
        package, _, rel = pattern[4:].partition("/")
        root = _package_root(pattern)
        found = [Path(p) for p in expand(str(root / rel))]
        names = [f"pkg:{package}/{p.relative_to(root).as_posix()}" for p in found]
    else:
        root, rel = base, pattern
        found = [Path(p) for p in expand(str(base / pattern))]
        names = [Path(p).relative_to(base).as_posix() if Path(p).is_relative_to(base) else str(p) for p in found]
    fixed = root / _fixed_folders(rel)
    wildcard = re.search(r"[*?[]", pattern) is not None
    inputs = [_inspect(n, p, wildcard) for n, p in zip(names, found)]
    return [replace(i, key=p.relative_to(fixed).as_posix() if p.is_relative_to(fixed) else p.name)
            for i, p in zip(inputs, found) if i is not None]


def _package_root(pattern: str) -> Path:
    return Path(str(resources.files(pattern[4:].partition("/")[0])))


def _fixed_folders(pattern: str) -> str:
    """The folders a pattern names before its first wildcard ("../corpora" of "../corpora/**/*.txt", "a" of
    "a/b.txt"): what is below them is a file's key."""
    fixed = []
    for part in Path(pattern).parts[:-1]:
        if re.search(r"[*?[]", part):
            break
        fixed.append(part)
    return str(Path(*fixed)) if fixed else ""


def _inspect(name: str, path: Path, wildcard: bool) -> InputFile | None:
    """An input with its size and hash, or with the problem that will make the build skip it; None for a folder
    that a wildcard matched (patterns such as "data/**" match folders on their way to files)."""
    try:
        info = path.stat()
    except OSError as e:
        problem = {errno.ELOOP: "a symbolic link loop, not a file",
                   errno.ENOENT: "a broken symbolic link (its target does not exist)"}.get(
            e.errno, f"cannot be examined ({e.strerror})")
        return InputFile(name, path, 0, "", problem)
    if stat.S_ISDIR(info.st_mode):
        return None if wildcard else InputFile(name, path, 0, "", f"a folder, not a file: name the files in it, "
                                                                  f"e.g. '{name}/*.txt'")
    if not stat.S_ISREG(info.st_mode):
        return InputFile(name, path, 0, "", "not a regular file (a pipe, socket or device)")
    try:
        return InputFile(name, path, info.st_size, sha256_file(path))
    except OSError as e:
        return InputFile(name, path, info.st_size, "", f"cannot be read ({e.strerror})")


def _paths(patterns: list, where: str, base: Path, problems: list[str]) -> list[InputFile]:
    """The files of a list of path patterns; a pattern that is not a string, names a package that is not
    installed or matches nothing is a problem."""
    inputs: list[InputFile] = []
    for pattern in patterns:
        if not isinstance(pattern, str):
            problems.append(f"{where}.paths: {pattern!r} is not a string")
            continue
        try:
            found = resolve_inputs(pattern, base)
        except (ModuleNotFoundError, TypeError):
            problems.append(f"{where}.paths: package in {pattern!r} is not installed")
            continue
        if not found:
            place = f"the installed package {pattern[4:].split('/')[0]!r}, at {_package_root(pattern)}" \
                if pattern.startswith("pkg:") else base
            problems.append(f"{where}.paths: {pattern!r} matches no file (looked in {place})")
        inputs += found
    return inputs


def load_recipe(path: Path | str) -> Recipe:
    path = Path(path)
    problems: list[str] = []
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a folder, /dev/zero, a pipe: nothing a recipe can be
            raise RecipeError(path, ["not a regular file"])
        with path.open("rb") as f:
            raw = f.read(MAX_RECIPE_BYTES + 1)
        if len(raw) > MAX_RECIPE_BYTES:
            raise RecipeError(path, [f"over {MAX_RECIPE_BYTES:,} bytes: not a recipe"])
        data = tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise RecipeError(path, ["file not found"]) from None
    except OSError as e:  # unreadable: permissions, /proc/self/mem, a symlink loop
        raise RecipeError(path, [f"cannot read ({e.strerror or e})"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise RecipeError(path, [f"not valid TOML: {e}"]) from None
    base = path.resolve().parent

    for key in data:
        if key not in SECTIONS and key not in TABLES:
            problems.append(f"[{key}]: unknown section (expected one of: {', '.join([*SECTIONS, *TABLES])})")
    sections, bad = {}, {}
    for name, cls in SECTIONS.items():
        table = data.get(name, {})
        if not isinstance(table, dict):
            problems.append(f"[{name}]: expected a table")
            table = {}
        sections[name], bad[name] = _typed(cls, table, name, problems)
    ds, norm, filt, noise, splits = (sections[k] for k in ("dataset", "normalize", "filters", "noise", "splits"))

    # types, ranges, choices and patterns are checked; what follows are the rules between keys and beyond the file
    template = base / ds["card_template"] if isinstance(ds["card_template"], str) else base
    if ds["card_template"] is not _REQUIRED and not template.is_file():
        problems.append(f"dataset.card_template: {template} does not exist")
    if not bad["filters"] & {"min_chars", "max_chars"} and filt["max_chars"] <= filt["min_chars"]:
        problems.append(f"filters.max_chars: {filt['max_chars']} must be above filters.min_chars "
                        f"({filt['min_chars']}): need min_chars < max_chars")
    ratios = [splits[k] for k in ("train", "validation", "test")]
    if not bad["splits"] and abs(sum(ratios) - 1) > 1e-9:
        problems.append(f"splits: ratios must be > 0 (an empty split does not load) and sum to 1 (train + "
                        f"validation + test = {sum(ratios):g})")
    if template.is_file():
        problems += template_problems(template)

    sources = []
    raw_sources = data.get("sources", [])
    if not isinstance(raw_sources, list) or not raw_sources:
        problems.append("[[sources]]: at least one source is required")
        raw_sources = []
    seen = set()
    for i, table in enumerate(raw_sources):
        where = f"sources[{i}]"
        if not isinstance(table, dict):
            problems.append(f"{where}: expected a table")
            continue
        if isinstance(table.get("name"), str):
            where = f"sources[{i}] ({table['name']})"
        s, _ = _typed(Source, table, where, problems)
        if isinstance(s["name"], str):
            if s["name"] in seen:
                problems.append(f"{where}.name: used by two sources")
            seen.add(s["name"])
        if s["hub_dataset"] and not valid_repo(s["hub_dataset"]):
            problems.append(f"{where}.hub_dataset: {s['hub_dataset']!r} is not a Hub dataset id ORG/NAME")
        inputs = _paths(s["paths"] if isinstance(s["paths"], list) else [], where, base, problems)
        if not problems:
            sources.append(Source(**{k: (tuple(v) if k == "paths" else v) for k, v in s.items()},
                                  inputs=tuple(inputs)))
    problems += _license_problems(ds, sources if len(sources) == len(raw_sources) else [])
    real, real_table = None, sections["real"]
    if real_table["pairs"]:
        found = resolve_inputs(real_table["pairs"], base)
        if len(found) != 1:
            problems.append(f"real.pairs: {real_table['pairs']!r} must name exactly one file (found {len(found)} "
                            f"in {base})")
        elif found[0].problem:
            problems.append(f"real.pairs: {found[0].name}: {found[0].problem}")
        else:
            real = found[0]
        if real_table["source"] not in seen:
            problems.append(f"real.source: {real_table['source']!r} is not the name of a source of this recipe")
        if not real_table["doc_id"]:
            problems.append("real.doc_id: the document the real pairs come from is required")
    lexicons = _lexicons(data.get("lexicons", []), base, problems)
    if problems:
        raise RecipeError(path, problems)
    return Recipe(
        path=path, name=ds["name"], version=ds["version"], pretty_name=ds["pretty_name"],
        description=ds["description"], **dataset_license(ds["name"], ds["license_name"], sources),
        card_template=template, seed=ds["seed"],
        changelog=tuple(ds["changelog"]), sources=tuple(sources), tone_marks=norm["tone_marks"],
        repair_glued=norm["repair_glued"], min_chars=filt["min_chars"], max_chars=filt["max_chars"],
        min_vietnamese=float(filt["min_vietnamese"]), final_punct=filt["final_punct"],
        respace_punct=filt["respace_punct"],
        noise=NoiseSettings(**noise), dedup=DedupSettings(**{**sections["dedup"],
                                                             "near_threshold": float(sections["dedup"]["near_threshold"])}),
        splits={k: float(splits[k]) for k in ("train", "validation", "test")},
        shard_mb=sections["output"]["shard_mb"],
        real=real, real_source=real_table["source"], real_doc_id=real_table["doc_id"],
        calibration_draws=real_table["draws"], lexicons=lexicons,
        mine=MineSettings(**{k: float(v) if k in ("threshold", "min_kept") else v for k, v in sections["mine"].items()}),
        hub_repo=ds["hub_repo"], steps=tuple(sections["pipeline"]["steps"]),
    )


def valid_repo(repo: object) -> bool:
    """ORG/NAME as the Hub accepts it (see check_repo); the recipe's dataset.hub_repo is checked the same way."""
    parts = repo.split("/") if isinstance(repo, str) else []
    return (len(parts) == 2 and all(_REPO_PART.fullmatch(part) for part in parts) and "--" not in repo
            and ".." not in repo and not repo.lower().endswith(".git"))


def dataset_license(name: str, license_name: str, sources) -> dict[str, str]:
    """The card's licence follows from the sources': the one Hub id they all share; else `other`, named by a short
    id (the recipe's license_name, or <name>-mixed / <name>-license) and linked to the LICENSE.md the build writes."""
    ids = {s.license_id for s in sources}
    if len(ids) == 1 and "other" not in ids:
        return {"license": ids.pop(), "license_name": "", "license_link": ""}
    mixed = len({(s.license_id, s.license) for s in sources}) > 1
    return {"license": "other", "license_name": license_name or f"{name}-{'mixed' if mixed else 'license'}",
            "license_link": LICENSE_FILE}


def _license_problems(ds: dict, sources: list[Source]) -> list[str]:
    """[dataset] licence keys: the licence is derived from the sources (a declared one must agree), license_link is
    the build's LICENSE.md, hub_repo is ORG/NAME (license_name's form is checked with the other settings)."""
    problems = []
    if ds["license_link"]:
        problems.append(f"dataset.license_link: no longer set by hand: the build writes {LICENSE_FILE} from the "
                        f"sources' licences and the card links to it; remove the key")
    if ds["hub_repo"] and not valid_repo(ds["hub_repo"]):
        problems.append(f"dataset.hub_repo: {ds['hub_repo']!r} is not a Hub repo id ORG/NAME")
    if sources and isinstance(ds["name"], str):
        derived = dataset_license(ds["name"], "", sources)["license"]
        if ds["license"] and ds["license"] != derived:
            problems.append(f"dataset.license: {ds['license']!r}, but the sources' licence ids give {derived!r} ("
                            + ", ".join(f"{s.name}: {s.license_id}" for s in sources)
                            + "); the card's licence follows from the sources: set each source's license_id, "
                              "and drop dataset.license or make it agree")
        if ds["license_name"] and derived != "other":
            problems.append(f"dataset.license_name: only for a dataset whose licence is `other` (the sources give "
                            f"{derived!r})")
    return problems


def _lexicons(tables: object, base: Path, problems: list[str]) -> tuple[LexiconSpec, ...]:
    """[[lexicons]]: none means the toolkit's own; a lexicon without paths is the toolkit's own too."""
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        problems.append("[[lexicons]]: expected tables ([[lexicons]] with name, paths, license, ...)")
        return (PACKAGE,)
    if not tables:
        return (PACKAGE,)
    out, seen = [], set()
    for i, table in enumerate(tables):
        where = f"lexicons[{i}] ({table['name']})" if isinstance(table.get("name"), str) else f"lexicons[{i}]"
        x, _ = _typed(LexiconSpec, table, where, problems)
        if "paths" in table and not table["paths"]:
            problems.append(f"{where}.paths: empty (leave the key out for the toolkit's own lexicon)")
        if isinstance(x["name"], str):
            if x["name"] in seen:
                problems.append(f"{where}.name: used by two lexicons")
            seen.add(x["name"])
        if x["provenance"] and not valid_provenance(x["provenance"]):
            problems.append(f"{where}.provenance: {x['provenance']!r} is not one of {', '.join(PROVENANCES)} or "
                            f"external:<name> (lower case)")
        inputs = _paths(x["paths"], where, base, problems)
        problems += [f"{where}.paths: {f.name}: {f.problem}" for f in inputs if f.problem]  # no lexicon is skipped
        if x["paths"] and not x["license"]:
            problems.append(f"{where}.license: missing (the card lists each lexicon's licence)")
        if not x["paths"]:  # the toolkit's own lexicon, under the name the recipe gives it
            x["license"], x["description"] = x["license"] or PACKAGE.license, x["description"] or PACKAGE.description
        out.append(LexiconSpec(**{**x, "paths": tuple(p for p in x["paths"] if isinstance(p, str)),
                                  "weight": float(x["weight"])}, inputs=tuple(inputs)))
    return tuple(out)
