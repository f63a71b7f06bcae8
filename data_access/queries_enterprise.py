"""Read-side queries of the enterprise profile (/enterprise/<uscc>): one subject across every source.

Registration, inspections, penalties, credit lists and grades are public regulatory records (双公示,
信用公示) and visible to every role. Complaints naming the subject are scoped to the handling department
for a department head and masked for roles outside PII_ROLES; risk leads are scoped like every lead query.
"""

from __future__ import annotations

import math

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from data_access import privacy
from data_access.codes import CREDIT_GRADES, CREDIT_LIST_TYPES, SUBJECT_TYPES, grade_text, label
from data_access.queries_complaints import SEARCH_MAX_CHARS, complaint_rows
from data_access.queries_credit import measure_rows
from data_access.schema import (
    ComplaintFeature,
    CreditGrade,
    CreditList,
    Department,
    EntityRiskScore,
    HotlineTicket,
    Inspection,
    Penalty,
    Region,
    RegItem,
    RiskLead,
    Subject,
)
from data_access.scope import Scope


def search_subjects(session: Session, text: str, *, limit: int = 50) -> pd.DataFrame:
    """Subjects whose name contains ``text`` or whose USCC starts with it (upper-cased), by name.

    Columns: uscc, name, subject_type, region, status, uscc_valid."""
    text = (text or "").strip()[:SEARCH_MAX_CHARS]
    if not text:
        return pd.DataFrame(columns=["uscc", "name", "subject_type", "region", "status", "uscc_valid"])
    pattern = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = (select(Subject.uscc, Subject.name, Subject.subject_type, Region.name, Subject.status, Subject.uscc_valid)
            .join(Region, Region.region_code == Subject.region_code)
            .where(or_(Subject.name.like(f"%{pattern}%", escape="\\"),
                       Subject.uscc.like(f"{pattern.upper()}%", escape="\\")))
            .order_by(func.length(Subject.name), Subject.name).limit(limit))
    df = pd.DataFrame(session.execute(stmt).all(),
                      columns=["uscc", "name", "subject_type", "region", "status", "uscc_valid"])
    df["subject_type"] = df["subject_type"].map(SUBJECT_TYPES).fillna(df["subject_type"])
    return df


def _frame(session: Session, stmt, columns: list[str]) -> pd.DataFrame:  # noqa: ANN001
    return pd.DataFrame(session.execute(stmt).all(), columns=columns)


def subject_profile(session: Session, scope: Scope, uscc: str, *, limit: int = 200) -> dict | None:
    """Everything known about the subject ``uscc``, or None when it is not in the register.

    Keys: ``subject`` (dict of registration facts, with ``uscc_valid``), ``grades``, ``lists``, ``complaints``
    (masked per role), ``complaints_total``, ``inspections``, ``penalties``, ``measures``, ``leads``
    (DataFrames, newest first, at most ``limit`` rows each). The page that shows unmasked complaints audits
    the view (``security.audit.record_pii_view``); an export audits itself.
    """
    s = session.scalars(select(Subject).where(Subject.uscc == uscc).order_by(Subject.subject_id).limit(1)).first()
    if s is None:
        return None
    region = session.scalar(select(Region.name).where(Region.region_code == s.region_code))
    subject = {"uscc": s.uscc, "uscc_valid": s.uscc_valid, "name": s.name,
               "subject_type": SUBJECT_TYPES.get(s.subject_type, s.subject_type), "status": s.status,
               "region": region, "address": s.address, "legal_rep": s.legal_rep, "reg_date": s.reg_date,
               "industry_code": s.industry_code, "industry": label("industry", s.industry_code),
               "has_food_permit": s.has_food_permit}
    g, c, i, p, lead = CreditGrade, CreditList, Inspection, Penalty, RiskLead
    grades = _frame(session, select(g.evaluated_on, g.grade, g.score).where(g.subject_uscc == uscc)
                    .order_by(g.evaluated_on.desc()).limit(limit), ["evaluated_on", "grade", "score"])
    grades["grade_label"] = grades["grade"].map(CREDIT_GRADES)
    grades["grade"] = [grade_text(g) for g in grades["grade"]]
    lists = _frame(session, select(c.list_type, c.reason, Department.short_name, c.in_date, c.out_date)
                   .join(Department, Department.dept_code == c.decided_by_dept_code)
                   .where(c.subject_uscc == uscc).order_by(c.in_date.desc()).limit(limit),
                   ["list_type", "reason", "dept", "in_date", "out_date"])
    lists["list_type"] = lists["list_type"].map(CREDIT_LIST_TYPES).fillna(lists["list_type"])
    inspections = _frame(session, select(i.check_date, i.check_action_code, RegItem.name, Department.short_name,
                                         i.check_source, i.result, i.followup)
                         .join(Department, Department.dept_code == i.dept_code)
                         .outerjoin(RegItem, RegItem.item_code == i.item_code)
                         .where(i.subject_uscc == uscc).order_by(i.check_date.desc()).limit(limit),
                         ["check_date", "check_action_code", "item", "dept", "source", "result", "followup"])
    for column, kind in (("source", "check_source"), ("result", "inspection_result"), ("followup", "inspection_followup")):
        inspections[column] = [label(kind, c) for c in inspections[column]]
    penalties = _frame(session, select(p.decided_at, p.decision_no, Department.short_name, p.penalty_types,
                                       p.fine_amount, p.illegal_facts)
                       .join(Department, Department.dept_code == p.dept_code)
                       .where(p.subject_uscc == uscc).order_by(p.decided_at.desc()).limit(limit),
                       ["decided_at", "decision_no", "dept", "penalty_types", "fine_amount", "illegal_facts"])
    penalties["fine_amount"] = penalties["fine_amount"].astype(float)
    # Orders naming the subject: the hotline's own link, plus text mining's entity link when it has run.
    linked = select(ComplaintFeature.ticket_id).where(ComplaintFeature.linked_subject_uscc == uscc)
    naming = select(HotlineTicket.ticket_id).where(or_(HotlineTicket.subject_uscc == uscc,
                                                       HotlineTicket.ticket_id.in_(linked)))
    complaints, complaints_total = complaint_rows(session, scope, ticket_ids=naming, start=None, limit=limit)
    leads = _frame(session, scope.restrict(select(lead.lead_id, lead.level, lead.title, lead.status, lead.created_at)
                                           .where(lead.subject_uscc == uscc), lead.dept_code)
                   .order_by(lead.created_at.desc()).limit(limit), ["lead_id", "level", "title", "status", "created_at"])
    leads = privacy.mask_columns(leads, scope, texts=["title"])
    return {"subject": subject, "grades": grades, "lists": lists, "complaints": complaints,
            "complaints_total": complaints_total, "inspections": inspections, "penalties": penalties,
            "measures": measure_rows(session, scope, subject_uscc=uscc, limit=limit), "leads": leads}


