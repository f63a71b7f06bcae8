"""Read-side queries of 投诉分析 (and the complaints 企业画像 shows): orders per county, category and month
under the page's filters and full-text search, the orders themselves, hot issues and the stored tokens
behind a selection's hot words.

Functions take a session (and a ``Scope`` where rows are scoped) first and never commit. A department head
sees the orders their department handles. Complaint rows and titles leave here already masked for roles
outside PII_ROLES. Reads are reads: the page that shows unmasked rows records the view
(``security.audit.record_pii_view``, with ``COMPLAINT_PII_FIELDS``).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from data_access import limits, privacy
from data_access.schema import ComplaintFeature, Department, HotIssue, HotlineCategory, HotlineTicket, Region
from data_access.scope import Scope
from data_access.sql_dates import month_of

SEARCH_MAX_CHARS = limits.max_chars("search")  # longest full-text query accepted (a LIKE pattern, not a query language)
HOT_WORD_SAMPLE = 5_000  # most recent matching orders whose stored tokens give a selection's hot words (keeps it < 200 ms)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _tickets(stmt: Select, scope: Scope, *, regions: list[str] | None, categories: list[str] | None,
             start: dt.datetime | None, text: str | None) -> Select:
    t = HotlineTicket
    stmt = scope.restrict(stmt, t.main_dept_code)
    if regions:
        stmt = stmt.where(t.region_code.in_(regions))
    if categories:
        stmt = stmt.where(t.category_code.in_(categories))
    if start:
        stmt = stmt.where(t.accepted_at >= start)
    if text and text.strip():
        pattern = _like(text.strip()[:SEARCH_MAX_CHARS])
        stmt = stmt.where(or_(t.title.like(pattern, escape="\\"), t.content.like(pattern, escape="\\")))
    return stmt


def complaint_counts(session: Session, scope: Scope, by: str, *, regions: list[str] | None = None,
                     categories: list[str] | None = None, start: dt.datetime | None = None,
                     text: str | None = None) -> pd.DataFrame:
    """Orders per county (``by="region"``) or level-1 category (``by="category"``), largest first.

    Columns: code, name, n. Pages pass every filter except the one this panel sets, so a clicked bar
    stays visible among its peers (it is highlighted, not left alone).
    """
    if by not in ("region", "category"):
        raise ValueError(f"unknown grouping {by!r}")
    cells = _cells(scope, regions=regions, categories=categories, start=start, text=text)
    if by == "region":
        key, dim_key, dim_name = cells.c.region_code, Region.region_code, Region.name
    else:
        key, dim_key, dim_name = cells.c.category_code, HotlineCategory.cat_code, HotlineCategory.name
    n = func.sum(cells.c.n)
    stmt = (select(key, dim_name, n.label("n")).join(dim_key.table, dim_key == key)
            .group_by(key, dim_name).order_by(n.desc(), key))
    return pd.DataFrame(session.execute(stmt).all(), columns=["code", "name", "n"]).astype({"n": int})


def _cells(scope: Scope, *extra: ColumnElement, **filters) -> Select:  # noqa: ANN003
    """Orders per county × category (× ``extra`` columns) under the filters, as a subquery. Grouping by
    county and category first lets the database answer from the (region, category, accepted_at) index
    alone; grouping by one of them directly made SQLite walk that column's index and read every row."""
    t = HotlineTicket
    stmt = _tickets(select(t.region_code, t.category_code, *extra, func.count().label("n")), scope, **filters)
    return stmt.group_by(t.region_code, t.category_code, *extra).subquery()


def complaint_monthly(session: Session, scope: Scope, *, regions: list[str] | None = None,
                      categories: list[str] | None = None, start: dt.datetime | None = None,
                      text: str | None = None, top: int = 8) -> pd.DataFrame:
    """Monthly orders of the ``top`` categories in the selection (others summed as 其他类别).

    Columns: month (YYYY-MM), name, n.
    """
    cells = _cells(scope, month_of(HotlineTicket.accepted_at).label("month"), regions=regions,
                   categories=categories, start=start, text=text)
    stmt = (select(cells.c.month, cells.c.category_code, HotlineCategory.name, func.sum(cells.c.n))
            .join(HotlineCategory, HotlineCategory.cat_code == cells.c.category_code)
            .group_by(cells.c.month, cells.c.category_code, HotlineCategory.name))
    df = pd.DataFrame(session.execute(stmt).all(), columns=["month", "code", "name", "n"]).astype({"n": int})
    if df.empty:
        return df[["month", "name", "n"]]
    leaders = df.groupby("name")["n"].sum().nlargest(top).index
    df["name"] = df["name"].where(df["name"].isin(leaders), "其他类别")
    return df.groupby(["month", "name"], as_index=False)["n"].sum().sort_values(["month", "name"])


COMPLAINT_COLUMNS = {
    "ticket_id": "工单ID", "order_no": "工单编号", "accepted_at": "受理时间", "region": "区县", "category": "诉求类别",
    "appeal_type": "诉求类型", "title": "标题", "content": "诉求内容", "caller_name": "来电人", "caller_phone": "联系电话",
    "status": "状态", "dept": "承办单位", "subject_uscc": "涉及主体代码",
}
# The personal-data columns of ``complaint_rows`` an audit row of a view or an export names.
COMPLAINT_PII_FIELDS = ("caller_name", "caller_phone", "content")
_SORTABLE = {"accepted_at", "order_no", "region", "category", "status"}


