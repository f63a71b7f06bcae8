"""Read-side queries of the credit-supervision page: risk grades, credit lists, joint measures.

Grades and list entries are public credit information (公示), so every role sees all of them; the joint
reward/punishment measures a department applied, and their feedback, are scoped to that department for a
department head.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from data_access.schema import (
    CreditGrade,
    CreditGradeCount,
    CreditList,
    CreditMeasure,
    Department,
    JointMeasure,
    PipelineRun,
    Region,
    Subject,
)
from data_access.scope import Scope

CREDIT_GRADES_STEP = "credit_grades"  # the pipeline step that writes agg_credit_grade_region


def latest_grades() -> Select:
    """Subquery-ready select of each subject's latest grade: subject_uscc, grade, score, evaluated_on."""
    g = CreditGrade
    last = select(g.subject_uscc, func.max(g.evaluated_on).label("on")).group_by(g.subject_uscc).subquery()
    return (select(g.subject_uscc, g.grade, g.score, g.evaluated_on)
            .join(last, and_(last.c.subject_uscc == g.subject_uscc, last.c.on == g.evaluated_on)))


def grade_counts_by_region() -> Select:
    """Subjects per county code and latest grade, computed from the facts: region_code, grade, n.

    Costly at scale (every subject's latest grade), so the pipeline step ``credit_grades`` stores it in
    ``agg_credit_grade_region`` and the page reads that."""
    latest = latest_grades().subquery()
    return (select(Subject.region_code, latest.c.grade, func.count().label("n"))
            .join(latest, latest.c.subject_uscc == Subject.uscc)
            .group_by(Subject.region_code, latest.c.grade))


def grades_by_region(session: Session) -> pd.DataFrame:
    """Subjects per county and latest grade. Columns: code, name, grade, n.

    Read from the ``credit_grades`` mart; computed from the facts only while that step has never
    succeeded (a warehouse the pipeline has not run on yet), so the page is never empty for that reason."""
    built = session.scalar(select(PipelineRun.run_id).where(PipelineRun.step == CREDIT_GRADES_STEP,
                                                             PipelineRun.status == "ok").limit(1))
    counts = (select(CreditGradeCount.region_code, CreditGradeCount.grade, CreditGradeCount.n)
              if built is not None else grade_counts_by_region()).subquery()
    stmt = (select(counts.c.region_code, Region.name, counts.c.grade, counts.c.n)
            .join(Region, Region.region_code == counts.c.region_code)
            .order_by(counts.c.region_code, counts.c.grade))
    return pd.DataFrame(session.execute(stmt).all(), columns=["code", "name", "grade", "n"])


def _by_region(stmt: Select, regions: list[str] | None, uscc_column) -> Select:  # noqa: ANN001
    if not regions:
        return stmt
    return stmt.where(uscc_column.in_(select(Subject.uscc).where(Subject.region_code.in_(regions))))


def list_summary(session: Session, as_of: dt.date, *, regions: list[str] | None = None,
                 days: int = 90) -> pd.DataFrame:
    """Per list type: entries in force at ``as_of``, added and removed in the ``days`` before it.

    Columns: list_type, active, added, removed."""
    c = CreditList
    since = as_of - dt.timedelta(days=days)
    active = and_(c.in_date <= as_of, (c.out_date.is_(None)) | (c.out_date > as_of))
    stmt = select(c.list_type,
                  func.count().filter(active),
                  func.count().filter(c.in_date > since, c.in_date <= as_of),
                  func.count().filter(c.out_date > since, c.out_date <= as_of)).group_by(c.list_type)
    stmt = _by_region(stmt, regions, c.subject_uscc)
    return pd.DataFrame(session.execute(stmt.order_by(c.list_type)).all(),
                        columns=["list_type", "active", "added", "removed"])


LIST_ENTRY_COLUMNS = {"in_date": "列入日期", "list_type": "名单", "subject_name": "主体名称", "subject_uscc": "统一社会信用代码",
                      "region": "区县", "reason": "列入事由", "dept": "决定机关", "out_date": "移出日期"}


