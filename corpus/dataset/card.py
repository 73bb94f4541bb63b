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


def source_datasets(recipe) -> list[str]:
    """The Hub's convention: `extended|ORG/NAME` for text taken from a Hub dataset, `extended` for text taken from
    anything else (packages, crawls, pages: none of it was written for this dataset)."""
    hub = sorted({f"extended|{s.hub_dataset}" for s in recipe.sources if s.hub_dataset})
    return hub + (["extended"] if any(not s.hub_dataset for s in recipe.sources) else [])


def card_metadata(recipe, configs: dict[str, dict[str, list[dict]]]) -> DatasetCardData:
    """YAML metadata; `configs` maps config name -> split -> shards ("default" first)."""
    rows = sum(s["rows"] for splits in configs.values() for shards in splits.values() for s in shards)
    data = DatasetCardData(
        language=["vi"], license=recipe.license, multilinguality="monolingual",
        # the `real` config's clean side was restored by hand
        annotations_creators=["machine-generated"] + (["expert-generated"] if "real" in configs else []),
        language_creators=["found"], source_datasets=source_datasets(recipe),
        # de-spinning is text2text-generation (a subtask of text-generation on the Hub); spin detection is
        # text classification (no subtask fits a binary spun / clean label)
        task_categories=["text-generation", "text-classification"], task_ids=["text2text-generation"],
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


def source_rows(root: Path, configs: dict[str, dict[str, list[dict]]]) -> dict[str, dict[str, dict[str, int]]]:
    """Rows per config, source and side, read from the shards written: the licence table states what is there.
    A row's text comes from its `source`, except a mined row's noisy side: the raw page named by its `id`."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    usage: dict[str, dict[str, dict[str, int]]] = {}
    for config, splits in configs.items():
        counts = usage.setdefault(config, {})
        for shard in (s for shards in splits.values() for s in shards):
            table = pq.read_table(root / shard["path"], columns=["id", "source"])
            sides = {"clean and noisy": table.column("source")}
            if config == "mined":
                pages = pc.list_element(pc.split_pattern(table.column("id"), "/", max_splits=1), 0)
                sides = {"clean": table.column("source"), "noisy": pages}
            for side, names in sides.items():
                for item in pc.value_counts(names).to_pylist():
                    per_side = counts.setdefault(item["values"], {})
                    per_side[side] = per_side.get(side, 0) + item["counts"]
    return usage


SIDES = {"default": "both sides (the noisy side generated from the clean one)",
         "real": "both sides (the noisy side as scraped, the clean side restored by hand from it)"}


def licence_rows(recipe, usage: dict[str, dict[str, dict[str, int]]]) -> list[dict]:
    """The card's table: config -> source -> which text, rows, licence id and statement."""
    by_name = {s.name: s for s in recipe.sources}
    out = []
    for config, sources in usage.items():
        for name, sides in sorted(sources.items()):
            source = by_name.get(name)
            for side, rows in sides.items():
                text = SIDES.get(config, "both sides") if side == "clean and noisy" else f"the {side} side"
                out.append({"config": config, "source": name, "text": text, "rows": rows,
                            "license_id": source.license_id if source else "other",
                            "license": source.license if source else "not a source of this recipe"})
    return out


def citation(recipe, fingerprint: str, toolkit_version: str) -> str:
    """BibTeX for this version: a dataset entry naming the version, the fingerprint and where it is published."""
    def tex(text: str) -> str:
        return "".join("\\" + c if c in "{}&%$#_" else c for c in text)

    where = (f"Hugging Face dataset {tex(recipe.hub_repo)}, tag v{recipe.version}, "
             f"\\url{{https://huggingface.co/datasets/{recipe.hub_repo}/tree/v{recipe.version}}}"
             if recipe.hub_repo else f"a local build, {tex(recipe.name)}/{recipe.version}")
    key = "".join(c if c.isalnum() else "_" for c in f"{recipe.name}_{recipe.version}")
    return "\n".join([
        f"@misc{{{key},",
        f"  title        = {{{{{tex(recipe.pretty_name)}}}}},",
        f"  version      = {{{recipe.version}}},",
        f"  howpublished = {{{where}}},",
        f"  note         = {{Version {recipe.version}, fingerprint {fingerprint}, built by the corpus toolkit "
        f"{tex(toolkit_version)} from recipe {tex(recipe.path.name)}}},",
        "}",
    ])


def render_license(recipe, licences: list[dict], lexicons: list[dict]) -> str:
    """LICENSE.md of a version (the card's license_link): every licence its rows and files are under, by source."""
    lines = [f"# Licences of {recipe.name} {recipe.version}", ""]
    if recipe.license == "other":
        lines += [f"The card's licence is `other` (`{recipe.license_name}`): the rows come from sources under the "
                  f"licences below, and each row stays under the licence of the source it was taken from."]
    else:
        lines += [f"Every source of this version is under `{recipe.license}`; so is the dataset."]
    lines += ["A row's source is its `source` column; in the `mined` config the noisy side comes from the raw page "
              "named by the first part of its `id`. Noisy sides, edits and restorations are derived from the "
              "source's text.", "",
              "| config | source | text | rows | licence id |", "|---|---|---|---:|---|"]
    lines += [f"| {r['config']} | {r['source']} | {r['text']} | {r['rows']} | {r['license_id']} |" for r in licences]
    lines += ["", "## Sources", ""]
    for s in recipe.sources:
        lines += [f"### {s.name}", "", *([s.description, ""] if s.description else []),
                  f"- licence id: `{s.license_id}`", f"- licence: {s.license}",
                  *([f"- taken from the Hub dataset `{s.hub_dataset}`"] if s.hub_dataset else []), ""]
    lines += ["## Lexicons", "", "The spinner's vocabulary (`lexicon.jsonl.gz`), which made the noisy sides:", ""]
    lines += [f"- **{x['name']}**: {x['license']}" for x in lexicons]
    return "\n".join(lines) + "\n"
