"""Every module of the product imports, in a fresh interpreter: no module is left that only a missing test would
have found broken (the minimum-versions run, scripts/min_versions.sh, relies on this sweep to cover the modules
its test subset does not reach).

The sweep runs in a subprocess on a throw-away warehouse and var dir, because importing ``ops.wsgi`` builds the
app (gunicorn's entry point) and ``pages.*`` register with the app that exists."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
# What the wheel ships: the single-file modules, then the packages (pyproject.toml is the one list).
PACKAGES = (*_SETUPTOOLS["py-modules"], *(p.rstrip("*") for p in _SETUPTOOLS["packages"]["find"]["include"]))
NOT_SHIPPED = {"tests", "bench", "notebooks", "scripts", "var"}

SWEEP = f"""
import importlib, pkgutil, sys
from app import create_app
create_app()  # pages register with the app that exists
names, failed = [], []
for top in {PACKAGES!r}:
    module = importlib.import_module(top)
    names.append(top)
    for info in pkgutil.walk_packages(getattr(module, "__path__", []), top + "."):
        try:
            importlib.import_module(info.name)
            names.append(info.name)
        except Exception as exc:
            failed.append(f"{{info.name}}: {{exc!r}}")
print(len(names))
print(*failed, sep="\\n", file=sys.stderr)
sys.exit(1 if failed else 0)
"""


def test_every_module_imports(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BIANJIAN_VAR_DIR": str(tmp_path),
           "BIANJIAN_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"}
    done = subprocess.run([sys.executable, "-c", SWEEP], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    assert int(done.stdout.split()[-1]) > 100


def test_every_package_of_the_tree_is_shipped():
    """A package missing from pyproject's include list would import from a checkout but not from the wheel."""
    in_tree = {p.parent.name for p in ROOT.glob("*/*.py")} - NOT_SHIPPED
    assert in_tree <= set(PACKAGES), sorted(in_tree - set(PACKAGES))
