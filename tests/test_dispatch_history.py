"""The demo's lead history (built through the real state machine) and the scoped queries over it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access import codes, queries_leads
from data_access.schema import PlantedEvent, RiskLead, RiskLeadEvent
from data_access.scope import Scope
from dispatch.lifecycle import ACTION_BY_KEY
from tests.conftest import DEMO_END

AS_OF = dt.datetime.fromisoformat(DEMO_END) + dt.timedelta(days=1)
ANALYST = Scope("a", "ANALYST")


@pytest.fixture(scope="module")
def session(demo_engine):
    with Session(demo_engine) as session:
        yield session


def test_history_covers_every_state(session):
    history = select(RiskLead).where(RiskLead.kind == "history")
    leads = session.scalars(history).all()
    assert leads and all(lead.lead_key.startswith("demo:") for lead in leads)
    statuses = {lead.status for lead in leads}
    assert statuses == {"待研判", "已转办", "已签收", "核查中", "已反馈", "已办结", "误报"}
    assert any(lead.return_count for lead in leads)  # 退回
    assert any(lead.supervise_level for lead in leads)  # 督办
    assert any(lead.joint_task_id for lead in leads)  # 联合监管
    assert any(lead.extension_days for lead in leads)  # 延期
    counts = queries_leads.lead_status_counts(session, ANALYST, AS_OF)
    perf = queries_leads.dept_lead_performance(session, ANALYST, AS_OF)
    assert perf["overdue"].sum() > 0 and counts["误报"] > 0


def test_history_leads_still_open_are_at_most_yellow(session):
    # No model's measured precision stands behind a drawn level: the demo's history leads that are still open
    # at its end are capped like any uncalibrated kind (the wall paints no red that nothing backs), while
    # closed ones keep every level.
    levels = session.execute(select(RiskLead.status, RiskLead.level).where(RiskLead.kind == "history")).all()
    still_open = {level for status, level in levels if status not in ("已办结", "误报")}
    assert still_open and still_open <= {"YELLOW", "BLUE"}
    assert {"RED", "ORANGE"} <= {level for status, level in levels if status == "已办结"}


def test_timelines_obey_the_state_machine(session):
    """Replaying each lead's events from 待研判 only ever takes declared transitions and ends in its status."""
    events = session.execute(select(RiskLeadEvent.lead_id, RiskLeadEvent.action, RiskLeadEvent.from_status,
                                    RiskLeadEvent.to_status, RiskLeadEvent.at)
                             .order_by(RiskLeadEvent.lead_id, RiskLeadEvent.at, RiskLeadEvent.event_id)).all()
    status = dict(session.execute(select(RiskLead.lead_id, RiskLead.status).where(RiskLead.kind == "history")).all())
    state, last = {}, {}
    for lead_id, action, frm, to, at in events:
        act = ACTION_BY_KEY[action]
        assert frm == state.get(lead_id, "待研判") and frm in act.sources and to == (act.target or frm)
        assert at >= last.get(lead_id, at) and at < AS_OF
        state[lead_id], last[lead_id] = to, at
    assert {k: state.get(k, "待研判") for k in status} == status


def test_planted_slow_departments_are_overdue_far_more_often(session):
    slow = set(session.scalars(select(PlantedEvent.dept_code).where(PlantedEvent.kind == "slow_department")))
    perf = queries_leads.dept_lead_performance(session, ANALYST, AS_OF)
    share = perf.set_index("dept_code")["dispatched"] / perf["dispatched"].sum()
    for dept in slow:
        assert 0.05 < share[dept] < 0.2
    others = perf[~perf["dept_code"].isin(slow)]
    rate = lambda df: df["overdue"].sum() / df["dispatched"].sum()  # noqa: E731
    assert rate(perf[perf["dept_code"].isin(slow)]) > 3 * rate(others)
    assert set(perf.head(len(slow))["dept_code"]) == slow  # the ranking finds them


