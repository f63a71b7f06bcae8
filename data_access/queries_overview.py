"""Read-side queries of 概览 (the home page): the flows it counts per period and per day, the lead stocks, and
"数据截至" per source. The declared metrics (``metrics/declarations.py``) read their figures through these.

Functions take a session (and a ``Scope`` where rows are scoped) first and never commit. A department head's
rows are limited server-side by the department column of each flow (complaints by handling department, leads and unlicensed leads by responsible
department, inspections and penalties by acting department, credit lists by deciding department).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from data_access.schema import CreditList, HotlineTicket, Inspection, Penalty, RiskLead, UnlicensedLead
from data_access.scope import Scope


# The overview's flows: key → (statement of the rows counted, the column that dates them). Each is scoped
# by the department column a department head's view is limited to.
def _overview_source(scope: Scope, key: str) -> tuple[Select, ColumnElement]:
    sources = {
        "complaints": (HotlineTicket.ticket_id, HotlineTicket.main_dept_code, HotlineTicket.accepted_at),
        "leads": (RiskLead.lead_id, RiskLead.dept_code, RiskLead.created_at),
        "inspections": (Inspection.inspection_id, Inspection.dept_code, Inspection.check_date),
        "penalties": (Penalty.penalty_id, Penalty.dept_code, Penalty.decided_at),
        "unlicensed": (UnlicensedLead.lead_id, UnlicensedLead.resp_dept_code, UnlicensedLead.found_at),
        "credit_in": (CreditList.list_entry_id, CreditList.decided_by_dept_code, CreditList.in_date),
    }
    if key not in sources:
        raise ValueError(f"unknown overview count {key!r}")
    row_id, dept, when = sources[key]
    return scope.restrict(select(row_id), dept), when


def _bounds(column: ColumnElement, start: dt.datetime, end: dt.datetime) -> tuple:
    """``[start, end)`` in the column's type: a DATE column counts the whole days the instants touch."""
    if column.type.python_type is dt.date:
        return start.date(), (end - dt.timedelta(microseconds=1)).date() + dt.timedelta(days=1)
    return start, end


def overview_count(session: Session, scope: Scope, key: str, start: dt.datetime, end: dt.datetime) -> int:
    """Rows of overview flow ``key`` (complaints, leads, inspections, penalties, unlicensed, credit_in)
    dated in ``[start, end)``."""
    stmt, column = _overview_source(scope, key)
    low, high = _bounds(column, start, end)
    return session.scalar(select(func.count()).select_from(stmt.where(column >= low, column < high).subquery())) or 0


def overview_daily(session: Session, scope: Scope, key: str, start: dt.datetime, end: dt.datetime) -> pd.Series:
    """Daily counts of overview flow ``key`` in ``[start, end)``, every day present (the sparkline)."""
    stmt, column = _overview_source(scope, key)
    low, high = _bounds(column, start, end)
    sub = stmt.add_columns(func.date(column).label("day")).where(column >= low, column < high).subquery()
    rows = session.execute(select(sub.c.day, func.count()).group_by(sub.c.day)).all()
    index = pd.date_range(start.date(), (end - dt.timedelta(microseconds=1)).date(), freq="D")
    found = pd.Series({pd.Timestamp(d): int(n) for d, n in rows}, dtype=int)
    return found.reindex(index, fill_value=0).astype(int)


def lead_count(session: Session, scope: Scope, statuses: tuple[str, ...], *, levels: tuple[str, ...] | None = None
               ) -> int:
    """Risk leads now in one of ``statuses`` (and of ``levels`` when given): a stock, not a flow."""
    stmt = select(func.count()).select_from(RiskLead).where(RiskLead.status.in_(statuses))
    if levels:
        stmt = stmt.where(RiskLead.level.in_(levels))
    return session.scalar(scope.restrict(stmt, RiskLead.dept_code)) or 0


def freshness(session: Session) -> pd.DataFrame:
    """Latest record per source (``数据截至`` per source): columns source, latest."""
    sources = [("12345 工单", func.max(HotlineTicket.accepted_at)), ("行政检查", func.max(Inspection.check_date)),
               ("行政处罚", func.max(Penalty.decided_at)), ("无证无照线索", func.max(UnlicensedLead.found_at)),
               ("信用名单", func.max(CreditList.in_date)), ("风险线索", func.max(RiskLead.created_at))]
    rows = [(name, session.scalar(select(expr))) for name, expr in sources]
    return pd.DataFrame(rows, columns=["source", "latest"])
