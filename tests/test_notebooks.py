"""The notebooks in examples/ (issue 11, point 4): committed without outputs, each executed here, cell by cell.

Each notebook runs in a fresh Jupyter kernel (nbclient, the engine nbmake uses) started from this
interpreter, in a scratch working directory, with this checkout's package first on PYTHONPATH. A cell that
raises fails the test with the cell's source and the error. `pytest --nbmake examples/` runs them too;
this file makes the normal test command (and xdist) include them.
"""

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
TIMEOUT = 300  # seconds per cell
# notebooks that need a module landing with another branch (the grader, helper h16): skipped with that
# reason until the module is in this checkout, then they run (delete the entry then)
NEEDS = {"05-check-your-engine.ipynb": "src/micrograd/gradcheck.py"}


def _name(path):
    return path.name


# ---------------------------------------------------------------------- as committed (fast)


def test_there_are_the_notebooks_the_tutorial_links():
    names = [p.name for p in NOTEBOOKS]
    for stem in ("01-first-value", "02-train-seed", "03-your-own-csv", "04-tensor-engine", "05-check-your-engine"):
        assert f"{stem}.ipynb" in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_name)
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None, f"{path.name} cell {i} has outputs"


# ---------------------------------------------------------------------- executed


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_name)
def test_the_notebook_runs(path, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="the test extra has nbformat (pip install -e '.[test]')")
    nbclient = pytest.importorskip("nbclient", reason="the test extra has nbclient (pip install -e '.[test]')")
    pytest.importorskip("ipykernel", reason="the test extra has ipykernel (pip install -e '.[test]')")
    needs = NEEDS.get(path.name)
    if needs and not (ROOT / needs).exists():
        pytest.skip(f"{path.name} needs {needs} (micrograd.gradcheck and `micrograd check`, helper h16's branch)")
    # the kernel inherits this environment: this checkout's package, matplotlib's inline backend (not Agg)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(str(path), as_version=4)
    client = nbclient.NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # a failing cell raises CellExecutionError, naming the cell and the error
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert outputs, f"{path.name} shows nothing"
    assert not any(o.get("output_type") == "error" for o in outputs)
    assert sorted(p.name for p in tmp_path.iterdir()) == [], f"{path.name} left files in its working directory"
