"""A recipe that lists a spintax dictionary as spinners ship it: the build, its rows, its card and manifest, and the
commands that take the recipe (spin, calibrate, lexicon stats) or the build (restore, detect, eval, validate)."""

import json
import os
import shutil
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from corpus.pipeline.build import build
from corpus.dataset.validate import validate
from corpus.config.recipe import RecipeError, load_recipe
from corpus.text.normalize import normalize
from tests.conftest import ROOT, write_small_recipe

# Political vocabulary for the Wikipedia articles of the small recipe, written the way shared spinner
# dictionaries are: comments, braces and bare lines, a repeated member, new-style tone marks, a member that
# another group has too (and one the toolkit's lexicon has), a one-member group, punctuation, broken lines.
SPINTAX = [
    "// Từ điển spin chia sẻ miễn phí",
    "# chính trị",
    "{chính phủ|nội các|chính quyền}",
    "quốc hội|nghị viện|quốc hội",
    "{bầu cử|tuyển cử}",
    "",
    "{tổng thống|nguyên thủ quốc gia}",
    "{lãnh đạo|chỉ huy|dẫn dắt}",
    "{chính sách|đường lối}",
    "{quốc gia|đất nước|nước nhà}",
    "{nhân dân|người dân|dân chúng}",
    "chiến tranh|chinh chiến",
    "{thành lập|sáng lập|lập nên}",
    "{hoà bình|thái bình}",
    "{lãnh đạo|điều hành}",
    "{thế kỷ|thế kỉ}",
    "{covid-19|đại dịch}",
    "{xin chào}",
    "{{lồng}|nhau}",
    "{thiếu ngoặc|đóng",
    "{tổ chức|tổ chức triển khai|cơ quan}",
]
LEXICONS = '''
[[lexicons]]
name = "ext"
paths = ["dicts/*.txt"]
provenance = "external:vnspin"
license = "shared freely by its authors; research use"

[[lexicons]]
name = "package"
'''


def cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "corpus.cli", *map(str, args)], capture_output=True, text=True,
                          input=stdin, env={**os.environ, "PYTHONPATH": str(ROOT)})


