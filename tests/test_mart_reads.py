"""Mart reads as columns (``queries.columns_frame``: one ``group_concat`` / ``string_agg`` per column, parsed by
Arrow) give the same frames as the raw orders, with the same column types and order on both backends, and see
the caller's own uncommitted writes (they read inside its transaction)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import Float, Integer, func, insert, literal, select
from sqlalchemy.orm import Session

from data_access import queries, queries_wall
from data_access.db import make_engine
from data_access.schema import DailyComplaintCount, HotlineTicket
from demo.load import load_demo
from pipeline.runner import run_steps
from pipeline.steps import STEPS
from risk_models.lead_reads import daily_frame
from tests.db_fixtures import initialised_warehouse, postgres_database

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
DAILY_COUNTS = next(step for step in STEPS if step.name == "daily_counts")


@pytest.fixture(params=BACKENDS)
def demo_engine(request, demo_engine_copy):
    """The session's demo warehouse (SQLite), or a small demo loaded into a throw-away PostgreSQL database."""
    if request.param == "sqlite":
        yield demo_engine_copy
        return
    from data_access import warehouse

    with postgres_database() as url:
        engine = make_engine(url)
        warehouse.init(engine)
        load_demo(engine, scale=0.003, seed=7, end=dt.date(2026, 6, 30))
        yield engine
        engine.dispose()


def test_daily_complaints_agree_with_the_raw_orders(demo_engine):
    run_steps(demo_engine, [DAILY_COUNTS, DAILY_COUNTS])  # the second run rewrites every row of the first
    if demo_engine.dialect.name == "postgresql":  # ... and leaves no dead rows behind for the reads to skip
        with demo_engine.connect() as conn:
            dead, vacuums = conn.exec_driver_sql(
                "SELECT n_dead_tup, vacuum_count FROM pg_stat_user_tables WHERE relname = 'agg_daily_complaints'"
            ).one()
        assert dead == 0 and vacuums == 2
    with Session(demo_engine) as session:
        raw = pd.DataFrame(session.execute(select(HotlineTicket.accepted_at, HotlineTicket.region_code,
                                                  HotlineTicket.category_code)).all(),
                           columns=["accepted_at", "region_code", "category_code"])
        cells = queries.daily_complaints(session)
        by_region = queries.daily_complaints(session, by=("region_code",), start=dt.date(2026, 1, 1))
        last = cells["day"].max().date()
        trend = queries_wall.complaint_trend(session, last, days=30)
    with demo_engine.connect() as conn:
        series = daily_frame(conn)
    raw["day"] = pd.to_datetime(raw["accepted_at"]).dt.normalize()
    expected = raw.groupby(["day", "region_code", "category_code"]).size().rename("n").reset_index()
    pd.testing.assert_frame_equal(cells, expected)  # same values, order and dtypes (datetime64[ns], int64)
    recent = raw[raw["day"] >= "2026-01-01"]
    pd.testing.assert_frame_equal(by_region, recent.groupby(["day", "region_code"]).size().rename("n").reset_index())
    city = raw.groupby("day").size().reindex(pd.date_range(last - dt.timedelta(days=29), last), fill_value=0)
    assert trend["n"].tolist() == city.tolist()
    # the spike models' series: every cell, plus a zero at the first day for every series
    cells_again = series[series["count"] > 0].sort_values(["date", "district", "category"]).reset_index(drop=True)
    assert cells_again[["date", "district", "category", "count"]].values.tolist() == expected.values.tolist()


