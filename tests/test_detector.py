"""The trained spin detector (corpus.despin.detector) and `corpus detect` as a crawl filter, on real legal text and the
seed page; the default build's detector comes from the session's small build."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpus.rand import RowRandom
from corpus.despin.detector import (FEATURES, WORDS_ONLY, _REGRESSED, Detector, OutputFinder, features,
                                    load_detector, threshold_for, train)
from corpus.spin.lexicon import default_lexicon
from corpus.despin.ngrams import NgramTables
from corpus.spin.noise import NoiseSettings, spin

from corpus.text.normalize import normalize
from corpus.text.segment import BODY, segment

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
VIWIKI = CORPORA / "viwiki-politics.jsonl"


@pytest.fixture(scope="module")
def legal_paragraphs() -> list[str]:
    """Body paragraphs of the legal codes in ../shared/corpora/vi-legal (read there, never copied)."""
    files = sorted((CORPORA / "vi-legal").glob("*.txt"))
    if not files:
        pytest.skip(f"{CORPORA / 'vi-legal'} not present")
    return [p for f in files for kind, p in segment(normalize(f.read_text(encoding="utf-8")))
            if kind == BODY and len(p) >= 40]


def wiki_paragraphs(first: int, last: int) -> list[str]:
    """Body paragraphs of Wikipedia articles first..last (the small build reads the first 40)."""
    if not VIWIKI.exists():
        pytest.skip(f"{VIWIKI} not present")
    with VIWIKI.open(encoding="utf-8") as f:
        articles = [json.loads(line)["text"] for k, line in enumerate(f) if first <= k < last]
    return [p for a in articles for kind, p in segment(normalize(a)) if kind == BODY and len(p) >= 60]


def cli(*args, stdin: str | None = None):
    return subprocess.run([sys.executable, "-m", "corpus.cli", *map(str, args)], input=stdin, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def tables(law_paragraphs) -> NgramTables:
    return NgramTables.train(law_paragraphs[:1500])


def test_tables_save_the_same_bytes_and_load_the_same_scores(tables, law_paragraphs, tmp_path):
    tables.save(tmp_path / "a.zip")
    NgramTables.train(law_paragraphs[:1500]).save(tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    loaded = NgramTables.load(tmp_path / "a.zip")
    texts = law_paragraphs[1500:1550]
    assert np.array_equal(features(tables, texts, OutputFinder(None)), features(loaded, texts, OutputFinder(None)))


def test_the_model_prefers_the_legal_phrase_to_its_spun_form(tables):
    """Real continuations score higher than the spinner's: "tổ chức ," against "tổ chức triển khai ,"."""
    def total(text):
        ids = tables.encode(text)
        history = np.stack([np.r_[np.ones(3, np.int64), ids][i : i + 3] for i in range(1, len(ids))])
        return tables.next_logprob(history, ids[1:]).sum()

    assert total("Cơ quan, tổ chức, cá nhân có trách nhiệm thi hành Luật này.") > \
        total("Cơ quan chức năng, tổ chức triển khai, cá nhân có trách nhiệm thi hành Luật này.")


def test_features_do_not_depend_on_the_batch(tables, law_paragraphs):
    """What makes 1 and 2 workers (and any --batch-size) give the same labels."""
    texts = law_paragraphs[1600:1640] + ["", "Điều 5.", "một"]
    together = features(tables, texts, OutputFinder(default_lexicon()))
    alone = np.concatenate([features(tables, [t], OutputFinder(default_lexicon())) for t in texts])
    assert together.shape == (len(texts), len(FEATURES))
    assert np.allclose(together, alone)


