"""The packages form layers and import only downward (docs/architecture.md).

Every import statement of the product's modules counts — module-level or inside a function — so a cycle cannot be
hidden behind a function-local import. Imports that still break the rule are listed in ``KNOWN_EXCEPTIONS`` with
the reason; the list may only shrink: a new upward import fails, and so does an entry that no longer occurs.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from tests.conftest import REPO_ROOT

# Bottom to top. A package may import packages of lower layers and, within its layer, none that imports it back.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("settings",),
    ("data_access",),
    ("security", "text_mining"),
    ("risk_models", "dispatch", "evaluation"),
    ("pipeline", "metrics", "demo"),
    ("ops", "api"),
    ("ui",),
    ("pages",),
    ("app", "bianjian_cli", "web"),
)
RANK = {package: i for i, layer in enumerate(LAYERS) for package in layer}
# Process entry points live in a low package's folder but stand at the top: they build the whole app.
ENTRY_POINTS = {"ops/wsgi.py": "app"}

KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {}  # none left (#24); a new entry needs its reason


def _product_modules() -> list[Path]:
    files = [REPO_ROOT / f"{name}.py" for name in ("app", "bianjian_cli", "settings")]
    for package in RANK:
        folder = REPO_ROOT / package
        if folder.is_dir():
            files += [p for p in folder.rglob("*.py") if "migrations" not in p.parts]
    return sorted(files)


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return {name for name in found if name.split(".")[0] in RANK}


@functools.cache  # the tree does not change during a run: parse it once for all the tests
def _edges() -> dict[tuple[str, str], tuple[str, str]]:
    """(file, imported module) -> (importing package, imported package), for imports across packages."""
    edges = {}
    for path in _product_modules():
        rel = path.relative_to(REPO_ROOT).as_posix()
        source = ENTRY_POINTS.get(rel, rel.split("/")[0].removesuffix(".py"))
        for module in _imports(path):
            target = module.split(".")[0]
            if target != source:
                edges[(rel, module)] = (source, target)
    return edges


def _violations() -> set[tuple[str, str]]:
    edges = _edges()
    package_edges = set(edges.values())
    bad = set()
    for key, (source, target) in edges.items():
        upward = RANK[target] > RANK[source]
        same_layer_cycle = RANK[target] == RANK[source] and (target, source) in package_edges
        if upward or same_layer_cycle:
            bad.add(key)
    return bad


NOT_PRODUCT = {"tests", "bench", "notebooks", "scripts"}  # they may import anything; nothing imports them


def test_every_package_is_in_a_layer():
    top_level = {p.name for p in REPO_ROOT.iterdir()
                 if p.is_dir() and any(p.glob("*.py")) and p.name not in NOT_PRODUCT}
    assert top_level <= set(RANK), f"declare these packages in LAYERS: {sorted(top_level - set(RANK))}"


def test_no_new_upward_import():
    new = sorted(_violations() - set(KNOWN_EXCEPTIONS))
    assert not new, "imports against the layers of docs/architecture.md: " + ", ".join(f"{f} -> {m}" for f, m in new)


def test_the_exception_list_only_shrinks():
    gone = sorted(set(KNOWN_EXCEPTIONS) - _violations())
    assert not gone, "no longer needed, remove from KNOWN_EXCEPTIONS: " + ", ".join(f"{f} -> {m}" for f, m in gone)


def test_the_check_sees_function_local_imports(tmp_path):
    """Guard against a vacuous test: an import inside a function body is found."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from pages import home\n    return home\n", encoding="utf-8")
    assert _imports(module) == {"pages"}


def test_every_package_is_installed():
    """A package missing from pyproject's list works in the editable checkout and vanishes from a real install."""
    import fnmatch
    import tomllib

    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["packages"]["find"]["include"]
    modules = set(config["tool"]["setuptools"]["py-modules"])
    for name in RANK:
        if (REPO_ROOT / name).is_dir():
            assert any(fnmatch.fnmatch(name, p) for p in patterns), f"add {name}* to pyproject's packages.find"
        else:
            assert name in modules, f"add {name} to pyproject's py-modules"


def _module_exists(name: str) -> bool:
    path = REPO_ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file() or (
        path.is_dir() and any(path.glob("*.py")))


def _notebook_imports(path: Path) -> set[str]:
    """The product modules a notebook's code cells import (lines of IPython magic left out)."""
    import json

    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
    found = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return {name for name in found if name.split(".")[0] in RANK}


def test_every_import_of_a_product_module_names_one_that_exists():
    """A moved module leaves no import behind anywhere (product, tests, bench, scripts, notebooks): a stale
    import inside a function or a rarely taken branch would otherwise fail only when that code runs."""
    files = _product_modules()
    for folder in sorted(NOT_PRODUCT):
        files += sorted((REPO_ROOT / folder).rglob("*.py"))
    stale = sorted(f"{p.relative_to(REPO_ROOT)}: {m}" for p in files for m in _imports(p) if not _module_exists(m))
    stale += sorted(f"{p.relative_to(REPO_ROOT)}: {m}" for p in (REPO_ROOT / "notebooks").glob("*.ipynb")
                    for m in _notebook_imports(p) if not _module_exists(m))
    assert not stale, "imports of modules that do not exist: " + ", ".join(stale)


def test_the_stale_import_check_can_fail():
    assert _module_exists("demo.complaint_text") and _module_exists("data_access") and _module_exists("settings")
    assert not _module_exists("data_access.demo")
