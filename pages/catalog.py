"""监管事项: the regulatory-matters catalogue per department and its coverage, with drill-down.

认领率 and 覆盖率 are the evaluation indicators ``item_claim_rate`` and ``item_coverage``
(evaluation/indicators.py), read from the indicator mart for the chosen month, so this page and the
排名 page always show the same number. Click a department's bar (or pick it) to list its items
(``?dept=``); the items' behaviour counts cover the same window, the chosen month's year to date.
"""

from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, callback, dcc, html
from sqlalchemy.orm import Session

import metrics
import security
from data_access import codes, db, queries_catalog, queries_evaluation, queries_leads
from data_access.scope import Scope
from evaluation.indicators import DEPARTMENT, INDICATOR_BY_KEY, parse_month
from ui import exports, filters, tables
from ui.filters import DROPDOWN_LABELS

dash.register_page(__name__, path="/catalog", name="监管事项", order=70)

PAGE = "catalog"
EXPORT_NAMES = {"coverage": "部门认领与覆盖", "items": "部门事项明细"}  # export file name per table, as its card titles it
CLAIM, COVERAGE = INDICATOR_BY_KEY["item_claim_rate"], INDICATOR_BY_KEY["item_coverage"]
COVERAGE_COLUMNS = {"dept": "部门", "main_n": "在用主项", "sub_n": "在用子项", "claimed_rate_text": CLAIM.name,
                    "impl_n": "有实施清单的主项", "behaviour_n": "有监管行为的主项", "coverage_text": COVERAGE.name}
ITEM_COLUMNS = {"item_code": "事项编码", "level_text": "层级", "name": "事项名称", "category_text": "事项类别",
                "claimed_text": "认领", "impl_text": "实施清单", "inspections_n": "检查次数", "penalties_n": "处罚次数"}
YES_NO = {True: "✓ 是", False: "✗ 否"}


def layout(dept=None, month=None, **_query) -> html.Div:
    scope = security.current_scope()
    with db.session_scope() as session:
        depts = queries_leads.departments(session)
        months = queries_evaluation.indicator_months(session)
        month_options, default = metrics.month_choices(metrics.context(session, scope), months)
    if not scope.all_departments:
        depts = depts[depts["dept_code"] == scope.dept_code]
    options = [{"label": r.short_name, "value": r.dept_code} for r in depts.itertuples()]
    chosen = filters.parse_list(dept, {o["value"] for o in options})[:1]
    dept, month = (chosen[0] if chosen else None), (month if month in months else default)
    # The first view is drawn here, in the router's response, not by a second round of callbacks.
    chart, coverage, items, summary, search = update_panels(dept, month)
    return html.Div([
        html.H3("监管事项目录与覆盖"),
        html.P(f"{CLAIM.name}：{CLAIM.definition}；{COVERAGE.name}：{COVERAGE.definition}。"
               "与排名页、月通报为同一指标。", className="text-muted"),
        dbc.Row([
            dbc.Col([dbc.Label("部门（点击柱形亦可下钻）"), dcc.Dropdown(labels=DROPDOWN_LABELS,
                id="catalog-dept", options=options, value=dept, placeholder="全部部门")], md=6),
            dbc.Col([dbc.Label("月份"), dcc.Dropdown(labels=DROPDOWN_LABELS,
                id="catalog-month", options=month_options, value=month, clearable=False)], md=3),
        ], className="mb-3"),
        html.Div(summary, id="catalog-summary", className="mb-2 fw-bold"),
        tables.card("各部门主项：有实施清单与有监管行为（点击下钻）",
                    filters.graph("catalog-coverage-chart", "监管事项覆盖", figure=chart)),
        tables.card("部门认领与覆盖", html.Div(coverage, id="catalog-coverage"), page=PAGE, table="coverage"),
        tables.card("部门事项明细", html.Div(items, id="catalog-items"), page=PAGE, table="items"),
        dcc.Store(id="catalog-search", data=search),
    ])


filters.url_writer("catalog-search")


@callback(Output("catalog-dept", "value"), Input("catalog-coverage-chart", "clickData"), State("catalog-dept", "value"),
          prevent_initial_call=True)
def click_dept(click: dict | None, current: str | None) -> str | None:
    """A click on a department's bars drills into its items; a second click goes back to all."""
    chosen = filters.toggle([current] if current else [], filters.clicked(click))
    return chosen[0] if chosen else None


def _pct(value: float) -> str:
    return "无数据" if pd.isna(value) else f"{value:.1%}"


