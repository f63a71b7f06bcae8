"""概览: the landing page, with links to each page and the warehouse's freshness."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from data_access import db, queries

dash.register_page(__name__, path="/", name="概览", order=0)


def layout(**_query) -> html.Div:
    with db.session_scope() as session:
        as_of = queries.data_as_of(session)
    stamp = f"数据截至 {as_of:%Y-%m-%d %H:%M}" if as_of else "仓库暂无数据，请先运行 bianjian demo"
    return html.Div([
        html.H2("开封市互联网+监管指挥中心"),
        html.P(stamp, id="home-as-of", className="text-muted"),
        dbc.ListGroup([dbc.ListGroupItem(p["name"], href=p["relative_path"])
                       for p in dash.page_registry.values() if p["path"] != "/"]),
    ])
