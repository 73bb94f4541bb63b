"""The one schema: Parquet shards, the card's YAML and `corpus validate` are all derived from FEATURES."""

from __future__ import annotations

from datasets import ClassLabel, Features, List, Value

ORIGINS = ("synthetic", "real", "mined")
SPLITS = ("train", "validation", "test")

EDIT = {
    "clean_start": Value("int32"),
    "clean_end": Value("int32"),
    "noisy_start": Value("int32"),
    "noisy_end": Value("int32"),
    "kind": Value("string"),
    "rule": Value("string"),
    "replacement": Value("string"),
}

FEATURES = Features(
    {
        "id": Value("string"),
        "clean": Value("string"),
        "noisy": Value("string"),
        "origin": ClassLabel(names=list(ORIGINS)),
        "source": Value("string"),
        "doc_id": Value("string"),
        "paragraph": Value("int32"),
        "variant": Value("int32"),
        "edits": List(EDIT),
    }
)