def complaint_rows(session: Session, scope: Scope, *, regions: list[str] | None = None,
                   categories: list[str] | None = None, start: dt.datetime | None = None, text: str | None = None,
                   ticket_ids: Select | None = None, offset: int = 0, limit: int = 100,
                   sort: str = "accepted_at", descending: bool = True) -> tuple[pd.DataFrame, int]:
    """One page of matching orders (columns of ``COMPLAINT_COLUMNS``) and the total number matching;
    ``ticket_ids`` (a select of ticket ids) narrows to given orders, e.g. those naming one enterprise.

    Names, phones and personal numbers in the text are masked unless ``scope.sees_pii``. Nothing is
    recorded here: a page showing the rows audits the view (``security.audit.record_pii_view``), an export
    audits the export (``ui.exports.record``).
    """
    t = HotlineTicket
    cols = {"ticket_id": t.ticket_id, "order_no": t.order_no, "accepted_at": t.accepted_at, "region": Region.name,
            "category": HotlineCategory.name, "appeal_type": t.appeal_type, "title": t.title, "content": t.content,
            "caller_name": t.caller_name, "caller_phone": t.caller_phone, "status": t.status,
            "dept": Department.short_name, "subject_uscc": t.subject_uscc}
    base = _tickets(select(t.ticket_id), scope, regions=regions, categories=categories, start=start, text=text)
    if ticket_ids is not None:
        base = base.where(t.ticket_id.in_(ticket_ids))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    order = cols[sort if sort in _SORTABLE else "accepted_at"]
    stmt = (_tickets(select(*(c.label(k) for k, c in cols.items())), scope, regions=regions, categories=categories,
                     start=start, text=text)
            .join(Region, Region.region_code == t.region_code)
            .join(HotlineCategory, HotlineCategory.cat_code == t.category_code)
            .outerjoin(Department, Department.dept_code == t.main_dept_code)
            .order_by(order.desc() if descending else order.asc(), t.ticket_id.desc())
            .offset(max(offset, 0)).limit(max(limit, 0)))
    if ticket_ids is not None:
        stmt = stmt.where(t.ticket_id.in_(ticket_ids))
    df = pd.DataFrame(session.execute(stmt).all(), columns=list(cols))
    df = privacy.mask_columns(df, scope, names=["caller_name"], phones=["caller_phone"], texts=["title", "content"])
    return df, total


def text_mining_ran(session: Session) -> bool:
    """Whether the text-mining step has written any ``derived_complaint_feature`` rows."""
    return session.scalar(select(ComplaintFeature.ticket_id).limit(1)) is not None


def hot_issues(session: Session, scope: Scope, *, regions: list[str] | None = None,
               categories: list[str] | None = None, start: dt.datetime | None = None, text: str | None = None,
               limit: int = 10) -> pd.DataFrame:
    """Largest hot-issue clusters (``derived_complaint_feature.hot_issue_id``) in the selection.

    Columns: hot_issue_id, n (the selection's orders of the issue), first, last, title (the issue's title,
    the one the wall shows, masked per role), region.
    """
    t, f, h = HotlineTicket, ComplaintFeature, HotIssue
    stmt = _tickets(select(f.hot_issue_id, func.count().label("n"), func.min(t.accepted_at), func.max(t.accepted_at))
                    .select_from(t).join(f, f.ticket_id == t.ticket_id)
                    .where(f.hot_issue_id.is_not(None)), scope,
                    regions=regions, categories=categories, start=start, text=text)
    stmt = stmt.group_by(f.hot_issue_id).order_by(func.count().desc(), f.hot_issue_id).limit(limit)
    df = pd.DataFrame(session.execute(stmt).all(), columns=["hot_issue_id", "n", "first", "last"])
    if df.empty:
        return df.assign(title=[], region=[])
    named = pd.DataFrame(session.execute(
        select(h.hot_issue_id, h.title, Region.name).join(Region, Region.region_code == h.region_code)
        .where(h.hot_issue_id.in_(df["hot_issue_id"].tolist()))).all(), columns=["hot_issue_id", "title", "region"])
    df = df.merge(named, on="hot_issue_id", how="left")
    return privacy.mask_columns(df, scope, texts=["title"])


def selection_tokens(session: Session, scope: Scope, *, regions: list[str] | None = None,
                     categories: list[str] | None = None, start: dt.datetime | None = None, text: str | None = None
                     ) -> list[list[str]]:
    """The stored tokens (``derived_complaint_feature.tokens``) of the selection's latest ``HOT_WORD_SAMPLE``
    orders, one list per order: what ``text_mining.hotwords.selection_hot_words`` turns into a selection's
    hot words (the tokenising and the filter belong to text mining, the read to this layer)."""
    t, f = HotlineTicket, ComplaintFeature
    stmt = _tickets(select(f.tokens).select_from(t).join(f, f.ticket_id == t.ticket_id).where(f.tokens.is_not(None)), scope,
                    regions=regions, categories=categories, start=start, text=text)
    return [tokens.split() for tokens in session.scalars(stmt.order_by(t.accepted_at.desc()).limit(HOT_WORD_SAMPLE))]
