"""Mart reads straight from the driver's cursor (``queries.frame``) give the same frames as the raw orders,
with the same column types on SQLite (dates arrive as text) and PostgreSQL (dates arrive as dates)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from data_access import queries
from data_access.schema import DailyComplaintCount
from pipeline.runner import Step, run_steps
from pipeline.steps import daily_counts
from risk_models.lead_reads import daily_frame
from tests.db_fixtures import initialised_warehouse


def test_daily_complaints_agree_with_the_raw_orders(demo_engine_copy):
    run_steps(demo_engine_copy, [Step("daily_counts", "", daily_counts)])
    raw = pd.read_sql("SELECT accepted_at, region_code, category_code FROM fact_hotline_ticket", demo_engine_copy)
    raw["day"] = pd.to_datetime(raw["accepted_at"]).dt.normalize()
    with Session(demo_engine_copy) as session:
        cells = queries.daily_complaints(session)
        by_region = queries.daily_complaints(session, by=("region_code",), start=dt.date(2026, 1, 1))
    expected = raw.groupby(["day", "region_code", "category_code"]).size().rename("n").reset_index()
    pd.testing.assert_frame_equal(cells, expected, check_dtype=False)
    assert cells["day"].dtype == "datetime64[ns]" and cells["n"].dtype == "int64"
    recent = raw[raw["day"] >= "2026-01-01"]
    expected = recent.groupby(["day", "region_code"]).size().rename("n").reset_index()
    pd.testing.assert_frame_equal(by_region, expected, check_dtype=False)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_mart_frames_have_the_same_types_on_both_backends(backend, tmp_path):
    rows = [{"day": dt.date(2026, 3, d), "region_code": "410202", "category_code": c, "n": n}
            for d, c, n in ((1, "HC01", 3), (1, "HC02", 1), (2, "HC01", 5))]
    with initialised_warehouse(backend, tmp_path) as engine:
        with engine.begin() as conn:
            conn.execute(insert(DailyComplaintCount), rows)
        with Session(engine) as session:
            cells = queries.daily_complaints(session)
            days = queries.daily_complaints(session, by=())
            empty = queries.daily_complaints(session, start=dt.date(2027, 1, 1))
        with engine.connect() as conn:
            series = daily_frame(conn)
    assert cells.to_dict("records") == [
        {"day": pd.Timestamp("2026-03-01"), "region_code": "410202", "category_code": "HC01", "n": 3},
        {"day": pd.Timestamp("2026-03-01"), "region_code": "410202", "category_code": "HC02", "n": 1},
        {"day": pd.Timestamp("2026-03-02"), "region_code": "410202", "category_code": "HC01", "n": 5}]
    assert days.to_dict("records") == [{"day": pd.Timestamp("2026-03-01"), "n": 4},
                                       {"day": pd.Timestamp("2026-03-02"), "n": 5}]
    assert list(empty.columns) == ["day", "region_code", "category_code", "n"] and empty.empty
    assert series["date"].dtype == "datetime64[ns]" and int(series["count"].sum()) == 9
