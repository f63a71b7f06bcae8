"""notebooks/risk_leads.ipynb runs top to bottom (nbclient, real kernel) on a copy of the session's demo
warehouse, and shows leads, evidence and the planted backtest."""

from __future__ import annotations

import os
import shutil

import nbformat
from nbclient import NotebookClient

from tests.conftest import REPO_ROOT

NOTEBOOK = REPO_ROOT / "notebooks" / "risk_leads.ipynb"


def test_risk_leads_notebook_executes(demo_db_path, tmp_path, monkeypatch):
    copy = tmp_path / "w.db"
    shutil.copy(demo_db_path, copy)
    monkeypatch.setenv("BIANJIAN_DATABASE_URL", f"sqlite:///{copy}")
    monkeypatch.setenv("BIANJIAN_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    errors = [o for o in outputs if o.output_type == "error"]
    assert not errors, errors[0].get("evalue") if errors else None
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "leads" in text and "recall" in text and "spike_leads" in text
