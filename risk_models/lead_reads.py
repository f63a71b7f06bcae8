"""The warehouse reads every lead generator shares: the data's last day, the daily county × category series,
names, the responsible departments (谁主管谁监管) and the complaints a lead quotes as evidence.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, func, select

from data_access import codes, queries
from data_access.reference import DEPT_CODE_BY_KEY, county_government_code
from data_access.schema import DailyComplaintCount, HotlineCategory, HotlineTicket, RegItem

TOP_COMPLAINTS = 10  # complaints (latest first) kept in a lead's evidence


def data_as_of(conn: Connection) -> dt.date | None:
    """The last day with complaint counts: every signal is computed from data up to this day."""
    return conn.execute(select(func.max(DailyComplaintCount.day))).scalar_one()


def daily_frame(conn: Connection, as_of: dt.date | None = None) -> pd.DataFrame:
    """``district, category, date, count`` up to ``as_of``; every series starts at the first day of the
    warehouse (zero-filled), so a series is not judged on a truncated history."""
    df = queries.daily_complaints(conn, end=as_of).rename(
        columns={"day": "date", "region_code": "district", "category_code": "category", "n": "count"})
    if df.empty:
        return df
    starts = df.groupby(["district", "category"], as_index=False).size()[["district", "category"]]
    starts["date"], starts["count"] = df["date"].min(), 0
    return pd.concat([df, starts], ignore_index=True)


def names(conn: Connection) -> tuple[dict[str, str], dict[str, str]]:
    """Region and category names by code."""
    regions = {c.code: c.name for c in codes.COUNTIES}
    cats = dict(conn.execute(select(HotlineCategory.cat_code, HotlineCategory.name)).all())
    return regions, cats


def category_departments(conn: Connection, category_code: str, region_code: str | None) -> tuple[str, str | None]:
    """Responsible department (and co-departments) of a 12345 category by the catalogue rule 谁主管谁监管:
    the departments of the claimed items in force linked to the category (most items first); without any,
    the category's default department (LOCAL → the county government)."""
    rows = conn.execute(select(RegItem.dept_code, func.count()).where(
        RegItem.hotline_category_code == category_code, RegItem.valid_to.is_(None), RegItem.claimed.is_(True))
        .group_by(RegItem.dept_code).order_by(func.count().desc(), RegItem.dept_code)).all()
    if rows:
        depts = [r[0] for r in rows]
        return depts[0], ",".join(depts[1:]) or None
    key = conn.execute(select(HotlineCategory.default_dept_key)
                       .where(HotlineCategory.cat_code == category_code)).scalar_one_or_none()
    if key == "LOCAL" and region_code:
        return county_government_code(region_code), None
    return DEPT_CODE_BY_KEY.get(key or "", DEPT_CODE_BY_KEY[codes.DEFAULT_SUBJECT_DEPT_KEY]), None


def subject_department(industry_code: str | None, has_food_permit: bool) -> str:
    """Supervising department of an entity: food permit → 市场监管, else by industry (codes.INDUSTRY_DEPT_KEYS)."""
    key = codes.DEFAULT_SUBJECT_DEPT_KEY if has_food_permit else codes.INDUSTRY_DEPT_KEYS.get(
        industry_code or "", codes.DEFAULT_SUBJECT_DEPT_KEY)
    return DEPT_CODE_BY_KEY[key]


def complaints(conn: Connection, *conditions, start: dt.date, end: dt.date, limit: int = TOP_COMPLAINTS) -> list[dict]:
    """The latest complaints matching ``conditions`` accepted in [start, end] (evidence rows)."""
    t = HotlineTicket
    rows = conn.execute(select(t.ticket_id, t.order_no, t.accepted_at, t.title, t.content).where(
        *conditions, t.accepted_at >= dt.datetime.combine(start, dt.time()),
        t.accepted_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
        .order_by(t.accepted_at.desc(), t.ticket_id.desc()).limit(limit)).all()
    return [{"ticket_id": r.ticket_id, "order_no": r.order_no, "accepted_at": r.accepted_at.isoformat(sep=" "),
             "title": r.title, "content": r.content[:200]} for r in rows]
