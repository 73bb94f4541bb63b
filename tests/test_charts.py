"""The card's charts: written by the build, linked from the card, drawn from build.json alone, same bytes every time."""

import json
import os
import re
import subprocess
import sys

from matplotlib import font_manager
from matplotlib.ft2font import FT2Font
from PIL import Image

from corpus.dataset.charts import STYLE, chart_pngs, write_charts

VIETNAMESE = "ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđĐƯưƠơ"


def test_build_writes_charts_the_card_links_relatively(small_build):
    card = (small_build / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]+\]\(([^)]+)\)", card)
    assert sorted(links) == ["charts/accounting.png", "charts/baselines.png", "charts/calibration.png",
                             "charts/noise.png"]
    for link in links:
        image = Image.open(small_build / link)
        image.load()
        assert image.format == "PNG" and image.size[0] >= 500
        assert len(image.convert("RGB").getcolors(1 << 24)) > 50  # bars, text and anti-aliasing, not a blank


def test_charts_are_drawn_from_build_json_alone(small_build):
    manifest = json.loads((small_build / "build.json").read_text(encoding="utf-8"))
    files = {p.stem: p.read_bytes() for p in (small_build / "charts").glob("*.png")}
    assert chart_pngs(manifest) == files


def test_chart_bytes_are_the_same_in_a_fresh_process(small_build, tmp_path):
    """Builds are compared byte for byte, so a PNG may hold no timestamp, version or process-dependent state."""
    manifest = json.loads((small_build / "build.json").read_text(encoding="utf-8"))
    first = write_charts(tmp_path, manifest)
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    code = ("import json, pathlib, sys; from corpus.dataset.charts import write_charts; "
            "d = pathlib.Path(sys.argv[1]); write_charts(d / 'other', json.loads((d / 'manifest.json').read_text()))")
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True,
                   env={**os.environ, "PYTHONPATH": os.getcwd(), "PYTHONHASHSEED": "7"})
    for name, link in first.items():
        data = (tmp_path / link).read_bytes()
        assert data == (other / link).read_bytes(), name
        assert b"Software" not in data and b"matplotlib" not in data  # no tEXt chunk naming the version


def test_chart_font_has_the_vietnamese_letters():
    path = font_manager.findfont(font_manager.FontProperties(family=STYLE["font.family"]), fallback_to_default=False)
    assert path.endswith("DejaVuSans.ttf")
    charmap = FT2Font(path).get_charmap()
    assert [c for c in VIETNAMESE if ord(c) not in charmap] == []
