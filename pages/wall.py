"""大屏: the video wall — a fixed 1920×1080 canvas scaled to the display, for unattended 24×7 running.

URL parameters (all optional): ``mode=fit|fill`` (letterbox, or stretch to the whole screen), ``refresh=N``
seconds between data refreshes, ``dwell=N`` seconds per carousel screen, ``screen=I`` the screen to show
first, ``reload=N`` minutes between full page reloads. ``?kiosk=TOKEN`` is consumed by the security guard.

The layout renders every panel server-side (first paint needs no callback). After that a gate lets the
refresh interval fire one "pulse" at a time: each panel's callback answers the pulse by updating only its
figure or children and echoing the pulse into its ``wall-done-*`` store, and the gate starts the next
pulse only when every panel has answered, so slow queries never pile up. Scaling, the clock, the carousel
and the scheduled reload are clientside (assets/wall.js); the reload keeps the screen index in the URL.
"""

from __future__ import annotations

import datetime as dt

import dash
import pandas as pd
from dash import ClientsideFunction, Input, Output, Patch, State, callback, clientside_callback, dcc, html

import metrics
import security
import settings
from data_access import cache, db, queries, queries_evaluation, queries_leads, queries_text, queries_wall
from data_access.codes import HOTLINE_CATEGORY_CODE_BY_NAME, UTC_OFFSET_HOURS
from data_access.scope import Scope
from evaluation.indicators import DEPARTMENT
from metrics.declarations import LEAD_WINDOW_DAYS, unit_ranking
from metrics.windows import day_window
from ui import levels, theme, wall_views
from ui.kaifeng_map import district_risk_figure, risk_styling

dash.register_page(__name__, path="/wall", name="大屏", title="汴监 · 大屏", order=90,
                   roles=("WALL", "LEADER", "ANALYST", "SYS_ADMIN"))

SCREENS = ("态势总览", "线索处置", "热点问题")
PANELS = ("kpis", "map", "trend", "hotwords", "funnel", "overdue", "ranking", "hotissues", "ticker")
MODES = ("fit", "fill")
OVERDUE_ROWS = 9
RANKING_ROWS = 10
HOT_ISSUE_ROWS = 10
MAP_SIZE = (872, 648)  # canvas pixels (figures are fixed-size; see theme.base_layout)
STAGES = tuple(stage for stage, _ in queries_leads.FUNNEL_STAGES)
PANEL_CACHE_SECONDS = int(settings.get("wall_cache_seconds"))  # shared by every wall and worker


# ------------------------------------------------------------------------------------------- parameters


def _int_param(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value), low), high) if value is not None else default
    except ValueError:
        return default


def wall_config(mode: str | None = None, refresh: str | None = None, dwell: str | None = None,
                screen: str | None = None, reload: str | None = None) -> dict:
    """The wall's runtime parameters from the URL, falling back to the settings; out-of-range values
    are clamped (a typo on a wall must not make it refresh every millisecond)."""
    return {
        "mode": mode if mode in MODES else MODES[0],
        "refresh_ms": 1000 * _int_param(refresh, int(settings.get("wall_refresh_seconds")), 2, 3600),
        "dwell_ms": 1000 * _int_param(dwell, int(settings.get("wall_dwell_seconds")), 3, 3600),
        "reload_ms": 60_000 * _int_param(reload, int(settings.get("wall_reload_minutes")), 1, 7 * 24 * 60),
        "screen": _int_param(screen, 0, 0, len(SCREENS) - 1),
        "screens": len(SCREENS),
        "width": theme.CANVAS_WIDTH, "height": theme.CANVAS_HEIGHT,
        "utc_offset_hours": UTC_OFFSET_HOURS,  # the clock reads Kaifeng's time, whatever the kiosk's zone
    }


# ------------------------------------------------------------------------------------------ panel data


