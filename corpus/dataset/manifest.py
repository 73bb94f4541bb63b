"""build.json, typed: the manifest a build writes beside its data, read back by every command that looks at a build.

`Manifest.read(folder)` checks every field it types and raises one error, `ManifestError`, naming the file and each
key that is missing or of the wrong type (`counts.paragraphs.input`, `splits.train.shards[0].path`): a damaged
build.json is a message, never a KeyError. What it leaves untyped (the resolved recipe, noise statistics, scores,
calibration, lexicon reports) stays plain JSON.

`to_dict()` is the JSON object: the keys in the order the build writes them (keyword fields named as the keys), so
build.json keeps its bytes. Read from a file, it gives that file's object back: a key an older build did not write
stays out (readers see the field's default), and a key this toolkit does not know is kept, so the card's digest of
build.json still covers everything in it.
"""

from __future__ import annotations

import functools
import json
import math
import os
import stat
import types
import typing
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

MANIFEST = "build.json"
NO_FILE = "no such file"
MAX_BYTES = 256 << 20
MAX_DEPTH = 64  # a build nests 7 deep; deeper is garbage that would overflow the stack of whoever walks it later
SHOWN = 10  # problems named in the message; the rest are counted
WHEN_SET = {"when_set": True}  # field metadata: the key is written only when set (not None, not an empty list)


class ManifestError(ValueError):
    """build.json is missing, unreadable or damaged. `problems`: key path ("" for the file itself) -> what is
    wrong; the message names the file and them, on one line."""

    def __init__(self, path: Path, problems: dict[str, str]):
        self.path, self.problems = path, problems
        super().__init__(f"{path}: {self.detail}")

    @property
    def detail(self) -> str:
        """What is wrong, without the file's path, on one line."""
        return "; ".join(self._shown())

    def lines(self) -> list[str]:
        """What is wrong, one line each, naming the file."""
        return [f"{self.path}: {line}" for line in self._shown()]

    def _shown(self) -> list[str]:
        shown = [f"`{key}` {why}" if key else why for key, why in list(self.problems.items())[:SHOWN]]
        more = len(self.problems) - SHOWN
        return shown + ([f"... and {more} more"] if more > 0 else [])

    @property
    def missing(self) -> bool:
        return self.problems == {"": NO_FILE}


class Section:
    """A JSON object of build.json as a keyword dataclass, checked when read and turned back into its object."""

    _absent: ClassVar[frozenset] = frozenset()  # per instance, when read: fields whose key the file lacked
    _extra: ClassVar[dict] = {}  # per instance, when read: the file's keys that are not fields, kept for to_dict

    def to_dict(self) -> dict:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if (f.name in self._absent and value == _default(f)) or \
                    (f.metadata.get("when_set") and (value is None or value == [])):
                continue  # not in the file it was read from (and not set since), or not set
            out[f.name] = _dump(value)
        return {**out, **self._extra}

    @classmethod
    def _load(cls, obj: dict, where: str, problems: dict[str, str]):
        before = len(problems)
        hints = _hints(cls)
        values, absent = {}, []
        for f in fields(cls):
            key = f"{where}.{f.name}" if where else f.name
            if f.name in obj:
                values[f.name] = _check(hints[f.name], obj[f.name], key, problems)
            elif f.default is MISSING and f.default_factory is MISSING:
                problems[key] = "is missing"
            else:
                absent.append(f.name)
        if len(problems) > before:
            return None
        section = cls(**values)
        if absent:
            section._absent = frozenset(absent)
        names = {f.name for f in fields(cls)}
        if extra := {k: v for k, v in obj.items() if k not in names}:
            section._extra = extra
        return section


@dataclass(kw_only=True)
class Shard(Section):
    path: str
    rows: int = 0
    bytes: int = 0
    nbytes: int = 0


@dataclass(kw_only=True)
class Split(Section):
    rows: int
    documents: int = 0
    shards: list[Shard] = field(default_factory=list)


@dataclass(kw_only=True)
class Real(Section):
    """The `real` config: the seed page's paragraphs, spun by a real spinner and restored by hand."""

    rows: int
    spun: int = 0
    shards: list[Shard] = field(default_factory=list)


@dataclass(kw_only=True)
class MinedSplit(Section):
    rows: int
    shards: list[Shard] = field(default_factory=list)


@dataclass(kw_only=True)
class Mining(Section):
    """The `mined` config: raw paragraphs paired with their originals."""

    raw_paragraphs: int = 0
    pairs: int = 0
    spun: int = 0
    copies: int = 0
    without_original: int = 0
    spun_copies_kept_out_of_clean_sides: int = 0
    pairs_by_source: dict[str, int] = field(default_factory=dict)
    learned_lexicon: dict | None = None
    splits: dict[str, MinedSplit] = field(default_factory=dict)


@dataclass(kw_only=True)
class Paragraphs(Section):
    """Every input paragraph accounted for: input = paired + the dropped ones, by reason."""

    input: int
    paired: int
    dropped: dict[str, int]
    respaced: int = 0


@dataclass(kw_only=True)
class Counts(Section):
    documents: int = 0
    per_source: dict[str, dict[str, int]] = field(default_factory=dict)
    paragraphs: Paragraphs
    rows: int
    noise: dict = field(default_factory=dict)


@dataclass(kw_only=True)
class Input(Section):
    source: str
    name: str
    bytes: int
    sha256: str


@dataclass(kw_only=True)
class Skipped(Section):
    """An input that could not be read, and why."""

    source: str = ""
    where: str
    reason: str