def spintax_recipe(tmp, wiki_articles, extra: str = LEXICONS):
    recipe = write_small_recipe(tmp, wiki_articles)
    (tmp / "dicts").mkdir()
    (tmp / "dicts" / "spin.txt").write_bytes("\r\n".join(SPINTAX).encode("utf-16"))
    recipe.write_text(recipe.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return recipe


@pytest.fixture(scope="module")
def built(tmp_path_factory, wiki_articles):
    tmp = tmp_path_factory.mktemp("spintax")
    recipe = spintax_recipe(tmp, wiki_articles)
    folder, _ = build(load_recipe(recipe), tmp / "dist", quiet=True)
    return recipe, folder


def rows_of(folder, split="*"):
    return [r for f in sorted((folder / "data").glob(f"{split}-*.parquet")) for r in pq.read_table(f).to_pylist()]


def test_rows_carry_edits_whose_rule_points_into_the_dictionary(built):
    recipe, folder = built
    lines = (recipe.parent / "dicts" / "spin.txt").read_bytes().decode("utf-16").split("\r\n")
    from_dictionary = 0
    for r in rows_of(folder):
        for e in r["edits"]:
            if e["rule"].startswith("ext/"):
                lexicon_file, line = e["rule"].removeprefix("ext/").split(":")
                assert lexicon_file == "spin.txt" and e["kind"] == "lexical"
                members = {m.strip().lower() for m in normalize(lines[int(line) - 1]).strip("{}").split("|")}
                assert r["clean"][e["clean_start"]:e["clean_end"]].lower() in members
                assert e["replacement"].lower() in members
                from_dictionary += 1
    assert from_dictionary >= 200
    # the dictionary comes first: "tổ chức", which the toolkit's own seed group also matches, is its line 21
    tổ_chức = [e["rule"] for r in rows_of(folder) for e in r["edits"]
               if r["clean"][e["clean_start"]:e["clean_end"]].lower() == "tổ chức"]
    assert tổ_chức and set(tổ_chức) == {"ext/spin.txt:21"}
    report = validate(folder)
    assert report.ok, report.problems
    assert report.figures["lexical edits checked against the lexicon"] > from_dictionary


def test_manifest_and_card_report_each_lexicon_and_every_repair(built):
    _, folder = built
    manifest = json.loads((folder / "build.json").read_text(encoding="utf-8"))
    ext, package = manifest["lexicons"]
    assert (ext["name"], ext["provenance"], package["name"]) == ("ext", "external:vnspin", "package")
    assert ext["inputs"][0]["name"] == "dicts/spin.txt" and len(ext["inputs"][0]["sha256"]) == 64
    counts = ext["counts"]
    assert (counts["bad_line"], counts["single_member"], counts["repeated_member"], counts["punctuation"],
            counts["shared_member"], counts["normalised_line"]) == (2, 2, 1, 1, 1, 1)
    assert [s.split(": ")[0] for s in ext["skipped"]] == ["ext/spin.txt:19", "ext/spin.txt:20"]
    assert ext["groups"] == 14 and package["counts"]["shared_member"] >= 1  # package's "tổ chức" lost to ext
    assert manifest["lexicon"]["file"] == "lexicon.jsonl.gz"
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "| ext | external:vnspin 14 | 14 |" in card and "shared freely by its authors" in card
    assert "bad line 2" in card and "`lexicon/file:line`" in card
    assert "| held-out half | lexicon, other half (out-of-sample) |" in card


def test_restore_detect_and_eval_use_the_builds_lexicon(built, tmp_path):
    _, folder = built
    test = [r for r in rows_of(folder, "test") if any(e["rule"].startswith("ext/") for e in r["edits"])]
    assert len(test) >= 10
    (tmp_path / "noisy.jsonl").write_text("".join(json.dumps({"noisy": r["noisy"]}, ensure_ascii=False) + "\n"
                                                  for r in test), encoding="utf-8")
    out = cli("restore", "--lm", folder / "lm.tsv.gz", "--json", tmp_path / "noisy.jsonl")
    assert out.returncode == 0, out.stderr
    restored = [json.loads(line) for line in out.stdout.splitlines()]
    back = [e for r in restored for e in r["edits"] if e["rule"].startswith("ext/")]
    assert len(back) >= 10  # spinner outputs only the dictionary knows, restored
    from corpus.despin.evaluate import score

    s = score([r["noisy"] for r in test], [r["restored"] for r in restored], [r["clean"] for r in test])
    assert s["error_reduction"] > 0.4
    # the same model without the build's lexicon (a build folder of before recipe lexicons) does not know them
    old = tmp_path / "old"
    old.mkdir()
    shutil.copy(folder / "lm.tsv.gz", old / "lm.tsv.gz")
    out = cli("restore", "--lm", old / "lm.tsv.gz", "--json", tmp_path / "noisy.jsonl")
    assert out.returncode == 0 and "ext/" not in out.stdout
    det = cli("detect", "--lm", folder / "lm.tsv.gz", "--json", tmp_path / "noisy.jsonl", "--field", "noisy")
    assert sum(json.loads(line)["label"] == "spun" for line in det.stdout.splitlines()) >= 0.8 * len(test)
    # a damaged lexicon file is a clean error, not a traceback
    (old / "lexicon.jsonl.gz").write_bytes(b"\x1f\x8b not really gzip")
    out = cli("restore", "--lm", old / "lm.tsv.gz", stdin="Các cơ quan .")
    assert out.returncode == 2 and "Traceback" not in out.stderr and "lexicon.jsonl.gz" in out.stderr


def test_commands_that_take_the_recipe_use_its_lexicons(built):
    recipe, _ = built
    stats = cli("lexicon", "stats", recipe)
    assert stats.returncode == 0, stats.stderr
    table = {line.split()[0]: line.split()[1:] for line in stats.stdout.splitlines() if line.strip()}
    assert table["ext"][:2] == ["1", "14"] and table["bad_line"][:2] == ["2", "0"]
    assert table["shared_member"][0] == "1" and int(table["shared_member"][1]) >= 1
    assert "skipped ext/spin.txt:19: braces" in stats.stderr
    spun = cli("spin", "Chính phủ và quốc hội bàn về chính sách của quốc gia.", "--recipe", recipe, "--json")
    assert spun.returncode == 0, spun.stderr
    rules = {e["rule"] for e in json.loads(spun.stdout)["edits"]}
    assert {r.split(":")[0] for r in rules if r.startswith("ext/")} == {"ext/spin.txt"} and len(rules) >= 4
    calibrated = cli("calibrate", "--pairs", ROOT / "seeds" / "000_10ed56cc2b936aaa.restored.jsonl", "--recipe",
                     recipe, "--draws", "2")
    assert calibrated.returncode == 0 and "words_changed" in calibrated.stdout


def test_the_fingerprint_covers_the_dictionarys_bytes(built):
    recipe, _ = built
    path = recipe.parent / "dicts" / "spin.txt"
    before = load_recipe(recipe).fingerprint()
    original = path.read_bytes()
    try:
        path.write_bytes(original + "\r\n# một dòng chú thích".encode("utf-16-le"))
        assert load_recipe(recipe).fingerprint() != before
    finally:
        path.write_bytes(original)
    assert load_recipe(recipe).fingerprint() == before


@pytest.mark.parametrize("table,message", [
    ('lexicons = "dicts/spin.txt"', "[[lexicons]]: expected tables"),
    ('[[lexicons]]\nname = "x"\npaths = ["nowhere/*.txt"]\nlicense = "l"', "matches no file"),
    ('[[lexicons]]\nname = "x"\npaths = ["dicts/spin.txt"]', "lexicons[0] (x).license: missing"),
    ('[[lexicons]]\nname = "x"\npaths = ["dicts/spin.txt"]\nlicense = "l"\nprovenance = "guessed"', "provenance"),
    ('[[lexicons]]\nname = "x"\npaths = ["dicts/spin.txt"]\nlicense = "l"\nweight = nan', "weight: nan"),
    ('[[lexicons]]\nname = "x"\npaths = ["dicts/spin.txt"]\nlicense = "l"\nweight = 2', "weight: 2"),
    ('[[lexicons]]\nname = "x"\npaths = ["dicts/spin.txt"]\nlicense = "l"\nweight = "high"', "expected int or float"),
    ('[[lexicons]]\nname = "Bad Name"', "must be lower case"),
    ('[[lexicons]]\nname = "x"\n[[lexicons]]\nname = "x"', "used by two lexicons"),
    ('[[lexicons]]\nname = "x"\nfile = "a.txt"', "unknown key"),
    ('[[lexicons]]\npaths = ["dicts/spin.txt"]\nlicense = "l"', "lexicons[0].name: missing"),
    ('[[lexicons]]\nname = "x"\npaths = [1, "dicts/loop.txt"]\nlicense = "l"', "1 is not a string"),
    ('[[lexicons]]\nname = "x"\npaths = ["dicts/loop.txt"]\nlicense = "l"', "symbolic link loop"),
    ('[[lexicons]]\nname = "x"\npaths = []\nlicense = "l"', "paths: empty"),
])
def test_bad_lexicon_tables_are_recipe_errors_naming_the_key(tmp_path, wiki_articles, table, message):
    recipe = spintax_recipe(tmp_path, wiki_articles, "\n" + table + "\n")
    if not table.startswith("[["):  # a top-level key: before the first table
        recipe.write_text(table + "\n" + recipe.read_text(encoding="utf-8").replace(table, ""), encoding="utf-8")
    (tmp_path / "dicts" / "loop.txt").symlink_to(tmp_path / "dicts" / "loop.txt")
    with pytest.raises(RecipeError) as err:
        load_recipe(recipe)
    assert message in str(err.value)
    out = cli("build", recipe, "--out", tmp_path / "dist")
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "dist").exists()


