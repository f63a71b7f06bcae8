"""Trend leads: a significant rising trend of a county × category series over the last weeks (Mann-Kendall + Sen
slope, Benjamini-Hochberg across all series, :mod:`risk_models.trends`) as a lead with its reason and evidence.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection

from data_access.schema import HotlineTicket
from risk_models.lead_reads import category_departments, complaints, names
from risk_models.lead_writer import Signal
from risk_models.trends import TrendDetector, detect_trends_frame
from risk_models.wording import chance_text


def trend_signals(conn: Connection, frame: pd.DataFrame, as_of: dt.date, *, weeks: int = 26,
                  detector: TrendDetector | None = None) -> list[Signal]:
    """One signal per county × category with a significant rising trend over the last ``weeks`` complete
    weeks (Mann-Kendall + Sen slope, Benjamini-Hochberg across all series)."""
    if frame.empty:
        return []
    res = detect_trends_frame(frame, window=weeks, detector=detector)
    regions, cats = names(conn)
    weekly = frame.assign(week=frame["date"].dt.to_period("W")).groupby(["district", "category", "week"])["count"].sum()
    quarter = f"{as_of.year}Q{(as_of.month - 1) // 3 + 1}"
    out = []
    for r in res[res["rising"]].itertuples():
        rname, cname = regions.get(r.district, r.district), cats.get(r.category, r.category)
        w = weekly.loc[(r.district, r.category)]
        w = w.reindex(pd.period_range(end=pd.Period(as_of, "W") - 1, periods=weeks, freq="W"), fill_value=0)
        dept, co = category_departments(conn, r.category, r.district)
        growth = r.slope * weeks / max(r.level, 1.0)
        out.append(Signal(
            key=f"trend:{r.district}:{r.category}", kind="trend", score=1 - 0.5 / max(1.0 + growth, 1.0),
            title=f"{rname}{cname}投诉持续上升",
            reason=(f"近{weeks}周{rname}{cname}投诉量持续上升：每周增加{r.slope:.1f}件（95%置信区间"
                    f"{r.slope_low:.1f}～{r.slope_high:.1f}件），{weeks}周累计增幅约{growth:.0%}，"
                    f"同时检验多个区县和类别后，这一上升出于偶然的可能{chance_text(r.q_value)}"),
            episode=quarter, region_code=r.district, category_code=r.category, dept_code=dept, co_dept_codes=co,
            evidence={
                "signal": {"model": "TrendDetector", "weeks": weeks, "slope": r.slope, "slope_low": r.slope_low,
                           "slope_high": r.slope_high, "q_value": r.q_value, "p_value": r.p_value,
                           "relative_slope": r.relative_slope},
                "series": [{"day": p.start_time.date(), "n": int(v)} for p, v in w.items()],
                "complaints": complaints(conn, HotlineTicket.region_code == r.district,
                                         HotlineTicket.category_code == r.category,
                                         start=as_of - dt.timedelta(days=27), end=as_of)}))
    return out
