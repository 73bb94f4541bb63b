"""The `corpus` command: main (build, validate, publish, show, ...), spin, eval and mine subcommands."""

from __future__ import annotations

import os
import sys

from corpus.cli.main import app

__all__ = ["app", "main"]


def main() -> None:
    """Run the `corpus` command. A failing command, its message printed and everything it wrote cleaned up, ends
    with os._exit: the interpreter's teardown of native thread pools (pyarrow's) can abort ("terminate called
    without an active exception", exit -6 instead of the command's code; 1 refused build in 40 under load)."""
    try:
        app()
    except SystemExit as e:
        if e.code in (None, 0):
            raise
        if not isinstance(e.code, int):  # sys.exit("message"): Python would print it
            print(e.code, file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(e.code if isinstance(e.code, int) else 1)
