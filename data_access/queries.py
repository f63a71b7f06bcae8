"""Read-side query functions: the only way pages reach the warehouse.

Each function takes a session first, builds a ``select()``, and returns plain data (DataFrames, dicts);
none commits. Row scoping by role lives in the callers' ``scope`` arguments (see ``security``).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, Select, func, select
from sqlalchemy.orm import Session

from data_access.schema import DailyComplaintCount, HotlineCategory, HotlineTicket, Region


def frame(bind: Session | Connection, stmt: Select, columns: list[str]) -> pd.DataFrame:
    """``stmt``'s rows as a DataFrame, taken from the driver's cursor in one go.

    ``session.execute(stmt).all()`` wraps every row in a ``Row`` and converts each value (on SQLite every
    date arrives as text and becomes a ``datetime.date``), only for pandas to take the rows apart again into
    columns: for a mart that is most of the read. Here values stay as the driver returns them (SQLite: ISO
    text for dates and times; psycopg: Python dates and datetimes), so callers parse time columns with
    ``pd.to_datetime``, which does it per column.
    """
    result = (bind.connection() if isinstance(bind, Session) else bind).execute(stmt)
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    return pd.DataFrame.from_records(rows, columns=columns)


def counties(session: Session) -> pd.DataFrame:
    """County-level units (9 divisions + 示范区): region_code, name, level."""
    stmt = (select(Region.region_code, Region.name, Region.level)
            .where(Region.level.in_(["DISTRICT", "COUNTY", "ZONE"])).order_by(Region.region_code))
    return pd.DataFrame(session.execute(stmt).all(), columns=["region_code", "name", "level"])


def hotline_categories(session: Session) -> pd.DataFrame:
    """12345 level-1 categories in Kaifeng's order: cat_code, name."""
    stmt = select(HotlineCategory.cat_code, HotlineCategory.name).order_by(HotlineCategory.cat_code)
    return pd.DataFrame(session.execute(stmt).all(), columns=["cat_code", "name"])


def data_as_of(session: Session) -> dt.datetime | None:
    """Time of the latest accepted 12345 order (the wall's "数据截至" stamp)."""
    return session.scalar(select(func.max(HotlineTicket.accepted_at)))


def daily_complaints(session: Session, *, region_codes: list[str] | None = None,
                     category_codes: list[str] | None = None, start: dt.date | None = None,
                     end: dt.date | None = None, by: tuple[str, ...] = ("region_code", "category_code")
                     ) -> pd.DataFrame:
    """Daily 12345 order counts from ``agg_daily_complaints``, summed over what ``by`` leaves out.

    Returns columns ``day`` (datetime64), the ``by`` columns and ``n``.
    """
    t = DailyComplaintCount
    group_cols = [getattr(t, c) for c in by]
    if set(by) == {"region_code", "category_code"}:  # the mart's own grain: read it in key order, no GROUP BY
        stmt = select(t.day, *group_cols, t.n).order_by(t.day, t.region_code, t.category_code)
    else:
        stmt = select(t.day, *group_cols, func.sum(t.n).label("n")).group_by(t.day, *group_cols).order_by(t.day)
    if region_codes:
        stmt = stmt.where(t.region_code.in_(region_codes))
    if category_codes:
        stmt = stmt.where(t.category_code.in_(category_codes))
    if start:
        stmt = stmt.where(t.day >= start)
    if end:
        stmt = stmt.where(t.day <= end)
    df = frame(session, stmt, ["day", *by, "n"])
    df["day"] = pd.to_datetime(df["day"])
    df["n"] = df["n"].astype(int)
    return df