@pytest.mark.parametrize("data,message", [
    (b"", "empty file"),
    (bytes(range(256)) * 100, "binary file"),
    ("// nothing but comments\r\n{một}\r\n".encode("utf-16"), "no usable group"),
])
def test_an_unusable_dictionary_stops_the_build_before_any_work(tmp_path, wiki_articles, data, message):
    recipe = spintax_recipe(tmp_path, wiki_articles)
    (tmp_path / "dicts" / "spin.txt").write_bytes(data)
    for args in (("build", recipe, "--out", tmp_path / "dist"), ("lexicon", "stats", recipe),
                 ("spin", "Các cơ quan.", "--recipe", recipe)):
        out = cli(*args)
        assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr, (args, out.stderr)
    assert not (tmp_path / "dist").exists()


def test_a_weight_of_zero_keeps_a_lexicon_out_of_the_noise(tmp_path, wiki_articles):
    """`weight = 0` in the recipe: the dictionary still resolves (and a de-spinner knows it), but never spins."""
    from corpus.rand import RowRandom
    from corpus.spin.noise import spin

    text = "Chính phủ và quốc hội bàn về chính sách của quốc gia trong thế kỷ mới."
    spun_by = {}
    for weight in ("", "weight = 0\n"):
        folder = tmp_path / f"w{len(weight)}"
        folder.mkdir()
        loaded = load_recipe(spintax_recipe(folder, wiki_articles, LEXICONS.replace('license = "shared',
                                                                                    weight + 'license = "shared')))
        lexicon = loaded.load_lexicons().lexicon
        assert lexicon.by_source["chính phủ"].rule == "ext/spin.txt:3"
        spun_by[weight] = {e[5].split(":")[0] for k in range(20)
                           for e in spin(text, RowRandom(k), loaded.noise, lexicon)[1]}
    assert "ext/spin.txt" in spun_by[""] and "ext/spin.txt" not in spun_by["weight = 0\n"]
