"""风险线索: the analysts' triage and dispatch queue and the leads explorer.

The table is AG Grid's infinite row model: every block, sort and filter is a server-side query
(``queries_leads.lead_page``), so it stays fast over 100k+ leads. Selecting a lead opens the action
panel; actions go through ``dispatch.lifecycle.transition`` with the version the analyst saw.
"""

from __future__ import annotations

import datetime as dt

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html

import security
from data_access import codes, db, queries_leads
from dispatch.lifecycle import ACTION_BY_KEY, LeadError, available_actions, transition
from ui import tables

dash.register_page(__name__, path="/leads", name="风险线索", order=40, roles=("LEADER", "ANALYST", "DEPT_HEAD"))

PANEL_ACTIONS = ("dispatch", "dismiss", "close", "redo", "approve_extension", "deny_extension", "escalate")
LEVEL_STYLE = {"RED": "danger", "ORANGE": "warning", "YELLOW": "info", "BLUE": "primary"}
_LEVEL_CELL = {"function": f"({dict(codes.LEAD_LEVELS)})[params.value] || params.value"}

COLUMNS = [
    {"field": "lead_id", "headerName": "编号", "width": 90, "filter": "agNumberColumnFilter"},
    {"field": "level", "headerName": "等级", "width": 80, "valueFormatter": _LEVEL_CELL, "filter": "agTextColumnFilter",
     "filterParams": {"filterOptions": ["equals"]}},
    {"field": "title", "headerName": "线索", "flex": 2, "minWidth": 220, "filter": "agTextColumnFilter"},
    {"field": "status", "headerName": "状态", "width": 100, "filter": "agTextColumnFilter"},
    {"field": "dept_name", "headerName": "牵头部门", "width": 140, "filter": "agTextColumnFilter"},
    {"field": "region_name", "headerName": "区县", "width": 110, "filter": "agTextColumnFilter"},
    {"field": "score", "headerName": "风险分", "width": 100, "filter": "agNumberColumnFilter",
     "valueFormatter": {"function": "params.value == null ? '' : d3.format('.2f')(params.value)"}},
    {"field": "created_at", "headerName": "生成时间", "width": 170, "filter": "agDateColumnFilter"},
    {"field": "deadline", "headerName": "当前时限", "width": 170, "filter": "agDateColumnFilter"},
    {"field": "deadline_state", "headerName": "时限状态", "width": 100, "filter": "agTextColumnFilter",
     "cellClassRules": {"text-danger fw-bold": "params.value == '超期'", "text-warning fw-bold": "params.value == '临期'"}},
    {"field": "supervise_level", "headerName": "督办", "width": 100, "filter": "agTextColumnFilter"},
]


def layout(status=None, **_query) -> html.Div:
    scope = security.current_scope()
    with db.session_scope() as session:
        depts = queries_leads.departments(session)
    dept_options = [{"label": r.short_name, "value": r.dept_code} for r in depts.itertuples()]
    default_status = [s for s in (status or "").split(",") if s in codes.LEAD_STATUSES] or (
        ["待研判"] if scope.role == "ANALYST" else [])
    filters = dbc.Row([
        dbc.Col([dbc.Label("状态"), dcc.Dropdown(id="leads-status", multi=True, value=default_status, placeholder="全部状态",
                                                 options=[s for s in codes.LEAD_STATUSES if s != "退回"])], md=6),
        dbc.Col([dbc.Label("等级"), dcc.Dropdown(id="leads-level", multi=True, value=[], placeholder="全部等级",
                                                 options=[{"label": v, "value": k} for k, v in codes.LEAD_LEVELS.items()])],
                md=6),
    ], className="mb-2")
    grid = dag.AgGrid(
        id="leads-grid", rowModelType="infinite", columnDefs=COLUMNS,
        defaultColDef={"sortable": True, "resizable": True, "filterParams": {"buttons": ["apply", "reset"]}},
        dashGridOptions={"rowSelection": {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True},
                         "cacheBlockSize": 100, "maxBlocksInCache": 20, "pagination": True, "paginationPageSize": 50,
                         "localeText": {**tables.GRID_LOCALE, "noRowsToShow": "没有符合条件的线索"}},
        getRowId="params.data.lead_id", style={"height": "560px"}, className="ag-theme-alpine")
    panel = dbc.Card([dbc.CardHeader("线索处置"), dbc.CardBody([
        html.Div("请在左侧表格中选择一条线索", id="leads-selected"),
        dbc.Label("牵头部门", className="mt-2"), dcc.Dropdown(id="leads-dept", options=dept_options),
        dbc.Label("协办部门（联合监管）", className="mt-2"), dcc.Dropdown(id="leads-co-depts", options=dept_options, multi=True),
        dbc.Label("督办级别", className="mt-2"),
        dcc.Dropdown(id="leads-supervise", options=list(codes.LEAD_SUPERVISE_LEVELS), value=codes.LEAD_SUPERVISE_LEVELS[0]),
        dbc.Label("理由 / 说明", className="mt-2"), dbc.Textarea(id="leads-note", placeholder="误报、重办、延期驳回须填写理由"),
        html.Div([dbc.Button(ACTION_BY_KEY[k].label, id={"type": "leads-act", "action": k}, disabled=True,
                             className="me-2 mt-2", color="danger" if k == "dismiss" else "primary", size="sm")
                  for k in PANEL_ACTIONS], className="mt-2"),
        html.Div(id="leads-message", className="mt-3"),
    ])])
    return html.Div([
        html.H3("风险线索研判与转办"), filters,
        dbc.Row([dbc.Col(grid, lg=8), dbc.Col(panel, lg=4)]),
        dcc.Store(id="leads-refresh", data=0),
    ])


