"""排名: monthly rankings per peer group, with a what-if on the weights.

Changing a weight recomputes the ranking from the stored indicator values (no database write) and shows
each unit's place under the weights in force next to its what-if place. Only a system administrator
sees an enabled save button, and the save callback refuses everyone else on the server. Department
heads see the ranking read-only (the inputs are disabled and their weights are ignored server-side).
"""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import ALL, Input, Output, State, callback, dcc, html
from sqlalchemy.orm import Session

import metrics
import security
from data_access import db, limits, queries_evaluation
from data_access.scope import Scope
from evaluation import scoring
from evaluation.charts import STATUS_COLOURS
from evaluation.indicators import GROUP_NAMES, UNITS, applicable, months_back
from evaluation.reports import change_text
from ui import tables
from ui.filters import DROPDOWN_LABELS

dash.register_page(__name__, path="/rankings", name="排名", order=60,
                   roles=("LEADER", "ANALYST", "SYS_ADMIN", "DEPT_HEAD"))

WHAT_IF_ROLES = frozenset({"LEADER", "ANALYST", "SYS_ADMIN"})
COLUMNS = [
    {"field": "rank", "headerName": "排名", "width": 80},
    {"field": "unit_name", "headerName": "单位", "flex": 1, "minWidth": 140},
    {"field": "score", "headerName": "综合得分", "width": 110,  # one decimal, as the bulletin and the wall print it
     "valueFormatter": {"function": "params.value == null ? '' : d3.format('.1f')(params.value)"}},
    {"field": "rank_change", "headerName": "较上月", "width": 90},
    {"field": "stored_rank", "headerName": "现行权重排名", "width": 130},
    {"field": "what_if_shift", "headerName": "模拟变化", "width": 100},
    {"field": "indicators", "headerName": "参评指标", "width": 100},
    {"field": "status_name", "headerName": "状态", "width": 110,
     "cellClassRules": {"text-danger fw-bold": "params.value == '红色预警'",
                        "text-warning fw-bold": "params.value == '黄色预警'"}},
]


def ranking_view(session: Session, scope: Scope, month: str, group: str,
                 weights: dict[str, float] | None) -> tuple[list[dict], go.Figure, str]:
    """Rows, bar chart and note for ``month`` × ``group``; ``weights`` is the what-if (None = in force).

    A department head's weights are ignored: their view is always the ranking in force.
    """
    if group not in UNITS:
        raise ValueError(f"unknown group {group!r}")
    stored = scoring.load_config(session)
    what_if = stored.with_weights(group, weights) if weights and scope.role in WHAT_IF_ROLES else stored
    values = scoring.ranking_values(session, scope, first=months_back(month, 1), last=month, group=group)
    now = scoring.rank_units(values, what_if, group)
    now = now[now.month == month]
    base = scoring.rank_units(values, stored, group)
    base_rank = base[base.month == month].set_index("unit_code")["rank"]
    rows = []
    for r in now.itertuples():
        before = base_rank.get(r.unit_code)
        rows.append({
            "rank": None if r.rank != r.rank else int(r.rank), "unit_name": r.unit_name,
            "score": None if r.score != r.score else r.score, "rank_change": change_text(r.rank_change)
            if r.rank == r.rank else "", "stored_rank": None if before != before else int(before),
            "what_if_shift": change_text(before - r.rank) if before == before and r.rank == r.rank else "",
            "indicators": r.indicators, "status_name": r.status_name})
    scored = now.dropna(subset=["score"]).sort_values("score")
    fig = go.Figure(go.Bar(x=scored["score"], y=scored["unit_name"], orientation="h",
                           marker_color=[STATUS_COLOURS[s] for s in scored["status"]]))
    if len(scored):
        median = float(scored["score"].median())  # labelled above the plot, where no bar can cover it
        fig.add_vline(x=median, line_dash="dash", line_color="#1565c0", annotation_text=f"中位数 {median:.1f}",
                      annotation_position="top", annotation_font_color="#1565c0")
    fig.update_layout(margin={"l": 10, "r": 10, "t": 50, "b": 10}, height=max(300, 24 * len(scored) + 80),
                      title=f"{month} {GROUP_NAMES[group]}综合得分", xaxis_title="综合得分（100 = 全部达标）")
    note = "当前为模拟权重，仅用于分析，未保存。" if what_if != stored else "当前为现行权重。"
    return rows, fig, note


def _weight_text(config: scoring.ScoringConfig, group: str, key: str) -> str:
    """A weight as its input shows it."""
    return f"{config.weights[group].get(key, 0):g}"


def weight_inputs(config: scoring.ScoringConfig, group: str, editable: bool) -> list:
    return [dbc.Row([
        dbc.Col(dbc.Label(ind.name, className="small"), md=8),
        dbc.Col(dbc.Input(id={"type": "rankings-weight", "key": ind.key}, type="text", inputMode="decimal", size="sm",
                          maxLength=8, value=_weight_text(config, group, ind.key), disabled=not editable),
                md=4),
    ], className="mb-1") for ind in applicable(group)]


def save_weights(session: Session, scope: Scope, group: str, weights: dict[str, float]) -> str:
    """Store the what-if weights of ``group`` as the weights in force (system administrators only)."""
    config = scoring.load_config(session).with_weights(group, weights)
    scoring.save_config(session, scope, config)
    return f"已保存{GROUP_NAMES[group]}权重。"


