"""notebooks/rankings.ipynb runs top to bottom (nbclient, real kernel) on a copy of the session's demo
warehouse passed through BIANJIAN_DATABASE_URL; without it the notebook builds its own demo warehouse."""

from __future__ import annotations

import os
import shutil

import nbformat
from nbclient import NotebookClient

from tests.conftest import REPO_ROOT

NOTEBOOK = REPO_ROOT / "notebooks" / "rankings.ipynb"


def test_rankings_notebook_executes(demo_db_path, tmp_path, monkeypatch):
    copy = tmp_path / "w.db"
    shutil.copy(demo_db_path, copy)
    monkeypatch.setenv("BIANJIAN_DATABASE_URL", f"sqlite:///{copy}")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "rows;" in text and "unit_name" in text and "w.db" in text
