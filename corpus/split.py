"""Split assignment: a seeded hash of the group key, so a row's split never depends on processing order."""

from __future__ import annotations

import hashlib


def stable_hash(*parts: object) -> int:
    """A 64-bit number for the given key parts, the same on every machine and in every process."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def unit_hash(*parts: object) -> float:
    """A stable number in [0, 1) for the given key parts."""
    return stable_hash(*parts) / 2**64


def assign_split(group: str, seed: int, ratios: dict[str, float]) -> str:
    u = unit_hash(seed, "split", group)
    edge = 0.0
    for name, ratio in ratios.items():
        edge += ratio
        if u < edge:
            return name
    return next(name for name, ratio in reversed(ratios.items()) if ratio > 0)