@cache.memoize(ttl=PANEL_CACHE_SECONDS)
def kpi_values(scope: Scope) -> dict:
    """The counters, each a declared metric: the latest day's orders (and the day before's up to the same
    time), all unclosed leads per level, overdue leads and the 90-day on-time feedback rate."""
    with db.session_scope() as session:
        ctx = metrics.context(session, scope)
        if ctx.data_as_of is None:
            return {"as_of": None, "today": 0, "yesterday": 0, "open": dict.fromkeys(theme.LEVEL_ORDER, 0),
                    "overdue": 0, "ontime": None}
        return {"as_of": ctx.data_as_of, "today": metrics.value("complaints_today", ctx),
                "yesterday": metrics.value("complaints_previous_day", ctx),
                "open": {lv: metrics.value(f"leads_unclosed_{lv.lower()}", ctx) for lv in theme.LEVEL_ORDER},
                "overdue": metrics.value("leads_overdue", ctx), "ontime": metrics.value("lead_feedback_on_time_rate", ctx)}


@cache.memoize(ttl=PANEL_CACHE_SECONDS)
def county_risk(scope: Scope) -> pd.DataFrame:
    with db.session_scope() as session:
        return queries_wall.open_leads_by_county(session, scope)


@cache.memoize(ttl=PANEL_CACHE_SECONDS)
def trend_data() -> tuple[pd.DataFrame, dt.datetime | None]:
    """The city's daily orders with their band, and how far the data reaches (the partial day's label)."""
    with db.session_scope() as session:
        as_of = queries.data_as_of(session)
        return queries_wall.complaint_trend(session, (as_of or dt.datetime.now()).date()), as_of


@cache.memoize(ttl=PANEL_CACHE_SECONDS)
def hotword_data() -> pd.DataFrame:
    """The city's hot words of the week (pipeline table ``derived_hot_word``): term, n, is_emerging."""
    with db.session_scope() as session:
        as_of = queries.data_as_of(session) or dt.datetime.now()
        week = queries_text.hot_words_for(session, period_start=queries_text.hot_word_week(as_of.date()), limit=24)
    return week.rename(columns={"doc_count": "n"}).sort_values("n", ascending=False, kind="stable")[["term", "n", "is_emerging"]]


@cache.memoize(ttl=PANEL_CACHE_SECONDS)
def hot_issue_data(scope: Scope) -> pd.DataFrame:
    """The city's hottest issues of the pipeline's sliding window (``derived_hot_issue``), titles masked as
    for every complaint text, with the category's name."""
    with db.session_scope() as session:
        issues = queries_text.top_hot_issues(session, scope, limit=HOT_ISSUE_ROWS)
    names = {code: name for name, code in HOTLINE_CATEGORY_CODE_BY_NAME.items()}
    return issues.assign(category=issues["category_code"].map(names))


@cache.memoize(ttl=PANEL_CACHE_SECONDS)
def funnel_data(scope: Scope) -> pd.DataFrame:
    """Leads generated in the window of metric ``leads_generated_90d`` and the stages they reached."""
    with db.session_scope() as session:
        ctx = metrics.context(session, scope)
        start, stop = day_window(ctx.now, LEAD_WINDOW_DAYS)
        return queries_leads.dispatch_funnel(session, scope, since=start, until=stop)


@cache.memoize(ttl=PANEL_CACHE_SECONDS)
def overdue_data(scope: Scope) -> pd.DataFrame:
    """The leads metric ``leads_overdue`` counts (at least one working day past their deadline)."""
    with db.session_scope() as session:
        return queries_leads.overdue_leads(session, scope, metrics.context(session, scope).now)


@cache.memoize(ttl=PANEL_CACHE_SECONDS)
def latest_alert_leads(scope: Scope) -> pd.DataFrame:
    with db.session_scope() as session:
        return queries_wall.latest_leads(session, scope, levels=theme.ALERT_LEVELS)


_ranking_cache: dict[tuple, pd.DataFrame] = {}


