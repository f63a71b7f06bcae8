"""Read-side queries of the analyst pages: overview KPIs, complaint analytics, catalogue coverage,
unlicensed-business governance and model cards.

Functions take a session and a ``Scope`` first and never commit. A department head's rows are limited
server-side (complaints by handling department, leads and unlicensed leads by responsible department,
catalogue items by owning department). Complaint rows leave here already masked for roles outside
PII_ROLES. Reads are reads: the page that shows unmasked rows records the view
(``security.audit.record_pii_view``, with ``COMPLAINT_PII_FIELDS``).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import Session

from data_access import limits, privacy
from data_access.codes import DEPARTMENT_BY_KEY
from data_access.schema import (
    CheckImpl,
    ComplaintFeature,
    CreditList,
    Department,
    HotlineCategory,
    HotlineTicket,
    Inspection,
    ModelBacktest,
    Penalty,
    Region,
    RegItem,
    RiskLead,
    UnlicensedLead,
)
from data_access.scope import Scope

SEARCH_MAX_CHARS = limits.max_chars("search")  # longest full-text query accepted (a LIKE pattern, not a query language)
HOT_WORD_SAMPLE = 5_000  # most recent matching orders whose stored tokens give a selection's hot words (keeps it < 200 ms)
_SCJG_KEY = "SCJG"  # 无照 → 市场监管 (国务院令第684号 第6条)


def month_of(session: Session, column: ColumnElement) -> ColumnElement:
    """``YYYY-MM`` of a date/datetime column, in the session's SQL dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# ------------------------------------------------------------------------------------------- overview


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


def unlicensed_as_of(session: Session) -> dt.datetime | None:
    """When the latest 无证无照 lead was found (that page's "数据截至": its periods count back from it)."""
    return session.scalar(select(func.max(UnlicensedLead.found_at)))


def freshness(session: Session) -> pd.DataFrame:
    """Latest record per source (``数据截至`` per source): columns source, latest."""
    sources = [("12345 工单", func.max(HotlineTicket.accepted_at)), ("行政检查", func.max(Inspection.check_date)),
               ("行政处罚", func.max(Penalty.decided_at)), ("无证无照线索", func.max(UnlicensedLead.found_at)),
               ("信用名单", func.max(CreditList.in_date)), ("风险线索", func.max(RiskLead.created_at))]
    rows = [(name, session.scalar(select(expr))) for name, expr in sources]
    return pd.DataFrame(rows, columns=["source", "latest"])


