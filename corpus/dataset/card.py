"""The dataset card: YAML metadata from the one Features object, body from the recipe's Jinja2 template."""

from __future__ import annotations

from pathlib import Path

from datasets import DatasetInfo, SplitDict, SplitInfo
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCardData
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from corpus.dataset.features import FEATURES

# Keys the Hub understands; nothing validates card metadata offline, so we keep our own allow-list.
CARD_KEYS = {
    "language", "license", "license_name", "license_link", "multilinguality", "annotations_creators",
    "language_creators", "source_datasets", "task_categories", "task_ids", "size_categories", "pretty_name",
    "tags", "dataset_info", "configs",
}


def size_category(n: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                         (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if n < limit:
            return label
    return "n>10M"


def card_metadata(recipe, configs: dict[str, dict[str, list[dict]]]) -> DatasetCardData:
    """YAML metadata; `configs` maps config name -> split -> shards ("default" first)."""
    rows = sum(s["rows"] for splits in configs.values() for shards in splits.values() for s in shards)
    data = DatasetCardData(
        language=["vi"], license=recipe.license, multilinguality="monolingual",
        annotations_creators=["machine-generated"], language_creators=["found"], source_datasets=["original"],
        task_categories=["text-generation"], task_ids=["text2text-generation"],
        size_categories=[size_category(rows)], pretty_name=recipe.pretty_name,
        tags=["vietnamese", "text-normalization", "spinning", "paraphrase", "synthetic"],
    )
    if recipe.license == "other":
        data["license_name"], data["license_link"] = recipe.license_name, recipe.license_link
    infos, metadata = {}, {}
    for config, splits in configs.items():
        split_dict = SplitDict(dataset_name=recipe.name)
        for name, shards in splits.items():
            split_dict.add(SplitInfo(name=name, num_examples=sum(s["rows"] for s in shards),
                                     num_bytes=sum(s["nbytes"] for s in shards), dataset_name=recipe.name))
        every = [s for shards in splits.values() for s in shards]
        infos[config] = DatasetInfo(features=FEATURES, splits=split_dict,
                                    download_size=sum(s["bytes"] for s in every),
                                    dataset_size=sum(s["nbytes"] for s in every))
        folder = every[0]["path"].split("/")[0]
        metadata[config] = {
            "data_files": [{"split": name, "path": f"{folder}/{name}-*.parquet"} for name in splits],
            "version": recipe.version,
            **({"default": True} if config == "default" and len(configs) > 1 else {}),
        }
    DatasetInfosDict(infos).to_dataset_card_data(data)
    MetadataConfigs(metadata).to_dataset_card_data(data)
    return data


def render_card(recipe, configs: dict[str, dict[str, list[dict]]], context: dict, digest: str) -> str:
    """YAML metadata, the template's body, and a last line with build.json's digest (whatever the template)."""
    metadata = card_metadata(recipe, configs)
    unknown = set(metadata.to_dict()) - CARD_KEYS
    if unknown:
        raise ValueError(f"card metadata has keys the Hub does not know: {sorted(unknown)}")
    env = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
    template = env.from_string(Path(recipe.card_template).read_text(encoding="utf-8"))
    body = template.render(**context)
    trailer = f"\nbuild.json digest: `{digest}` (its content but the file list and timings; `corpus validate` " \
              "checks it)\n"
    return f"---\n{metadata.to_yaml()}\n---\n\n{body.rstrip()}\n{trailer}"
