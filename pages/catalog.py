"""监管事项: the regulatory-matters catalogue per department and its coverage, with drill-down.

Indicators as the provincial 互联网+监管 assessment publishes them (domain.md §1, dashboards.md §5.3):
认领率 = claimed items ÷ items in force; 实施清单 = sub items with a 检查实施清单; 覆盖率 = sub items with
behaviour data (an inspection or penalty in the period) ÷ sub items with an implementation list.
Click a department's bar (or pick it) to list its items (``?dept=``).
"""

from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import MATCH, Input, Output, State, callback, ctx, dcc, html

import security
from data_access import codes, db, queries_analytics, queries_leads
from ui import exports, filters, tables

dash.register_page(__name__, path="/catalog", name="监管事项", order=70)

PAGE = "catalog"
COVERAGE_COLUMNS = {"dept": "部门", "main_n": "主项", "sub_n": "子项", "claimed_rate_text": "认领率",
                    "impl_n": "有实施清单的子项", "behaviour_n": "有监管行为的子项", "coverage_text": "监管行为覆盖率"}
ITEM_COLUMNS = {"item_code": "事项编码", "level_text": "层级", "name": "事项名称", "category_text": "事项类别",
                "claimed_text": "认领", "impl_text": "实施清单", "inspections_n": "检查次数", "penalties_n": "处罚次数"}
YES_NO = {True: "✓ 是", False: "✗ 否"}


def layout(dept=None, period=None, **_query) -> html.Div:
    scope = security.current_scope()
    with db.session_scope() as session:
        depts = queries_leads.departments(session)
    if not scope.all_departments:
        depts = depts[depts["dept_code"] == scope.dept_code]
    options = [{"label": r.short_name, "value": r.dept_code} for r in depts.itertuples()]
    chosen = filters.parse_list(dept, {o["value"] for o in options})[:1]
    return html.Div([
        html.H3("监管事项目录与覆盖"),
        html.P("认领率 = 已认领事项 ÷ 在用事项；监管行为覆盖率 = 期内有检查或处罚记录的子项 ÷ 有检查实施清单的子项。",
               className="text-muted"),
        dbc.Row([
            dbc.Col([dbc.Label("部门（点击柱形亦可下钻）"), dcc.Dropdown(
                id="catalog-dept", options=options, value=chosen[0] if chosen else None, placeholder="全部部门")], md=6),
            dbc.Col([dbc.Label("监管行为统计期"), dbc.RadioItems(
                id="catalog-period", inline=True, value=filters.parse_period(period),
                options=[{"label": label, "value": key} for key, (label, _) in filters.PERIODS.items()])], md=6),
        ], className="mb-3"),
        html.Div(id="catalog-summary", className="mb-2 fw-bold"),
        tables.card("各部门子项：有实施清单与有监管行为（点击下钻）", filters.graph("catalog-coverage-chart", "监管事项覆盖")),
        tables.card("部门认领与覆盖", html.Div(id="catalog-coverage"), page=PAGE, table="coverage"),
        tables.card("部门事项明细", html.Div(id="catalog-items"), page=PAGE, table="items"),
        dcc.Store(id="catalog-search"),
    ])


filters.url_writer("catalog-search")


@callback(Output("catalog-dept", "value"), Input("catalog-coverage-chart", "clickData"), State("catalog-dept", "value"),
          prevent_initial_call=True)
def click_dept(click: dict | None, current: str | None) -> str | None:
    """A click on a department's bars drills into its items; a second click goes back to all."""
    chosen = filters.toggle([current] if current else [], filters.clicked(click))
    return chosen[0] if chosen else None


