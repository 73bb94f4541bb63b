"""Packaged resources: the toolkit's own lexicon, number words, abbreviations, boilerplate, spun phrases, SEO titles."""

from __future__ import annotations

from importlib import resources


def files() -> list:
    """The packaged resources whose bytes shape the noise (they enter the build fingerprint)."""
    from corpus.spin.lexicon_files import package_files

    root = resources.files("corpus.data")
    return [*package_files(), root.joinpath("abbreviations.txt"), root.joinpath("boilerplate.txt"),
            root.joinpath("spun_phrases.txt"), root.joinpath("seo_titles.txt")]
