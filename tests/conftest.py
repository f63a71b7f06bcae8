"""Shared pytest fixtures: where the external benchmark data lives, and service availability.

Tests that read ``../shared/data`` or need PostgreSQL must run in CI (``CI=true``); outside CI
they skip with a reason when the data or server is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
