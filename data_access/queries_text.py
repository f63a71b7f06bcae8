"""Read-side queries over the text pipeline's tables (``derived_hot_word``, ``derived_hot_issue``).

Functions take a session first and never commit. Hot-issue titles and places come from complaint text,
so they leave here masked for roles outside PII_ROLES, like every complaint text.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from data_access import privacy
from data_access.schema import ComplaintFeature, HotIssue, HotlineTicket, HotWord, Region
from data_access.scope import Scope

__all__ = ["hot_word_week", "hot_words_around", "hot_words_for", "top_hot_issues", "unlinked_business_mentions"]


def top_hot_issues(session: Session, scope: Scope, *, regions: list[str] | None = None,
                   categories: list[str] | None = None, limit: int = 10) -> pd.DataFrame:
    """Hottest issues of the current sliding window, by heat. Columns: hot_issue_id, title, place, region,
    region_code, category_code, first_seen, last_seen, n_tickets, n_callers, growth, heat, severity."""
    h = HotIssue
    stmt = (select(h.hot_issue_id, h.title, h.place, Region.name, h.region_code, h.category_code, h.first_seen,
                   h.last_seen, h.n_tickets, h.n_callers, h.growth, h.heat, h.severity)
            .join(Region, Region.region_code == h.region_code).order_by(h.heat.desc(), h.hot_issue_id).limit(limit))
    if regions:
        stmt = stmt.where(h.region_code.in_(regions))
    if categories:
        stmt = stmt.where(h.category_code.in_(categories))
    df = pd.DataFrame(session.execute(stmt).all(), columns=[
        "hot_issue_id", "title", "place", "region", "region_code", "category_code", "first_seen", "last_seen",
        "n_tickets", "n_callers", "growth", "heat", "severity"])
    return privacy.mask_columns(df, scope, texts=["title", "place"])


def hot_word_week(as_of: dt.date) -> dt.date:
    """The week a "this week's hot words" panel shows on data up to ``as_of``: the Monday of the day three
    days before, so on Monday to Wednesday it is the full week before, not a week of a few hours' orders."""
    day = as_of - dt.timedelta(days=3)
    return day - dt.timedelta(days=day.weekday())


def hot_words_for(session: Session, *, period_start: dt.date | None = None, region_code: str | None = None,
                  category_code: str | None = None, limit: int = 20) -> pd.DataFrame:
    """Hot words of one week (default: the latest computed) from ``derived_hot_word``, for a county ×
    category cell, a county (``category_code`` None), or the whole city (both None).
    Columns: term, weight, doc_count, n_docs, burst_ratio, is_emerging (burst against the cell's own
    three preceding weeks), ordered by weight."""
    w = HotWord
    cell = [w.region_code.is_(None) if region_code is None else w.region_code == region_code,
            w.category_code.is_(None) if category_code is None else w.category_code == category_code]
    if period_start is None:
        period_start = session.scalar(select(func.max(w.period_start)).where(*cell))
    stmt = (select(w.term, w.weight, w.doc_count, w.n_docs, w.burst_ratio, w.is_emerging)
            .where(w.period_start == period_start, *cell).order_by(w.weight.desc(), w.term).limit(limit))
    return pd.DataFrame(session.execute(stmt).all(),
                        columns=["term", "weight", "doc_count", "n_docs", "burst_ratio", "is_emerging"])


def hot_words_around(session: Session, *, day: dt.date, region_code: str | None, category_code: str | None,
                     limit: int = 12) -> tuple[pd.DataFrame, str | None, str | None]:
    """Hot words of the week :func:`hot_word_week` picks for ``day``, of the narrowest stored cell: county ×
    category, else the county, else the city. Returns (words as :func:`hot_words_for`, region_code,
    category_code of the cell used)."""
    week = hot_word_week(day)
    cells = [(region_code, category_code)] if region_code and category_code else []
    cells += [(region_code, None)] if region_code else []
    for region, category in [*cells, (None, None)]:
        words = hot_words_for(session, period_start=week, region_code=region, category_code=category, limit=limit)
        if not words.empty:
            return words, region, category
    return words, None, None


def unlinked_business_mentions(conn: Connection, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Business names in orders accepted in [start, end] that matched no registered subject (the
    unlicensed-operator rule's candidates, already extracted by step text_features).
    Columns: ticket_id, day, region_code, mention."""
    t, f = HotlineTicket, ComplaintFeature
    stmt = (select(t.ticket_id, t.accepted_at, t.region_code, f.business_mention)
            .join(f, f.ticket_id == t.ticket_id)
            .where(f.linked_subject_uscc.is_(None), f.business_mention.is_not(None),
                   t.accepted_at >= dt.datetime.combine(start, dt.time()),
                   t.accepted_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
            .order_by(t.accepted_at, t.ticket_id))
    df = pd.DataFrame(conn.execute(stmt).all(), columns=["ticket_id", "day", "region_code", "mention"])
    df["day"] = pd.to_datetime(df["day"]).dt.normalize()
    return df
