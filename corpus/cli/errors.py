"""The one way every `corpus` command reports a failure: a red line on stderr and an exit code, no traceback."""

from __future__ import annotations

import typer


def fail(message: str, code: int) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)
