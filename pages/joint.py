"""联合监管清单: every department's parts of joint-supervision tasks (plans and joint leads), by department."""

from __future__ import annotations

import datetime as dt

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

import security
from data_access import codes, db, queries_leads
from ui import tables
from ui.filters import DROPDOWN_LABELS

dash.register_page(__name__, path="/joint", name="联合监管", order=42, roles=("LEADER", "ANALYST", "DEPT_HEAD"))

COLUMNS = [
    {"field": "dept_name", "headerName": "部门", "width": 140},
    {"field": "task_name", "headerName": "联合监管任务", "flex": 2, "minWidth": 240},
    {"field": "lead_dept_name", "headerName": "牵头部门", "width": 130},
    {"field": "duty", "headerName": "分工", "flex": 1, "minWidth": 160},
    {"field": "status", "headerName": "状态", "width": 90},
    {"field": "planned_end", "headerName": "计划完成", "width": 120},
    {"field": "done_at", "headerName": "完成时间", "width": 160},
    {"field": "overdue", "headerName": "逾期", "width": 80,
     "valueFormatter": {"function": "params.value ? '逾期' : ''"}, "cellClass": "text-danger fw-bold"},
    {"field": "lead_id", "headerName": "线索", "width": 90},
]


def layout(**_query) -> html.Div:
    scope = security.current_scope()
    with db.session_scope() as session:
        depts = queries_leads.departments(session)
    options = [{"label": r.short_name, "value": r.dept_code} for r in depts.itertuples()
               if scope.all_departments or r.dept_code == scope.dept_code]
    summary, parts = update(None, None)  # the first view, drawn in the router's response
    return html.Div([
        html.H3("联合监管清单"),
        dbc.Row([
            dbc.Col([dbc.Label("部门"), dcc.Dropdown(labels=DROPDOWN_LABELS, id="joint-dept", options=options, placeholder="全部部门")], md=6),
            dbc.Col([dbc.Label("分工状态"), dcc.Dropdown(labels=DROPDOWN_LABELS, id="joint-status", options=list(codes.JOINT_PART_STATUSES),
                                                       placeholder="全部状态")], md=6),
        ], className="mb-3"),
        html.Div(summary, id="joint-summary", className="mb-3"),
        dag.AgGrid(id="joint-grid", columnDefs=COLUMNS, rowData=parts, defaultColDef={**tables.HEADER_WRAP, "sortable": True, "filter": True,
                                                                               "resizable": True},
                   dashGridOptions={"pagination": True, "paginationPageSize": 50, **tables.GRID_OPTIONS}, style={"height": "520px"},
                   className=tables.THEME_CLASS),
    ])


@callback(Output("joint-summary", "children"), Output("joint-grid", "rowData"),
          Input("joint-dept", "value"), Input("joint-status", "value"), prevent_initial_call=True)
def update(dept_code: str | None, status: str | None):
    """Per-department progress table and the parts list, scoped to the logged-in user (``layout`` draws the
    first view with it)."""
    scope = security.current_scope()
    as_of = dt.datetime.now()
    with db.session_scope() as session:
        summary = queries_leads.joint_summary(session, scope, as_of)
        parts = queries_leads.joint_list(session, scope, as_of, dept_code=dept_code, status=status)
    if dept_code:
        summary = summary[summary["dept_code"] == dept_code]
    header = html.Thead(html.Tr([html.Th(h) for h in ("部门", "分工数", "已完成", "进行中", "逾期", "已撤销")]))
    body = html.Tbody([html.Tr([html.Td(r.dept_name), html.Td(r.parts), html.Td(r.done), html.Td(r.in_progress),
                                html.Td(r.overdue, className="text-danger fw-bold" if r.overdue else None),
                                html.Td(r.cancelled)]) for r in summary.itertuples()])
    table = dbc.Table([header, body], size="sm", striped=True, responsive=True, id="joint-summary-table")
    for col in ("planned_start", "planned_end", "done_at"):
        parts[col] = parts[col].astype(str).replace({"NaT": "", "None": ""})
    parts["lead_id"] = parts["lead_id"].astype("Int64").astype(str).replace({"<NA>": ""})
    return table, parts.to_dict("records")
