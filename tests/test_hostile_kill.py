"""Killing only the driver of a build: its pool workers end with it, quietly (no BrokenPipe tracebacks), and the
next build of the same version completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (from /proc: no psutil needed)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_workers_end_with_a_killed_driver(small_recipe, tmp_path):
    log = (tmp_path / "stderr.txt").open("w")
    driver = subprocess.Popen([sys.executable, "-m", "corpus.cli", "build", str(small_recipe), "--out",
                               str(tmp_path / "dist"), "--workers", "2", "--quiet"], stderr=log,
                              stdout=subprocess.DEVNULL, start_new_session=True)
    workers: list[int] = []
    deadline = time.time() + 120
    while not workers and driver.poll() is None and time.time() < deadline:
        workers = children(driver.pid)
        time.sleep(0.02)
    assert workers, "the build finished before any pool worker was seen"
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    deadline = time.time() + 20
    while any(alive(w) for w in workers) and time.time() < deadline:
        time.sleep(0.1)
    log.close()
    assert not any(alive(w) for w in workers)
    stderr = (tmp_path / "stderr.txt").read_text(encoding="utf-8")
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr[-2000:]
    again = subprocess.run([sys.executable, "-m", "corpus.cli", "build", str(small_recipe), "--out",
                            str(tmp_path / "dist"), "--quiet"], capture_output=True, text=True, timeout=600)
    assert again.returncode in (0, 1), again.stderr[-2000:]
    assert (Path(again.stdout.strip().splitlines()[-1]) / "build.json").is_file()
