"""Generalisation with a held-back half of the lexicon, the way a researcher would check it, with real builds.

    python -m benchmarks.heldout [--recipe recipes/default.toml] [--shape ours|spintax]

1. The recipe's groups are split in two halves by a hash of their rule (corpus.spin.lexicon_files.half_of),
   written as two lexicon files (`--shape spintax`: every group as {a|b|c}, UTF-16, as spinners ship them).
2. The test split's paragraphs are spun with half A (the noise model and the recipe's settings).
3. `corpus build` with half B only, then `corpus restore --lm` of those paragraphs: out-of-sample.
4. `corpus build` with halves A and B, then `corpus restore --lm` again: in-sample.
Prints CER, error reduction against copying the input and harm (share of untouched test paragraphs the
de-spinner changed) for each, side by side, and the build's own held-out figures from its card. The generated
recipes are written beside the recipe (recipes/.heldout-*.toml, removed at the end) so that every relative path
and document id stays the recipe's own; the builds go to a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from corpus.despin.evaluate import score
from corpus.rand import RowRandom
from corpus.config.recipe import load_recipe
from corpus.spin.lexicon_files import as_line, half_of
from corpus.spin.noise import spin

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "corpus.cli"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", type=Path, default=ROOT / "recipes" / "default.toml")
    parser.add_argument("--shape", choices=("ours", "spintax"), default="spintax")
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args()
    recipe = load_recipe(args.recipe)
    groups = recipe.load_lexicons().lexicon.groups
    halves = {h: [g for g in groups if half_of(g.rule) == h] for h in "ab"}
    print(f"{args.recipe.name}: {len(groups)} groups; half A {len(halves['a'])}, half B {len(halves['b'])}; "
          f"files in the {args.shape} shape")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory(prefix="heldout-") as tmp:
        work = Path(tmp)
        files = {}
        for h, part in halves.items():
            lines = "\n".join(as_line(g, args.shape == "spintax") for g in part) + "\n"
            files[h] = work / f"half-{h}.txt"
            files[h].write_bytes(lines.encode("utf-16" if args.shape == "spintax" else "utf-8"))
        recipes = {"B only": _recipe(args.recipe, [("half-b", files["b"])]),
                   "A + B": _recipe(args.recipe, [("half-a", files["a"]), ("half-b", files["b"])])}
        try:
            built = {}
            for name, path in recipes.items():
                out = subprocess.run([*CLI, "build", path, "--out", work / name.replace(" ", ""), "--quiet",
                                      "--workers", str(args.workers)], capture_output=True, text=True, env=env)
                if out.returncode not in (0, 1):
                    sys.exit(f"build with {name} failed:\n{out.stderr[-2000:]}")
                built[name] = Path(out.stdout.strip().splitlines()[-1])
        finally:
            for path in recipes.values():
                path.unlink(missing_ok=True)
        rows = _test_rows(built["A + B"])
        half_a = load_recipe_with(args.recipe, [("half-a", files["a"])])
        spun = [(r["clean"], spin(r["clean"], RowRandom(recipe.seed, "heldout-protocol", r["id"]), recipe.noise,
                                  half_a)[0] if r["spun"] else r["clean"]) for r in rows]
        noisy_file = work / "noisy.jsonl"
        noisy_file.write_text("".join(json.dumps({"noisy": n}, ensure_ascii=False) + "\n" for _, n in spun),
                              encoding="utf-8")
        print(f"test paragraphs: {len(spun)} ({sum(c != n for c, n in spun)} spun with half A, "
              f"{sum(c == n for c, n in spun)} left clean)")
        print(f"{'de-spinner built with':<24}{'CER in':>9}{'CER out':>9}{'error reduction':>17}{'harm':>8}")
        for name, folder in built.items():
            out = subprocess.run([*CLI, "restore", "--lm", folder / "lm.tsv.gz", "--json", noisy_file],
                                 capture_output=True, text=True, env=env, check=True)
            restored = [json.loads(line)["restored"] for line in out.stdout.splitlines()]
            s = score([n for _, n in spun], restored, [c for c, _ in spun])
            print(f"{name:<24}{s['input_cer']:>9.4f}{s['cer']:>9.4f}{s['error_reduction']:>17.1%}{s['harm']:>8.2%}")
        for name, folder in built.items():
            card = json.loads((folder / "build.json").read_text(encoding="utf-8"))["results"].get("held-out half")
            if card:
                print(f"the {name} build's own held-out half (its card): out-of-sample "
                      f"{card['lexicon, other half']['error_reduction']:.1%} (harm "
                      f"{card['lexicon, other half']['harm']:.2%}), in-sample {card['lexicon']['error_reduction']:.1%}")


def _recipe(recipe: Path, lexicons: list[tuple[str, Path]]) -> Path:
    """A copy of the recipe beside it (so its relative paths hold) with these lexicons instead of its own."""
    text = recipe.read_text(encoding="utf-8")
    if tomllib.loads(text).get("lexicons"):  # a commented-out example does not count
        sys.exit(f"{recipe} lists its own lexicons: give a recipe without [[lexicons]]")
    for name, path in lexicons:
        text += f'\n[[lexicons]]\nname = "{name}"\npaths = ["{path.as_posix()}"]\nprovenance = "curated"\n' \
                f'license = "the toolkit\'s own lexicon, half of it"\n'
    out = recipe.with_name(f".heldout-{os.getpid()}-{len(lexicons)}.toml")
    out.write_text(text, encoding="utf-8")
    return out


def load_recipe_with(recipe: Path, lexicons: list[tuple[str, Path]]):
    """The lexicon of the recipe with these lexicons instead of its own (what `corpus spin --recipe` uses)."""
    path = _recipe(recipe, lexicons)
    try:
        return load_recipe(path).load_lexicons().lexicon
    finally:
        path.unlink()


def _test_rows(folder: Path) -> list[dict]:
    """The test split's distinct clean paragraphs, with whether the build spun them (untouched ones measure harm)."""
    import pyarrow.parquet as pq

    seen: dict[str, dict] = {}
    for shard in sorted((folder / "data").glob("test-*.parquet")):
        for r in pq.read_table(shard, columns=["id", "clean", "noisy"]).to_pylist():
            seen.setdefault(r["clean"], {"id": r["id"], "clean": r["clean"], "spun": False})
            seen[r["clean"]]["spun"] |= r["noisy"] != r["clean"]
    return list(seen.values())


if __name__ == "__main__":
    main()
