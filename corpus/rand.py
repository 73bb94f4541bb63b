"""Seeded randomness: per-row random numbers (BLAKE2b in counter mode over the row key) and stable hashes.

One generator per row is the price of output that never depends on processing order, so seeding must be
cheap: this one costs one hash (random.Random's seeding costs ~6 µs, a tenth of spinning a paragraph), draws
at C speed (`random` is an iterator's __next__) and gives the same numbers on every machine and every Python
version. 32 bits per draw are plenty for rates and weighted choices.
"""

from __future__ import annotations

import hashlib
import itertools
import struct

_SCALE = 2.0**-32
_UNPACK = struct.Struct("<16I").unpack  # one 64-byte digest = 16 draws


def _more(seed: bytes):
    for counter in itertools.count(1):
        yield map(_SCALE.__mul__, _UNPACK(hashlib.blake2b(seed + counter.to_bytes(8, "little"),
                                                          digest_size=64).digest()))


def _draws(seed: bytes):
    first = map(_SCALE.__mul__, _UNPACK(hashlib.blake2b(seed, digest_size=64).digest()))
    return itertools.chain(first, itertools.chain.from_iterable(_more(seed))).__next__


class RowRandom:
    """random() -> a float in [0, 1); the only method the noise model draws from."""

    __slots__ = ("random",)

    def __init__(self, *key: object):
        self.random = _draws(RowRandom.key(*key))

    @staticmethod
    def key(*key: object) -> bytes:
        """The seed of RowRandom(*key): a caller seeding every row of a document joins the shared part once."""
        return "\x1f".join(map(str, key)).encode()

    @classmethod
    def seeded(cls, seed: bytes) -> RowRandom:
        """RowRandom(*key) from RowRandom.key(*key)."""
        self = cls.__new__(cls)
        self.random = _draws(seed)
        return self


def stable_hash(*parts: object) -> int:
    """A 64-bit number for the given key parts, the same on every machine and in every process."""
    return hash_of(RowRandom.key(*parts))


def hash_of(key: bytes) -> int:
    """stable_hash(*parts) from RowRandom.key(*parts): a caller hashing every paragraph of a document joins the
    shared part once."""
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")


def unit_hash(*parts: object) -> float:
    """A stable number in [0, 1) for the given key parts."""
    return unit_of(RowRandom.key(*parts))


def unit_of(key: bytes) -> float:
    """unit_hash(*parts) from RowRandom.key(*parts)."""
    return hash_of(key) / 2**64
