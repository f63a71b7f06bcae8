"""Warehouse schema (SQLAlchemy 2 ORM), faithful to domain.md §8.

Naming: ``dim_*`` dimensions, ``fact_*`` facts loaded from source systems, ``derived_*`` tables the batch
pipeline writes, ``agg_*`` read-side marts, ``app_*`` application state. Every fact row carries its
lineage (``src_system``, ``src_id``, ``load_batch``) with ``(src_system, src_id)`` unique, so re-loads
are idempotent. Datetimes are naive local times in Asia/Shanghai (the zone of every source system), so
rows are byte-identical on SQLite and PostgreSQL. Money is in 元.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Recurring column shapes, declared once.
# BIGINT on PostgreSQL; INTEGER on SQLite so the key aliases the rowid and autoincrements.
intpk = Annotated[int, mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)]
region_code = Annotated[str, mapped_column(String(9), index=True)]
dept_code = Annotated[str, mapped_column(String(18), index=True)]
uscc = Annotated[str, mapped_column(String(18), index=True)]
short = Annotated[str, mapped_column(String(40))]
name = Annotated[str, mapped_column(String(200))]
money = Annotated[Decimal, mapped_column(Numeric(18, 2))]
src_system = Annotated[str, mapped_column(String(32))]
src_id = Annotated[str, mapped_column(String(64))]
load_batch = Annotated[str, mapped_column(String(40), index=True)]
timestamp = Annotated[dt.datetime, mapped_column(DateTime)]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {int: BigInteger, str: String(200), dict[str, Any]: JSON, Any: JSON}


class Lineage:
    """Source lineage carried by every fact row (mirrors the national CD_SOURCE / CD_BATCH columns)."""

    src_system: Mapped[src_system]
    src_id: Mapped[src_id]
    load_batch: Mapped[load_batch]
    loaded_at: Mapped[timestamp]


def _lineage_unique(table: str) -> UniqueConstraint:
    return UniqueConstraint("src_system", "src_id", name=f"uq_{table}_src")


# ============================================================================================ dimensions


class Region(Base):
    __tablename__ = "dim_region"
    region_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[name]
    level: Mapped[short]  # CITY / DISTRICT / COUNTY / ZONE / STREET / TOWN / TOWNSHIP
    parent_code: Mapped[str | None] = mapped_column(String(9))
    is_virtual: Mapped[bool] = mapped_column(default=False)
    is_province_direct: Mapped[bool] = mapped_column(default=False)
    population: Mapped[int | None]


class Department(Base):
    __tablename__ = "dim_department"
    dept_code: Mapped[str] = mapped_column(String(18), primary_key=True)  # the body's 机关 USCC
    dept_key: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[name]
    short_name: Mapped[short]
    kind: Mapped[short]  # BUREAU / GOV / UTILITY / VERTICAL
    region_code: Mapped[region_code]


class HotlineCategory(Base):
    __tablename__ = "dim_hotline_category"
    cat_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[name]
    level: Mapped[int]
    parent_code: Mapped[str | None] = mapped_column(String(12))
    default_dept_key: Mapped[str | None] = mapped_column(String(16))  # "LOCAL" → county government
    demo_weight: Mapped[int | None]


class UrbanCategory(Base):
    __tablename__ = "dim_urban_category"
    cat_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    kind: Mapped[short]  # 部件 / 事件
    major_code: Mapped[str] = mapped_column(String(4))
    major_name: Mapped[short]
    minor_name: Mapped[short]
    limit_hours: Mapped[int]
    default_dept_code: Mapped[dept_code]


class Subject(Base, Lineage):
    """监管对象 / 市场主体 from the market-entity register."""

    __tablename__ = "dim_subject"
    __table_args__ = (_lineage_unique("dim_subject"),)
    subject_id: Mapped[intpk]
    uscc: Mapped[uscc]
    uscc_valid: Mapped[bool]
    name: Mapped[name]
    subject_type: Mapped[str] = mapped_column(String(2))  # 91 企业 / 92 个体工商户 / 93 合作社
    industry_code: Mapped[str] = mapped_column(String(4), index=True)  # GB/T 4754 section
    status: Mapped[short]
    region_code: Mapped[region_code]  # county-level
    township_code: Mapped[str | None] = mapped_column(String(9))
    address: Mapped[str | None] = mapped_column(String(300))
    legal_rep: Mapped[str | None] = mapped_column(String(40))
    reg_date: Mapped[dt.date] = mapped_column(Date)
    has_food_permit: Mapped[bool] = mapped_column(default=False)


class RegItem(Base):
    """监管事项 main and sub items (SCD2 versioned by valid_from/valid_to)."""

    __tablename__ = "dim_reg_item"
    item_code: Mapped[str] = mapped_column(String(14), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(String(14), index=True)
    item_level: Mapped[str] = mapped_column(String(4))  # MAIN / SUB
    name: Mapped[str] = mapped_column(String(500))
    dept_code: Mapped[dept_code]
    item_category: Mapped[str] = mapped_column(String(1))  # 0 检查 1 处罚 2 强制 3 其他
    supervised_object: Mapped[str | None] = mapped_column(String(200))
    set_basis: Mapped[str | None] = mapped_column(Text)
    hotline_category_code: Mapped[str | None] = mapped_column(String(12), index=True)
    claimed: Mapped[bool] = mapped_column(default=True)  # 认领 by the department
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)


class CheckImpl(Base):
    """检查实施清单: one row per implementing body × sub-item."""

    __tablename__ = "dim_check_impl"
    impl_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(14), index=True)
    impl_dept_code: Mapped[dept_code]
    region_code: Mapped[region_code]
    exercise_level: Mapped[str] = mapped_column(String(1))  # 1国家 2省 3市 4县 5乡镇
    check_category: Mapped[str] = mapped_column(String(1))  # 1 现场 2 非现场
    is_random: Mapped[bool]
    sample_ratio: Mapped[float | None]
    frequency_text: Mapped[str | None] = mapped_column(String(100))
    is_joint: Mapped[bool] = mapped_column(default=False)


class CreditMeasure(Base):
    __tablename__ = "dim_credit_measure"
    measure_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[name]
    direction: Mapped[short]  # REWARD / PUNISH / REPAIR


class Workday(Base):
    """Chinese working-day calendar including 调休 make-up working days."""

    __tablename__ = "dim_workday"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool]
    holiday_name: Mapped[str | None] = mapped_column(String(40))
    is_makeup_workday: Mapped[bool] = mapped_column(default=False)


# ================================================================================================= facts


class HotlineTicket(Base, Lineage):
    """One 12345 work order (工单)."""

    __tablename__ = "fact_hotline_ticket"
    __table_args__ = (
        _lineage_unique("fact_hotline_ticket"),
        Index("ix_ticket_region_cat_accepted", "region_code", "category_code", "accepted_at"),
    )
    ticket_id: Mapped[intpk]
    order_no: Mapped[str] = mapped_column(String(24), unique=True)
    channel: Mapped[short]
    appeal_type: Mapped[short]
    category_code: Mapped[str] = mapped_column(String(12), index=True)
    topic: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    caller_name: Mapped[str | None] = mapped_column(String(40))
    caller_phone: Mapped[str | None] = mapped_column(String(20))
    region_code: Mapped[region_code]
    township_code: Mapped[str | None] = mapped_column(String(9))
    address: Mapped[str | None] = mapped_column(String(300))
    is_urgent: Mapped[bool] = mapped_column(default=False)
    handle_mode: Mapped[short]  # DIRECT / TRANSFER
    main_dept_code: Mapped[str | None] = mapped_column(String(18), index=True)
    accepted_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    dispatched_at: Mapped[dt.datetime | None]
    sign_deadline: Mapped[dt.datetime | None]
    signed_at: Mapped[dt.datetime | None]
    handle_deadline: Mapped[dt.datetime | None]
    replied_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[short]
    reply_content: Mapped[str | None] = mapped_column(Text)
    return_count: Mapped[int] = mapped_column(default=0)
    redo_count: Mapped[int] = mapped_column(default=0)
    extension_days: Mapped[int] = mapped_column(default=0)
    is_repeat: Mapped[bool] = mapped_column(default=False)
    satisfaction: Mapped[str | None] = mapped_column(String(8))
    is_solved: Mapped[bool | None]
    subject_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    updated_at: Mapped[dt.datetime]


class HotlineEvent(Base, Lineage):
    __tablename__ = "fact_hotline_event"
    __table_args__ = (_lineage_unique("fact_hotline_event"),)
    event_id: Mapped[intpk]
    ticket_id: Mapped[int] = mapped_column(ForeignKey("fact_hotline_ticket.ticket_id"), index=True)
    event: Mapped[short]
    actor_dept_code: Mapped[str | None] = mapped_column(String(18))
    at: Mapped[timestamp]
    note: Mapped[str | None] = mapped_column(String(500))


class UrbanCase(Base, Lineage):
    """One 数字城管 case."""

    __tablename__ = "fact_urban_case"
    __table_args__ = (_lineage_unique("fact_urban_case"),)
    case_id: Mapped[intpk]
    case_no: Mapped[str] = mapped_column(String(24), unique=True)
    source: Mapped[short]
    category_code: Mapped[str] = mapped_column(String(12), index=True)
    description: Mapped[str] = mapped_column(Text)
    region_code: Mapped[region_code]
    township_code: Mapped[str | None] = mapped_column(String(9))
    address: Mapped[str | None] = mapped_column(String(300))
    dispose_dept_code: Mapped[dept_code]
    reported_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    dispatched_at: Mapped[dt.datetime | None]
    dispose_deadline: Mapped[dt.datetime | None]
    disposed_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    status: Mapped[short]
    rework_count: Mapped[int] = mapped_column(default=0)
    is_overdue: Mapped[bool] = mapped_column(default=False)


class Inspection(Base, Lineage):
    """行政检查行为: one check of one object."""

    __tablename__ = "fact_inspection"
    __table_args__ = (_lineage_unique("fact_inspection"),)
    inspection_id: Mapped[intpk]
    check_action_code: Mapped[str] = mapped_column(String(50), unique=True)
    item_code: Mapped[str] = mapped_column(String(14), index=True)
    impl_code: Mapped[str | None] = mapped_column(String(40))
    task_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    dept_code: Mapped[dept_code]
    subject_uscc: Mapped[uscc]
    region_code: Mapped[region_code]
    check_form: Mapped[str] = mapped_column(String(1))  # 1 日常 2 专项
    check_category: Mapped[str] = mapped_column(String(1))  # 1 现场 2 非现场
    check_source: Mapped[short]
    check_date: Mapped[dt.date] = mapped_column(Date, index=True)
    submitted_at: Mapped[dt.datetime]
    inspectors_n: Mapped[int]
    result: Mapped[short]
    has_problem: Mapped[bool]
    followup: Mapped[short]  # NONE / RECTIFY / CASE / TRANSFER


class Penalty(Base, Lineage):
    """行政处罚行为: one decision."""

    __tablename__ = "fact_penalty"
    __table_args__ = (_lineage_unique("fact_penalty"),)
    penalty_id: Mapped[intpk]
    decision_no: Mapped[str] = mapped_column(String(60), unique=True)
    item_code: Mapped[str] = mapped_column(String(14))
    dept_code: Mapped[dept_code]
    subject_uscc: Mapped[uscc]
    region_code: Mapped[region_code]
    case_source: Mapped[short]
    procedure: Mapped[short]
    penalty_types: Mapped[str] = mapped_column(String(100))
    illegal_facts: Mapped[str | None] = mapped_column(Text)
    fine_amount: Mapped[money]
    filed_at: Mapped[dt.date] = mapped_column(Date)
    decided_at: Mapped[dt.date] = mapped_column(Date, index=True)
    closed_at: Mapped[dt.date | None] = mapped_column(Date)
    related_check_code: Mapped[str | None] = mapped_column(String(50))
    is_major_case: Mapped[bool] = mapped_column(default=False)


class RandomTask(Base, Lineage):
    """双随机、一公开 task."""

    __tablename__ = "fact_random_task"
    __table_args__ = (_lineage_unique("fact_random_task"),)
    task_id: Mapped[intpk]
    task_code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[name]
    lead_dept_code: Mapped[dept_code]
    co_dept_codes: Mapped[str | None] = mapped_column(String(200))
    item_code: Mapped[str] = mapped_column(String(14))
    plan_year: Mapped[int]
    sample_ratio: Mapped[float]
    population_n: Mapped[int]
    sampled_n: Mapped[int]
    checked_n: Mapped[int]
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    published_at: Mapped[dt.date | None] = mapped_column(Date)


class CreditList(Base, Lineage):
    """A spell of a subject on a credit list (经营异常名录, 严重违法失信名单, 红名单 …)."""

    __tablename__ = "fact_credit_list"
    __table_args__ = (_lineage_unique("fact_credit_list"),)
    list_entry_id: Mapped[intpk]
    subject_uscc: Mapped[uscc]
    list_type: Mapped[short]
    reason: Mapped[str | None] = mapped_column(String(200))
    decided_by_dept_code: Mapped[dept_code]
    in_date: Mapped[dt.date] = mapped_column(Date)
    out_date: Mapped[dt.date | None] = mapped_column(Date)


class CreditGrade(Base, Lineage):
    """企业信用风险分类 grade (A 低 · B 一般 · C 较高 · D 高) at an evaluation date."""

    __tablename__ = "fact_credit_grade"
    __table_args__ = (_lineage_unique("fact_credit_grade"),)
    grade_id: Mapped[intpk]
    subject_uscc: Mapped[uscc]
    grade: Mapped[str] = mapped_column(String(1))
    score: Mapped[float]
    evaluated_on: Mapped[dt.date] = mapped_column(Date)


class JointMeasure(Base, Lineage):
    """A joint reward/punishment measure applied to a subject (联合奖惩), with its feedback."""

    __tablename__ = "fact_joint_measure"
    __table_args__ = (_lineage_unique("fact_joint_measure"),)
    measure_id: Mapped[intpk]
    measure_code: Mapped[str] = mapped_column(String(8))
    subject_uscc: Mapped[uscc]
    applied_by_dept_code: Mapped[dept_code]
    scenario: Mapped[short]
    applied_at: Mapped[dt.date] = mapped_column(Date)
    result: Mapped[str | None] = mapped_column(String(200))


class UnlicensedLead(Base, Lineage):
    """无证无照经营 lead."""

    __tablename__ = "fact_unlicensed_lead"
    __table_args__ = (_lineage_unique("fact_unlicensed_lead"),)
    lead_id: Mapped[intpk]
    lead_no: Mapped[str] = mapped_column(String(30), unique=True)
    source: Mapped[short]
    kind: Mapped[short]
    suspect_name: Mapped[name]
    industry_code: Mapped[str | None] = mapped_column(String(4))
    region_code: Mapped[region_code]
    address: Mapped[str | None] = mapped_column(String(300))
    resp_dept_code: Mapped[dept_code]
    status: Mapped[short]
    found_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None]
    related_ticket_id: Mapped[int | None] = mapped_column(BigInteger)


class JointTask(Base, Lineage):
    """联合监管 task: a plan or lead handled by several departments."""

    __tablename__ = "fact_joint_task"
    __table_args__ = (_lineage_unique("fact_joint_task"),)
    task_id: Mapped[intpk]
    name: Mapped[name]
    lead_dept_code: Mapped[dept_code]
    region_code: Mapped[region_code]
    planned_start: Mapped[dt.date] = mapped_column(Date)
    planned_end: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[short]


class JointTaskPart(Base, Lineage):
    """One department's part of a joint-supervision task."""

    __tablename__ = "fact_joint_task_part"
    __table_args__ = (_lineage_unique("fact_joint_task_part"),)
    part_id: Mapped[intpk]
    task_id: Mapped[int] = mapped_column(ForeignKey("fact_joint_task.task_id"), index=True)
    dept_code: Mapped[dept_code]
    duty: Mapped[name]
    status: Mapped[short]
    done_at: Mapped[dt.datetime | None]


