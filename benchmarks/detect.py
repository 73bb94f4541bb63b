"""The spin detector on spinning it has never seen: the held-out protocol, per domain and across domains.

    python -m benchmarks.detect [--paragraphs N] [--corpora PATH] [--throughput-only] [--no-throughput]

Documents of each domain of ../shared/corpora (the legal codes of vi-legal/, the Wikipedia politics articles) are
cut by a hash of their id into train (80%), validation (10%) and test (10%). A detector is trained as a build
trains it (corpus.despin.detector.train): n-gram tables on the train documents, the regression and the threshold
(at most 2% of clean paragraphs flagged) on validation paragraphs spun with **half A** of our lexicon's groups,
and it is given half A only. It is then scored on test paragraphs of the same domain and of the other one, spun
with **half B**, which it has never seen: once with the spinner's punctuation artifacts removed (word
substitutions only) and once with them kept. Positives are the paragraphs the spin changed; every clean test
paragraph is a negative.

Then throughput: `corpus detect` over the large recipe's inputs (every file of ../shared/corpora, text and JSONL),
with a detector trained on both domains' train documents, 1 and 2 workers (the labels must be identical), beside the
surface detector (`corpus detect` without a model) on the same input: MB/s per core and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from corpus.despin.evaluate import detector_scores
from corpus.rand import RowRandom, unit_hash
from corpus.despin.detector import WORDS_ONLY as WORDS_ONLY_RATES
from corpus.despin.detector import train
from corpus.spin.lexicon_files import PACKAGE, load_lexicons
from corpus.spin.noise import NoiseSettings, spin
from corpus.text.normalize import normalize
from corpus.text.segment import BODY, segment

ROOT = Path(__file__).resolve().parents[1]
WITH_ARTIFACTS = NoiseSettings(glue_rate=0.0)
WORDS_ONLY = replace(WITH_ARTIFACTS, **WORDS_ONLY_RATES)


def domain_paragraphs(corpora: Path, domain: str) -> dict[str, list[str]]:
    """{train, validation, test: body paragraphs of at least 40 characters}, cut by document."""
    if domain == "legal":
        docs = [(f"legal/{f.stem}", f.read_text(encoding="utf-8")) for f in sorted((corpora / "vi-legal").glob("*.txt"))]
    else:
        with (corpora / "viwiki-politics.jsonl").open(encoding="utf-8") as f:
            docs = [(f"wiki/{o['id']}", o["text"]) for o in map(json.loads, f)]
    out: dict[str, list[str]] = {"train": [], "validation": [], "test": []}
    for doc, text in docs:
        u = unit_hash(1, "split", doc)
        split = "train" if u < 0.8 else "validation" if u < 0.9 else "test"
        out[split] += [p for kind, p in segment(normalize(text)) if kind == BODY and len(p) >= 40]
    return out


def spin_one(text: str, lexicon, artifacts: bool, key: str) -> str:
    return spin(text, RowRandom(3, key), WITH_ARTIFACTS if artifacts else WORDS_ONLY, lexicon)[0]


def evaluate(detector, clean: list[str], half_b, artifacts: bool) -> dict:
    noisy = [spin_one(t, half_b, artifacts, f"test/{i}") for i, t in enumerate(clean)]
    spun = [n for n, c in zip(noisy, clean) if n != c]
    texts = clean + spun
    clock = time.time()
    scores = np.concatenate([detector.scores(texts[i : i + 512]) for i in range(0, len(texts), 512)])
    seconds = time.time() - clock
    labels = [0] * len(clean) + [1] * len(spun)
    out = detector_scores(labels, scores.tolist(), detector.threshold)
    negatives = np.sort(scores[: len(clean)])
    at_2 = negatives[int(0.98 * len(negatives))]  # this set's own 2% operating point (the oracle threshold)
    out["false_positive_rate"] = round(float((scores[: len(clean)] >= detector.threshold).mean()), 4)
    out["recall_at_own_2pct"] = round(float((scores[len(clean) :] > at_2).mean()), 4)
    out["mb_per_s"] = round(sum(len(t.encode()) for t in texts) / 1e6 / seconds, 2)
    return out


def seed_labels(detector) -> dict:
    """The seed page: how many of its 7 spun and 6 untouched body paragraphs are flagged; its title's label."""
    seed = ROOT / "seeds" / "000_10ed56cc2b936aaa.txt"
    spun = {json.loads(line)["noisy"] for line in (ROOT / "seeds" / "000_10ed56cc2b936aaa.restored.jsonl")
            .read_text(encoding="utf-8").splitlines() if line.strip()}
    paragraphs = [p for _, p in segment(normalize(seed.read_text(encoding="utf-8")))]
    labels = detector.label(paragraphs)
    return {"spun": sum(d.label == "spun" for p, d in zip(paragraphs, labels) if p in spun),
            "clean": sum(d.label == "spun" for p, d in zip(paragraphs[1:], labels[1:]) if p not in spun),
            "title": labels[0].label}


