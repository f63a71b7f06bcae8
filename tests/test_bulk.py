"""The one bulk writer (``data_access.bulk``) on real SQLite and PostgreSQL databases: a frame of every column
kind the warehouse uses reads back as the same Python values on both, whichever path it took (executemany,
binary COPY, CSV COPY for JSON/NUMERIC, row-by-row COPY for mixed columns), and explicit surrogate keys do not
collide with keys the database assigns later."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    insert,
    select,
)

from data_access.bulk import driver_column, insert_frame, write_columns, write_rows
from data_access.db import make_engine
from tests.db_fixtures import postgres_database

META = MetaData()
PROBE = Table(
    "bulk_probe", META,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(50)), Column("body", Text), Column("big", BigInteger), Column("small", SmallInteger),
    Column("ratio", Float), Column("flag", Boolean), Column("day", Date), Column("at", DateTime),
    Column("amount", Numeric(12, 2)), Column("detail", JSON))
PLAIN = Table(  # no JSON/NUMERIC column: PostgreSQL takes the binary COPY
    "bulk_plain", META,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(50)), Column("n", Integer), Column("day", Date), Column("at", DateTime))

STAMPS = pd.to_datetime(["2026-01-02 03:04:05", None, "2026-12-31 23:59:59.250000"], format="ISO8601")
EXPECTED_PROBE = [
    (1, "甲", "长文本，含逗号", 2**40, 3, 0.5, True, dt.date(2026, 1, 2), dt.datetime(2026, 1, 2, 3, 4, 5),
     Decimal("12.50"), {"k": ["值", 1]}),
    (2, None, "", None, None, None, False, None, None, None, None),
    (3, "丙\"引号\"", "line\nbreak", -1, -2, 1e-9, True, dt.date(2026, 12, 31),
     dt.datetime(2026, 12, 31, 23, 59, 59, 250000), Decimal("0.01"), [1, 2]),
]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'bulk.db'}")
        META.create_all(eng)
        yield eng
        eng.dispose()
        return
    with postgres_database() as url:
        eng = make_engine(url)
        META.create_all(eng)
        yield eng
        eng.dispose()


def _read(engine, table: Table) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(table).order_by(table.c.id))]


def test_every_column_kind_reads_back_the_same(engine):
    frame = pd.DataFrame({
        "id": [1, 2, 3], "name": ["甲", None, "丙\"引号\""], "body": ["长文本，含逗号", "", "line\nbreak"],
        "big": pd.array([2**40, None, -1], dtype="Int64"), "small": pd.array([3, None, -2], dtype="Int64"),
        "ratio": [0.5, np.nan, 1e-9], "flag": [True, False, True],
        "day": pd.to_datetime(["2026-01-02", None, "2026-12-31"]), "at": STAMPS,
        "amount": [12.5, None, 0.01], "detail": [{"k": ["值", 1]}, None, [1, 2]]})
    with engine.begin() as conn:
        assert insert_frame(conn, PROBE, frame) == 3
    assert _read(engine, PROBE) == EXPECTED_PROBE


def test_object_columns_of_dates_and_numpy_scalars(engine):
    """A frame built from Python objects (the pipeline's and the demo's): dates, datetimes, numpy scalars."""
    frame = pd.DataFrame({
        "name": ["a", "b"], "n": pd.Series([np.int64(7), None], dtype=object),
        "day": pd.Series([dt.date(2026, 3, 1), None], dtype=object),
        "at": pd.Series([dt.datetime(2026, 3, 1, 8, 0), pd.Timestamp("2026-03-02 09:30:00")], dtype=object)})
    with engine.begin() as conn:
        insert_frame(conn, PLAIN, frame)
    assert _read(engine, PLAIN) == [
        (1, "a", 7, dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, 8, 0)),
        (2, "b", None, None, dt.datetime(2026, 3, 2, 9, 30))]


def test_explicit_keys_leave_room_for_assigned_ones(engine):
    with engine.begin() as conn:
        insert_frame(conn, PLAIN, pd.DataFrame({"id": [10, 11], "name": ["x", "y"]}), chunk=1)
        conn.execute(insert(PLAIN).values(name="z"))  # the database picks the key
    assert [(r[0], r[1]) for r in _read(engine, PLAIN)] == [(10, "x"), (11, "y"), (12, "z")]


def test_unknown_columns_are_refused(engine):
    with engine.begin() as conn, pytest.raises(ValueError, match="unknown columns"):
        insert_frame(conn, PLAIN, pd.DataFrame({"name": ["x"], "nope": [1]}))


def test_columns_store_what_rows_store(engine):
    """``write_columns`` (multi-row INSERTs on SQLite) stores exactly what ``write_rows`` stores, across full
    statements, a shorter last one, and a single row."""
    for n in (257, 1):
        frame = pd.DataFrame({
            "name": [None if i % 7 == 0 else f"名{i}" for i in range(n)],
            "n": pd.array([None if i % 5 == 0 else i * 3 for i in range(n)], dtype="Int64"),
            "day": pd.to_datetime([None if i % 11 == 0 else f"2026-01-{1 + i % 28:02d}" for i in range(n)]),
            "at": pd.to_datetime([f"2026-02-{1 + i % 28:02d} 0{i % 10}:30:15" for i in range(n)])})
        values = [driver_column(frame[c], PLAIN.c[c].type) for c in frame.columns]
        with engine.begin() as conn:
            write_rows(conn, PLAIN, list(frame.columns), list(zip(*values, strict=True)))
            write_columns(conn, PLAIN, list(frame.columns), values)
        stored = [r[1:] for r in _read(engine, PLAIN)]
        assert len(stored) == 2 * n and stored[:n] == stored[n:]
        assert stored[n - 1 if n == 1 else 1] == (
            (None, None, None, dt.datetime(2026, 2, 1, 0, 30, 15)) if n == 1
            else ("名1", 3, dt.date(2026, 1, 2), dt.datetime(2026, 2, 2, 1, 30, 15)))
        with engine.begin() as conn:
            conn.execute(PLAIN.delete())


def test_fixed_values_store_what_full_columns_store(engine):
    """A ``fixed`` value of ``write_columns`` (a batch's lineage, bound once per statement) is stored in every
    row exactly as the same value repeated in a column, across full statements, a shorter last one and one row."""
    from data_access.bulk import driver_value

    at = dt.datetime(2026, 12, 7, 23, 30, 1)
    for n in (257, 1):
        names = np.array([None if i % 7 == 0 else f"名{i}" for i in range(n)], dtype=object)
        counts = np.array([i * 3 for i in range(n)], dtype=object)
        with engine.begin() as conn:
            write_rows(conn, PLAIN, ["name", "n", "at"],
                       list(zip(names, counts, [driver_value(at)] * n, strict=True)))
            write_columns(conn, PLAIN, ["name", "n"], [names, counts], {"at": driver_value(at)})
        stored = [r[1:] for r in _read(engine, PLAIN)]
        assert len(stored) == 2 * n and stored[:n] == stored[n:]
        assert stored[n - 1] == ((None if n == 1 else f"名{n - 1}"), 3 * (n - 1), None, at)
        with engine.begin() as conn:
            conn.execute(PLAIN.delete())
