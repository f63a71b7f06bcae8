"""概览: the landing page — each key figure with its 30-day trend line, the leads that need attention now,
and the newest red/orange leads, so a leader looks rather than reads.

Every figure is a declared metric (metrics/declarations.py): its label, hover definition and value come
from there, and the change against the previous period is coloured by the metric's good direction
(green when it moved the good way, red the bad way, grey when neither is better). A department head's
figures cover their own department only.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

import metrics
import security
from data_access import db, queries_overview, queries_wall
from metrics.declarations import OVERVIEW_DAYS, overview_daily, overview_previous
from security import access
from ui import levels, theme

dash.register_page(__name__, path="/", name="概览", order=0)

# Flows with their 30-day trend: (metric, overview source, page it opens).
FLOWS = (("complaints_30d", "complaints", "/complaints?period=30d"), ("leads_new_30d", "leads", "/leads"),
         ("inspections_30d", "inspections", "/catalog"), ("penalties_30d", "penalties", "/enterprise"),
         ("unlicensed_30d", "unlicensed", "/unlicensed?period=30d"), ("credit_in_30d", "credit_in", "/credit"))
# Stocks that ask for action, per role: (metric, page it opens).
# 待研判 + 处置中 + 待办结 = 全部在办, so the three cards before it add up to it.
STOCKS_ALL = (("leads_triage", "/leads"), ("leads_handling", "/leads"), ("leads_awaiting_close", "/leads"),
              ("leads_unclosed", "/leads"), ("leads_overdue", "/leads"), ("leads_due_today", "/leads"))
STOCKS_DEPT = (("inbox_items", "/inbox"), ("leads_handling", "/inbox"), ("leads_overdue", "/inbox"),
               ("leads_due_today", "/inbox"))
ALERT_ROWS = 8
SPARK_HEIGHT = 44
SPARK_TOP = 4  # px kept free above the line's highest point
SPARK_VIEW_WIDTH = 1000  # SVG units across the card
# Room plotly's autorange used to leave around the last day's dot (the sparklines were plotly figures): the
# last day sits at 92 % of the width, and when it is the highest day the line tops out at 86 % of the height.
SPARK_WIDTH = 920
SPARK_DOT_PAD = 0.86


def change_badge(name: str, current: int | None, previous: int | None) -> html.Span:
    """Arrow, sign and percentage against the previous period, coloured by the metric's good direction."""
    if current is None or not previous:
        return html.Span("上期无可比数据", className="small text-muted",
                         title=f"此前{OVERVIEW_DAYS}天尚无数据，或分析流水线当时尚未运行（线索自首次运行起才生成）")
    change = (current - previous) / previous
    arrow = "▲" if change > 0 else "▼" if change < 0 else "■"
    good = metrics.get(name).good
    better = change > 0 if good == "up" else change < 0 if good == "down" else None
    colour = "text-muted" if good is None or change == 0 else "text-success" if better else "text-danger"
    return html.Span(f"{arrow} {change:+.1%} 环比", className=f"small {colour}", title=f"上期（此前{OVERVIEW_DAYS}天）{previous:,}")


def sparkline(daily, name: str) -> html.Img:  # noqa: ANN001
    """A static trend line of the daily counts behind a 30-day figure (the last day as a dot), drawn as an
    SVG image: the landing page then needs no plotly.js (≈ 5 MB of script to evaluate on every load).

    The image is SPARK_HEIGHT px high and stretches to the card's width; strokes keep their pixel width
    (``non-scaling-stroke``), and the dot is a zero-length round-capped stroke, so it stays round."""
    values = [float(v) for v in daily.tolist()]
    top = max(max(values, default=0.0), 1.0)  # counts from zero, as the 30-day figure does
    if values and values[-1] >= top:
        top /= SPARK_DOT_PAD
    last = max(len(values) - 1, 1)
    points = [(SPARK_WIDTH * i / last, SPARK_TOP + (SPARK_HEIGHT - SPARK_TOP) * (1 - v / top))
              for i, v in enumerate(values)]
    path = " ".join(f"{x:.1f},{y:.2f}" for x, y in points)
    stroke = f'fill="none" stroke="{theme.ACCENT}" stroke-linecap="round" vector-effect="non-scaling-stroke"'
    dot = f'<path d="M{points[-1][0]:.1f},{points[-1][1]:.2f}h0" stroke-width="5" {stroke}/>' if points else ""
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SPARK_VIEW_WIDTH} {SPARK_HEIGHT}" '
           f'preserveAspectRatio="none"><polyline points="{path}" stroke-width="2" stroke-linejoin="round" '
           f'{stroke}/>{dot}</svg>')
    return html.Img(src="data:image/svg+xml," + quote(svg), alt="", className="home-spark", id=f"home-spark-{name}",
                    style={"height": f"{SPARK_HEIGHT}px", "width": "100%", "display": "block"})


