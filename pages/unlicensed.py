"""无证无照治理: unlicensed-business leads by source and status, routing by 国务院令第684号, open/closed trend.

Routing follows "谁审批、谁监管": 无照 → 市场监管 (art. 6); 无证 → the permit department (art. 5);
无证且无照 → the permit department (art. 7). Periods count back from the latest lead, not the clock.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, State, callback, dcc, html
from sqlalchemy.orm import Session

import metrics
import security
from data_access import cache, db, queries, queries_unlicensed
from data_access.scope import Scope
from ui import charts, exports, filters, tables
from ui.filters import DROPDOWN_LABELS

dash.register_page(__name__, path="/unlicensed", name="无证无照", order=65)

PAGE = "unlicensed"
EXPORT_NAMES = {"routing": "分流", "leads": "最新线索"}  # export file name per table, as its card titles it
ROUTING_COLUMNS = {"kind": "类型", "rule": "法定查处部门（国务院令第684号）", "dept": "实际责任部门", "n": "线索数",
                   "open_n": "未销号", "conforms_text": "分流核对"}


def layout(region=None, period=None, **_query) -> html.Div:
    with db.session_scope() as session:
        counties = queries.counties(session)
        as_of = queries_unlicensed.unlicensed_as_of(session)
    options = [{"label": r.name, "value": r.region_code} for r in counties.itertuples()]
    regions, period = filters.parse_list(region, {o["value"] for o in options}), filters.parse_period(period)
    # The first view is drawn here, in the router's response, not by a second round of callbacks.
    by_region, by_source, routing, trend, rows, summary, search = update_panels(regions, period)
    return html.Div([
        html.H3("无证无照经营治理"),
        html.P([f"数据截至 {as_of:%Y-%m-%d}" if as_of else "仓库暂无无证无照线索",
                " · 无照由市场监管部门查处，无证及无证无照由许可审批部门查处（国务院令第684号第五至七条）。"],
               className="text-muted"),
        dbc.Row([
            dbc.Col([dbc.Label("区县（点击柱形亦可筛选）"), dcc.Dropdown(labels=DROPDOWN_LABELS,
                id="unlicensed-region", multi=True, options=options, placeholder="全部区县", value=regions)], md=6),
            dbc.Col([dbc.Label("时间范围"), dbc.RadioItems(
                id="unlicensed-period", inline=True, value=period,
                options=[{"label": label, "value": key} for key, (label, _) in filters.PERIODS.items()])], md=6),
        ], className="mb-3"),
        html.Div(summary, id="unlicensed-summary", className="mb-2 fw-bold"),
        dbc.Row([
            dbc.Col(tables.card("各区县线索量（点击筛选）",
                                filters.graph("unlicensed-by-region", "无证无照_区县", figure=by_region)), lg=5),
            dbc.Col(tables.card("线索来源 × 办理状态",
                                filters.graph("unlicensed-by-source", "无证无照_来源状态", figure=by_source)), lg=7),
        ]),
        tables.card("分流：法定查处部门与实际责任部门", html.Div(routing, id="unlicensed-routing"), page=PAGE,
                    table="routing"),
        tables.card("月度发现与销号、未销号存量", filters.graph("unlicensed-trend", "无证无照_趋势", figure=trend)),
        tables.card("最新线索", html.Div(rows, id="unlicensed-rows"), page=PAGE, table="leads"),
        dcc.Store(id="unlicensed-search", data=search),
    ])


filters.url_writer("unlicensed-search")


@callback(Output("unlicensed-region", "value"), Input("unlicensed-by-region", "clickData"),
          State("unlicensed-region", "value"), prevent_initial_call=True)
def click_region(click: dict | None, current: list[str] | None) -> list[str]:
    """A click on a county bar filters the other panels by that county; a second click clears it."""
    return filters.toggle(current, filters.clicked(click))


def _frames(session, scope, regions, period, limit: int = 500) -> dict:  # noqa: ANN001
    as_of = queries_unlicensed.unlicensed_as_of(session)
    start = filters.period_start(period, as_of)
    routing = queries_unlicensed.unlicensed_routing(session, scope, regions=regions, start=start)
    routing["conforms_text"] = routing["conforms"].map({True: "✓ 符合", False: "✗ 应转市场监管部门"})
    return {"by_region": queries_unlicensed.unlicensed_by(session, scope, "region", start=start),
            "by_source": queries_unlicensed.unlicensed_by(session, scope, "source", regions=regions, start=start),
            "routing": routing,
            "trend": queries_unlicensed.unlicensed_trend(session, scope, regions=regions, start=start),
            "partial": charts.partial_months(start, as_of),
            "leads": queries_unlicensed.unlicensed_rows(session, scope, regions=regions, start=start, limit=limit)}


@cache.memoize(ttl=filters.CACHE_SECONDS)
def panel_frames(scope: Scope, regions: list[str], period: str | None) -> dict:
    """The panels' query results for a view, through the data-version-keyed read cache (as on 投诉分析)."""
    with db.session_scope() as session:
        return _frames(session, scope, regions or None, period)


