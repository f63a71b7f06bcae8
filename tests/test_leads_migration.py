"""Migration 0006 creates exactly the risk-lead tables the ORM declares, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from data_access import migrate
from data_access.db import make_engine
from data_access.schema import Base
from tests.db_fixtures import postgres_database, sqlite_engine

TABLES = {"derived_model_backtest"}


def _diffs_for_our_tables(engine) -> list:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, Base.metadata)
    return [d for d in _flatten(diffs) if _table_of(d) in TABLES]


def _flatten(diffs):
    for d in diffs:
        if isinstance(d, list):
            yield from d
        else:
            yield d


def _table_of(diff) -> str | None:
    for part in diff[1:]:
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            return table.name
        if name in TABLES:
            return name
        if isinstance(part, str) and part in TABLES:
            return part
    return None


def test_sqlite_migration_matches_models(tmp_path):
    engine = sqlite_engine(tmp_path / "m.db")
    migrate.upgrade(engine)
    assert TABLES <= migrate.current_tables(engine)
    assert _diffs_for_our_tables(engine) == []
    engine.dispose()


@pytest.mark.postgres
def test_postgres_migration_matches_models():
    with postgres_database() as url:
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            assert TABLES <= migrate.current_tables(engine)
            assert _diffs_for_our_tables(engine) == []
        finally:
            engine.dispose()


def test_the_comparison_can_fail(tmp_path):
    """Guard against a vacuous test: a missing table is reported."""
    engine = sqlite_engine(tmp_path / "m.db")
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE derived_model_backtest")
    assert _diffs_for_our_tables(engine)
    engine.dispose()
