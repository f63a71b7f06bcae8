"""Spike leads: the spike detector over every county × category series (:func:`city_spikes`), and the rule that
turns its alarms into a lead (:class:`SpikeLeadRule`) with its reason and evidence (:func:`spike_signals`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from data_access.schema import HotlineTicket
from risk_models.lead_reads import category_departments, complaints, names
from risk_models.lead_writer import Signal
from risk_models.spikes import SpikeDetector, detect_spikes_frame

SERIES_DAYS = 56  # days of the daily series (with forecast band) kept in a spike lead's evidence
# Lowest forecast upper bound a spike lead divides by (a quiet series' band can sit near 0); the evidence
# series and the stored band (derived_spike_band) use the same floor, so the reason's 预测上限 is the value the
# chart shows.
UPPER_FLOOR = 0.5


SPIKE_COLUMNS = ["district", "category", "date", "count", "expected", "lower", "upper", "score", "alarm", "method"]


# An alarm on a county × category series needs at least this many complaints that day. The detector's
# generic default (3, kept for the NAB benchmark, where 5 costs Twitter_volume_UPS 57.2 -> 33.8) marked 34-44
# alarm days on the scale-0.05 demos (seeds 11/12/13) at alarm-day precision 0.25-0.32, mostly days of 3-4
# complaints in quiet series; at 5 there were 10-12 at precision 0.67-0.92 and the same spike leads, 4 of 28
# a day or two later (docs/risk_leads.md).
COMPLAINT_MIN_COUNT = 5.0


def complaint_detector() -> SpikeDetector:
    """The spike detector the pipeline and the backtest run on complaint counts."""
    return SpikeDetector(min_count=COMPLAINT_MIN_COUNT)


def city_spikes(frame: pd.DataFrame, *, detector: SpikeDetector | None = None, n_jobs: int = 2) -> pd.DataFrame:
    """Online spike detection (:func:`complaint_detector`) over every county × category series
    (``daily_frame`` output), every day.

    Series whose largest daily count is below the detector's ``min_count`` cannot alarm and are skipped.
    """
    det = detector or complaint_detector()
    if frame.empty:
        return pd.DataFrame(columns=SPIKE_COLUMNS)
    peak = frame.groupby(["district", "category"])["count"].transform("max")
    eligible = frame[peak >= det.min_count]
    if eligible.empty:
        return pd.DataFrame(columns=SPIKE_COLUMNS)
    return detect_spikes_frame(eligible, detector=det, complete=True, n_jobs=n_jobs)


class SpikeLeadRule:
    """When detector alarms become a spike lead: the complaints above the series' usual level (the mean
    of the ``baseline_days`` before the alarm), summed from an alarm day over at most ``confirm_days``
    days, must reach ``min_excess``. A lone day of three complaints in a quiet series alarms the detector
    but asks nothing of a department; a burst that keeps coming does. The lead is raised on the day the
    sum gets there (``lead_day``: at most ``confirm_days - 1`` days after the alarm). Alarms less than
    ``gap_days`` apart form one episode, i.e. one lead."""

    def __init__(self, *, min_excess=8.0, confirm_days=3, baseline_days=28, gap_days=7):
        self.min_excess = min_excess
        self.confirm_days = confirm_days
        self.baseline_days = baseline_days
        self.gap_days = gap_days

    def episodes(self, result: pd.DataFrame) -> pd.DataFrame:
        """Lead episodes in ``city_spikes`` output (every day up to the data's last day): one row per
        episode that qualifies, with ``first_alarm``, ``lead_day``, ``last_alarm``, ``baseline`` and
        ``excess`` (the sum on ``lead_day``). Each row uses data up to its ``lead_day`` only."""
        rows = []
        for (region, cat), g in result[result["alarm"] == 1].groupby(["district", "category"]):
            series = result[(result["district"] == region) & (result["category"] == cat)].set_index("date")["count"]
            days = list(g["date"].sort_values())
            episodes, current = [], [days[0]]
            for d in days[1:]:
                if (d - current[-1]).days < self.gap_days:
                    current.append(d)
                else:
                    episodes.append(current)
                    current = [d]
            episodes.append(current)
            for alarms in episodes:
                for a in alarms:
                    base = series[(series.index >= a - pd.Timedelta(days=self.baseline_days)) & (series.index < a)]
                    level = float(base.mean()) if len(base) else 0.0
                    window = series[(series.index >= a) & (series.index < a + pd.Timedelta(days=self.confirm_days))]
                    excess = (window - level).cumsum()
                    reached = excess[excess >= self.min_excess]
                    if not reached.empty:
                        rows.append({"district": region, "category": cat, "first_alarm": alarms[0],
                                     "lead_day": reached.index[0], "last_alarm": alarms[-1], "baseline": level,
                                     "excess": float(reached.iloc[0])})
                        break
        return pd.DataFrame(rows, columns=["district", "category", "first_alarm", "lead_day", "last_alarm",
                                           "baseline", "excess"])


def spike_signals(conn: Connection, result: pd.DataFrame, as_of: dt.date, *, lookback_days: int = 7,
                  rule: SpikeLeadRule | None = None) -> list[Signal]:
    """One signal per series with a lead episode (:class:`SpikeLeadRule`) raised or still alarming in the
    ``lookback_days`` up to ``as_of``; ``result`` must hold no day after ``as_of``."""
    regions, cats = names(conn)
    start = pd.Timestamp(as_of) - pd.Timedelta(days=lookback_days - 1)
    episodes = (rule or SpikeLeadRule()).episodes(result[result["date"] <= pd.Timestamp(as_of)])
    episodes = episodes[episodes[["lead_day", "last_alarm"]].max(axis=1) >= start]
    out = []
    for e in episodes.itertuples():
        region, cat = e.district, e.category
        g = result[(result["district"] == region) & (result["category"] == cat)
                   & (result["date"] >= min(start, e.first_alarm)) & (result["date"] <= pd.Timestamp(as_of))]
        alarms = g[(g["alarm"] == 1) & (g["date"] >= e.first_alarm)]
        peak = alarms.loc[alarms["count"].idxmax()]
        upper = _floored_upper(peak["upper"]) if np.isfinite(peak["upper"]) else UPPER_FLOOR
        ratio = float(peak["count"]) / upper
        n_recent = int(g.loc[g["date"] >= start, "count"].sum())
        series = result[(result["district"] == region) & (result["category"] == cat)
                        & (result["date"] > pd.Timestamp(as_of) - pd.Timedelta(days=SERIES_DAYS))]
        rname, cname = regions.get(region, region), cats.get(cat, cat)
        dept, co = category_departments(conn, cat, region)
        first = e.first_alarm.date()
        out.append(Signal(
            key=f"spike:{region}:{cat}", kind="spike", score=1 - 0.5 / max(ratio, 1.0),
            title=f"{rname}{cname}投诉激增",
            reason=(f"近{lookback_days}日{rname}{cname}投诉{n_recent}件，{peak['date']:%m月%d日}当日{int(peak['count'])}件，"
                    f"为预测上限（{upper:.1f}件）的{ratio:.1f}倍"),
            episode=first.isoformat(), region_code=region, category_code=cat, dept_code=dept, co_dept_codes=co,
            evidence={
                "signal": {"model": "SpikeDetector", "method": peak["method"], "first_alarm_day": first,
                           "alarm_days": [d.date() for d in alarms["date"]], "peak_day": peak["date"].date(),
                           "peak": int(peak["count"]), "expected": float(peak["expected"]), "upper": upper,
                           "ratio": ratio, "count_recent": n_recent, "lookback_days": lookback_days,
                           "lead_day": e.lead_day.date(), "baseline": e.baseline, "excess": e.excess},
                "series": [{"day": r.date.date(), "n": int(r.count), "expected": r.expected, "lower": r.lower,
                            "upper": _floored_upper(r.upper), "alarm": int(r.alarm)} for r in series.itertuples()],
                "complaints": complaints(conn, HotlineTicket.region_code == region,
                                         HotlineTicket.category_code == cat, start=start.date(), end=as_of)}))
    return out


def _floored_upper(upper: float) -> float:
    """``upper`` raised to ``UPPER_FLOOR``; a missing forecast (warm-up days) stays missing."""
    return max(float(upper), UPPER_FLOOR) if np.isfinite(upper) else float("nan")