@callback(Output("leads-grid", "getRowsResponse"), Input("leads-grid", "getRowsRequest"),
          State("leads-status", "value"), State("leads-level", "value"))
def load_rows(request: dict | None, statuses: list[str] | None, levels: list[str] | None):
    """One block of rows for the infinite grid, scoped to the logged-in user."""
    if not request:
        return dash.no_update
    scope = security.current_scope()
    with db.session_scope() as session:
        rows, total = queries_leads.lead_page(
            session, scope, as_of=dt.datetime.now(), start=request["startRow"], end=request["endRow"],
            sort_model=request.get("sortModel"), filter_model=request.get("filterModel"),
            statuses=statuses or None, levels=levels or None)
    return {"rowData": rows, "rowCount": total}


# Filters outside the grid and completed actions drop the grid's cached blocks so it asks again.
clientside_callback(
    """function(status, level, refresh) {
        const api = dash_ag_grid.getApi("leads-grid");
        if (api) { api.purgeInfiniteCache(); }
        return window.dash_clientside.no_update;
    }""",
    Output("leads-grid", "id"), Input("leads-status", "value"), Input("leads-level", "value"),
    Input("leads-refresh", "data"), prevent_initial_call=True)


@callback(Output("leads-selected", "children"), Output({"type": "leads-act", "action": ALL}, "disabled"),
          Output("leads-dept", "value"), Input("leads-grid", "selectedRows"))
def show_selected(selected: list[dict] | None):
    """Summarise the selected lead and enable the actions its state allows for this role."""
    scope = security.current_scope()
    if not selected:
        return "请在左侧表格中选择一条线索", [True] * len(PANEL_ACTIONS), None
    row = selected[0]
    allowed = {a.key for a in available_actions(row["status"], scope.role)}
    summary = html.Div([
        dbc.Badge(codes.LEAD_LEVELS.get(row["level"], row["level"]), color=LEVEL_STYLE.get(row["level"], "secondary"),
                  className="me-2"),
        dcc.Link(f"#{row['lead_id']} {row['title']}", href=f"/leads/{row['lead_id']}"),
        html.Div(f"状态：{row['status']}　牵头部门：{row.get('dept_name') or '未指定'}", className="small text-muted mt-1"),
    ])
    return summary, [k not in allowed for k in PANEL_ACTIONS], row.get("dept_code")


@callback(Output("leads-message", "children"), Output("leads-refresh", "data"),
          Input({"type": "leads-act", "action": ALL}, "n_clicks"),
          State("leads-grid", "selectedRows"), State("leads-dept", "value"), State("leads-co-depts", "value"),
          State("leads-note", "value"), State("leads-supervise", "value"), State("leads-refresh", "data"),
          prevent_initial_call=True)
def act(_clicks, selected: list[dict] | None, dept_code: str | None, co_dept_codes: list[str] | None,
        note: str | None, supervise_level: str | None, refresh: int):
    """Apply the clicked action to the selected lead; refusals come back as a red message."""
    trigger = ctx.triggered_id
    if not trigger or not selected or not any(_clicks or []):
        return dash.no_update, dash.no_update
    row = selected[0]
    scope = security.current_scope()
    try:
        with db.session_scope() as session:
            lead = transition(session, row["lead_id"], trigger["action"], scope, expected_version=row["version"],
                              note=note, dept_code=dept_code, co_dept_codes=co_dept_codes or (),
                              level=supervise_level)
            message = f"线索 #{lead.lead_id} 已{ACTION_BY_KEY[trigger['action']].label}，当前状态：{lead.status}"
    except LeadError as exc:
        return dbc.Alert(str(exc), color="danger"), dash.no_update
    return dbc.Alert(message, color="success"), (refresh or 0) + 1
