"""`corpus detect`, `corpus restore`, `corpus eval` and `corpus eval-detector`."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import typer

from corpus.cli.errors import fail



def _restorer(lm: Path | None):
    """The reference de-spinner of the build that holds `lm` (its language model, its lexicon beside it, its
    tone-mark policy), or the toolkit's lexicon without a model; a clean exit when the files are not a build's."""
    from corpus.spin.lexicon import LexiconError
    from corpus.despin.restore import load_restorer

    if lm is not None and not lm.is_file():
        fail(f"{lm}: no such language model file (a build writes DIST/lm.tsv.gz)", 2)
    try:
        restorer = load_restorer(str(lm) if lm else None)
    except (LexiconError, OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as e:
        fail(f"{lm}: cannot load the build's model, detector and lexicon: {e}", 2)
    return restorer, _tone_policy(lm.parent) if lm is not None else "old"


def _tone_policy(folder: Path) -> str:
    """The tone-mark policy of the build in `folder`, so that its models meet text in the form they were made from
    ("old", the toolkit's default, for a model outside a build folder)."""
    from corpus.dataset.manifest import Manifest, ManifestError

    try:
        policy = Manifest.read(folder).recipe.get("tone_marks")
    except ManifestError:
        return "old"
    return policy if isinstance(policy, str) else "old"


def detect_command(
    paths: list[Path] = typer.Argument(None, help="Text, JSONL (.jsonl, .jsonl.gz) or Parquet files; stdin (text) "
                                       "when none."),
    model: Path = typer.Option(None, "--model", help="A built version folder: its calibrated detector (n-gram "
                               "tables, regression, threshold), lexicon and tone policy. Without it: surface "
                               "evidence only (artifacts and known spinner phrases)."),
    lm: Path = typer.Option(None, "--lm", help="DIST/lm.tsv.gz of a build: the same as --model DIST."),
    field: str = typer.Option("text", "--field", help="JSONL field or Parquet column holding the paragraph."),
    id_field: str = typer.Option(None, "--id-field", help="JSONL field or Parquet column holding an id (default: "
                                 "file:line, file:row or file:paragraph)."),
    workers: int = typer.Option(1, "--workers", "-j", min=1, help="Processes scoring batches (same output for any "
                                "number)."),
    engine: str = typer.Option("local", "--engine", help="local (a process pool) or ray."),
    batch_size: int = typer.Option(512, "--batch-size", min=1, max=100_000, help="Paragraphs per scored batch."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per paragraph (id, label, score, evidence, "
                                 "text), in input order."),
) -> None:
    """Label each paragraph boilerplate / clean / spun, with a score in [0, 1]; streams, so it can filter a crawl."""
    from corpus.pipeline.engine import ENGINES, EngineError, make_engine
    from corpus.despin.detect_stream import ScoreBatch, UnreadableInput, batches, records

    if engine not in ENGINES:
        fail(f"--engine must be one of {', '.join(ENGINES)}", 2)
    folder, tone_policy = _detector_folder(model, lm)
    skipped = _Skips()
    task = ScoreBatch(str(folder) if folder else None)
    try:
        with make_engine(engine, workers) as runner:
            for scored in runner.map(task, batches(records(paths or [], field, id_field, tone_policy, skipped),
                                                   batch_size)):
                for ident, text, label, score, evidence in scored:
                    if as_json:
                        typer.echo(json.dumps({"id": ident, "label": label, "score": score, "evidence": evidence,
                                               "text": text}, ensure_ascii=False))
                    else:
                        shown = ", ".join(f"{k}={v}" for k, v in evidence.items()) or "-"
                        typer.echo("\t".join(_one_line(x) for x in (ident, label, f"{score:.4f}", shown, text[:70])))
    except (EngineError, UnreadableInput) as e:
        fail(str(e), 2)
    finally:  # also when a later file stops the run: what was skipped before it is said
        _say_skipped(skipped)


def _say_skipped(skipped: _Skips) -> None:
    for message in skipped:
        typer.secho(f"skipped {message}", fg=typer.colors.YELLOW, err=True)
    if skipped.count > len(skipped):
        typer.secho(f"... and {skipped.count - len(skipped):,} more skipped records", fg=typer.colors.YELLOW, err=True)


class _Skips(list):
    """The first 20 skip messages and how many there were: a crawl full of bad lines costs a counter, not memory."""

    count = 0

    def append(self, message: str) -> None:
        self.count += 1
        if len(self) < 20:
            super().append(message)


def _one_line(text: str) -> str:
    """A field of the tab-separated output: its own tabs and line breaks would start another field or record."""
    return text.replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")


def _detector_folder(model: Path | None, lm: Path | None) -> tuple[Path | None, str]:
    """The build folder whose detector to use (None: the surface detector) and its tone-mark policy."""
    from corpus.despin.detector import MODEL_FILE, WEIGHTS_FILE, load_detector

    folder = model if model is not None else (lm.parent if lm is not None else None)
    if folder is None:
        return None, "old"
    if not (folder / WEIGHTS_FILE).is_file() or not (folder / MODEL_FILE).is_file():
        fail(f"{folder}: no spin detector here ({WEIGHTS_FILE} and {MODEL_FILE}; a build of this toolkit writes "
             f"them into its version folder)", 2)
    try:
        load_detector(str(folder))  # loaded before any worker is forked, and a bad file fails here
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as e:
        fail(f"{folder}: cannot load its spin detector: {e}", 2)
    return folder, _tone_policy(folder)


def restore_command(
    paths: list[Path] = typer.Argument(None, help="Text, JSONL (.jsonl, .jsonl.gz) or Parquet files; stdin (text) "
                                       "when none."),
    lm: Path = typer.Option(None, "--lm", help="Language model of a build (DIST/lm.tsv.gz); the build's lexicon "
                            "beside it is used too. Without it only formatting artifacts are undone."),
    field: str = typer.Option("noisy", "--field", help="JSONL field or Parquet column holding the spun paragraph."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per paragraph with the edits."),
) -> None:
    """The lexicon baseline de-spinner: restored paragraphs in input order, one per line."""
    from corpus.spin.edits import as_dict

    if lm is None:
        typer.secho("no --lm given: undoing formatting artifacts only", fg=typer.colors.YELLOW, err=True)
    from corpus.despin.detect_stream import UnreadableInput, records

    restorer, tone_policy = _restorer(lm)
    skipped = _Skips()
    try:  # the same readers as `corpus detect` (and, for text, the build): formats, encodings, bad records
        texts = [text for _, text in records(paths or [], field, None, tone_policy, skipped)]
    except UnreadableInput as e:
        fail(str(e), 2)
    finally:
        _say_skipped(skipped)
    for text, (restored, edits) in zip(texts, restorer.restore_many(texts)):
        if as_json:
            typer.echo(json.dumps({"noisy": text, "restored": restored, "edits": [as_dict(e) for e in edits]},
                                  ensure_ascii=False))
        else:
            typer.echo(restored.replace("\n", " "))


def _load_split(dist: Path, config: str, split: str) -> list[dict]:
    import tempfile

    import datasets

    from corpus.dataset.manifest import Manifest, ManifestError

    try:  # not dist/ (every version mixed), nor a typo tried as a Hub repo id, nor a damaged build
        Manifest.read(dist)
    except ManifestError as e:
        if e.missing:
            fail(f"{dist}: not a built version folder (no build.json here; give DIST/<name>/<version>)", 2)
        fail(f"{dist}: not a usable build ({e})", 2)
    datasets.disable_progress_bars()
    with tempfile.TemporaryDirectory(prefix="corpus-eval-") as cache:
        try:
            return datasets.load_dataset(str(dist), config, split=split, cache_dir=cache).to_list()
        except Exception as e:  # a missing config or split, or not a dataset folder
            fail(f"cannot load {config}/{split} from {dist}: {type(e).__name__}: {e}", 2)


def eval_command(
    dist: Path = typer.Argument(..., help="A built version folder."),
    split: str = typer.Option("test", "--split"),
    config: str = typer.Option("default", "--config", help="default (synthetic) or real."),
    predictions: Path = typer.Option(None, "--predictions", help="JSONL with id and prediction per row."),
    baseline: str = typer.Option(None, "--baseline", help="identity or lexicon: score a built-in baseline."),
    out: Path = typer.Option(Path("eval.json"), "--out", help="Where to write the scores as JSON."),
) -> None:
    """Score de-spinning predictions: exact match, CER, WER, chrF, edit P/R/F0.5, error reduction, harm."""
    from corpus.despin.baselines import evaluate_rows, predict
    from corpus.despin.evaluate import format_table

    if (predictions is None) == (baseline is None):
        fail("give exactly one of --predictions FILE or --baseline identity|lexicon", 2)
    rows = _load_split(dist, config, split)
    if baseline is not None:
        lm = dist / "lm.tsv.gz"
        try:
            preds = predict(baseline, [r["noisy"] for r in rows],
                            _restorer(lm)[0] if baseline == "lexicon" and lm.is_file() else None)
        except ValueError as e:
            fail(str(e), 2)
        name = baseline
    else:
        preds, name = [*_read_predictions(predictions, [r["id"] for r in rows])], predictions.name
    scores = evaluate_rows(rows, preds)
    typer.echo(f"{config}/{split}: {len(rows)} rows")
    typer.echo(format_table({name: scores}, ["exact_match", "cer", "wer", "chrf", "edit_precision",
                                             "edit_recall", "edit_f05", "error_reduction", "harm"]))
    try:
        out.write_text(json.dumps({"dist": str(dist), "config": config, "split": split, "system": name,
                                   "scores": scores}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except OSError as e:
        fail(f"{out}: cannot write the scores ({e.strerror or e})", 3)
    typer.echo(f"wrote {out}")


def _read_predictions(path: Path, ids: list[str]) -> list[str]:
    """The prediction of every row, in row order, from JSONL {"id": ..., "prediction": "..."}; a file that does not
    give exactly one string per row is refused, with a count of each fault (a last-wins duplicate or a null scored
    as "None" would change the figures silently)."""
    try:
        lines = path.read_bytes().decode("utf-8").splitlines()
    except IsADirectoryError:
        fail(f"{path}: a folder, not a predictions file", 2)
    except OSError as e:
        fail(f"{path}: cannot read ({e.strerror or e})", 2)
    except UnicodeDecodeError as e:
        fail(f"{path}: not UTF-8 (byte {e.start})", 2)
    wanted = set(ids)
    by_id: dict[str, str] = {}
    faults: dict[str, list[str]] = {"not a JSON object with a string id and a string prediction": [],
                                    "duplicate id": [], "unknown id": []}
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):
            obj = None
        if not (isinstance(obj, dict) and isinstance(obj.get("id"), str) and isinstance(obj.get("prediction"), str)):
            faults["not a JSON object with a string id and a string prediction"].append(f"line {n}")
        elif obj["id"] in by_id:
            faults["duplicate id"].append(f"line {n}")
        elif obj["id"] not in wanted:
            faults["unknown id"].append(f"line {n}")
        else:
            by_id[obj["id"]] = obj["prediction"]
    missing = [i for i in ids if i not in by_id]
    found = [f"{kind}: {len(where)} (first: {where[0]})" for kind, where in faults.items() if where]
    if missing:
        found.append(f"no prediction for {len(missing)} of {len(ids)} rows (first: {missing[0]})")
    if found:
        fail(f"{path}: " + "; ".join(found), 2)
    return [by_id[i] for i in ids]


def eval_detector_command(
    dist: Path = typer.Argument(..., help="A built version folder."),
    split: str = typer.Option("test", "--split"),
    config: str = typer.Option("default", "--config"),
) -> None:
    """ROC-AUC, and precision / recall at the calibrated threshold, of the build's spin detector on a split, as the
    card scores it (a build without one: the surface detector at its own threshold)."""
    from corpus.despin.baselines import evaluate_detector
    from corpus.despin.evaluate import format_table

    from corpus.despin.detector import WEIGHTS_FILE, load_detector

    rows = _load_split(dist, config, split)
    detector = None
    if (dist / WEIGHTS_FILE).is_file():
        _detector_folder(dist, None)  # a clean exit when it cannot be loaded
        detector = load_detector(str(dist))
    scores = evaluate_detector(rows, detector)
    typer.echo(f"{config}/{split}: {len(rows)} rows, {scores['positives']} spun")
    typer.echo(format_table({"detector": scores}, ["roc_auc", "precision", "recall", "f1", "threshold"]))
