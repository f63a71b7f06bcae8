"""The warehouse's ORM classes, mapped onto the Core tables of ``data_access.tables`` (the schema's one
declaration: columns, types, keys, indexes and what each table holds are there).

Query functions and the pipeline use these classes (``select(HotlineTicket.order_no)``, sessions); code that only
writes rows in bulk (ingest, the bulk writer) uses the tables and never imports the ORM.
"""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from data_access import tables


class Base(DeclarativeBase):
    metadata = tables.metadata


# ============================================================================================ dimensions


class Region(Base):
    __table__ = tables.dim_region


class Department(Base):
    __table__ = tables.dim_department


class HotlineCategory(Base):
    __table__ = tables.dim_hotline_category


class UrbanCategory(Base):
    __table__ = tables.dim_urban_category


class Subject(Base):
    __table__ = tables.dim_subject


class RegItem(Base):
    __table__ = tables.dim_reg_item


class CheckImpl(Base):
    __table__ = tables.dim_check_impl


class CreditMeasure(Base):
    __table__ = tables.dim_credit_measure


class Workday(Base):
    __table__ = tables.dim_workday


# ================================================================================================= facts


class HotlineTicket(Base):
    __table__ = tables.fact_hotline_ticket


class HotlineEvent(Base):
    __table__ = tables.fact_hotline_event


class UrbanCase(Base):
    __table__ = tables.fact_urban_case


class Inspection(Base):
    __table__ = tables.fact_inspection


class Penalty(Base):
    __table__ = tables.fact_penalty


class RandomTask(Base):
    __table__ = tables.fact_random_task


class CreditList(Base):
    __table__ = tables.fact_credit_list


class CreditGrade(Base):
    __table__ = tables.fact_credit_grade


class JointMeasure(Base):
    __table__ = tables.fact_joint_measure


class UnlicensedLead(Base):
    __table__ = tables.fact_unlicensed_lead


class JointTask(Base):
    __table__ = tables.fact_joint_task


class JointTaskPart(Base):
    __table__ = tables.fact_joint_task_part


class ProvincialLead(Base):
    __table__ = tables.fact_provincial_lead


# ===================================================================================== derived and marts


class DailyComplaintCount(Base):
    __table__ = tables.agg_daily_complaints


class CreditGradeCount(Base):
    __table__ = tables.agg_credit_grade_region


class ComplaintFeature(Base):
    __table__ = tables.derived_complaint_feature


class RiskLead(Base):
    __table__ = tables.derived_risk_lead
    # Optimistic locking: every ORM flush of a lead is ``UPDATE … SET version = n + 1 WHERE lead_id = ?
    # AND version = n`` and a lost race raises StaleDataError (dispatch.lifecycle turns it into the
    # user's conflict message).
    __mapper_args__ = {"version_id_col": __table__.c.version}


class RiskLeadEvent(Base):
    __table__ = tables.derived_risk_lead_event


class MonthlyIndicator(Base):
    __table__ = tables.agg_indicator_month


class PlantedEvent(Base):
    __table__ = tables.truth_planted_event


# ============================================================================================ operations


class LoadBatch(Base):
    __table__ = tables.app_load_batch


class PipelineRun(Base):
    __table__ = tables.app_pipeline_run


class AuditLog(Base):
    __table__ = tables.app_audit_log


class Setting(Base):
    __table__ = tables.app_setting


FACT_TABLES: tuple[type[Base], ...] = (
    HotlineTicket, HotlineEvent, UrbanCase, Inspection, Penalty, RandomTask, CreditList, CreditGrade,
    JointMeasure, UnlicensedLead, JointTask, JointTaskPart, ProvincialLead,
)


# =================================================================== security: users, sessions, keys (issue 9)


class AppUser(Base):
    __table__ = tables.app_user


class LoginAttempt(Base):
    __table__ = tables.app_login_attempt


class KioskToken(Base):
    __table__ = tables.app_kiosk_token


class ApiKey(Base):
    __table__ = tables.app_api_key


class UserSession(Base):
    __table__ = tables.app_session


# ============================================================================================ ingestion


class IngestQuarantine(Base):
    __table__ = tables.app_ingest_quarantine


class IngestHistory(Base):
    __table__ = tables.app_ingest_history


# ====================================================================== text-mining pipeline (issue 4)


class HotWord(Base):
    __table__ = tables.derived_hot_word


class HotIssue(Base):
    __table__ = tables.derived_hot_issue


# ============================================================================ risk leads: entity risk


class EntityRiskScore(Base):
    __table__ = tables.derived_entity_risk


# ============================================================================ risk leads: spike model band


class SpikeBand(Base):
    __table__ = tables.derived_spike_band


# ============================================================================ risk leads: model backtests


class ModelBacktest(Base):
    __table__ = tables.derived_model_backtest
