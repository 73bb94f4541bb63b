"""PNG charts of a build for its card and report, drawn from the manifest alone (what build.json holds).

Taking the manifest dict, not build internals, keeps the charts in step with build.json and lets `corpus
report` redraw them for any built folder. Builds are checked byte-identical, so the PNGs must be too: no
pyplot state, the Agg canvas only, a fixed size, dpi and font (DejaVu Sans, shipped with matplotlib, has the
Vietnamese diacritics) and no timestamp or version in the PNG metadata.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from pathlib import Path

CHART_DIR = "charts"
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "path.simplify": True,
}
BLUE, ORANGE, GREY, GREEN = "#4c72b0", "#dd8452", "#9a9a9a", "#55a868"
ALT_TEXT = {
    "noise": "Noise statistics: rows spun and untouched, edits by kind, word-alignment change kinds",
    "calibration": "Calibration: real against synthetic noise statistics on the hand-restored seed",
    "baselines": "Baselines: identity and lexicon de-spinners on each test set, and on the held-out half",
    "accounting": "Accounting: rows per split, and what became of every input paragraph",
}


def _figure(width: float, height: float, panels: int):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(1, panels, squeeze=False)[0]


def _png(fig) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", metadata={"Software": None}, facecolor="white")
    return out.getvalue()


def _barh(ax, labels: list[str], values: list[float], colour: str, fmt: str) -> None:
    """Horizontal bars, largest on top, each labelled with its value."""
    positions = range(len(labels))[::-1]
    bars = ax.barh(list(positions), values, color=colour)
    ax.set_yticks(list(positions), labels)
    ax.bar_label(bars, [fmt.format(v) for v in values], padding=3, fontsize=8)
    ax.margins(x=0.25)
    ax.set_xticks([])  # every bar carries its value
    ax.spines["bottom"].set_visible(False)


def _grouped(ax, labels: list[str], series: dict[str, list[float]], colours: list[str]) -> None:
    """Vertical bars, one group per label, one bar per series, each labelled with its value."""
    width = 0.8 / len(series)
    for k, ((name, values), colour) in enumerate(zip(series.items(), colours)):
        xs = [i + (k - (len(series) - 1) / 2) * width for i in range(len(labels))]
        bars = ax.bar(xs, values, width, label=name, color=colour)
        ax.bar_label(bars, [f"{v:.2f}" for v in values], padding=2, fontsize=7)
    ax.set_xticks(range(len(labels)), [textwrap.fill(label, 12) for label in labels], fontsize=8)
    ax.margins(y=0.15)
    ax.legend(frameon=False, fontsize=8)


def noise_chart(noise: dict) -> bytes:
    fig, (rows, kinds, changes) = _figure(10, 3.2, 3)
    _barh(rows, ["spun", "untouched"], [noise["spun_pairs"], noise["pairs"] - noise["spun_pairs"]], BLUE, "{:,}")
    rows.set_title("rows")
    by_kind = noise.get("edits_by_kind", {})
    _barh(kinds, list(by_kind), list(by_kind.values()), ORANGE, "{:,}")
    kinds.set_title("edits recorded, by kind")
    shares = noise.get("change_kinds", {})
    _barh(changes, list(shares), list(shares.values()), GREY, "{:.1%}")
    changes.set_title("changes in a word alignment")
    fig.suptitle(f"words changed {noise['words_changed']:.1%} · length ratio noisy/clean "
                 f"{noise['length_ratio']:.3f} · spaced full stops {noise['spaced_full_stops']:.1%}", fontsize=9)
    return _png(fig)


def calibration_chart(calibration: dict) -> bytes:
    fig, (stats, kinds) = _figure(10, 3.2, 2)
    labels = [r["statistic"].replace("_", " ") for r in calibration["rows"]]
    _grouped(stats, labels, {"real": [r["real"] for r in calibration["rows"]],
                             "synthetic": [r["synthetic"] for r in calibration["rows"]]}, [BLUE, ORANGE])
    stats.set_title(f"{calibration['pairs']} real spun paragraphs, {calibration['draws']} synthetic draws each")
    names = sorted(set(calibration["real"]["change_kinds"]) | set(calibration["synthetic"]["change_kinds"]))
    _grouped(kinds, names, {side: [calibration[side]["change_kinds"].get(k, 0.0) for k in names]
                            for side in ("real", "synthetic")}, [BLUE, ORANGE])
    kinds.set_title("change kinds, share of differing blocks")
    return _png(fig)


BASELINE_METRICS = (("exact match", "exact_match", 1), ("chrF / 100", "chrf", 0.01), ("edit F0.5", "edit_f05", 1),
                    ("error reduction", "error_reduction", 1), ("harm", "harm", 1))


def baselines_chart(results: dict) -> bytes:
    fig, axes = _figure(5 * len(results), 3.2, len(results))
    for ax, (name, scores) in zip(axes, results.items()):
        systems = [s for s in scores if s != "detector"]  # identity, lexicon (and the other half's, held out)
        _grouped(ax, [label for label, _, _ in BASELINE_METRICS],
                 {system: [scores[system][key] * scale for _, key, scale in BASELINE_METRICS]
                  for system in systems}, [GREY, BLUE, GREEN])
        ax.set_title(f"{name} ({scores['identity']['rows']:,} rows)")
        ax.axhline(0, color="black", linewidth=0.6)
    return _png(fig)


def accounting_chart(splits: dict, paragraphs: dict, real: dict | None) -> bytes:
    fig, (rows, fate) = _figure(10, 3.2, 2)
    sizes = {name: s["rows"] for name, s in splits.items()}
    if real:
        sizes["real test"] = real["rows"]
    _barh(rows, list(sizes), list(sizes.values()), BLUE, "{:,}")
    rows.set_title("rows per split")
    outcome = {"paired": paragraphs["paired"], **{f"dropped: {k}": v for k, v in paragraphs["dropped"].items()}}
    _barh(fate, list(outcome), list(outcome.values()), GREY, "{:,}")
    fate.set_title(f"{paragraphs['input']:,} input paragraphs")
    return _png(fig)


@dataclass(frozen=True)
class _Draw:
    """One chart of a manifest, as PNG bytes: a task an engine can run on any worker."""

    manifest: dict

    def __call__(self, name: str) -> bytes:
        import matplotlib

        m = self.manifest
        with matplotlib.rc_context(STYLE):
            if name == "noise":
                return noise_chart(m["counts"]["noise"])
            if name == "calibration":
                return calibration_chart(m["calibration"])
            if name == "baselines":
                return baselines_chart(m["results"])
            return accounting_chart(m["splits"], m["counts"]["paragraphs"], m.get("real"))


def chart_pngs(manifest: dict, map_=map) -> dict[str, bytes]:
    """{chart name: PNG bytes} for the sections the manifest has (no calibration chart without a real set), drawn
    through `map_` (a build passes its engine's, so the charts are drawn side by side)."""
    names = ["noise", *(["calibration"] if manifest.get("calibration") else []),
             *(["baselines"] if manifest.get("results") else []), "accounting"]
    return dict(zip(names, map_(_Draw(manifest), names)))


def write_charts(folder: Path, manifest: dict, map_=map) -> dict[str, str]:
    """Write FOLDER/charts/<name>.png; return {name: path relative to FOLDER}, the links the card uses."""
    (folder / CHART_DIR).mkdir(exist_ok=True)
    links = {}
    for name, png in chart_pngs(manifest, map_).items():
        (folder / CHART_DIR / f"{name}.png").write_bytes(png)
        links[name] = f"{CHART_DIR}/{name}.png"
    return links
