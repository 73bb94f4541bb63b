"""The spinner model as a whole: lexicon size, calibration against the hand-restored seed, the CLI."""

import json
import os
import subprocess
import sys

from corpus.readers.pairs import read_pairs, texts
from corpus.spin.calibrate import calibrate
from corpus.spin.learn import candidate_groups
from corpus.spin.lexicon import default_lexicon
from corpus.spin.noise import NoiseSettings, seo_title, spin
from corpus.spin.edits import apply, as_dict
from tests.conftest import ROOT, SPUN_STARTS

RESTORED = ROOT / "seeds" / "000_10ed56cc2b936aaa.restored.jsonl"


def cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "corpus.cli", *args], capture_output=True, text=True, input=stdin,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_lexicon_is_large_and_covers_many_domains():
    lexicon = default_lexicon()
    assert len(lexicon) >= 800
    domains = {g.file.removesuffix(".txt") for g in lexicon.groups}
    assert {"news", "government", "law", "business", "health", "education", "technology", "travel",
            "real_estate", "daily_life", "seed"} <= domains


def test_restored_seed_pairs_are_the_seed_spun_paragraphs(seed_paragraphs):
    rows = [json.loads(line) for line in RESTORED.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 7
    for row in rows:
        assert seed_paragraphs[row["paragraph"]][1] == row["noisy"]
        assert row["noisy"].startswith(SPUN_STARTS)
        assert " ." not in row["clean"] and " :" not in row["clean"] and " ;" not in row["clean"]
        assert len(row["clean"]) < len(row["noisy"])


def test_default_noise_is_calibrated_on_the_real_pairs():
    result = calibrate(texts(read_pairs(RESTORED)), NoiseSettings(), seed=1, draws=10)
    for row in result["rows"]:
        assert row["within"], row
    # and the comparison is not vacuous: a much weaker spinner falls outside the tolerance
    weak = calibrate(texts(read_pairs(RESTORED)), NoiseSettings(substitution_rate=0.3, final_stop_space_rate=0.2), 1, 10)
    assert not all(row["within"] for row in weak["rows"])


def test_learning_from_the_restored_pairs_recovers_seed_substitutions():
    found = {(old, new) for old, new, _ in candidate_groups(texts(read_pairs(RESTORED)))}
    for pair in [("hiệu quả", "hiệu suất cao"), ("các", "những"), ("tổ chức", "tổ chức triển khai"),
                 ("đổi mới", "thay đổi"), ("lợi ích", "quyền lợi")]:
        assert pair in found, pair


def test_seo_title_line_is_an_exact_insertion():
    import random

    rng = random.Random(4)
    title = seo_title(rng)
    assert title == title.strip() and sum(w[:1].isupper() for w in title.split()) >= 4
    clean = "Các đại biểu dự hội nghị tại điểm cầu Bình Phước."
    noisy, edits = spin(clean, rng, NoiseSettings(), title=title)
    assert noisy.startswith(title + "\n") and apply(clean, edits) == noisy
    assert as_dict(edits[0])["kind"] == "seo_title"


def test_spin_cli_json_and_plain_output():
    text = "Đối với Chính phủ: Tập trung xây dựng nền hành chính phục vụ nhân dân, hiệu quả."
    out = cli("spin", text, "--seed", "2", "--json")
    assert out.returncode == 0, out.stderr
    obj = json.loads(out.stdout)
    assert obj["clean"] == text and apply(obj["clean"], obj["edits"]) == obj["noisy"] != text
    plain = cli("spin", "--seed", "2", stdin=text)
    assert plain.stdout.strip() == obj["noisy"] and "\x1b[" not in plain.stdout
    assert cli("spin", "--seed", "2", stdin="   ").returncode == 2


def test_calibrate_and_lexicon_cli():
    out = cli("calibrate", "--pairs", str(RESTORED), "--draws", "5")
    assert out.returncode == 0, out.stderr
    assert "words_changed" in out.stdout and "length_ratio" in out.stdout
    stats = cli("lexicon", "stats")
    assert stats.returncode == 0 and "curated" in stats.stdout and "total" in stats.stdout
    learned = cli("lexicon", "learn", str(RESTORED), "--min-count", "3")
    assert "{các => những} learned" in learned.stdout


def test_calibrate_names_the_bad_line(tmp_path):
    bad = tmp_path / "pairs.jsonl"
    bad.write_text('{"clean": "Các cơ quan.", "noisy": "Những cơ quan ."}\n{"clean": 5}\n', encoding="utf-8")
    out = cli("calibrate", "--pairs", str(bad))
    assert out.returncode == 2 and f"{bad}:2" in out.stderr and "Traceback" not in out.stderr


def test_spin_on_a_terminal_colours_each_edit_as_show_does():
    """On a terminal `corpus spin` colours the noisy side's edits (rich, the colours of `corpus show`); without
    the colour codes it is the noisy text of --json, with an inserted space shown as ␣."""
    import pty
    import re

    text = "Ủy ban nhân dân tỉnh tổ chức hội nghị để nâng cao hiệu quả phục vụ nhân dân."
    expected = json.loads(cli("spin", "--seed", "3", "--json", stdin=text).stdout)
    main, side = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "corpus.cli", "spin", "--seed", "3"], stdin=subprocess.PIPE,
                            stdout=side, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    proc.communicate(text.encode("utf-8"), timeout=120)
    os.close(side)
    shown = os.read(main, 1 << 16).decode("utf-8")
    os.close(main)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", shown).strip()
    assert plain.replace("␣", " ") == expected["noisy"] and expected["edits"]
    assert shown.count("\x1b[1;") >= len(expected["edits"])  # each edit's span in bold colour
