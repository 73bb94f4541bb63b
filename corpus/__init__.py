"""Build versioned Hugging Face datasets of (clean, spun) Vietnamese paragraph pairs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vi-despin-corpus")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+source"
