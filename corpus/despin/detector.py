"""The trained spin detector: evidence that does not need the spinner's dictionary, calibrated on held-out text.

A spinner puts a phrase where the sentence wanted another. Whatever its dictionary, that leaves places where a small
edit, one the clean-text model proposes itself (delete one or two tokens, or put its own commonest continuation in
place of one or two), makes the text much more likely. The detector measures those *edit gains* with a word-order
model of clean text (corpus.despin.ngrams), adds the token surprisal profile, the spinner's re-join artifacts and,
on top, how many known spinner outputs of the recipe's lexicons occur; a logistic regression weighs them.

It is trained the way it will be used: on paragraphs spun with one half of the lexicon's groups while the lexicon
evidence comes from the *other* half, so no feature is rewarded for knowing the dictionary that made the text.
The threshold is the score that flags at most `fpr` of clean paragraphs of documents the regression never saw.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import ahocorasick
import numpy as np

from corpus.despin.detect import surface_evidence
from corpus.spin.lexicon import Lexicon, bounded
from corpus.despin.ngrams import BOUNDARY, ORDER, NgramTables, with_boundaries
from corpus.text.normalize import normalize
from corpus.text.segment import BOILERPLATE, BODY, paragraph_kind

MODEL_FILE = "detector.zip"
WEIGHTS_FILE = "detector.json"
FPR = 0.02  # the share of clean paragraphs the threshold may flag
EDITS = ((1, 0), (2, 0), (1, 1), (2, 2))  # (tokens removed, model tokens put in their place)
# Edits are tried only at a token that scores below this log probability, or just before one. Measured during
# development on the legal held-out protocol (word substitutions only): every position, -5 with a reach of 4 tokens
# and -9 with a reach of 2 gave ROC-AUC 0.82, 0.81 and 0.80, at 0.5, 0.6 and 1.2 MB/s.
SUSPECT = -9.0
# the noise settings that leave only word substitutions: what the detector must catch without any artifact
WORDS_ONLY = {"final_stop_space_rate": 0.0, "inner_stop_space_rate": 0.0, "clause_space_rate": 0.0,
              "comma_space_rate": 0.0, "quote_space_rate": 0.0, "docnum_rate": 0.0, "glue_rate": 0.0,
              "abbreviation_rate": 0.0}
_BINS = np.array([-12.0, -9.0, -7.0, -5.0, -3.0])
_HISTORY = ORDER - 1
ARTIFACTS = ("space_before_punct", "spaced_quotes", "spaced_docnum", "glued_paragraphs")  # summed: one feature
SURFACE = ("artifacts", "spun_phrase")
# How far a paragraph is from the text the tables were trained on, by its vocabulary alone (a spinner swaps common
# words for common words, so these barely move when it spins): out of that domain the word-order evidence is not
# trusted, as a model of legal codes finds news odd everywhere (without this, the default build flagged 3 of the
# seed page's 6 clean paragraphs).
DOMAIN = ("unknown_share", "mean_unigram_logprob")
FEATURES = (
    "log_tokens", "mean_logprob", "lowest3_logprob", *(f"share_logprob_bin{i}" for i in range(6)),
    *(f"{kind}_{stat}" for kind in ("delete1", "delete2", "replace1", "replace2", "any")
      for stat in ("top1", "top3", "share_over4", "share_over8", "log_over8")),
    "any_median", "any_top3_over_median",
    *SURFACE, "lexicon_outputs",
    *DOMAIN,
)
_REGRESSED = np.array([f not in DOMAIN for f in FEATURES])  # the domain measures only gate, they are not weighed
_WORDS = np.array([f not in (*SURFACE, "lexicon_outputs") for f in FEATURES])[_REGRESSED]


@dataclass(frozen=True)
class Scored:
    label: str  # boilerplate / clean / spun
    score: float  # calibrated probability-like score in [0, 1]
    evidence: dict[str, float] = field(default_factory=dict)
    known: int = 0  # marks a de-spinner knows how to undo: artifacts, known spinner phrases, lexicon outputs


class OutputFinder:
    """Counts the lexicon's spinner outputs (targets no group uses as a source) in a paragraph."""

    def __init__(self, lexicon: Lexicon | None):
        sources = {s.lower() for g in lexicon.groups for s in g.sources} if lexicon else set()
        outputs = {t.lower() for g in lexicon.groups for t in g.targets} - sources if lexicon else set()
        self.automaton = ahocorasick.Automaton() if outputs else None
        for o in outputs:
            self.automaton.add_word(o, len(o))
        if self.automaton is not None:
            self.automaton.make_automaton()

    def count(self, text: str) -> int:
        if self.automaton is None:
            return 0
        low = text.lower()
        return sum(bounded(low, end - length + 1, end + 1) for end, length in self.automaton.iter_long(low))