@dataclass(kw_only=True)
class Detector(Section):
    model: str
    settings: str
    threshold: float
    fpr: float
    calibration: dict = field(default_factory=dict)


@dataclass(kw_only=True)
class LexiconFile(Section):
    file: str
    bytes: int
    sha256: str


@dataclass(kw_only=True)
class FileRecord(Section):
    """One file the build wrote: build.json's `files`, what validate and publish check the folder against."""

    path: str
    bytes: int
    sha256: str


@dataclass(kw_only=True)
class Manifest(Section):
    """build.json. Without a default: what every reader needs; the rest an older build may lack."""

    name: str
    version: str
    fingerprint: str
    toolkit_version: str = ""
    recipe: dict  # the resolved recipe (corpus.config.recipe), as JSON
    inputs: list[Input] = field(default_factory=list)
    steps: list[dict] = field(default_factory=list, metadata=WHEN_SET)  # the steps run, with their stats
    counts: Counts
    calibration: dict | None = None
    results: dict = field(default_factory=dict)
    splits: dict[str, Split]
    real: Real | None = None
    mined: Mining | None = None
    language_model: str = ""
    detector: Detector | None = None
    lexicons: list[dict] = field(default_factory=list)
    lexicon: LexiconFile | None = None
    rejects: str = ""
    skipped_inputs: list[Skipped] = field(default_factory=list)
    # added once the folder is complete, outside the card's digest (corpus.dataset.validate.UNDIGESTED)
    built_at: str | None = field(default=None, metadata=WHEN_SET)
    wall_seconds: float | None = field(default=None, metadata=WHEN_SET)
    stage_seconds: dict[str, float] | None = field(default=None, metadata=WHEN_SET)
    step_seconds: dict[str, float] | None = field(default=None, metadata=WHEN_SET)
    files: list[FileRecord] | None = field(default=None, metadata=WHEN_SET)

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        """FOLDER/build.json, checked; ManifestError saying what is wrong with it."""
        path = Path(folder) / MANIFEST
        obj = _read_json(path)
        problems: dict[str, str] = {}
        manifest = cls._load(obj, "", problems)
        if problems:
            raise ManifestError(path, problems)
        return manifest


def _read_json(path: Path) -> dict:
    def fail(why: str):
        raise ManifestError(path, {"": why}) from None

    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):  # a folder, or a FIFO that reading would wait on forever
            fail("not a regular file")
        if info.st_size > MAX_BYTES:
            fail(f"larger than {MAX_BYTES >> 20} MB")
        obj = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        fail(NO_FILE)
    except RecursionError:
        fail("nested too deeply")
    except UnicodeDecodeError as e:
        fail(f"not UTF-8 (byte {e.start})")
    except ValueError as e:
        fail(f"not JSON ({e})")
    except OSError as e:
        fail(f"cannot be read ({e.strerror or e})")
    if not isinstance(obj, dict):
        fail(f"not a JSON object (it holds a {type(obj).__name__})")
    if _depth(obj) > MAX_DEPTH:
        fail(f"nested more than {MAX_DEPTH} deep")
    return obj


def _depth(obj: object) -> int:
    deepest, todo = 0, [(obj, 1)]
    while todo:
        value, depth = todo.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            if depth <= MAX_DEPTH:
                todo += [(v, depth + 1) for v in (value.values() if isinstance(value, dict) else value)]
    return deepest


def _default(f):
    return f.default_factory() if f.default_factory is not MISSING else f.default


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _shown(value: object) -> str:
    """A value for a one-line message: short, control characters escaped, containers by their kind only."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _key(name: str) -> str:
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)
    return text if len(text) <= 40 else text[:37] + "..."


def _check(kind: Any, value: object, where: str, problems: dict[str, str]):
    """`value` if it is a `kind` (a type hint of a Section's field), else None with what is wrong at `where`."""
    def wrong(what: str):
        problems[where] = f"must be {what}, got {_shown(value)}"

    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if kind is Any:
        return value
    if origin in (types.UnionType, typing.Union):  # X | None
        if value is None:
            return None
        (kind,) = [a for a in args if a is not type(None)]
        return _check(kind, value, where, problems)
    if isinstance(kind, type) and issubclass(kind, Section):
        return kind._load(value, where, problems) if isinstance(value, dict) else wrong("an object")
    if kind is dict or origin is dict:
        if not isinstance(value, dict):
            return wrong("an object")
        return value if not args else {k: _check(args[1], v, f"{where}.{_key(k)}", problems) for k, v in value.items()}
    if kind is list or origin is list:
        if not isinstance(value, list):
            return wrong("a list")
        return value if not args else [_check(args[0], v, f"{where}[{i}]", problems) for i, v in enumerate(value)]
    if kind is str:
        return value if isinstance(value, str) else wrong("a string")
    if kind is int:  # every integer of build.json is a count or a size
        return value if type(value) is int and value >= 0 else wrong("a count (an integer >= 0)")
    if kind is float:
        ok = type(value) in (int, float) and math.isfinite(value)
        return value if ok else wrong("a finite number")
    raise TypeError(f"{where}: no check for {kind!r}")  # a field type this module does not handle: a bug here


def _dump(value: object) -> object:
    """A field's value as JSON: sections as objects; lists and objects of sections rebuilt; the rest as it is."""
    if isinstance(value, Section):
        return value.to_dict()
    if isinstance(value, list) and any(isinstance(v, Section) for v in value):
        return [_dump(v) for v in value]
    if isinstance(value, dict) and any(isinstance(v, Section) for v in value.values()):
        return {k: _dump(v) for k, v in value.items()}
    return value