@pytest.mark.parametrize("backend", BACKENDS)
def test_mart_frames_have_the_same_types_and_order_on_both_backends(backend, tmp_path):
    rows = [{"day": dt.date(2026, 3, d), "region_code": r, "category_code": c, "n": n}
            for d, r, c, n in ((2, "410202", "HC01", 5), (1, "410203", "HC01", 7), (1, "410202", "HC02", 1),
                               (1, "410202", "HC01", 3))]  # inserted out of key order
    with initialised_warehouse(backend, tmp_path) as engine:
        with engine.begin() as conn:
            conn.execute(insert(DailyComplaintCount), rows)
        with Session(engine) as session:
            cells = queries.daily_complaints(session)
            days = queries.daily_complaints(session, by=())
            one = queries.daily_complaints(session, by=("category_code",), region_codes=["410202"],
                                           start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 1))
            empty = queries.daily_complaints(session, start=dt.date(2027, 1, 1))
            # bounded windows (the wall's): read through the cursor, same frames as the columnar read
            window = queries.daily_complaints(session, by=(), start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 2))
            picked = queries.daily_complaints(session, by=("category_code",), region_codes=["410202"],
                                              category_codes=["HC01", "HC02"], start=dt.date(2026, 3, 1),
                                              end=dt.date(2026, 3, 1))
            nothing = queries.daily_complaints(session, by=(), start=dt.date(2027, 1, 1), end=dt.date(2027, 1, 2))
        with engine.connect() as conn:
            series = daily_frame(conn)
            if backend == "sqlite":  # the wall's window is summed from the covering index, no table row read
                plan = conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN SELECT day, sum(n) FROM agg_daily_complaints WHERE day >= '2026-03-01' "
                    "AND day <= '2026-03-02' GROUP BY day ORDER BY day").all()
                assert "COVERING INDEX ix_agg_daily_complaints_day_n" in str(plan)
    pd.testing.assert_frame_equal(window, days)
    pd.testing.assert_frame_equal(picked, one)
    assert nothing.empty and nothing.dtypes.astype(str).tolist() == ["datetime64[ns]", "int64"]
    assert cells.to_dict("records") == [
        {"day": pd.Timestamp("2026-03-01"), "region_code": "410202", "category_code": "HC01", "n": 3},
        {"day": pd.Timestamp("2026-03-01"), "region_code": "410202", "category_code": "HC02", "n": 1},
        {"day": pd.Timestamp("2026-03-01"), "region_code": "410203", "category_code": "HC01", "n": 7},
        {"day": pd.Timestamp("2026-03-02"), "region_code": "410202", "category_code": "HC01", "n": 5}]
    assert cells.dtypes.astype(str).tolist() == ["datetime64[ns]", "object", "object", "int64"]
    assert days.to_dict("records") == [{"day": pd.Timestamp("2026-03-01"), "n": 11},
                                       {"day": pd.Timestamp("2026-03-02"), "n": 5}]
    assert one.to_dict("records") == [{"day": pd.Timestamp("2026-03-01"), "category_code": "HC01", "n": 3},
                                      {"day": pd.Timestamp("2026-03-01"), "category_code": "HC02", "n": 1}]
    assert list(empty.columns) == ["day", "region_code", "category_code", "n"] and empty.empty
    assert empty.dtypes.astype(str).tolist() == ["datetime64[ns]", "object", "object", "int64"]
    assert series["date"].dtype == "datetime64[ns]" and int(series["count"].sum()) == 16


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_columnar_read_sees_its_own_transaction(backend, tmp_path):
    """What a pipeline step wrote and has not committed yet is in its own reads (a second connection would miss it)."""
    with initialised_warehouse(backend, tmp_path) as engine:
        with engine.connect() as conn:
            conn.execute(insert(DailyComplaintCount), [{"day": dt.date(2026, 3, 1), "region_code": "410202",
                                                        "category_code": "HC01", "n": 4}])
            assert queries.daily_complaints(conn)["n"].tolist() == [4]
            conn.rollback()
            assert queries.daily_complaints(conn).empty


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("days", [2, queries._SPLIT_ROWS + 1])  # split in Python / parsed by Arrow's CSV reader
def test_a_columnar_read_equals_the_cursor_read_and_refuses_what_it_cannot_carry(backend, days, tmp_path):
    t = DailyComplaintCount
    first = dt.date(2000, 1, 1)
    with initialised_warehouse(backend, tmp_path) as engine:
        with engine.begin() as conn:
            conn.execute(insert(t), [{"day": first + dt.timedelta(days=d), "region_code": "410202",
                                      "category_code": f"HC{d % 70:02d}", "n": d + 1} for d in range(days)])
        with engine.connect() as conn:
            cells = queries.daily_complaints(conn)
            rows = queries.frame(conn, queries.daily_complaints_statement(), list(cells.columns))
            rows["day"] = pd.to_datetime(rows["day"])
            pd.testing.assert_frame_equal(cells, rows)
            assert len(cells) == days and cells["n"].iloc[-1] == days
            with pytest.raises(TypeError, match="share"):
                queries.columns_frame(conn, select(t.day, func.avg(t.n, type_=Float).label("share")
                                                   ).group_by(t.day), ["day", "share"])
            nulls = select(t.day, func.nullif(t.n, 1, type_=Integer).label("n"))  # n is NULL on the first day
            with pytest.raises(ValueError, match="NULL"):
                queries.columns_frame(conn, nulls, ["day", "n"])
            newline = select(t.day, (t.region_code + literal("\n") + t.category_code).label("code"))
            with pytest.raises(ValueError, match="newline"):  # the value would split in two
                queries.columns_frame(conn, newline, ["day", "code"])