# ------------------------------------------------------------------------------------ complaint analytics


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
    cells = _cells(scope, month_of(session, HotlineTicket.accepted_at).label("month"), regions=regions,
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

    Columns: hot_issue_id, n, first, last, title (the latest order's title, masked per role), region.
    """
    t, f = HotlineTicket, ComplaintFeature
    stmt = _tickets(select(f.hot_issue_id, func.count().label("n"), func.min(t.accepted_at), func.max(t.accepted_at),
                           func.max(t.ticket_id)).select_from(t).join(f, f.ticket_id == t.ticket_id)
                    .where(f.hot_issue_id.is_not(None)), scope,
                    regions=regions, categories=categories, start=start, text=text)
    stmt = stmt.group_by(f.hot_issue_id).order_by(func.count().desc(), f.hot_issue_id).limit(limit)
    df = pd.DataFrame(session.execute(stmt).all(), columns=["hot_issue_id", "n", "first", "last", "latest_ticket"])
    if df.empty:
        return df.drop(columns="latest_ticket").assign(title=[], region=[])
    latest = pd.DataFrame(session.execute(
        select(t.ticket_id, t.title, Region.name).join(Region, Region.region_code == t.region_code)
        .where(t.ticket_id.in_(df["latest_ticket"].tolist()))).all(), columns=["latest_ticket", "title", "region"])
    df = df.merge(latest, on="latest_ticket", how="left").drop(columns="latest_ticket")
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


# ---------------------------------------------------------------------------------- catalogue coverage


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


# ------------------------------------------------------------------------------- unlicensed governance


def _unlicensed(stmt: Select, scope: Scope, regions: list[str] | None, start: dt.datetime | None) -> Select:
    u = UnlicensedLead
    stmt = scope.restrict(stmt, u.resp_dept_code)
    if regions:
        stmt = stmt.where(u.region_code.in_(regions))
    if start:
        stmt = stmt.where(u.found_at >= start)
    return stmt


def unlicensed_open_count(session: Session, scope: Scope) -> int:
    """无证无照 leads not yet closed (销号), whenever found: the stock the trend's 月末未销号 line ends at."""
    u = UnlicensedLead
    return session.scalar(_unlicensed(select(func.count()).select_from(u).where(u.closed_at.is_(None)),
                                      scope, None, None)) or 0


def unlicensed_by(session: Session, scope: Scope, column: str, *, regions: list[str] | None = None,
                  start: dt.datetime | None = None) -> pd.DataFrame:
    """Lead counts by ``source`` × ``status`` (``column="source"``) or per county (``column="region"``).

    Columns: source, status, n — or code, name, n."""
    u = UnlicensedLead
    if column == "source":
        stmt = _unlicensed(select(u.source, u.status, func.count()), scope, regions, start).group_by(u.source, u.status)
        return pd.DataFrame(session.execute(stmt.order_by(u.source, u.status)).all(), columns=["source", "status", "n"])
    if column == "region":
        stmt = (_unlicensed(select(u.region_code, Region.name, func.count()), scope, None, start)
                .join(Region, Region.region_code == u.region_code).group_by(u.region_code, Region.name)
                .order_by(func.count().desc(), u.region_code))
        return pd.DataFrame(session.execute(stmt).all(), columns=["code", "name", "n"])
    raise ValueError(f"unknown grouping {column!r}")


def unlicensed_routing(session: Session, scope: Scope, *, regions: list[str] | None = None,
                       start: dt.datetime | None = None) -> pd.DataFrame:
    """Who investigates, by kind (国务院令第684号: 无照 → 市场监管 art. 6; 无证 and 无证无照 → the permit
    department, art. 5 and 7). Columns: kind, dept, is_market_regulator, n, open_n, rule, conforms.

    ``conforms`` is False only where the rule is checkable from the data: a 无照 lead routed anywhere
    but market regulation (which permit department is right for 无证 depends on the permit)."""
    u = UnlicensedLead
    is_open = case((u.closed_at.is_(None), 1), else_=0)
    stmt = (_unlicensed(select(u.kind, Department.short_name, Department.dept_key, func.count(), func.sum(is_open)),
                        scope, regions, start)
            .join(Department, Department.dept_code == u.resp_dept_code)
            .group_by(u.kind, Department.short_name, Department.dept_key).order_by(u.kind, func.count().desc()))
    df = pd.DataFrame(session.execute(stmt).all(), columns=["kind", "dept", "dept_key", "n", "open_n"])
    df["open_n"] = df["open_n"].fillna(0).astype(int)
    df["is_market_regulator"] = df["dept_key"] == _SCJG_KEY
    df["rule"] = df["kind"].map({"无照": f"{DEPARTMENT_BY_KEY[_SCJG_KEY].short_name}查处（第六条）",
                                 "无证": "许可审批部门查处（第五条）", "无证无照": "许可审批部门查处（第七条）"})
    df["conforms"] = ~((df["kind"] == "无照") & ~df["is_market_regulator"])
    return df.drop(columns="dept_key")


def unlicensed_trend(session: Session, scope: Scope, *, regions: list[str] | None = None,
                     start: dt.datetime | None = None) -> pd.DataFrame:
    """Leads found and closed per month, and the open stock at each month's end.

    Columns: month, found, closed, open_end."""
    u = UnlicensedLead
    found_m, closed_m = month_of(session, u.found_at), month_of(session, u.closed_at)
    found = pd.DataFrame(session.execute(_unlicensed(select(found_m, func.count()), scope, regions, None)
                                         .group_by(found_m)).all(), columns=["month", "found"])
    closed = pd.DataFrame(session.execute(_unlicensed(select(closed_m, func.count()), scope, regions, None)
                                          .where(u.closed_at.is_not(None)).group_by(closed_m)).all(),
                          columns=["month", "closed"])
    df = found.merge(closed, on="month", how="outer").fillna(0).sort_values("month").reset_index(drop=True)
    df[["found", "closed"]] = df[["found", "closed"]].astype(int)
    df["open_end"] = (df["found"] - df["closed"]).cumsum()
    if start:
        df = df[df["month"] >= f"{start:%Y-%m}"]
    return df.reset_index(drop=True)


UNLICENSED_COLUMNS = {"lead_no": "线索编号", "found_at": "发现时间", "source": "来源", "kind": "类型",
                      "suspect_name": "经营者/店招", "region": "区县", "address": "地址", "dept": "责任部门", "status": "状态",
                      "closed_at": "销号时间"}


def unlicensed_rows(session: Session, scope: Scope, *, regions: list[str] | None = None,
                    start: dt.datetime | None = None, limit: int = 500) -> pd.DataFrame:
    """Latest leads in the selection (columns of ``UNLICENSED_COLUMNS``); no complainant data is stored."""
    u = UnlicensedLead
    stmt = (_unlicensed(select(u.lead_no, u.found_at, u.source, u.kind, u.suspect_name, Region.name, u.address,
                               Department.short_name, u.status, u.closed_at), scope, regions, start)
            .join(Region, Region.region_code == u.region_code)
            .join(Department, Department.dept_code == u.resp_dept_code)
            .order_by(u.found_at.desc(), u.lead_id.desc()).limit(limit))
    return pd.DataFrame(session.execute(stmt).all(), columns=list(UNLICENSED_COLUMNS))


# -------------------------------------------------------------------------------------------- model cards


def backtest_results(session: Session) -> pd.DataFrame:
    """Every stored backtest row (written by ``bianjian eval``), oldest run first, as stored.

    An empty frame when nothing is stored; the page then says so instead of inventing numbers.
    """
    b = ModelBacktest
    stmt = select(b.model, b.dataset, b.metric, b.value, b.n, b.run_id, b.run_at, b.note).order_by(
        b.run_at, b.backtest_id)
    return pd.DataFrame(session.execute(stmt).mappings().all())


def review_curve(session: Session) -> pd.DataFrame:
    """The latest stored coverage / accuracy curve of each model with a review gate (rows
    ``routed_share@T`` / ``routed_accuracy@T`` of ``derived_model_backtest``, text_mining.review.curve_rows).

    Columns: model, dataset (what it was measured on), run_at, threshold, coverage (share routed
    automatically), accuracy (of those), n.
    """
    b = ModelBacktest
    rows = pd.DataFrame(session.execute(select(b.model, b.dataset, b.run_id, b.run_at, b.metric, b.value, b.n)
                                        .where(b.metric.like("routed\\_%@%", escape="\\"))).all(),
                        columns=["model", "dataset", "run_id", "run_at", "metric", "value", "n"])
    columns = ["model", "dataset", "run_at", "threshold", "coverage", "accuracy", "n"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    latest = rows.sort_values("run_at").groupby("model")["run_id"].last()
    rows = rows[rows["run_id"].isin(latest)]
    parts = rows["metric"].str.extract(r"routed_(share|accuracy)@([0-9.]+)")
    rows = rows.assign(kind=parts[0], threshold=parts[1].astype(float))
    wide = rows.pivot_table(index=["model", "dataset", "run_at", "threshold"], columns="kind",
                            values="value").reset_index()
    n = rows[rows["kind"] == "share"].set_index(["model", "threshold"])["n"]
    wide["n"] = [n.get((m, t)) for m, t in zip(wide["model"], wide["threshold"], strict=True)]
    return wide.rename(columns={"share": "coverage"})[columns].sort_values(["model", "threshold"]).reset_index(drop=True)
