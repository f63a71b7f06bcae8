"""Time windows every surface counts over: the analyst pages' period choices and the N-day windows of
概览 and the wall. A window of N days is the N calendar days ending with the clock's day, up to the clock
itself (the data's as-of time or now, as the metric declares)."""

from __future__ import annotations

import datetime as dt

# Period choices offered on every analyst page: key → (label, days back from the data's last day).
PERIODS: dict[str, tuple[str, int | None]] = {
    "30d": ("近30天", 30), "90d": ("近90天", 90), "365d": ("近一年", 365), "all": ("全部", None),
}
DEFAULT_PERIOD = "365d"


def period_start(period: str, as_of: dt.datetime | None) -> dt.datetime | None:
    """First instant of ``period`` counted back from ``as_of`` (the data's freshness, not the clock)."""
    days = PERIODS[period if period in PERIODS else DEFAULT_PERIOD][1]
    if days is None or as_of is None:
        return None
    return dt.datetime.combine(as_of.date() - dt.timedelta(days=days - 1), dt.time())


def day_window(end: dt.datetime, days: int, back: int = 0) -> tuple[dt.datetime, dt.datetime]:
    """``[start, stop)`` of the ``days`` calendar days ending with ``end``'s day (up to ``end`` itself),
    shifted ``back`` whole windows earlier (1 = the previous period, for 环比)."""
    start = dt.datetime.combine(end.date() - dt.timedelta(days=days - 1), dt.time())
    if back == 0:
        return start, end + dt.timedelta(seconds=1)
    start -= dt.timedelta(days=days * back)
    return start, start + dt.timedelta(days=days)