class ProvincialLead(Base, Lineage):
    """A complaint/risk lead pushed down by the provincial 互联网+监管 system (分送 by locality)."""

    __tablename__ = "fact_provincial_lead"
    __table_args__ = (_lineage_unique("fact_provincial_lead"),)
    prov_lead_id: Mapped[intpk]
    lead_no: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[name]
    content: Mapped[str] = mapped_column(Text)
    region_code: Mapped[region_code]
    dept_code: Mapped[dept_code]
    subject_uscc: Mapped[str | None] = mapped_column(String(18))
    pushed_at: Mapped[dt.datetime]
    feedback_deadline: Mapped[dt.datetime | None]
    status: Mapped[short]


# ===================================================================================== derived and marts


class DailyComplaintCount(Base):
    """Daily 12345 complaint counts per county × category (pipeline step ``daily_counts``)."""

    __tablename__ = "agg_daily_complaints"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    category_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    n: Mapped[int]


class CreditGradeCount(Base):
    """Subjects per county × latest 企业信用风险分类 grade (pipeline step ``credit_grades``): the credit page
    reads this instead of finding every subject's latest grade on each view."""

    __tablename__ = "agg_credit_grade_region"
    region_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    grade: Mapped[str] = mapped_column(String(1), primary_key=True)
    n: Mapped[int]


