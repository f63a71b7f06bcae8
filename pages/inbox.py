"""部门待办: a department's inbox of dispatched leads — sign off, start checking, feed back, ask for more time,
return, finish a joint part. Cards and a single-column form so it works on a phone."""

from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, dcc, html

import security
from data_access import codes, db, queries_leads
from dispatch.lifecycle import ACTION_BY_KEY, LeadError, available_actions, transition

dash.register_page(__name__, path="/inbox", name="部门待办", order=41, roles=("DEPT_HEAD", "ANALYST"))

FORM_ACTIONS = ("sign", "start", "feedback", "request_extension", "complete_part", "return")
STATE_COLOR = {"超期": "danger", "临期": "warning", "正常": "success"}


def layout(**_query) -> html.Div:
    return html.Div([
        html.H3("部门待办线索"),
        html.Div(inbox_cards(), id="inbox-list"),
        dcc.Store(id="inbox-selected"),
        dbc.Card([dbc.CardHeader("办理"), dbc.CardBody([
            html.Div("请选择一条待办线索", id="inbox-current"),
            dbc.Label("核查结果", className="mt-2"),
            dbc.RadioItems(id="inbox-result", options=list(codes.LEAD_FEEDBACK_RESULTS), inline=True),
            dbc.Label("处置措施", className="mt-2"),
            dbc.Checklist(id="inbox-actions", options=list(codes.LEAD_FEEDBACK_ACTIONS), inline=True),
            dbc.Label("核查情况 / 理由", className="mt-2"), dbc.Textarea(id="inbox-text", rows=4),
            dbc.Label("附件（每行一个文件名或路径）", className="mt-2"), dbc.Textarea(id="inbox-attachments", rows=2),
            dbc.Label("申请延期（工作日）", className="mt-2"),
            dbc.Input(id="inbox-days", type="number", min=1, max=30, step=1, inputMode="numeric"),
            html.Div([dbc.Button(ACTION_BY_KEY[k].label, id={"type": "inbox-act", "action": k}, disabled=True,
                                 className="me-2 mt-2", color="secondary" if k == "return" else "primary")
                      for k in FORM_ACTIONS], className="d-flex flex-wrap"),
            html.Div(id="inbox-message", className="mt-3"),
        ])], className="mt-3", id="inbox-form"),
    ], className="pb-5")


def inbox_cards() -> list:
    """One card per lead in the logged-in department's queue, most urgent first."""
    scope = security.current_scope()
    with db.session_scope() as session:
        df = queries_leads.inbox(session, scope, dt.datetime.now())
    if df.empty:
        return [dbc.Alert("暂无待办线索", color="light")]
    cards = []
    for r in df.itertuples():
        state = r.deadline_state if isinstance(r.deadline_state, str) else None
        deadline = "" if pd.isna(r.deadline) else f"时限 {r.deadline:%m-%d %H:%M}"
        cards.append(dbc.Col(dbc.Card(dbc.CardBody([
            html.Div([dbc.Badge(codes.LEAD_LEVELS.get(r.level, r.level), className="me-1"),
                      dbc.Badge(r.status, color="secondary", className="me-1"),
                      dbc.Badge(r.role, color="dark", className="me-1"),
                      dbc.Badge(state, color=STATE_COLOR[state], className="me-1") if state else None,
                      dbc.Badge(r.supervise_level, color="danger") if isinstance(r.supervise_level, str) else None]),
            html.H6(dcc.Link(r.title, href=f"/leads/{r.lead_id}"), className="mt-2"),
            html.Div(deadline, className="small text-muted"),
            dbc.Button("办理", id={"type": "inbox-open", "lead": int(r.lead_id)}, size="sm", className="mt-2 w-100"),
        ])), xs=12, md=6, xl=4, className="mb-2"))
    return [dbc.Row(cards)]


@callback(Output("inbox-selected", "data"), Output("inbox-current", "children"),
          Output({"type": "inbox-act", "action": ALL}, "disabled"),
          Input({"type": "inbox-open", "lead": ALL}, "n_clicks"), prevent_initial_call=True)
def open_lead(_clicks):
    """Load the chosen lead into the form, enabling what this role may do from its state."""
    trigger = ctx.triggered_id
    if not trigger or not any(_clicks or []):
        return dash.no_update, dash.no_update, dash.no_update
    scope = security.current_scope()
    with db.session_scope() as session:
        lead = queries_leads.lead_detail(session, scope, trigger["lead"])
    if lead is None:
        return None, dbc.Alert("线索不存在或无权查看", color="warning"), [True] * len(FORM_ACTIONS)
    allowed = {a.key for a in available_actions(lead["status"], scope.role)}
    if lead["dept_code"] != scope.dept_code:  # a co-department only finishes its own part
        allowed &= {"complete_part"}
    else:
        allowed -= {"complete_part"}
    current = html.Div([html.Strong(f"#{lead['lead_id']} {lead['title']}"),
                        html.Div(f"状态：{lead['status']}　{lead['reason']}", className="small text-muted")])
    return ({"lead_id": lead["lead_id"], "version": lead["version"]}, current,
            [k not in allowed for k in FORM_ACTIONS])


@callback(Output("inbox-message", "children"), Output("inbox-list", "children"),
          Input({"type": "inbox-act", "action": ALL}, "n_clicks"), State("inbox-selected", "data"),
          State("inbox-result", "value"), State("inbox-actions", "value"), State("inbox-text", "value"),
          State("inbox-attachments", "value"), State("inbox-days", "value"), prevent_initial_call=True)
def act(_clicks, selected: dict | None, result: str | None, measures: list[str] | None, text: str | None,
        attachments: str | None, days):  # noqa: ANN001
    """Apply the clicked action with the version loaded into the form, then refresh the list."""
    trigger = ctx.triggered_id
    if not trigger or not any(_clicks or []):
        return dash.no_update, dash.no_update
    if not selected:
        return dbc.Alert("请先选择一条线索", color="warning"), dash.no_update
    scope = security.current_scope()
    try:
        n_days = int(days) if days not in (None, "") else None
    except (TypeError, ValueError):
        return dbc.Alert("延期天数须为整数", color="danger"), dash.no_update
    try:
        with db.session_scope() as session:
            lead = transition(session, selected["lead_id"], trigger["action"], scope,
                              expected_version=selected["version"], note=text, result=result,
                              actions=measures or (), attachments=(attachments or "").splitlines(), days=n_days)
            message = f"线索 #{lead.lead_id} 已{ACTION_BY_KEY[trigger['action']].label}，当前状态：{lead.status}"
    except LeadError as exc:
        return dbc.Alert(str(exc), color="danger"), dash.no_update
    return dbc.Alert(message, color="success"), inbox_cards()
