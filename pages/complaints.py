"""投诉分析: 12345 complaint analytics with cross-filtering, full-text search, hot issues and exports.

State lives in the URL (``?region=410204&category=HC04&period=90d&q=噪音``): ``layout`` reads it, the
filter callback writes it back, so a copied link restores the view. Clicking a county or category bar,
or a county on the map, filters every other panel (the map, like the county bars, outlines the selection); each bar chart keeps its own dimension unfiltered and highlights the
selection, so the clicked bar stays among its peers.
"""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, State, callback, clientside_callback, dcc, html
from sqlalchemy.orm import Session

import security
from data_access import cache, db, queries, queries_complaints
from data_access.scope import Scope
from security import audit
from text_mining import hotwords
from ui import charts, exports, filters, tables
from ui.filters import DROPDOWN_LABELS
from ui.kaifeng_map import county_count_figure

dash.register_page(__name__, path="/complaints", name="投诉分析", order=20)

PAGE = "complaints"
# Export file names per table (投诉分析_匹配工单.csv), as the cards title them.
EXPORT_NAMES = {"tickets": "匹配工单", "hot_issues": "热点问题", "hot_words": "热词"}
# The columns the panels and their exports show, in order, with their headers.
HOT_ISSUE_LABELS = {"title": "问题", "n": "工单数", "region": "区县", "first": "首次", "last": "最近"}
HOT_WORD_LABELS = {"word": "热词", "n": "提及工单数"}
SELECTED, OTHERS = "#d9480f", "#74a9cf"
GRID_COLUMNS = [
    {"field": "accepted_at", "headerName": "受理时间", "width": 160, "sortable": True},
    {"field": "order_no", "headerName": "工单编号", "width": 150, "sortable": True},
    {"field": "region", "headerName": "区县", "width": 100, "sortable": True},
    {"field": "category", "headerName": "诉求类别", "width": 110, "sortable": True},
    {"field": "title", "headerName": "标题", "flex": 1, "minWidth": 200},
    {"field": "content", "headerName": "诉求内容", "flex": 2, "minWidth": 260, "tooltipField": "content"},
    {"field": "caller_name", "headerName": "来电人", "width": 90},
    {"field": "caller_phone", "headerName": "联系电话", "width": 130},
    {"field": "status", "headerName": "状态", "width": 90, "sortable": True},
    {"field": "subject_uscc", "headerName": "涉及主体", "width": 180, "cellRenderer": "markdown"},
]


def _options(session) -> tuple[list[dict], list[dict]]:  # noqa: ANN001
    counties = queries.counties(session)
    categories = queries.hotline_categories(session)
    return ([{"label": r.name, "value": r.region_code} for r in counties.itertuples()],
            [{"label": c.name, "value": c.cat_code} for c in categories.itertuples()])


