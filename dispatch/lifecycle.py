"""The risk-lead lifecycle: one transition table, one ``transition`` function, optimistic locking.

待研判 → 已转办 → 已签收 → 核查中 → 已反馈 → 已办结, with 退回 (back to 待研判), 误报, 重办, 延期申请/批准/驳回,
督办 (a level, not a state) and 协办完成 (a co-department finishing its part of a joint lead). Every
transition is one versioned ORM update of the lead: ``derived_risk_lead.version`` is the mapper's
``version_id_col``, so SQLAlchemy writes ``UPDATE … SET version=n+1 WHERE lead_id=? AND version=n`` and raises
``StaleDataError`` when no row matched, which becomes ``StaleLead`` (the Chinese conflict message) — two people
acting at once never overwrite each other. Each transition appends one ``derived_risk_lead_event`` (the timeline).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from data_access import codes, limits
from data_access.schema import Department, JointTask, JointTaskPart, RiskLead, RiskLeadEvent
from data_access.scope import ROLES, Scope
from dispatch import deadlines
from security import audit

STALE_MESSAGE = "该线索已被他人更新，请刷新后重试"
MAX_EXTENSION_DAYS = 30
JOINT_SRC = "dispatch"


class LeadError(Exception):
    """A refused lead operation; ``str(exc)`` is the Chinese message shown to the user."""


class LeadNotFound(LeadError):
    pass


class IllegalTransition(LeadError):
    pass


class InvalidLeadInput(LeadError):
    pass


class StaleLead(LeadError):
    def __init__(self, message: str = STALE_MESSAGE) -> None:
        super().__init__(message)


@dataclass(frozen=True)
class Action:
    key: str
    label: str
    sources: tuple[str, ...]
    target: str | None  # None: the status stays (督办, 延期, 协办完成)
    roles: frozenset[str]


def _a(key: str, label: str, sources: tuple[str, ...], target: str | None, *roles: str) -> Action:
    return Action(key, label, sources, target, frozenset(roles))


_DISPATCHED = codes.LEAD_OPEN_STATUSES  # 已转办, 已签收, 核查中
_SIGNED = ("已签收", "核查中")

# The transition table: who (role) may do what from which states. Nothing else moves a lead.
ACTIONS: tuple[Action, ...] = (
    _a("dispatch", "转办", ("待研判",), "已转办", "ANALYST"),
    _a("dismiss", "误报", ("待研判",), "误报", "ANALYST"),
    _a("sign", "签收", ("已转办",), "已签收", "DEPT_HEAD"),
    _a("return", "退回", _DISPATCHED, "待研判", "DEPT_HEAD"),
    _a("start", "开始核查", ("已签收",), "核查中", "DEPT_HEAD"),
    _a("feedback", "反馈", ("核查中",), "已反馈", "DEPT_HEAD"),
    _a("close", "办结", ("已反馈",), "已办结", "ANALYST"),
    _a("redo", "重办", ("已反馈",), "核查中", "ANALYST"),
    _a("request_extension", "延期申请", _SIGNED, None, "DEPT_HEAD"),
    _a("approve_extension", "延期批准", _SIGNED, None, "ANALYST"),
    _a("deny_extension", "延期驳回", _SIGNED, None, "ANALYST"),
    _a("escalate", "督办", _DISPATCHED, None, "ANALYST", "LEADER"),
    _a("complete_part", "协办完成", (*_DISPATCHED, "已反馈"), None, "DEPT_HEAD"),
)
ACTION_BY_KEY = {a.key: a for a in ACTIONS}
ACTION_BY_LABEL = {a.label: a for a in ACTIONS}
NEEDS_REASON = frozenset({"dismiss", "return", "redo", "request_extension", "deny_extension"})


def find_action(name: str) -> Action:
    """An action by key (``dispatch``) or Chinese label (``转办``)."""
    action = ACTION_BY_KEY.get(name) or ACTION_BY_LABEL.get(name)
    if action is None:
        raise InvalidLeadInput(f"未知操作“{name}”，可选：{'、'.join(a.label for a in ACTIONS)}")
    return action


def available_actions(status: str, role: str) -> list[Action]:
    """Actions the table allows ``role`` from ``status`` (preconditions such as a pending extension
    request are checked by ``transition``)."""
    return [a for a in ACTIONS if status in a.sources and role in a.roles]


def transition(session: Session, lead_id: int, action: str, scope: Scope, *, at: dt.datetime | None = None,
               note: str | None = None, expected_version: int | None = None, dept_code: str | None = None,
               co_dept_codes: Sequence[str] = (), result: str | None = None, actions: Sequence[str] = (),
               attachments: Sequence[str] = (), days: int | None = None, level: str | None = None) -> RiskLead:
    """Apply ``action`` to a lead as ``scope`` and return the updated lead; the caller commits.

    ``expected_version`` is the version the user saw (pages pass it so a stale screen cannot act);
    without it the version just read is used. Raises a ``LeadError`` subclass, writing nothing, when the
    action is unknown, not allowed for the role or state, missing its inputs, or the lead changed meanwhile.
    Payload: ``dispatch`` needs ``dept_code`` (+ ``co_dept_codes``); ``feedback`` needs ``result``,
    ``note`` (the feedback text), optional ``actions``/``attachments``; ``request_extension`` needs
    ``days``; ``escalate`` needs ``level``; 误报/退回/重办/延期申请/延期驳回 need ``note`` as the reason.
    """
    act = find_action(action)
    at = at or dt.datetime.now().replace(microsecond=0)
    note = (note or "").strip() or None
    refusal = limits.too_long("lead_note", note)
    if refusal:
        raise InvalidLeadInput(refusal)
    lead = session.execute(select(RiskLead).where(RiskLead.lead_id == lead_id)
                           .execution_options(populate_existing=True)).scalar_one_or_none()
    own_part = _own_open_part(session, lead, scope) if lead is not None and act.key == "complete_part" else None
    if lead is None or not (scope.all_departments or lead.dept_code == scope.dept_code or own_part is not None):
        raise LeadNotFound(f"线索 {lead_id} 不存在或无权访问")
    if expected_version is not None and expected_version != lead.version:
        raise StaleLead()
    if scope.role not in act.roles:
        raise IllegalTransition(f"{ROLES[scope.role]}无权执行“{act.label}”（仅限{'、'.join(ROLES[r] for r in sorted(act.roles))}）")
    if lead.status not in act.sources:
        raise IllegalTransition(f"线索当前状态为“{lead.status}”，不能执行“{act.label}”"
                                f"（仅限{'、'.join(act.sources)}状态）")
    if act.key in NEEDS_REASON and not note:
        raise InvalidLeadInput(f"“{act.label}”须填写理由")
    if at < lead.updated_at:
        raise InvalidLeadInput(f"操作时间 {at:%Y-%m-%d %H:%M} 早于该线索上一次操作 {lead.updated_at:%Y-%m-%d %H:%M}")

    values, detail = _effects(session, lead, act, scope, at, note=note, dept_code=dept_code,
                              co_dept_codes=co_dept_codes, result=result, actions=actions,
                              attachments=attachments, days=days, level=level, own_part=own_part)
    from_status, task_id = lead.status, lead.joint_task_id
    for column, value in {**values, "status": act.target or lead.status, "updated_at": at}.items():
        setattr(lead, column, value)
    flag_modified(lead, "updated_at")  # every transition is one versioned UPDATE, even one that changes nothing
    try:
        session.flush()
    except StaleDataError:  # the version moved since it was read: someone else acted first
        raise StaleLead() from None
    session.execute(insert(RiskLeadEvent).values(
        lead_id=lead.lead_id, from_status=from_status, to_status=lead.status, actor=scope.user[:40],
        at=at, note=note, action=act.key, detail=detail or None))
    _joint_effects(session, lead, act, at, values, task_id, own_part)
    audit.record(session, scope.user, f"lead.{act.key}", "risk_lead", str(lead.lead_id),
                 {"from": from_status, "to": lead.status, **detail})
    return session.execute(select(RiskLead).where(RiskLead.lead_id == lead.lead_id)
                           .execution_options(populate_existing=True)).scalar_one()


# --------------------------------------------------------------------------------- per-action effects


def _effects(session: Session, lead: RiskLead, act: Action, scope: Scope, at: dt.datetime, *, note, dept_code,
             co_dept_codes, result, actions, attachments, days, level, own_part) -> tuple[dict, dict]:
    """Column changes and event detail for ``act``; validates the action's inputs (raises, writes nothing)."""
    key = act.key
    if key == "dispatch":
        if not dept_code:
            raise InvalidLeadInput("转办须选择牵头部门")
        co = list(dict.fromkeys(c for c in co_dept_codes if c and c != dept_code))
        known = set(session.scalars(select(Department.dept_code).where(Department.dept_code.in_([dept_code, *co]))))
        unknown = [c for c in [dept_code, *co] if c not in known]
        if unknown:
            raise InvalidLeadInput(f"未知部门：{'、'.join(unknown)}")
        return ({"dept_code": dept_code, "co_dept_codes": ",".join(co) or None, "dispatched_at": at,
                 "sign_deadline": deadlines.sign_deadline(at), "handle_deadline": deadlines.handle_deadline(at, lead.level),
                 "signed_at": None, "feedback_at": None, "closed_at": None, "supervise_level": None,
                 "extension_days": 0, "extension_request_days": None},
                {"dept_code": dept_code, "co_dept_codes": co})
    if key == "dismiss":
        return {"closed_at": at}, {}
    if key == "sign":
        return {"signed_at": at}, {}
    if key == "return":
        return ({"dispatched_at": None, "signed_at": None, "sign_deadline": None, "handle_deadline": None,
                 "extension_request_days": None, "supervise_level": None, "joint_task_id": None,
                 "return_count": lead.return_count + 1}, {"dept_code": lead.dept_code})
    if key == "start":
        return {}, {}
    if key == "feedback":
        if result not in codes.LEAD_FEEDBACK_RESULTS:
            raise InvalidLeadInput(f"反馈须选择核查结果：{'、'.join(codes.LEAD_FEEDBACK_RESULTS)}")
        bad = [a for a in actions if a not in codes.LEAD_FEEDBACK_ACTIONS]
        if bad:
            raise InvalidLeadInput(f"未知处置措施：{'、'.join(bad)}")
        if not note:
            raise InvalidLeadInput("反馈须填写核查情况")
        files = [str(f).strip() for f in attachments if str(f).strip()]
        if len(files) > limits.MAX_ATTACHMENTS:
            raise InvalidLeadInput(f"附件最多{limits.MAX_ATTACHMENTS}个，当前{len(files)}个")
        if any(len(f) > limits.MAX_ATTACHMENT_CHARS for f in files):
            raise InvalidLeadInput(f"附件文件名或路径过长（最多{limits.MAX_ATTACHMENT_CHARS}个字符）")
        return ({"feedback_at": at, "feedback_result": result, "feedback_actions": ",".join(actions) or None,
                 "feedback_text": note, "feedback_attachments": files or None},
                {"result": result, "actions": list(actions), "attachments": files})
    if key == "close":
        waiting = _open_co_parts(session, lead)
        if waiting:
            raise IllegalTransition(f"联合监管协办部门尚未完成：{'、'.join(waiting)}")
        return {"closed_at": at}, {}
    if key == "redo":
        return {"feedback_at": None}, {}
    if key == "request_extension":
        if lead.extension_request_days:
            raise IllegalTransition("已有待审批的延期申请")
        if not isinstance(days, int) or not 1 <= days <= MAX_EXTENSION_DAYS:
            raise InvalidLeadInput(f"延期天数须为 1–{MAX_EXTENSION_DAYS} 个工作日")
        return {"extension_request_days": days}, {"days": days}
    if key in ("approve_extension", "deny_extension"):
        if not lead.extension_request_days:
            raise IllegalTransition("没有待审批的延期申请")
        if key == "deny_extension":
            return {"extension_request_days": None}, {"days": lead.extension_request_days}
        n = lead.extension_request_days
        new_deadline = deadlines.add_workdays(lead.handle_deadline, n)
        return ({"handle_deadline": new_deadline, "extension_days": lead.extension_days + n,
                 "extension_request_days": None}, {"days": n, "handle_deadline": new_deadline.isoformat()})
    if key == "escalate":
        if level not in codes.LEAD_SUPERVISE_LEVELS:
            raise InvalidLeadInput(f"督办级别须为：{'、'.join(codes.LEAD_SUPERVISE_LEVELS)}")
        current = codes.LEAD_SUPERVISE_LEVELS.index(lead.supervise_level) if lead.supervise_level else -1
        if codes.LEAD_SUPERVISE_LEVELS.index(level) <= current:
            raise IllegalTransition(f"该线索已是“{lead.supervise_level}”，督办只能升级")
        return {"supervise_level": level}, {"level": level}
    if key == "complete_part":
        if own_part is None:
            raise IllegalTransition("本部门在该线索上没有待完成的协办任务")
        return {}, {"dept_code": own_part.dept_code, "part_id": own_part.part_id}
    raise AssertionError(f"no effects declared for {key}")  # every ACTIONS entry is handled above


