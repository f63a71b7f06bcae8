"""Read-side queries for the video wall (/wall) that no other area provides.

The wall reuses the dispatch area's ``queries_leads`` (overdue leads, dispatch funnel, per-department
lead performance) and the evaluation area's ``queries_evaluation`` (ranking inputs). What is here:
today's complaint count, open leads by level and by county, the newest 红/橙 leads, and the complaint trend
with the spike model's stored band (``queries_bands``). Functions take a session first and never commit.

"Today" on the wall is the day of the latest accepted 12345 order (the 数据截至 stamp), not the
server's clock, so a wall over a warehouse loaded yesterday still shows a full day.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access import codes, privacy, queries, queries_bands
from data_access.schema import Department, HotlineTicket, PipelineRun, Region, RiskLead
from data_access.scope import Scope

CLOSED_LEAD_STATUSES = ("已办结", "误报")
LEVELS = tuple(codes.LEAD_LEVELS)


def complaints_between(session: Session, start: dt.datetime, end: dt.datetime) -> int:
    """12345 orders accepted in ``[start, end)`` (read from the orders, so it is exact between pipeline runs)."""
    t = HotlineTicket
    return int(session.scalar(select(func.count()).select_from(t)
                              .where(t.accepted_at >= start, t.accepted_at < end)) or 0)


def _open_leads(stmt, scope: Scope):  # noqa: ANN001, ANN202
    stmt = stmt.where(RiskLead.closed_at.is_(None), RiskLead.status.not_in(CLOSED_LEAD_STATUSES))
    return scope.restrict(stmt, RiskLead.dept_code)


def open_leads_by_level(session: Session, scope: Scope) -> dict[str, int]:
    """Leads not yet closed (any state before 已办结, except 误报), per level; every level present."""
    stmt = _open_leads(select(RiskLead.level, func.count()).group_by(RiskLead.level), scope)
    found = dict(session.execute(stmt).all())
    return {level: int(found.get(level, 0)) for level in LEVELS}


def open_leads_by_county(session: Session, scope: Scope) -> pd.DataFrame:
    """One row per county-level unit (incl. 示范区): region_code, name, a count column per level and
    ``top_level`` (the most severe level with an open lead, None when there is none)."""
    regions = pd.DataFrame(session.execute(
        select(Region.region_code, Region.name).where(Region.level.in_(["DISTRICT", "COUNTY", "ZONE"]))
        .order_by(Region.region_code)).all(), columns=["region_code", "name"])
    stmt = _open_leads(select(RiskLead.region_code, RiskLead.level, func.count())
                       .where(RiskLead.region_code.is_not(None))
                       .group_by(RiskLead.region_code, RiskLead.level), scope)
    counts = pd.DataFrame(session.execute(stmt).all(), columns=["region_code", "level", "n"])
    wide = counts.pivot_table(index="region_code", columns="level", values="n", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=list(LEVELS), fill_value=0)
    out = regions.merge(wide, left_on="region_code", right_index=True, how="left")
    out[list(LEVELS)] = out[list(LEVELS)].fillna(0).astype(int)
    out["top_level"] = [next((lv for lv in LEVELS if row[lv] > 0), None) for _, row in out.iterrows()]
    return out


def latest_leads(session: Session, scope: Scope, *, levels: tuple[str, ...], limit: int = 12) -> pd.DataFrame:
    """The newest leads of ``levels`` (the ticker): lead_id, level, title, status, region_name, dept_name,
    created_at."""
    stmt = (select(RiskLead.lead_id, RiskLead.level, RiskLead.title, RiskLead.status,
                   Region.name.label("region_name"), Department.short_name.label("dept_name"), RiskLead.created_at)
            .outerjoin(Region, Region.region_code == RiskLead.region_code)
            .outerjoin(Department, Department.dept_code == RiskLead.dept_code)
            .where(RiskLead.level.in_(levels))
            .order_by(RiskLead.created_at.desc(), RiskLead.lead_id.desc()).limit(limit))
    df = pd.DataFrame(session.execute(scope.restrict(stmt, RiskLead.dept_code)).all(),
                      columns=["lead_id", "level", "title", "status", "region_name", "dept_name", "created_at"])
    return privacy.mask_columns(df, scope, texts=["title"])


def complaint_trend(session: Session, end: dt.date, *, days: int = 60) -> pd.DataFrame:
    """City-wide daily 12345 orders for the ``days`` days up to ``end`` with the spike model's band.

    Counts are read from ``agg_daily_complaints`` (live between pipeline runs); ``expected``, ``lower``,
    ``upper`` and ``alarm`` (the detector flagged the day) are the model's, stored by pipeline step
    ``spike_leads`` (:func:`data_access.queries_bands.spike_band`). Days the pipeline has not scored, or all of
    them before it first runs, have NaN band and no alarm. Columns: day, n, expected, lower, upper, alarm,
    partial (``end`` itself, usually a day still filling up).
    """
    first = end - dt.timedelta(days=days - 1)
    counts = queries.daily_complaints(session, by=(), start=first, end=end)
    index = pd.date_range(first, end, freq="D")
    n = counts.set_index("day")["n"].astype(float).reindex(index, fill_value=0.0)
    band = queries_bands.spike_band(session, start=first, end=end).set_index("day")
    df = pd.DataFrame({"day": index, "n": n.astype(int).to_numpy()})
    df = df.join(band[["expected", "lower", "upper", "alarm"]], on="day")
    df["alarm"] = df["alarm"].astype("boolean").fillna(False).astype(bool)
    df["partial"] = df["day"].dt.date == end
    return df


def first_pipeline_run(session: Session) -> dt.datetime | None:
    """When the pipeline first ran a step successfully: leads exist from then on, so a lead count of an
    earlier period is not comparable."""
    return session.scalar(select(func.min(PipelineRun.started_at)).where(PipelineRun.status == "ok"))


def last_step_run(session: Session, step: str) -> dt.datetime | None:
    """When pipeline ``step`` last finished successfully (the wall caches what that step feeds on it)."""
    return session.scalar(select(func.max(PipelineRun.finished_at))
                          .where(PipelineRun.step == step, PipelineRun.status == "ok"))
