"""`corpus mine`: a build's mining for a crawl outside any recipe: raw pages and clean text in, mined pairs and the
lexicon they teach out."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from corpus.cli.errors import fail

FORMATS_BY_SUFFIX = {".jsonl": "jsonl", ".parquet": "parquet"}


def _format(pattern: str) -> str:
    name = pattern.removesuffix(".gz")
    return next((f for suffix, f in FORMATS_BY_SUFFIX.items() if name.endswith(suffix)), "text")


def mining_recipe(raw: list[str], clean: list[str], field: str, id_field: str, tone_marks: str):
    """An in-memory recipe with one source per role and format (text files, JSON Lines, Parquet by their
    suffix), read from the current folder; its problems as a RecipeError, as for any recipe."""
    from corpus.config.recipe import Recipe, RecipeError, Source, resolve_inputs
    from corpus.config.settings import DedupSettings, FilterSettings, NoiseSettings, OutputSettings

    problems, sources = [], []
    base = Path.cwd()
    for role, patterns in (("raw", raw), ("clean", clean)):
        formats = sorted({_format(p) for p in patterns})
        for fmt in formats:
            mine = [p for p in patterns if _format(p) == fmt]
            inputs = []
            for pattern in mine:
                found = resolve_inputs(pattern, base)
                if not found:
                    problems.append(f"{role}: {pattern!r} matches no file (looked in {base})")
                inputs += found
            name = role if len(formats) == 1 else f"{role}-{fmt}"
            sources.append(Source(name, tuple(mine), fmt, role, "as the inputs'", text_field=field, id_field=id_field,
                                  inputs=tuple(inputs)))
    if problems:
        raise RecipeError(Path("corpus mine"), problems)
    return Recipe(path=base / "corpus-mine", name="mined", version="0.0.0", pretty_name="", description="",
                  license="", license_name="", license_link="", card_template=Path(), seed=0, changelog=(),
                  sources=tuple(sources), tone_marks=tone_marks, repair_glued=True,
                  min_chars=FilterSettings().min_chars, max_chars=FilterSettings().max_chars,
                  noise=NoiseSettings(), dedup=DedupSettings(), splits={"train": 0.8, "validation": 0.1, "test": 0.1},
                  shard_mb=OutputSettings().shard_mb)


def mine_command(
    raw: list[str] = typer.Argument(..., help="Raw pages that may be spun: files or globs (text, .jsonl, .parquet)."),
    clean: list[str] = typer.Option(..., "--clean", help="Clean text to find the originals in: files or globs "
                                    "(repeat the option)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for pairs.jsonl, learned.txt and summary.json."),
    field: str = typer.Option("text", "--field", help="JSONL field (Parquet column) holding the text."),
    id_field: str = typer.Option("id", "--id-field", help="JSONL field (Parquet column) holding the document id."),
    tone_marks: str = typer.Option("old", "--tone-marks", help="old (hòa), new (hoà) or keep."),
    workers: int = typer.Option(0, "--workers", "-w", help="Processes to use (0 = all cores); the output is the "
                                "same whatever the number."),
    engine: str = typer.Option("local", "--engine", help="local or ray (pip install '.\\[ray]')."),
    ray_address: str = typer.Option(None, "--ray-address", help="Ray cluster to join."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or summary."),
) -> None:
    """Pair the paragraphs of raw pages with their originals among clean text, and learn the spinner's lexicon."""
    from corpus.pipeline.build import BuildError, mine_inputs
    from corpus.pipeline.engine import ENGINES, EngineError, make_engine
    from corpus.config.recipe import RecipeError
    from corpus.text.normalize import TONE_POLICIES

    if engine not in ENGINES:
        fail(f"--engine {engine!r}: expected one of {', '.join(ENGINES)}", 2)
    if tone_marks not in TONE_POLICIES:
        fail(f"--tone-marks {tone_marks!r}: expected one of {', '.join(TONE_POLICIES)}", 2)
    if out.exists() and not out.is_dir():
        fail(f"--out {out}: not a folder", 2)
    try:
        recipe = mining_recipe(raw, clean, field, id_field, tone_marks)
        with make_engine(engine, workers or os.cpu_count() or 1, ray_address) as runner:
            summary = mine_inputs(recipe, out, runner, quiet)
    except RecipeError as e:
        fail(f"bad inputs:\n{e}", 2)
    except (EngineError, BuildError) as e:
        fail(f"mining failed: {e}", 3)
    except OSError as e:
        fail(f"mining failed, nothing written: {e}", 3)
    except KeyboardInterrupt:
        fail("interrupted: nothing written", 130)
    if not quiet:
        learned = summary["learned_lexicon"]
        typer.echo(f"{summary['pairs']} pairs ({summary['spun']} spun, {summary['copies']} exact copies) of "
                   f"{summary['raw_paragraphs']} raw paragraphs; {summary['without_original']} without an original; "
                   f"learned lexicon: {learned['groups']} groups", err=True)
        for skip in summary["skipped_inputs"]:
            typer.echo(f"  skipped {skip['where']}: {skip['reason']}", err=True)
    typer.echo(str(out))
    if summary["skipped_inputs"]:
        raise typer.Exit(1)
