"""The /credit grade mart: written by its pipeline step, equal to the facts, and what the page reads."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from data_access import queries_credit
from data_access.schema import CreditGrade, CreditGradeCount, Region, Subject
from pipeline import marts
from pipeline.runner import run_steps


def _expected(engine) -> pd.DataFrame:
    """Subjects per county and latest grade, computed in pandas from the raw tables."""
    with engine.connect() as conn:
        grades = pd.read_sql(select(CreditGrade.subject_uscc, CreditGrade.grade, CreditGrade.evaluated_on), conn)
        subjects = pd.read_sql(select(Subject.uscc, Subject.region_code), conn)
        regions = pd.read_sql(select(Region.region_code, Region.name), conn)
    last = grades.groupby("subject_uscc")["evaluated_on"].transform("max")
    latest = grades[grades["evaluated_on"] == last]
    df = (latest.merge(subjects, left_on="subject_uscc", right_on="uscc")
          .merge(regions, on="region_code")
          .groupby(["region_code", "name", "grade"]).size().rename("n").reset_index()
          .rename(columns={"region_code": "code"}))
    return df.sort_values(["code", "grade"]).reset_index(drop=True)


def _page_counts(engine) -> pd.DataFrame:
    with Session(engine) as session:
        return queries_credit.grades_by_region(session)


def test_the_mart_equals_the_facts_and_the_page_reads_it(demo_engine_copy):
    engine = demo_engine_copy
    expected = _expected(engine)
    assert len(expected) >= 4 and set(expected["grade"]) == {"A", "B", "C", "D"}
    # Before the step has ever run, the page computes from the facts.
    pd.testing.assert_frame_equal(_page_counts(engine), expected, check_dtype=False)

    [result] = run_steps(engine, [marts.CREDIT_GRADES])
    assert result.status == "ok" and result.rows_written == len(expected)
    with engine.connect() as conn:
        mart = pd.read_sql(select(CreditGradeCount), conn)
    assert mart["n"].sum() == expected["n"].sum()
    pd.testing.assert_frame_equal(_page_counts(engine), expected, check_dtype=False)

    # A newer grade moves one subject: the page shows the mart (unchanged) until the step runs again.
    row = expected.iloc[0]
    with engine.begin() as conn:
        uscc = conn.scalar(select(Subject.uscc).where(Subject.region_code == row["code"]).where(
            Subject.uscc.in_(select(CreditGrade.subject_uscc))).limit(1))
        new_grade = "D" if conn.scalar(select(CreditGrade.grade).where(CreditGrade.subject_uscc == uscc)
                                       .order_by(CreditGrade.evaluated_on.desc()).limit(1)) != "D" else "A"
        conn.execute(insert(CreditGrade).values(
            subject_uscc=uscc, grade=new_grade, score=1.0, evaluated_on=dt.date(2099, 1, 1),
            src_system="TEST", src_id="test-marts-1", load_batch="test", loaded_at=dt.datetime(2099, 1, 1)))
    changed = _expected(engine)
    assert not changed.equals(expected)
    pd.testing.assert_frame_equal(_page_counts(engine), expected, check_dtype=False)
    run_steps(engine, [marts.CREDIT_GRADES])
    pd.testing.assert_frame_equal(_page_counts(engine), changed, check_dtype=False)
