"""`corpus spin`, `corpus calibrate` and `corpus lexicon ...`: the noise model from the command line."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import typer

from corpus.cli.errors import fail

lexicon_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Inspect and grow the spinner lexicon.")




def _recipe(path: Path | None):
    """The recipe at `path` (None: none given), or a clean exit naming its problems."""
    from corpus.config.recipe import RecipeError, load_recipe

    if path is None:
        return None
    try:
        return load_recipe(path)
    except RecipeError as e:
        fail(f"bad recipe, {len(e.problems)} problem{'s' * (len(e.problems) > 1)}:\n{e}", 2)


def _lexicons(recipe):
    """The recipe's lexicons (the toolkit's own without a recipe), or a clean exit when one cannot be read."""
    from corpus.spin.lexicon import LexiconError
    from corpus.spin.lexicon_files import PACKAGE, load_lexicons

    try:
        return recipe.load_lexicons() if recipe else load_lexicons((PACKAGE,), "old")
    except LexiconError as e:
        fail(f"bad lexicon: {e}", 2)


def spin_command(
    text: str = typer.Argument(None, help="Vietnamese text to spin; read from stdin when omitted."),
    seed: int = typer.Option(0, "--seed", help="Seed of the random choices (same seed, same output)."),
    recipe: Path = typer.Option(None, "--recipe", help="Spin with this recipe's lexicons, noise settings and "
                                "tone-mark policy (default: the toolkit's lexicon and settings)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object: clean, noisy, edits."),
) -> None:
    """Spin a text with the full noise model (always spun) and show the edits."""
    from corpus.spin.edits import as_dict
    from corpus.spin.noise import NoiseSettings, spin
    from corpus.text.normalize import normalize

    loaded = _recipe(recipe)
    lexicon = _lexicons(loaded).lexicon
    if text is None:
        if sys.stdin is None or sys.stdin.isatty():
            fail("give a TEXT argument or pipe text on stdin", 2)
        from corpus.readers import Skip
        from corpus.readers.text import decode

        text = decode(sys.stdin.buffer.read(), "stdin", "spin")  # the build's reader: UTF-16, Windows-1258, gzip
        if isinstance(text, Skip):
            fail(f"stdin: cannot read: {text.reason}", 2)
    clean = normalize(text, loaded.tone_marks if loaded else "old").strip()
    if not clean:
        fail("nothing to spin: the text is empty", 2)
    noisy, edits = spin(clean, random.Random(seed), loaded.noise if loaded else NoiseSettings(), lexicon)
    edits = [as_dict(e) for e in edits]
    if as_json:
        typer.echo(json.dumps({"clean": clean, "noisy": noisy, "edits": edits}, ensure_ascii=False))
    elif sys.stdout.isatty():  # the edits coloured by kind, as `corpus show` colours them
        from rich.console import Console

        from corpus.views.show import side_text

        Console(highlight=False, soft_wrap=True).print(side_text(noisy, edits, "noisy", mark_spaces=True))
    else:
        typer.echo(noisy)


def calibrate_command(
    pairs: Path = typer.Option(..., "--pairs", help="JSONL of real pairs with 'clean' and 'noisy' fields."),
    recipe: Path = typer.Option(None, "--recipe", help="Take the noise settings, seed and lexicons from this recipe."),
    draws: int = typer.Option(20, "--draws", min=1, help="Synthetic draws per pair."),
) -> None:
    """Real against synthetic noise statistics, side by side, on the same clean text."""
    from corpus.readers.pairs import PairsError, read_pairs, texts
    from corpus.spin.calibrate import TOLERANCE, calibrate
    from corpus.spin.noise import NoiseSettings

    loaded = _recipe(recipe)
    lexicon = _lexicons(loaded).lexicon
    settings, seed = (loaded.noise, loaded.seed) if loaded else (NoiseSettings(), 0)
    try:
        real_pairs = texts(read_pairs(pairs))
    except PairsError as e:
        fail(str(e), 2)
    result = calibrate(real_pairs, settings, seed, draws, lexicon)
    typer.echo(f"{result['pairs']} real pairs; synthetic: {draws} draws each from the same clean text\n")
    typer.echo(f"{'statistic':<22}{'real':>10}{'synthetic':>12}{'ratio':>9}  within ±{TOLERANCE:.0%}")
    for row in result["rows"]:
        typer.echo(f"{row['statistic']:<22}{row['real']:>10.4f}{row['synthetic']:>12.4f}{row['ratio']:>9.3f}  "
                   f"{'yes' if row['within'] else 'NO'}")
    kinds = sorted(set(result["real"]["change_kinds"]) | set(result["synthetic"]["change_kinds"]))
    typer.echo("\nchange kinds (share of differing blocks in a word alignment)")
    for k in kinds:
        typer.echo(f"  {k:<20}{result['real']['change_kinds'].get(k, 0):>10.3f}"
                   f"{result['synthetic']['change_kinds'].get(k, 0):>12.3f}")


@lexicon_app.command("stats")
def lexicon_stats(
    recipe: Path = typer.Argument(None, help="A recipe: its lexicons (default: the toolkit's own)."),
) -> None:
    """Groups and phrases per lexicon and provenance, and what the overlap policy repaired, per kind."""
    from corpus.spin.lexicon_files import KINDS

    loaded = _lexicons(_recipe(recipe))
    reports = loaded.reports
    width = max(14, *(len(x["name"]) + 2 for x in reports))
    typer.echo(f"{'lexicon':<{width}}{'files':>7}{'groups':>9}{'matched':>9}{'written':>9}  provenance")
    for x in reports:
        provenance = ", ".join(f"{p} {n}" for p, n in x["by_provenance"].items())
        typer.echo(f"{x['name']:<{width}}{len(x['inputs']):>7}{x['groups']:>9}{x['phrases']:>9}{x['outputs']:>9}"
                   f"  {provenance}")
    typer.echo(f"{'total':<{width}}{sum(len(x['inputs']) for x in reports):>7}{len(loaded.lexicon):>9}"
               f"{len(loaded.lexicon.by_source):>9}")
    typer.echo("\noverlaps and repairs (one policy, in recipe order; first group wins a shared member)")
    typer.echo(f"{'kind':<18}" + "".join(f"{x['name'][:11]:>12}" for x in reports) + "  meaning")
    for kind, meaning in KINDS.items():
        typer.echo(f"{kind:<18}" + "".join(f"{x['counts'][kind]:>12}" for x in reports) + f"  {meaning}")
    for x in reports:
        for line in x["skipped"]:
            typer.echo(f"skipped {line}", err=True)
        more = x["counts"]["bad_line"] - len(x["skipped"])
        if more > 0:
            typer.echo(f"... and {more} more bad lines in {x['name']}", err=True)


@lexicon_app.command("learn")
def lexicon_learn(
    pairs: Path = typer.Argument(..., help="JSONL of (clean, noisy) pairs."),
    min_count: int = typer.Option(1, "--min-count", help="Only candidates seen at least this often."),
    new_only: bool = typer.Option(False, "--new", help="Only candidates the lexicon does not already produce."),
    recipe: Path = typer.Option(None, "--recipe", help="Compare with this recipe's lexicons (default: the "
                                "toolkit's own)."),
) -> None:
    """Candidate groups from aligned pairs, with counts, in lexicon syntax, for review. Saved to a file, they are
    a lexicon a recipe can list ([[lexicons]] with provenance learned)."""
    from corpus.readers.pairs import PairsError, read_pairs, texts
    from corpus.spin.learn import as_lexicon_line, candidate_groups

    lexicon = _lexicons(_recipe(recipe)).lexicon
    try:
        found = candidate_groups(texts(read_pairs(pairs)))
    except PairsError as e:
        fail(str(e), 2)
    for old, new, count in found:
        if count < min_count:
            continue
        known = old in lexicon.options and new in {t.lower() for t in lexicon.options[old][0]}
        if new_only and known:
            continue
        typer.echo(as_lexicon_line(old, new, count) + ("  (already in the lexicon)" if known else ""))
