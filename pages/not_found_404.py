"""页面不存在: what an unknown address shows instead of Dash's English "404 - Page not found".

Dash Pages renders the module named ``not_found_404`` for any path no page claims.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

dash.register_page(__name__, path="/404", name="页面不存在", nav=False)


def layout(**_query) -> html.Div:
    return html.Div([
        html.H3("页面不存在"),
        dbc.Alert(["您访问的地址没有对应的页面，可能已被移动或输入有误。请从上方导航进入，或返回",
                   dcc.Link("概览", href=dash.get_relative_path("/")), "。"], color="secondary",
                  id="not_found_404-message"),
    ])