def layout(region=None, category=None, period=None, q=None, **_query) -> html.Div:
    with db.session_scope() as session:
        region_options, category_options = _options(session)
        as_of = queries.data_as_of(session)
    regions = filters.parse_list(region, {o["value"] for o in region_options})
    categories = filters.parse_list(category, {o["value"] for o in category_options})
    period, q = filters.parse_period(period), (q or "")[:queries_complaints.SEARCH_MAX_CHARS]
    # The first view is drawn here, in the router's response, not by a second round of callbacks.
    by_region, by_category, county_map, trend, issues, words, summary, search = update_panels(
        regions, categories, period, q)
    controls = dbc.Card(dbc.CardBody(dbc.Row([
        dbc.Col([dbc.Label("区县"), dcc.Dropdown(labels=DROPDOWN_LABELS, id="complaints-region", multi=True, value=regions,
                                                 options=region_options, placeholder="全部区县")], md=3),
        dbc.Col([dbc.Label("诉求类别"), dcc.Dropdown(labels=DROPDOWN_LABELS, id="complaints-category", multi=True, value=categories,
                                                   options=category_options, placeholder="全部类别")], md=3),
        dbc.Col([dbc.Label("时间范围"), dbc.RadioItems(
            id="complaints-period", inline=True, value=period,
            options=[{"label": label, "value": key} for key, (label, _) in filters.PERIODS.items()])], md=3),
        dbc.Col([dbc.Label("全文检索（标题与内容）"), dbc.Input(
            id="complaints-q", value=q, debounce=True,
            maxLength=queries_complaints.SEARCH_MAX_CHARS, placeholder="输入关键词后回车，如：噪音")], md=3),
    ])), className="mb-3")
    stamp = f"数据截至 {as_of:%Y-%m-%d %H:%M}" if as_of else "仓库暂无 12345 数据"
    grid = dag.AgGrid(
        id="complaints-grid", rowModelType="infinite", columnDefs=GRID_COLUMNS,
        defaultColDef={**tables.HEADER_WRAP, "resizable": True},
        dashGridOptions={"cacheBlockSize": 50, "maxBlocksInCache": 10, "pagination": True, "paginationPageSize": 50,
                         "tooltipShowDelay": 300, **tables.GRID_OPTIONS, "localeText": {**tables.GRID_LOCALE, "noRowsToShow": "没有符合条件的工单"}},
        style={"height": "520px"}, className=tables.THEME_CLASS)
    return html.Div([
        html.H3("投诉分析"),
        html.P([stamp, " · 点击区县柱形、地图上的区县或类别柱形可筛选其他图表，再次点击取消；筛选条件保存在网址中，可直接分享。"],
               className="text-muted", id="complaints-as-of"),
        controls,
        html.Div(summary, id="complaints-summary", className="mb-2 fw-bold"),
        dbc.Row([
            dbc.Col(tables.card("各区县诉求量（点击筛选）",
                                filters.graph("complaints-by-region", "诉求量_区县", figure=by_region)), lg=5),
            dbc.Col(tables.card("诉求量前 15 位的类别（点击筛选）",
                                filters.graph("complaints-by-category", "诉求量_类别", figure=by_category)), lg=7),
        ]),
        dbc.Row([
            dbc.Col(tables.card("各区县诉求量地图（点击筛选）",
                                filters.graph("complaints-map", "诉求量_地图", figure=county_map)), lg=5),
            dbc.Col(tables.card("月度趋势（前 8 类）", filters.graph("complaints-trend", "诉求量_月度趋势", figure=trend)),
                    lg=7),
        ]),
        dbc.Row([
            dbc.Col(tables.card("热点问题", html.Div(issues, id="complaints-hot-issues"), page=PAGE, table="hot_issues"),
                    lg=7),
            dbc.Col(tables.card("热词", html.Div(words, id="complaints-hot-words"), page=PAGE, table="hot_words"), lg=5),
        ]),
        tables.card("匹配工单（服务器端分页）", grid, page=PAGE, table="tickets",
                    note="非授权角色看到的姓名、电话及正文中的证件号、手机号均已脱敏。"),
        dcc.Store(id="complaints-search", data=search),
    ])


filters.url_writer("complaints-search")


@callback(Output("complaints-region", "value"), Input("complaints-by-region", "clickData"),
          State("complaints-region", "value"), prevent_initial_call=True)
def click_region(click: dict | None, current: list[str] | None) -> list[str]:
    """A click on a county bar filters the page by that county (a second click clears it)."""
    return filters.toggle(current, filters.clicked(click))


@callback(Output("complaints-region", "value", allow_duplicate=True), Input("complaints-map", "clickData"),
          State("complaints-region", "value"), prevent_initial_call=True)
def click_map(click: dict | None, current: list[str] | None) -> list[str]:
    """A click on a county (or the 示范区 star) on the map does what a click on its bar does."""
    return filters.toggle(current, filters.clicked(click))


@callback(Output("complaints-category", "value"), Input("complaints-by-category", "clickData"),
          State("complaints-category", "value"), prevent_initial_call=True)
def click_category(click: dict | None, current: list[str] | None) -> list[str]:
    """A click on a category bar filters the page by that category (a second click clears it)."""
    return filters.toggle(current, filters.clicked(click))


def _filters(session, regions, categories, period, q, as_of=None) -> dict:  # noqa: ANN001
    start = filters.period_start(period, as_of or queries.data_as_of(session))
    return {"regions": regions or None, "categories": categories or None, "start": start, "text": q or None}


