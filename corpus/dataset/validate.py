"""`corpus validate`: prove a built folder is what it claims, by loading it the way users will.

Loads with `datasets` in a fresh cache (so nothing stale answers), then checks the Features, split sizes
against the card and the manifest, every row's edits, document leakage between splits, and that the
manifest accounts for every input paragraph.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from corpus.dataset.features import FEATURES, ORIGINS
from corpus.spin.edits import check


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    figures: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def validate(folder: Path) -> Report:
    import datasets
    from huggingface_hub import DatasetCard

    report = Report()
    problems, figures = report.problems, report.figures
    try:
        manifest = json.loads((folder / "build.json").read_text(encoding="utf-8"))
        card = DatasetCard.load(folder / "README.md").data.to_dict()
    except (OSError, ValueError) as e:
        problems.append(f"{folder}: cannot read build.json and README.md ({e})")
        return report

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
                return report
            for name in ds:
                if ds[name].features != FEATURES:
                    problems.append(f"{config}/{name}: Features differ from the toolkit's schema: {ds[name].features}")
            loaded[config] = {name: ds[name].to_list() for name in ds}
    if "default" not in loaded:
        problems.append("the card declares no default config")
        return report
    splits = loaded["default"]
    expected = {"default": {n: s["rows"] for n, s in manifest["splits"].items()}}
    if manifest.get("real"):
        expected["real"] = {"test": manifest["real"]["rows"]}
    if (manifest.get("mined") or {}).get("splits"):
        expected["mined"] = {n: s["rows"] for n, s in manifest["mined"]["splits"].items()}
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
    leaks = near_leakage(splits, manifest["recipe"].get("dedup"))
    if leaks is not None:
        figures["validation/test paragraphs with a near twin in train"] = leaks
        if leaks:
            problems.append(f"{leaks} validation/test paragraphs have a near-duplicate in train")

    paragraphs = manifest["counts"]["paragraphs"]
    dropped = sum(paragraphs["dropped"].values())
    figures["paragraphs read"] = paragraphs["input"]
    figures["paragraphs paired"] = len(covered)
    figures["paragraphs dropped"] = dropped
    if paragraphs["input"] != paragraphs["paired"] + dropped:
        problems.append(f"manifest: {paragraphs['input']} paragraphs read but {paragraphs['paired']} paired "
                        f"+ {dropped} dropped")
    if len(covered) != paragraphs["paired"]:
        problems.append(f"manifest says {paragraphs['paired']} paragraphs were paired; the rows cover {len(covered)}")
    if manifest["counts"]["rows"] != len(ids):
        problems.append(f"manifest says {manifest['counts']['rows']} rows; {len(ids)} loaded")
    return report


def lexicon_problems(folder: Path, manifest: dict, splits: dict[str, list[dict]], figures: dict) -> list[str]:
    """The build's lexicon file is the one its manifest names, and every lexical edit is a substitution its
    `rule` allows: the source phrase of that group became one of the phrases it may write."""
    from corpus.spin.lexicon import LexiconError
    from corpus.spin.lexicon_files import read_compiled

    entry = manifest.get("lexicon")
    if not isinstance(entry, dict):
        return []  # built before recipes chose their lexicons
    path = folder / str(entry.get("file"))
    try:
        data = path.read_bytes()
        lexicon = read_compiled(path)
    except (OSError, LexiconError) as e:
        return [f"lexicon: {e}"]
    if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
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
    from corpus.dedup import DedupSettings, NearIndex, fingerprints

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
