"""The demo is deterministic for a seed over every table it writes (scripts/demo_fingerprint.py).

``bianjian demo`` runs twice in its own processes into fresh SQLite warehouses; the per-table fingerprints
(row count and a hash of the sorted rows) must agree. ``tests/test_warehouse.py`` compares four tables
in one process; this covers all of them, as ``scripts/demo_fingerprint.py --compare`` does across revisions.
"""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from scripts.demo_fingerprint import NOT_DEMO_DATA, build, differences, fingerprint
from tests.conftest import REPO_ROOT

SCALE, SEED, END = 0.002, 5, "2026-06-30"


@pytest.fixture(scope="module")
def first_build(tmp_path_factory):
    return build(REPO_ROOT, tmp_path_factory.mktemp("first"), scale=SCALE, seed=SEED, end=END)


def test_same_seed_same_rows_in_every_table(first_build, tmp_path):
    again = build(REPO_ROOT, tmp_path, scale=SCALE, seed=SEED, end=END)
    before, after = fingerprint(first_build), fingerprint(again)
    assert differences(before, after) == []
    with sqlite3.connect(first_build) as conn:
        written = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert written - set(before) <= NOT_DEMO_DATA | {"sqlite_sequence"}
    for table in ("fact_hotline_ticket", "fact_hotline_event", "dim_subject", "truth_planted_event",
                  "derived_risk_lead", "app_load_batch"):
        assert before[table]["rows"] > 0, table


def test_the_fingerprint_sees_one_changed_value(first_build, tmp_path):
    """Guard against a vacuous comparison: one title changed in a copy changes that table's fingerprint only."""
    copy = tmp_path / "copy.db"
    shutil.copy(first_build, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE fact_hotline_ticket SET title = title || '。' "
                     "WHERE ticket_id = (SELECT MIN(ticket_id) FROM fact_hotline_ticket)")
    assert differences(fingerprint(first_build), fingerprint(copy)) == ["fact_hotline_ticket"]
