"""Benchmark of whole builds: the `large` recipe and a x8 blow-up of it, with 1 and 2 workers, beside a naive
yardstick over the same input: what a researcher would write (read, split lines, pyahocorasick longest-match of
the whole lexicon, the first target of each phrase written in, Parquet out: no normalisation, no edits, no
dedup, no checks). Per-phase and per-step seconds come from each build's build.json (`stage_seconds`,
`step_seconds`: the step stats).

    make bench                      # or: python -m benchmarks.build [--scales 1,8] [--workers 1,2]

Each build runs as `corpus build` in a subprocess; its peak memory is sampled every 0.5 s from /proc as the
PSS (resident pages, shared ones split between the processes sharing them) summed over the process and its
workers (Linux only). A sample costs ~25 ms of CPU (the kernel walks every page table): at 50 ms intervals the
sampler took a third of a core, which a two-worker build on a 2-core machine then lacks. MB/s per core = input
MB / wall seconds / workers. The x8 input repeats every document of the large recipe eight times under distinct
ids, written on the fly to a temp folder (exact duplicates: the build must drop them, and its memory must not
grow with them).
Targets (issues 6 and 18) live here, not in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LARGE = ROOT / "recipes" / "large.toml"
SAMPLE_SECONDS = 0.5


def tree_memory(pid: int) -> int:
    """Proportional set size (PSS) of a process and all its descendants: resident bytes, with the pages that
    forked workers share with the driver counted once, not once per process (plain RSS sums count them twice)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            rollup = Path(f"/proc/{p}/smaps_rollup").read_text()
            total += int(re.search(r"^Pss:\s+(\d+)", rollup, re.M).group(1)) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, AttributeError):
            continue
    return total