class ComplaintFeature(Base):
    """Text-mining output per work order."""

    __tablename__ = "derived_complaint_feature"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("fact_hotline_ticket.ticket_id"), primary_key=True)
    tokens: Mapped[str | None] = mapped_column(Text)
    predicted_category_code: Mapped[str | None] = mapped_column(String(12))
    category_confidence: Mapped[float | None]
    routed_dept_code: Mapped[str | None] = mapped_column(String(18))
    needs_triage: Mapped[bool] = mapped_column(default=False)
    severity: Mapped[int] = mapped_column(default=0)
    business_mention: Mapped[str | None] = mapped_column(String(200))
    linked_subject_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    hot_issue_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    reply_quality: Mapped[float | None]
    computed_at: Mapped[timestamp]


class RiskLead(Base):
    """A risk lead (风险线索) with level, reason, evidence, responsible department and lifecycle state."""

    __tablename__ = "derived_risk_lead"
    lead_id: Mapped[intpk]
    lead_key: Mapped[str] = mapped_column(String(120), unique=True)  # dedupe key: signal kind + target
    kind: Mapped[short]  # spike / trend / entity / credit / unlicensed / repeat / silent_source / provincial
    level: Mapped[str] = mapped_column(String(8), index=True)  # RED / ORANGE / YELLOW / BLUE
    score: Mapped[float] = mapped_column(index=True)  # index: the leads table sorts by it (migration 0004)
    title: Mapped[name]
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    region_code: Mapped[str | None] = mapped_column(String(9), index=True)
    category_code: Mapped[str | None] = mapped_column(String(12))
    subject_uscc: Mapped[str | None] = mapped_column(String(18))
    dept_code: Mapped[str | None] = mapped_column(String(18), index=True)
    co_dept_codes: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[short] = mapped_column(index=True)
    created_at: Mapped[timestamp] = mapped_column(index=True)  # index: default sort of the leads table (0004)
    updated_at: Mapped[timestamp]
    signed_at: Mapped[dt.datetime | None]
    sign_deadline: Mapped[dt.datetime | None]
    handle_deadline: Mapped[dt.datetime | None]
    feedback_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    feedback_result: Mapped[str | None] = mapped_column(String(20))
    feedback_text: Mapped[str | None] = mapped_column(Text)
    # Optimistic locking: the mapper's version_id_col, so every ORM flush of a lead is
    # ``UPDATE … SET version = n + 1 WHERE lead_id = ? AND version = n`` and a lost race raises StaleDataError
    # (dispatch.lifecycle turns it into the user's conflict message).
    version: Mapped[int] = mapped_column(default=1)
    # Dispatch closed loop (migration 0004): server defaults so rows written before it stay valid.
    dispatched_at: Mapped[dt.datetime | None]
    feedback_actions: Mapped[str | None] = mapped_column(String(200))  # comma-separated LEAD_FEEDBACK_ACTIONS
    feedback_attachments: Mapped[list[str] | None] = mapped_column(JSON)
    supervise_level: Mapped[str | None] = mapped_column(String(20))  # 督办 level, a flag not a state
    extension_days: Mapped[int] = mapped_column(default=0, server_default="0")
    extension_request_days: Mapped[int | None]  # a pending 延期申请
    return_count: Mapped[int] = mapped_column(default=0, server_default="0")
    joint_task_id: Mapped[int | None] = mapped_column(BigInteger, index=True)

    __mapper_args__ = {"version_id_col": version}