def throughput(corpora: Path, data: dict, half_a) -> None:
    """`corpus detect` over the large recipe's inputs: surface detector, then the trained one with 1 and 2 workers."""
    import subprocess
    import sys
    import tempfile

    from corpus.spin.lexicon_files import COMPILED, write_compiled

    inputs = sorted((corpora / "vi-legal").glob("*.txt")) + [corpora / "viwiki-politics.jsonl"]
    size = sum(f.stat().st_size for f in inputs)
    with tempfile.TemporaryDirectory(prefix="detect-bench-") as tmp:
        folder = Path(tmp)
        detector = train(data["legal"]["train"] + data["wiki"]["train"],
                         data["legal"]["validation"][:1500] + data["wiki"]["validation"][:1500], half_a, spin_one, 3)
        detector.save(folder)
        write_compiled(half_a, folder / COMPILED)
        print(f"\n`corpus detect` over the large recipe's inputs: {len(inputs)} files, {size / 1e6:.1f} MB")
        print("| detector | workers | seconds | MB/s | MB/s per core | paragraphs | flagged spun | peak RSS of the "
              "driver (MB) |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        labels = {}
        for name, model, workers in (("surface (no model)", [], 1), ("trained", ["--model", folder], 1),
                                     ("trained", ["--model", folder], 2)):
            out, peak = folder / f"out-{len(labels)}.jsonl", folder / f"peak-{len(labels)}.txt"
            clock = time.time()
            with out.open("w", encoding="utf-8") as f:  # GNU time: the peak RSS of the command itself (KB)
                run = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(peak), sys.executable, "-m",
                                      "corpus.cli", "detect", *map(str, model), "--json", "--workers", str(workers),
                                      *map(str, inputs)], stdout=f, stderr=subprocess.PIPE, text=True)
            seconds = time.time() - clock
            if run.returncode:
                raise SystemExit(run.stderr[-2000:])
            rss = int(peak.read_text().split()[-1]) / 1024
            rows = [(o["id"], o["label"]) for o in map(json.loads, out.open(encoding="utf-8"))]
            labels[name, workers] = rows
            print(f"| {name} | {workers} | {seconds:.1f} | {size / 1e6 / seconds:.2f} | "
                  f"{size / 1e6 / seconds / workers:.2f} | {len(rows)} | {sum(l == 'spun' for _, l in rows)} | "
                  f"{rss:.0f} |", flush=True)
        same = labels["trained", 1] == labels["trained", 2]
        print(f"trained detector, 1 and 2 workers: {'identical' if same else 'DIFFERENT'} labels")
        if not same:
            raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument("--paragraphs", type=int, default=3000, help="validation and test paragraphs per domain")
    parser.add_argument("--throughput-only", action="store_true")
    parser.add_argument("--no-throughput", action="store_true")
    args = parser.parse_args()
    half_a = load_lexicons((PACKAGE,), "old", "a").lexicon
    half_b = load_lexicons((PACKAGE,), "old", "b").lexicon
    data = {d: domain_paragraphs(args.corpora, d) for d in ("legal", "wiki")}
    if not args.throughput_only:
        quality(data, half_a, half_b, args.paragraphs)
    if not args.no_throughput:
        throughput(args.corpora, data, half_a)


def quality(data: dict, half_a, half_b, paragraphs: int) -> None:
    print("| trained on | tested on | artifacts | clean | spun | ROC-AUC | threshold | FPR | recall | "
          "recall at the test set's own 2% | MB/s |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for trained_on in ("legal", "wiki"):
        clock = time.time()
        detector = train(data[trained_on]["train"], data[trained_on]["validation"][:paragraphs], half_a,
                         spin_one, seed=3)
        trained = time.time() - clock
        for tested_on in (trained_on, "wiki" if trained_on == "legal" else "legal"):
            for artifacts in (False, True):
                r = evaluate(detector, data[tested_on]["test"][:paragraphs], half_b, artifacts)
                print(f"| {trained_on} | {tested_on} | {'kept' if artifacts else 'removed'} | "
                      f"{r['rows'] - r['positives']} | {r['positives']} | {r['roc_auc']:.3f} | {r['threshold']:.3f} | "
                      f"{r['false_positive_rate']:.3f} | {r['recall']:.3f} | {r['recall_at_own_2pct']:.3f} | "
                      f"{r['mb_per_s']:.2f} |", flush=True)
        seed = seed_labels(detector)
        print(f"(trained on {trained_on} in {trained:.1f} s; calibration: {detector.settings['calibration']}; the seed "
              f"page: {seed['spun']}/7 spun and {seed['clean']}/6 clean paragraphs flagged, title line "
              f"{seed['title']})")


if __name__ == "__main__":
    main()
