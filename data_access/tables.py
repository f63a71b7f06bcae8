"""The warehouse's tables as SQLAlchemy Core ``Table`` objects: the schema's one declaration, faithful to domain.md §8.

Naming: ``dim_*`` dimensions, ``fact_*`` facts loaded from source systems, ``derived_*`` tables the batch
pipeline writes, ``agg_*`` read-side marts, ``app_*`` application state. Every fact row carries its
lineage (``src_system``, ``src_id``, ``load_batch``) with ``(src_system, src_id)`` unique, so re-loads
are idempotent. Datetimes are naive local times in Asia/Shanghai (the zone of every source system), so
rows are byte-identical on SQLite and PostgreSQL. Money is in 元.

Core only, so a process that writes rows without the ORM (``bianjian ingest``, the bulk writer) never imports
``sqlalchemy.orm`` (about 0.4 CPU s of a command's start-up when modules are compiled from source) nor maps
45 classes (0.15–0.19 CPU s even from bytecode). ``data_access.schema`` maps its ORM classes onto these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


# A surrogate key's type: BIGINT on PostgreSQL; INTEGER on SQLite so the key aliases the rowid and autoincrements.
# Foreign keys to a surrogate key take the same type.
KEY_TYPE = BigInteger().with_variant(Integer, "sqlite")


def _id(name: str) -> Column:
    return Column(name, KEY_TYPE, primary_key=True)


def _lineage(table: str) -> tuple:
    """Source lineage carried by every fact row (mirrors the national CD_SOURCE / CD_BATCH columns), unique
    per source record."""
    return (
        Column("src_system", String(32), nullable=False),
        Column("src_id", String(64), nullable=False),
        Column("load_batch", String(40), nullable=False, index=True),
        Column("loaded_at", DateTime, nullable=False),
        UniqueConstraint("src_system", "src_id", name=f"uq_{table}_src"),
    )


# ============================================================================================ dimensions


dim_region = Table(
    "dim_region",
    metadata,
    Column("region_code", String(9), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("level", String(40), nullable=False),  # CITY / DISTRICT / COUNTY / ZONE / STREET / TOWN / TOWNSHIP
    Column("parent_code", String(9)),
    Column("is_virtual", Boolean, nullable=False, default=False),
    Column("is_province_direct", Boolean, nullable=False, default=False),
    Column("population", BigInteger),
)


dim_department = Table(
    "dim_department",
    metadata,
    Column("dept_code", String(18), primary_key=True),  # the body's 机关 USCC
    Column("dept_key", String(16), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("short_name", String(40), nullable=False),
    Column("kind", String(40), nullable=False),  # BUREAU / GOV / UTILITY / VERTICAL
    Column("region_code", String(9), nullable=False, index=True),
)


dim_hotline_category = Table(
    "dim_hotline_category",
    metadata,
    Column("cat_code", String(12), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("level", BigInteger, nullable=False),
    Column("parent_code", String(12)),
    Column("default_dept_key", String(16)),  # "LOCAL" → county government
    Column("demo_weight", BigInteger),
)


dim_urban_category = Table(
    "dim_urban_category",
    metadata,
    Column("cat_code", String(12), primary_key=True),
    Column("kind", String(40), nullable=False),  # 部件 / 事件
    Column("major_code", String(4), nullable=False),
    Column("major_name", String(40), nullable=False),
    Column("minor_name", String(40), nullable=False),
    Column("limit_hours", BigInteger, nullable=False),
    Column("default_dept_code", String(18), nullable=False, index=True),
)


# 监管对象 / 市场主体 from the market-entity register.
dim_subject = Table(
    "dim_subject",
    metadata,
    _id("subject_id"),
    Column("uscc", String(18), nullable=False, index=True),
    Column("uscc_valid", Boolean, nullable=False),
    Column("name", String(200), nullable=False),
    Column("subject_type", String(2), nullable=False),  # 91 企业 / 92 个体工商户 / 93 合作社
    Column("industry_code", String(4), nullable=False, index=True),  # GB/T 4754 section
    Column("status", String(40), nullable=False),
    Column("region_code", String(9), nullable=False, index=True),  # county-level
    Column("township_code", String(9)),
    Column("address", String(300)),
    Column("legal_rep", String(40)),
    Column("reg_date", Date, nullable=False),
    Column("has_food_permit", Boolean, nullable=False, default=False),
    *_lineage("dim_subject"),
)


# 监管事项 main and sub items (SCD2 versioned by valid_from/valid_to).
dim_reg_item = Table(
    "dim_reg_item",
    metadata,
    Column("item_code", String(14), primary_key=True),
    Column("parent_code", String(14), index=True),
    Column("item_level", String(4), nullable=False),  # MAIN / SUB
    Column("name", String(500), nullable=False),
    Column("dept_code", String(18), nullable=False, index=True),
    Column("item_category", String(1), nullable=False),  # 0 检查 1 处罚 2 强制 3 其他
    Column("supervised_object", String(200)),
    Column("set_basis", Text),
    Column("hotline_category_code", String(12), index=True),
    Column("claimed", Boolean, nullable=False, default=True),  # 认领 by the department
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
)


# 检查实施清单: one row per implementing body × sub-item.
dim_check_impl = Table(
    "dim_check_impl",
    metadata,
    Column("impl_code", String(40), primary_key=True),
    Column("item_code", String(14), nullable=False, index=True),
    Column("impl_dept_code", String(18), nullable=False, index=True),
    Column("region_code", String(9), nullable=False, index=True),
    Column("exercise_level", String(1), nullable=False),  # 1国家 2省 3市 4县 5乡镇
    Column("check_category", String(1), nullable=False),  # 1 现场 2 非现场
    Column("is_random", Boolean, nullable=False),
    Column("sample_ratio", Float),
    Column("frequency_text", String(100)),
    Column("is_joint", Boolean, nullable=False, default=False),
)


dim_credit_measure = Table(
    "dim_credit_measure",
    metadata,
    Column("measure_code", String(8), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("direction", String(40), nullable=False),  # REWARD / PUNISH / REPAIR
)


# Chinese working-day calendar including 调休 make-up working days.
dim_workday = Table(
    "dim_workday",
    metadata,
    Column("day", Date, primary_key=True),
    Column("is_workday", Boolean, nullable=False),
    Column("holiday_name", String(40)),
    Column("is_makeup_workday", Boolean, nullable=False, default=False),
)


# ================================================================================================= facts


# One 12345 work order (工单).
fact_hotline_ticket = Table(
    "fact_hotline_ticket",
    metadata,
    _id("ticket_id"),
    Column("order_no", String(24), nullable=False, unique=True),
    Column("channel", String(40), nullable=False),
    Column("appeal_type", String(40), nullable=False),
    Column("category_code", String(12), nullable=False, index=True),
    Column("topic", String(40)),
    Column("title", String(200), nullable=False),
    Column("content", Text, nullable=False),
    Column("caller_name", String(40)),
    Column("caller_phone", String(20)),
    Column("region_code", String(9), nullable=False, index=True),
    Column("township_code", String(9)),
    Column("address", String(300)),
    Column("is_urgent", Boolean, nullable=False, default=False),
    Column("handle_mode", String(40), nullable=False),  # DIRECT / TRANSFER
    Column("main_dept_code", String(18), index=True),
    Column("accepted_at", DateTime, nullable=False, index=True),
    Column("dispatched_at", DateTime),
    Column("sign_deadline", DateTime),
    Column("signed_at", DateTime),
    Column("handle_deadline", DateTime),
    Column("replied_at", DateTime),
    Column("finished_at", DateTime),
    Column("status", String(40), nullable=False),
    Column("reply_content", Text),
    Column("return_count", BigInteger, nullable=False, default=0),
    Column("redo_count", BigInteger, nullable=False, default=0),
    Column("extension_days", BigInteger, nullable=False, default=0),
    Column("is_repeat", Boolean, nullable=False, default=False),
    Column("satisfaction", String(8)),
    Column("is_solved", Boolean),
    Column("subject_uscc", String(18), index=True),
    Column("updated_at", DateTime, nullable=False),
    *_lineage("fact_hotline_ticket"),
    Index("ix_ticket_region_cat_accepted", "region_code", "category_code", "accepted_at"),
)


fact_hotline_event = Table(
    "fact_hotline_event",
    metadata,
    _id("event_id"),
    Column("ticket_id", KEY_TYPE, ForeignKey("fact_hotline_ticket.ticket_id"), nullable=False, index=True),
    Column("event", String(40), nullable=False),
    Column("actor_dept_code", String(18)),
    Column("at", DateTime, nullable=False),
    Column("note", String(500)),
    *_lineage("fact_hotline_event"),
)


# One 数字城管 case.
fact_urban_case = Table(
    "fact_urban_case",
    metadata,
    _id("case_id"),
    Column("case_no", String(24), nullable=False, unique=True),
    Column("source", String(40), nullable=False),
    Column("category_code", String(12), nullable=False, index=True),
    Column("description", Text, nullable=False),
    Column("region_code", String(9), nullable=False, index=True),
    Column("township_code", String(9)),
    Column("address", String(300)),
    Column("dispose_dept_code", String(18), nullable=False, index=True),
    Column("reported_at", DateTime, nullable=False, index=True),
    Column("dispatched_at", DateTime),
    Column("dispose_deadline", DateTime),
    Column("disposed_at", DateTime),
    Column("closed_at", DateTime),
    Column("status", String(40), nullable=False),
    Column("rework_count", BigInteger, nullable=False, default=0),
    Column("is_overdue", Boolean, nullable=False, default=False),
    *_lineage("fact_urban_case"),
)


# 行政检查行为: one check of one object.
fact_inspection = Table(
    "fact_inspection",
    metadata,
    _id("inspection_id"),
    Column("check_action_code", String(50), nullable=False, unique=True),
    Column("item_code", String(14), nullable=False, index=True),
    Column("impl_code", String(40)),
    Column("task_id", BigInteger, index=True),
    Column("dept_code", String(18), nullable=False, index=True),
    Column("subject_uscc", String(18), nullable=False, index=True),
    Column("region_code", String(9), nullable=False, index=True),
    Column("check_form", String(1), nullable=False),  # 1 日常 2 专项
    Column("check_category", String(1), nullable=False),  # 1 现场 2 非现场
    Column("check_source", String(40), nullable=False),
    Column("check_date", Date, nullable=False, index=True),
    Column("submitted_at", DateTime, nullable=False),
    Column("inspectors_n", BigInteger, nullable=False),
    Column("result", String(40), nullable=False),
    Column("has_problem", Boolean, nullable=False),
    Column("followup", String(40), nullable=False),  # NONE / RECTIFY / CASE / TRANSFER
    *_lineage("fact_inspection"),
)


# 行政处罚行为: one decision.
fact_penalty = Table(
    "fact_penalty",
    metadata,
    _id("penalty_id"),
    Column("decision_no", String(60), nullable=False, unique=True),
    Column("item_code", String(14), nullable=False),
    Column("dept_code", String(18), nullable=False, index=True),
    Column("subject_uscc", String(18), nullable=False, index=True),
    Column("region_code", String(9), nullable=False, index=True),
    Column("case_source", String(40), nullable=False),
    Column("procedure", String(40), nullable=False),
    Column("penalty_types", String(100), nullable=False),
    Column("illegal_facts", Text),
    Column("fine_amount", Numeric(18, 2), nullable=False),
    Column("filed_at", Date, nullable=False),
    Column("decided_at", Date, nullable=False, index=True),
    Column("closed_at", Date),
    Column("related_check_code", String(50)),
    Column("is_major_case", Boolean, nullable=False, default=False),
    *_lineage("fact_penalty"),
)


# 双随机、一公开 task.
fact_random_task = Table(
    "fact_random_task",
    metadata,
    _id("task_id"),
    Column("task_code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("lead_dept_code", String(18), nullable=False, index=True),
    Column("co_dept_codes", String(200)),
    Column("item_code", String(14), nullable=False),
    Column("plan_year", BigInteger, nullable=False),
    Column("sample_ratio", Float, nullable=False),
    Column("population_n", BigInteger, nullable=False),
    Column("sampled_n", BigInteger, nullable=False),
    Column("checked_n", BigInteger, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("published_at", Date),
    *_lineage("fact_random_task"),
)


# A spell of a subject on a credit list (经营异常名录, 严重违法失信名单, 红名单 …).
fact_credit_list = Table(
    "fact_credit_list",
    metadata,
    _id("list_entry_id"),
    Column("subject_uscc", String(18), nullable=False, index=True),
    Column("list_type", String(40), nullable=False),
    Column("reason", String(200)),
    Column("decided_by_dept_code", String(18), nullable=False, index=True),
    Column("in_date", Date, nullable=False),
    Column("out_date", Date),
    *_lineage("fact_credit_list"),
)


# 企业信用风险分类 grade (A 低 · B 一般 · C 较高 · D 高) at an evaluation date.
fact_credit_grade = Table(
    "fact_credit_grade",
    metadata,
    _id("grade_id"),
    Column("subject_uscc", String(18), nullable=False, index=True),
    Column("grade", String(1), nullable=False),
    Column("score", Float, nullable=False),
    Column("evaluated_on", Date, nullable=False),
    *_lineage("fact_credit_grade"),
)


# A joint reward/punishment measure applied to a subject (联合奖惩), with its feedback.
fact_joint_measure = Table(
    "fact_joint_measure",
    metadata,
    _id("measure_id"),
    Column("measure_code", String(8), nullable=False),
    Column("subject_uscc", String(18), nullable=False, index=True),
    Column("applied_by_dept_code", String(18), nullable=False, index=True),
    Column("scenario", String(40), nullable=False),
    Column("applied_at", Date, nullable=False),
    Column("result", String(200)),
    *_lineage("fact_joint_measure"),
)


# 无证无照经营 lead.
fact_unlicensed_lead = Table(
    "fact_unlicensed_lead",
    metadata,
    _id("lead_id"),
    Column("lead_no", String(30), nullable=False, unique=True),
    Column("source", String(40), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("suspect_name", String(200), nullable=False),
    Column("industry_code", String(4)),
    Column("region_code", String(9), nullable=False, index=True),
    Column("address", String(300)),
    Column("resp_dept_code", String(18), nullable=False, index=True),
    Column("status", String(40), nullable=False),
    Column("found_at", DateTime, nullable=False),
    Column("closed_at", DateTime),
    Column("related_ticket_id", BigInteger),
    *_lineage("fact_unlicensed_lead"),
)


# 联合监管 task: a plan or lead handled by several departments.
fact_joint_task = Table(
    "fact_joint_task",
    metadata,
    _id("task_id"),
    Column("name", String(200), nullable=False),
    Column("lead_dept_code", String(18), nullable=False, index=True),
    Column("region_code", String(9), nullable=False, index=True),
    Column("planned_start", Date, nullable=False),
    Column("planned_end", Date, nullable=False),
    Column("status", String(40), nullable=False),
    *_lineage("fact_joint_task"),
)


# One department's part of a joint-supervision task.
fact_joint_task_part = Table(
    "fact_joint_task_part",
    metadata,
    _id("part_id"),
    Column("task_id", KEY_TYPE, ForeignKey("fact_joint_task.task_id"), nullable=False, index=True),
    Column("dept_code", String(18), nullable=False, index=True),
    Column("duty", String(200), nullable=False),
    Column("status", String(40), nullable=False),
    Column("done_at", DateTime),
    *_lineage("fact_joint_task_part"),
)


# A complaint/risk lead pushed down by the provincial 互联网+监管 system (分送 by locality).
fact_provincial_lead = Table(
    "fact_provincial_lead",
    metadata,
    _id("prov_lead_id"),
    Column("lead_no", String(40), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("content", Text, nullable=False),
    Column("region_code", String(9), nullable=False, index=True),
    Column("dept_code", String(18), nullable=False, index=True),
    Column("subject_uscc", String(18)),
    Column("pushed_at", DateTime, nullable=False),
    Column("feedback_deadline", DateTime),
    Column("status", String(40), nullable=False),
    *_lineage("fact_provincial_lead"),
)


# ===================================================================================== derived and marts


# Daily 12345 complaint counts per county × category (pipeline step ``daily_counts``).
agg_daily_complaints = Table(
    "agg_daily_complaints",
    metadata,
    Column("day", Date, primary_key=True),
    Column("region_code", String(9), primary_key=True),
    Column("category_code", String(12), primary_key=True),
    Column("n", BigInteger, nullable=False),
    # A window of days summed city-wide (the wall's 60-day trend) from the index alone, not one table row per
    # cell: 60 days at scale 1.0, SQLite 1.8 -> 1.1 ms, PostgreSQL 6.8 -> 1.4 ms (a bitmap heap scan before;
    # a wider covering index with the codes was not chosen by PostgreSQL's planner). Migration 0015.
    Index("ix_agg_daily_complaints_day_n", "day", "n"),
)


# Subjects per county × latest 企业信用风险分类 grade (pipeline step ``credit_grades``): the credit page
# reads this instead of finding every subject's latest grade on each view.
agg_credit_grade_region = Table(
    "agg_credit_grade_region",
    metadata,
    Column("region_code", String(9), primary_key=True),
    Column("grade", String(1), primary_key=True),
    Column("n", BigInteger, nullable=False),
)


# Text-mining output per work order.
derived_complaint_feature = Table(
    "derived_complaint_feature",
    metadata,
    Column("ticket_id", KEY_TYPE, ForeignKey("fact_hotline_ticket.ticket_id"), primary_key=True),
    Column("tokens", Text),
    Column("predicted_category_code", String(12)),
    Column("category_confidence", Float),
    Column("routed_dept_code", String(18)),
    Column("needs_triage", Boolean, nullable=False, default=False),
    Column("severity", BigInteger, nullable=False, default=0),
    Column("business_mention", String(200)),
    Column("linked_subject_uscc", String(18), index=True),
    Column("hot_issue_id", BigInteger, index=True),
    Column("reply_quality", Float),
    Column("computed_at", DateTime, nullable=False),
)


# A risk lead (风险线索) with level, reason, evidence, responsible department and lifecycle state.
derived_risk_lead = Table(
    "derived_risk_lead",
    metadata,
    _id("lead_id"),
    Column("lead_key", String(120), nullable=False, unique=True),  # dedupe key: signal kind + target
    Column("kind", String(40), nullable=False),  # spike / trend / entity / credit / unlicensed / repeat / silent_source / provincial
    Column("level", String(8), nullable=False, index=True),  # RED / ORANGE / YELLOW / BLUE
    Column("score", Float, nullable=False, index=True),  # index: the leads table sorts by it (migration 0004)
    Column("title", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("region_code", String(9), index=True),
    Column("category_code", String(12)),
    Column("subject_uscc", String(18)),
    Column("dept_code", String(18), index=True),
    Column("co_dept_codes", String(200)),
    Column("status", String(40), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False, index=True),  # index: default sort of the leads table (0004)
    Column("updated_at", DateTime, nullable=False),
    Column("signed_at", DateTime),
    Column("sign_deadline", DateTime),
    Column("handle_deadline", DateTime),
    Column("feedback_at", DateTime),
    Column("closed_at", DateTime),
    Column("feedback_result", String(20)),
    Column("feedback_text", Text),
    # Optimistic locking: the mapper's version_id_col, so every ORM flush of a lead is
    # ``UPDATE … SET version = n + 1 WHERE lead_id = ? AND version = n`` and a lost race raises StaleDataError
    # (dispatch.lifecycle turns it into the user's conflict message).
    Column("version", BigInteger, nullable=False, default=1),
    # Dispatch closed loop (migration 0004): server defaults so rows written before it stay valid.
    Column("dispatched_at", DateTime),
    Column("feedback_actions", String(200)),  # comma-separated LEAD_FEEDBACK_ACTIONS
    Column("feedback_attachments", JSON),
    Column("supervise_level", String(20)),  # 督办 level, a flag not a state
    Column("extension_days", BigInteger, nullable=False, default=0, server_default="0"),
    Column("extension_request_days", BigInteger),  # a pending 延期申请
    Column("return_count", BigInteger, nullable=False, default=0, server_default="0"),
    Column("joint_task_id", BigInteger, index=True),
)


# Append-only lifecycle events of a risk lead (the timeline).
derived_risk_lead_event = Table(
    "derived_risk_lead_event",
    metadata,
    _id("event_id"),
    Column("lead_id", KEY_TYPE, ForeignKey("derived_risk_lead.lead_id"), nullable=False, index=True),
    Column("from_status", String(40)),
    Column("to_status", String(40), nullable=False),
    Column("actor", String(40), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("note", Text),
    Column("action", String(40)),  # dispatch.lifecycle action key (migration 0004)
    Column("detail", JSON),
)


# Indicator values per month × unit (evaluation).
agg_indicator_month = Table(
    "agg_indicator_month",
    metadata,
    Column("month", String(7), primary_key=True),  # YYYY-MM
    Column("unit_code", String(18), primary_key=True),
    Column("indicator_key", String(40), primary_key=True),
    Column("unit_group", String(40), nullable=False),  # COUNTY / DEPARTMENT
    Column("numerator", Float),
    Column("denominator", Float),
    Column("value", Float),
)


# Ground truth planted by the demo generator, for evaluating models and rankings.
truth_planted_event = Table(
    "truth_planted_event",
    metadata,
    _id("planted_id"),
    Column("kind", String(40), nullable=False),
    Column("region_code", String(9)),
    Column("category_code", String(12)),
    Column("subject_uscc", String(18)),
    Column("dept_code", String(18)),
    Column("name", String(200)),
    Column("start_day", Date, nullable=False),
    Column("end_day", Date, nullable=False),
    Column("magnitude", Float, nullable=False),
    Column("detail", JSON, nullable=False),
)


# ============================================================================================ operations


# One load of one source (an ingest file, an API push or a demo run).
app_load_batch = Table(
    "app_load_batch",
    metadata,
    Column("batch_id", String(40), primary_key=True),
    Column("source_kind", String(40), nullable=False),
    Column("src_system", String(32), nullable=False),
    Column("origin", String(500)),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("received", BigInteger, nullable=False, default=0),
    Column("inserted", BigInteger, nullable=False, default=0),
    Column("updated", BigInteger, nullable=False, default=0),
    Column("unchanged", BigInteger, nullable=False, default=0),
    Column("quarantined", BigInteger, nullable=False, default=0),
    Column("status", String(40), nullable=False),
)


# One run of one pipeline step: failures stay visible, previous results stay in place.
app_pipeline_run = Table(
    "app_pipeline_run",
    metadata,
    _id("run_id"),
    Column("step", String(40), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("status", String(40), nullable=False),  # running / ok / failed
    Column("rows_written", BigInteger, nullable=False, default=0),
    Column("message", Text),
)


# Append-only, hash-chained audit log: each row carries the hash of the previous row.
app_audit_log = Table(
    "app_audit_log",
    metadata,
    _id("audit_id"),
    Column("at", DateTime, nullable=False),
    Column("actor", String(40), nullable=False),
    Column("action", String(40), nullable=False),
    Column("object_type", String(40), nullable=False),
    Column("object_id", String(120)),
    Column("detail", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("row_hash", String(64), nullable=False, unique=True),
)


# Key/value application state (schema seed version, data version for cache keys, …).
app_setting = Table(
    "app_setting",
    metadata,
    Column("key", String(60), primary_key=True),
    Column("value", Text, nullable=False),
)


# =================================================================== security: users, sessions, keys (issue 9)


# A person who logs in to the dashboard; ``role`` is a key of data_access.scope.ROLES.
app_user = Table(
    "app_user",
    metadata,
    _id("user_id"),
    Column("username", String(40), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("dept_code", String(18)),  # a DEPT_HEAD's department
    Column("password_hash", String(200), nullable=False),  # argon2id
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False),
    Column("password_changed_at", DateTime, nullable=False),
    Column("last_login_at", DateTime),
)


# Every password or wall-token check, kept for rate limiting (failures per username + IP in a time window);
# ``succeeded`` is NULL while the check is in flight (security.ratelimit).
app_login_attempt = Table(
    "app_login_attempt",
    metadata,
    _id("attempt_id"),
    Column("username", String(40), nullable=False),
    Column("ip", String(45), nullable=False, index=True),
    Column("at", DateTime, nullable=False),
    Column("succeeded", Boolean),
    Index("ix_app_login_attempt_user_ip_at", "username", "ip", "at"),
)


# A wall display's login token (stored as its SHA-256); one active token per name.
app_kiosk_token = Table(
    "app_kiosk_token",
    metadata,
    _id("kiosk_id"),
    Column("name", String(40), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(40), nullable=False),
    Column("revoked_at", DateTime),
    Column("last_used_at", DateTime),
)


# A source system's key for the ingest API (stored as its SHA-256; ``key_prefix`` identifies it).
app_api_key = Table(
    "app_api_key",
    metadata,
    _id("key_id"),
    Column("src_system", String(32), nullable=False, index=True),
    Column("key_prefix", String(12), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(40), nullable=False),
    Column("revoked_at", DateTime),
    Column("last_used_at", DateTime),
    Column("kinds", String(200)),  # comma-separated ingest kinds; NULL: the default
)


# A server-side login session: the cookie holds a random token, the row its SHA-256.
app_session = Table(
    "app_session",
    metadata,
    _id("session_id"),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", KEY_TYPE, ForeignKey("app_user.user_id"), index=True),
    Column("kiosk_id", KEY_TYPE, ForeignKey("app_kiosk_token.kiosk_id"), index=True),
    Column("ip", String(45), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Column("ended_at", DateTime),
)


# ============================================================================================ ingestion


# A source row that failed validation: kept verbatim with its reasons, so nothing is lost.
app_ingest_quarantine = Table(
    "app_ingest_quarantine",
    metadata,
    _id("quarantine_id"),
    Column("batch_id", String(40), nullable=False, index=True),
    Column("source_kind", String(40), nullable=False),
    Column("source_file", String(500)),
    Column("line_no", BigInteger),
    Column("raw_record", Text, nullable=False),  # JSON object of the row as received
    Column("reasons", Text, nullable=False),  # "; "-joined, Chinese
    Column("quarantined_at", DateTime, nullable=False),
)


# Old values of a row that a newer version replaced (the row's history stays after an update).
app_ingest_history = Table(
    "app_ingest_history",
    metadata,
    _id("history_id"),
    Column("batch_id", String(40), nullable=False, index=True),
    Column("table_name", String(60), nullable=False),
    Column("src_system", String(32)),
    Column("record_key", String(64), nullable=False, index=True),
    Column("old_values", Text, nullable=False),  # JSON object of the changed columns' previous values
    Column("replaced_at", DateTime, nullable=False),
)


# ====================================================================== text-mining pipeline (issue 4)


# Top terms of one week × county × category (NULL county/category = the whole city / all categories),
# with the burst ratio against the preceding weeks (pipeline step ``hot_topics``).
derived_hot_word = Table(
    "derived_hot_word",
    metadata,
    _id("hot_word_id"),
    Column("period_start", Date, nullable=False),  # Monday of the week
    Column("region_code", String(9)),
    Column("category_code", String(12)),
    Column("term", String(40), nullable=False),
    Column("weight", Float, nullable=False),
    Column("doc_count", BigInteger, nullable=False),
    Column("n_docs", BigInteger, nullable=False),
    Column("burst_ratio", Float, nullable=False),
    Column("is_emerging", Boolean, nullable=False),
    Column("computed_at", DateTime, nullable=False),
    Index("ix_derived_hot_word_cell", "period_start", "region_code", "category_code"),
)


# A hot issue: near-duplicate 12345 orders in one county × category within the sliding window
# (``derived_complaint_feature.hot_issue_id`` points here), ranked by heat.
derived_hot_issue = Table(
    "derived_hot_issue",
    metadata,
    _id("hot_issue_id"),
    Column("title", String(200), nullable=False),
    Column("place", String(200)),
    Column("region_code", String(9), nullable=False, index=True),
    Column("category_code", String(12), nullable=False),
    Column("first_seen", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Column("n_tickets", BigInteger, nullable=False),
    Column("n_callers", BigInteger, nullable=False),
    Column("growth", Float, nullable=False),
    Column("heat", Float, nullable=False, index=True),
    Column("severity", BigInteger, nullable=False),
    Column("computed_at", DateTime, nullable=False),
)


# ============================================================================ risk leads: entity risk


# The entity model's score of every live market entity as of the data's last day (step ``entity_leads``
# rewrites the table). Ranked by score, the top share is the risk-based inspection plan (风险分级检查名单,
# setting ``inspection_plan_share``); the profile page shows an entity's own score and rank.
derived_entity_risk = Table(
    "derived_entity_risk",
    metadata,
    Column("uscc", String(18), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("industry_code", String(4), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("score", Float, nullable=False),
    Column("rank", BigInteger, nullable=False, index=True),
    Column("region_code", String(9), nullable=False, index=True),
    Column("dept_code", String(18), nullable=False, index=True),  # the department that supervises it (industry, food permit)
    Column("complaints_90", BigInteger, nullable=False),
    Column("inspections_prior", BigInteger, nullable=False),
    Column("problems_prior", BigInteger, nullable=False),
    Column("penalties_prior", BigInteger, nullable=False),
    Column("credit_grade", String(1)),
    Column("computed_at", DateTime, nullable=False),
)


# ============================================================================ risk leads: spike model band


# The spike model's expected value and band per day (step ``spike_leads``): the city-wide daily series
# (NULL county and category) and every county × category series with a spike lead. Each run replaces the
# rows of its as-of window; the wall's trend and the lead pages draw these, never a band of their own.
derived_spike_band = Table(
    "derived_spike_band",
    metadata,
    _id("band_id"),
    Column("region_code", String(9)),
    Column("category_code", String(12)),
    Column("day", Date, nullable=False, index=True),
    Column("n", BigInteger, nullable=False),  # the day's orders the model saw (the last day may be partial)
    Column("expected", Float),  # None during the detector's warm-up
    Column("lower", Float),
    Column("upper", Float),
    Column("alarm", Boolean, nullable=False),  # the detector flagged the day
    Column("method", String(12), nullable=False),  # ears / ets / farrington
    Column("as_of", Date, nullable=False),  # the data's last day in the run that wrote the row
    Column("computed_at", DateTime, nullable=False),
    Index("ix_derived_spike_band_series", "region_code", "category_code", "day"),
)


# ============================================================================ risk leads: model backtests


# One metric of one backtest run of a risk model (the model cards' track record).
#
# Rows of one run share ``run_id``; ``dataset`` says what the numbers were measured on.
derived_model_backtest = Table(
    "derived_model_backtest",
    metadata,
    _id("backtest_id"),
    Column("run_id", String(40), nullable=False, index=True),
    Column("model", String(60), nullable=False, index=True),
    Column("dataset", String(300), nullable=False),
    Column("metric", String(60), nullable=False),
    Column("value", Float),
    Column("n", BigInteger),
    Column("run_at", DateTime, nullable=False, index=True),
    Column("note", String(500)),
)