def list_entries(session: Session, *, list_types: list[str] | None = None, regions: list[str] | None = None,
                 limit: int = 200) -> pd.DataFrame:
    """Latest list entries, newest first (columns of ``LIST_ENTRY_COLUMNS``).

    Without a county filter the newest ``limit`` entries are taken from the list table before the join and
    kept when each joins exactly once (a known subject, county and department): joined first, the planner
    walks every subject (0.3 s at scale 1.0). Otherwise, and with a county filter (its index drives the
    join), the plain join answers."""
    entries = select(CreditList)
    if list_types:
        entries = entries.where(CreditList.list_type.in_(list_types))
    if not regions:
        newest = entries.order_by(CreditList.in_date.desc(), CreditList.list_entry_id.desc()).limit(limit)
        ids = session.scalars(select(newest.subquery().c.list_entry_id)).all()
        df = _joined_entries(session, newest, limit, regions)
        if len(df) == len(ids) and set(df.pop("list_entry_id")) == set(ids):
            return df
    return _joined_entries(session, entries, limit, regions).drop(columns="list_entry_id")


def _joined_entries(session: Session, entries: Select, limit: int, regions: list[str] | None) -> pd.DataFrame:
    e = entries.subquery()
    stmt = (select(e.c.in_date, e.c.list_type, Subject.name, e.c.subject_uscc, Region.name, e.c.reason,
                   Department.short_name, e.c.out_date, e.c.list_entry_id)
            .join(Subject, Subject.uscc == e.c.subject_uscc).join(Region, Region.region_code == Subject.region_code)
            .join(Department, Department.dept_code == e.c.decided_by_dept_code)
            .order_by(e.c.in_date.desc(), e.c.list_entry_id.desc()).limit(limit))
    if regions:
        stmt = stmt.where(Subject.region_code.in_(regions))
    return pd.DataFrame(session.execute(stmt).all(), columns=[*LIST_ENTRY_COLUMNS, "list_entry_id"])


def measure_loop(session: Session, scope: Scope, *, regions: list[str] | None = None) -> pd.DataFrame:
    """Joint measures by measure and feedback status (the closed loop applied → feedback).

    Columns: measure_code, measure, direction, result, n."""
    j = JointMeasure
    result = func.coalesce(j.result, "未反馈")
    stmt = (select(j.measure_code, CreditMeasure.name, CreditMeasure.direction, result, func.count())
            .join(CreditMeasure, CreditMeasure.measure_code == j.measure_code)
            .group_by(j.measure_code, CreditMeasure.name, CreditMeasure.direction, result).order_by(j.measure_code))
    stmt = _by_region(scope.restrict(stmt, j.applied_by_dept_code), regions, j.subject_uscc)
    return pd.DataFrame(session.execute(stmt).all(), columns=["measure_code", "measure", "direction", "result", "n"])


MEASURE_COLUMNS = {"applied_at": "实施日期", "measure": "措施", "direction": "方向", "subject_name": "主体名称",
                   "subject_uscc": "统一社会信用代码", "scenario": "应用场景", "dept": "实施部门", "result": "反馈状态"}


def measure_rows(session: Session, scope: Scope, *, regions: list[str] | None = None, subject_uscc: str | None = None,
                 limit: int = 200) -> pd.DataFrame:
    """Latest joint measures, newest first (columns of ``MEASURE_COLUMNS``)."""
    j = JointMeasure
    stmt = (select(j.applied_at, CreditMeasure.name, CreditMeasure.direction, Subject.name, j.subject_uscc, j.scenario,
                   Department.short_name, func.coalesce(j.result, "未反馈"))
            .join(CreditMeasure, CreditMeasure.measure_code == j.measure_code)
            .outerjoin(Subject, Subject.uscc == j.subject_uscc)
            .join(Department, Department.dept_code == j.applied_by_dept_code)
            .order_by(j.applied_at.desc(), j.measure_id.desc()).limit(limit))
    stmt = _by_region(scope.restrict(stmt, j.applied_by_dept_code), regions, j.subject_uscc)
    if subject_uscc:
        stmt = stmt.where(j.subject_uscc == subject_uscc)
    return pd.DataFrame(session.execute(stmt).all(), columns=list(MEASURE_COLUMNS))


def credit_as_of(session: Session) -> dt.date | None:
    """Latest credit decision (list entry or grade) — the credit page's "数据截至"."""
    return max(filter(None, (session.scalar(select(func.max(CreditList.in_date))),
                             session.scalar(select(func.max(CreditGrade.evaluated_on))))), default=None)
