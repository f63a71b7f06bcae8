"""The wall's query functions and the live-demo follower, on a copy of the demo warehouse (real SQLite)."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access import codes, queries, queries_bands, queries_wall
from data_access.db import make_engine
from data_access.schema import DailyComplaintCount, HotlineTicket, RiskLead
from data_access.scope import SYSTEM, Scope
from demo.follow import add_orders
from pipeline.runner import run_steps
from pipeline.steps import STEP_BY_NAME
from tests.browser import prepared_warehouse


@pytest.fixture
def engine(demo_db_path, tmp_path):
    engine = make_engine(prepared_warehouse(demo_db_path, tmp_path / "wall.db", ("daily_counts",)))
    yield engine
    engine.dispose()


def _add(engine, times: list[dt.datetime], seed: int = 1) -> pd.DataFrame:
    with engine.begin() as conn:
        return add_orders(conn, times, rnd=random.Random(seed), np_rng=np.random.default_rng(seed))


def test_open_leads_by_level_counts_every_unclosed_lead(engine):
    with Session(engine) as s:
        by_level = queries_wall.open_leads_by_level(s, SYSTEM)
        expected = dict(s.execute(select(RiskLead.level, func.count())
                                  .where(RiskLead.closed_at.is_(None), RiskLead.status.not_in(["已办结", "误报"]))
                                  .group_by(RiskLead.level)).all())
    assert list(by_level) == list(codes.LEAD_LEVELS)
    assert by_level == {lv: expected.get(lv, 0) for lv in codes.LEAD_LEVELS}
    assert sum(by_level.values()) > 0


def test_department_head_sees_only_own_leads(engine):
    with Session(engine) as s:
        dept = s.scalar(select(RiskLead.dept_code).where(RiskLead.closed_at.is_(None), RiskLead.dept_code.is_not(None))
                        .group_by(RiskLead.dept_code).order_by(func.count().desc()).limit(1))
        head = Scope("head", "DEPT_HEAD", dept)
        own = queries_wall.open_leads_by_level(s, head)
        everyone = queries_wall.open_leads_by_level(s, SYSTEM)
        ticker = queries_wall.latest_leads(s, head, levels=tuple(codes.LEAD_LEVELS), limit=50)
        depts = set(s.scalars(select(RiskLead.dept_code).where(RiskLead.lead_id.in_(ticker["lead_id"].tolist()))))
    assert 0 < sum(own.values()) < sum(everyone.values())
    assert depts == {dept}


def test_open_leads_by_county_has_every_unit_and_its_most_severe_level(engine):
    with Session(engine) as s:
        df = queries_wall.open_leads_by_county(s, SYSTEM)
    assert sorted(df["region_code"]) == sorted(c.code for c in codes.COUNTIES)
    for row in df.itertuples():
        present = [lv for lv in codes.LEAD_LEVELS if getattr(row, lv) > 0]
        assert row.top_level == (present[0] if present else None)


def test_latest_leads_are_newest_first_and_of_the_asked_levels(engine):
    with Session(engine) as s:
        df = queries_wall.latest_leads(s, SYSTEM, levels=("RED", "ORANGE"), limit=5)
    assert 0 < len(df) <= 5
    assert set(df["level"]) <= {"RED", "ORANGE"}
    assert df["created_at"].is_monotonic_decreasing


def test_follow_adds_orders_and_counts_them_into_the_daily_mart(engine):
    with Session(engine) as s:
        as_of = queries.data_as_of(s)
        before_total = s.scalar(select(func.sum(DailyComplaintCount.n)))
    midnight = dt.datetime.combine(as_of.date(), dt.time())
    with Session(engine) as s:
        today_before = queries_wall.complaints_between(s, midnight, midnight + dt.timedelta(days=1))
    times = [as_of + dt.timedelta(minutes=i + 1) for i in range(7)]
    orders = _add(engine, times)
    with Session(engine) as s:
        assert queries.data_as_of(s) == max(times)
        assert queries_wall.complaints_between(s, midnight, midnight + dt.timedelta(days=1)) == today_before + 7
        assert s.scalar(select(func.sum(DailyComplaintCount.n))) == before_total + 7
        rows = s.execute(select(HotlineTicket.status, HotlineTicket.title, HotlineTicket.main_dept_code)
                         .where(HotlineTicket.ticket_id.in_(orders["ticket_id"].tolist()))).all()
    assert len(rows) == 7 and all(r.status == "待签收" and r.title and r.main_dept_code for r in rows)
    assert orders["order_no"].is_unique


def test_trend_without_the_pipelines_band_then_with_the_model_flagging_a_surge_day(engine):
    """Before step ``spike_leads`` has run the trend is the counts alone (no band, nothing flagged); after it, the
    band and flags are the model's stored rows, and a planted surge day is flagged."""
    with Session(engine) as s:
        as_of = queries.data_as_of(s)
        bare = queries_wall.complaint_trend(s, as_of.date())
        counts = dict(s.execute(select(DailyComplaintCount.day, func.sum(DailyComplaintCount.n))
                                .group_by(DailyComplaintCount.day)).all())
    assert len(bare) == 60 and bare["partial"].sum() == 1 and bare["partial"].iloc[-1]
    assert bare[["expected", "lower", "upper"]].isna().all().all() and not bare["alarm"].any()
    assert bare["n"].tolist() == [counts.get(d.date(), 0) for d in bare["day"]] and bare["n"].sum() > 0

    surge_day = as_of.date() - dt.timedelta(days=3)
    base = dt.datetime.combine(surge_day, dt.time(9))
    _add(engine, [base + dt.timedelta(minutes=i) for i in range(3 * int(bare["n"].max()))])
    assert [r.status for r in run_steps(engine, [STEP_BY_NAME[s] for s in ("daily_counts", "spike_leads")])] == ["ok"] * 2
    with Session(engine) as s:
        after = queries_wall.complaint_trend(s, as_of.date())
        band = queries_bands.spike_band(s, start=as_of.date() - dt.timedelta(days=59))
    day = after[after["day"].dt.date == surge_day].iloc[0]
    assert day["alarm"] and day["n"] > day["upper"]
    assert after["alarm"].tolist() == band["alarm"].tolist() and after["upper"].tolist() == band["upper"].tolist()
    assert after["expected"].notna().all()
    assert (after["lower"] <= after["expected"]).all() and (after["expected"] <= after["upper"]).all()


def test_last_step_run_is_the_pipeline_record(engine):
    with Session(engine) as s:
        assert queries_wall.last_step_run(s, "daily_counts") is not None
        assert queries_wall.last_step_run(s, "no_such_step") is None


def test_follow_loop_adds_orders_on_an_accelerated_clock_until_stopped(engine):
    import threading

    from demo.follow import follow

    with Session(engine) as s:
        start = queries.data_as_of(s)
    stop = threading.Event()
    batches: list[int] = []
    timer = threading.Timer(3.5, stop.set)
    timer.start()
    added = follow(engine, rate=1200, speed=3600, seed=5, stop=stop, report=lambda df: batches.append(len(df)))
    with Session(engine) as s:
        end = queries.data_as_of(s)
        new = s.scalar(select(func.count()).select_from(HotlineTicket).where(HotlineTicket.accepted_at > start))
    assert stop.is_set() and added == sum(batches) == new > 0
    # ~3 real seconds at 3600× is ~3 simulated hours; orders are stamped within that span.
    assert dt.timedelta(minutes=30) < end - start < dt.timedelta(hours=5)