@cache.memoize(ttl=PANEL_CACHE_SECONDS)
def department_ranking(scope: Scope) -> tuple[str | None, pd.DataFrame]:
    """(ranking month, departments ranked in it by the evaluation composite score): metric
    ``department_ranking``, the same month and ranks as 排名, 本部门 and the 月通报. Scores change only when
    the indicators step runs or the weights change, so the ranking is cached on exactly those."""
    with db.session_scope() as session:
        ctx = metrics.context(session, scope)
        if ctx.month is None:
            return None, pd.DataFrame()
        key = (ctx.month, queries_wall.last_step_run(session, "indicators"),
               queries_evaluation.stored_weights_text(session), scope.dept_code)
        if key not in _ranking_cache:
            ranked = unit_ranking(ctx, DEPARTMENT)
            _ranking_cache.clear()
            _ranking_cache[key] = ranked[ranked["score"].notna()]
    return ctx.month, _ranking_cache[key]


def _month_text(month: str | None) -> str | None:
    return metrics.month_label(month, kpi_values(security.current_scope())["as_of"]) if month else None


# ------------------------------------------------------------------------------------------------ layout


def _panel(title: str, body, *, panel_id: str, body_id: str | None = None, extra=None) -> html.Section:  # noqa: ANN001
    head = [html.H2(title)] + ([extra] if extra is not None else [])
    body_div = html.Div(body, className="wall-panel-body", **({"id": body_id} if body_id else {}))
    return html.Section([html.Header(head), body_div], className="wall-panel", id=panel_id)


def _graph(graph_id: str, figure: dict) -> dcc.Graph:
    # plotly.js fetches its world topology for any geo subplot; ours is served from assets/geo/.
    return dcc.Graph(id=graph_id, figure=figure, config={**theme.GRAPH_CONFIG,
                                                         "topojsonURL": dash.get_asset_url("geo/")})


def _kpis(texts: dict[str, str]) -> html.Div:
    level_cells = [html.Div([html.Span(theme.LEVEL_STYLES[lv].label, className="wall-kpi-level-name"),
                             html.Span(texts[f"open_{lv}"], id=f"wall-kpi-open-{lv.lower()}",
                                       className="wall-kpi-level-count", **metrics.mark(f"leads_unclosed_{lv.lower()}"))],
                            className="wall-kpi-level", style={"color": theme.LEVEL_STYLES[lv].colour})
                   for lv in theme.LEVEL_ORDER]
    return html.Div([
        html.Div([html.Div(texts["today_name"], id="wall-kpi-today-name", className="wall-kpi-name"),
                  html.Div(texts["today"], id="wall-kpi-today", className="wall-kpi-value",
                           **metrics.mark("complaints_today")),
                  html.Div(texts["compare"], id="wall-kpi-today-compare", className="wall-kpi-note",
                           title=metrics.get("complaints_previous_day").definition)],
                 className="wall-kpi"),
        html.Div([html.Div(f"{metrics.get('leads_unclosed').label}（条）", className="wall-kpi-name",
                           title=metrics.get("leads_unclosed").definition),
                  html.Div(level_cells, className="wall-kpi-levels")], className="wall-kpi wall-kpi-wide"),
        html.Div([html.Div(f"{metrics.get('leads_overdue').label}（条）", className="wall-kpi-name"),
                  html.Div(texts["overdue"], id="wall-kpi-overdue", className="wall-kpi-value wall-kpi-alert",
                           **metrics.mark("leads_overdue"))],
                 className="wall-kpi"),
        html.Div([html.Div(metrics.get("lead_feedback_on_time_rate").label, className="wall-kpi-name"),
                  html.Div(texts["ontime"], id="wall-kpi-ontime", className="wall-kpi-value",
                           **metrics.mark("lead_feedback_on_time_rate"))], className="wall-kpi"),
    ], className="wall-kpis", id="wall-kpis")


def _map_legend() -> html.Div:
    items = [levels.level_badge(lv) for lv in theme.LEVEL_ORDER]
    items += [html.Span("□无在办"), html.Span("★示范区（无公开界线，以标记示意）")]
    return html.Div(items, className="wall-legend")