def coverage_view(session: Session, scope: Scope, month: str | None, dept: str | None) -> dict:
    """Per department the month's stored 认领率 and 覆盖率 (numerator and denominator) with the items in
    force; the drilled department's items with their behaviour counts in the month's year to date."""
    depts = queries_leads.departments(session)
    if not scope.all_departments:
        depts = depts[depts["dept_code"] == scope.dept_code]
    frame = depts[["dept_code", "short_name"]].rename(columns={"short_name": "dept"})
    items = queries_catalog.item_flags(session, scope)
    counts = items.assign(main=items["level"] == "MAIN", sub=items["level"] != "MAIN").groupby("dept_code").agg(
        main_n=("main", "sum"), sub_n=("sub", "sum"))
    frame = frame.merge(counts, on="dept_code", how="inner")
    values = (queries_evaluation.indicator_values(session, scope, first=month, last=month, group=DEPARTMENT)
              if month else pd.DataFrame(columns=["unit_code", "indicator_key", "numerator", "denominator", "value"]))
    for ind, num, den, rate in ((CLAIM, "claimed_n", "listed_n", "claimed_rate"),
                                (COVERAGE, "behaviour_n", "impl_n", "coverage")):
        v = values[values.indicator_key == ind.key].set_index("unit_code")
        frame[num] = frame["dept_code"].map(v["numerator"]).fillna(0).astype(int)
        frame[den] = frame["dept_code"].map(v["denominator"]).fillna(0).astype(int)
        frame[rate] = frame["dept_code"].map(v["value"]).astype(float)
    frame["claimed_rate_text"] = frame["claimed_rate"].map(_pct)
    frame["coverage_text"] = frame["coverage"].map(_pct)
    frame = frame.sort_values(["main_n", "dept_code"], ascending=[False, True]).reset_index(drop=True)
    drilled = None
    if dept and month:
        first = parse_month(month)
        end = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        drilled = queries_catalog.item_flags(session, scope, start=first.replace(month=1), end=end, dept_code=dept)
        drilled["level_text"] = drilled["level"].map(codes.REG_ITEM_LEVELS)
        drilled["category_text"] = drilled["category"].map(codes.REG_ITEM_CATEGORIES)
        drilled["claimed_text"] = drilled["claimed"].map(YES_NO)
        drilled["impl_text"] = drilled["has_impl"].map(YES_NO)
    return {"coverage": frame, "items": drilled}


def summary_text(cov: pd.DataFrame, month: str | None) -> str:
    """City totals pooled over departments (each main item belongs to one department)."""
    if not month or cov.empty:
        return "在用事项：暂无分析评价指标数据（请先运行 bianjian pipeline --step indicators）"
    listed, impl = int(cov["listed_n"].sum()), int(cov["impl_n"].sum())
    claim = _pct(cov["claimed_n"].sum() / listed if listed else float("nan"))
    coverage = _pct(cov["behaviour_n"].sum() / impl if impl else float("nan"))
    return (f"在用事项 {int(cov['main_n'].sum() + cov['sub_n'].sum())} 项（主项 {int(cov['main_n'].sum())}，"
            f"子项 {int(cov['sub_n'].sum())}）；{month} {CLAIM.name} {claim}，{COVERAGE.name} {coverage}")


@callback(Output("catalog-coverage-chart", "figure"), Output("catalog-coverage", "children"),
          Output("catalog-items", "children"), Output("catalog-summary", "children"), Output("catalog-search", "data"),
          Input("catalog-dept", "value"), Input("catalog-month", "value"), prevent_initial_call=True)
def update_panels(dept: str | None, month: str | None):
    """Coverage of every department (the drilled one highlighted) and the drilled department's items.
    ``layout`` draws the first view with it, so it runs as a callback only when the selection changes."""
    scope = security.current_scope()
    with db.session_scope() as session:
        f = coverage_view(session, scope, month, dept)
    cov = f["coverage"]
    fig = go.Figure()
    for field, name, colour in (("main_n", "在用主项", "#ced4da"), ("impl_n", "有实施清单", "#74a9cf"),
                                ("behaviour_n", "有监管行为", "#2f9e44")):
        fig.add_bar(x=cov["dept"], y=cov[field], name=name, customdata=cov["dept_code"], marker_color=colour,
                    marker_line={"width": [3 if c == dept else 0 for c in cov["dept_code"]], "color": "#d9480f"})
    fig.update_layout(barmode="group", margin={"l": 40, "r": 10, "t": 10, "b": 90}, height=340, yaxis_title="主项数",
                      xaxis_tickangle=-40)
    summary = summary_text(cov, month)
    if dept:
        name = cov.loc[cov["dept_code"] == dept, "dept"]
        summary += f" · 下钻：{name.iat[0] if len(name) else dept}"
    items = (tables.grid("catalog-items-grid", f["items"], ITEM_COLUMNS, height=420) if f["items"] is not None
             else html.P("点击上方柱形或选择部门，查看该部门的主项、子项及其实施清单与本年度监管行为。", className="text-muted"))
    search = filters.query_string({"dept": dept, "month": month})
    return fig, tables.grid("catalog-coverage-grid", cov, COVERAGE_COLUMNS, height=320), items, summary, search


def export_table(session: Session, scope: Scope, table: str, dept: str | None, month: str | None):  # noqa: ANN201
    """Coverage or item table (catalogue data holds no personal data)."""
    df = coverage_view(session, scope, month, dept)[table]
    if df is None:
        return None
    labels = COVERAGE_COLUMNS if table == "coverage" else ITEM_COLUMNS
    return df[list(labels)].rename(columns=labels), f"监管事项_{EXPORT_NAMES[table]}"


export = exports.background_callback(PAGE, export_table, State("catalog-dept", "value"), State("catalog-month", "value"))