_OUTPUTS = FEATURES.index("lexicon_outputs")


def features(tables: NgramTables, texts: Sequence[str], outputs: OutputFinder,
             words: np.ndarray | None = None) -> np.ndarray:
    """One row of FEATURES per text, computed for the whole batch at once. `words`: the same texts' features but
    the lexicon outputs, when already computed (two detectors that differ only in their lexicon: label_both)."""
    texts = list(texts)
    out = (_features(tables, texts) if words is None else words).copy()
    out[:, _OUTPUTS] = [outputs.count(t) for t in texts]
    return out


def _features(tables: NgramTables, texts: list[str]) -> np.ndarray:
    """features() without the lexicon outputs (0)."""
    ids, lengths = tables.encode_texts(texts)
    # one flat array: each paragraph's ids a (its tokens between two boundaries) between _HISTORY boundaries
    # before and _HISTORY + 2 after, so every window below stays inside its own paragraph's block
    flat = with_boundaries(ids, lengths, _HISTORY + 1, _HISTORY + 3)
    lengths = lengths + 2  # len(a)
    starts = np.cumsum(lengths + 2 * _HISTORY + 2) - lengths - _HISTORY - 2  # a[0]
    ends = starts + lengths - 1  # a[-1], the closing boundary
    paragraph = np.repeat(np.arange(len(texts)), lengths - 1)
    scored = np.arange(len(paragraph)) + np.repeat(starts + 1 - np.cumsum(lengths - 1) + lengths - 1, lengths - 1)
    lp = tables.next_logprob(_histories(flat, scored), flat[scored])
    base = np.zeros(len(flat))
    base[scored] = lp
    n = np.maximum(lengths - 1, 1).astype(np.float64)
    out = np.zeros((len(texts), len(FEATURES)))
    out[:, 0] = np.log(n)
    out[:, 1] = np.bincount(paragraph, lp, len(texts)) / n
    out[:, 2] = _top_mean(paragraph, -lp, len(texts), 3) * -1
    for b in range(6):
        out[:, 3 + b] = np.bincount(paragraph, np.searchsorted(_BINS, lp) == b, len(texts)) / n

    # candidate positions: real tokens (not the closing boundary) at or just before a surprise
    closing = np.zeros(len(flat), bool)
    closing[ends] = True
    real = scored[~closing[scored]]  # np.isin(scored, ends) sorted them: 4% of the baselines
    low = base < SUSPECT
    positions = real[low[real] | low[real + 1]]
    owner = np.searchsorted(starts, positions, side="right") - 1
    end_of = ends[owner]
    left = _histories(flat, positions)
    first = tables.predict(left)
    second = tables.predict(np.c_[left[:, 1:], first]) if len(positions) else first
    column = 9
    any_gain = np.full(len(positions), -np.inf)
    for removed, inserted in EDITS:
        put = [first, second][:inserted]
        right_at = positions[:, None] + removed + np.arange(_HISTORY)[None, :]
        right_ok = right_at <= end_of[:, None]
        local = np.concatenate([left, *[p[:, None] for p in put], flat[right_at]], 1)
        width = local.shape[1]
        hist = np.stack([local[:, c : c + _HISTORY] for c in range(width - _HISTORY)], 1)
        nxt = local[:, _HISTORY:]
        new_lp = tables.next_logprob(hist.reshape(-1, _HISTORY), nxt.ravel()).reshape(nxt.shape)
        new = (new_lp * np.concatenate([np.ones((len(positions), inserted), bool), right_ok], 1)).sum(1)
        old_at = positions[:, None] + np.arange(removed + _HISTORY)[None, :]
        old = (base[np.minimum(old_at, len(base) - 1)] * (old_at <= end_of[:, None])).sum(1)
        gain = new - old
        ok = positions + removed <= end_of
        if inserted:
            ok &= np.all(np.stack([p > BOUNDARY for p in put], 1), 1)
            if inserted == removed:
                ok &= ~np.all(np.stack([flat[positions + c] == put[c] for c in range(inserted)], 1), 1)
        gain = np.where(ok, gain, -np.inf)
        any_gain = np.maximum(any_gain, gain)
        out[:, column : column + 5] = _gain_stats(owner, gain, n, len(texts))
        column += 5
    out[:, column : column + 5] = _gain_stats(owner, any_gain, n, len(texts))
    median = _median(owner, any_gain, len(texts))
    out[:, column + 5] = median
    out[:, column + 6] = out[:, column + 1] - median  # a few spikes (a substitution) or uniformly odd (a domain)
    column += 7
    for i, text in enumerate(texts):
        evidence = surface_evidence(text)
        out[i, column : column + len(SURFACE)] = [sum(evidence[k] for k in ARTIFACTS), evidence["spun_phrase"]]
    words = np.maximum(lengths - 2, 1)
    mine = np.repeat(np.arange(len(texts)), np.maximum(lengths - 2, 0))
    ids = flat[real]
    out[:, -2] = np.bincount(mine, ids == 0, len(texts)) / words
    out[:, -1] = np.bincount(mine, tables.unigram[ids], len(texts)) / words
    return out


