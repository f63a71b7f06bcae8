"""信用监管: risk grades by county, credit lists, and the joint reward/punishment closed loop.

A click on a county's bar filters the lists and measures to subjects registered there (``?region=``);
grades are drawn with a pattern per grade as well as a colour, so they read in grey print too.
"""

from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, State, callback, dcc, html
from sqlalchemy.orm import Session

import security
from data_access import cache, codes, db, queries, queries_credit
from data_access.scope import Scope
from ui import exports, filters, tables
from ui.filters import DROPDOWN_LABELS

dash.register_page(__name__, path="/credit", name="信用监管", order=60)

PAGE = "credit"
EXPORT_NAMES = {"list_summary": "信用名单", "entries": "最近列入名单的主体", "measures": "联合奖惩措施明细"}  # export file name per table, as its card titles it
# Grade → (colour, bar pattern): low risk plain, higher risk denser marks.
GRADE_STYLE = {"A": ("#2f9e44", ""), "B": ("#74a9cf", "/"), "C": ("#f08c00", "x"), "D": ("#c92a2a", "+")}
LIST_DAYS = 90


def layout(region=None, **_query) -> html.Div:
    with db.session_scope() as session:
        counties = queries.counties(session)
        as_of = queries_credit.credit_as_of(session)
    options = [{"label": r.name, "value": r.region_code} for r in counties.itertuples()]
    regions = filters.parse_list(region, {o["value"] for o in options})
    # The first view is drawn here, in the router's response, not by a second round of callbacks.
    grades, lists, entries, loop, measures, summary, search = update_panels(regions)
    return html.Div([
        html.H3("信用监管"),
        html.P(f"数据截至 {as_of:%Y-%m-%d}" if as_of else "仓库暂无信用数据", className="text-muted"),
        dbc.Row([dbc.Col([dbc.Label("区县（点击柱形亦可筛选）"), dcc.Dropdown(labels=DROPDOWN_LABELS,
            id="credit-region", multi=True, value=regions, options=options, placeholder="全部区县")], md=6)],
            className="mb-3"),
        html.Div(summary, id="credit-summary", className="mb-2 fw-bold"),
        tables.card("企业信用风险分类（A类低 · B类一般 · C类较高 · D类高），按区县",
                    filters.graph("credit-grades", "信用风险分类_区县", figure=grades)),
        tables.card(f"信用名单（在册数与近 {LIST_DAYS} 天列入/移出）", html.Div(lists, id="credit-lists"), page=PAGE,
                    table="list_summary"),
        tables.card("最近列入名单的主体", html.Div(entries, id="credit-entries"), page=PAGE, table="entries"),
        dbc.Row([
            dbc.Col(tables.card("联合奖惩闭环：措施 × 反馈状态", filters.graph("credit-loop", "联合奖惩闭环", figure=loop)), lg=6),
            dbc.Col(tables.card("联合奖惩措施明细", html.Div(measures, id="credit-measures"), page=PAGE, table="measures"),
                    lg=6),
        ]),
        dcc.Store(id="credit-search", data=search),
    ])


filters.url_writer("credit-search")


@callback(Output("credit-region", "value"), Input("credit-grades", "clickData"), State("credit-region", "value"),
          prevent_initial_call=True)
def click_region(click: dict | None, current: list[str] | None) -> list[str]:
    """A click on a county's bar filters lists and measures by that county; a second click clears it."""
    return filters.toggle(current, filters.clicked(click))


def _grades_figure(df, selected: list[str]) -> go.Figure:  # noqa: ANN001
    fig = go.Figure()
    for grade, (colour, pattern) in GRADE_STYLE.items():
        g = df[df["grade"] == grade]
        fig.add_bar(x=g["name"], y=g["n"], customdata=g["code"], name=f"{codes.grade_text(grade)} {codes.CREDIT_GRADES[grade]}",
                    marker={"color": colour, "pattern": {"shape": pattern},
                            "opacity": [1.0 if not selected or c in selected else 0.35 for c in g["code"]]},
                    hovertemplate="%{x} " + grade + "：%{y} 户<extra></extra>")
    fig.update_layout(barmode="stack", margin={"l": 40, "r": 10, "t": 10, "b": 60}, height=340,
                      yaxis_title="市场主体（户）", legend_title_text="信用风险分类", clickmode="event")
    return fig


def _loop_figure(df) -> go.Figure:  # noqa: ANN001
    fig = go.Figure()
    for result, colour in (("已实施", "#adb5bd"), ("已反馈", "#2f9e44"), ("未反馈", "#c92a2a")):
        g = df[df["result"] == result]
        fig.add_bar(y=g["measure"], x=g["n"], name=result, orientation="h", marker_color=colour)
    fig.update_layout(barmode="stack", margin={"l": 10, "r": 10, "t": 10, "b": 40}, height=360,
                      xaxis_title="措施数", legend_title_text="反馈状态", yaxis={"automargin": True})
    return fig


