"""风险线索: the analysts' triage and dispatch queue and the leads explorer.

The table is AG Grid's infinite row model: every block, sort and filter is a server-side query
(``queries_leads.lead_page``), so it stays fast over 100k+ leads; unsorted it comes in triage order
(most severe level, highest score, oldest). Selecting a lead opens the action panel (ui.lead_form, the
same form as on the lead page); actions go through ``dispatch.lifecycle.transition`` with the version the
panel was drawn with, and the panel is drawn again from the database after each one.
"""

from __future__ import annotations

import datetime as dt

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, html

import security
from data_access import codes, db, queries_leads
from data_access.deadline_states import DEADLINE_STATE_RULE
from ui import lead_form, levels, tables
from ui.filters import DROPDOWN_LABELS

dash.register_page(__name__, path="/leads", name="风险线索", order=40, roles=("LEADER", "ANALYST", "DEPT_HEAD"))

FORM = "leads"

COLUMNS = [
    {"field": "lead_id", "headerName": "编号", "width": 90, "filter": "agNumberColumnFilter"},
    levels.grid_column(filter="agTextColumnFilter", filterParams={"filterOptions": ["equals"]}),
    {"field": "title", "headerName": "线索", "flex": 2, "minWidth": 220, "filter": "agTextColumnFilter",
     "tooltipField": "title"},  # the full title where a narrow screen cuts it
    {"field": "status", "headerName": "状态", "width": 100, "filter": "agTextColumnFilter"},
    {"field": "dept_name", "headerName": "牵头部门", "width": 140, "filter": "agTextColumnFilter"},
    {"field": "region_name", "headerName": "区县", "width": 110, "filter": "agTextColumnFilter"},
    {"field": "score", "headerName": levels.SCORE_LABEL, "width": 100, "filter": "agNumberColumnFilter",
     "headerTooltip": levels.SCORE_HINT,
     "valueFormatter": {"function": "params.value == null ? '' : d3.format('.2f')(params.value)"}},
    {"field": "created_at", "headerName": "生成时间", "width": 170, "filter": "agDateColumnFilter"},
    {"field": "deadline", "headerName": "当前时限", "width": 170, "filter": "agDateColumnFilter"},
    {"field": "deadline_state", "headerName": "时限状态", "width": 100, "filter": "agTextColumnFilter",
     "cellClassRules": {"text-danger fw-bold": "params.value == '超期'",
                        "text-warning fw-bold": "['临期', '今日到期', '已到期'].includes(params.value)"}},
    {"field": "supervise_level", "headerName": "督办", "width": 100, "filter": "agTextColumnFilter"},
]


def layout(status=None, **_query) -> html.Div:
    scope = security.current_scope()
    default_status = [s for s in (status or "").split(",") if s in codes.LEAD_STATUSES] or (
        ["待研判"] if scope.role == "ANALYST" else [])
    filters = dbc.Row([
        dbc.Col([dbc.Label("状态"), dcc.Dropdown(labels=DROPDOWN_LABELS, id="leads-status", multi=True, value=default_status, placeholder="全部状态",
                                                 options=[s for s in codes.LEAD_STATUSES if s != "退回"])], md=6),
        dbc.Col([dbc.Label("等级"), dcc.Dropdown(labels=DROPDOWN_LABELS, id="leads-level", multi=True, value=[], placeholder="全部等级",
                                                 options=[{"label": levels.level_label(k), "value": k} for k in codes.LEAD_LEVELS])],
                md=6),
    ], className="mb-2")
    grid = dag.AgGrid(
        id="leads-grid", rowModelType="infinite", columnDefs=COLUMNS,
        defaultColDef={**tables.HEADER_WRAP, "sortable": True, "resizable": True, "filterParams": {"buttons": ["apply", "reset"]}},
        dashGridOptions={"rowSelection": {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True},
                         "cacheBlockSize": 100, "maxBlocksInCache": 20, "pagination": True, "paginationPageSize": 50,
                         "tooltipShowDelay": 300,
                         **tables.GRID_OPTIONS, "localeText": {**tables.GRID_LOCALE, "noRowsToShow": "没有符合条件的线索"}},
        getRowId="'' + params.data.lead_id", style={"height": "560px"}, className=tables.THEME_CLASS)
    panel = dbc.Card([dbc.CardHeader("线索处置"), dbc.CardBody([
        html.Div("请在左侧表格中选择一条线索", id="leads-selected"),
        html.Div(id="leads-message", className="mt-3"),
    ])])
    return html.Div([
        html.H3("风险线索研判与转办"), filters,
        dbc.Row([dbc.Col([grid, html.Small(f"时限状态：{DEADLINE_STATE_RULE}", className="text-muted",
                                           id="leads-deadline-rule")], lg=8), dbc.Col(panel, lg=4)]),
        dcc.Store(id="leads-refresh", data=0),
    ])


@callback(Output("leads-grid", "getRowsResponse"), Input("leads-grid", "getRowsRequest"),
          State("leads-status", "value"), State("leads-level", "value"), prevent_initial_call=True)
def load_rows(request: dict | None, statuses: list[str] | None, level_codes: list[str] | None):
    """One block of rows for the infinite grid, scoped to the logged-in user (the grid asks for its first
    block itself: the initial call, with no request, would only cost a round trip)."""
    if not request:
        return dash.no_update
    scope = security.current_scope()
    with db.session_scope() as session:
        rows, total = queries_leads.lead_page(
            session, scope, as_of=dt.datetime.now(), start=request["startRow"], end=request["endRow"],
            sort_model=request.get("sortModel"), filter_model=request.get("filterModel"),
            statuses=statuses or None, levels=level_codes or None)
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


def _panel(lead_id: int) -> html.Div:
    """The action form for one lead, read fresh from the database."""
    scope = security.current_scope()
    with db.session_scope() as session:
        lead = queries_leads.lead_detail(session, scope, lead_id)
    if lead is None:
        return dbc.Alert("线索不存在或无权查看", color="warning")
    return lead_form.form(FORM, lead, scope)


@callback(Output("leads-selected", "children"), Input("leads-grid", "selectedRows"), prevent_initial_call=True)
def show_selected(selected: list[dict] | None):
    """Open the selected lead in the panel with the actions its state allows for this role (nothing is
    selected when the page opens: the layout shows the prompt)."""
    if not selected:
        return "请在左侧表格中选择一条线索"
    return _panel(selected[0]["lead_id"])


_ACT = lead_form.dependencies(FORM)
_ACT["state"]["refresh"] = State("leads-refresh", "data")


@callback(output=[Output("leads-message", "children"), Output("leads-selected", "children", allow_duplicate=True),
                  Output("leads-refresh", "data")], **_ACT, prevent_initial_call=True)
def act(clicks, leads, texts, text_ids, fields, field_ids, refresh):  # noqa: ANN001
    """Apply the clicked action; redraw the panel and reload the grid, or keep the form and say why not."""
    action = lead_form.clicked_action(ctx.triggered, ctx.triggered_id)
    if action is None:
        return dash.no_update, dash.no_update, dash.no_update
    ok, message, redraw = lead_form.submit(action, leads, texts, text_ids, fields, field_ids,
                                           security.current_scope())
    alert = dbc.Alert(message, color="success" if ok else "danger", id="leads-result")
    if not redraw:
        return alert, dash.no_update, dash.no_update
    return alert, _panel(leads[0]["lead_id"]), (refresh or 0) + 1
