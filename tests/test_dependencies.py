"""pyproject.toml's dependency lists say what the code uses: every third-party module the product imports comes
from a run-time dependency (not only from the test extra, which a production install lacks), every run-time
dependency is imported by the product, and every test dependency by the tests, the notebooks or a test command
— or it is listed below with the reason it is needed without an import. Imports are read from the source (AST,
function-local ones included), so a module no test executes counts too."""

from __future__ import annotations

import ast
import json
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from tests.conftest import REPO_ROOT
from tests.test_imports import PACKAGES

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
# Needed without being imported by name: the reason is the claim.
NOT_IMPORTED = {
    "mplfonts": "its Noto Sans CJK font files are read as package data (importlib.resources), never imported",
    "ipykernel": "the kernel nbclient starts to run the notebooks",
    "ruff": "run as a command by tests/test_lint.py",
}


def _name(requirement: str) -> str:
    """The normalised distribution name of a requirement string (PEP 503)."""
    return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", requirement).group()).lower()


def _top_level_imports(sources: list[str]) -> set[str]:
    found = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"__future__"}


def _distributions(modules: set[str]) -> dict[str, set[str]]:
    """Imported top-level module -> the installed distributions that provide it (own modules: none)."""
    providers = packages_distributions()
    return {m: {_name(d) for d in providers.get(m, [])} - {_name(PYPROJECT["name"])} for m in modules}


def _product_sources() -> list[str]:
    files = [REPO_ROOT / f"{name}.py" for name in PACKAGES if (REPO_ROOT / f"{name}.py").is_file()]
    for name in PACKAGES:
        if (REPO_ROOT / name).is_dir():
            files += sorted((REPO_ROOT / name).rglob("*.py"))
    return [f.read_text(encoding="utf-8") for f in files]


def _test_sources() -> list[str]:
    files = sorted((REPO_ROOT / "tests").rglob("*.py")) + sorted((REPO_ROOT / "bench").rglob("*.py"))
    sources = [f.read_text(encoding="utf-8") for f in files]
    for notebook in sorted((REPO_ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        sources += ["\n".join(line for line in "".join(c["source"]).splitlines() if not line.startswith(("%", "!")))
                    for c in cells if c["cell_type"] == "code"]
    return sources


RUNTIME = {_name(r) for r in PYPROJECT["dependencies"]}
TEST = {_name(r) for r in PYPROJECT["optional-dependencies"]["test"]}


def test_every_product_import_is_a_runtime_dependency():
    missing = {module: dists for module, dists in _distributions(_top_level_imports(_product_sources())).items()
               if dists and not dists & RUNTIME}
    assert not missing, f"imported by the product but not in [project] dependencies: {missing}"


def test_every_runtime_dependency_is_imported_by_the_product():
    provided = set().union(*_distributions(_top_level_imports(_product_sources())).values())
    unused = RUNTIME - provided - set(NOT_IMPORTED)
    assert not unused, f"run-time dependencies the product never imports (move or remove them): {sorted(unused)}"


def test_every_test_dependency_is_used_by_the_tests():
    provided = set().union(*_distributions(_top_level_imports(_test_sources())).values())
    unused = TEST - provided - set(NOT_IMPORTED)
    assert not unused, f"test dependencies no test, benchmark or notebook imports: {sorted(unused)}"


def test_the_reasons_still_hold():
    """An entry of NOT_IMPORTED names a declared dependency that really is not imported."""
    assert set(NOT_IMPORTED) <= RUNTIME | TEST
    imported = set().union(*_distributions(_top_level_imports(_product_sources() + _test_sources())).values())
    assert not set(NOT_IMPORTED) & imported
