"""The spike model's stored band (derived_spike_band): written by pipeline step ``spike_leads`` for the city-wide
series and every series with a spike lead, rewritten identically on a re-run, and drawn with the same numbers by
the wall's trend panel and a spike lead's page. On a copy of the demo warehouse (real SQLite)."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from data_access import queries_bands, queries_wall
from data_access.db import make_engine
from data_access.schema import DailyComplaintCount, PlantedEvent, RiskLead, SpikeBand
from data_access.scope import Scope
from pipeline.runner import run_steps
from pipeline.steps import STEP_BY_NAME
from risk_models import spike_bands
from risk_models.lead_reads import daily_frame
from risk_models.spike_leads import city_spikes, complaint_detector, spike_signals
from risk_models.spikes import SpikeDetector
from tests.db_fixtures import initialised_warehouse
from ui import wall_views


def _stored(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(select(SpikeBand.region_code, SpikeBand.category_code, SpikeBand.day, SpikeBand.n,
                                   SpikeBand.expected, SpikeBand.lower, SpikeBand.upper, SpikeBand.alarm,
                                   SpikeBand.method, SpikeBand.as_of)
                            .order_by(SpikeBand.region_code, SpikeBand.category_code, SpikeBand.day)).all()
    return pd.DataFrame(rows, columns=["region_code", "category_code", "day", "n", "expected", "lower", "upper",
                                       "alarm", "method", "as_of"])


@pytest.fixture(scope="module")
def banded(demo_db_path, tmp_path_factory):
    """The demo warehouse as of the last day of a planted spike that raises a lead (the night of that day's
    run): ``daily_counts``, counts after that day dropped, then ``spike_leads`` twice."""
    path = tmp_path_factory.mktemp("bands") / "bands.db"
    shutil.copy(demo_db_path, path)
    engine = make_engine(f"sqlite:///{path}")
    assert [r.status for r in run_steps(engine, [STEP_BY_NAME["daily_counts"]])] == ["ok"]
    with engine.begin() as conn:
        planted = conn.execute(select(PlantedEvent).where(PlantedEvent.kind == "spike")
                               .order_by(PlantedEvent.magnitude.desc())).all()
        as_of = next((e.end_day for e in planted[:3] if f"spike:{e.region_code}:{e.category_code}" in {
            s.key for s in spike_signals(conn, city_spikes(daily_frame(conn, e.end_day)), e.end_day)}), None)
        assert as_of is not None, "none of the three largest planted spikes raises a lead"
        conn.execute(delete(DailyComplaintCount).where(DailyComplaintCount.day > as_of))
    assert [r.status for r in run_steps(engine, [STEP_BY_NAME["spike_leads"]])] == ["ok"]
    first = _stored(engine)
    assert [r.status for r in run_steps(engine, [STEP_BY_NAME["spike_leads"]])] == ["ok"]
    yield engine, first
    engine.dispose()


def test_the_step_stores_the_city_band_and_each_spike_leads_series(banded):
    engine, _ = banded
    stored = _stored(engine)
    with Session(engine) as s:
        as_of = s.scalar(select(func.max(DailyComplaintCount.day)))
        series = set(s.execute(select(RiskLead.region_code, RiskLead.category_code)
                               .where(RiskLead.kind == "spike")).tuples())
    assert series
    city = stored[stored["region_code"].isna() & stored["category_code"].isna()]
    assert len(city) == spike_bands.BAND_DAYS and city["day"].max() == as_of and (city["as_of"] == as_of).all()
    assert set(stored.loc[stored["region_code"].notna(), ["region_code", "category_code"]].itertuples(
        index=False, name=None)) == series
    for _, rows in stored.groupby(["region_code", "category_code"], dropna=False):
        assert len(rows) == spike_bands.BAND_DAYS
    banded_rows = stored[stored["expected"].notna()]
    assert len(banded_rows) > 0.9 * len(stored)
    assert (banded_rows["lower"] <= banded_rows["expected"] + 1e-9).all()
    assert (banded_rows["expected"] <= banded_rows["upper"] + 1e-9).all()
    # the city band is the production detector's output on the city's daily total, not a band of its own
    with Session(engine) as s:
        daily = pd.Series(dict(s.execute(select(DailyComplaintCount.day, func.sum(DailyComplaintCount.n))
                                         .group_by(DailyComplaintCount.day)).all()), dtype=float)
    daily.index = pd.to_datetime(daily.index)
    total = daily.reindex(pd.date_range(daily.index.min(), as_of, freq="D"), fill_value=0.0)
    model = SpikeDetector(**complaint_detector().get_params()).fit(total).detect().iloc[-spike_bands.BAND_DAYS:]
    np.testing.assert_allclose(city["expected"].to_numpy(float), model["expected"].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(city["upper"].to_numpy(float), model["upper"].to_numpy(), rtol=1e-9)
    assert city["alarm"].tolist() == model["alarm"].astype(bool).tolist()
    assert city["n"].tolist() == model["value"].astype(int).tolist()


def test_a_rerun_rewrites_the_same_rows(banded):
    engine, first = banded
    pd.testing.assert_frame_equal(_stored(engine), first)


def test_a_later_run_replaces_only_its_window(banded, tmp_path):
    """A run as of a later day rewrites its own window; older rows (the model is online) stay as they were."""
    path = tmp_path / "later.db"
    with banded[0].connect() as source, sqlite3.connect(path) as copy:
        source.connection.driver_connection.backup(copy)
    engine = make_engine(f"sqlite:///{path}")
    try:
        before = _stored(engine)
        with engine.begin() as conn:
            as_of = conn.scalar(select(func.max(DailyComplaintCount.day)))
            conn.execute(DailyComplaintCount.__table__.insert().values(
                day=as_of + dt.timedelta(days=1), region_code=before["region_code"].dropna().iloc[0],
                category_code=before["category_code"].dropna().iloc[0], n=1))
        assert [r.status for r in run_steps(engine, [STEP_BY_NAME["spike_leads"]])] == ["ok"]
        after = _stored(engine)
    finally:
        engine.dispose()
    city = after[after["region_code"].isna()]
    assert city["day"].max() == as_of + dt.timedelta(days=1) and len(city) == spike_bands.BAND_DAYS + 1
    kept = before[before["day"] < as_of + dt.timedelta(days=2 - spike_bands.BAND_DAYS)]
    pd.testing.assert_frame_equal(after[after["day"].isin(kept["day"])].reset_index(drop=True),
                                  kept.reset_index(drop=True))


def test_the_wall_and_the_lead_page_draw_the_stored_numbers(banded, monkeypatch):
    from app import create_app
    from data_access import db
    from tests.test_dispatch_pages import _find_id, acting_as

    app = create_app()  # registers the pages
    from pages import lead_detail

    engine, _ = banded
    with Session(engine) as s:
        as_of = s.scalar(select(func.max(DailyComplaintCount.day)))
        trend = queries_wall.complaint_trend(s, as_of)
        city = queries_bands.spike_band(s, start=as_of - dt.timedelta(days=59))
        lead = s.scalars(select(RiskLead).where(RiskLead.kind == "spike")).first()
        series = queries_bands.spike_band(s, region_code=lead.region_code, category_code=lead.category_code,
                                          start=dt.date(2000, 1, 1))
    assert len(trend) == len(city) == 60
    for column in ("expected", "lower", "upper", "alarm"):
        assert trend[column].tolist() == city[column].tolist(), column
    assert trend["n"].tolist() == city["n"].tolist()
    figure = wall_views.trend_figure(trend, dt.datetime.combine(as_of, dt.time(12)))
    upper, lower, expected = (figure["data"][i]["y"] for i in range(3))
    assert upper == [round(v, 2) for v in city["upper"]] and lower == [round(v, 2) for v in city["lower"]]
    assert expected == [round(v, 2) for v in city["expected"]]
    assert figure["data"][5]["x"] == [d.strftime("%Y-%m-%d") for d in city.loc[city["alarm"], "day"]]
    assert wall_views.NO_BAND_NOTE not in [a["text"] for a in figure["layout"]["annotations"]]  # the band is drawn

    monkeypatch.setenv("BIANJIAN_DATABASE_URL", str(engine.url))
    db.reset()
    try:
        with acting_as(app, Scope("领导", "LEADER")):
            page = lead_detail.layout(lead_id=str(lead.lead_id))
    finally:
        db.reset()
    drawn = {t.name: t for t in _find_id(page, "lead-detail-series").figure.data}
    first = dt.date.fromisoformat(lead.evidence["signal"]["first_alarm_day"])
    shown = series[series["day"] >= pd.Timestamp(first - dt.timedelta(days=lead_detail.BAND_DAYS_BEFORE))]
    assert list(drawn["预测上限"].x) == [d.date().isoformat() for d in shown["day"]]
    assert list(drawn["预测上限"].y) == shown["upper"].tolist()
    assert list(drawn["预测区间"].y) == shown["lower"].tolist()
    assert list(drawn["预测值"].y) == shown["expected"].tolist()
    assert list(drawn["实际诉求量"].y) == shown["n"].tolist()
    assert list(drawn["模型告警日"].x) == [d.date().isoformat() for d in shown.loc[shown["alarm"], "day"]]
    with Session(engine) as s:
        as_lead = {"kind": "spike", "region_code": lead.region_code, "category_code": lead.category_code,
                   "created_at": lead.created_at, "evidence": lead.evidence}
        assert lead_detail._stored_band(s, as_lead) == [
            {"day": d.date().isoformat(), "n": n, "expected": e, "lower": lo, "upper": u, "alarm": a}
            for d, n, e, lo, u, a in shown[["day", "n", "expected", "lower", "upper", "alarm"]].itertuples(index=False)]
        # a lead older than the stored rows draws its evidence; other kinds never read the table
        older = {**as_lead, "evidence": {"signal": {"first_alarm_day": (first - dt.timedelta(days=400)).isoformat()}}}
        assert lead_detail._stored_band(s, older) is None
        assert lead_detail._stored_band(s, {**as_lead, "kind": "trend"}) is None


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_write_replaces_the_window_and_reads_back_on_both_backends(backend, tmp_path):
    """``write`` on an empty warehouse of each backend: NULL keys (the city), booleans, dates and NaN (warm-up)
    round-trip, and writing the window again replaces it rather than adding to it."""
    as_of = dt.date(2026, 6, 30)
    days = pd.date_range(end=as_of, periods=spike_bands.BAND_DAYS + 10, freq="D")
    n = len(days)
    expected = np.where(np.arange(n) < 15, np.nan, 10.0 + np.arange(n) % 7)  # warm-up reaches into the window
    city = pd.DataFrame({"district": None, "category": None, "date": days, "count": 12.0, "expected": expected,
                         "lower": expected - 4, "upper": expected + 6, "alarm": np.arange(n) % 30 == 0,
                         "method": "ets"})
    county = city.assign(district="410202", category="C01", count=3.0)
    rows = spike_bands.band_rows(city, county, {("410202", "C01")}, as_of, upper_floor=0.5)
    assert len(rows) == 2 * spike_bands.BAND_DAYS
    with initialised_warehouse(backend, tmp_path) as engine:
        for _ in range(2):
            with engine.begin() as conn:
                spike_bands.write(conn, rows, as_of)
        with Session(engine) as s:
            assert s.scalar(select(func.count()).select_from(SpikeBand)) == 2 * spike_bands.BAND_DAYS
            got = queries_bands.spike_band(s, start=dt.date(2000, 1, 1))
            other = queries_bands.spike_band(s, start=dt.date(2000, 1, 1), region_code="410202", category_code="C01")
    window = city.iloc[-spike_bands.BAND_DAYS:].reset_index(drop=True)
    assert got["day"].tolist() == window["date"].tolist() and (got["n"] == 12).all() and (other["n"] == 3).all()
    np.testing.assert_array_equal(got["expected"].to_numpy(), window["expected"].to_numpy())
    assert got["alarm"].tolist() == window["alarm"].tolist() and set(got["method"]) == {"ets"}
    assert got["expected"].isna().sum() == 5 and got["upper"].isna().sum() == 5
