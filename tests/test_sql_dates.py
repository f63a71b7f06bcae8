"""Calendar parts in SQL read the same ISO text on SQLite and PostgreSQL, whatever the server's DateStyle."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Column, Date, DateTime, Integer, MetaData, Table, func, insert, select, text

from data_access.db import make_engine
from data_access.sql_dates import day_of, month_of, year_of
from tests.db_fixtures import postgres_database

ROWS = [
    {"id": 1, "day": dt.date(2026, 1, 31), "at": dt.datetime(2025, 12, 31, 23, 59, 59, 500_000)},
    {"id": 2, "day": dt.date(2026, 1, 1), "at": dt.datetime(2026, 1, 1, 0, 0)},
    {"id": 3, "day": dt.date(2026, 11, 5), "at": dt.datetime(2026, 11, 5, 8, 30)},
]


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'dates.db'}")
        yield engine
        engine.dispose()
        return
    with postgres_database() as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def _table(engine):
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("day", Date),
                  Column("at", DateTime))
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(table), ROWS)
    return table


def test_parts_of_dates_and_times_are_iso_text(engine):
    t = _table(engine)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET DateStyle = 'SQL, DMY'"))  # a cast to text would read 31/01/2026
        rows = conn.execute(select(year_of(t.c.day), month_of(t.c.day), day_of(t.c.day),
                                   year_of(t.c.at), month_of(t.c.at), day_of(t.c.at)).order_by(t.c.id)).all()
    assert [tuple(r) for r in rows] == [
        ("2026", "2026-01", "2026-01-31", "2025", "2025-12", "2025-12-31"),
        ("2026", "2026-01", "2026-01-01", "2026", "2026-01", "2026-01-01"),
        ("2026", "2026-11", "2026-11-05", "2026", "2026-11", "2026-11-05"),
    ]


def test_a_part_groups_rows_when_selected_and_grouped_by(engine):
    t = _table(engine)
    month = month_of(t.c.day)
    with engine.connect() as conn:
        rows = conn.execute(select(month, func.count()).group_by(month).order_by(month)).all()
    assert [tuple(r) for r in rows] == [("2026-01", 2), ("2026-11", 1)]
