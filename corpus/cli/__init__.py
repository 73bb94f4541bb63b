"""The `corpus` command: main (build, validate, publish, show, ...), spin, eval and mine subcommands."""

from corpus.cli.main import app

__all__ = ["app"]
