"""Shared pytest fixtures: where the external benchmark data lives, and service availability.

Tests that read ``../shared/data`` or need PostgreSQL must run in CI (``CI=true``); outside CI
they skip with a reason when the data or server is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from data_access.clock import use_warehouse_time

use_warehouse_time()  # the tests read the clock as the product does, and the servers and browsers they start inherit it

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("BIANJIAN_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_or_skip(available: bool, reason: str) -> None:
    """Skip outside CI when something external is missing; fail inside CI, where it must exist."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"required in CI but missing: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``../shared/data`` (the external benchmark data sets)."""
    require_or_skip(SHARED_DATA.is_dir(), f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


DEMO_SCALE = 0.01
DEMO_SEED = 7
DEMO_END = "2026-06-30"


@pytest.fixture(scope="session")
def demo_db_path(tmp_path_factory) -> Path:
    """A small demo warehouse (SQLite file) built once per test session. Treat it as read-only;
    tests that write copy it with ``demo_engine_copy``."""
    import datetime as dt

    from data_access import warehouse
    from data_access.db import make_engine
    from demo.load import load_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    engine = make_engine(f"sqlite:///{path}")
    warehouse.init(engine)
    load_demo(engine, scale=DEMO_SCALE, seed=DEMO_SEED, end=dt.date.fromisoformat(DEMO_END))
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def demo_engine(demo_db_path):
    """Engine on the shared read-only demo warehouse."""
    from data_access.db import make_engine

    engine = make_engine(f"sqlite:///{demo_db_path}")
    yield engine
    engine.dispose()


@pytest.fixture
def demo_engine_copy(demo_db_path, tmp_path):
    """Engine on a private copy of the demo warehouse, for tests that write."""
    import shutil

    from data_access.db import make_engine

    path = tmp_path / "demo_copy.db"
    shutil.copy(demo_db_path, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()