def run(command: list[str]) -> tuple[float, int, float]:
    """(wall seconds, peak PSS bytes of the process tree, CPU seconds of the tree: user + system, the workers'
    included, as the build waits for them) of a command that must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_memory(proc.pid))
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} failed ({proc.returncode}):\n{err[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, peak, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def blow_up(recipe: Path, times: int, folder: Path) -> Path:
    """A copy of the recipe whose clean sources hold every document `times` times, under distinct ids."""
    from corpus.config.recipe import load_recipe

    loaded = load_recipe(recipe)
    text = recipe.read_text(encoding="utf-8")
    for source in loaded.sources:
        if source.role != "clean":
            continue
        target = folder / source.name
        for k in range(times):
            for inp in source.inputs:
                out = target / f"copy{k}" / Path(inp.name).name
                out.parent.mkdir(parents=True, exist_ok=True)
                if source.format == "jsonl":
                    with inp.path.open(encoding="utf-8") as f, out.open("w", encoding="utf-8") as g:
                        for line in f:
                            obj = json.loads(line)
                            obj[source.id_field] = f"{obj.get(source.id_field)}-copy{k}"
                            g.write(json.dumps(obj, ensure_ascii=False) + "\n")
                else:
                    shutil.copyfile(inp.path, out)
        pattern = "*.jsonl" if source.format == "jsonl" else "*.txt"
        old = "paths = [" + ", ".join(f'"{p}"' for p in source.paths) + "]"
        text = text.replace(old, f'paths = ["{(target / "copy*" / pattern).as_posix()}"]', 1)
    for shared in ("seeds", "cards"):  # "../seeds/..." keeps resolving, so the seed's document id is unchanged
        (folder / shared).symlink_to(ROOT / shared)
    text = re.sub(r'(?m)^name = "([^"]+)"', rf'name = "\1-x{times}"', text, count=1)
    (folder / "recipes").mkdir()
    out = folder / "recipes" / "recipe.toml"
    out.write_text(text, encoding="utf-8")
    return out


def input_bytes(recipe: Path) -> int:
    from corpus.config.recipe import load_recipe

    return sum(i.bytes for s in load_recipe(recipe).sources for i in s.inputs)


def naive(recipe_path: str, out: str) -> None:
    """What a researcher would write in an afternoon: pyahocorasick longest-match of every lexicon phrase over
    each document (lower-cased, as the lexicon's keys are), lines as paragraphs. No normalisation, no word
    boundaries, no edits, no dedup, no checks."""
    import ahocorasick
    import pyarrow as pa
    import pyarrow.parquet as pq

    from corpus.config.recipe import load_recipe
    from corpus.spin.lexicon import default_lexicon

    automaton = ahocorasick.Automaton()
    for key, (targets, *_) in default_lexicon().options.items():
        if targets:
            automaton.add_word(key, (len(key), targets[0]))
    automaton.make_automaton()

    def spin(text: str) -> str:
        low = text.lower()
        if len(low) != len(text):
            return text
        out, cursor = [], 0
        for end, (length, target) in automaton.iter_long(low):
            out += [text[cursor:end - length + 1], target]
            cursor = end + 1
        return "".join(out) + text[cursor:]

    clean, noisy = [], []
    for source in load_recipe(Path(recipe_path)).sources:
        for inp in source.inputs:
            if source.format == "jsonl":
                with inp.path.open(encoding="utf-8") as f:
                    texts = [json.loads(line).get(source.text_field, "") for line in f]
            else:
                texts = [inp.path.read_text(encoding="utf-8", errors="replace")]
            for text in texts:
                for a, b in zip(text.split("\n"), spin(text).split("\n")):
                    if a.strip():
                        clean.append(a.strip())
                        noisy.append(b.strip())
    pq.write_table(pa.table({"clean": clean, "noisy": noisy}), out, compression="zstd")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", type=Path, default=LARGE)
    parser.add_argument("--scales", default="1,8", help="input blow-ups to run, e.g. 1,8")
    parser.add_argument("--workers", default="1,2", help="worker counts to run, e.g. 1,2")
    parser.add_argument("--engine", default="local")
    args = parser.parse_args()
    corpus = [sys.executable, "-m", "corpus.cli"]
    rows, stages, steps = [], {}, {}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        tmp = Path(tmp)
        for scale in map(int, args.scales.split(",")):
            recipe = args.recipe if scale == 1 else blow_up(args.recipe, scale, tmp / f"x{scale}")
            mb = input_bytes(recipe) / 1e6
            wall, rss, cpu = run([sys.executable, "-m", "benchmarks.build", "--naive", str(recipe),
                                  str(tmp / "naive.parquet")])
            rows.append((f"x{scale}", "naive yardstick", 1, mb, "-", wall, mb / wall, rss, cpu))
            print(f"  {rows[-1]}", file=sys.stderr, flush=True)
            for workers in map(int, args.workers.split(",")):
                out = tmp / f"dist-{scale}-{workers}"
                wall, rss, cpu = run([*corpus, "build", str(recipe), "--out", str(out), "--quiet", "--force",
                                      "--workers", str(workers), "--engine", args.engine])
                manifest = json.loads(next(out.rglob("build.json")).read_text(encoding="utf-8"))
                rows.append((f"x{scale}", f"corpus build ({args.engine})", workers, mb, manifest["counts"]["rows"],
                             wall, mb / wall / workers, rss, cpu))
                label = f"x{scale}, {workers} worker{'s' * (workers > 1)}"
                stages[label], steps[label] = manifest.get("stage_seconds", {}), manifest.get("step_seconds", {})
                print(f"  {rows[-1]}", file=sys.stderr, flush=True)
                shutil.rmtree(out)
    print(f"{'input':6} {'pipeline':24} {'workers':>7} {'input MB':>9} {'rows':>8} {'wall s':>8} "
          f"{'MB/s/core':>10} {'peak PSS MB':>12} {'CPU s':>7} {'cores busy':>10}")
    for scale, name, workers, mb, n, wall, rate, rss, cpu in rows:
        print(f"{scale:6} {name:24} {workers:>7} {mb:>9.1f} {n!s:>8} {wall:>8.1f} {rate:>10.3f} {rss / 1e6:>12.0f} "
              f"{cpu:>7.1f} {cpu / wall:>10.2f}")
    for title, table in (("wall seconds per phase and driver step (build.json stage_seconds)", stages),
                         ("seconds in each step, summed over batches and workers (build.json step_seconds)", steps)):
        names = list(dict.fromkeys(k for st in table.values() for k in st))
        if names:
            print(f"\n{title}\n{'build':16}" + "".join(f"{n[:13]:>14}" for n in names))
            for label, st in table.items():
                print(f"{label:16}" + "".join(f"{st.get(n, 0):>14.2f}" for n in names))
    builds = {(r[0], r[2]): r for r in rows if r[1].startswith("corpus")}
    naive_rate = {r[0]: r[6] for r in rows if r[1] == "naive yardstick"}
    for scale in {r[0] for r in rows}:
        one, two = builds.get((scale, 1)), builds.get((scale, 2))
        if one and two:
            cores = os.cpu_count() or 1
            print(f"{scale}: 2 workers are {one[5] / two[5]:.2f}x faster than 1 (target >= 1.8x); with {cores} cores "
                  f"their {two[8]:.1f} CPU s allow at most {one[5] * cores / two[8]:.2f}x (one worker already kept "
                  f"{one[8] / one[5]:.2f} cores busy: the models are compressed on a thread)")
        if one:
            print(f"{scale}: one worker {one[6]:.3f} MB/s = {one[6] / naive_rate[scale]:.2f} of the naive yardstick's "
                  f"{naive_rate[scale]:.3f} MB/s (targets on x1: >= 2.5 MB/s per core, >= 0.15 of the yardstick)")
    peaks = {scale: max(r[7] for r in builds.values() if r[0] == scale) for scale in {r[0] for r in builds.values()}}
    if len(peaks) > 1:
        low, high = min(peaks.values()), max(peaks.values())
        print(f"peak PSS {', '.join(f'{k} {v / 1e6:.0f} MB' for k, v in sorted(peaks.items()))}: the largest is "
              f"{high / low:.2f}x the smallest (target <= 1.25x, and <= 1500 MB)")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--naive":
        naive(sys.argv[2], sys.argv[3])
    else:
        main()