def test_reason_is_what_the_chart_draws_and_complaints_are_real(session):
    """Each history lead's reason is computed from its own series (the lead page draws that series with
    its band: the peak named is above the band's upper edge by the ratio said), and its evidence lists
    real complaints of its county and category, never placeholders."""
    import re

    from data_access.schema import HotlineTicket
    from dispatch.demo_history import spike_reason

    leads = session.scalars(select(RiskLead).where(RiskLead.kind == "history")).all()
    with_complaints = 0
    for lead in leads:
        series = lead.evidence["series"]
        county = codes.COUNTY_BY_CODE[lead.region_code].name
        assert lead.reason == spike_reason(county, lead.title[len(county):].removesuffix("投诉异常升高"), series)
        week = series[-7:]
        match = re.search(r"当日(\d+)件，为预测上限（([\d.]+)件）的([\d.]+)倍", lead.reason)
        assert match, lead.reason
        n, upper, ratio = int(match[1]), float(match[2]), float(match[3])
        peak = max(week, key=lambda p: p["n"] / p["upper"])
        assert (n, round(upper, 1)) == (peak["n"], round(peak["upper"], 1)) and n > peak["upper"]
        assert ratio == round(n / peak["upper"], 1) and ratio > 1
        assert f"投诉{sum(p['n'] for p in week)}件" in lead.reason
        for c in lead.evidence.get("complaints", []):
            assert not c["order_no"].startswith("DEMO") and c["content"]
            ticket = session.get(HotlineTicket, c["ticket_id"])
            assert (ticket.order_no, ticket.region_code, ticket.category_code) == \
                (c["order_no"], lead.region_code, lead.category_code)
            with_complaints += 1
    assert with_complaints >= len(leads) // 5  # the small test demo has few tickets per county, category, week


def test_history_is_deterministic(demo_engine_copy):
    from dispatch.demo_history import generate_history

    runs = []
    for _ in range(2):
        with demo_engine_copy.connect() as conn:
            trans = conn.begin()
            conn.execute(RiskLead.__table__.update().where(RiskLead.kind == "history")
                         .values(lead_key="old:" + RiskLead.lead_key))
            generate_history(conn, 5, dt.date(2025, 6, 30), n=30)
            runs.append(conn.execute(select(RiskLead.lead_key, RiskLead.status, RiskLead.dept_code, RiskLead.version,
                                            RiskLead.handle_deadline).where(RiskLead.lead_key.like("demo:%"))
                                     .order_by(RiskLead.lead_key)).all())
            trans.rollback()
    assert runs[0] == runs[1] and len(runs[0]) == 30


@pytest.mark.parametrize("dept_key", ["SCJG", "CGJ", "RSJ", "ZJJ"])
def test_department_head_never_sees_other_departments(session, dept_key):
    from data_access.reference import DEPT_CODE_BY_KEY

    dept = DEPT_CODE_BY_KEY[dept_key]
    head = Scope("h", "DEPT_HEAD", dept)
    own = session.scalar(select(func.count()).select_from(RiskLead).where(RiskLead.dept_code == dept))
    rows, total = queries_leads.lead_page(session, head, as_of=AS_OF, start=0, end=1000)
    assert total == own and {r["dept_code"] for r in rows} <= {dept}
    assert set(queries_leads.list_leads(session, head, as_of=AS_OF)["dept_code"]) <= {dept}
    assert sum(v for k, v in queries_leads.lead_status_counts(session, head, AS_OF).items()
               if k in codes.LEAD_STATUSES and k != "退回") == own
    assert set(queries_leads.overdue_leads(session, head, AS_OF)["dept_code"]) <= {dept}
    assert set(queries_leads.due_soon_leads(session, head, AS_OF)["dept_code"]) <= {dept}
    assert queries_leads.dispatch_funnel(session, head).iloc[0]["n"] == own
    assert set(queries_leads.dept_lead_performance(session, head, AS_OF)["dept_code"]) <= {dept}
    assert set(queries_leads.joint_list(session, head, AS_OF)["dept_code"]) <= {dept}
    assert set(queries_leads.joint_summary(session, head, AS_OF)["dept_code"]) <= {dept}
    inbox = queries_leads.inbox(session, head, AS_OF)
    assert set(inbox.loc[inbox["role"] == "牵头", "dept_code"]) <= {dept}
    others = session.scalars(select(RiskLead.lead_id).where(RiskLead.dept_code != dept,
                                                            RiskLead.joint_task_id.is_(None)).limit(20)).all()
    assert others and all(queries_leads.lead_detail(session, head, i) is None for i in others)
