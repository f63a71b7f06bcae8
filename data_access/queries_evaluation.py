"""Read-side queries of the evaluation area (rankings, bulletins, the department-head page).

Functions take a session first and never commit. Rankings are published to every unit (a 通报 is a
public comparison), so indicator values of all units are visible to every role; the numerator and
denominator behind another unit's value, and any lead, are detail a department head does not see.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, and_, case, delete, exists, func, insert, or_, select
from sqlalchemy.orm import Session

from data_access import codes, privacy, workdays
from data_access.reference import county_government_code
from data_access.schema import HotlineEvent, HotlineTicket, MonthlyIndicator, RiskLead, Setting
from data_access.scope import SYSTEM, Scope

WEIGHTS_SETTING_KEY = "evaluation_weights"
_VALUE_COLUMNS = ["month", "unit_code", "indicator_key", "unit_group", "numerator", "denominator", "value"]


def indicator_values(session: Session, scope: Scope, *, first: str | None = None, last: str | None = None,
                     group: str | None = None) -> pd.DataFrame:
    """Stored monthly indicator values for months ``first``..``last`` (``YYYY-MM``, inclusive).

    For a department head, numerator and denominator of units other than their own are blanked.
    """
    m = MonthlyIndicator
    stmt = select(*(getattr(m, c) for c in _VALUE_COLUMNS)).order_by(m.month, m.unit_group, m.unit_code)
    if first:
        stmt = stmt.where(m.month >= first)
    if last:
        stmt = stmt.where(m.month <= last)
    if group:
        stmt = stmt.where(m.unit_group == group)
    df = pd.DataFrame(session.execute(stmt).all(), columns=_VALUE_COLUMNS)
    for col in ("numerator", "denominator", "value"):
        df[col] = df[col].astype(float)
    return blank_other_units(df, scope)


def blank_other_units(df: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """For a department head, the counts behind other units' values (``numerator``, ``denominator`` and
    ``cases`` when present) blanked; values and what is derived from them stay."""
    if scope.all_departments:
        return df
    # a county government's head owns the county's row (counties are ranked by region code)
    own = {scope.dept_code} | {c.code for c in codes.COUNTIES if county_government_code(c.code) == scope.dept_code}
    df = df.copy()
    df.loc[~df.unit_code.isin(own), [c for c in ("numerator", "denominator", "cases") if c in df]] = float("nan")
    return df


def indicator_months(session: Session) -> list[str]:
    """Months that have indicator values, oldest first."""
    return list(session.scalars(select(MonthlyIndicator.month).distinct().order_by(MonthlyIndicator.month)))


def stored_weights_text(session: Session) -> str | None:
    """The administrator-saved weights TOML, or None when the default file applies."""
    return session.scalar(select(Setting.value).where(Setting.key == WEIGHTS_SETTING_KEY))


def store_weights_text(session: Session, text: str) -> None:
    """Replace the saved weights TOML (callers check the role and validate first)."""
    session.execute(delete(Setting).where(Setting.key == WEIGHTS_SETTING_KEY))
    session.execute(insert(Setting).values(key=WEIGHTS_SETTING_KEY, value=text))


_LEAD_COLUMNS = ["lead_id", "title", "level", "kind", "status", "region_code", "dept_code", "sign_deadline",
                 "signed_at", "handle_deadline", "overdue_since", "overdue_days", "overdue_stage"]


def overdue_leads(session: Session, scope: Scope, as_of: dt.datetime, *, region_code: str | None = None,
                  dept_code: str | None = None) -> pd.DataFrame:
    """Open risk leads past their sign or handling deadline at ``as_of``, most overdue first.

    A lead is overdue to sign when unsigned after ``sign_deadline``, and overdue to handle when no
    feedback came by ``handle_deadline``; a department head only ever gets their own department's leads.
    """
    lead = RiskLead
    late_sign = and_(lead.signed_at.is_(None), lead.sign_deadline < as_of)
    late_feedback = and_(lead.feedback_at.is_(None), lead.handle_deadline < as_of)
    stmt = (select(lead.lead_id, lead.title, lead.level, lead.kind, lead.status, lead.region_code, lead.dept_code,
                   lead.sign_deadline, lead.signed_at, lead.handle_deadline)
            .where(lead.closed_at.is_(None), or_(late_sign, late_feedback)))
    stmt = scope.restrict(stmt, lead.dept_code)
    if region_code:
        stmt = stmt.where(lead.region_code == region_code)
    if dept_code:
        stmt = stmt.where(lead.dept_code == dept_code)
    df = pd.DataFrame(session.execute(stmt).all(), columns=_LEAD_COLUMNS[:10])
    unsigned = df["signed_at"].isna() & (pd.to_datetime(df["sign_deadline"]) < pd.Timestamp(as_of))
    df["overdue_since"] = pd.to_datetime(df["sign_deadline"].where(unsigned, df["handle_deadline"]))
    df["overdue_days"] = (pd.Timestamp(as_of) - df["overdue_since"]).dt.total_seconds() // 86400
    df["overdue_stage"] = ["超期未签收" if u else "超期未反馈" for u in unsigned]
    df = privacy.mask_columns(df, scope, texts=["title"])
    return df.sort_values(["overdue_days", "lead_id"], ascending=[False, True]).reset_index(drop=True)[_LEAD_COLUMNS]


EXTENSION_APPROVED = "延期批准"  # the 12345 event (codes.HOTLINE_EVENTS) after which extension_days apply


def extension_approved():  # noqa: ANN201
    """SQL condition: the order's handling deadline was extended (an approved extension of > 0 days)."""
    t = HotlineTicket
    approved = exists().where(HotlineEvent.ticket_id == t.ticket_id, HotlineEvent.event == EXTENSION_APPROVED)
    return and_(t.extension_days > 0, approved)


