"""The same ingestion on PostgreSQL (COPY path, ANY() lookups): every source loads, re-imports unchanged,
newer versions update with history, bad rows are quarantined, and the quality queries run."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access import quality, warehouse
from data_access.db import make_engine
from data_access.ingest import ingest_file
from data_access.ingest.load import _canon
from data_access.ingest.sources import SOURCES
from data_access.schema import Base, HotlineEvent, HotlineTicket, IngestHistory, IngestQuarantine
from data_access.scope import SYSTEM
from tests.db_fixtures import initialised_warehouse, postgres_database
from tests.test_ingest_files import HOTLINE_HEADER, ORDER, _kind, _ticket, _write_csv, samples  # noqa: F401

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_engine():
    with postgres_database() as url:
        engine = make_engine(url)
        warehouse.init(engine)
        yield engine
        engine.dispose()


def test_every_source_loads_and_reimports_unchanged(pg_engine, samples):  # noqa: F811
    for fmt in (".csv", ".jsonl"):
        for name in ORDER:
            result = ingest_file(pg_engine, _kind(name), samples / f"{name}{fmt}")
            assert result.quarantined == 0, (name, result)
            if fmt == ".csv":
                assert result.inserted == result.received > 0, (name, result)
            else:
                assert result.unchanged == result.received, (name, result)


def test_newer_version_and_quarantine(pg_engine, tmp_path):
    path = _write_csv(tmp_path / "a.csv", HOTLINE_HEADER, [_ticket("PG1"), _ticket("PGBAD", 诉求类型="吐槽")])
    first = ingest_file(pg_engine, "hotline", path)
    assert (first.inserted, first.quarantined) == (1, 1)
    newer = _write_csv(tmp_path / "b.csv", HOTLINE_HEADER, [_ticket("PG1", "已办结", "2025-01-09 16:00:00")])
    assert ingest_file(pg_engine, "hotline", newer).updated == 1
    assert ingest_file(pg_engine, "hotline", newer).unchanged == 1
    with Session(pg_engine) as session:
        assert session.scalar(select(HotlineTicket.status).where(HotlineTicket.order_no == "PG1")) == "已办结"
        assert session.scalar(select(func.count()).select_from(IngestHistory)) == 1
        assert session.scalar(select(func.count()).select_from(HotlineEvent)
                              .where(HotlineEvent.note.like("状态变更%"))) == 1
        assert "不在代码表中" in session.scalar(select(IngestQuarantine.reasons))
        fresh = quality.source_freshness(session, dt.datetime.now())
        assert {"hotline", "catalog"} <= set(fresh["source_kind"])
        assert quality.silent_sources(session, dt.datetime.now() + dt.timedelta(days=30)).shape[0] == len(fresh)
        assert len(quality.reporting_timeliness(session, SYSTEM, dt.date(2000, 1, 1), dt.date(2100, 1, 1)))


def test_postgres_stores_every_value_as_sqlite_does(samples, tmp_path):  # noqa: F811
    """Binary COPY (and its CSV fallback for NUMERIC) writes each sample file's values exactly as SQLite's
    executemany does: the same rows, column by column, for every source."""
    stored = {}
    for backend in ("sqlite", "postgresql"):
        with initialised_warehouse(backend, tmp_path) as engine:
            for name in ORDER:
                ingest_file(engine, _kind(name), samples / f"{name}.csv")
            stored[backend] = {name: _table_values(engine, name) for name in ORDER}
    for name in ORDER:
        assert len(stored["sqlite"][name]) > 0, name
        assert stored["postgresql"][name] == stored["sqlite"][name], name


def _table_values(engine, name: str) -> list[tuple]:
    """The canonical spelling of every stored value of a source's table, surrogate keys and lineage left out."""
    source = next(s for s in SOURCES if s.name == name)
    table = Base.metadata.tables[source.table]
    columns = [c for c in table.c if not (c.primary_key and c.name != source.key)
               and c.name not in ("load_batch", "loaded_at")]
    with engine.connect() as conn:
        rows = conn.execute(select(*columns)).all()
    return sorted(tuple(_canon(v) for v in row) for row in rows)
