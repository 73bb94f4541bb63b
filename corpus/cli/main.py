"""The `corpus` command line. Errors are one clear message and an exit code, never a traceback.

Exit codes: 0 success, 1 built but inputs were skipped (listed) or validation found problems, 2 bad recipe,
lexicon or usage, 3 failed build (nothing written);
publish: 4 no token, 5 token rejected, 6 repo not writable, 7 network down, 8 conflicting tag, 9 the repo
changed during the commit, 10 other Hub error.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from corpus.cli.errors import fail

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help=__doc__.splitlines()[0])



@app.command()
def build(
    recipe: Path = typer.Argument(..., help="Recipe file (TOML), e.g. recipes/default.toml."),
    out: Path = typer.Option(Path("dist"), "--out", help="Root folder; the build lands in OUT/<name>/<version>."),
    force: bool = typer.Option(False, "--force", help="Replace an existing version even if its fingerprint differs."),
    validate_after: bool = typer.Option(False, "--validate", help="Run `corpus validate` on the result."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or summary (for scripts)."),
    workers: int = typer.Option(0, "--workers", "-w", help="Processes to use (0 = all cores); the output is "
                                "byte-identical whatever the number."),
    strict: bool = typer.Option(False, "--strict", help="Fail (exit 3, nothing written) if any input is skipped."),
    engine: str = typer.Option("local", "--engine", help="Where row-local work runs: local (a process pool) or "
                               "ray (Ray Data; pip install '.\\[ray]'). The output is byte-identical."),
    ray_address: str = typer.Option(None, "--ray-address", help="Ray cluster to join (default: $RAY_ADDRESS, "
                                    "else a local Ray with --workers CPUs)."),
) -> None:
    """Build a recipe into a versioned Hugging Face dataset folder."""
    from jinja2 import TemplateError

    from corpus.pipeline.build import BuildError
    from corpus.pipeline.build import build as run_build
    from corpus.config.recipe import RecipeError, load_recipe
    from corpus.readers.pairs import PairsError
    from corpus.spin.lexicon import LexiconError

    from corpus.pipeline.engine import ENGINES, EngineError

    if engine not in ENGINES:
        fail(f"--engine {engine!r}: expected one of {', '.join(ENGINES)}", 2)
    try:
        loaded = load_recipe(recipe)
    except RecipeError as e:
        fail(f"bad recipe, {len(e.problems)} problem{'s' * (len(e.problems) > 1)}:\n{e}", 2)
    try:
        folder, built = run_build(loaded, out, force=force, quiet=quiet, workers=workers or os.cpu_count() or 1,
                                  strict=strict, engine=engine, ray_address=ray_address)
    except BuildError as e:
        fail(f"build refused: {e}", 3)
    except LexiconError as e:
        fail(f"bad lexicon, nothing written: {e}", 2)
    except TemplateError as e:
        fail(f"build failed: card template {loaded.card_template}: {e}", 3)
    except (EngineError, PairsError, OSError) as e:
        fail(f"build failed, nothing written: {e}", 3)
    except KeyboardInterrupt:
        fail("interrupted: nothing written (an earlier build of this version, if any, is untouched)", 130)
    from corpus.dataset.manifest import Manifest, ManifestError
    from corpus.pipeline.build import existing_fingerprint

    try:  # a build just written; an up-to-date one had a readable build.json with this fingerprint
        manifest = Manifest.read(folder) if built else None
    except ManifestError as e:
        fail(f"built {folder}, but its build.json cannot be read back: {e}", 3)
    skipped = manifest.skipped_inputs if built else []
    if not quiet:
        if built:
            sizes = ", ".join(f"{n} {s.rows}" for n, s in manifest.splits.items())
            typer.echo(f"built {folder}: {manifest.counts.rows} rows ({sizes}), "
                       f"fingerprint {manifest.fingerprint}, {manifest.wall_seconds} s", err=True)
            for skip in manifest.skipped_inputs:
                typer.echo(f"  skipped {skip.where}: {skip.reason}", err=True)
        else:
            typer.echo(f"up to date: {folder} already holds fingerprint {existing_fingerprint(folder)} "
                       f"(--force rebuilds it)", err=True)
    typer.echo(str(folder))
    if validate_after:
        validate(folder)
    if skipped:
        raise typer.Exit(1)  # built, but some inputs could not be read: they are listed above


@app.command()
def validate(dist: Path = typer.Argument(..., help="A built version folder, e.g. dist/vi-despin/0.1.0.")) -> None:
    """Load a built dataset as users will and check it end to end."""
    from corpus.dataset.validate import validate as run_validate

    from corpus.pipeline.progress import stage

    if not dist.is_dir():
        fail(f"{dist} is not a folder", 2)
    with stage(f"validating {dist}", {}, quiet=False):
        report = run_validate(dist)
    for key, value in report.figures.items():
        typer.echo(f"  {key}: {value}")
    if not report.ok:
        fail(f"INVALID {dist}:\n" + "\n".join(f"  - {p}" for p in report.problems), 1)
    typer.secho(f"valid: {dist}", fg=typer.colors.GREEN)


@app.command()
def publish(
    dist: Path = typer.Argument(..., help="A built version folder, e.g. dist/vi-despin/0.1.0."),
    repo: str | None = typer.Option(None, "--repo", help="Hub dataset repo, ORG/NAME: the build's dataset.hub_repo, "
                             "which its card names (the default; another is refused)."),
    private: bool = typer.Option(False, "--private", help="Create the repo private (when it does not exist)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; touch no network."),
    create_pr: bool = typer.Option(False, "--create-pr", help="Open a pull request instead of committing to main."),
) -> None:
    """Publish a built version to the Hugging Face Hub: one commit, then the tag v<version>."""
    from corpus.dataset.publish import PublishError, plan
    from corpus.dataset.publish import publish as run_publish

    try:
        release = plan(dist, repo)
        typer.echo(release.describe())
        if dry_run:
            typer.echo("dry run: nothing sent")
            return
        run_publish(release, private=private, create_pr=create_pr, say=typer.echo)
    except PublishError as e:
        fail(f"publish failed: {e}", e.code)


def _printable(value: str) -> str:
    """A build.json string on one terminal line: control characters escaped, Vietnamese letters kept."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in value)