def extended_tickets(db: Session | Connection, before: dt.datetime, *, scope: Scope = SYSTEM) -> pd.DataFrame:
    """12345 orders with an approved extension whose recorded deadline is before ``before``, with the
    deadline in force: ``handle_deadline`` moved by ``extension_days`` working days (domain.md §3.2).
    Columns: region_code, dept_code, deadline, finished_at. Orders without an approved extension keep
    ``handle_deadline`` and are counted in SQL with ``~extension_approved()``."""
    t = HotlineTicket
    stmt = (select(t.region_code, t.main_dept_code, t.handle_deadline, t.extension_days, t.finished_at)
            .where(t.handle_deadline < before, extension_approved()))
    rows = db.execute(scope.restrict(stmt, t.main_dept_code)).all()
    return pd.DataFrame({"region_code": [r[0] for r in rows], "dept_code": [r[1] for r in rows],
                         "deadline": pd.to_datetime([workdays.add_workdays(r[2], r[3]) for r in rows]),
                         "finished_at": pd.to_datetime([r[4] for r in rows])})


def overdue_ticket_counts(session: Session, scope: Scope, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """12345 orders whose handling deadline in force fell in ``[start, end)`` and were not finished by it,
    per county and per handling department: columns region_code, dept_code, due, overdue."""
    t = HotlineTicket
    late = or_(t.finished_at.is_(None), t.finished_at > t.handle_deadline)
    stmt = (select(t.region_code, t.main_dept_code, func.count(), func.sum(case((late, 1), else_=0)))
            .where(t.handle_deadline >= start, t.handle_deadline < end, ~extension_approved())
            .group_by(t.region_code, t.main_dept_code))
    stmt = scope.restrict(stmt, t.main_dept_code)
    df = pd.DataFrame(session.execute(stmt).all(), columns=["region_code", "dept_code", "due", "overdue"])
    ext = extended_tickets(session, end, scope=scope)
    ext = ext[(ext.deadline >= start) & (ext.deadline < end)]
    if len(ext):
        ext = ext.assign(due=1, overdue=(ext.finished_at.isna() | (ext.finished_at > ext.deadline)).astype(int))
        df = pd.concat([df, ext.groupby(["region_code", "dept_code"], as_index=False, dropna=False)[["due", "overdue"]]
                        .sum()], ignore_index=True)
    df["overdue"] = pd.to_numeric(df["overdue"]).fillna(0).astype(int)
    return df
