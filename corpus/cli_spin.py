"""`corpus spin`, `corpus calibrate` and `corpus lexicon ...`: the noise model from the command line."""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from pathlib import Path

import typer

from corpus.cli_errors import fail
from corpus.diffs import KIND_COLOURS, OTHER_COLOUR

lexicon_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Inspect and grow the spinner lexicon.")




def highlight(noisy: str, edits: list[dict]) -> str:
    """The noisy text with each edit coloured by kind (spaces that were inserted shown as ␣)."""
    out, cursor = [], 0
    for e in edits:
        out.append(noisy[cursor : e["noisy_start"]])
        shown = e["replacement"] if e["replacement"].strip() else e["replacement"].replace(" ", "␣") or "⏎"
        out.append(typer.style(shown, fg=KIND_COLOURS.get(e["kind"], OTHER_COLOUR), bold=True))
        cursor = e["noisy_end"]
    out.append(noisy[cursor:])
    return "".join(out)


def spin_command(
    text: str = typer.Argument(None, help="Vietnamese text to spin; read from stdin when omitted."),
    seed: int = typer.Option(0, "--seed", help="Seed of the random choices (same seed, same output)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object: clean, noisy, edits."),
) -> None:
    """Spin a text with the full noise model (always spun) and show the edits."""
    from corpus.spin.edits import as_dict
    from corpus.spin.noise import NoiseSettings, spin
    from corpus.text.normalize import normalize

    if text is None:
        if sys.stdin.isatty():
            fail("give a TEXT argument or pipe text on stdin", 2)
        text = sys.stdin.read()
    clean = normalize(text).strip()
    if not clean:
        fail("nothing to spin: the text is empty", 2)
    noisy, edits = spin(clean, random.Random(seed), NoiseSettings())
    edits = [as_dict(e) for e in edits]
    if as_json:
        typer.echo(json.dumps({"clean": clean, "noisy": noisy, "edits": edits}, ensure_ascii=False))
    elif sys.stdout.isatty():
        typer.echo(highlight(noisy, edits))
    else:
        typer.echo(noisy)


def calibrate_command(
    pairs: Path = typer.Option(..., "--pairs", help="JSONL of real pairs with 'clean' and 'noisy' fields."),
    recipe: Path = typer.Option(None, "--recipe", help="Take the noise settings and seed from this recipe."),
    draws: int = typer.Option(20, "--draws", min=1, help="Synthetic draws per pair."),
) -> None:
    """Real against synthetic noise statistics, side by side, on the same clean text."""
    from corpus.recipe import RecipeError, load_recipe
    from corpus.spin.calibrate import TOLERANCE, PairsError, calibrate, read_pairs
    from corpus.spin.noise import NoiseSettings

    settings, seed = NoiseSettings(), 0
    if recipe is not None:
        try:
            loaded = load_recipe(recipe)
        except RecipeError as e:
            fail(f"bad recipe:\n{e}", 2)
        settings, seed = loaded.noise, loaded.seed
    try:
        real_pairs = read_pairs(pairs)
    except PairsError as e:
        fail(str(e), 2)
    result = calibrate(real_pairs, settings, seed, draws)
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
def lexicon_stats() -> None:
    """Groups and phrases by domain and provenance."""
    from corpus.spin.lexicon import default_lexicon

    lexicon = default_lexicon()
    table: dict[str, Counter] = {}
    for g in lexicon.groups:
        table.setdefault(g.domain, Counter())[g.provenance] += 1
    provenances = ("seed", "curated", "learned")
    typer.echo(f"{'domain':<14}" + "".join(f"{p:>9}" for p in provenances) + f"{'groups':>9}")
    for domain, counts in sorted(table.items()):
        typer.echo(f"{domain:<14}" + "".join(f"{counts[p]:>9}" for p in provenances) + f"{sum(counts.values()):>9}")
    totals = Counter(g.provenance for g in lexicon.groups)
    typer.echo(f"{'total':<14}" + "".join(f"{totals[p]:>9}" for p in provenances) + f"{len(lexicon.groups):>9}")
    typer.echo(f"{len(lexicon.by_source)} source phrases, "
               f"{sum(len(g.targets) for g in lexicon.groups)} replacement members")


@lexicon_app.command("learn")
def lexicon_learn(
    pairs: Path = typer.Argument(..., help="JSONL of (clean, noisy) pairs."),
    min_count: int = typer.Option(1, "--min-count", help="Only candidates seen at least this often."),
    new_only: bool = typer.Option(False, "--new", help="Only candidates the lexicon does not already produce."),
) -> None:
    """Candidate groups from aligned pairs, with counts, in lexicon syntax, for review."""
    from corpus.spin.calibrate import PairsError, read_pairs
    from corpus.spin.learn import as_lexicon_line, candidate_groups
    from corpus.spin.lexicon import default_lexicon

    try:
        found = candidate_groups(read_pairs(pairs))
    except PairsError as e:
        fail(str(e), 2)
    lexicon = default_lexicon()
    for old, new, count in found:
        if count < min_count:
            continue
        known = old in lexicon.options and new in {t.lower() for t in lexicon.options[old][0]}
        if new_only and known:
            continue
        typer.echo(as_lexicon_line(old, new, count) + ("  (already in the lexicon)" if known else ""))