def _frames(session, scope, dept: str | None, period: str | None) -> dict:  # noqa: ANN001
    latest = queries_analytics.freshness(session).set_index("source")["latest"].get("行政检查")
    start = filters.period_start(period, dt.datetime.combine(latest, dt.time()) if latest else None)
    start = start.date() if start else None
    coverage = queries_analytics.catalog_coverage(session, scope, start=start)
    coverage["claimed_rate_text"] = coverage["claimed_rate"].map("{:.1%}".format)
    coverage["coverage_text"] = coverage["coverage"].map(lambda v: "—" if v != v else f"{v:.1%}")
    items = queries_analytics.item_flags(session, scope, start=start, dept_code=dept) if dept else None
    if items is not None:
        items["level_text"] = items["level"].map(codes.REG_ITEM_LEVELS)
        items["category_text"] = items["category"].map(codes.REG_ITEM_CATEGORIES)
        items["claimed_text"] = items["claimed"].map(YES_NO)
        items["impl_text"] = items["has_impl"].map(YES_NO)
    return {"coverage": coverage, "items": items}


@callback(Output("catalog-coverage-chart", "figure"), Output("catalog-coverage", "children"),
          Output("catalog-items", "children"), Output("catalog-summary", "children"), Output("catalog-search", "data"),
          Input("catalog-dept", "value"), Input("catalog-period", "value"))
def update_panels(dept: str | None, period: str | None):
    """Coverage of every department (the drilled one highlighted) and the drilled department's items."""
    scope = security.current_scope()
    with db.session_scope() as session:
        f = _frames(session, scope, dept, period)
    cov = f["coverage"]
    fig = go.Figure()
    for field, name, colour in (("sub_n", "子项", "#ced4da"), ("impl_n", "有实施清单", "#74a9cf"),
                                ("behaviour_n", "有监管行为", "#2f9e44")):
        fig.add_bar(x=cov["dept"], y=cov[field], name=name, customdata=cov["dept_code"], marker_color=colour,
                    marker_line={"width": [3 if c == dept else 0 for c in cov["dept_code"]], "color": "#d9480f"})
    fig.update_layout(barmode="group", margin={"l": 40, "r": 10, "t": 10, "b": 90}, height=340, yaxis_title="事项数",
                      xaxis_tickangle=-40)
    total_items = int(cov["main_n"].sum() + cov["sub_n"].sum())
    claimed = int(cov["claimed_n"].sum())
    impl, behaviour = int(cov["impl_n"].sum()), int(cov["behaviour_n"].sum())
    summary = (f"在用事项 {total_items} 项（主项 {int(cov['main_n'].sum())}，子项 {int(cov['sub_n'].sum())}），"
               f"认领率 {claimed / total_items:.1%}，监管行为覆盖率 {behaviour / impl:.1%}"
               if total_items and impl else "暂无监管事项目录数据")
    if dept:
        name = cov.loc[cov["dept_code"] == dept, "dept"]
        summary += f" · 下钻：{name.iat[0] if len(name) else dept}"
    items = (tables.grid("catalog-items-grid", f["items"], ITEM_COLUMNS, height=420) if f["items"] is not None
             else html.P("点击上方柱形或选择部门，查看该部门的主项、子项及其实施清单与监管行为。", className="text-muted"))
    search = filters.query_string({"dept": dept, "period": period if period != filters.DEFAULT_PERIOD else None})
    return fig, tables.grid("catalog-coverage-grid", cov, COVERAGE_COLUMNS, height=320), items, summary, search


@callback(Output({"type": "catalog-download", "table": MATCH}, "data"),
          Input({"type": "catalog-csv", "table": MATCH}, "n_clicks"),
          Input({"type": "catalog-xlsx", "table": MATCH}, "n_clicks"),
          State("catalog-dept", "value"), State("catalog-period", "value"), prevent_initial_call=True)
def export(_csv, _xlsx, dept: str | None, period: str | None):  # noqa: ANN001
    """Coverage or item table as CSV/XLSX (catalogue data holds no personal data)."""
    if not ctx.triggered_id or not (_csv or _xlsx):
        return dash.no_update
    table, fmt = ctx.triggered_id["table"], exports.fmt_of(ctx.triggered_id)
    with db.session_scope() as session:
        df = _frames(session, security.current_scope(), dept, period)[table]
    if df is None:
        return dash.no_update
    labels = COVERAGE_COLUMNS if table == "coverage" else ITEM_COLUMNS
    return exports.download(df[list(labels)].rename(columns=labels), f"监管事项_{table}", fmt)