class RiskLeadEvent(Base):
    """Append-only lifecycle events of a risk lead (the timeline)."""

    __tablename__ = "derived_risk_lead_event"
    event_id: Mapped[intpk]
    lead_id: Mapped[int] = mapped_column(ForeignKey("derived_risk_lead.lead_id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(40))
    to_status: Mapped[short]
    actor: Mapped[short]
    at: Mapped[timestamp]
    note: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(String(40))  # dispatch.lifecycle action key (migration 0004)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class MonthlyIndicator(Base):
    """Indicator values per month × unit (evaluation)."""

    __tablename__ = "agg_indicator_month"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    unit_code: Mapped[str] = mapped_column(String(18), primary_key=True)
    indicator_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    unit_group: Mapped[short]  # COUNTY / DEPARTMENT
    numerator: Mapped[float | None]
    denominator: Mapped[float | None]
    value: Mapped[float | None]


class PlantedEvent(Base):
    """Ground truth planted by the demo generator, for evaluating models and rankings."""

    __tablename__ = "truth_planted_event"
    planted_id: Mapped[intpk]
    kind: Mapped[short]
    region_code: Mapped[str | None] = mapped_column(String(9))
    category_code: Mapped[str | None] = mapped_column(String(12))
    subject_uscc: Mapped[str | None] = mapped_column(String(18))
    dept_code: Mapped[str | None] = mapped_column(String(18))
    name: Mapped[str | None] = mapped_column(String(200))
    start_day: Mapped[dt.date] = mapped_column(Date)
    end_day: Mapped[dt.date] = mapped_column(Date)
    magnitude: Mapped[float]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


# ============================================================================================ operations


class LoadBatch(Base):
    """One load of one source (an ingest file, an API push or a demo run)."""

    __tablename__ = "app_load_batch"
    batch_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    source_kind: Mapped[short]
    src_system: Mapped[src_system]
    origin: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[timestamp]
    finished_at: Mapped[dt.datetime | None]
    received: Mapped[int] = mapped_column(default=0)
    inserted: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    quarantined: Mapped[int] = mapped_column(default=0)
    status: Mapped[short]


class PipelineRun(Base):
    """One run of one pipeline step: failures stay visible, previous results stay in place."""

    __tablename__ = "app_pipeline_run"
    run_id: Mapped[intpk]
    step: Mapped[short]
    started_at: Mapped[timestamp]
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[short]  # running / ok / failed
    rows_written: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(Text)


class AuditLog(Base):
    """Append-only, hash-chained audit log: each row carries the hash of the previous row."""

    __tablename__ = "app_audit_log"
    audit_id: Mapped[intpk]
    at: Mapped[timestamp]
    actor: Mapped[short]
    action: Mapped[short]
    object_type: Mapped[short]
    object_id: Mapped[str | None] = mapped_column(String(120))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64), unique=True)


