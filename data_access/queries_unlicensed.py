"""Read-side queries of 无证无照治理: leads by source, status and county, who investigates them by kind
(国务院令第684号), the monthly found / closed / open trend, and the latest leads.

Functions take a session (and a ``Scope`` where rows are scoped) first and never commit. A department head
sees the leads their department is responsible for. No complainant data is stored with these leads.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from data_access.codes import DEPARTMENT_BY_KEY
from data_access.schema import Department, Region, UnlicensedLead
from data_access.scope import Scope
from data_access.sql_dates import month_of

_SCJG_KEY = "SCJG"  # 无照 → 市场监管 (国务院令第684号 第6条)


def unlicensed_as_of(session: Session) -> dt.datetime | None:
    """When the latest 无证无照 lead was found (that page's "数据截至": its periods count back from it)."""
    return session.scalar(select(func.max(UnlicensedLead.found_at)))


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
    found_m, closed_m = month_of(u.found_at), month_of(u.closed_at)
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
