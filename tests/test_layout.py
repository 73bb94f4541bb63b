"""The folders are the architecture: each layer imports only from the layers below it (README, "Where the code
lives"). Read from the source with `ast`, lazy imports inside functions included. The recipe's settings
(corpus/config/settings.py) are a layer of their own at the bottom: every layer may read them, they import nothing
from `corpus`."""

import ast
from pathlib import Path

import corpus

PACKAGE = Path(corpus.__file__).parent
# bottom to top; a module may import its own layer and the ones before it
LAYERS = ["rand", "config.settings", "data", "text", "readers", "spin", "match", "despin", "config", "dataset",
          "pipeline", "views", "cli"]
SETTINGS = PACKAGE / "config" / "settings.py"


def layer(module: str) -> int:
    """The rank of a corpus module ("corpus.spin.noise" -> spin's, "corpus.config.settings" -> its own, the rest
    of corpus.config -> config's); corpus/__init__.py is the bottom."""
    parts = module.removesuffix(".__init__").split(".")
    if parts[1:3] == ["config", "settings"]:
        return LAYERS.index("config.settings")
    return LAYERS.index(parts[1]) if len(parts) > 1 else -1


def imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
    return [(line, name) for line, name in found if name == "corpus" or name.startswith("corpus.")]


def test_every_module_sits_in_a_known_layer():
    names = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in PACKAGE.rglob("*.py")}
    assert SETTINGS.is_file() and not (PACKAGE / "config" / "settings").exists()
    assert names - {"__init__"} <= set(LAYERS), f"modules outside the layers: {sorted(names - set(LAYERS))}"
    assert len(list(PACKAGE.glob("*.py"))) <= 2, "the package's top level holds only __init__.py and rand.py"


def test_imports_point_down():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = layer("corpus." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts))
        upward += [f"{path.relative_to(PACKAGE)}:{line}: imports {name}" for line, name in imports(path)
                   if layer(name) > here]
    assert not upward, "imports that point up:\n" + "\n".join(upward)


def test_the_check_sees_an_upward_import(tmp_path):
    """The checker itself: a text module importing the pipeline is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from corpus.pipeline.build import build\n", encoding="utf-8")
    assert [layer(name) for _, name in imports(bad)] == [LAYERS.index("pipeline")] > [LAYERS.index("text")]


def test_the_settings_import_nothing_from_corpus():
    """Not even rand, which sits below them: the settings are plain dataclasses any layer can read."""
    assert imports(SETTINGS) == []
    assert [layer("corpus.config.settings"), layer("corpus.config.recipe")] == [LAYERS.index("config.settings"),
                                                                              LAYERS.index("config")]


def test_the_check_sees_settings_importing_upward(tmp_path):
    """The settings' layer is below text: a settings module reading the normaliser is an upward import."""
    bad = tmp_path / "settings.py"
    bad.write_text("from corpus.text.normalize import TONE_POLICIES\nimport corpus.config.recipe\n", encoding="utf-8")
    here = layer("corpus.config.settings")
    assert [layer(name) > here for _, name in imports(bad)] == [True, True]
    assert layer("corpus.rand") < here < layer("corpus.readers.text")  # readers may read the settings


def test_every_module_the_tests_benchmarks_and_examples_import_exists():
    """After a move, a lazy import inside a test function or a notebook cell fails only when it runs: find them
    all now (the notebook's cells are JSON strings, hence the escaped quotes and newlines)."""
    import importlib.util
    import re

    root = PACKAGE.parent
    named = re.compile(r"(?:from|import)\s+(corpus(?:\.\w+)*)")
    missing = set()
    for path in [*root.glob("tests/*.py"), *root.glob("benchmarks/*.py"), *root.glob("examples/*.ipynb")]:
        for module in named.findall(path.read_text(encoding="utf-8").replace("\\n", "\n")):
            if importlib.util.find_spec(module) is None:
                missing.add(f"{path.relative_to(root)}: {module}")
    assert not missing, sorted(missing)
