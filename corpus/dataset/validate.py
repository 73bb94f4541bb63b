"""`corpus validate`: prove a built folder is what it claims, by loading it the way users will.

First checks that the folder holds exactly the files build.json lists (no missing, extra, resized or altered
file, no symbolic link), then loads with `datasets` in a fresh cache (so nothing stale answers) and checks the
Features, split sizes against the card and the manifest, every row's edits, document leakage between splits, and
that the manifest accounts for every input paragraph.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from corpus.dataset.features import FEATURES, ORIGINS
from corpus.dataset.manifest import MANIFEST, FileRecord, Manifest, ManifestError
from corpus.config.recipe import sha256_file
from corpus.spin.edits import check


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    figures: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


SHOWN = 30  # file problems listed one by one; the rest are counted
_SHA256 = re.compile(r"[0-9a-f]{64}")
# build.json's fields left out of its digest in the card: the file list (it holds the card's own sha256) and
# the timings (a rebuild of the same inputs gives the same card)
UNDIGESTED = ("files", "built_at", "wall_seconds", "stage_seconds", "step_seconds")
DIGEST = re.compile(r"^build\.json digest: `([0-9a-f]{64})`", re.MULTILINE)


def manifest_digest(manifest: dict) -> str:
    """sha256 of build.json's content, keys sorted, all but UNDIGESTED: the card states it, validate checks it,
    so neither file can be edited alone (with the file list, which covers the card, the folder is bound)."""
    kept = json.loads(json.dumps({k: v for k, v in manifest.items() if k not in UNDIGESTED}))  # as read back
    return hashlib.sha256(json.dumps(kept, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def folder_tree(folder: Path) -> tuple[dict[str, Path], list[str], list[str]]:
    """What is under `folder`, without following links: regular files by relative POSIX path, symbolic links
    (to files or folders), and anything else that is neither a file nor a folder (fifos, sockets, devices)."""
    regular: dict[str, Path] = {}
    links: list[str] = []
    odd: list[str] = []

    def unreadable(error: OSError) -> None:
        odd.append(f"{Path(error.filename).relative_to(folder).as_posix()} (cannot list: {error.strerror})")

    for root, dirs, files in os.walk(folder, followlinks=False, onerror=unreadable):
        for name in sorted(dirs + files):
            path = Path(root, name)
            rel = path.relative_to(folder).as_posix()
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                links.append(rel)
            elif stat.S_ISREG(mode):
                regular[rel] = path
            elif not stat.S_ISDIR(mode):
                odd.append(rel)
    return regular, sorted(links), sorted(odd)


def file_records(folder: Path) -> list[dict]:
    """The `files` list of build.json: every regular file under `folder` but build.json itself, as
    {path (relative, POSIX), bytes, sha256}, sorted by path. Called by the build once everything else is written."""
    regular, _, _ = folder_tree(folder)
    return [{"path": rel, "bytes": path.stat().st_size, "sha256": sha256_file(path)}
            for rel, path in sorted(regular.items()) if rel != MANIFEST]


def safe_relative(path: object) -> bool:
    """A relative POSIX path that stays inside the folder: no '..', no absolute path, no backslash, no empty part."""
    return (isinstance(path, str) and bool(path) and "\\" not in path and "\0" not in path
            and not path.startswith("/") and all(part not in ("", ".", "..") for part in path.split("/")))


def listed_files(manifest: Manifest) -> tuple[dict[str, FileRecord], list[str]]:
    """build.json's `files`, by path, and what is wrong with the list itself (Manifest.read checked the types)."""
    if not manifest.files:  # built before builds listed their files
        return {}, ["build.json lists no `files` (path, bytes, sha256 of everything the build wrote), so the "
                    "folder cannot be checked against it; rebuild it with this toolkit"]
    listed: dict[str, FileRecord] = {}
    wrong: list[str] = []
    for i, entry in enumerate(manifest.files):
        if not safe_relative(entry.path) or entry.path == MANIFEST:
            wrong.append(f"build.json files[{i}]: {entry.path!r} is not a relative path inside the folder")
        elif not _SHA256.fullmatch(entry.sha256):
            wrong.append(f"build.json files[{i}] ({entry.path}): needs an integer `bytes` and a hex `sha256`")
        elif entry.path in listed:
            wrong.append(f"build.json lists {entry.path} twice")
        else:
            listed[entry.path] = entry
    return listed, wrong