def layout(mode: str | None = None, refresh: str | None = None, dwell: str | None = None,
           screen: str | None = None, reload: str | None = None, **_query) -> html.Div:
    config = wall_config(mode, refresh, dwell, screen, reload)
    scope = security.current_scope()
    texts = wall_views.kpi_texts(kpi_values(scope))
    active = config["screen"]
    month, ranked = department_ranking(scope)

    def screen_class(i: int) -> str:
        return "wall-screen wall-active" if i == active else "wall-screen"

    screens = [
        html.Div([
            _panel("风险线索区县分布", _graph("wall-map", district_risk_figure(county_risk(scope), width=MAP_SIZE[0],
                                                                         height=MAP_SIZE[1])),
                   panel_id="wall-panel-map", extra=_map_legend()),
            _panel("诉求量趋势与预警（近60天，带状为预期区间）", _graph("wall-trend", wall_views.trend_figure(*trend_data())),
                   panel_id="wall-panel-trend"),
            _panel("本周诉求热词", wall_views.hotword_spans(hotword_data()), panel_id="wall-panel-hotwords",
                   body_id="wall-hotwords"),
        ], id="wall-screen-0", className=screen_class(0)),
        html.Div([
            _panel("线索转办漏斗（近90天）", _graph("wall-funnel", wall_views.funnel_figure(funnel_data(scope), STAGES)),
                   panel_id="wall-panel-funnel"),
            _panel("超期线索", wall_views.overdue_rows(overdue_data(scope), OVERDUE_ROWS), panel_id="wall-panel-overdue",
                   body_id="wall-overdue"),
            _panel("部门评价排名", wall_views.ranking_rows(ranked, month, RANKING_ROWS, _month_text(month)), panel_id="wall-panel-ranking",
                   body_id="wall-ranking"),
        ], id="wall-screen-1", className=screen_class(1)),
        html.Div([
            _panel(f"热点问题（近{settings.get('text_hot_issue_days')}天同一问题的工单聚合，按热度排序）",
                   wall_views.hot_issue_rows(hot_issue_data(scope), HOT_ISSUE_ROWS), panel_id="wall-panel-hotissues",
                   body_id="wall-hotissues"),
        ], id="wall-screen-2", className=screen_class(2)),
    ]
    tabs = [html.Span(name, id=f"wall-tab-{i}", className="wall-tab wall-active" if i == active else "wall-tab")
            for i, name in enumerate(SCREENS)]
    canvas = html.Div([
        html.Header([
            html.H1("开封市互联网+监管指挥中心"),
            html.Div(tabs, className="wall-tabs"),
            html.Div([html.Div(id="wall-clock", className="wall-clock"),
                      html.Div(texts["as_of"], id="wall-as-of", className="wall-as-of")], className="wall-time"),
        ], className="wall-header"),
        _kpis(texts),
        html.Div(screens, className="wall-screens"),
        html.Div([html.Span("最新红/橙线索", className="wall-ticker-label"),
                  html.Div(html.Div(wall_views.ticker_items(latest_alert_leads(scope)), id="wall-ticker",
                                    className="wall-ticker-track"), className="wall-ticker-window")],
                 className="wall-ticker"),
    ], id="wall-canvas", className="wall-canvas")
    stores = [dcc.Store(id="wall-config", data=config), dcc.Store(id="wall-screen", data=active),
              dcc.Store(id="wall-pulse", data=0), dcc.Store(id="wall-fitted"),
              *(dcc.Store(id=f"wall-done-{p}", data=0) for p in PANELS),
              dcc.Interval(id="wall-tick", interval=config["refresh_ms"]),
              dcc.Interval(id="wall-carousel", interval=config["dwell_ms"]),
              dcc.Interval(id="wall-reload", interval=config["reload_ms"], max_intervals=1),
              dcc.Interval(id="wall-clock-tick", interval=1000)]
    return html.Div([canvas, *stores], id="wall-viewport", className=f"wall-viewport wall-mode-{config['mode']}",
                    style=theme.CSS_VARIABLES)


# --------------------------------------------------------------------------------------------- callbacks

clientside_callback(ClientsideFunction("wall", "fit"), Output("wall-fitted", "data"), Input("wall-config", "data"))
clientside_callback(ClientsideFunction("wall", "clock"), Output("wall-clock", "children"),
                    Input("wall-clock-tick", "n_intervals"), State("wall-config", "data"))
clientside_callback(ClientsideFunction("wall", "reload"), Output("wall-reload", "disabled"),
                    Input("wall-reload", "n_intervals"), prevent_initial_call=True)