def _histories(flat: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The _HISTORY ids before each position: shape (len(at), _HISTORY)."""
    return flat[at[:, None] + np.arange(-_HISTORY, 0)[None, :]]


def _top_mean(group: np.ndarray, values: np.ndarray, groups: int, k: int) -> np.ndarray:
    """Mean of the k largest values of each group (groups without values: 0); `group` ascending, values finite.
    The largest are taken one at a time (a maximum per group, which is then set aside): a lexsort of every value
    took a tenth of features()."""
    count = np.bincount(group, minlength=groups)
    starts = np.cumsum(count) - count
    left, total, top = values.astype(np.float64), np.zeros(groups), np.full(groups, np.nan)
    for i in range(min(k, int(count.max(initial=0)))):
        has = np.flatnonzero(count > i)  # a group with fewer values adds only set-aside ones (-inf) to its neighbour
        top[has] = np.maximum.reduceat(left, starts[has])
        total[has] += top[has]
        at = np.flatnonzero(left == top[group])
        at = at[np.r_[True, group[at][1:] != group[at][:-1]]] if len(at) else at  # the first of a tie only
        left[at] = -np.inf
        top[has] = np.nan
    return np.where(count > 0, total / np.maximum(np.minimum(count, k), 1), 0.0)


def _median(group: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    """Median of each group's finite values (-10 for a group without any)."""
    finite = np.isfinite(values)
    g, v = group[finite], values[finite]
    out = np.full(groups, -10.0)
    if len(v):
        order = np.lexsort((v, g))
        g, v = g[order], v[order]
        first = np.searchsorted(g, np.arange(groups), side="left")
        count = np.bincount(g, minlength=groups)
        has = count > 0
        lo = first[has] + (count[has] - 1) // 2
        hi = first[has] + count[has] // 2
        out[has] = (v[lo] + v[hi]) / 2
    return np.maximum(out, -10.0)


def _gain_stats(owner: np.ndarray, gain: np.ndarray, n: np.ndarray, groups: int) -> np.ndarray:
    finite = np.isfinite(gain)
    o, g = owner[finite], gain[finite]
    top1 = np.full(groups, -10.0)
    if len(g):
        np.maximum.at(top1, o, g)
    top3 = np.where(np.bincount(o, minlength=groups) > 0, _top_mean(o, g, groups, 3), -10.0)
    over4 = np.bincount(o, g > 4, groups)
    over8 = np.bincount(o, g > 8, groups)
    return np.stack([np.maximum(top1, -10), np.maximum(top3, -10), over4 / n, over8 / n, np.log1p(over8)], 1)


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 25) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """L2-regularised logistic regression by Newton steps on standardised features: (weights, mean, scale)."""
    mean, scale = x.mean(0), x.std(0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    z = np.c_[np.ones(len(x)), (x - mean) / scale]
    w = np.zeros(z.shape[1])
    ridge = l2 * np.eye(len(w))
    ridge[0, 0] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(z @ w, -30, 30)))
        # the two sums over paragraphs in einsum's own loop, not BLAS: OpenBLAS splits a long sum between its
        # threads and rounds it differently for each core count, so detector.json would depend on the machine
        hessian = np.einsum("ni,nj->ij", z * (p * (1 - p))[:, None], z, optimize=False)
        gradient = np.einsum("ni,n->i", z, p - y, optimize=False)
        step = np.linalg.solve(hessian + ridge + 1e-9 * np.eye(len(w)), gradient + ridge.diagonal() * w)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w, mean, scale