def file_problems(folder: Path, manifest: Manifest, figures: dict | None = None) -> list[str]:
    """Every file build.json lists is there with its size and sha256; nothing else is (but build.json); no links."""
    listed, problems = listed_files(manifest)
    if not listed and problems:
        return problems
    regular, links, odd = folder_tree(folder)
    found: list[str] = []
    found += [f"{rel}: a symbolic link; a build writes none" for rel in links]
    found += [f"{rel}: not a regular file" for rel in odd]
    for rel in sorted(set(regular) - set(listed) - {MANIFEST}):
        found.append(f"{rel}: extra file, not written by the build (not in build.json)")
    for rel, entry in sorted(listed.items()):
        path = regular.get(rel)
        if path is None:
            if rel not in links:
                found.append(f"{rel}: missing (build.json lists it)")
            continue
        try:
            size = path.stat().st_size
            if size != entry.bytes:
                found.append(f"{rel}: altered ({size} bytes, build.json says {entry.bytes})")
            elif sha256_file(path) != entry.sha256:
                found.append(f"{rel}: altered (sha256 differs from build.json)")
        except OSError as e:
            found.append(f"{rel}: cannot be read ({e.strerror or e})")
    if figures is not None:
        figures["files checked against build.json"] = len(listed)
    problems += found[:SHOWN]
    if len(found) > SHOWN:
        problems.append(f"... and {len(found) - SHOWN} more files that do not match build.json")
    return problems


def shape_problems(manifest: Manifest) -> list[str]:
    """What validation needs of build.json beyond the types Manifest.read checks."""
    wrong = []
    if not manifest.splits:
        wrong.append("build.json: `splits` must be a non-empty object of split -> {rows, ...}, got {}")
    if not isinstance(manifest.recipe.get("dedup"), (dict, type(None))):
        wrong.append("build.json: `recipe` must be an object (with `dedup` an object or absent)")
    return wrong


def validate(folder: Path, check_files: bool = True) -> Report:
    """`check_files=False` skips the file check (for a caller that has just made it, as publish does)."""
    report = Report()
    problems, figures = report.problems, report.figures
    try:
        manifest = Manifest.read(folder)
    except ManifestError as e:
        problems += e.lines()
        return report
    if check_files:
        problems += file_problems(folder, manifest, figures)
    if shape := shape_problems(manifest):
        problems += shape
        return report
    try:
        _check_contents(folder, manifest, report)
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as e:  # a damaged card or manifest
        problems.append(f"README.md card or build.json is malformed ({type(e).__name__}: {e})")
    return report


