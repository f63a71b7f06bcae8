"""The Dash app shell (use_pages) on a Flask server: navigation from the page registry, no page content."""

from __future__ import annotations

from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import Dash, dcc, html

ROOT = Path(__file__).resolve().parent
APP_TITLE = "汴监 · 开封市互联网+监管指挥中心"


def create_app() -> Dash:
    """Build the app. Every script, stylesheet and font is served from this process (no CDN)."""
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder=str(ROOT / "pages"),
        assets_folder=str(ROOT / "assets"),
        title=APP_TITLE,
        serve_locally=True,
        suppress_callback_exceptions=True,
        update_title=None,
    )
    app.layout = _shell
    return app


def _navbar() -> dbc.Navbar:
    links = [dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"], active="exact"))
             for page in dash.page_registry.values() if page.get("nav", True)]
    return dbc.Navbar(dbc.Container([dbc.NavbarBrand(APP_TITLE, href="/"), dbc.Nav(links, navbar=True)], fluid=True),
                      color="dark", dark=True, className="mb-3")


def _shell() -> html.Div:
    return html.Div([dcc.Location(id="app-url"), _navbar(), dbc.Container(dash.page_container, fluid=True)])