def _bar(df, selected: list[str], axis_title: str) -> go.Figure:  # noqa: ANN001
    colours = [SELECTED if code in selected else OTHERS for code in df["code"]]
    fig = go.Figure(go.Bar(x=df["name"], y=df["n"], customdata=df["code"], marker_color=colours,
                           hovertemplate="%{x}：%{y} 件<extra></extra>"))
    fig.update_layout(margin={"l": 40, "r": 10, "t": 10, "b": 80}, yaxis_title=axis_title, clickmode="event",
                      xaxis_tickangle=-40, height=320)
    return fig


def _hot_issues_view(df, ran: bool):  # noqa: ANN001
    if not ran:
        return dbc.Alert("尚未运行文本挖掘，暂无热点问题。", color="secondary", className="mb-0")
    return tables.small_table(df, HOT_ISSUE_LABELS)


def _hot_words_view(df, ran: bool):  # noqa: ANN001
    if not ran:
        return dbc.Alert("尚未运行文本挖掘，暂无热词。", color="secondary", className="mb-0")
    if df.empty:
        return html.P(tables.EMPTY_TEXT, className="text-muted")
    top = df["n"].max()
    return html.Div([dbc.Badge(f"{w}·{n}", color="primary" if n >= top / 2 else "info", className="me-1 mb-1",
                               style={"fontSize": f"{0.8 + 0.6 * n / top:.2f}rem"})
                     for w, n in zip(df["word"], df["n"], strict=True)], id="complaints-hot-words-list")


@cache.memoize(ttl=filters.CACHE_SECONDS)
def panel_data(scope: Scope, regions: list[str], categories: list[str], period: str | None, q: str | None) -> tuple:
    """The panels' query results (county and category counts, monthly trend, whether text mining ran, hot
    issues, hot words), shared through the read-side cache: keyed by the warehouse's data version, so a
    view someone opened before comes back without querying until new data lands."""
    with db.session_scope() as session:
        as_of = queries.data_as_of(session)
        f = _filters(session, regions, categories, period, q, as_of)
        ran = queries_complaints.text_mining_ran(session)
        return (queries_complaints.complaint_counts(session, scope, "region", **{**f, "regions": None}),
                queries_complaints.complaint_counts(session, scope, "category", **{**f, "categories": None}),
                queries_complaints.complaint_monthly(session, scope, **f), charts.partial_months(f["start"], as_of),
                ran,
                queries_complaints.hot_issues(session, scope, **f) if ran else None,
                hotwords.selection_hot_words(queries_complaints.selection_tokens(session, scope, **f)) if ran else None)


@callback(Output("complaints-by-region", "figure"), Output("complaints-by-category", "figure"),
          Output("complaints-map", "figure"), Output("complaints-trend", "figure"), Output("complaints-hot-issues", "children"),
          Output("complaints-hot-words", "children"), Output("complaints-summary", "children"),
          Output("complaints-search", "data"),
          Input("complaints-region", "value"), Input("complaints-category", "value"),
          Input("complaints-period", "value"), Input("complaints-q", "value"), prevent_initial_call=True)
def update_panels(regions: list[str] | None, categories: list[str] | None, period: str | None, q: str | None):
    """Every panel under the current filters; the county and category bars skip their own filter.
    ``layout`` draws the first view with it, so it runs as a callback only when a filter changes."""
    regions, categories = regions or [], categories or []
    by_region, by_category, monthly, partial, ran, issues, words = panel_data(
        security.current_scope(), regions, categories, period, q)
    names = dict(zip(by_region["code"], by_region["name"], strict=True))
    category_names = dict(zip(by_category["code"], by_category["name"], strict=True))
    trend = charts.monthly_lines(monthly, partial)
    trend.update_layout(margin={"l": 40, "r": 10, "t": 30, "b": 40}, yaxis_title="诉求量（件）", height=340,
                        hovermode="x unified", legend_title_text="类别")
    parts = [f"区县：{'、'.join(names.get(r, r) for r in regions)}" if regions else "全部区县",
             f"类别：{'、'.join(category_names.get(c, c) for c in categories)}" if categories else "全部类别",
             filters.PERIODS[filters.parse_period(period)][0]]
    if q:
        parts.append(f"关键词：{q}")
    total = int(by_region[by_region["code"].isin(regions)]["n"].sum() if regions else by_region["n"].sum())
    summary = f"当前筛选：{' · '.join(parts)} — 共 {total:,} 件"
    search = filters.query_string({"region": regions, "category": categories,
                                   "period": period if period != filters.DEFAULT_PERIOD else None, "q": q})
    county_map = county_count_figure(by_region, regions, highlight=SELECTED, other=OTHERS)
    return (_bar(by_region, regions, "诉求量（件）"), _bar(by_category.head(15), categories, "诉求量（件）"), county_map, trend,
            _hot_issues_view(issues, ran), _hot_words_view(words, ran), summary, search)


