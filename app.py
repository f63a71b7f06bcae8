"""The Dash app shell (use_pages) on a Flask server: navigation from the page registry, no page content.

Every request passes web.guard (login, role, CSRF); the navigation lists only the pages the
logged-in role may open, and a wall display gets no navigation at all.
"""

from __future__ import annotations

import threading
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import Dash, dcc, html

import api
from data_access.clock import use_warehouse_time
from data_access.scope import ROLES
from ops import background, health, outage, outage_banner
from security import access
from security.identity import current_identity
from security.sessions import Identity
from web import guard, plotly_bundle

use_warehouse_time()  # the WSGI module (`gunicorn app:server`) is an entry point of its own

ROOT = Path(__file__).resolve().parent
APP_TITLE = "汴监 · 开封市互联网+监管指挥中心"


class _Dash(Dash):
    """Dash whose first-request set-up runs once, with every other request waiting for it.

    Dash finishes setting itself up (page callbacks moved into its callback map, layout validated) in a
    before-request hook guarded only by a flag it sets on entry, so the threads of a freshly (re)started
    worker that serve their first requests together read the callback map while it is being changed:
    seen as an HTTP 500 "dictionary changed size during iteration" on a wall panel right after a gunicorn
    worker recycle, 50 users (docs/production.md).
    """

    def __init__(self, *args, **kwargs):
        self.setup_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def _setup_server(self):
        with self.setup_lock:
            super()._setup_server()


def create_app() -> Dash:
    """Build the app. Every script, stylesheet and font is served from this process (no CDN)."""
    app = _Dash(
        __name__,
        use_pages=True,
        pages_folder=str(ROOT / "pages"),
        assets_folder=str(ROOT / "assets"),
        title=APP_TITLE,
        serve_locally=True,
        suppress_callback_exceptions=True,
        update_title=None,
        background_callback_manager=background.manager(),
        on_error=guard.refuse_failed_callback,  # crafted input that makes a callback raise: 400, logged
    )
    app.layout = _shell
    guard.install(app)
    plotly_bundle.install(app)
    outage.install(app)
    health.install(app)
    api.register(app.server)
    return app


def _user_menu(identity: Identity) -> dbc.Nav:
    scope = identity.scope
    logout = html.Form([
        dcc.Input(type="hidden", name=guard.CSRF_FIELD, value=guard.current_csrf_token()),
        dbc.Button("退出登录", type="submit", color="secondary", size="sm", id="app-logout"),
    ], method="POST", action=dash.get_relative_path("/logout"), className="d-flex")
    return dbc.Nav([dbc.NavItem(dbc.NavLink(f"{scope.user}（{ROLES[scope.role]}）", disabled=True,
                                            id="app-user")), dbc.NavItem(logout)],
                   navbar=True, className="ms-auto align-items-center")


def _navbar(identity: Identity | None) -> dbc.Navbar:
    pages = access.visible_pages(identity.scope.role) if identity else []
    links = [dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"], active="exact"))
             for page in pages if page.get("nav", True)]
    items = [dbc.NavbarBrand(APP_TITLE, href=dash.get_relative_path("/")), dbc.Nav(links, navbar=True)]
    if identity:
        items.append(_user_menu(identity))
    return dbc.Navbar(dbc.Container(items, fluid=True), color="dark", dark=True, className="mb-3")


def _shell() -> html.Div:
    """Runs per request. Dash also calls it once at start-up without a user, to validate the layout."""
    identity = current_identity()
    chrome = [] if identity and identity.scope.role == "WALL" else [_navbar(identity)]
    return html.Div([dcc.Location(id="app-url"), outage_banner.banner(), *chrome,
                     dbc.Container(_page_loading(dash.page_container), fluid=True)])


# The id of the Div that Dash Pages fills with the current page's layout (dash.page_container).
PAGES_CONTENT_ID = "_pages_content"


def _page_loading(container) -> dcc.Loading:
    """A page's layout is built on the server when the user opens it: show that it is on its way.

    Only the page switch itself (Dash Pages' content) is watched, not every callback inside a page, and
    only when it takes longer than a moment, so quick switches do not flicker.
    """
    return dcc.Loading(container, target_components={PAGES_CONTENT_ID: "children"}, delay_show=300,
                       type="circle", overlay_style={"visibility": "visible", "opacity": 0.4})