def kpi_card(name: str, ctx: metrics.Context, href: str | None, *extra) -> dbc.Col:  # noqa: ANN002
    """A card showing one declared metric: label (with its definition on hover), value and ``extra``."""
    metric = metrics.get(name)
    card = dbc.Card(dbc.CardBody([
        html.Div(metric.label, className="text-muted small", title=metric.definition),
        html.Div(metrics.text(name, ctx), className="fs-3 fw-bold", id=f"home-kpi-{name}", **metrics.mark(name)),
        *extra,
    ]), className="h-100 home-kpi")
    body = dcc.Link(card, href=href, className="text-decoration-none text-reset") if href else card
    return dbc.Col(body, xs=6, md=4, xl=2, className="mb-3")


def alert_leads(leads, allowed: set[str]) -> html.Div:  # noqa: ANN001
    """The newest red/orange leads, each with its level mark and, where the role may open it, a link."""
    if leads.empty:
        return html.Div("暂无红色、橙色线索", className="text-muted", id="home-alerts")
    items = []
    for r in leads.itertuples():
        title = dcc.Link(r.title, href=f"/leads/{r.lead_id}") if "/leads" in allowed else r.title
        items.append(dbc.ListGroupItem([
            levels.level_badge(r.level, className="me-2"),
            html.Span(f"{r.created_at:%m-%d %H:%M} ", className="text-muted small"), title,
            html.Span(f"（{r.region_name or '全市'} · {r.dept_name or '待研判'} · {r.status}）", className="small text-muted"),
        ]))
    return dbc.ListGroup(items, flush=True, id="home-alerts")


def layout(**_query) -> html.Div:
    scope = security.current_scope()
    with db.session_scope() as session:
        ctx = metrics.context(session, scope)
        if ctx.data_as_of is None:
            return html.Div([html.H2("开封市互联网+监管指挥中心"),
                             html.P("仓库暂无数据，请先运行 bianjian demo", id="home-as-of", className="text-muted")])
        allowed = {p["path"] for p in access.visible_pages(scope.role)}

        def href(link: str) -> str | None:
            return link if link.split("?")[0] in allowed else None

        flows = [kpi_card(name, ctx, href(link), change_badge(name, metrics.value(name, ctx), overview_previous(ctx, key)),
                          sparkline(overview_daily(ctx, key), name)) for name, key, link in FLOWS]
        stock_specs = STOCKS_ALL if scope.all_departments else STOCKS_DEPT
        stocks = [kpi_card(name, ctx, href(link), html.Div(metrics.get(name).window, className="small text-muted"))
                  for name, link in stock_specs if metrics.get(name).applies_to(scope)]
        alerts = queries_wall.latest_leads(session, scope, levels=theme.ALERT_LEVELS, limit=ALERT_ROWS)
        fresh = queries_overview.freshness(session)
    today = alerts[alerts["created_at"] >= ctx.now - dt.timedelta(days=1)] if len(alerts) else alerts
    alerts_title = "今日红/橙线索（近24小时生成）" if len(today) else "最新红/橙线索"
    scope_note = "（本部门）" if not scope.all_departments else ""
    freshness = dbc.Table([html.Thead(html.Tr([html.Th("数据来源"), html.Th("最新记录")])),
                           html.Tbody([html.Tr([html.Td(r.source), html.Td(f"{r.latest:%Y-%m-%d %H:%M}"
                                                                           if hasattr(r.latest, "hour") else
                                                                           str(r.latest or "—"))])
                                       for r in fresh.itertuples()])], size="sm", bordered=False, id="home-freshness")
    return html.Div([
        html.H2("开封市互联网+监管指挥中心"),
        html.P(f"数据截至 {ctx.data_as_of:%Y-%m-%d %H:%M}{scope_note} · 近{OVERVIEW_DAYS}天含数据截至日，环比为与此前"
               f"{OVERVIEW_DAYS}天之比，绿色表示向好、红色表示变差、灰色表示不分好坏 · 风险线索按当前时间统计",
               id="home-as-of", className="text-muted"),
        html.H5("近30天", className="mt-2"),
        dbc.Row(flows, className="g-2"),
        html.H5("待处置", className="mt-2"),
        dbc.Row(stocks, className="g-2"),
        dbc.Row([
            dbc.Col(dbc.Card([dbc.CardHeader(alerts_title, id="home-alerts-title"),
                              dbc.CardBody(alert_leads(today if len(today) else alerts, allowed))]), lg=8,
                    className="mb-3"),
            dbc.Col(dbc.Card([dbc.CardHeader("各来源数据截至"), dbc.CardBody(freshness)]), lg=4, className="mb-3"),
        ]),
    ])
