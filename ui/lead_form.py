"""The lead action form shared by 部门待办 and 线索详情: for one lead, the fields and buttons of exactly the
actions the user's role may take from the lead's state (dispatch.lifecycle's table), and the handler that
applies a click through ``dispatch.lifecycle.transition`` with the version the user saw.

A page puts ``form(prefix, lead, scope)`` in a container, and after every action (success, or the lead
changed meanwhile) draws it again from the database, so status, buttons and version never go stale.
Ids are pattern-matching dicts keyed by ``form`` (the page's prefix), read with :func:`read_states`.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Input, State, dcc, html

from data_access import codes, db, limits, queries_leads
from data_access.scope import Scope
from dispatch import lifecycle
from dispatch.lifecycle import ACTION_BY_KEY, ACTIONS, MAX_EXTENSION_DAYS, LeadError, StaleLead, transition
from ui import inputs, levels
from ui.filters import DROPDOWN_LABELS

ACT = "lead-form-act"
FIELD = "lead-form-field"
LEAD = "lead-form-lead"

# The inputs each action reads (``note`` is the shared 核查情况 / 理由 box, saved on every action's event).
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "dispatch": ("dept", "co_depts"), "escalate": ("supervise",), "feedback": ("result", "measures", "attachments"),
    "request_extension": ("days",),
}
FIELD_ORDER = ("dept", "co_depts", "supervise", "result", "measures", "note", "attachments", "days")
DANGER = frozenset({"dismiss", "return"})
# What the success message says for actions whose label does not read as a past tense after 已.
DONE = {"request_extension": "已提交延期申请", "approve_extension": "已批准延期", "deny_extension": "已驳回延期申请",
        "complete_part": "已完成协办任务"}


def allowed_actions(lead: dict, scope: Scope) -> list[str]:
    """Keys of the actions ``scope`` may take on ``lead`` now (table order, refusals such as 误报 and 退回
    last). A co-department head only finishes its own part; extension decisions need a pending request;
    督办 only goes up."""
    keys = [a.key for a in ACTIONS if lead["status"] in a.sources and scope.role in a.roles]
    if scope.role == "DEPT_HEAD":
        own = lead["dept_code"] == scope.dept_code
        keys = [k for k in keys if (k != "complete_part") == own]
        if not own and not any(p["dept_code"] == scope.dept_code and p["status"] == "进行中"
                               for p in lead.get("parts") or []):
            keys = []
    if not lead.get("extension_request_days"):
        keys = [k for k in keys if k not in ("approve_extension", "deny_extension")]
    else:
        keys = [k for k in keys if k != "request_extension"]
    if lead.get("supervise_level") == codes.LEAD_SUPERVISE_LEVELS[-1]:
        keys = [k for k in keys if k != "escalate"]
    return sorted(keys, key=lambda k: k in DANGER)


def form(prefix: str, lead: dict, scope: Scope) -> html.Div:
    """The form for ``lead`` (a ``queries_leads.lead_detail`` dict) as ``scope``."""
    keys = allowed_actions(lead, scope)
    summary = html.Div([
        html.Div([levels.level_badge(lead["level"], className="me-2"),
                  dcc.Link(f"#{lead['lead_id']} {lead['title']}", href=f"/leads/{lead['lead_id']}",
                           className="fw-bold")]),
        html.Div(_state_line(lead), className="small text-muted mt-1", id=f"{prefix}-form-status"),
    ], className="mb-2")
    store = dcc.Store(id={"type": LEAD, "form": prefix, "lead": lead["lead_id"]},
                      data={"lead_id": lead["lead_id"], "version": lead["version"]})
    if not keys:
        return html.Div([summary, store, dbc.Alert("当前状态下您没有可执行的操作", color="light",
                                               className="mb-0", id=f"{prefix}-form-none")])
    needed = {"note"} | {f for k in keys for f in ACTION_FIELDS.get(k, ())}
    fields = [_field(prefix, name, lead, keys) for name in FIELD_ORDER if name in needed]
    buttons = html.Div([dbc.Button(ACTION_BY_KEY[k].label, id={"type": ACT, "form": prefix, "action": k},
                                   color="danger" if k in DANGER else "primary", outline=k in DANGER,
                                   className="me-2 mt-2") for k in keys],
                       className="d-flex flex-wrap", id=f"{prefix}-form-buttons")
    return html.Div([summary, store, *fields, buttons])


def _state_line(lead: dict) -> str:
    parts = [f"状态：{lead['status']}"]
    deadline = lead.get("handle_deadline") if lead["status"] in ("已签收", "核查中") else (
        lead.get("sign_deadline") if lead["status"] == "已转办" else None)
    if deadline:
        parts.append(f"时限 {deadline:%m-%d %H:%M}")
    if lead.get("extension_request_days"):
        parts.append(f"待审批延期 {lead['extension_request_days']} 个工作日")
    if lead.get("supervise_level"):
        parts.append(lead["supervise_level"])
    return "　".join(parts)


def _field(prefix: str, name: str, lead: dict, keys: list[str]) -> html.Div:
    fid = {"type": FIELD, "form": prefix, "name": name}
    reasons = "、".join(ACTION_BY_KEY[k].label for k in keys if k in lifecycle.NEEDS_REASON)
    if name == "note":
        hint = f"{reasons}须填写理由" if reasons else "可选，记入处置时间线"
        if "feedback" in keys:
            hint = "反馈须填写核查情况；" + hint
        return html.Div([dbc.Label("核查情况 / 理由", className="mt-2"),
                         inputs.counted_text(prefix, "note", "lead_note", rows=4, placeholder=hint)])
    if name == "attachments":
        return html.Div([dbc.Label(f"附件（每行一个文件名或路径，最多{limits.MAX_ATTACHMENTS}个）", className="mt-2"),
                         inputs.counted_text(prefix, "attachments", "lead_attachments", rows=2)])
    if name == "days":
        return html.Div([dbc.Label(f"申请延期（1–{MAX_EXTENSION_DAYS} 个工作日）", className="mt-2"),
                         dbc.Input(id=fid, type="text", inputMode="numeric", maxLength=3, placeholder="如 5")])
    if name == "result":
        return html.Div([dbc.Label("核查结果", className="mt-2"),
                         dbc.RadioItems(id=fid, options=list(codes.LEAD_FEEDBACK_RESULTS), inline=True)])
    if name == "measures":
        return html.Div([dbc.Label("处置措施", className="mt-2"),
                         dbc.Checklist(id=fid, options=list(codes.LEAD_FEEDBACK_ACTIONS), inline=True, value=[])])
    if name == "supervise":
        current = lead.get("supervise_level")
        higher = codes.LEAD_SUPERVISE_LEVELS[codes.LEAD_SUPERVISE_LEVELS.index(current) + 1:] if current \
            else codes.LEAD_SUPERVISE_LEVELS
        return html.Div([dbc.Label("督办级别", className="mt-2"),
                         dcc.Dropdown(labels=DROPDOWN_LABELS, id=fid, options=list(higher), value=higher[0], clearable=False)])
    options = _department_options()
    if name == "dept":
        return html.Div([dbc.Label("牵头部门", className="mt-2"),
                         dcc.Dropdown(labels=DROPDOWN_LABELS, id=fid, options=options, value=lead.get("dept_code"), placeholder="选择牵头部门")])
    return html.Div([dbc.Label("协办部门（联合监管，可多选）", className="mt-2"),
                     dcc.Dropdown(labels=DROPDOWN_LABELS, id=fid, options=options, multi=True, value=[], placeholder="无")])



def _department_options() -> list[dict]:
    with db.session_scope() as session:
        depts = queries_leads.departments(session)
    return [{"label": r.short_name, "value": r.dept_code} for r in depts.itertuples()]


# ------------------------------------------------------------------------------------------- callbacks


def dependencies(prefix: str) -> dict:
    """The ``inputs``/``state`` groups a page's action callback declares for its form (keyword args
    ``clicks``, ``leads``, ``texts``, ``text_ids``, ``fields``, ``field_ids``)."""
    return {
        "inputs": {"clicks": Input({"type": ACT, "form": prefix, "action": ALL}, "n_clicks")},
        "state": {"leads": State({"type": LEAD, "form": prefix, "lead": ALL}, "data"),
                  "texts": State({"type": inputs.TEXT, "form": prefix, "name": ALL}, "value"),
                  "text_ids": State({"type": inputs.TEXT, "form": prefix, "name": ALL}, "id"),
                  "fields": State({"type": FIELD, "form": prefix, "name": ALL}, "value"),
                  "field_ids": State({"type": FIELD, "form": prefix, "name": ALL}, "id")},
    }


def clicked_action(triggered: list[dict], triggered_id) -> str | None:  # noqa: ANN001
    """The clicked action key, or None when the callback fired because the form was (re)drawn."""
    if not isinstance(triggered_id, dict) or triggered_id.get("type") != ACT:
        return None
    return triggered_id["action"] if any(t.get("value") for t in triggered) else None


def submit(action: str, leads: list[dict], texts: list, text_ids: list[dict], fields: list, field_ids: list[dict],
           scope: Scope) -> tuple[bool, str, bool]:
    """Apply ``action`` to the form's lead; ``(ok, Chinese message, redraw)`` — redraw the form after a
    success or when the lead changed meanwhile; keep it (and what the user typed) after a refusal."""
    if not leads:
        return False, "请先选择一条线索", False
    lead_ref = leads[0]
    values = {**inputs.values_by_name(texts, text_ids), **inputs.values_by_name(fields, field_ids)}
    attachments = [line.strip() for line in str(values.get("attachments") or "").splitlines() if line.strip()]
    for name, limit in (("note", "lead_note"), ("attachments", "lead_attachments")):
        refusal = limits.too_long(limit, values.get(name))
        if refusal:
            return False, refusal, False
    days = None
    if str(values.get("days") or "").strip():
        try:
            days = limits.parse_whole_number(values["days"], "延期天数", 1, MAX_EXTENSION_DAYS)
        except ValueError as exc:
            return False, str(exc), False
    try:
        with db.session_scope() as session:
            lead = transition(session, lead_ref["lead_id"], action, scope, expected_version=lead_ref["version"],
                              note=values.get("note"), dept_code=values.get("dept"),
                              co_dept_codes=values.get("co_depts") or (), result=values.get("result"),
                              actions=values.get("measures") or (), attachments=attachments, days=days,
                              level=values.get("supervise"))
            done = DONE.get(action, f"已{ACTION_BY_KEY[action].label}")
            message = f"线索 #{lead.lead_id} {done}，当前状态：{lead.status}"
    except StaleLead as exc:
        return False, f"{exc}（已载入最新状态）", True
    except LeadError as exc:
        return False, str(exc), False
    return True, message, True
