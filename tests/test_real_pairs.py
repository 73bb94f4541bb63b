"""The hand-restored pairs of [real]: one reader (corpus/readers/pairs.py) for the build, calibration and
`corpus spin`; a damaged file is named with its line, and the build writes nothing."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT, write_small_recipe

from corpus.readers.pairs import PairsError, read_pairs, texts

RESTORED = ROOT / "seeds" / "000_10ed56cc2b936aaa.restored.jsonl"


def test_the_seed_restoration_reads_with_its_paragraphs():
    pairs = read_pairs(RESTORED, paragraphs=True)
    lines = [json.loads(line) for line in RESTORED.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert [(p.paragraph, p.clean, p.noisy) for p in pairs] == [(o["paragraph"], o["clean"], o["noisy"]) for o in lines]
    assert texts(pairs) == [(o["clean"], o["noisy"]) for o in lines] and len(pairs) == 7


def damaged(tmp_path, how: str) -> tuple:
    lines = RESTORED.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    bad = {
        "no paragraph": json.dumps({k: v for k, v in first.items() if k != "paragraph"}, ensure_ascii=False),
        "paragraph as text": json.dumps({**first, "paragraph": "một"}, ensure_ascii=False),
        "paragraph true": json.dumps({**first, "paragraph": True}, ensure_ascii=False),
        "not JSON": "{Quốc hội thông qua",
        "huge number": '{"paragraph": ' + "9" * 5000 + ', "clean": "a", "noisy": "b"}',
        "not this paragraph": json.dumps({**first, "paragraph": first["paragraph"] + 1}, ensure_ascii=False),
    }[how]
    path = tmp_path / "restored.jsonl"
    path.write_text("\n".join([*lines[:3], bad, *lines[3:]]) + "\n", encoding="utf-8")
    return path, 4


@pytest.mark.parametrize("how", ["no paragraph", "paragraph as text", "paragraph true", "not JSON", "huge number"])
def test_a_damaged_line_is_named(tmp_path, how):
    path, line = damaged(tmp_path, how)
    with pytest.raises(PairsError, match=f"{path}:{line}: "):
        read_pairs(path, paragraphs=True)


@pytest.mark.parametrize("how", ["no paragraph", "not this paragraph"])
def test_a_build_with_damaged_real_pairs_writes_nothing(tmp_path, wiki_articles, how):
    recipe = write_small_recipe(tmp_path, wiki_articles)
    path, line = damaged(tmp_path, how)
    recipe.write_text(recipe.read_text(encoding="utf-8") + f'''
[real]
pairs = "{path.name}"
source = "seed"
doc_id = "000_10ed56cc2b936aaa"
draws = 2
''', encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "corpus.cli", "build", str(recipe), "--out", str(tmp_path / "dist"),
                          "--quiet"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 3 and f"{path}:{line}: " in run.stderr and "Traceback" not in run.stderr, run.stderr
    assert not list((tmp_path / "dist").rglob("build.json"))