def layout(month=None, group="COUNTY", **_query) -> html.Div:
    scope = security.current_scope()
    with db.session_scope() as session:
        months = queries_evaluation.indicator_months(session)
        config = scoring.load_config(session)
        options, default = metrics.month_choices(metrics.context(session, scope), months)
    if not months:
        return html.Div([html.H3("排名"), dbc.Alert("暂无评价指标，请先运行 bianjian pipeline --step indicators",
                                                  color="warning", id="rankings-empty")])
    month = month if month in months else default
    group = group if group in UNITS else "COUNTY"
    editable = scope.role in WHAT_IF_ROLES
    # The first view is drawn here, in the router's response, not by a second round of callbacks: the
    # callback's answer for the weight inputs as drawn.
    inputs = [(_weight_text(config, group, ind.key), {"type": "rankings-weight", "key": ind.key})
              for ind in applicable(group)]
    rows, chart, note = _ranking(month, group, [v for v, _ in inputs], [i for _, i in inputs])
    controls = dbc.Card(dbc.CardBody([
        dbc.Label("月份"), dcc.Dropdown(labels=DROPDOWN_LABELS, id="rankings-month", options=options, value=month, clearable=False),
        dbc.Label("分组", className="mt-2"),
        dbc.RadioItems(id="rankings-group", value=group, inline=True,
                       options=[{"label": n, "value": g} for g, n in GROUP_NAMES.items()]),
        html.H6("权重（模拟）" if editable else "权重（只读）", className="mt-3"),
        html.Div(weight_inputs(config, group, editable), id="rankings-weights"),
        dbc.Button("保存为现行权重", id="rankings-save", color="danger", size="sm", className="mt-2",
                   disabled=scope.role != "SYS_ADMIN", style={} if scope.role == "SYS_ADMIN" else {"display": "none"}),
        html.Div(id="rankings-save-result", className="small mt-2"),
    ]))
    return html.Div([
        html.H3("排名"),
        dbc.Row([
            dbc.Col(controls, md=3),
            dbc.Col([html.Div(scoring.status_rule(), className="text-muted small", id="rankings-rule"),
                     html.Div(note, id="rankings-note", className="text-muted small"),
                     dag.AgGrid(id="rankings-table", columnDefs=COLUMNS, rowData=rows, defaultColDef=tables.HEADER_WRAP,
                                dashGridOptions={"domLayout": "autoHeight", **tables.GRID_OPTIONS}, className=tables.THEME_CLASS),
                     dcc.Graph(id="rankings-chart", figure=chart, config={"displaylogo": False, "locale": "zh-CN"})],
                    md=9),
        ]),
    ])


@callback(Output("rankings-weights", "children"), Input("rankings-group", "value"), prevent_initial_call=True)
def _weights_for_group(group: str) -> list:
    scope = security.current_scope()
    with db.session_scope() as session:
        config = scoring.load_config(session)
    return weight_inputs(config, group, scope.role in WHAT_IF_ROLES)


def _weights(values: list, ids: list[dict], group: str) -> dict[str, float] | None:
    """The typed weights (read as typed: a bad one raises ValueError with a Chinese message), or None when
    they do not belong to ``group``."""
    names = {ind.key: ind.name for ind in applicable(group)}
    if not ids or not {i["key"] for i in ids} <= set(names):
        return None
    return {i["key"]: limits.parse_number(v, f"“{names[i['key']]}”的权重", 0, limits.WEIGHT_MAX)
            for v, i in zip(values, ids, strict=True)}


@callback(Output("rankings-table", "rowData"), Output("rankings-chart", "figure"), Output("rankings-note", "children"),
          Input("rankings-month", "value"), Input("rankings-group", "value"),
          Input({"type": "rankings-weight", "key": ALL}, "value"),
          State({"type": "rankings-weight", "key": ALL}, "id"), prevent_initial_call=True)
def _ranking(month: str, group: str, values: list, ids: list[dict]):  # noqa: ANN202
    """The ranking under the typed weights (``layout`` draws the first view, under the weights in force)."""
    scope = security.current_scope()
    try:
        weights = _weights(values, ids, group)
        with db.session_scope() as session:
            return ranking_view(session, scope, month, group, weights)
    except ValueError as exc:  # scoring.WeightsError is one
        return dash.no_update, dash.no_update, f"权重无效：{exc}"


@callback(Output("rankings-save-result", "children"), Input("rankings-save", "n_clicks"),
          State("rankings-group", "value"), State({"type": "rankings-weight", "key": ALL}, "value"),
          State({"type": "rankings-weight", "key": ALL}, "id"), prevent_initial_call=True)
def _save(_n: int, group: str, values: list, ids: list[dict]) -> str:
    scope = security.current_scope()
    try:
        weights = _weights(values, ids, group)
    except ValueError as exc:
        return f"未保存：{exc}"
    if weights is None:
        return "权重与分组不一致，请重试。"
    try:
        with db.session_scope() as session:
            return save_weights(session, scope, group, weights)
    except PermissionError as exc:
        return f"未保存：{exc}"
    except scoring.WeightsError as exc:
        return f"未保存：{exc}"
