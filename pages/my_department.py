"""本部门: a department head's own rank and score, each indicator against the city median and target,
a 12-month trend, their overdue leads, and their bulletin to download.

A department head always sees their own unit (a county government's head sees their county), whatever
the URL or a crafted callback asks; leaders pick any unit.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, State, callback, dcc, html
from sqlalchemy.orm import Session

import metrics
import security
from data_access import db, queries_evaluation
from data_access.scope import Scope
from evaluation import render, reports, scoring
from evaluation.indicators import (
    GROUP_NAMES,
    UNIT_GROUP_OF,
    UNITS,
    applicable,
    months_back,
    unit_of_department,
)
from ops import background
from ui import charts, tables
from ui.filters import DROPDOWN_LABELS

dash.register_page(__name__, path="/my-department", name="本部门", order=65, roles=("DEPT_HEAD", "LEADER"),
                   id_prefix="my-dept-")

INDICATOR_COLUMNS = [
    {"field": "name", "headerName": "指标", "flex": 1, "minWidth": 160},
    {"field": "mine", "headerName": "本单位", "width": 100},
    {"field": "median", "headerName": "城市中位数", "width": 110},
    {"field": "target", "headerName": "目标", "width": 90},
    {"field": "status", "headerName": "是否达标", "width": 130,
     "cellClassRules": {"text-danger fw-bold": "params.value == '明显未达标'",
                        "text-warning fw-bold": "params.value == '未达标'"}},
]
DOWNLOAD_LABEL = "下载本单位月通报"
LEAD_COLUMNS = [
    {"field": "lead_id", "headerName": "编号", "width": 90},
    {"field": "title", "headerName": "线索", "flex": 1, "minWidth": 200},
    {"field": "level", "headerName": "等级", "width": 80},
    {"field": "status", "headerName": "状态", "width": 100},
    {"field": "overdue_stage", "headerName": "超期环节", "width": 110},
    {"field": "overdue_days", "headerName": "超期天数", "width": 100},
]


def department_view(session: Session, scope: Scope, unit: str | None, month: str) -> dict:
    """Everything the page shows for ``unit`` in ``month`` (a department head's own unit, always)."""
    unit = reports.resolve_unit(scope, unit)
    if unit is None:
        raise ValueError("请选择单位")
    group = UNIT_GROUP_OF[unit]
    config = scoring.load_config(session)
    values = scoring.ranking_values(session, scope, first=months_back(month, 11), last=month, group=group)
    ranking = scoring.rank_units(values, config, group)
    me = ranking[(ranking.month == month) & (ranking.unit_code == unit)]
    current = values[values.month == month]
    reference = scoring.city_reference(current).set_index("indicator_key")
    statuses = scoring.indicator_status(values[values.unit_code == unit], config)
    status = statuses[statuses.month == month].set_index("indicator_key")["status"]
    mine = current[current.unit_code == unit].set_index("indicator_key")["value"]
    rows = [{"name": ind.name, "mine": reports.pct(mine.get(ind.key)), "median": reports.pct(
        reference["median"].get(ind.key)), "target": reports.pct(config.target(ind.key)),
        "status": scoring.INDICATOR_STATUS_NAMES[status.get(ind.key, "nodata")]} for ind in applicable(group)]
    trend = ranking[ranking.unit_code == unit].set_index("month")["score"]
    median = ranking.groupby("month")["score"].median()
    fig = go.Figure([go.Scatter(x=list(trend.index), y=list(trend), name=UNITS[group][unit], mode="lines+markers"),
                     go.Scatter(x=list(median.index), y=list(median), name="城市中位数", line={"dash": "dash"})])
    fig.update_xaxes(**charts.MONTH_AXIS)
    fig.update_layout(title="近12个月综合得分", height=320, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    as_of = min(dt.datetime.fromisoformat(months_back(month, -1) + "-01"), dt.datetime.now())
    leads = queries_evaluation.overdue_leads(session, scope, as_of, region_code=unit if group == "COUNTY" else None,
                                             dept_code=unit if group == "DEPARTMENT" else None)
    row = me.iloc[0] if len(me) else None
    return {
        "unit": unit, "name": UNITS[group][unit], "group": GROUP_NAMES[group],
        "rank": None if row is None or row["rank"] != row["rank"] else int(row["rank"]),
        "ranked": int(ranking[ranking.month == month]["rank"].notna().sum()),
        "score": None if row is None or row["score"] != row["score"] else float(row["score"]),
        "change": reports.change_text(None if row is None else row["rank_change"]),
        "status": "无数据" if row is None else row["status_name"], "rule": scoring.status_rule(),
        "indicators": rows, "trend": fig,
        "leads": leads.assign(overdue_since=leads["overdue_since"].astype(str)).to_dict("records"),
    }


def bulletin_file(session: Session, scope: Scope, unit: str | None, month: str, fmt: str) -> tuple[str, bytes]:
    """(file name, bytes) of the monthly bulletin with the unit's own page."""
    unit = reports.resolve_unit(scope, unit)
    doc = reports.monthly_bulletin(session, month, scope=scope, unit=unit)
    with tempfile.TemporaryDirectory() as tmp:
        content = render.write(doc, fmt, Path(tmp) / f"bulletin.{fmt}").read_bytes()
    return f"月通报-{month}-{UNITS[UNIT_GROUP_OF[unit]][unit]}.{fmt}", content


def layout(unit=None, month=None, **_query) -> html.Div:
    scope = security.current_scope()
    with db.session_scope() as session:
        months = queries_evaluation.indicator_months(session)
        month_options, default = metrics.month_choices(metrics.context(session, scope), months)
    if not months:
        return html.Div([html.H3("本部门"), dbc.Alert("暂无评价指标，请先运行 bianjian pipeline --step indicators",
                                                   color="warning", id="my-dept-empty")])
    options = [{"label": f"{GROUP_NAMES[g]} · {name}", "value": code} for g, units in UNITS.items()
               for code, name in units.items()]
    asked = unit if scope.all_departments and unit in UNIT_GROUP_OF else None  # a head's URL cannot pick a unit
    try:
        own = reports.resolve_unit(scope, asked)
    except PermissionError as exc:
        return html.Div([html.H3("本部门"), dbc.Alert(str(exc), color="warning", id="my-dept-empty")])
    unit, month = own or options[0]["value"], (month if month in months else default)
    # The first view is drawn here, in the router's response, not by a second round of callbacks.
    summary, indicators, trend, leads = _show(unit, month)
    return html.Div([
        html.H3("本部门"),
        dbc.Row([
            dbc.Col(dcc.Dropdown(labels=DROPDOWN_LABELS, id="my-dept-unit", options=options, value=unit,
                                 clearable=False, disabled=not scope.all_departments), md=4),
            dbc.Col(dcc.Dropdown(labels=DROPDOWN_LABELS, id="my-dept-month", options=month_options,
                                 value=month, clearable=False), md=3),
            dbc.Col(dbc.RadioItems(id="my-dept-format", value="pdf", inline=True,
                                   options=[{"label": "PDF", "value": "pdf"}, {"label": "Excel", "value": "xlsx"},
                                            {"label": "Word", "value": "docx"}]), md=2),
            dbc.Col([dbc.Button(DOWNLOAD_LABEL, id="my-dept-download-button", color="primary", size="sm"),
                     html.Small(id="my-dept-download-status", className="ms-2 text-danger")], md=3),
        ], className="mb-3"),
        dcc.Download(id="my-dept-download"),
        html.Div(summary, id="my-dept-summary", className="mb-2"),
        dbc.Row([
            dbc.Col(dag.AgGrid(id="my-dept-indicators", columnDefs=INDICATOR_COLUMNS, rowData=indicators,
                               defaultColDef=tables.HEADER_WRAP,
                               dashGridOptions={"domLayout": "autoHeight", **tables.GRID_OPTIONS}, className=tables.THEME_CLASS), md=6),
            dbc.Col(dcc.Graph(id="my-dept-trend", figure=trend, config={"displaylogo": False, "locale": "zh-CN"}), md=6),
        ]),
        html.H5("超期风险线索", className="mt-3"),
        dag.AgGrid(id="my-dept-leads", columnDefs=LEAD_COLUMNS, rowData=leads, defaultColDef=tables.HEADER_WRAP,
                   dashGridOptions={"domLayout": "autoHeight", **tables.GRID_OPTIONS}, className=tables.THEME_CLASS),
    ])


@callback(Output("my-dept-summary", "children"), Output("my-dept-indicators", "rowData"),
          Output("my-dept-trend", "figure"), Output("my-dept-leads", "rowData"),
          Input("my-dept-unit", "value"), Input("my-dept-month", "value"), prevent_initial_call=True)
def _show(unit: str, month: str):  # noqa: ANN202
    """The unit's month (``layout`` draws the first view with it, so this runs when a choice changes)."""
    scope = security.current_scope()
    with db.session_scope() as session:
        view = department_view(session, scope, unit, month)
    mine = own_unit(scope, view["unit"])
    place = ["第 ", html.Span(str(view["rank"]), **mine("own_unit_rank")), f" 名 / {view['ranked']}"] \
        if view["rank"] else ["无数据"]
    score = f"{view['score']:.1f}" if view["score"] is not None else "无数据"
    status_class = {"红色预警": "text-danger fw-bold", "黄色预警": "text-warning fw-bold"}.get(view["status"], "")
    summary = dbc.Alert([
        html.Div([html.B(f"{view['name']}（{view['group']}）"), f"　{month} 综合得分 ",
                  html.Span(score, **mine("own_unit_score")), "，", *place, f"，较上月 {view['change']}，",
                  html.Span(view["status"], className=status_class, id="my-dept-status", **mine("own_unit_status"))]),
        html.Div(view["rule"], className="small text-muted mt-1", id="my-dept-rule"),
    ], color="light")
    return summary, view["indicators"], view["trend"], view["leads"]


def own_unit(scope: Scope, unit: str):  # noqa: ANN201
    """Marks for the header's figures: the asking head's own unit is a declared metric (own_unit_*);
    a leader looking at any unit sees the same ranking rows, marked as that unit's ranking row."""
    own = unit_of_department(scope.dept_code) if scope.dept_code else None
    if own is not None and own[1] == unit:
        return metrics.mark
    return lambda name: {"data-unit": unit}


@callback(Output("my-dept-download", "data"), Output("my-dept-download-status", "children"),
          Input("my-dept-download-button", "n_clicks"),
          State("my-dept-unit", "value"), State("my-dept-month", "value"), State("my-dept-format", "value"),
          background=True, prevent_initial_call=True,
          running=[(Output("my-dept-download-button", "disabled"), True, False),
                   (Output("my-dept-download-button", "children"), "正在生成…", DOWNLOAD_LABEL)])
def _download(_n: int, unit: str, month: str, fmt: str):  # noqa: ANN202
    """Runs as a background job (Celery in production): the scope comes from the request that started it."""
    try:
        with db.session_scope() as session:
            name, content = bulletin_file(session, background.job_scope(session), unit, month, fmt)
    except PermissionError as exc:
        return dash.no_update, f"未生成：{exc}"
    return dcc.send_bytes(content, name), ""
