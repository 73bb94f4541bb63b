"""Built-in baselines and the results table the card shows: identity and lexicon de-spinners, the detector."""

from __future__ import annotations

from corpus.evaluate import detector_scores, score
from corpus.spin.detect import THRESHOLD, detect
from corpus.spin.restore import Restorer

BASELINES = ("identity", "lexicon")


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


def results(test_sets: dict[str, list[dict]], restorer: Restorer) -> dict:
    """{test set: {"identity": scores, "lexicon": scores, "detector": scores}} for the card and build.json."""
    out = {}
    for name, rows in test_sets.items():
        if not rows:
            continue  # a small recipe may leave a split empty: there is nothing to score
        out[name] = {b: evaluate_rows(rows, predict(b, [r["noisy"] for r in rows], restorer)) for b in BASELINES}
        out[name]["detector"] = evaluate_detector(rows, restorer)
    return out