@callback(Output("unlicensed-by-region", "figure"), Output("unlicensed-by-source", "figure"),
          Output("unlicensed-routing", "children"), Output("unlicensed-trend", "figure"),
          Output("unlicensed-rows", "children"), Output("unlicensed-summary", "children"),
          Output("unlicensed-search", "data"),
          Input("unlicensed-region", "value"), Input("unlicensed-period", "value"), prevent_initial_call=True)
def update_panels(regions: list[str] | None, period: str | None):
    """All panels for the selection; the county bar keeps every county and highlights the selected.
    ``layout`` draws the first view with it, so it runs as a callback only when the selection changes."""
    scope = security.current_scope()
    regions = regions or []
    f = panel_frames(scope, regions, period)
    by_region, by_source, trend = f["by_region"], f["by_source"], f["trend"]
    region_fig = go.Figure(go.Bar(x=by_region["name"], y=by_region["n"], customdata=by_region["code"],
                                  marker_color=["#d9480f" if c in regions else "#74a9cf" for c in by_region["code"]]))
    region_fig.update_layout(margin={"l": 40, "r": 10, "t": 10, "b": 60}, height=320, yaxis_title="线索（条）")
    source_fig = go.Figure([go.Bar(x=g["source"], y=g["n"], name=status) for status, g in by_source.groupby("status")])
    source_fig.update_layout(barmode="stack", margin={"l": 40, "r": 10, "t": 10, "b": 40}, height=320,
                             legend_title_text="状态", yaxis_title="线索（条）")
    trend_fig = go.Figure([go.Bar(x=trend["month"], y=trend["found"], name="新发现"),
                           go.Bar(x=trend["month"], y=trend["closed"], name="已销号"),
                           go.Scatter(x=trend["month"], y=trend["open_end"], name="月末未销号", mode="lines+markers",
                                      line={"dash": "dash"})])
    trend_fig.update_xaxes(**charts.MONTH_AXIS)
    charts.fade_partial_bars(trend_fig, trend["month"], f["partial"])
    trend_fig.update_layout(margin={"l": 40, "r": 10, "t": 30, "b": 40}, height=320, yaxis_title="线索（条）")
    routing = f["routing"]
    names = dict(zip(by_region["code"], by_region["name"], strict=True))
    summary = summary_line(regions, names, period, routing, trend)
    search = filters.query_string({"region": regions, "period": period if period != filters.DEFAULT_PERIOD else None})
    return (region_fig, source_fig, tables.small_table(routing, ROUTING_COLUMNS),
            trend_fig, tables.grid("unlicensed-rows-grid", f["leads"], queries_unlicensed.UNLICENSED_COLUMNS),
            summary, search)


def summary_line(regions: list[str], names: dict[str, str], period: str | None, routing, trend) -> list:  # noqa: ANN001
    """Found in the period (and how many of those are still open) apart from the whole open stock, which
    is where the trend's 月末未销号 line ends; in the default view each figure is its declared metric."""
    period = filters.parse_period(period)
    default_view = not regions and period == filters.DEFAULT_PERIOD

    def figure(name: str, value: int) -> html.Span:
        return html.Span(f"{value:,}", **(metrics.mark(name) if default_view else {}))

    off_rule = int(routing.loc[~routing["conforms"], "n"].sum())
    stock = int(trend["open_end"].iloc[-1]) if len(trend) else 0
    where = "、".join(names.get(r, r) for r in regions) if regions else "全部区县"
    label = filters.PERIODS[period][0]
    return [f"当前筛选：{where} · {label} — 发现 ", figure("unlicensed_found_year", int(routing["n"].sum())),
            " 条，其中未销号 ", figure("unlicensed_found_year_open", int(routing["open_n"].sum())),
            f" 条，分流不符合第六条 {off_rule} 条；未销号存量（无论何时发现）",
            figure("unlicensed_open_stock", stock), " 条，即下方趋势图“月末未销号”的最新值"]


def export_table(session: Session, scope: Scope, table: str, regions: list[str] | None, period: str | None):  # noqa: ANN201
    """Routing or lead table (leads hold a business name and address, not a complainant)."""
    labels = {"routing": ROUTING_COLUMNS, "leads": queries_unlicensed.UNLICENSED_COLUMNS}[table]
    df = _frames(session, scope, regions or None, period, exports.row_limit())[table]
    return df[list(labels)].rename(columns=labels), f"无证无照_{EXPORT_NAMES[table]}"


export = exports.background_callback(PAGE, export_table, State("unlicensed-region", "value"),
                                     State("unlicensed-period", "value"))