def threshold_for(clean_scores: np.ndarray, fpr: float = FPR) -> float:
    """The lowest score that flags at most `fpr` of these clean paragraphs (a score equal to it is flagged)."""
    s = np.sort(np.asarray(clean_scores, dtype=np.float64))[::-1]
    allowed = int(math.floor(fpr * len(s)))  # how many clean paragraphs may be flagged
    if allowed >= len(s):
        return 0.0
    return float(np.nextafter(s[allowed], np.inf)) if allowed < len(s) else 0.0


class Detector:
    """The calibrated detector of a build: its n-gram tables, its regression and its threshold."""

    def __init__(self, tables: NgramTables, settings: dict, lexicon: Lexicon | None):
        self.tables, self.settings = tables, settings
        self.weights = np.array(settings["weights"])
        self.mean, self.scale = np.array(settings["mean"]), np.array(settings["scale"])
        self.low, self.high = np.array(settings["low"]), np.array(settings["high"])
        self.threshold = float(settings["threshold"])
        self.domain = settings["domain"]
        self.outputs = OutputFinder(lexicon)

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Spin scores in [0, 1] of body paragraphs (no boilerplate check: see label())."""
        if not len(texts):
            return np.zeros(0)
        return self.scores_of(features(self.tables, texts, self.outputs))

    def out_of_domain(self, x: np.ndarray) -> np.ndarray:
        """Paragraphs whose vocabulary is rarer than that of 99% of the clean paragraphs the regression saw."""
        return (x[:, FEATURES.index("unknown_share")] > self.domain["max_unknown_share"]) | \
            (x[:, FEATURES.index("mean_unigram_logprob")] < self.domain["min_mean_unigram_logprob"])

    def standard(self, x: np.ndarray) -> np.ndarray:
        """Features clipped to the range the regression saw (it must not extrapolate), standardised; out of the
        domain, the word-order evidence is set to its mean (no evidence either way)."""
        standard = (np.clip(x[:, _REGRESSED], self.low, self.high) - self.mean) / self.scale
        standard[np.ix_(self.out_of_domain(x), _WORDS)] = 0.0
        return standard

    def scores_of(self, x: np.ndarray) -> np.ndarray:
        z = np.c_[np.ones(len(x)), self.standard(x)] @ self.weights
        return 1 / (1 + np.exp(-np.clip(z, -30, 30)))

    def label(self, texts: Sequence[str]) -> list[Scored]:
        """boilerplate / clean / spun for each text, with its score and the features that pushed it up most."""
        return self._label(texts, [i for i, t in enumerate(texts) if paragraph_kind(t) == BODY])

    def label_both(self, texts: Sequence[str], other: Detector) -> tuple[list[Scored], list[Scored]]:
        """label() by this detector and by `other`, which has the same tables and another lexicon (a build's
        held-out half): the features but the lexicon outputs are computed once, for both."""
        if other.tables is not self.tables:
            raise ValueError("label_both needs two detectors with the same n-gram tables")
        body = [i for i, t in enumerate(texts) if paragraph_kind(t) == BODY]
        words = _features(self.tables, [texts[i] for i in body]) if body else None
        return self._label(texts, body, words), other._label(texts, body, words)

    def _label(self, texts: Sequence[str], body: list[int], words: np.ndarray | None = None) -> list[Scored]:
        out = [Scored(BOILERPLATE, 0.0)] * len(texts)
        if not body:
            return out
        x = features(self.tables, [texts[i] for i in body], self.outputs, words)
        standard = self.standard(x)
        z = np.c_[np.ones(len(x)), standard] @ self.weights
        scores = 1 / (1 + np.exp(-np.clip(z, -30, 30)))
        push = standard * self.weights[1:]
        # the three features that pushed each score up most, their values, and the known marks: for all rows at
        # once (numpy per row was a tenth of the baselines)
        top = np.argsort(-push, axis=1)[:, :3]
        regressed = np.flatnonzero(_REGRESSED)
        value = np.take_along_axis(x[:, regressed], top, 1)
        shown = (np.take_along_axis(push, top, 1) > 0.05) & (value != 0)
        names = [FEATURES[k] for k in regressed]
        ood = self.out_of_domain(x).tolist()
        known = x[:, [FEATURES.index(f) for f in (*SURFACE, "lexicon_outputs")]].sum(1).astype(int).tolist()
        for row, (i, top_k, values, show, score) in enumerate(zip(body, top.tolist(), value.tolist(), shown.tolist(),
                                                                  scores.tolist())):
            evidence = {names[k]: round(v, 3) for k, v, s in zip(top_k, values, show) if s}
            if ood[row]:
                evidence["out_of_domain"] = 1
            score = round(score, 4)
            out[i] = Scored("spun" if score >= self.threshold else "clean", score, evidence, known[row])
        return out

    def batch(self, batch: dict, field: str = "text") -> dict:
        """A batch function for `datasets.Dataset.map(batched=True)` (and, through DetectBatch, Ray Data's
        `map_batches`): the batch with `spin_label` and `spin_score` columns for the texts in `field`, normalised
        as the build normalised its text (NFC, its tone-mark policy, spacing)."""
        policy = self.settings["tone_marks"]
        labelled = self.label([normalize(str(t), policy) for t in batch[field]])
        return {**batch, "spin_label": [s.label for s in labelled], "spin_score": [s.score for s in labelled]}

    def save(self, folder: Path) -> None:
        self.tables.save(folder / MODEL_FILE)
        (folder / WEIGHTS_FILE).write_text(json.dumps(self.settings, ensure_ascii=False, indent=1) + "\n",
                                           encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, lexicon: Lexicon | None = None) -> Detector:
        """The detector a build wrote into `folder`, with the build's lexicon (lexicon.jsonl.gz) unless given."""
        from corpus.spin.lexicon_files import COMPILED, read_compiled

        settings = json.loads((folder / WEIGHTS_FILE).read_text(encoding="utf-8"))
        if lexicon is None and (folder / COMPILED).is_file():
            lexicon = read_compiled(folder / COMPILED)
        if settings.get("features") != list(FEATURES):
            raise ValueError(f"{folder / WEIGHTS_FILE}: made for other features (a build of another toolkit version)")
        return cls(NgramTables.load(folder / MODEL_FILE), settings, lexicon)


