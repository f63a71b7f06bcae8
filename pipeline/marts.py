"""Read-side marts the pages read instead of aggregating the facts on each view."""

from __future__ import annotations

from sqlalchemy import Connection, delete, func, insert, select

from data_access.queries_credit import CREDIT_GRADES_STEP, grade_counts_by_region
from data_access.schema import CreditGradeCount
from pipeline.runner import Step


def credit_grades(conn: Connection) -> int:
    """Rebuild ``agg_credit_grade_region``: subjects per county × latest credit grade (the /credit chart)."""
    conn.execute(delete(CreditGradeCount))
    conn.execute(insert(CreditGradeCount).from_select(["region_code", "grade", "n"], grade_counts_by_region()))
    return conn.execute(select(func.count()).select_from(CreditGradeCount)).scalar_one()


CREDIT_GRADES = Step(CREDIT_GRADES_STEP, "信用风险分类：区县 × 最新分类的主体数（agg_credit_grade_region）", credit_grades)
