"""`corpus report`: one self-contained page with the charts, the accounting and 50 escaped coloured diffs,
rendered for real in headless Chromium."""

import base64
import json
import os
import random
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import pyarrow.parquet as pq
import pytest
from PIL import Image

from corpus.views.diffs import HTML_COLOURS, pair_html
from corpus.spin.edits import as_dict
from corpus.spin.noise import NoiseSettings, spin

CLI = [sys.executable, "-m", "corpus.cli"]
ENV = {**os.environ, "PYTHONPATH": os.getcwd()}


class Page(HTMLParser):
    """Sections, images, links, pairs (text of their meta / clean / noisy parts) and table cells of a page."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.ids, self.images, self.tags, self.pairs, self.cells = [], [], [], [], []
        self._open: list[tuple[str, str]] = []  # (tag, class) stack
        self._part: str | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "img":
            self.images.append(attrs)
        cls = attrs.get("class", "")
        if "despin-pair" in cls.split():
            self.pairs.append({"meta": "", "clean": "", "noisy": ""})
        for part in ("meta", "clean", "noisy"):
            if part in cls.split() and self.pairs:
                self._part = part
        if tag == "td":
            self.cells.append("")
        if tag not in ("img", "meta", "br"):
            self._open.append((tag, cls))

    def handle_endtag(self, tag):
        if self._open:
            _, cls = self._open.pop()
            if set(cls.split()) & {"meta", "clean", "noisy"}:
                self._part = None

    def handle_data(self, data):
        if self._part:
            self.pairs[-1][self._part] += data
        if any(tag == "td" for tag, _ in self._open):
            self.cells[-1] += data


@pytest.fixture(scope="module")
def report(small_build, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = subprocess.run([*CLI, "report", str(small_build), "-o", str(out)], capture_output=True, text=True,
                            env=ENV)
    assert result.returncode == 0, result.stderr
    return out


def rows_by_id(folder) -> dict:
    rows = {}
    for shard in [*folder.glob("data/*.parquet"), *folder.glob("real/*.parquet")]:
        rows.update({r["id"]: r for r in pq.read_table(shard).to_pylist()})
    return rows


def test_report_has_the_sections_charts_and_accounting(report, small_build):
    page = Page(report.read_text(encoding="utf-8"))
    manifest = json.loads((small_build / "build.json").read_text(encoding="utf-8"))
    assert {"figures", "accounting", "samples", "inputs", "paragraphs", "rows"} <= set(page.ids)
    charts = {p.stem: p.read_bytes() for p in (small_build / "charts").glob("*.png")}
    assert len(page.images) == len(charts) == 4
    embedded = [base64.b64decode(img["src"].removeprefix("data:image/png;base64,")) for img in page.images]
    assert sorted(embedded) == sorted(charts.values())
    # self-contained: nothing to fetch
    assert not [t for t, a in page.tags if t in ("link", "script", "iframe")]
    assert not [a for _, a in page.tags if any(str(v).startswith(("http:", "https:", "//"))
                                               for k, v in a.items() if k in ("src", "href"))]
    cells = page.cells
    for reason, n in manifest["counts"]["paragraphs"]["dropped"].items():
        assert cells[cells.index(f"dropped: {reason}") + 1] == f"{n:,}"
    for i in manifest["inputs"]:
        assert i["name"] in cells
    assert cells[cells.index("read from the inputs") + 1] == f"{manifest['counts']['paragraphs']['input']:,}"


def test_report_shows_50_pairs_with_their_exact_text(report, small_build):
    page = Page(report.read_text(encoding="utf-8"))
    assert len(page.pairs) == 50
    rows = rows_by_id(small_build)
    ids = [p["meta"].split(" · ")[0] for p in page.pairs]
    assert len(set(ids)) == 50 and set(ids) <= set(rows)
    for pair, row_id in zip(page.pairs, ids):
        row = rows[row_id]
        if "\n" not in row["clean"]:  # a glued paragraph's line break is shown as ⏎
            assert pair["clean"] == "clean" + row["clean"]
            # markers: ␣ an inserted space, ∅ where clean text was deleted
            assert pair["noisy"].replace("␣", " ").replace("∅", "") == "noisy" + row["noisy"]


def test_pair_html_escapes_whatever_the_text_holds():
    clean = 'Các cơ quan phải thực hiện Nghị quyết 15-NQ/TW <script>alert("x")</script> & “giải pháp” <b>.'
    noisy, edits = spin(clean, random.Random(0), NoiseSettings())
    assert noisy != clean
    block = pair_html({"id": "x<y>", "clean": clean, "noisy": noisy, "edits": [as_dict(e) for e in edits]})
    page = Page(block)
    assert [t for t, _ in page.tags if t in ("script", "b")] == []
    assert page.pairs[0]["clean"] == "clean" + clean
    assert page.pairs[0]["noisy"].replace("␣", " ").replace("∅", "") == "noisy" + noisy
    assert page.pairs[0]["meta"].startswith("x<y> · ")


def test_report_of_a_folder_that_is_not_a_build_is_one_line_exit_2(tmp_path):
    result = subprocess.run([*CLI, "report", str(tmp_path), "-o", str(tmp_path / "r.html")], capture_output=True,
                            text=True, env=ENV)
    assert result.returncode == 2 and "is not a built dataset" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "r.html").exists()


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


def headless(*args, tmp_path) -> subprocess.CompletedProcess:
    """Chromium as root needs --no-sandbox; a throwaway profile keeps the user's own untouched."""
    return subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           f"--user-data-dir={tmp_path / 'profile'}", *args], capture_output=True, text=True,
                          timeout=120)


def near(pixels: set, colour: str, tolerance: int = 8) -> bool:
    target = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return any(all(abs(a - b) <= tolerance for a, b in zip(p, target)) for p in pixels)


def test_chromium_renders_the_page_with_charts_and_coloured_diffs(report, tmp_path):
    shot = tmp_path / "report.png"
    headless(f"--screenshot={shot}", "--window-size=1200,6000", report.as_uri(), tmp_path=tmp_path)
    image = Image.open(shot).convert("RGB")
    assert image.size == (1200, 6000)
    colours = image.getcolors(1 << 24)
    assert len(colours) > 500  # text, charts and highlights, not a blank page
    non_white = sum(n for n, c in colours if c != (255, 255, 255))
    assert non_white > 0.1 * 1200 * 6000
    pixels = {c for _, c in colours}
    assert near(pixels, "#4c72b0")  # the charts' bars: the data: URI images were decoded and drawn
    assert near(pixels, HTML_COLOURS["lexical"])  # the lexical highlights: the inline CSS applied

    dom = headless("--dump-dom", report.as_uri(), tmp_path=tmp_path).stdout
    rendered = Page(dom)
    assert {"figures", "accounting", "samples"} <= set(rendered.ids) and len(rendered.pairs) == 50


def test_a_build_without_charts_gets_them_drawn_from_its_manifest(small_build, tmp_path):
    from corpus.views.report import render_report

    old = tmp_path / "old"
    shutil.copytree(small_build, old)
    shutil.rmtree(old / "charts")  # as built before charts existed
    page = Page(render_report(old, samples=3))
    embedded = sorted(base64.b64decode(img["src"].removeprefix("data:image/png;base64,")) for img in page.images)
    assert embedded == sorted(p.read_bytes() for p in (small_build / "charts").glob("*.png"))
    assert len(page.pairs) == 3 and not (old / "charts").exists()  # a report never writes into the build