class Setting(Base):
    """Key/value application state (schema seed version, data version for cache keys, …)."""

    __tablename__ = "app_setting"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


FACT_TABLES: tuple[type[Base], ...] = (
    HotlineTicket, HotlineEvent, UrbanCase, Inspection, Penalty, RandomTask, CreditList, CreditGrade,
    JointMeasure, UnlicensedLead, JointTask, JointTaskPart, ProvincialLead,
)


# =================================================================== security: users, sessions, keys (issue 9)


class AppUser(Base):
    """A person who logs in to the dashboard; ``role`` is a key of data_access.scope.ROLES."""

    __tablename__ = "app_user"
    user_id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(40), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    dept_code: Mapped[str | None] = mapped_column(String(18))  # a DEPT_HEAD's department
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[timestamp]
    password_changed_at: Mapped[timestamp]
    last_login_at: Mapped[dt.datetime | None]


class LoginAttempt(Base):
    """Every password or wall-token check, kept for rate limiting (failures per username + IP in a time window);
    ``succeeded`` is NULL while the check is in flight (security.ratelimit)."""

    __tablename__ = "app_login_attempt"
    __table_args__ = (Index("ix_app_login_attempt_user_ip_at", "username", "ip", "at"),)
    attempt_id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(40))
    ip: Mapped[str] = mapped_column(String(45), index=True)
    at: Mapped[timestamp]
    succeeded: Mapped[bool | None]


