"""The Alembic migrations form one linear history (a single head) and create exactly the schema the ORM
declares — every table, column, type, index and constraint — on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from data_access import migrate
from data_access.db import make_engine
from data_access.schema import Base
from tests.db_fixtures import postgres_database, sqlite_engine


def _differences(engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)


def test_the_history_has_one_head():
    heads = migrate.script_heads()
    assert len(heads) == 1, (
        f"Alembic history branched into heads {sorted(heads)}: set the new migration's down_revision to "
        "the previous head (or add a merge revision) so upgrades run in one order")


def test_a_warehouse_of_the_branched_history_upgrades_to_the_head(tmp_path):
    """Warehouses created before the merge (every feature branch applied) move to the single head."""
    engine = sqlite_engine(tmp_path / "m.db")
    for old_head in ("0002", "0003", "0004", "0006", "0007", "0009", "0010"):
        migrate.upgrade(engine, old_head)
    assert migrate.missing_revisions(engine)[0] == "0011"  # the merge first, then every later revision
    migrate.upgrade(engine)
    assert migrate.missing_revisions(engine) == []
    assert _differences(engine) == []
    engine.dispose()


def test_sqlite_migrations_match_the_models(tmp_path):
    engine = sqlite_engine(tmp_path / "m.db")
    migrate.upgrade(engine)
    assert _differences(engine) == []
    engine.dispose()


@pytest.mark.postgres
def test_postgres_migrations_match_the_models():
    with postgres_database() as url:
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            assert _differences(engine) == []
        finally:
            engine.dispose()


@pytest.mark.parametrize("statement", ["DROP TABLE derived_model_backtest", "DROP INDEX ix_derived_risk_lead_status"])
def test_the_comparison_reports_a_drift(tmp_path, statement):
    """Guard against a vacuous test: a missing table or index is reported."""
    engine = sqlite_engine(tmp_path / "m.db")
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(statement)
    assert _differences(engine)
    engine.dispose()
