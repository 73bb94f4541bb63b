"""`corpus show` on a real build: plain text when piped, edits coloured by kind on a terminal, clear errors."""

import os
import pty
import re
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from corpus.views.diffs import KIND_COLOURS

CLI = [sys.executable, "-m", "corpus.cli"]
ENV = {**os.environ, "PYTHONPATH": os.getcwd()}
SGR = re.compile(r"\x1b\[([\d;]*)m")
ANSI_FG = {"yellow": "33", "red": "31", "magenta": "35", "cyan": "36", "blue": "34", "green": "32"}


def show(*args):
    return subprocess.run([*CLI, "show", *map(str, args)], capture_output=True, text=True, env=ENV)


def show_on_a_terminal(*args) -> str:
    """Run `corpus show` with its stdout on a pseudo-terminal, as a person would."""
    master, slave = pty.openpty()
    env = {k: v for k, v in ENV.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE")}
    proc = subprocess.Popen([*CLI, "show", *map(str, args)], stdout=slave, stderr=subprocess.PIPE,
                            env={**env, "TERM": "xterm-256color", "COLUMNS": "200"})
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.wait() == 0, proc.stderr.read()
    return out.decode("utf-8").replace("\r\n", "\n")


def styled_runs(line: str) -> list[tuple[set[str], str]]:
    """(active SGR codes, text) runs of one line of terminal output."""
    runs, codes, pos = [], set(), 0
    for m in SGR.finditer(line):
        if m.start() > pos:
            runs.append((set(codes), line[pos : m.start()]))
        params = m.group(1).split(";") if m.group(1) else ["0"]
        codes = set() if params == ["0"] else codes | set(params)
        pos = m.end()
    runs.append((set(codes), line[pos:]))
    return runs


@pytest.fixture(scope="module")
def spun_row(small_build):
    """A one-line test row with lexical and punctuation edits, read from the shard without our code."""
    rows = pq.read_table(small_build / "data" / "test-00000-of-00001.parquet").to_pylist()
    return next(r for r in rows if "\n" not in r["clean"] and "\n" not in r["noisy"]
                and {"lexical", "punct_space"} <= {e["kind"] for e in r["edits"]} and len(r["edits"]) <= 12)


def test_piped_output_is_plain_text_with_both_sides_exact(small_build, spun_row):
    result = show(small_build, "--id", spun_row["id"])
    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"── {spun_row['id']}  (default/test, synthetic, {len(spun_row['edits'])} edits)")
    assert f"clean: {spun_row['clean']}" in lines
    assert f"noisy: {spun_row['noisy']}" in lines
    for e in spun_row["edits"]:
        old = spun_row["clean"][e["clean_start"]:e["clean_end"]]
        if old.strip() and e["replacement"].strip():
            assert f"  · {e['kind']} ({e['rule']}): {old} → {e['replacement']}" in lines


def test_terminal_output_colours_each_edit_by_its_kind(small_build, spun_row):
    out = show_on_a_terminal(small_build, "--id", spun_row["id"])
    clean_line = next(x for x in out.splitlines() if SGR.sub("", x).startswith("clean: "))
    noisy_line = next(x for x in out.splitlines() if SGR.sub("", x).startswith("noisy: "))
    assert SGR.sub("", clean_line) == f"clean: {spun_row['clean']}"
    assert SGR.sub("", noisy_line).replace("␣", " ") == f"noisy: {spun_row['noisy']}"  # spaces made visible
    clean_runs, noisy_runs = styled_runs(clean_line), styled_runs(noisy_line)
    for e in spun_row["edits"]:
        colour = ANSI_FG[KIND_COLOURS[e["kind"]]]
        old = spun_row["clean"][e["clean_start"]:e["clean_end"]]
        if old:  # struck out in the kind's colour
            assert any(codes >= {"9", colour} and text == old for codes, text in clean_runs), (e, clean_runs)
        shown = e["replacement"] if e["replacement"].strip() else e["replacement"].replace(" ", "␣")
        if shown:  # bold in the kind's colour
            assert any(codes >= {"1", colour} and text == shown for codes, text in noisy_runs), (e, noisy_runs)
    first = min(e["noisy_start"] for e in spun_row["edits"])
    if first:  # the untouched text before the first edit is plain
        assert any(not codes and text.startswith(spun_row["noisy"][:first]) for codes, text in noisy_runs)


def test_filters_choose_the_same_rows_every_time(small_build):
    first = show(small_build, "--split", "validation", "--n", "4")
    assert first.returncode == 0, first.stderr
    headers = [line for line in first.stdout.splitlines() if line.startswith("── ")]
    assert len(headers) == 4 and all("(default/validation, synthetic," in h for h in headers)
    assert show(small_build, "--split", "validation", "--n", "4").stdout == first.stdout
    real = show(small_build, "--origin", "real", "--n", "50")
    headers = [line for line in real.stdout.splitlines() if line.startswith("── ")]
    real_rows = pq.read_table(small_build / "real" / "test-00000-of-00001.parquet").num_rows
    assert len(headers) == real_rows and all("(real/test, real," in h for h in headers)


@pytest.mark.parametrize("args, code, message", [
    (["{tmp}/nothing"], 2, "is not a folder"),
    (["{tmp}"], 2, "is not a built dataset: no build.json"),
    (["{dist}", "--split", "dev"], 2, "no split 'dev'"),
    (["{dist}", "--origin", "spun"], 2, "unknown origin 'spun'"),
    (["{dist}", "--id", "wiki/none/0/0"], 1, "matches id 'wiki/none/0/0'"),
])
def test_errors_are_one_line_with_an_exit_code(small_build, tmp_path, args, code, message):
    result = show(*(a.format(tmp=tmp_path, dist=small_build) for a in args))
    assert result.returncode == code
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr and result.stdout == ""