def _frames(session, scope, regions: list[str] | None, limit: int = 200) -> dict:  # noqa: ANN001
    as_of = queries_credit.credit_as_of(session) or dt.date.today()
    lists = queries_credit.list_summary(session, as_of, regions=regions, days=LIST_DAYS)
    lists["list_type"] = lists["list_type"].map(codes.CREDIT_LIST_TYPES).fillna(lists["list_type"])
    entries = queries_credit.list_entries(session, regions=regions, limit=limit)
    entries["list_type"] = entries["list_type"].map(codes.CREDIT_LIST_TYPES).fillna(entries["list_type"])
    measures = queries_credit.measure_rows(session, scope, regions=regions, limit=limit)
    measures["direction"] = measures["direction"].map(DIRECTIONS).fillna(measures["direction"])
    return {"list_summary": lists, "entries": entries, "measures": measures,
            "loop": queries_credit.measure_loop(session, scope, regions=regions)}


DIRECTIONS = {"PUNISH": "失信惩戒", "REWARD": "守信激励", "REPAIR": "信用修复"}
LIST_SUMMARY_COLUMNS = {"list_type": "名单", "active": "在册", "added": f"近{LIST_DAYS}天列入", "removed": f"近{LIST_DAYS}天移出"}


@cache.memoize(ttl=filters.CACHE_SECONDS)
def grade_counts():  # noqa: ANN201
    """Subjects per county and latest grade: the same for every view and role (read from the
    ``credit_grades`` mart), shared through the data-version-keyed read cache (``data_access.cache``:
    nothing stale is served after a load or pipeline run)."""
    with db.session_scope() as session:
        return queries_credit.grades_by_region(session)


@cache.memoize(ttl=filters.CACHE_SECONDS)
def panel_frames(scope: Scope, regions: list[str]) -> dict:
    """The list, entry and measure panels for a view, through the same read cache (scoped: the scope is
    part of the key)."""
    with db.session_scope() as session:
        return _frames(session, scope, regions or None)


@callback(Output("credit-grades", "figure"), Output("credit-lists", "children"), Output("credit-entries", "children"),
          Output("credit-loop", "figure"), Output("credit-measures", "children"), Output("credit-summary", "children"),
          Output("credit-search", "data"), Input("credit-region", "value"), prevent_initial_call=True)
def update_panels(regions: list[str] | None):
    """All panels for the selected counties (grades always show every county, the selection highlighted);
    ``layout`` draws the first view with it, so it runs as a callback only when the selection changes."""
    scope = security.current_scope()
    regions = regions or []
    grades = grade_counts()
    frames = panel_frames(scope, regions)
    loop = frames["loop"]
    answered = int(loop.loc[loop["result"] == "已反馈", "n"].sum())
    names = dict(zip(grades["code"], grades["name"], strict=False))
    scope_text = "、".join(names.get(r, r) for r in regions) if regions else "全部区县"
    summary = (f"当前筛选：{scope_text} — 联合奖惩措施 {int(loop['n'].sum())} 项，已反馈 {answered} 项"
               f"（闭环率 {answered / loop['n'].sum():.0%}）" if loop["n"].sum() else f"当前筛选：{scope_text} — 暂无联合奖惩措施")
    return (_grades_figure(grades, regions),
            tables.small_table(frames["list_summary"], LIST_SUMMARY_COLUMNS),
            tables.grid("credit-entries-grid", frames["entries"], queries_credit.LIST_ENTRY_COLUMNS,
                        links={"subject_uscc": "/enterprise/{value}"}),
            _loop_figure(loop),
            tables.grid("credit-measures-grid", frames["measures"], queries_credit.MEASURE_COLUMNS,
                        links={"subject_uscc": "/enterprise/{value}"}),
            summary, filters.query_string({"region": regions}))


def export_table(session: Session, scope: Scope, table: str, regions: list[str] | None):  # noqa: ANN201
    """A credit table (public credit information: no personal data, no masking needed)."""
    labels = {"list_summary": LIST_SUMMARY_COLUMNS, "entries": queries_credit.LIST_ENTRY_COLUMNS,
              "measures": queries_credit.MEASURE_COLUMNS}[table]
    df = _frames(session, scope, regions or None, exports.row_limit())[table]
    return df[list(labels)].rename(columns=labels), f"信用监管_{EXPORT_NAMES[table]}"


export = exports.background_callback(PAGE, export_table, State("credit-region", "value"))
