"""Read-side queries over risk leads, their timeline and joint-supervision parts — always scoped.

Every function takes ``session`` and ``scope`` first and filters server-side with
``scope.restrict(stmt, <department column>)``: a department head sees the leads their department leads
(and, for joint supervision, the parts their department holds), whatever a page asks for. Deadline states
(临期 / 超期) are computed in SQL against an explicit ``as_of`` so the wall, rankings and tests agree.
Lead titles, reasons, notes and evidence can quote complaints, so every function returns them through
``data_access.privacy`` (masked for roles outside ``PII_ROLES``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, and_, case, distinct, func, literal, not_, or_, select
from sqlalchemy.orm import Session, aliased

from data_access import codes, privacy
from data_access.deadline_states import DEADLINE_STATES, day_start, due_soon_cutoff, overdue_cutoff
from data_access.schema import Department, JointTask, JointTaskPart, Region, RiskLead, RiskLeadEvent
from data_access.scope import Scope
from data_access.workdays import workdays_between

L = RiskLead
OPEN = codes.LEAD_OPEN_STATUSES
LEAD_DEPT = aliased(Department, name="lead_dept")
# Severity rank of a level (RED 0 … BLUE 3, codes.LEAD_LEVELS order): the grid sorts 等级 by it, not by the code.
LEVEL_RANK = case({level: rank for rank, level in enumerate(codes.LEAD_LEVELS)}, value=L.level,
                  else_=len(codes.LEAD_LEVELS))
# The triage order when the user has not sorted: most severe level, then highest score, then oldest.
DEFAULT_ORDER = (LEVEL_RANK.asc(), L.score.desc(), L.created_at.asc())


def _scoped(stmt: Select, scope: Scope) -> Select:
    return scope.restrict(stmt, L.dept_code)


def active_deadline_expr() -> ColumnElement:
    """The running deadline: signing while 已转办, handling while 已签收/核查中, else NULL."""
    return case((L.status == "已转办", L.sign_deadline), (L.status.in_(OPEN[1:]), L.handle_deadline), else_=None)


def deadline_state_expr(as_of: dt.datetime) -> ColumnElement:
    """data_access.deadline_states.deadline_state in SQL (超期 from the first working day past the deadline)."""
    deadline = active_deadline_expr()
    return case((deadline < overdue_cutoff(as_of), "超期"), (deadline < day_start(as_of), "已到期"),
                (deadline < day_start(as_of, 1), "今日到期"), (deadline <= due_soon_cutoff(as_of), "临期"),
                (deadline.is_not(None), "正常"), else_=None)


# ----------------------------------------------------------------------------------- the leads table

# Grid field → SQL expression; the only columns a page may sort or filter on.
def _grid_columns(as_of: dt.datetime) -> dict[str, ColumnElement]:
    return {
        "lead_id": L.lead_id, "level": L.level, "title": L.title, "status": L.status, "kind": L.kind,
        "score": L.score, "dept_code": L.dept_code, "dept_name": LEAD_DEPT.short_name, "region_name": Region.name,
        "created_at": L.created_at, "deadline": active_deadline_expr(), "deadline_state": deadline_state_expr(as_of),
        "supervise_level": L.supervise_level, "return_count": L.return_count, "version": L.version,
    }


def _grid_select(as_of: dt.datetime) -> Select:
    cols = _grid_columns(as_of)
    return (select(*(expr.label(name) for name, expr in cols.items()))
            .outerjoin(LEAD_DEPT, LEAD_DEPT.dept_code == L.dept_code)
            .outerjoin(Region, Region.region_code == L.region_code))


def lead_page(session: Session, scope: Scope, *, as_of: dt.datetime, start: int = 0, end: int = 100,
              sort_model: list[dict] | None = None, filter_model: dict | None = None,
              statuses: list[str] | None = None, levels: list[str] | None = None) -> tuple[list[dict], int]:
    """One block of the leads table for AG Grid's infinite row model: rows ``start``..``end`` and the
    total row count after filtering. ``sort_model``/``filter_model`` are AG Grid's (text, number and date
    filters, simple or combined); unknown fields raise ``ValueError``. Without a sort the block comes in
    triage order (``DEFAULT_ORDER``); 等级 sorts by severity (ascending: 红 first)."""
    if start < 0 or end <= start or end - start > 1000:
        raise ValueError("bad block: 0 <= start < end, at most 1000 rows")
    cols = _grid_columns(as_of)
    conditions = _filter_conditions(cols, filter_model or {})
    if statuses:
        conditions.append(L.status.in_(statuses))
    if levels:
        conditions.append(L.level.in_(levels))
    order = []
    for item in sort_model or []:
        expr = LEVEL_RANK if item.get("colId") == "level" else _column(cols, item.get("colId"))
        order.append(expr.desc() if item.get("sort") == "desc" else expr.asc())
    order = [*(order or DEFAULT_ORDER), L.lead_id.desc()]
    # Deferred join: page over the lead table alone (indexed sorts, cheap OFFSET), then join the names
    # for the block's rows only — unless a filter or sort needs the joined names.
    joined = {"dept_name", "region_name"} & ({*(filter_model or {})} | {i.get("colId") for i in sort_model or []})
    page = _with_names(select(L.lead_id), joined).where(*conditions)
    page = _scoped(page, scope).order_by(*order).offset(start).limit(end - start).subquery()
    stmt = _grid_select(as_of).join(page, page.c.lead_id == L.lead_id).order_by(*order)
    rows = privacy.redact([_jsonable(r) for r in session.execute(stmt).mappings()], scope)
    total = session.scalar(_scoped(_with_names(select(func.count()).select_from(L), joined).where(*conditions), scope))
    return rows, total


def _with_names(stmt: Select, joined: bool) -> Select:
    if not joined:
        return stmt
    return (stmt.outerjoin(LEAD_DEPT, LEAD_DEPT.dept_code == L.dept_code)
            .outerjoin(Region, Region.region_code == L.region_code))


def _column(cols: dict[str, ColumnElement], field: str | None) -> ColumnElement:
    if field not in cols:
        raise ValueError(f"unknown column {field!r}")
    return cols[field]


_TEXT_OPS = {
    "contains": lambda c, v: c.contains(v, autoescape=True), "notContains": lambda c, v: not_(c.contains(v, autoescape=True)),
    "equals": lambda c, v: c == v, "notEqual": lambda c, v: c != v,
    "startsWith": lambda c, v: c.startswith(v, autoescape=True), "endsWith": lambda c, v: c.endswith(v, autoescape=True),
}
_ORDER_OPS = {
    "equals": lambda c, v: c == v, "notEqual": lambda c, v: c != v, "greaterThan": lambda c, v: c > v,
    "greaterThanOrEqual": lambda c, v: c >= v, "lessThan": lambda c, v: c < v, "lessThanOrEqual": lambda c, v: c <= v,
}


def _filter_conditions(cols: dict[str, ColumnElement], filter_model: dict) -> list[ColumnElement]:
    return [_one_filter(_column(cols, field), spec) for field, spec in filter_model.items()]


def _one_filter(col: ColumnElement, spec: dict) -> ColumnElement:
    if "conditions" in spec:
        parts = [_one_filter(col, {"filterType": spec.get("filterType"), **c}) for c in spec["conditions"]]
        return or_(*parts) if spec.get("operator") == "OR" else and_(*parts)
    kind, op = spec.get("filterType"), spec.get("type")
    if op == "blank":
        return col.is_(None)
    if op == "notBlank":
        return col.is_not(None)
    if kind == "text" and op in _TEXT_OPS:
        return _TEXT_OPS[op](col, str(spec.get("filter", "")))
    if kind in ("number", "date"):
        value, upper = _filter_value(kind, spec, "filter", "dateFrom"), _filter_value(kind, spec, "filterTo", "dateTo")
        if op == "inRange":
            return and_(col >= value, col <= upper)
        if op in _ORDER_OPS:
            return _ORDER_OPS[op](col, value)
    raise ValueError(f"unsupported filter {kind!r}/{op!r}")


def _filter_value(kind: str, spec: dict, number_key: str, date_key: str) -> Any:
    if kind == "number":
        return float(spec.get(number_key)) if spec.get(number_key) is not None else None
    raw = spec.get(date_key)
    return dt.datetime.fromisoformat(raw) if raw else None


def _jsonable(row) -> dict:  # noqa: ANN001
    return {k: (v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v) for k, v in row.items()}


def list_leads(session: Session, scope: Scope, *, as_of: dt.datetime, statuses: list[str] | None = None,
               dept_code: str | None = None, levels: list[str] | None = None, limit: int | None = None
               ) -> pd.DataFrame:
    """Leads newest first with department, running deadline and its state (the CLI's ``leads list``)."""
    stmt = _grid_select(as_of)
    if statuses:
        stmt = stmt.where(L.status.in_(statuses))
    if levels:
        stmt = stmt.where(L.level.in_(levels))
    if dept_code:
        stmt = stmt.where(L.dept_code == dept_code)
    stmt = _scoped(stmt, scope).order_by(L.created_at.desc(), L.lead_id.desc()).limit(limit)
    df = pd.DataFrame(session.execute(stmt).mappings().all(), columns=list(_grid_columns(as_of)))
    return privacy.mask_columns(df, scope, texts=["title"])


# ------------------------------------------------------------------------------------ one lead in full


def lead_detail(session: Session, scope: Scope, lead_id: int) -> dict | None:
    """A lead with evidence, departments, timeline and joint parts; None when it does not exist or the
    scope may not see it (its department leads it, or holds a part of its joint task)."""
    lead = session.get(L, lead_id)
    if lead is None or not _may_see(session, scope, lead):
        return None
    names = dict(session.execute(select(Department.dept_code, Department.short_name)).all())
    data = {c.name: getattr(lead, c.key) for c in L.__table__.columns}
    data["dept_name"] = names.get(lead.dept_code)
    data["co_dept_names"] = [names.get(c, c) for c in (lead.co_dept_codes or "").split(",") if c]
    data["region_name"] = session.scalar(select(Region.name).where(Region.region_code == lead.region_code))
    data["events"] = session.execute(
        select(RiskLeadEvent.event_id, RiskLeadEvent.at, RiskLeadEvent.action, RiskLeadEvent.from_status,
               RiskLeadEvent.to_status, RiskLeadEvent.actor, RiskLeadEvent.note, RiskLeadEvent.detail)
        .where(RiskLeadEvent.lead_id == lead_id).order_by(RiskLeadEvent.at, RiskLeadEvent.event_id)).mappings().all()
    data["events"] = [dict(e) for e in data["events"]]
    data["parts"] = [dict(p) for p in session.execute(
        select(JointTaskPart.part_id, JointTaskPart.dept_code, Department.short_name.label("dept_name"),
               JointTaskPart.duty, JointTaskPart.status, JointTaskPart.done_at)
        .join(Department, Department.dept_code == JointTaskPart.dept_code)
        .where(JointTaskPart.task_id == lead.joint_task_id).order_by(JointTaskPart.part_id)).mappings()
    ] if lead.joint_task_id else []
    return privacy.redact(data, scope)


def _may_see(session: Session, scope: Scope, lead: RiskLead) -> bool:
    by_lead = _scoped(select(L.lead_id).where(L.lead_id == lead.lead_id), scope)
    if session.scalar(by_lead) is not None:
        return True
    if lead.joint_task_id is None:
        return False
    by_part = scope.restrict(select(JointTaskPart.part_id).where(JointTaskPart.task_id == lead.joint_task_id),
                             JointTaskPart.dept_code)
    return session.execute(by_part.limit(1)).first() is not None


# ------------------------------------------------------------------------------- wall and rankings


def lead_status_counts(session: Session, scope: Scope, as_of: dt.datetime) -> dict[str, int]:
    """Leads per status (退回 = returned leads waiting to be re-triaged), plus the deadline states other
    than 正常 (超期, 已到期, 今日到期, 临期) and 督办中 among the open ones."""
    by_status = dict(session.execute(_scoped(select(L.status, func.count()).group_by(L.status), scope)).all())
    counts = {s: int(by_status.get(s, 0)) for s in codes.LEAD_STATUSES if s != "退回"}
    counts["退回"] = session.scalar(_scoped(select(func.count()).select_from(L)
                                          .where(L.status == "待研判", L.return_count > 0), scope))
    state = deadline_state_expr(as_of)
    by_state = dict(session.execute(_scoped(select(state, func.count()).where(L.status.in_(OPEN)).group_by(state),
                                            scope)).all())
    counts.update({s: int(by_state.get(s, 0)) for s in DEADLINE_STATES if s != "正常"})
    counts["督办中"] = session.scalar(_scoped(select(func.count()).select_from(L)
                                           .where(L.status.in_(OPEN), L.supervise_level.is_not(None)), scope))
    return counts


def _deadline_leads(session: Session, scope: Scope, as_of: dt.datetime, state: str) -> pd.DataFrame:
    deadline = active_deadline_expr()
    stmt = (select(L.lead_id, L.title, L.level, L.status, L.dept_code, Department.short_name.label("dept_name"),
                   deadline.label("deadline"), L.supervise_level,
                   case((L.status == "已转办", "签收"), else_="办理").label("deadline_kind"))
            .outerjoin(Department, Department.dept_code == L.dept_code)
            .where(L.status.in_(OPEN), deadline_state_expr(as_of) == state).order_by(deadline, L.lead_id))
    df = pd.DataFrame(session.execute(_scoped(stmt, scope)).mappings().all(),
                      columns=["lead_id", "title", "level", "status", "dept_code", "dept_name", "deadline",
                               "supervise_level", "deadline_kind"])
    return privacy.mask_columns(df, scope, texts=["title"])


def overdue_leads(session: Session, scope: Scope, as_of: dt.datetime) -> pd.DataFrame:
    """Open leads at least one working day past their running deadline (签收超期 while 已转办, else 办理超期),
    oldest deadline first, with ``overdue_workdays`` (working days since the deadline, always ≥ 1)."""
    df = _deadline_leads(session, scope, as_of, "超期")
    df["overdue_workdays"] = [workdays_between(d.date(), as_of.date()) for d in df["deadline"]]
    return df


def due_soon_leads(session: Session, scope: Scope, as_of: dt.datetime) -> pd.DataFrame:
    """Open leads with at most one working day left (临期)."""
    return _deadline_leads(session, scope, as_of, "临期")


def due_today_leads(session: Session, scope: Scope, as_of: dt.datetime) -> pd.DataFrame:
    """Open leads whose running deadline ends on ``as_of``'s day (今日到期)."""
    return _deadline_leads(session, scope, as_of, "今日到期")


FUNNEL_STAGES = (("生成", None), ("已转办", "dispatch"), ("已签收", "sign"), ("核查中", "start"),
                 ("已反馈", "feedback"), ("已办结", "close"))


def dispatch_funnel(session: Session, scope: Scope, *, since: dt.datetime | None = None,
                    until: dt.datetime | None = None) -> pd.DataFrame:
    """How many leads created in [since, until) ever reached each stage (from the timeline), plus the
    side exits 退回 (ever returned) and 误报. Columns: stage, n."""
    created = []
    if since is not None:
        created.append(L.created_at >= since)
    if until is not None:
        created.append(L.created_at < until)
    total = session.scalar(_scoped(select(func.count()).select_from(L).where(*created), scope))
    reached = dict(session.execute(_scoped(
        select(RiskLeadEvent.action, func.count(distinct(RiskLeadEvent.lead_id)))
        .join(L, L.lead_id == RiskLeadEvent.lead_id).where(*created).group_by(RiskLeadEvent.action), scope)).all())
    rows = [(stage, total if action is None else int(reached.get(action, 0))) for stage, action in FUNNEL_STAGES]
    rows += [("退回", int(reached.get("return", 0))), ("误报", int(reached.get("dismiss", 0)))]
    return pd.DataFrame(rows, columns=["stage", "n"])


def dept_lead_performance(session: Session, scope: Scope, as_of: dt.datetime, *,
                          since: dt.datetime | None = None) -> pd.DataFrame:
    """Per lead department, over leads dispatched since ``since``: dispatched, signed on time, fed back,
    fed back on time, overdue (fed back late, or open past its deadline at ``as_of``), returned, escalated,
    and ``overdue_rate`` — the input of the department ranking."""
    late_feedback = and_(L.feedback_at.is_not(None), L.feedback_at > L.handle_deadline)
    open_overdue = and_(L.status.in_(OPEN), active_deadline_expr() < as_of)
    stmt = (select(L.dept_code, Department.short_name.label("dept_name"),
                   func.count().label("dispatched"),
                   func.sum(case((L.signed_at <= L.sign_deadline, 1), else_=0)).label("signed_on_time"),
                   func.sum(case((L.feedback_at.is_not(None), 1), else_=0)).label("fed_back"),
                   func.sum(case((L.feedback_at <= L.handle_deadline, 1), else_=0)).label("fed_back_on_time"),
                   func.sum(case((or_(late_feedback, open_overdue), 1), else_=0)).label("overdue"),
                   func.sum(L.return_count).label("returned"),
                   func.sum(case((L.supervise_level.is_not(None), 1), else_=0)).label("escalated"))
            .join(Department, Department.dept_code == L.dept_code)
            .where(L.dispatched_at.is_not(None), *([L.dispatched_at >= since] if since else []))
            .group_by(L.dept_code, Department.short_name).order_by(L.dept_code))
    df = pd.DataFrame(session.execute(_scoped(stmt, scope)).mappings().all(),
                      columns=["dept_code", "dept_name", "dispatched", "signed_on_time", "fed_back",
                               "fed_back_on_time", "overdue", "returned", "escalated"])
    num = ["dispatched", "signed_on_time", "fed_back", "fed_back_on_time", "overdue", "returned", "escalated"]
    df[num] = df[num].fillna(0).astype(int)
    df["overdue_rate"] = (df["overdue"] / df["dispatched"]).round(4)
    return df.sort_values(["overdue_rate", "dept_code"], ascending=[False, True], ignore_index=True)


# --------------------------------------------------------------------------------- department inbox


def inbox(session: Session, scope: Scope, as_of: dt.datetime) -> pd.DataFrame:
    """The department's queue: leads it leads that are dispatched, signed, being checked or fed back,
    and joint leads where it holds an open part (``role`` 牵头 / 协办). Most urgent deadline first."""
    deadline = active_deadline_expr()
    cols = (L.lead_id, L.title, L.level, L.status, L.version, L.dept_code, L.reason, deadline.label("deadline"),
            deadline_state_expr(as_of).label("deadline_state"), L.supervise_level, L.extension_request_days)
    own = _scoped(select(*cols, literal("牵头").label("role"))
                  .where(L.status.in_((*OPEN, "已反馈"))), scope)
    frames = [pd.DataFrame(session.execute(own).mappings().all())]
    if not scope.all_departments:
        part = scope.restrict(select(JointTaskPart.task_id).where(JointTaskPart.status == "进行中"),
                              JointTaskPart.dept_code)
        co = (select(*cols, literal("协办").label("role"))
              .where(L.joint_task_id.in_(part), L.dept_code != scope.dept_code, L.status.in_((*OPEN, "已反馈"))))
        frames.append(pd.DataFrame(session.execute(co).mappings().all()))
    columns = ["lead_id", "title", "level", "status", "version", "dept_code", "reason", "deadline",
               "deadline_state", "supervise_level", "extension_request_days", "role"]
    df = pd.concat([f for f in frames if not f.empty] or [pd.DataFrame(columns=columns)], ignore_index=True)
    df = privacy.mask_columns(df.reindex(columns=columns), scope, texts=["title", "reason"])
    return df.sort_values(["deadline", "lead_id"], na_position="last", ignore_index=True)


# ---------------------------------------------------------------------------------- joint supervision


def joint_list(session: Session, scope: Scope, as_of: dt.datetime, *, dept_code: str | None = None,
               status: str | None = None) -> pd.DataFrame:
    """联合监管清单: one row per department part of every joint task (plans and joint leads), with the
    task, its lead department, the linked lead if any, and ``overdue`` (open past the planned end).
    A department head sees the parts their department holds."""
    part_dept = aliased(Department, name="part_dept")
    stmt = (select(JointTaskPart.part_id, JointTask.task_id, JointTask.name.label("task_name"),
                   JointTask.status.label("task_status"), JointTask.planned_start, JointTask.planned_end,
                   LEAD_DEPT.short_name.label("lead_dept_name"), JointTaskPart.dept_code,
                   part_dept.short_name.label("dept_name"), JointTaskPart.duty, JointTaskPart.status,
                   JointTaskPart.done_at, L.lead_id,
                   and_(JointTaskPart.status == "进行中", JointTask.planned_end < as_of.date()).label("overdue"))
            .join(JointTask, JointTask.task_id == JointTaskPart.task_id)
            .join(part_dept, part_dept.dept_code == JointTaskPart.dept_code)
            .outerjoin(LEAD_DEPT, LEAD_DEPT.dept_code == JointTask.lead_dept_code)
            .outerjoin(L, L.joint_task_id == JointTask.task_id)
            .order_by(JointTaskPart.dept_code, JointTask.planned_end.desc(), JointTaskPart.part_id))
    if dept_code:
        stmt = stmt.where(JointTaskPart.dept_code == dept_code)
    if status:
        stmt = stmt.where(JointTaskPart.status == status)
    stmt = scope.restrict(stmt, JointTaskPart.dept_code)
    df = pd.DataFrame(session.execute(stmt).mappings().all(),
                      columns=["part_id", "task_id", "task_name", "task_status", "planned_start", "planned_end",
                               "lead_dept_name", "dept_code", "dept_name", "duty", "status", "done_at", "lead_id",
                               "overdue"])
    df["overdue"] = df["overdue"].astype(bool)
    return privacy.mask_columns(df, scope, texts=["task_name", "duty"])


def joint_summary(session: Session, scope: Scope, as_of: dt.datetime) -> pd.DataFrame:
    """Per department: joint parts held, done, in progress, overdue (open past the planned end), cancelled."""
    open_ = JointTaskPart.status == "进行中"
    stmt = (select(JointTaskPart.dept_code, Department.short_name.label("dept_name"), func.count().label("parts"),
                   func.sum(case((JointTaskPart.status == "已完成", 1), else_=0)).label("done"),
                   func.sum(case((open_, 1), else_=0)).label("in_progress"),
                   func.sum(case((and_(open_, JointTask.planned_end < as_of.date()), 1), else_=0)).label("overdue"),
                   func.sum(case((JointTaskPart.status == "已撤销", 1), else_=0)).label("cancelled"))
            .join(JointTask, JointTask.task_id == JointTaskPart.task_id)
            .join(Department, Department.dept_code == JointTaskPart.dept_code)
            .group_by(JointTaskPart.dept_code, Department.short_name).order_by(JointTaskPart.dept_code))
    df = pd.DataFrame(session.execute(scope.restrict(stmt, JointTaskPart.dept_code)).mappings().all(),
                      columns=["dept_code", "dept_name", "parts", "done", "in_progress", "overdue", "cancelled"])
    num = ["parts", "done", "in_progress", "overdue", "cancelled"]
    df[num] = df[num].fillna(0).astype(int)
    return df


def departments(session: Session) -> pd.DataFrame:
    """Departments for pickers: dept_code, dept_key, short_name, kind (bureaus first)."""
    order = case((Department.kind == "BUREAU", 0), (Department.kind == "VERTICAL", 1), (Department.kind == "GOV", 2),
                 else_=3)
    stmt = (select(Department.dept_code, Department.dept_key, Department.short_name, Department.kind)
            .order_by(order, Department.dept_key))
    return pd.DataFrame(session.execute(stmt).all(), columns=["dept_code", "dept_key", "short_name", "kind"])