@dataclass(frozen=True)
class SpinHeld:
    """(part, artifacts, [(i, text)]) -> each text spun with `half` (row-local: a build spins on its workers)."""

    half: Lexicon
    spin_one: Callable

    def __call__(self, job: tuple) -> list[str]:
        part, artifacts, chunk = job
        return [self.spin_one(t, self.half, artifacts, f"{part}/{i}/{artifacts}") for i, t in chunk]


@dataclass(frozen=True)
class Features:
    """A batch of texts -> their FEATURES rows (row-local; the local engine forks the tables to its workers)."""

    tables: NgramTables
    outputs: OutputFinder

    def __call__(self, texts: list[str]) -> np.ndarray:
        return features(self.tables, texts, self.outputs)


def train(clean_texts: Sequence[str], held_texts: Sequence[str], lexicon: Lexicon, spin_one, seed: int,
          fpr: float = FPR, tone_policy: str = "old", map_: Callable = map) -> Detector:
    """Train the n-gram tables on `clean_texts` (a build's train split) and the regression on `held_texts`
    (clean paragraphs of other documents: its validation split), half of them to fit, half to calibrate.

    `spin_one(text, half_lexicon, artifacts, key)` spins one paragraph (corpus.spin.noise with the build's
    settings); positives are spun with half "a" of the lexicon's groups, with and without the re-join artifacts,
    while the lexicon evidence comes from half "b" only."""
    from corpus.spin.lexicon_files import half_of

    tables = NgramTables.train(clean_texts)
    halves = {h: Lexicon([g for g in lexicon.groups if half_of(g.rule) == h]) for h in "ab"}
    other = OutputFinder(halves["b"])
    held = [t for t in held_texts if paragraph_kind(t) == BODY]
    parts = {"fit": held[0::2], "calibrate": held[1::2]}
    # spinning and features in chunks through map_ (an engine's map), in order: the same rows for any workers
    jobs = [(part, artifacts, list(enumerate(texts))[k : k + 256]) for part, texts in parts.items()
            for artifacts in (False, True) for k in range(0, len(texts), 256)]
    rows = {part: (list(texts), [0] * len(texts)) for part, texts in parts.items()}
    for (part, _, chunk), spun in zip(jobs, map_(SpinHeld(halves["a"], spin_one), jobs)):
        for (_, t), noisy in zip(chunk, spun):
            if noisy != t:
                rows[part][0].append(noisy)
                rows[part][1].append(1)
    batches = [(part, texts[i : i + 512]) for part, (texts, _) in rows.items() for i in range(0, len(texts), 512)]
    x = {part: [] for part in parts}
    for (part, _), found in zip(batches, map_(Features(tables, other), [b for _, b in batches])):
        x[part].append(found)
    data = {part: (np.concatenate(x[part]) if x[part] else np.zeros((0, len(FEATURES))), np.array(rows[part][1]))
            for part in parts}
    x, y = data["fit"]
    if len(set(y.tolist())) < 2:
        raise ValueError("too few validation paragraphs to train the spin detector (need clean and spun ones)")
    regressed = x[:, _REGRESSED]
    low, high = np.quantile(regressed, 0.01, axis=0), np.quantile(regressed, 0.99, axis=0)
    weights, mean, scale = fit(np.clip(regressed, low, high), y)
    # artifacts, known spinner phrases and lexicon outputs are evidence of spinning by construction: the fit may
    # not turn them against it (half B's outputs are rarer in text spun with half A than in clean text)
    evidence = 1 + np.flatnonzero(~_WORDS)
    weights[evidence] = np.maximum(weights[evidence], 0.0)
    clean = x[y == 0]
    domain = {"max_unknown_share": float(np.quantile(clean[:, FEATURES.index("unknown_share")], 0.99)),
              "min_mean_unigram_logprob": float(np.quantile(clean[:, FEATURES.index("mean_unigram_logprob")], 0.01))}
    settings = {"features": list(FEATURES), "weights": weights.tolist(), "mean": mean.tolist(),
                "scale": scale.tolist(), "low": low.tolist(), "high": high.tolist(), "domain": domain,
                "threshold": 0.5, "fpr": fpr, "tone_marks": tone_policy}
    detector = Detector(tables, settings, halves["b"])
    xc, yc = data["calibrate"]
    clean_scores = detector.scores_of(xc[yc == 0])
    spun_scores = detector.scores_of(xc[yc == 1])
    threshold = threshold_for(clean_scores, fpr)
    settings.update({
        "threshold": round(threshold, 6),
        "calibration": {"clean": int((yc == 0).sum()), "spun": int((yc == 1).sum()),
                        "false_positive_rate": round(float((clean_scores >= threshold).mean()), 4) if len(clean_scores) else None,
                        "recall": round(float((spun_scores >= threshold).mean()), 4) if len(spun_scores) else None},
        "training": {"clean_texts": len(clean_texts), "fit_paragraphs": int(len(y)), "seed": seed,
                     "positives": "validation paragraphs spun with half a of the lexicon groups, with and without "
                                  "artifacts; lexicon evidence from half b"},
    })
    return Detector(tables, settings, lexicon)