def _rows(scope, session, regions, categories, period, q, **kwargs):  # noqa: ANN001, ANN202
    return queries_complaints.complaint_rows(session, scope, **_filters(session, regions, categories, period, q), **kwargs)


@callback(Output("complaints-grid", "getRowsResponse"), Input("complaints-grid", "getRowsRequest"),
          State("complaints-region", "value"), State("complaints-category", "value"),
          State("complaints-period", "value"), State("complaints-q", "value"), prevent_initial_call=True)
def load_rows(request: dict | None, regions, categories, period, q):  # noqa: ANN001
    """One block of matching orders for the infinite grid, masked for the role; an unmasked block is audited
    as a view (the grid asks for its first block itself: the initial call, with no request, would only cost a
    round trip)."""
    if not request:
        return dash.no_update
    scope = security.current_scope()
    sort = (request.get("sortModel") or [{}])[0]
    with db.session_scope() as session:
        df, total = _rows(scope, session, regions, categories, period, q, offset=request["startRow"],
                          limit=request["endRow"] - request["startRow"], sort=sort.get("colId", "accepted_at"),
                          descending=sort.get("sort", "desc") == "desc")
        audit.record_pii_view(session, scope, "hotline_ticket", df["ticket_id"].tolist(),
                              fields=queries_complaints.COMPLAINT_PII_FIELDS, purpose="complaint_analytics")
    df["subject_uscc"] = [f"[{u}](/enterprise/{u})" if u else "" for u in df["subject_uscc"]]
    return {"rowData": tables.records(df), "rowCount": total}


# New filters drop the grid's cached blocks so it asks the server again.
clientside_callback(
    """function() {
        const api = dash_ag_grid.getApi("complaints-grid");
        if (api) { api.purgeInfiniteCache(); }
        return window.dash_clientside.no_update;
    }""",
    Output("complaints-grid", "id"), Input("complaints-region", "value"), Input("complaints-category", "value"),
    Input("complaints-period", "value"), Input("complaints-q", "value"), prevent_initial_call=True)


def export_table(session: Session, scope: Scope, table: str, regions, categories, period, q):  # noqa: ANN001, ANN201
    """The clicked table under the current filters (row limit, masking and audit applied)."""
    f = _filters(session, regions, categories, period, q)
    if table == "tickets":
        df, _ = queries_complaints.complaint_rows(session, scope, **f, limit=exports.row_limit())
        exports.record(session, scope, "hotline_ticket", df["ticket_id"].tolist(),
                       queries_complaints.COMPLAINT_PII_FIELDS, purpose="complaints_export")
        df = df.rename(columns=queries_complaints.COMPLAINT_COLUMNS)
    elif table == "hot_issues":
        df = queries_complaints.hot_issues(session, scope, **f, limit=exports.row_limit())
        df = df[list(HOT_ISSUE_LABELS)].rename(columns=HOT_ISSUE_LABELS)
    else:
        df = hotwords.selection_hot_words(queries_complaints.selection_tokens(session, scope, **f),
                                          limit=exports.row_limit())
        df = df[list(HOT_WORD_LABELS)].rename(columns=HOT_WORD_LABELS)
    return df, f"投诉分析_{EXPORT_NAMES[table]}"


export = exports.background_callback(PAGE, export_table, State("complaints-region", "value"),
                                     State("complaints-category", "value"), State("complaints-period", "value"),
                                     State("complaints-q", "value"))
