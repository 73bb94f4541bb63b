"""Path patterns of recipes, expanded like glob.glob but safe from symbolic link loops.

glob.glob follows every symlinked folder under "**": a folder holding two links to itself ("latest -> .",
"current -> .") makes it try on the order of 2^40 paths (40 links per path), which never ends. Here "**" visits
each real folder once (links to folders are still followed, to places not seen yet), so every file is found once
and the expansion ends.
"""

from __future__ import annotations

import glob
import os


def expand(pattern: str) -> list[str]:
    """Sorted paths matching pattern; "**" is any number of folders (hidden ones skipped, as glob does)."""
    parts = pattern.split(os.sep)
    if "**" not in parts:
        return sorted(glob.glob(pattern))
    i = parts.index("**")
    head, tail = os.sep.join(parts[:i]) or (os.sep if pattern.startswith(os.sep) else ""), parts[i + 1 :]
    if not head:  # "**/x" walks the current folder and, like glob, names what it finds without "./"
        return sorted(p.removeprefix(os.curdir + os.sep) for p in expand(os.path.join(os.curdir, pattern)))
    found: set[str] = set()
    for root in glob.glob(head) if glob.has_magic(head) else [head]:
        for folder in _folders(root):
            if tail:
                found.update(expand(os.path.join(glob.escape(folder), *tail)))
            else:
                found.update(glob.glob(os.path.join(glob.escape(folder), "*")))
    return sorted(found)


def _folders(root: str):
    """root and the folders below it, each real folder once, in a fixed order."""
    seen: set[tuple[int, int]] = set()
    for folder, subfolders, _ in os.walk(root, followlinks=True):
        try:
            info = os.stat(folder)
        except OSError:
            subfolders[:] = []
            continue
        if (info.st_dev, info.st_ino) in seen:
            subfolders[:] = []
            continue
        seen.add((info.st_dev, info.st_ino))
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        yield folder
