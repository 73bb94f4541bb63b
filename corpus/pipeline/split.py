"""Split assignment: a seeded hash of the group key, so a row's split never depends on processing order."""

from __future__ import annotations

from corpus.rand import unit_hash


def assign_split(group: str, seed: int, ratios: dict[str, float]) -> str:
    u = unit_hash(seed, "split", group)
    edge = 0.0
    for name, ratio in ratios.items():
        edge += ratio
        if u < edge:
            return name
    return next(name for name, ratio in reversed(ratios.items()) if ratio > 0)
