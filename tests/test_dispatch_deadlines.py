"""Lead deadlines in working days across Spring Festival 2025 and National Day 2024 (调休 included),
and the 临期/超期 states the queries compute."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from data_access import queries_leads, warehouse
from data_access.deadline_states import deadline_state
from data_access.reference import DEPT_CODE_BY_KEY
from data_access.schema import RiskLead
from data_access.scope import Scope
from data_access.workdays import workdays_between
from dispatch import deadlines
from dispatch.lifecycle import transition

END = dt.time(23, 59, 59)


def at_end(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime.combine(dt.date(y, m, d), END)


@pytest.mark.parametrize(("dispatched", "level", "sign", "handle"), [
    # Spring Festival 2025: holiday 01-28..02-04, make-up working days Sun 01-26 and Sat 02-08
    (dt.datetime(2025, 1, 27, 10), "RED", at_end(2025, 2, 5), at_end(2025, 2, 7)),
    (dt.datetime(2025, 1, 27, 10), "ORANGE", at_end(2025, 2, 5), at_end(2025, 2, 10)),
    (dt.datetime(2025, 1, 25, 9), "RED", at_end(2025, 1, 26), at_end(2025, 2, 5)),
    (dt.datetime(2025, 1, 24, 16), "YELLOW", at_end(2025, 1, 26), at_end(2025, 2, 13)),
    # National Day 2024: holiday 10-01..10-07, make-up working days Sun 09-29 and Sat 10-12
    (dt.datetime(2024, 9, 27, 15), "RED", at_end(2024, 9, 29), at_end(2024, 10, 8)),
    (dt.datetime(2024, 9, 30, 11), "ORANGE", at_end(2024, 10, 8), at_end(2024, 10, 12)),
    (dt.datetime(2024, 9, 27, 15), "BLUE", at_end(2024, 9, 29), at_end(2024, 10, 23)),
])
def test_deadlines_follow_the_holiday_calendar(dispatched, level, sign, handle):
    assert deadlines.sign_deadline(dispatched) == sign
    assert deadlines.handle_deadline(dispatched, level) == handle


def test_deadline_state():
    deadline = at_end(2024, 10, 8)  # the first working day after National Day
    assert deadline_state(deadline, dt.datetime(2024, 9, 29, 12)) == "正常"  # 09-30 and 10-08 left
    # on 09-30 only 10-08 is left: a week of holiday away, but one working day
    assert deadline_state(deadline, dt.datetime(2024, 9, 30, 12)) == "临期"
    assert deadline_state(deadline, dt.datetime(2024, 10, 7, 12)) == "临期"
    assert deadline_state(deadline, dt.datetime(2024, 10, 8, 0, 0)) == "今日到期"
    assert deadline_state(deadline, dt.datetime(2024, 10, 8, 20)) == "今日到期"
    assert deadline_state(deadline, dt.datetime(2024, 10, 9, 0, 0, 1)) == "超期"
    assert deadline_state(None, dt.datetime(2024, 10, 9)) is None


def test_overdue_starts_on_the_first_working_day_after_the_deadline():
    friday = at_end(2024, 10, 18)
    assert deadline_state(friday, dt.datetime(2024, 10, 18, 23)) == "今日到期"
    # Saturday and Sunday: the deadline has passed but no working day has begun since — not yet 超期
    assert deadline_state(friday, dt.datetime(2024, 10, 19, 10)) == "已到期"
    assert deadline_state(friday, dt.datetime(2024, 10, 20, 23)) == "已到期"
    assert deadline_state(friday, dt.datetime(2024, 10, 21, 0, 0, 1)) == "超期"
    assert workdays_between(friday.date(), dt.date(2024, 10, 21)) == 1


def test_settings_are_configurable_and_checked(monkeypatch):
    monkeypatch.setenv("BIANJIAN_LEAD_HANDLE_DAYS", "RED=1,ORANGE=2,YELLOW=3,BLUE=4")
    monkeypatch.setenv("BIANJIAN_LEAD_SIGN_DAYS", "2")
    assert deadlines.handle_deadline(dt.datetime(2025, 1, 27, 10), "BLUE") == at_end(2025, 2, 8)
    assert deadlines.sign_deadline(dt.datetime(2024, 9, 27, 15)) == at_end(2024, 9, 30)
    monkeypatch.setenv("BIANJIAN_LEAD_HANDLE_DAYS", "RED=3,PURPLE=5")
    with pytest.raises(ValueError, match="bad entry 'PURPLE=5'"):
        deadlines.handle_days("RED")
    monkeypatch.setenv("BIANJIAN_LEAD_SIGN_DAYS", "一天")
    with pytest.raises(ValueError, match="not a whole number"):
        deadlines.sign_days()


def test_overdue_and_due_soon_queries(tmp_path):
    from data_access.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    warehouse.init(engine)
    scjg, analyst = DEPT_CODE_BY_KEY["SCJG"], Scope("a", "ANALYST")
    t0 = dt.datetime(2024, 9, 27, 15)
    with Session(engine) as session, session.begin():
        ids = {}
        for name, level in (("red", "RED"), ("blue", "BLUE"), ("unsigned", "RED")):
            ids[name] = session.execute(insert(RiskLead).values(
                lead_key=name, kind="spike", level=level, score=0.5, title=name, reason="r", evidence={},
                dept_code=scjg, status="待研判", created_at=t0, updated_at=t0).returning(RiskLead.lead_id)).scalar_one()
            transition(session, ids[name], "dispatch", analyst, dept_code=scjg, at=t0)
        for name in ("red", "blue"):
            transition(session, ids[name], "sign", Scope("h", "DEPT_HEAD", scjg), at=t0 + dt.timedelta(hours=2))
        as_of = dt.datetime(2024, 10, 8, 9)  # red handling due tonight; unsigned missed its 09-29 sign-off
        overdue = queries_leads.overdue_leads(session, analyst, as_of)
        assert overdue[["lead_id", "deadline_kind"]].values.tolist() == [[ids["unsigned"], "签收"]]
        assert overdue["overdue_workdays"].tolist() == [2]  # working days in (09-29, 10-08]: 09-30 and 10-08
        assert queries_leads.due_today_leads(session, analyst, as_of)["lead_id"].tolist() == [ids["red"]]
        assert queries_leads.due_soon_leads(session, analyst, as_of).empty
        counts = queries_leads.lead_status_counts(session, analyst, as_of)
        assert (counts["已转办"], counts["已签收"], counts["超期"], counts["今日到期"], counts["临期"]) == (1, 2, 1, 1, 0)
    engine.dispose()
