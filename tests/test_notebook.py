"""examples/quickstart.ipynb runs headless against a small build, so the notebook cannot rot unnoticed."""

import json

import nbformat
from nbclient import NotebookClient

from tests.conftest import ROOT

NOTEBOOK = ROOT / "examples" / "quickstart.ipynb"


def test_quickstart_notebook_runs_and_agrees_with_the_build(small_build, tmp_path, monkeypatch):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not [c for c in nb.cells if c.cell_type == "code" and (c.outputs or c.execution_count)]  # committed clean
    monkeypatch.setenv("QUICKSTART_DIST", str(small_build))  # the parameter cell reads it
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb.cells.append(nbformat.v4.new_code_cell("import json; print(json.dumps(scores))"))
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()  # raises on a cell error

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert len([o for o in outputs if "image/png" in o.get("data", {})]) >= 3  # statistics, substitutions, baselines
    html = "".join(o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {}))
    assert html.count('class="despin-pair"') >= 4 + 2  # train examples and real pairs
    manifest = json.loads((small_build / "build.json").read_text(encoding="utf-8"))
    scores = json.loads(nb.cells[-1].outputs[0]["text"])
    assert set(manifest["results"]) == {"synthetic test", "real test", "held-out half"}
    printed = "".join(o.get("text", "") for o in outputs)
    assert "held-out half / lexicon, other half" in printed  # the out-of-sample figures beside the in-sample
    for name, result in manifest["results"].items():
        if name == "held-out half":
            continue  # the notebook prints it from build.json
        # the notebook scores whole splits; the build scores a sample only of splits above 2,000 rows
        assert scores[f"{name} / identity"]["rows"] == result["identity"]["rows"]
        for system in ("identity", "lexicon"):
            for key in ("exact_match", "cer", "wer", "chrf", "edit_f05", "error_reduction", "harm"):
                assert scores[f"{name} / {system}"][key] == result[system][key], (name, system, key)