class DetectBatch:
    """Detector.batch for Ray Data: a callable class, so each actor loads the build's detector once from `folder`
    instead of receiving it pickled with every task.

        ds.map_batches(DetectBatch, fn_constructor_args=("dist/vi-despin/0.1.0",), concurrency=2, batch_size=512)
    """

    def __init__(self, folder: str, field: str = "text"):
        self.detector, self.field = load_detector(str(folder)), field

    def __call__(self, batch: dict) -> dict:
        return self.detector.batch(batch, self.field)


_LOADED: dict[tuple[str, str | None], Detector] = {}


def load_detector(folder: str, lexicon_path: str | None = None) -> Detector:
    """The detector of the build in `folder`, loaded once per process (workers forked later share it); with the
    compiled lexicon at `lexicon_path` for its lexicon evidence instead of the build's (the held-out half)."""
    if (folder, lexicon_path) not in _LOADED:
        from corpus.spin.lexicon_files import read_compiled

        if lexicon_path is None:
            _LOADED[folder, None] = Detector.load(Path(folder))
        else:
            built = load_detector(folder)
            _LOADED[folder, lexicon_path] = Detector(built.tables, built.settings, read_compiled(Path(lexicon_path)))
        while len(_LOADED) > 4:  # the last four (the tables can be hundreds of MB)
            del _LOADED[next(iter(_LOADED))]
    return _LOADED[folder, lexicon_path]
