"""A memo for hot per-token lookups: map(memo.__getitem__, tokens) runs at dict speed, without a Python call per
hit (what an lru_cache'd function costs)."""

from __future__ import annotations

from collections.abc import Callable


class Memo(dict):
    """fn(key), computed on first sight and kept; cleared when it holds `limit` keys (a crawl's long tail of junk
    tokens must not grow it without bound)."""

    def __init__(self, fn: Callable, limit: int = 1_000_000):
        super().__init__()
        self.fn, self.limit = fn, limit

    def __missing__(self, key):
        if len(self) >= self.limit:
            self.clear()
        value = self[key] = self.fn(key)
        return value