def _listing(manifest: Path) -> tuple | str:
    """(name, version, fingerprint, rows, built_at) from a build.json, or why it cannot be listed (one line)."""
    import json

    try:
        if not manifest.is_file():  # a folder, a FIFO (reading it would wait forever), a dangling link
            return "not a regular file"
        if manifest.stat().st_size > 256 << 20:
            return "larger than 256 MB"
        m = json.loads(manifest.read_text(encoding="utf-8"))
    except RecursionError:
        return "nested too deeply"
    except UnicodeDecodeError:
        return "not UTF-8"
    except ValueError as e:
        return f"not JSON ({e})"
    except OSError as e:
        return e.strerror or type(e).__name__
    if not isinstance(m, dict):
        return "not a JSON object"
    counts = m.get("counts")
    rows = counts.get("rows") if isinstance(counts, dict) else None
    bad = [k for k in ("name", "version", "fingerprint") if not isinstance(m.get(k), str)]
    if type(rows) is not int or rows < 0:
        bad.append("counts.rows")
    if bad:
        return f"missing or invalid {', '.join(bad)}"
    built = m.get("built_at")
    return (*(_printable(m[k]) for k in ("name", "version", "fingerprint")), rows,
            _printable(built) if isinstance(built, str) else "?")


def _restore_interrupted(parent: Path, names: list[str]) -> None:
    """A `corpus build --force` killed between its two renames left a version only as .<version>.old-<pid>: put
    it back, under the version's lock, as the next build would."""
    import re

    from corpus.pipeline.build import BuildError, VersionLock, restore_replaced

    for version in sorted({m.group(1) for m in map(re.compile(r"\.(.+)\.old-[^.]+$").match, names) if m}):
        target = parent / version
        if os.path.lexists(target):
            continue  # a complete version is there: the .old- folder is a leftover the next build removes
        try:
            lock = VersionLock(parent, parent.name, version)
        except BuildError:
            typer.echo(f"{target}: being replaced by a running build", err=True)
            continue
        except OSError as e:
            typer.echo(f"{target}: an interrupted --force left it under a .old- name; the next build restores it "
                       f"(cannot lock: {e.strerror or e})", err=True)
            continue
        try:
            restored = restore_replaced(target)
            if restored is not None:
                typer.echo(f"restored {target} from {restored.name} (a --force replacement was interrupted)",
                           err=True)
        except OSError as e:
            typer.echo(f"{target}: cannot restore it from its .old- copy: {e.strerror or e}", err=True)
        finally:
            lock.release()


