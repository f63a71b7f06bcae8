"""The spike model's expected band, stored per day for the pages (``derived_spike_band``).

Pipeline step ``spike_leads`` runs the spike detector over every county × category series
(:func:`risk_models.spike_leads.city_spikes`). This module runs the same detector over the city-wide daily total and
stores, for that series and for every county × category series with a spike lead, each day's count, expected
value, band (lower, upper) and whether the detector flagged it. The wall's trend panel and the lead pages draw
these rows (``data_access.queries_bands``); neither computes a band of its own.

A run replaces the rows of its as-of window (the ``BAND_DAYS`` days up to the data's last day) in the step's
transaction, so a re-run on the same data writes the same rows. Rows before the window stay: the detector is
online (a day's band uses data up to that day only), so later runs would write the same values for them, and
a closed lead's page keeps its band.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sklearn.base import clone
from sqlalchemy import Connection, delete, select

from data_access import bulk
from data_access.schema import RiskLead, SpikeBand
from risk_models.spikes import SpikeDetector

BAND_DAYS = 90  # the window a run rewrites: the wall shows 60 days, a lead page 8 weeks before its first alarm
BAND_COLUMNS = ["region_code", "category_code", "day", "n", "expected", "lower", "upper", "alarm", "method"]


def city_total(frame: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """Daily orders of the whole city from a ``daily_frame`` (every day from the first to ``as_of``, 0 when none)."""
    if frame.empty:
        return pd.Series(dtype=float)
    total = frame.groupby("date")["count"].sum()
    days = pd.date_range(total.index.min(), pd.Timestamp(as_of), freq="D")
    return total.reindex(days, fill_value=0).astype(float)


def city_band(frame: pd.DataFrame, as_of: dt.date, detector: SpikeDetector) -> pd.DataFrame:
    """The detector's per-day output on the city-wide total, as ``city_spikes`` rows (district and category None)."""
    total = city_total(frame, as_of)
    if len(total) < 2:
        return pd.DataFrame(columns=["district", "category", "date", "count", "expected", "lower", "upper",
                                     "alarm", "method"])
    res = clone(detector).fit(total).detect().rename(columns={"value": "count"})
    res = res.rename_axis("date").reset_index()
    return res.assign(district=None, category=None)


def lead_series(conn: Connection) -> set[tuple[str, str]]:
    """(county, category) of every spike lead, open or closed: the series whose band a lead page draws."""
    rows = conn.execute(select(RiskLead.region_code, RiskLead.category_code).distinct()
                        .where(RiskLead.kind == "spike", RiskLead.region_code.is_not(None),
                               RiskLead.category_code.is_not(None)))
    return {(r.region_code, r.category_code) for r in rows}


def band_rows(city: pd.DataFrame, result: pd.DataFrame, series: set[tuple[str, str]], as_of: dt.date, *,
              upper_floor: float = 0.0) -> pd.DataFrame:
    """The window's rows of the city band and of ``series`` in ``result`` (``city_spikes`` output), in the
    table's columns. ``upper`` is raised to ``upper_floor`` (the floor a spike lead's ratio divides by)."""
    start = pd.Timestamp(as_of) - pd.Timedelta(days=BAND_DAYS - 1)
    keys = pd.MultiIndex.from_frame(result[["district", "category"]]) if len(result) else pd.MultiIndex.from_tuples(
        [], names=["district", "category"])
    chosen = result[keys.isin(list(series))] if series else result.iloc[0:0]
    parts = [p for p in (city, chosen) if len(p)]
    if not parts:
        return pd.DataFrame(columns=BAND_COLUMNS)
    rows = pd.concat(parts, ignore_index=True)
    rows = rows[(rows["date"] >= start) & (rows["date"] <= pd.Timestamp(as_of))]
    return pd.DataFrame({
        "region_code": rows["district"].astype(object), "category_code": rows["category"].astype(object),
        "day": rows["date"].dt.date, "n": rows["count"].astype(int),
        "expected": rows["expected"].astype(float), "lower": rows["lower"].astype(float),
        "upper": rows["upper"].astype(float).clip(lower=upper_floor),
        "alarm": rows["alarm"].astype(bool), "method": rows["method"].astype(str)})


def write(conn: Connection, rows: pd.DataFrame, as_of: dt.date, *, now: dt.datetime | None = None) -> int:
    """Replace every stored row of the as-of window by ``rows`` (inside the caller's transaction)."""
    start = as_of - dt.timedelta(days=BAND_DAYS - 1)
    conn.execute(delete(SpikeBand).where(SpikeBand.day >= start, SpikeBand.day <= as_of))
    now = now or dt.datetime.now().replace(microsecond=0)
    return bulk.insert_frame(conn, SpikeBand.__table__, rows.assign(as_of=as_of, computed_at=pd.Timestamp(now)))


def store(conn: Connection, frame: pd.DataFrame, result: pd.DataFrame, as_of: dt.date, *,
          detector: SpikeDetector, upper_floor: float = 0.0) -> int:
    """Store the city band and the bands of the series with a spike lead for the window up to ``as_of``;
    ``frame`` is the step's ``daily_frame``, ``result`` its ``city_spikes`` output. Returns rows written."""
    city = city_band(frame, as_of, detector)
    return write(conn, band_rows(city, result, lead_series(conn), as_of, upper_floor=upper_floor), as_of)
