"""Rows of a built folder for people to look at (`corpus show`, `corpus report`), read straight from its shards.

pyarrow over the shards build.json lists, not `datasets.load_dataset`: no cache to write, and a look at five
rows of a large build reads only the id and origin columns of every shard, then the chosen rows.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from corpus.dataset.features import ORIGINS
from corpus.dataset.manifest import MANIFEST, Manifest, ManifestError
from corpus.rand import stable_hash


class NotBuilt(ValueError):
    """The folder is not a built version; the message says why, in one line."""


def read_manifest(dist: Path) -> Manifest:
    """build.json of a built folder, or NotBuilt saying in one line what is wrong."""
    if not dist.is_dir():
        raise NotBuilt(f"{dist} is not a folder (give a built version, e.g. dist/vi-despin/0.1.0)")
    try:
        return Manifest.read(dist)
    except ManifestError as e:
        if e.missing:
            raise NotBuilt(f"{dist} is not a built dataset: no {MANIFEST} (build one with `corpus build RECIPE`)") \
                from None
        raise NotBuilt(f"{dist} is not a built dataset: {MANIFEST}: {e.detail}") from None


def shards(dist: Path, manifest: Manifest) -> list[tuple[str, str, Path]]:
    """(config, split, path) of every shard the manifest lists, the default config first."""
    out = [("default", split, dist / s.path) for split, info in manifest.splits.items() for s in info.shards]
    if manifest.real:
        out += [("real", "test", dist / s.path) for s in manifest.real.shards]
    for split, info in (manifest.mined.splits if manifest.mined else {}).items():
        out += [("mined", split, dist / s.path) for s in info.shards]
    return out


def pick(dist: Path, n: int, split: str | None = None, origin: str | None = None,
         row_id: str | None = None) -> list[dict]:
    """Up to n rows matching the filters, chosen by a hash of their id (the same rows every time, spread over
    documents rather than the first n of one), each with its `config` and `split` and `origin` as a name."""
    manifest = read_manifest(dist)
    known = set(manifest.splits) | ({"test"} if manifest.real else set())
    if split is not None and split not in known:
        raise ValueError(f"no split {split!r} in {dist} (it has: {', '.join(sorted(known))})")
    if origin is not None and origin not in ORIGINS:
        raise ValueError(f"unknown origin {origin!r} (expected one of {', '.join(ORIGINS)})")
    candidates = []  # (hash, shard index, id)
    located = [s for s in shards(dist, manifest) if split is None or s[1] == split]
    for k, (_, _, path) in enumerate(located):
        table = _read(path, ["id", "origin"])
        mask = None
        if origin is not None:
            mask = pc.equal(table["origin"], ORIGINS.index(origin))
        if row_id is not None:
            same = pc.equal(table["id"], row_id)
            mask = same if mask is None else pc.and_(mask, same)
        ids = (table.filter(mask) if mask is not None else table)["id"].to_pylist()
        candidates += [(stable_hash("show", i), k, i) for i in ids]
    chosen = sorted(candidates)[:n]
    rows = []
    for k, (config, split_name, path) in enumerate(located):
        wanted = {i for _, shard, i in chosen if shard == k}
        if wanted:
            table = _read(path, None, [("id", "in", sorted(wanted))])
            for row in table.to_pylist():
                rows.append({**row, "origin": ORIGINS[row["origin"]], "config": config, "split": split_name,
                             "_order": (stable_hash("show", row["id"]), k)})
    rows.sort(key=lambda r: r.pop("_order"))
    return rows


def _read(path: Path, columns: list[str] | None, filters: list | None = None):
    try:
        return pq.read_table(path, columns=columns, filters=filters)
    except (OSError, ValueError) as e:
        raise NotBuilt(f"cannot read shard {path}: {e}") from None