class KioskToken(Base):
    """A wall display's login token (stored as its SHA-256); one active token per name."""

    __tablename__ = "app_kiosk_token"
    kiosk_id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(40), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[timestamp]
    created_by: Mapped[short]
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]


class ApiKey(Base):
    """A source system's key for the ingest API (stored as its SHA-256; ``key_prefix`` identifies it)."""

    __tablename__ = "app_api_key"
    key_id: Mapped[intpk]
    src_system: Mapped[str] = mapped_column(String(32), index=True)
    key_prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[timestamp]
    created_by: Mapped[short]
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
    kinds: Mapped[str | None] = mapped_column(String(200))  # comma-separated ingest kinds; NULL: the default


class UserSession(Base):
    """A server-side login session: the cookie holds a random token, the row its SHA-256."""

    __tablename__ = "app_session"
    session_id: Mapped[intpk]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.user_id"), index=True)
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("app_kiosk_token.kiosk_id"), index=True)
    ip: Mapped[str] = mapped_column(String(45))
    created_at: Mapped[timestamp]
    last_seen_at: Mapped[timestamp]
    ended_at: Mapped[dt.datetime | None]


# ============================================================================================ ingestion


class IngestQuarantine(Base):
    """A source row that failed validation: kept verbatim with its reasons, so nothing is lost."""

    __tablename__ = "app_ingest_quarantine"
    quarantine_id: Mapped[intpk]
    batch_id: Mapped[str] = mapped_column(String(40), index=True)
    source_kind: Mapped[short]
    source_file: Mapped[str | None] = mapped_column(String(500))
    line_no: Mapped[int | None]
    raw_record: Mapped[str] = mapped_column(Text)  # JSON object of the row as received
    reasons: Mapped[str] = mapped_column(Text)  # "; "-joined, Chinese
    quarantined_at: Mapped[timestamp]


