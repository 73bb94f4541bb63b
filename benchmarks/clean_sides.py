"""How clean are the clean sides, how real is the noise: issue 17's heuristics, measured on one split of a build.

    python -m benchmarks.clean_sides dist/vi-despin/0.1.0 [--split train] [--examples 3]

Counts rows (a spun paragraph has up to `variants` rows), each figure also as a share of the split's rows.
The definitions are this script's own, not the build's filters, so a build from any commit can be measured
and a filter cannot grade itself:
- clean, no final punctuation: the last character (past closing quotes and brackets) is none of . ! ? … ; :
- clean, hardly Vietnamese: under 20% of the words (3+ of them, all-capital abbreviations aside) carry a
  Vietnamese letter or tone mark; Vietnamese prose has about 60%.
- clean, spaced ";" and any spaced mark: a space before ; (or before . ; : ! ? ending a clause).
- noisy, lower-case sentence start: a lexical edit replaced a capitalised phrase at a sentence start (text
  start, line start, or after . ! ? … and a space) with a lower-case one.
- noisy, invented full stop: a glue edit (a lost line break) that writes a "." where the clean text had none.
"""

from __future__ import annotations

import argparse
import re
import unicodedata
from pathlib import Path

import pyarrow.parquet as pq

_CLOSERS = " \t\n”\"’)]»"
_WORD = re.compile(r"[^\W\d_]+")
_VIET_LETTERS = set("ăâđêôơưĂÂĐÊÔƠƯ")
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_SPACED_SEMICOLON = re.compile(r"\S ;")
_SPACED_ANY = re.compile(r"\S [;:!?](?=\s|$)|[^\s.] \.(?=\s|$)")
_SENTENCE_START = re.compile(r"(?:^|\n|[.!?…][”\"’)]?\s+)[“\"(]?$")


def vietnamese_word(word: str) -> bool:
    if any(c in _VIET_LETTERS for c in word):
        return True
    return any(c in _TONES for c in unicodedata.normalize("NFD", word))


def hardly_vietnamese(text: str) -> bool:
    words = [w for w in _WORD.findall(text) if not (len(w) > 1 and w.isupper())]
    return len(words) >= 3 and sum(map(vietnamese_word, words)) < 0.2 * len(words)


def no_final_punct(text: str) -> bool:
    return text.rstrip(_CLOSERS)[-1:] not in tuple(".!?…;:")


def lower_start(clean: str, edit: dict) -> bool:
    start, new = edit["clean_start"], edit["replacement"]
    return (edit["kind"] in ("lexical", "number") and clean[start:start + 1].isupper() and new[:1].islower()
            and _SENTENCE_START.search(clean[max(0, start - 5):start]) is not None)


def invented_stop(edit: dict) -> bool:
    return edit["kind"] == "glue" and "." in edit["replacement"]


def measure(folder: Path, split: str, examples: int) -> None:
    files = sorted((folder / "data").glob(f"{split}-*.parquet"))
    if not files:
        raise SystemExit(f"no {split} split in {folder / 'data'}")
    rows = [r for f in files for r in pq.read_table(f, columns=["id", "clean", "noisy", "edits"]).to_pylist()]
    tests = {
        "clean: no final punctuation": lambda r: no_final_punct(r["clean"]),
        "clean: hardly Vietnamese (<20% marked words)": lambda r: hardly_vietnamese(r["clean"]),
        "clean: spaced ;": lambda r: _SPACED_SEMICOLON.search(r["clean"]) is not None,
        "clean: any spaced . ; : ! ?": lambda r: _SPACED_ANY.search(r["clean"]) is not None,
        "noisy: lower-case sentence start": lambda r: any(lower_start(r["clean"], e) for e in r["edits"]),
        "noisy: glue invents a full stop": lambda r: any(invented_stop(e) for e in r["edits"]),
        "noisy: glued rows (any lost break)": lambda r: any(e["kind"] == "glue" for e in r["edits"]),
    }
    print(f"{folder} {split}: {len(rows):,} rows")
    print(f"| {'heuristic':45} | {'rows':>7} | {'share':>6} |")
    print(f"|{'-' * 47}|{'-' * 9}|{'-' * 8}|")
    hits = {}
    for name, test in tests.items():
        hits[name] = [r for r in rows if test(r)]
        print(f"| {name:45} | {len(hits[name]):>7,} | {len(hits[name]) / max(1, len(rows)):>6.2%} |")
    for name, found in hits.items():
        for r in found[:examples]:
            print(f"  {name}: {r['id']}: {r['clean'][-90:]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a built version folder, e.g. dist/vi-despin/0.1.0")
    parser.add_argument("--split", default="train")
    parser.add_argument("--examples", type=int, default=0, help="print the first N rows of each heuristic")
    args = parser.parse_args()
    measure(args.folder, args.split, args.examples)


if __name__ == "__main__":
    main()