def _check_contents(folder: Path, manifest: Manifest, report: Report) -> None:
    import datasets
    from huggingface_hub import DatasetCard

    problems, figures = report.problems, report.figures
    try:
        card_file = DatasetCard.load(folder / "README.md")
        card = card_file.data.to_dict()
    except (OSError, ValueError) as e:
        problems.append(f"{folder}: cannot read README.md ({e})")
        return
    stated, digest = DIGEST.findall(card_file.text), manifest_digest(manifest.to_dict())
    if stated != [digest]:
        problems.append("README.md does not state build.json's digest" if not stated else
                        "README.md and build.json disagree: the card states build.json digest "
                        f"{stated[-1][:16]}…, build.json's content hashes to {digest[:16]}…")

    link = card.get("license_link")  # the Hub resolves a relative link against the repo: the file must be there
    if card.get("license") == "other" and not (isinstance(link, str) and link.startswith(("https://", "http://"))) \
            and not (safe_relative(link) and (folder / link).is_file()):
        problems.append(f"README.md: license `other` needs a license_link to the licence text; {link!r:.80} is "
                        f"neither a URL nor a file of this folder")
    card_configs = [c["config_name"] for c in card.get("configs", [])]
    infos = card.get("dataset_info", {})
    infos = {i.get("config_name", "default"): i for i in (infos if isinstance(infos, list) else [infos])}
    loaded: dict[str, dict[str, list[dict]]] = {}
    with tempfile.TemporaryDirectory(prefix="corpus-validate-") as cache:
        datasets.disable_progress_bars()
        for config in card_configs:
            try:
                ds = datasets.load_dataset(str(folder), config, cache_dir=cache)
            except Exception as e:  # any failure to load is the finding itself
                problems.append(f"load_dataset({str(folder)!r}, {config!r}) failed: {type(e).__name__}: {e}")
                return
            for name in ds:
                if ds[name].features != FEATURES:
                    problems.append(f"{config}/{name}: Features differ from the toolkit's schema: {ds[name].features}")
            loaded[config] = {name: ds[name].to_list() for name in ds}
    if "default" not in loaded:
        problems.append("the card declares no default config")
        return
    splits = loaded["default"]
    expected = {"default": {n: s.rows for n, s in manifest.splits.items()}}
    if manifest.real:
        expected["real"] = {"test": manifest.real.rows}
    if manifest.mined and manifest.mined.splits:
        expected["mined"] = {n: s.rows for n, s in manifest.mined.splits.items()}
    for config, config_splits in loaded.items():
        yaml_sizes = {s["name"]: s["num_examples"] for s in infos.get(config, {}).get("splits", [])}
        for name, rows in config_splits.items():
            figures[f"rows.{config}.{name}"] = len(rows)
            if yaml_sizes.get(name) != len(rows):
                problems.append(f"{config}/{name}: {len(rows)} rows loaded, card YAML says {yaml_sizes.get(name)}")
            if expected.get(config, {}).get(name) != len(rows):
                problems.append(f"{config}/{name}: {len(rows)} rows loaded, build.json says "
                                f"{expected.get(config, {}).get(name)}")
        for r in (r for rows in config_splits.values() for r in rows):
            if config in ("real", "mined") and r["origin"] != ORIGINS.index(config):
                problems.append(f"{config}/{r['id']}: origin is not {config!r}")
            if config != "default" and (why := check(r["clean"], r["noisy"], r["edits"])):
                problems.append(f"{config}/{r['id']}: {why}")

    bad_edits, ids, covered = [], set(), set()
    docs: dict[tuple[str, str], str] = {}
    for name, rows in splits.items():
        for r in rows:
            why = check(r["clean"], r["noisy"], r["edits"])
            if why:
                bad_edits.append(f"{r['id']}: {why}")
            if r["id"] in ids:
                problems.append(f"row id {r['id']} appears twice")
            ids.add(r["id"])
            if not 0 <= r["origin"] < len(ORIGINS):
                problems.append(f"row {r['id']}: origin {r['origin']} is not a known label")
            key = (r["source"], r["doc_id"])
            if docs.setdefault(key, name) != name:
                problems.append(f"document {key[0]}/{key[1]} is in both {docs[key]} and {name}")
            for k in range(r["clean"].count("\n") + 1):
                covered.add((r["source"], r["doc_id"], r["paragraph"] + k))
    figures["rows checked for exact edits"] = len(ids)
    figures["edits checked"] = sum(len(r["edits"]) for rows in splits.values() for r in rows)
    problems += bad_edits[:20]
    if len(bad_edits) > 20:
        problems.append(f"... and {len(bad_edits) - 20} more rows whose edits are not exact")

    for name, rows in loaded.get("mined", {}).items():  # a mined row's split is its original's document's
        for r in rows:
            if docs.get((r["source"], r["doc_id"]), name) != name:
                problems.append(f"mined/{r['id']}: in {name}, but its original's document "
                                f"{r['source']}/{r['doc_id']} is in {docs[r['source'], r['doc_id']]}")
    problems += lexicon_problems(folder, manifest, splits, figures)
    leaks = near_leakage(splits, manifest.recipe.get("dedup"))
    if leaks is not None:
        figures["validation/test paragraphs with a near twin in train"] = leaks
        if leaks:
            problems.append(f"{leaks} validation/test paragraphs have a near-duplicate in train")

    paragraphs = manifest.counts.paragraphs
    dropped = sum(paragraphs.dropped.values())
    figures["paragraphs read"] = paragraphs.input
    figures["paragraphs paired"] = len(covered)
    figures["paragraphs dropped"] = dropped
    if paragraphs.input != paragraphs.paired + dropped:
        problems.append(f"manifest: {paragraphs.input} paragraphs read but {paragraphs.paired} paired "
                        f"+ {dropped} dropped")
    if len(covered) != paragraphs.paired:
        problems.append(f"manifest says {paragraphs.paired} paragraphs were paired; the rows cover {len(covered)}")
    if manifest.counts.rows != len(ids):
        problems.append(f"manifest says {manifest.counts.rows} rows; {len(ids)} loaded")