class IngestHistory(Base):
    """Old values of a row that a newer version replaced (the row's history stays after an update)."""

    __tablename__ = "app_ingest_history"
    history_id: Mapped[intpk]
    batch_id: Mapped[str] = mapped_column(String(40), index=True)
    table_name: Mapped[str] = mapped_column(String(60))
    src_system: Mapped[str | None] = mapped_column(String(32))
    record_key: Mapped[str] = mapped_column(String(64), index=True)
    old_values: Mapped[str] = mapped_column(Text)  # JSON object of the changed columns' previous values
    replaced_at: Mapped[timestamp]


# ====================================================================== text-mining pipeline (issue 4)


class HotWord(Base):
    """Top terms of one week × county × category (NULL county/category = the whole city / all categories),
    with the burst ratio against the preceding weeks (pipeline step ``hot_topics``)."""

    __tablename__ = "derived_hot_word"
    __table_args__ = (Index("ix_derived_hot_word_cell", "period_start", "region_code", "category_code"),)
    hot_word_id: Mapped[intpk]
    period_start: Mapped[dt.date] = mapped_column(Date)  # Monday of the week
    region_code: Mapped[str | None] = mapped_column(String(9))
    category_code: Mapped[str | None] = mapped_column(String(12))
    term: Mapped[str] = mapped_column(String(40))
    weight: Mapped[float]
    doc_count: Mapped[int]
    n_docs: Mapped[int]
    burst_ratio: Mapped[float]
    is_emerging: Mapped[bool]
    computed_at: Mapped[timestamp]