@app.command("recipe-schema")
def recipe_schema(
    section: str = typer.Argument(None, help="Only this section (noise, dedup, sources, ...); all by default."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per key instead of the table."),
) -> None:
    """Every recipe key: section, key, type, default, allowed values and what it does (from corpus/config/settings.py)."""
    import json

    from corpus.config.settings import SECTIONS, TABLES, schema

    rows = schema()
    if section is not None:
        names = [*SECTIONS, *TABLES]
        if section.strip("[]") not in names:
            fail(f"unknown section {section!r}: expected one of {', '.join(names)}", 2)
        rows = [r for r in rows if r[0].strip("[]") == section.strip("[]")]
    if as_json:
        for r in rows:
            typer.echo(json.dumps(dict(zip(("section", "key", "type", "default", "allowed", "doc"), r)),
                                  ensure_ascii=False))
        return
    width = [max(len(r[k]) for r in rows) for k in range(1, 5)]
    for i, (name, key, kind, default, allowed, doc) in enumerate(rows):
        if i == 0 or rows[i - 1][0] != name:
            typer.echo(("" if i == 0 else "\n") + f"[{name}]")  # [noise], [[sources]]
        cells = (key, kind, default, allowed)
        typer.echo("  " + "  ".join(c.ljust(w) for c, w in zip(cells, width)) + "  " + doc)


@app.command()
def versions(root: Path = typer.Argument(Path("dist"), help="Where builds land (corpus build --out).")) -> None:
    """Built versions under ROOT: name, version, fingerprint, rows, date."""
    from corpus.pipeline.build import MANIFEST

    def folders(parent: Path) -> list[Path]:  # visible ones only: .tmp-, .old- and .del- are never versions
        try:
            return sorted(p for p in parent.iterdir() if not p.name.startswith(".") and p.is_dir())
        except OSError as e:
            if parent != root or root.exists():
                typer.echo(f"{parent}: cannot be read ({e.strerror or e}), skipped", err=True)
            return []

    found = []
    for parent in folders(root):
        try:
            _restore_interrupted(parent, [p.name for p in parent.iterdir() if ".old-" in p.name])
        except OSError:
            pass  # unreadable: folders() says so
        for folder in folders(parent):
            manifest = folder / MANIFEST
            if not os.path.lexists(manifest):
                continue  # not a build
            entry = _listing(manifest)
            if isinstance(entry, str):
                typer.echo(f"{manifest}: {entry}, skipped", err=True)
            else:
                found.append(entry)
    if not found:
        typer.echo(f"no built versions under {root}")
    for name, version, fingerprint, rows, built in found:
        typer.echo(f"{name:<24}{version:<10}{fingerprint:<18}{rows:>9} rows  {built}")


@app.command()
def show(
    dist: Path = typer.Argument(..., help="A built version folder, e.g. dist/vi-despin/0.1.0."),
    split: str = typer.Option(None, "--split", help="train, validation or test (default: all, both configs)."),
    n: int = typer.Option(5, "--n", min=1, help="How many rows (chosen by a hash of the id: the same every time)."),
    row_id: str = typer.Option(None, "--id", help="Show the row with this id."),
    origin: str = typer.Option(None, "--origin", help="synthetic, real or mined (real: the `real` config)."),
) -> None:
    """Print pairs with their edits coloured by kind (plain text when piped)."""
    from corpus.dataset.browse import NotBuilt, pick
    from corpus.views.show import show as print_rows

    try:
        rows = pick(dist, n, split=split, origin=origin, row_id=row_id)
    except (NotBuilt, ValueError) as e:
        fail(str(e), 2)
    if not rows:
        fail(f"no row of {dist} matches" + (f" id {row_id!r}" if row_id else " these filters"), 1)
    print_rows(rows)


@app.command()
def report(
    dist: Path = typer.Argument(..., help="A built version folder, e.g. dist/vi-despin/0.1.0."),
    out: Path = typer.Option(Path("report.html"), "--out", "-o", help="Where to write the HTML page."),
    samples: int = typer.Option(50, "--samples", min=0, help="Sample pairs shown with coloured diffs."),
) -> None:
    """One self-contained HTML page: the card's charts, the accounting and sample pairs with coloured diffs."""
    from corpus.dataset.browse import NotBuilt
    from corpus.views.report import render_report

    try:
        page = render_report(dist, samples)
    except NotBuilt as e:
        fail(str(e), 2)
    try:
        out.write_text(page, encoding="utf-8")
    except OSError as e:
        fail(f"cannot write {out}: {e}", 2)
    typer.echo(str(out))


from corpus.cli.eval import detect_command, eval_command, eval_detector_command, restore_command  # noqa: E402
from corpus.cli.mine import mine_command  # noqa: E402
from corpus.cli.spin import calibrate_command, lexicon_app, spin_command  # noqa: E402

app.command("spin")(spin_command)
app.command("calibrate")(calibrate_command)
app.add_typer(lexicon_app, name="lexicon")
app.command("detect")(detect_command)
app.command("restore")(restore_command)
app.command("eval")(eval_command)
app.command("eval-detector")(eval_detector_command)
app.command("mine")(mine_command)


if __name__ == "__main__":
    app()