clientside_callback(
    ClientsideFunction("wall", "rotate"),
    Output("wall-screen", "data"), *(Output(f"wall-screen-{i}", "className") for i in range(len(SCREENS))),
    *(Output(f"wall-tab-{i}", "className") for i in range(len(SCREENS))),
    Input("wall-carousel", "n_intervals"), State("wall-screen", "data"), State("wall-config", "data"),
    prevent_initial_call=True)
clientside_callback(
    ClientsideFunction("wall", "gate"), Output("wall-pulse", "data"),
    Input("wall-tick", "n_intervals"), State("wall-pulse", "data"), State("wall-config", "data"),
    *(State(f"wall-done-{p}", "data") for p in PANELS),
    prevent_initial_call=True)


def _pulse(panel: str) -> tuple[Output, Input]:
    """The panel's done-store output and the pulse input every refresh callback shares."""
    return Output(f"wall-done-{panel}", "data"), Input("wall-pulse", "data")


KPI_OUTPUTS = ("today_name", "today", "compare", *(f"open_{lv}" for lv in theme.LEVEL_ORDER), "overdue", "ontime",
               "as_of")
KPI_IDS = {"today_name": "wall-kpi-today-name", "today": "wall-kpi-today", "compare": "wall-kpi-today-compare",
           "overdue": "wall-kpi-overdue",
           "ontime": "wall-kpi-ontime", "as_of": "wall-as-of",
           **{f"open_{lv}": f"wall-kpi-open-{lv.lower()}" for lv in theme.LEVEL_ORDER}}


@callback(*(Output(KPI_IDS[k], "children") for k in KPI_OUTPUTS), *_pulse("kpis"), prevent_initial_call=True)
def refresh_kpis(pulse: int):
    texts = wall_views.kpi_texts(kpi_values(security.current_scope()))
    return (*(texts[k] for k in KPI_OUTPUTS), pulse)


@callback(Output("wall-map", "figure"), *_pulse("map"), prevent_initial_call=True)
def refresh_map(pulse: int):
    """Patch only colours and labels; the county geometry stays in the browser."""
    style = risk_styling(county_risk(security.current_scope()))
    patch = Patch()
    patch["data"][0]["z"] = style["z"]
    patch["data"][2]["marker"]["color"] = style["zone_colour"]
    patch["data"][3]["text"] = style["labels"]
    return patch, pulse


@callback(Output("wall-trend", "figure"), *_pulse("trend"), prevent_initial_call=True)
def refresh_trend(pulse: int):
    return wall_views.trend_figure(*trend_data()), pulse


@callback(Output("wall-hotwords", "children"), *_pulse("hotwords"), prevent_initial_call=True)
def refresh_hotwords(pulse: int):
    return wall_views.hotword_spans(hotword_data()), pulse


@callback(Output("wall-funnel", "figure"), *_pulse("funnel"), prevent_initial_call=True)
def refresh_funnel(pulse: int):
    return wall_views.funnel_figure(funnel_data(security.current_scope()), STAGES), pulse


@callback(Output("wall-overdue", "children"), *_pulse("overdue"), prevent_initial_call=True)
def refresh_overdue(pulse: int):
    return wall_views.overdue_rows(overdue_data(security.current_scope()), OVERDUE_ROWS), pulse


@callback(Output("wall-ranking", "children"), *_pulse("ranking"), prevent_initial_call=True)
def refresh_ranking(pulse: int):
    month, ranked = department_ranking(security.current_scope())
    return wall_views.ranking_rows(ranked, month, RANKING_ROWS, _month_text(month)), pulse


@callback(Output("wall-hotissues", "children"), *_pulse("hotissues"), prevent_initial_call=True)
def refresh_hotissues(pulse: int):
    return wall_views.hot_issue_rows(hot_issue_data(security.current_scope()), HOT_ISSUE_ROWS), pulse


@callback(Output("wall-ticker", "children"), *_pulse("ticker"), prevent_initial_call=True)
def refresh_ticker(pulse: int):
    return wall_views.ticker_items(latest_alert_leads(security.current_scope())), pulse
