"""概览: the landing page — key counts with period-over-period change, data freshness, links to pages.

Counts are for the 30 days up to the data's latest 12345 order (not the clock), against the 30 days
before; a department head's counts cover their own department only.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

import security
from data_access import db, queries, queries_analytics
from security import access

dash.register_page(__name__, path="/", name="概览", order=0)

PERIOD_DAYS = 30


def _change(change: float) -> html.Span:
    """Direction by arrow and sign as well as colour (rises in complaints are not "good" or "bad" per se)."""
    if change != change:  # NaN: nothing in the previous period
        return html.Span("上期无数据", className="text-muted small")
    arrow = "▲" if change > 0 else "▼" if change < 0 else "■"
    return html.Span(f"{arrow} {change:+.1%} 环比", className="small " + ("text-danger" if change > 0 else
                                                                          "text-success" if change < 0 else "text-muted"))


def _kpi(label: str, value: int, extra, href: str | None, kpi_id: str) -> dbc.Col:  # noqa: ANN001
    """A KPI card, linked to ``href`` when given (only pages the role may open are linked)."""
    card = dbc.Card(dbc.CardBody([
        html.Div(label, className="text-muted small"),
        html.Div(f"{value:,}", className="fs-3 fw-bold", id=f"home-kpi-{kpi_id}"),
        extra,
    ]))
    body = dcc.Link(card, href=href, className="text-decoration-none text-reset") if href else card
    return dbc.Col(body, md=4, lg=3, className="mb-3")


def layout(**_query) -> html.Div:
    scope = security.current_scope()
    with db.session_scope() as session:
        as_of = queries.data_as_of(session)
        kpis = queries_analytics.overview_kpis(session, scope, as_of, PERIOD_DAYS) if as_of else None
        open_leads = queries_analytics.open_lead_count(session, scope)
        fresh = queries_analytics.freshness(session)
    if as_of is None:
        return html.Div([html.H2("开封市互联网+监管指挥中心"),
                         html.P("仓库暂无数据，请先运行 bianjian demo", id="home-as-of", className="text-muted")])
    pages = [p for p in access.visible_pages(scope.role) if p["path"] != "/" and p.get("nav", True)]
    allowed = {p["path"] for p in pages}

    def href(link: str) -> str | None:
        return link if link.split("?")[0] in allowed else None

    cards = [_kpi(f"近{PERIOD_DAYS}天{r.label}", int(r.current), _change(r.change), href(r.link), r.key)
             for r in kpis.itertuples()]
    cards.append(_kpi("在办风险线索（存量）", open_leads, html.Span("已转办、已签收、核查中", className="small text-muted"),
                      href("/leads"), "open_leads"))
    scope_note = "（本部门）" if not scope.all_departments else ""
    freshness = dbc.Table([html.Thead(html.Tr([html.Th("数据来源"), html.Th("最新记录")])),
                           html.Tbody([html.Tr([html.Td(r.source), html.Td(f"{r.latest:%Y-%m-%d %H:%M}"
                                                                           if hasattr(r.latest, "hour") else
                                                                           str(r.latest or "—"))])
                                       for r in fresh.itertuples()])], size="sm", bordered=False, id="home-freshness")
    links = [dbc.ListGroupItem(p["name"], href=p["relative_path"]) for p in pages]
    return html.Div([
        html.H2("开封市互联网+监管指挥中心"),
        html.P(f"数据截至 {as_of:%Y-%m-%d %H:%M}{scope_note} · 环比为近{PERIOD_DAYS}天与此前{PERIOD_DAYS}天之比",
               id="home-as-of", className="text-muted"),
        dbc.Row(cards),
        dbc.Row([
            dbc.Col(dbc.Card([dbc.CardHeader("各来源数据截至"), dbc.CardBody(freshness)]), md=6),
            dbc.Col(dbc.Card([dbc.CardHeader("功能入口"), dbc.CardBody(dbc.ListGroup(links, flush=True))]), md=6),
        ]),
    ])