def lexicon_problems(folder: Path, manifest: Manifest, splits: dict[str, list[dict]], figures: dict) -> list[str]:
    """The build's lexicon file is the one its manifest names, and every lexical edit is a substitution its
    `rule` allows: the source phrase of that group became one of the phrases it may write."""
    from corpus.spin.lexicon import LexiconError
    from corpus.spin.lexicon_files import read_compiled

    entry = manifest.lexicon
    if entry is None:
        return []  # built before recipes chose their lexicons
    if not safe_relative(entry.file):
        return [f"lexicon: build.json names {entry.file!r}, not a file inside the folder"]
    path = folder / entry.file
    try:
        data = path.read_bytes()
        lexicon = read_compiled(path)
    except (OSError, LexiconError) as e:
        return [f"lexicon: {e}"]
    if hashlib.sha256(data).hexdigest() != entry.sha256:
        return [f"lexicon: {path.name} is not the file build.json names (sha256 differs)"]
    groups = {g.rule: g for g in lexicon.groups}
    wrong, checked = [], 0
    for r in (r for rows in splits.values() for r in rows):
        for e in r["edits"]:
            if e["kind"] not in ("lexical", "number"):
                continue
            checked += 1
            g = groups.get(e["rule"])
            old, new = r["clean"][e["clean_start"] : e["clean_end"]].lower(), e["replacement"].lower()
            if g is None or old not in {s.lower() for s in g.sources} or new not in {t.lower() for t in g.targets}:
                wrong.append(f"{r['id']}: {e['kind']} edit {old!r} -> {new!r} is not in lexicon rule {e['rule']}")
    figures["lexical edits checked against the lexicon"] = checked
    return wrong[:20] + ([f"... and {len(wrong) - 20} more such edits"] if len(wrong) > 20 else [])


VALIDATE_SEED = 2


def near_leakage(splits: dict[str, list[dict]], dedup: dict | None) -> int | None:
    """How many distinct validation/test paragraphs have a train paragraph at Jaccard >= the recipe's threshold.

    Other MinHash permutations than the build's, so a pair the build's LSH happened to miss is looked for anew."""
    from corpus.match.dedup import DedupSettings, NearIndex, fingerprints

    settings = DedupSettings(**dedup) if dedup else None
    if settings is None or not settings.enabled:
        return None

    def paragraphs(names: tuple[str, ...]) -> list[str]:
        return sorted({p for n in names for r in splits.get(n, []) for p in r["clean"].split("\n")})

    index = NearIndex(settings)
    for i, (keys, shingle_set) in enumerate(fingerprints(paragraphs(("train",)), settings, VALIDATE_SEED)):
        index.add(str(i), keys, shingle_set)
    held_out = fingerprints(paragraphs(("validation", "test")), settings, VALIDATE_SEED)
    return sum(index.match(keys, shingle_set) is not None for keys, shingle_set in held_out)
