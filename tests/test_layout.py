"""The folders are the architecture: each layer imports only from the layers below it (README, "Where the code
lives"). Read from the source with `ast`, lazy imports inside functions included."""

import ast
from pathlib import Path

import corpus

PACKAGE = Path(corpus.__file__).parent
# bottom to top; a module may import its own layer and the ones before it
LAYERS = ["rand", "data", "text", "readers", "spin", "match", "despin", "config", "dataset", "pipeline", "views",
          "cli"]


def layer(module: str) -> int:
    """The rank of a corpus module ("corpus.spin.noise" -> spin's); corpus/__init__.py is the bottom."""
    parts = module.removesuffix(".__init__").split(".")
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
