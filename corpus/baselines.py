"""Built-in baselines and the results table the card shows: identity and lexicon de-spinners, the detector."""

from __future__ import annotations

from dataclasses import dataclass

from corpus.evaluate import add_tallies, detector_scores, score, scores, tally
from corpus.spin.detect import THRESHOLD, detect
from corpus.spin.restore import Restorer, load_restorer

BASELINES = ("identity", "lexicon")
CHUNK = 100  # rows per task of the card's baseline scoring


def predict(name: str, noisy: list[str], restorer: Restorer | None) -> list[str]:
    if name == "identity":
        return list(noisy)
    if name == "lexicon":
        if restorer is None:
            raise ValueError("the lexicon baseline needs the build's language model")
        return [restorer.restore(text)[0] for text in noisy]
    raise ValueError(f"unknown baseline {name!r} (expected one of {', '.join(BASELINES)})")


def evaluate_rows(rows: list[dict], predictions: list[str]) -> dict:
    return score([r["noisy"] for r in rows], predictions, [r["clean"] for r in rows])


def evaluate_detector(rows: list[dict], restorer: Restorer | None = None) -> dict:
    """The detector as the restorer runs it: with language-model evidence when there is a model."""
    labels = [int(r["noisy"] != r["clean"]) for r in rows]
    judge = restorer.detect if restorer is not None else detect
    return detector_scores(labels, [judge(r["noisy"]).score for r in rows], THRESHOLD)


@dataclass(frozen=True)
class ScoreChunk:
    """One chunk of a test set → the tallies of each baseline and the detector's scores: row-local, so a build
    scores its sample on every worker (a worker forked after the model was loaded does not load it again)."""

    lm_path: str

    def __call__(self, rows: list[tuple[str, str]]) -> dict:
        restorer = load_restorer(self.lm_path)
        noisy, clean = [n for n, _ in rows], [c for _, c in rows]
        out = {b: tally(noisy, predict(b, noisy, restorer), clean) for b in BASELINES}
        out["detector"] = [restorer.detect(n).score for n in noisy]
        return out


def results(test_sets: dict[str, list[dict]], lm_path: str, map_=map) -> dict:
    """{test set: {"identity": scores, "lexicon": scores, "detector": scores}} for the card and build.json, scored
    in chunks through `map_` (an engine's map) and added up in order: the same figures for any number of workers."""
    chunks = [(name, [(r["noisy"], r["clean"]) for r in rows[i : i + CHUNK]])
              for name, rows in test_sets.items() for i in range(0, len(rows), CHUNK)]
    done: dict[str, list[dict]] = {}
    for (name, _), result in zip(chunks, map_(ScoreChunk(lm_path), [rows for _, rows in chunks])):
        done.setdefault(name, []).append(result)
    out = {}
    for name, parts in done.items():  # a small recipe may leave a split empty: there is nothing to score
        out[name] = {b: scores(add_tallies([p[b] for p in parts])) for b in BASELINES}
        labels = [int(r["noisy"] != r["clean"]) for r in test_sets[name]]
        out[name]["detector"] = detector_scores(labels, [s for p in parts for s in p["detector"]], THRESHOLD)
    return out
