"""The lead state machine, exhaustively: every (state, action, role) on a real SQLite warehouse."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from data_access import warehouse
from data_access.db import make_engine
from data_access.reference import DEPT_CODE_BY_KEY
from data_access.schema import AuditLog, JointTaskPart, RiskLead, RiskLeadEvent
from data_access.scope import ROLES, Scope
from dispatch import lifecycle as lc

SCJG, WJW, CGJ = DEPT_CODE_BY_KEY["SCJG"], DEPT_CODE_BY_KEY["WJW"], DEPT_CODE_BY_KEY["CGJ"]
T0 = dt.datetime(2025, 3, 3, 9, 0)

# The specification, written out independently of dispatch.lifecycle.ACTIONS: action → (from states, roles, to).
OPEN = ("已转办", "已签收", "核查中")
SPEC = {
    "dispatch": (("待研判",), {"ANALYST"}, "已转办"),
    "dismiss": (("待研判",), {"ANALYST"}, "误报"),
    "sign": (("已转办",), {"DEPT_HEAD"}, "已签收"),
    "return": (OPEN, {"DEPT_HEAD"}, "待研判"),
    "start": (("已签收",), {"DEPT_HEAD"}, "核查中"),
    "feedback": (("核查中",), {"DEPT_HEAD"}, "已反馈"),
    "close": (("已反馈",), {"ANALYST"}, "已办结"),
    "redo": (("已反馈",), {"ANALYST"}, "核查中"),
    "request_extension": (("已签收", "核查中"), {"DEPT_HEAD"}, None),
    "approve_extension": (("已签收", "核查中"), {"ANALYST"}, None),
    "deny_extension": (("已签收", "核查中"), {"ANALYST"}, None),
    "escalate": (OPEN, {"ANALYST", "LEADER"}, None),
    "complete_part": ((*OPEN, "已反馈"), {"DEPT_HEAD"}, None),
}
STATES = ("待研判", "已转办", "已签收", "核查中", "已反馈", "已办结", "误报")
PATHS = {"待研判": [], "已转办": ["dispatch"], "已签收": ["dispatch", "sign"], "核查中": ["dispatch", "sign", "start"],
         "已反馈": ["dispatch", "sign", "start", "feedback"],
         "已办结": ["dispatch", "sign", "start", "feedback", "close"], "误报": ["dismiss"]}
PAYLOAD = {"dispatch": {"dept_code": SCJG}, "dismiss": {"note": "重复线索"}, "return": {"note": "非本部门职责"},
           "feedback": {"result": "属实", "note": "已核查", "actions": ["责令整改"], "attachments": ["记录.pdf"]},
           "redo": {"note": "请补充整改结果"}, "request_extension": {"days": 2, "note": "等待检测"},
           "deny_extension": {"note": "理由不充分"}, "escalate": {"level": "一般督办"}}


def scope_for(role: str, action: str) -> Scope:
    dept = (WJW if action == "complete_part" else SCJG) if role == "DEPT_HEAD" else None
    return Scope(f"user-{role.lower()}", role, dept)


def test_spec_matches_declared_table():
    assert {a.key: (a.sources, set(a.roles), a.target) for a in lc.ACTIONS} == SPEC


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('lifecycle') / 'w.db'}")
    warehouse.init(engine)
    yield engine
    engine.dispose()


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> dt.datetime:
        self.t += dt.timedelta(minutes=7)
        return self.t


def new_lead(session: Session, level: str = "ORANGE", created: dt.datetime = T0) -> int:
    n = session.scalar(select(func.count()).select_from(RiskLead))
    return session.execute(insert(RiskLead).values(
        lead_key=f"test:{n}", kind="spike", level=level, score=0.8, title=f"测试线索{n}", reason="近7日投诉激增",
        evidence={}, region_code="410204", dept_code=SCJG, status="待研判", created_at=created, updated_at=created,
        version=1).returning(RiskLead.lead_id)).scalar_one()


def lead_in(session: Session, clock: Clock, state: str, *, joint: bool = False, pending_extension: bool = False) -> int:
    """A lead brought to ``state`` by real transitions."""
    lead_id = new_lead(session)
    analyst, head, co_head = Scope("a", "ANALYST"), Scope("h", "DEPT_HEAD", SCJG), Scope("c", "DEPT_HEAD", WJW)
    for key in PATHS[state]:
        payload = dict(PAYLOAD.get(key, {}))
        if key == "dispatch" and joint:
            payload["co_dept_codes"] = [WJW]
        if key == "close" and joint:
            lc.transition(session, lead_id, "complete_part", co_head, at=clock())
        lc.transition(session, lead_id, key, analyst if "ANALYST" in SPEC[key][1] else head, at=clock(), **payload)
    if pending_extension:
        lc.transition(session, lead_id, "request_extension", head, at=clock(), days=3, note="等待检测")
    return lead_id


def snapshot(session: Session, lead_id: int) -> tuple:
    lead = session.execute(select(RiskLead).where(RiskLead.lead_id == lead_id)
                           .execution_options(populate_existing=True)).scalar_one()
    events = session.scalar(select(func.count()).select_from(RiskLeadEvent).where(RiskLeadEvent.lead_id == lead_id))
    return lead.status, lead.version, events


@pytest.mark.parametrize("state", STATES)
def test_every_action_and_role_from(state, engine):
    """Allowed (state, action, role) succeed and write one event; all others raise and write nothing."""
    clock = Clock()
    with Session(engine) as session, session.begin():
        bases: dict[tuple, int] = {}  # refused attempts write nothing, so they share one lead per preparation
        for key, role in itertools.product(SPEC, ROLES):
            sources, roles, target = SPEC[key]
            prep = (("joint", key == "complete_part"), ("pending_extension", key in (
                "approve_extension", "deny_extension") and state in ("已签收", "核查中")))
            allowed = state in sources and role in roles
            if allowed:
                lead_id = lead_in(session, clock, state, **dict(prep))
            else:
                if prep not in bases:
                    bases[prep] = lead_in(session, clock, state, **dict(prep))
                lead_id = bases[prep]
            before = snapshot(session, lead_id)
            scope = scope_for(role, key)
            if allowed:
                lead = lc.transition(session, lead_id, key, scope, at=clock(), **PAYLOAD.get(key, {}))
                assert lead.status == (target or state), (state, key, role)
                assert snapshot(session, lead_id) == (target or state, before[1] + 1, before[2] + 1)
                event = session.execute(select(RiskLeadEvent).where(RiskLeadEvent.lead_id == lead_id)
                                        .order_by(RiskLeadEvent.event_id.desc()).limit(1)).scalar_one()
                assert (event.action, event.from_status, event.to_status, event.actor) == (
                    key, state, target or state, scope.user)
            else:
                with pytest.raises(lc.LeadError):
                    lc.transition(session, lead_id, key, scope, at=clock(), **PAYLOAD.get(key, {}))
                assert snapshot(session, lead_id) == before, (state, key, role)
        session.rollback()


def test_refusals_explain_in_chinese(engine):
    clock = Clock()
    with Session(engine) as session, session.begin():
        lead_id = lead_in(session, clock, "待研判")
        with pytest.raises(lc.IllegalTransition, match="部门负责人无权执行“转办”"):
            lc.transition(session, lead_id, "转办", Scope("h", "DEPT_HEAD", SCJG), dept_code=SCJG, at=clock())
        with pytest.raises(lc.IllegalTransition, match="当前状态为“待研判”，不能执行“签收”"):
            lc.transition(session, lead_id, "签收", Scope("h", "DEPT_HEAD", SCJG), at=clock())
        with pytest.raises(lc.InvalidLeadInput, match="“误报”须填写理由"):
            lc.transition(session, lead_id, "dismiss", Scope("a", "ANALYST"), note="  ", at=clock())
        with pytest.raises(lc.InvalidLeadInput, match="未知操作“撤销”"):
            lc.transition(session, lead_id, "撤销", Scope("a", "ANALYST"))
        with pytest.raises(lc.InvalidLeadInput, match="未知部门"):
            lc.transition(session, lead_id, "dispatch", Scope("a", "ANALYST"), dept_code="X" * 18, at=clock())
        with pytest.raises(lc.LeadNotFound):
            lc.transition(session, lead_id, "dismiss", Scope("h", "DEPT_HEAD", CGJ), note="x", at=clock())
        with pytest.raises(lc.InvalidLeadInput, match="早于"):
            lc.transition(session, lead_id, "dismiss", Scope("a", "ANALYST"), note="x", at=T0 - dt.timedelta(days=1))
        checking = lead_in(session, clock, "核查中")
        with pytest.raises(lc.InvalidLeadInput, match="核查结果"):
            lc.transition(session, checking, "feedback", Scope("h", "DEPT_HEAD", SCJG), result="也许", note="x", at=clock())
        with pytest.raises(lc.InvalidLeadInput, match="未知处置措施"):
            lc.transition(session, checking, "feedback", Scope("h", "DEPT_HEAD", SCJG), result="属实", note="x",
                          actions=["罚酒三杯"], at=clock())
        with pytest.raises(lc.InvalidLeadInput, match="延期天数"):
            lc.transition(session, checking, "request_extension", Scope("h", "DEPT_HEAD", SCJG), days=0, note="x",
                          at=clock())
        with pytest.raises(lc.IllegalTransition, match="没有待审批的延期申请"):
            lc.transition(session, checking, "approve_extension", Scope("a", "ANALYST"), at=clock())
        # input limits (data_access.limits) hold for every caller: pages, crafted requests, the CLI
        with pytest.raises(lc.InvalidLeadInput, match="核查情况 / 理由最多1000个字，当前30000个字"):
            lc.transition(session, checking, "request_extension", Scope("h", "DEPT_HEAD", SCJG), days=3,
                          note="长" * 30_000, at=clock())
        with pytest.raises(lc.InvalidLeadInput, match="附件最多20个"):
            lc.transition(session, checking, "feedback", Scope("h", "DEPT_HEAD", SCJG), result="属实", note="x",
                          attachments=[f"{i}.pdf" for i in range(21)], at=clock())
        lc.transition(session, checking, "escalate", Scope("l", "LEADER"), level="重点督办", at=clock())
        with pytest.raises(lc.IllegalTransition, match="督办只能升级"):
            lc.transition(session, checking, "escalate", Scope("a", "ANALYST"), level="一般督办", at=clock())
        session.rollback()


def test_extension_moves_the_handle_deadline_in_working_days(engine):
    clock = Clock()
    with Session(engine) as session, session.begin():
        lead_id = lead_in(session, clock, "核查中", pending_extension=True)
        before = session.get(RiskLead, lead_id).handle_deadline
        lead = lc.transition(session, lead_id, "approve_extension", Scope("a", "ANALYST"), at=clock())
        # 2025-03-03 (Mon) + 5 working days = 03-10; + 3 more = 03-13
        assert before == dt.datetime(2025, 3, 10, 23, 59, 59)
        assert lead.handle_deadline == dt.datetime(2025, 3, 13, 23, 59, 59)
        assert (lead.extension_days, lead.extension_request_days) == (3, None)
        session.rollback()


def test_joint_lead_parts_and_return(engine):
    """Co-departments get parts; closing waits for them; 退回 cancels the parts and clears the deadlines."""
    clock = Clock()
    analyst, head, co_head = Scope("a", "ANALYST"), Scope("h", "DEPT_HEAD", SCJG), Scope("c", "DEPT_HEAD", WJW)
    with Session(engine) as session, session.begin():
        lead_id = lead_in(session, clock, "已反馈", joint=True)
        parts = dict(session.execute(select(JointTaskPart.dept_code, JointTaskPart.status).where(
            JointTaskPart.task_id == session.get(RiskLead, lead_id).joint_task_id)).all())
        assert parts == {SCJG: "已完成", WJW: "进行中"}
        with pytest.raises(lc.IllegalTransition, match="协办部门尚未完成：市卫健委"):
            lc.transition(session, lead_id, "close", analyst, at=clock())
        with pytest.raises(lc.LeadNotFound):  # the co-department may only finish its part
            lc.transition(session, lead_id, "redo", co_head, note="x", at=clock())
        lc.transition(session, lead_id, "complete_part", co_head, at=clock())
        assert lc.transition(session, lead_id, "close", analyst, at=clock()).status == "已办结"

        returned = lead_in(session, clock, "已签收", joint=True)
        task_id = session.get(RiskLead, returned).joint_task_id
        lead = lc.transition(session, returned, "退回", head, note="不属于本部门职责", at=clock())
        assert (lead.status, lead.return_count, lead.joint_task_id, lead.sign_deadline, lead.handle_deadline) == (
            "待研判", 1, None, None, None)
        assert set(session.scalars(select(JointTaskPart.status).where(JointTaskPart.task_id == task_id))) == {"已撤销"}
        assert lc.transition(session, returned, "dispatch", analyst, dept_code=CGJ, at=clock()).dept_code == CGJ
        session.rollback()


def test_stale_version_is_refused_and_nothing_written(engine):
    clock = Clock()
    with Session(engine) as session, session.begin():
        lead_id = lead_in(session, clock, "已转办")
        seen = session.get(RiskLead, lead_id).version
        lc.transition(session, lead_id, "escalate", Scope("l", "LEADER"), level="一般督办", at=clock())
        before = snapshot(session, lead_id)
        with pytest.raises(lc.StaleLead, match="该线索已被他人更新，请刷新后重试"):
            lc.transition(session, lead_id, "sign", Scope("h", "DEPT_HEAD", SCJG), expected_version=seen, at=clock())
        assert snapshot(session, lead_id) == before
        session.rollback()


def test_each_transition_is_audited(engine):
    clock = Clock()
    with Session(engine) as session, session.begin():
        lead_id = lead_in(session, clock, "待研判")
        n = session.scalar(select(func.count()).select_from(AuditLog))
        lc.transition(session, lead_id, "dismiss", Scope("研判员", "ANALYST"), note="重复", at=clock())
        row = session.execute(select(AuditLog).order_by(AuditLog.audit_id.desc()).limit(1)).scalar_one()
        assert session.scalar(select(func.count()).select_from(AuditLog)) == n + 1
        assert (row.actor, row.action, row.object_type, row.object_id) == ("研判员", "lead.dismiss", "risk_lead",
                                                                           str(lead_id))
        session.rollback()
