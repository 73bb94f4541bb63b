"""The `corpus` command line. Errors are one clear message and an exit code, never a traceback.

Exit codes: 0 success, 1 validation found problems, 2 bad recipe or usage, 3 failed build (nothing written).
"""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help=__doc__.splitlines()[0])


def _fail(message: str, code: int) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@app.command()
def build(
    recipe: Path = typer.Argument(..., help="Recipe file (TOML), e.g. recipes/default.toml."),
    out: Path = typer.Option(Path("dist"), "--out", help="Root folder; the build lands in OUT/<name>/<version>."),
    force: bool = typer.Option(False, "--force", help="Replace an existing version even if its fingerprint differs."),
    validate_after: bool = typer.Option(False, "--validate", help="Run `corpus validate` on the result."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or summary (for scripts)."),
) -> None:
    """Build a recipe into a versioned Hugging Face dataset folder."""
    from jinja2 import TemplateError

    from corpus.build import BuildError
    from corpus.build import build as run_build
    from corpus.recipe import RecipeError, load_recipe
    from corpus.real import RealPairsError
    from corpus.spin.calibrate import PairsError
    from corpus.spin.lexicon import LexiconError

    try:
        loaded = load_recipe(recipe)
    except RecipeError as e:
        _fail(f"bad recipe, {len(e.problems)} problem{'s' * (len(e.problems) > 1)}:\n{e}", 2)
    try:
        folder, built = run_build(loaded, out, force=force, quiet=quiet)
    except BuildError as e:
        _fail(f"build refused: {e}", 3)
    except (RealPairsError, PairsError) as e:
        _fail(f"build failed, nothing written: {e}", 3)
    except LexiconError as e:
        _fail(f"build failed, nothing written: the packaged lexicon is broken: {e}", 3)
    except TemplateError as e:
        _fail(f"build failed: card template {loaded.card_template}: {e}", 3)
    except OSError as e:
        _fail(f"build failed, nothing written: {e}", 3)
    if not quiet:
        import json

        manifest = json.loads((folder / "build.json").read_text(encoding="utf-8"))
        if built:
            sizes = ", ".join(f"{n} {s['rows']}" for n, s in manifest["splits"].items())
            typer.echo(f"built {folder}: {manifest['counts']['rows']} rows ({sizes}), "
                       f"fingerprint {manifest['fingerprint']}, {manifest['wall_seconds']} s", err=True)
            for skip in manifest["skipped_inputs"]:
                typer.echo(f"  skipped {skip['where']}: {skip['reason']}", err=True)
        else:
            typer.echo(f"up to date: {folder} already holds fingerprint {manifest['fingerprint']} "
                       f"(--force rebuilds it)", err=True)
    typer.echo(str(folder))
    if validate_after:
        validate(folder)


@app.command()
def validate(dist: Path = typer.Argument(..., help="A built version folder, e.g. dist/vi-despin/0.1.0.")) -> None:
    """Load a built dataset as users will and check it end to end."""
    from corpus.dataset.validate import validate as run_validate

    if not dist.is_dir():
        _fail(f"{dist} is not a folder", 2)
    report = run_validate(dist)
    for key, value in report.figures.items():
        typer.echo(f"  {key}: {value}")
    if not report.ok:
        _fail(f"INVALID {dist}:\n" + "\n".join(f"  - {p}" for p in report.problems), 1)
    typer.secho(f"valid: {dist}", fg=typer.colors.GREEN)


from corpus.cli_eval import detect_command, eval_command, eval_detector_command, restore_command  # noqa: E402
from corpus.cli_spin import calibrate_command, lexicon_app, spin_command  # noqa: E402

app.command("spin")(spin_command)
app.command("calibrate")(calibrate_command)
app.add_typer(lexicon_app, name="lexicon")
app.command("detect")(detect_command)
app.command("restore")(restore_command)
app.command("eval")(eval_command)
app.command("eval-detector")(eval_detector_command)


if __name__ == "__main__":
    app()
