"""Built-in baselines and the results table the card shows: identity and lexicon de-spinners, the detector.

In-sample figures never stand alone: besides the test sets, the card scores a *held-out* set, the synthetic test
sample spun again with one half of the lexicon's groups (A) and restored by a de-spinner that knows only the other
half (B, out-of-sample) and by one that knows them all (in-sample).
"""

from __future__ import annotations

from dataclasses import dataclass

from corpus.despin.evaluate import add_tallies, detector_scores, score, scores, tallies
from corpus.rand import RowRandom
from corpus.despin.detect import THRESHOLD, detect
from corpus.despin.detector import Detector
from corpus.spin.noise import spin
from corpus.despin.restore import Restorer

BASELINES = ("identity", "lexicon")
OTHER_HALF = "lexicon, other half"  # the held-out set's out-of-sample de-spinner
HELD_OUT = "held-out half"  # the held-out test set's name
CHUNK = 250  # rows per task of the card's baseline scoring (fewer numpy and detector batches than 100: 10% less CPU)


def predict(name: str, noisy: list[str], restorer: Restorer | None, labels: list | None = None) -> list[str]:
    """A baseline's outputs; `labels`: the restorer's detector already run on `noisy` (not run twice)."""
    if name == "identity":
        return list(noisy)
    if name == "lexicon":
        if restorer is None:
            raise ValueError("the lexicon baseline needs the build's language model")
        return [restored for restored, _ in restorer.restore_many(list(noisy), labels)]
    raise ValueError(f"unknown baseline {name!r} (expected one of {', '.join(BASELINES)})")


def evaluate_rows(rows: list[dict], predictions: list[str]) -> dict:
    return score([r["noisy"] for r in rows], predictions, [r["clean"] for r in rows])


def evaluate_detector(rows: list[dict], detector: Detector | None = None) -> dict:
    """The build's trained detector at its calibrated threshold, or (None) the surface detector at its own."""
    labels = [int(r["noisy"] != r["clean"]) for r in rows]
    if detector is None:
        return detector_scores(labels, [detect(r["noisy"]).score for r in rows], THRESHOLD)
    noisy = [r["noisy"] for r in rows]
    scores = [s.score for i in range(0, len(noisy), CHUNK) for s in detector.label(noisy[i : i + CHUNK])]
    return detector_scores(labels, scores, detector.threshold)


def held_out_rows(rows: list[dict], lexicon, settings, seed: int) -> list[dict]:
    """The test rows again, their spun ones spun anew from the clean side with `lexicon` (half A of the groups);
    untouched rows stay untouched, so harm is measured on the same paragraphs."""
    return [{"id": r["id"], "clean": r["clean"],
             "noisy": r["clean"] if r["noisy"] == r["clean"] else
             spin(r["clean"], RowRandom(seed, HELD_OUT, r["id"]), settings, lexicon)[0]} for r in rows]


@dataclass(frozen=True)
class ScoreChunk:
    """One chunk of a test set → the tallies of each baseline and the detector's scores: row-local, so a build
    scores its sample on every worker (the local engine forks the restorers to them; Ray ships them once).
    A chunk of the held-out set is also restored by `other` (half B's lexicon), whose detector then scores it."""

    restorer: Restorer
    other: Restorer | None = None

    def __call__(self, chunk: tuple[list[tuple[str, str]], bool]) -> dict:
        rows, held_out = chunk
        restorer = self.restorer
        noisy, clean = [n for n, _ in rows], [c for _, c in rows]
        # the detector is the costly part: once per restorer, and the two share what does not need the lexicon
        if held_out:
            labels, other = restorer.judge.label_both(noisy, self.other.judge)
        else:
            labels = restorer.judge.label(noisy)
        systems = {b: predict(b, noisy, restorer, labels) for b in BASELINES}
        if held_out:
            systems[OTHER_HALF] = predict("lexicon", noisy, self.other, other)
            labels = other  # the held-out set's detector scores are the other half's detector's
        return {**tallies(noisy, systems, clean), "detector": [s.score for s in labels]}


def results(test_sets: dict[str, list[dict]], restorer: Restorer, other: Restorer | None = None,
            map_=map) -> dict:
    """{test set: {system: scores, "detector": scores}} for the card and build.json, scored in chunks through
    `map_` (an engine's map) and added up in order: the same figures for any number of workers. The set named
    HELD_OUT is also scored by `other`, the de-spinner that knows only half B of the lexicon."""
    chunks = [(name, ([(r["noisy"], r["clean"]) for r in rows[i : i + CHUNK]], name == HELD_OUT))
              for name, rows in test_sets.items() for i in range(0, len(rows), CHUNK)]
    done: dict[str, list[dict]] = {}
    for (name, _), result in zip(chunks, map_(ScoreChunk(restorer, other), [c for _, c in chunks])):
        done.setdefault(name, []).append(result)
    out = {}
    for name, parts in done.items():  # a small recipe may leave a split empty: there is nothing to score
        out[name] = {b: scores(add_tallies([p[b] for p in parts])) for b in parts[0] if b != "detector"}
        labels = [int(r["noisy"] != r["clean"]) for r in test_sets[name]]
        out[name]["detector"] = detector_scores(labels, [s for p in parts for s in p["detector"]],
                                                restorer.judge.threshold)
    return out