class HotIssue(Base):
    """A hot issue: near-duplicate 12345 orders in one county × category within the sliding window
    (``derived_complaint_feature.hot_issue_id`` points here), ranked by heat."""

    __tablename__ = "derived_hot_issue"
    hot_issue_id: Mapped[intpk]
    title: Mapped[name]
    place: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[region_code]
    category_code: Mapped[str] = mapped_column(String(12))
    first_seen: Mapped[timestamp]
    last_seen: Mapped[timestamp]
    n_tickets: Mapped[int]
    n_callers: Mapped[int]
    growth: Mapped[float]
    heat: Mapped[float] = mapped_column(index=True)
    severity: Mapped[int]
    computed_at: Mapped[timestamp]


# ============================================================================ risk leads: entity risk


class EntityRiskScore(Base):
    """The entity model's score of every live market entity as of the data's last day (step ``entity_leads``
    rewrites the table). Ranked by score, the top share is the risk-based inspection plan (风险分级检查名单,
    setting ``inspection_plan_share``); the profile page shows an entity's own score and rank."""

    __tablename__ = "derived_entity_risk"
    uscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[name]
    industry_code: Mapped[str] = mapped_column(String(4))
    as_of: Mapped[dt.date] = mapped_column(Date)
    score: Mapped[float]
    rank: Mapped[int] = mapped_column(index=True)
    region_code: Mapped[region_code]
    dept_code: Mapped[dept_code]  # the department that supervises it (industry, food permit)
    complaints_90: Mapped[int]
    inspections_prior: Mapped[int]
    problems_prior: Mapped[int]
    penalties_prior: Mapped[int]
    credit_grade: Mapped[str | None] = mapped_column(String(1))
    computed_at: Mapped[timestamp]


# ============================================================================ risk leads: spike model band


class SpikeBand(Base):
    """The spike model's expected value and band per day (step ``spike_leads``): the city-wide daily series
    (NULL county and category) and every county × category series with a spike lead. Each run replaces the
    rows of its as-of window; the wall's trend and the lead pages draw these, never a band of their own."""

    __tablename__ = "derived_spike_band"
    __table_args__ = (Index("ix_derived_spike_band_series", "region_code", "category_code", "day"),)
    band_id: Mapped[intpk]
    region_code: Mapped[str | None] = mapped_column(String(9))
    category_code: Mapped[str | None] = mapped_column(String(12))
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    n: Mapped[int]  # the day's orders the model saw (the last day may be partial)
    expected: Mapped[float | None]  # None during the detector's warm-up
    lower: Mapped[float | None]
    upper: Mapped[float | None]
    alarm: Mapped[bool]  # the detector flagged the day
    method: Mapped[str] = mapped_column(String(12))  # ears / ets / farrington
    as_of: Mapped[dt.date] = mapped_column(Date)  # the data's last day in the run that wrote the row
    computed_at: Mapped[timestamp]


# ============================================================================ risk leads: model backtests


class ModelBacktest(Base):
    """One metric of one backtest run of a risk model (the model cards' track record).

    Rows of one run share ``run_id``; ``dataset`` says what the numbers were measured on.
    """

    __tablename__ = "derived_model_backtest"
    backtest_id: Mapped[intpk]
    run_id: Mapped[str] = mapped_column(String(40), index=True)
    model: Mapped[str] = mapped_column(String(60), index=True)
    dataset: Mapped[str] = mapped_column(String(300))
    metric: Mapped[str] = mapped_column(String(60))
    value: Mapped[float | None]
    n: Mapped[int | None]
    run_at: Mapped[timestamp] = mapped_column(index=True)
    note: Mapped[str | None] = mapped_column(String(500))
