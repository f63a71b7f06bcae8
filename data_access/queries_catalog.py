"""Read-side query of 监管事项目录 coverage: the catalogue items in force with their claim, implementation and
behaviour flags (inspections and penalties in a period). A department head sees their department's items.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.schema import CheckImpl, Department, Inspection, Penalty, RegItem
from data_access.scope import Scope


def item_flags(session: Session, scope: Scope, *, start: dt.date | None = None, end: dt.date | None = None,
               dept_code: str | None = None) -> pd.DataFrame:
    """Catalogue items in force with their flags; behaviour counts inspections and penalties dated in
    [start, end]. Columns: item_code, parent_code, level, name, dept_code, dept, category, claimed,
    has_impl, has_behaviour, inspections_n, penalties_n."""
    impl = select(CheckImpl.item_code).distinct().subquery()
    ins = select(Inspection.item_code, func.count().label("n")).group_by(Inspection.item_code)
    pen = select(Penalty.item_code, func.count().label("n")).group_by(Penalty.item_code)
    if start:
        ins, pen = ins.where(Inspection.check_date >= start), pen.where(Penalty.decided_at >= start)
    if end:
        ins, pen = ins.where(Inspection.check_date <= end), pen.where(Penalty.decided_at <= end)
    ins, pen = ins.subquery(), pen.subquery()
    r = RegItem
    stmt = (select(r.item_code, r.parent_code, r.item_level, r.name, r.dept_code, Department.short_name,
                   r.item_category, r.claimed, impl.c.item_code.is_not(None),
                   func.coalesce(ins.c.n, 0), func.coalesce(pen.c.n, 0))
            .join(Department, Department.dept_code == r.dept_code)
            .outerjoin(impl, impl.c.item_code == r.item_code)
            .outerjoin(ins, ins.c.item_code == r.item_code).outerjoin(pen, pen.c.item_code == r.item_code)
            .where(r.valid_to.is_(None)).order_by(r.dept_code, func.coalesce(r.parent_code, r.item_code), r.item_code))
    stmt = scope.restrict(stmt, r.dept_code)
    if dept_code:
        stmt = stmt.where(r.dept_code == dept_code)
    df = pd.DataFrame(session.execute(stmt).all(), columns=[
        "item_code", "parent_code", "level", "name", "dept_code", "dept", "category", "claimed", "has_impl",
        "inspections_n", "penalties_n"])
    df["has_impl"] = df["has_impl"].astype(bool)
    df["claimed"] = df["claimed"].astype(bool)
    df["has_behaviour"] = (df["inspections_n"] + df["penalties_n"]) > 0
    return df