# ------------------------------------------------------------------------------ risk-based inspection plan

PLAN_COLUMNS = ["rank", "uscc", "name", "region_code", "region", "industry", "dept_code", "dept", "score",
                "complaints_90", "inspections_prior", "problems_prior", "penalties_prior", "credit_grade", "as_of"]


def plan_size(live_entities: int, share: float) -> int:
    """Entities in an inspection plan covering ``share`` of the live register (at least one)."""
    return max(1, math.ceil(share * live_entities))


def inspection_plan(session: Session, scope: Scope, *, share: float, regions: list[str] | None = None
                    ) -> tuple[pd.DataFrame, dict]:
    """The risk-based inspection plan (风险分级检查名单): the ``share`` of live entities ranked highest by the
    entity model (city-wide rank, step ``entity_leads``), as this scope may see it — a department head only
    the entities their department supervises — and within ``regions`` when given.

    Returns the rows (``PLAN_COLUMNS``, rank order) and ``{"scored", "size", "as_of"}``: live entities
    scored, the plan's city-wide size, the data day the scores are as of (None before the first run)."""
    r = EntityRiskScore
    scored = session.scalar(select(func.count()).select_from(r)) or 0
    size = plan_size(scored, share) if scored else 0
    stmt = (select(r.rank, r.uscc, r.name, r.region_code, Region.name, r.industry_code, r.dept_code,
                   Department.short_name, r.score, r.complaints_90, r.inspections_prior, r.problems_prior,
                   r.penalties_prior, r.credit_grade, r.as_of)
            .outerjoin(Region, Region.region_code == r.region_code)
            .outerjoin(Department, Department.dept_code == r.dept_code)
            .where(r.rank <= size).order_by(r.rank))
    if regions:
        stmt = stmt.where(r.region_code.in_(regions))
    df = _frame(session, scope.restrict(stmt, r.dept_code), PLAN_COLUMNS)
    df["industry"] = [label("industry", c) for c in df["industry"]]
    as_of = session.scalar(select(func.max(r.as_of)))
    return df, {"scored": scored, "size": size, "as_of": as_of}


def subject_risk(session: Session, uscc: str, *, share: float) -> dict | None:
    """The entity model's score of ``uscc`` (``score``, ``rank``, ``scored``, ``in_plan``, ``as_of``), or
    None when it was not scored (not live, or the step has not run). Public like the register: no scope."""
    row = session.execute(select(EntityRiskScore.score, EntityRiskScore.rank, EntityRiskScore.as_of)
                          .where(EntityRiskScore.uscc == uscc)).first()
    if row is None:
        return None
    scored = session.scalar(select(func.count()).select_from(EntityRiskScore))
    return {"score": row.score, "rank": row.rank, "scored": scored, "as_of": row.as_of,
            "in_plan": row.rank <= plan_size(scored, share)}
