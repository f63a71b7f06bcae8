"""Read-side query of the spike model's stored band (``derived_spike_band``, written by pipeline step
``spike_leads``): the one expected band the wall's trend and the lead pages draw. Functions take a session first
and never commit."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.schema import SpikeBand

BAND_COLUMNS = ["day", "n", "expected", "lower", "upper", "alarm", "method"]


def spike_band(session: Session, *, start: dt.date, end: dt.date | None = None, region_code: str | None = None,
               category_code: str | None = None) -> pd.DataFrame:
    """The stored band of one series for the days in ``[start, end]`` (``end`` None: up to the latest stored
    day), oldest first: day (Timestamp), n, expected, lower, upper (NaN in the detector's warm-up), alarm (the
    detector flagged the day) and method. Both codes None is the city-wide daily total. Empty when the
    pipeline has not stored the series."""
    b = SpikeBand
    stmt = select(b.day, b.n, b.expected, b.lower, b.upper, b.alarm, b.method).where(
        b.region_code.is_(None) if region_code is None else b.region_code == region_code,
        b.category_code.is_(None) if category_code is None else b.category_code == category_code,
        b.day >= start)
    if end is not None:
        stmt = stmt.where(b.day <= end)
    df = pd.DataFrame(session.execute(stmt.order_by(b.day)).all(), columns=BAND_COLUMNS)
    df["day"] = pd.to_datetime(df["day"])
    for column in ("expected", "lower", "upper"):
        df[column] = df[column].astype(float)
    df["alarm"] = df["alarm"].astype(bool)
    return df