def test_the_threshold_flags_at_most_the_stated_share_of_clean_paragraphs():
    rng = np.random.default_rng(5)
    for n in (1, 7, 49, 50, 1000):
        clean = rng.random(n)
        clean[: n // 3] = 0.5  # ties
        t = threshold_for(clean, 0.02)
        assert (clean >= t).sum() <= int(0.02 * n)


def test_a_detector_trained_on_one_half_catches_the_other_half_with_artifacts(legal_paragraphs):
    """Trained as a build trains it (half A spins, half B gives the lexicon evidence), then shown text spun by
    half B only: with the artifacts kept it must catch nearly all of it at its calibrated threshold."""
    from corpus.spin.lexicon_files import PACKAGE, load_lexicons

    half_a = load_lexicons((PACKAGE,), "old", "a").lexicon
    half_b = load_lexicons((PACKAGE,), "old", "b").lexicon

    def spin_one(text, lexicon, artifacts, key):
        settings = NoiseSettings() if artifacts else replace(NoiseSettings(), **WORDS_ONLY)
        return spin(text, RowRandom(1, key), settings, lexicon)[0]

    detector = train(legal_paragraphs[:20000], legal_paragraphs[20000:21000], half_a, spin_one, seed=1)
    calibration = detector.settings["calibration"]
    assert calibration["false_positive_rate"] <= 0.02 and calibration["clean"] == 500
    clean = [p for p in legal_paragraphs[-600:] if p.endswith(".")]
    spun = [n for n in (spin_one(p, half_b, True, f"t{i}") for i, p in enumerate(clean)) if n not in clean]
    scores = detector.scores(clean + spun)
    flagged_clean = (scores[: len(clean)] >= detector.threshold).mean()
    caught = (scores[len(clean) :] >= detector.threshold).mean()
    assert flagged_clean <= 0.05 and caught >= 0.95, (flagged_clean, caught)


def test_the_build_writes_a_calibrated_detector(small_build):
    manifest = json.loads((small_build / "build.json").read_text(encoding="utf-8"))
    detector = load_detector(str(small_build))
    assert manifest["detector"]["threshold"] == detector.threshold
    assert manifest["detector"]["calibration"]["false_positive_rate"] <= 0.02
    assert isinstance(detector, Detector) and 0 < detector.threshold < 1


def test_detect_filters_jsonl_and_parquet_the_same_with_one_and_two_workers(small_build, tmp_path):
    texts = wiki_paragraphs(100, 200)[:300]
    spun = [spin(t, RowRandom(2, i), NoiseSettings())[0] for i, t in enumerate(texts[:150])]
    changed = [n != t for n, t in zip(spun, texts)]
    records = [{"doc": f"d{i}", "body": t} for i, t in enumerate(spun + texts[150:])]
    jsonl = tmp_path / "crawl.jsonl"
    jsonl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n{broken\n"
                     + json.dumps({"doc": "x", "body": 5}) + "\n", encoding="utf-8")
    parquet = tmp_path / "crawl.parquet"
    pq.write_table(pa.Table.from_pylist(records), parquet, row_group_size=64)
    outputs = {}
    for name, path, workers in (("jsonl1", jsonl, 1), ("jsonl2", jsonl, 2), ("parquet2", parquet, 2)):
        run = cli("detect", "--model", small_build, "--field", "body", "--id-field", "doc", "--json",
                  "--workers", workers, "--batch-size", 37, path)
        assert run.returncode == 0, run.stderr
        outputs[name] = [json.loads(line) for line in run.stdout.splitlines()]
    assert outputs["jsonl1"] == outputs["jsonl2"] == outputs["parquet2"]
    got = outputs["jsonl1"]
    assert [o["id"] for o in got] == [r["doc"] for r in records]
    flagged = [o["label"] == "spun" for o in got]
    caught = sum(f for f, c in zip(flagged, changed) if c) / sum(changed)
    # a 40-article build, calibrated on the few documents of its validation split: 16 of these 150 clean
    # paragraphs of other articles are flagged (its own validation: 2%); the benchmark measures real models
    assert caught >= 0.9 and sum(flagged[150:]) <= 25, (caught, sum(flagged[150:]))
    skipped = cli("detect", "--model", small_build, "--field", "body", jsonl).stderr
    assert f"{jsonl}:301: not JSON" in skipped and f"{jsonl}:302: no string field 'body'" in skipped


def test_detect_says_what_is_wrong_with_a_model_folder_or_a_parquet_column(small_build, tmp_path):
    empty = cli("detect", "--model", tmp_path, stdin="Một đoạn văn.")
    assert empty.returncode == 2 and "no spin detector here" in empty.stderr and "Traceback" not in empty.stderr
    parquet = tmp_path / "t.parquet"
    pq.write_table(pa.table({"noi_dung": ["Điều 1. Phạm vi điều chỉnh."]}), parquet)
    column = cli("detect", "--model", small_build, parquet)
    assert column.returncode == 2 and "no column 'text'" in column.stderr and "noi_dung" in column.stderr


def test_the_batch_function_drops_into_datasets_map(small_build, seed_paragraphs, tmp_path):
    import datasets

    detector = load_detector(str(small_build))
    data = datasets.Dataset.from_dict({"text": [p for _, p in seed_paragraphs]})
    labelled = data.map(detector.batch, batched=True, batch_size=4, cache_file_name=str(tmp_path / "c.arrow"))
    assert labelled.column_names == ["text", "spin_label", "spin_score"]
    assert labelled[0]["spin_label"] == "boilerplate"  # the seed's SEO title line
    direct = detector.label([p for _, p in seed_paragraphs])
    assert labelled["spin_score"] == [d.score for d in direct]


RAY_SCRIPT = """
import json, sys, logging
import ray
from corpus.despin.detector import DetectBatch
ray.init(num_cpus=1, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False,
         logging_level=logging.WARNING)
ray.data.DataContext.get_current().enable_progress_bars = False
texts = json.loads(sys.stdin.read())
ds = ray.data.from_items([{"text": t} for t in texts])
rows = ds.map_batches(DetectBatch, fn_constructor_args=(sys.argv[1],), concurrency=1, batch_size=5).take_all()
print(json.dumps({r["text"]: [r["spin_label"], r["spin_score"]] for r in rows}, ensure_ascii=False))
ray.shutdown()
"""


def test_the_batch_class_drops_into_ray_map_batches(small_build, seed_paragraphs):
    """The README's Ray Data example, run as a user would (its own process, a local Ray)."""
    pytest.importorskip("ray")
    texts = [p for _, p in seed_paragraphs]
    run = subprocess.run([sys.executable, "-c", RAY_SCRIPT, str(small_build)], input=json.dumps(texts),
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    direct = load_detector(str(small_build)).label(texts)
    assert got == {t: [d.label, d.score] for t, d in zip(texts, direct)}
    assert [got[t][0] for t in texts].count("spun") == 7


def test_labelling_with_both_halves_equals_labelling_with_each(small_build, legal_paragraphs):
    """label_both (the card's held-out scoring) computes the word features once: its labels are each detector's
    own, on clean and spun law paragraphs and a boilerplate line, and it refuses detectors with other tables."""
    from corpus.spin.lexicon import Lexicon
    from corpus.spin.lexicon_files import half_of

    built = load_detector(str(small_build))
    half_b = Lexicon([g for g in default_lexicon().groups if half_of(g.rule) == "b"])
    other = Detector(built.tables, built.settings, half_b)
    texts = legal_paragraphs[:40]
    texts += [spin(t, RowRandom(7, "both", str(i)), NoiseSettings(), default_lexicon())[0]
              for i, t in enumerate(texts[:30])]
    texts.append("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    mine, theirs = built.label_both(texts, other)
    assert mine == built.label(texts) and theirs == other.label(texts)
    assert mine != theirs  # the lexicons differ, and so does the evidence
    with pytest.raises(ValueError, match="same n-gram tables"):
        built.label_both(texts, Detector(NgramTables.train(texts), built.settings, half_b))


FIT_IN_A_PROCESS = """
import sys
import numpy as np
from corpus.despin.detector import fit
data = np.load(sys.argv[1])
weights, mean, scale = fit(data["x"], data["y"])
sys.stdout.write(np.concatenate([weights, mean, scale]).tobytes().hex())
"""


def test_the_regression_weights_do_not_depend_on_the_number_of_blas_threads(tables, law_paragraphs, tmp_path):
    """detector.json must be the same on a laptop and on a 2-core CI runner: the fit's sums over thousands of
    paragraphs may not be split between BLAS threads (OpenBLAS rounds a sum it splits differently). Fitted as a
    build fits it, on the features of clean law paragraphs and of their spun copies, once with one BLAS thread
    and once with two (a single-core machine cannot tell them apart)."""
    clean = law_paragraphs[1600:4600]
    spun = [spin(t, RowRandom(3, "blas", str(i)), NoiseSettings(), default_lexicon())[0] for i, t in enumerate(clean)]
    spun = [s for s, t in zip(spun, clean) if s != t]
    x = features(tables, clean + spun, OutputFinder(default_lexicon()))[:, _REGRESSED]
    y = np.r_[np.zeros(len(clean)), np.ones(len(spun))]
    np.savez(tmp_path / "xy.npz", x=x, y=y)
    fitted = {}
    for threads in ("1", "2"):
        env = {**os.environ, **{k: threads for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}}
        run = subprocess.run([sys.executable, "-c", FIT_IN_A_PROCESS, str(tmp_path / "xy.npz")], env=env,
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr
        fitted[threads] = np.frombuffer(bytes.fromhex(run.stdout), np.float64)
    assert len(fitted["1"]) == 1 + 3 * x.shape[1]  # weights (with the intercept), means, scales
    assert fitted["1"].tobytes() == fitted["2"].tobytes(), np.abs(fitted["1"] - fitted["2"]).max()
