"""Calibration: real (clean, noisy) pairs against synthetic noise drawn from the same clean text.

The synthetic side always spins (the pairs given are spun ones) and is drawn `draws` times per pair, seeded by
(seed, pair index, draw), so the table is the same at every run.
"""

from __future__ import annotations

from corpus.rand import RowRandom
from corpus.spin.noise import NoiseSettings, spin
from corpus.spin.stats import pair_statistics

COMPARED = ("words_changed", "length_ratio", "spaced_full_stops", "spaced_clause_marks")
TOLERANCE = 0.25


def calibrate(pairs: list[tuple[str, str]], settings: NoiseSettings, seed: int = 0, draws: int = 20,
              lexicon=None) -> dict:
    """Statistics of the real pairs beside those of `draws` synthetic spins of their clean sides with `lexicon`
    (None: the toolkit's own)."""
    synthetic = [(clean, spin(clean, RowRandom(seed, "calibration", i, k), settings, lexicon)[0])
                 for k in range(draws) for i, (clean, _) in enumerate(pairs)]
    real, synth = pair_statistics(pairs), pair_statistics(synthetic)
    rows = []
    for key in COMPARED:
        r, s = real[key], synth[key]
        ratio = s / r if r else (1.0 if s == 0 else float("inf"))
        rows.append({"statistic": key, "real": r, "synthetic": s, "ratio": round(ratio, 3),
                     "within": abs(ratio - 1) <= TOLERANCE})
    return {"pairs": len(pairs), "draws": draws, "rows": rows, "real": real, "synthetic": synth}
