"""The /credit read path: the grade mart (written by its pipeline step, equal to the facts, what the page
reads) and the list entries query (same rows as the plain join it replaced)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from data_access import queries_credit
from data_access.schema import CreditGrade, CreditGradeCount, CreditList, Department, Region, Subject
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



def _entries_by_plain_join(engine, regions, list_types, limit) -> pd.DataFrame:
    """The list entries query as a plain join: the definition ``list_entries`` must keep."""
    c = CreditList
    stmt = (select(c.in_date, c.list_type, Subject.name, c.subject_uscc, Region.name, c.reason, Department.short_name,
                   c.out_date)
            .join(Subject, Subject.uscc == c.subject_uscc).join(Region, Region.region_code == Subject.region_code)
            .join(Department, Department.dept_code == c.decided_by_dept_code)
            .order_by(c.in_date.desc(), c.list_entry_id.desc()).limit(limit))
    if list_types:
        stmt = stmt.where(c.list_type.in_(list_types))
    if regions:
        stmt = stmt.where(Subject.region_code.in_(regions))
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).all(), columns=list(queries_credit.LIST_ENTRY_COLUMNS))


def test_list_entries_equal_the_plain_join(demo_engine):
    with Session(demo_engine) as session:
        types = sorted(session.scalars(select(CreditList.list_type.distinct())).all())
        for regions, list_types, limit in ((None, None, 200), (["410204"], None, 50), (None, types[:1], 30),
                                           (["410204", "410205"], types[-1:], 10), (None, None, 100_000)):
            got = queries_credit.list_entries(session, list_types=list_types, regions=regions, limit=limit)
            expected = _entries_by_plain_join(demo_engine, regions, list_types, limit)
            assert len(got) > 0
            pd.testing.assert_frame_equal(got, expected)


def test_list_entries_skip_the_newest_entry_of_an_unknown_subject(demo_engine_copy):
    """The plain join drops an entry whose subject is unknown; so must the fast path's fallback."""
    with demo_engine_copy.begin() as conn:
        dept = conn.scalar(select(Department.dept_code).limit(1))
        conn.execute(insert(CreditList).values(
            subject_uscc="91410200MA0000000X", list_type="ABNORMAL", reason="test", decided_by_dept_code=dept,
            in_date=dt.date(2099, 1, 1), src_system="TEST", src_id="test-marts-2", load_batch="test",
            loaded_at=dt.datetime(2099, 1, 1)))
    with Session(demo_engine_copy) as session:
        got = queries_credit.list_entries(session, limit=20)
    assert "91410200MA0000000X" not in set(got["subject_uscc"]) and len(got) == 20
    pd.testing.assert_frame_equal(got, _entries_by_plain_join(demo_engine_copy, None, None, 20))