def _own_open_part(session: Session, lead: RiskLead, scope: Scope) -> JointTaskPart | None:
    """The acting co-department's open part of the lead's joint task (the lead department's part
    completes with its feedback)."""
    if lead.joint_task_id is None or scope.dept_code is None or scope.dept_code == lead.dept_code:
        return None
    return session.execute(select(JointTaskPart).where(
        JointTaskPart.task_id == lead.joint_task_id, JointTaskPart.dept_code == scope.dept_code,
        JointTaskPart.status == "进行中")).scalar_one_or_none()


def _open_co_parts(session: Session, lead: RiskLead) -> list[str]:
    if lead.joint_task_id is None:
        return []
    stmt = (select(Department.short_name).join(JointTaskPart, JointTaskPart.dept_code == Department.dept_code)
            .where(JointTaskPart.task_id == lead.joint_task_id, JointTaskPart.status == "进行中",
                   JointTaskPart.dept_code != lead.dept_code).order_by(Department.short_name))
    return list(session.scalars(stmt))


def _joint_effects(session: Session, lead: RiskLead, act: Action, at: dt.datetime, values: dict,
                   task_id: int | None, own_part: JointTaskPart | None) -> None:
    """Keep the joint-supervision task (fact_joint_task/_part) in step with the lead, which the versioned UPDATE
    already holds (``task_id``: the lead's joint task before this transition)."""
    part_t = JointTaskPart.__table__
    if act.key == "dispatch" and values["co_dept_codes"]:
        new_task = session.execute(insert(JointTask).values(
            src_system=JOINT_SRC, src_id=f"lead:{lead.lead_id}:{lead.return_count + 1}", load_batch=JOINT_SRC,
            loaded_at=at, name=f"联合核查：{lead.title}"[:200], lead_dept_code=values["dept_code"],
            region_code=lead.region_code or codes.CITY_CODE, planned_start=at.date(),
            planned_end=values["handle_deadline"].date(), status="进行中").returning(JointTask.task_id)).scalar_one()
        depts = [(values["dept_code"], "牵头核查并反馈")] + [(c, "配合核查") for c in values["co_dept_codes"].split(",")]
        session.execute(insert(part_t), [
            {"src_system": JOINT_SRC, "src_id": f"task:{new_task}:{d}", "load_batch": JOINT_SRC, "loaded_at": at,
             "task_id": new_task, "dept_code": d, "duty": duty, "status": "进行中", "done_at": None}
            for d, duty in depts])
        # The lead's row is already locked and versioned by this transition: a plain UPDATE links the task.
        session.execute(update(RiskLead).where(RiskLead.lead_id == lead.lead_id).values(joint_task_id=new_task)
                        .execution_options(synchronize_session=False))
    elif task_id is None:
        return
    elif act.key == "return":
        session.execute(update(part_t).where(part_t.c.task_id == task_id, part_t.c.status == "进行中")
                        .values(status="已撤销"))
        session.execute(update(JointTask).where(JointTask.task_id == task_id).values(status="已撤销")
                        .execution_options(synchronize_session=False))
    elif act.key in ("feedback", "redo"):
        done = act.key == "feedback"
        session.execute(update(part_t).where(part_t.c.task_id == task_id,
                                             part_t.c.dept_code == lead.dept_code)
                        .values(status="已完成" if done else "进行中", done_at=at if done else None))
    elif act.key == "complete_part":
        session.execute(update(part_t).where(part_t.c.part_id == own_part.part_id).values(status="已完成", done_at=at))
    elif act.key == "close":
        session.execute(update(JointTask).where(JointTask.task_id == task_id).values(status="已完成")
                        .execution_options(synchronize_session=False))
