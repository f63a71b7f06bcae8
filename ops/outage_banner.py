"""The outage banner of the app shell: rendered hidden or shown, then kept current by the browser, which polls
the health route itself, so it still works when no callback can reach the database."""

from __future__ import annotations

import dash
from dash import Input, Output, clientside_callback, dcc, html

from ops.health import HEALTH_PATH
from ops.outage import DB_DOWN_MESSAGE, PROBE_SECONDS, database_reachable


def banner() -> html.Div:
    """The banner for the app shell. Its ids carry the shell prefix (security.access.SHELL_PREFIX): the shell
    belongs to every role."""
    style = {"display": "none"} if database_reachable() else {}
    return html.Div([
        html.Div(DB_DOWN_MESSAGE, id="app-db-banner", role="alert", className="alert alert-warning mb-0 text-center",
                 style=style),
        dcc.Interval(id="app-db-probe", interval=PROBE_SECONDS * 1000),
        dcc.Store(id="app-health-path", data=dash.get_relative_path(HEALTH_PATH)),
    ], style={"position": "fixed", "top": 0, "left": 0, "right": 0, "zIndex": 2000})  # above the wall canvas


clientside_callback(
    """async function(_n, path) {
        try {
            const response = await fetch(path, {credentials: "same-origin", cache: "no-store"});
            return response.status === 503 ? {} : {display: "none"};
        } catch (e) {
            return window.dash_clientside.no_update;  // the server itself is unreachable: keep what is shown
        }
    }""",
    Output("app-db-banner", "style"), Input("app-db-probe", "n_intervals"), Input("app-health-path", "data"),
    prevent_initial_call=True,
)
