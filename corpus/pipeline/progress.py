"""What a long build shows while it works: a bar over shards, a line naming each later stage. On a terminal
only (stderr; tqdm stays silent when it is not a TTY), never with --quiet; every stage is timed either way."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager

from tqdm import tqdm


def over_shards(items, total: int, desc: str, quiet: bool):
    """Iterate over shard results with a bar."""
    return tqdm(items, total=total, desc=desc, unit=" shards", disable=True if quiet else None, file=sys.stderr,
                leave=False)


@contextmanager
def stage(name: str, seconds: dict, quiet: bool):
    """`with stage("language model", seconds, quiet):` names the work on the terminal while it runs and records
    its wall time in `seconds` (build.json's stage_seconds)."""
    line = tqdm(total=1, desc=name, bar_format="{desc} ...", disable=True if quiet else None, file=sys.stderr,
                leave=False)
    clock = time.time()
    try:
        yield
    finally:
        seconds[name] = round(time.time() - clock, 2)
        line.close()
