"""部门待办: a department's inbox of dispatched leads — sign off, start checking, feed back, ask for more time,
return, finish a joint part. Cards and a single-column form (ui.lead_form) so it works on a phone; after
every action the card list and the form are drawn again from the database (new status, buttons, version)."""

from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Input, Output, callback, clientside_callback, ctx, dcc, html

import metrics
import security
from data_access import db, queries_leads
from data_access.deadline_states import DEADLINE_STATE_RULE
from ui import lead_form, levels

dash.register_page(__name__, path="/inbox", name="部门待办", order=41, roles=("DEPT_HEAD", "ANALYST"))

FORM = "inbox"
STATE_COLOR = {"超期": "danger", "已到期": "warning", "今日到期": "warning", "临期": "warning", "正常": "success"}


def layout(**_query) -> html.Div:
    return html.Div([
        html.H3("部门待办线索"),
        html.Div(inbox_cards(), id="inbox-list"), dcc.Store(id="inbox-opened"),
        dbc.Card([dbc.CardHeader("办理"), dbc.CardBody([
            html.Div("请选择一条待办线索", id="inbox-current"),
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
            html.Div([levels.level_badge(r.level, className="me-1"),
                      dbc.Badge(r.status, color="secondary", className="me-1"),
                      dbc.Badge(r.role, color="dark", className="me-1"),
                      dbc.Badge(state, color=STATE_COLOR[state], className="me-1") if state else None,
                      dbc.Badge(r.supervise_level, color="danger") if isinstance(r.supervise_level, str) else None]),
            html.H6(dcc.Link(r.title, href=f"/leads/{r.lead_id}"), className="mt-2"),
            html.Div(deadline, className="small text-muted"),
            dbc.Button("办理", id={"type": "inbox-open", "lead": int(r.lead_id)}, size="sm", className="mt-2 w-100"),
        ]), id={"type": "inbox-card", "lead": int(r.lead_id)}), xs=12, md=6, xl=4, className="mb-2"))
    count = metrics.get("inbox_items")
    return [html.P([f"{count.label} ", html.Span(f"{len(df):,}", className="fw-bold", **metrics.mark(count.name)),
                    f" 条：{count.definition}时限状态：{DEADLINE_STATE_RULE}"], className="text-muted small",
                   id="inbox-count"), dbc.Row(cards)]


def _form_for(lead_id: int) -> html.Div:
    """The form for one lead, read fresh from the database."""
    scope = security.current_scope()
    with db.session_scope() as session:
        lead = queries_leads.lead_detail(session, scope, lead_id)
    if lead is None:
        return dbc.Alert("线索不存在或无权查看", color="warning")
    return lead_form.form(FORM, lead, scope)


@callback(Output("inbox-current", "children"), Output("inbox-message", "children"), Output("inbox-opened", "data"),
          Input({"type": "inbox-open", "lead": ALL}, "n_clicks"), prevent_initial_call=True)
def open_lead(_clicks):
    """Load the chosen lead into the form. Redrawn cards fire this with no click: nothing changes then."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(t.get("value") for t in ctx.triggered):
        return dash.no_update, dash.no_update, dash.no_update
    return _form_for(trigger["lead"]), None, {"lead": trigger["lead"], "clicks": sum(c or 0 for c in _clicks)}


# On a phone the form sits below the cards: once 办理 has loaded a lead, scroll to it, so the tap visibly
# does something (open_lead writes the lead id into inbox-opened after drawing the form).
clientside_callback(
    """function(opened) {
        window.requestAnimationFrame(() =>
            document.getElementById("inbox-form").scrollIntoView({block: "start", behavior: "instant"}));
        return window.dash_clientside.no_update;
    }""",
    Output("inbox-form", "className"), Input("inbox-opened", "data"), prevent_initial_call=True)


@callback(output=[Output("inbox-message", "children", allow_duplicate=True),
                  Output("inbox-current", "children", allow_duplicate=True), Output("inbox-list", "children")],
          **lead_form.dependencies(FORM), prevent_initial_call=True)
def act(clicks, leads, texts, text_ids, fields, field_ids):  # noqa: ANN001
    """Apply the clicked action, then redraw the cards and the form (or keep the form and say why not)."""
    action = lead_form.clicked_action(ctx.triggered, ctx.triggered_id)
    if action is None:
        return dash.no_update, dash.no_update, dash.no_update
    ok, message, redraw = lead_form.submit(action, leads, texts, text_ids, fields, field_ids,
                                           security.current_scope())
    alert = dbc.Alert(message, color="success" if ok else "danger", id="inbox-result")
    if not redraw:
        return alert, dash.no_update, dash.no_update
    return alert, _form_for(leads[0]["lead_id"]), inbox_cards()
