"""The health route (``HEALTH_PATH``): 200 while the warehouse answers, 503 with the outage message while it
does not. Load balancers probe it, and the outage banner of every page (the wall's included) polls it."""

from __future__ import annotations

import dash
from flask import Flask, jsonify

from ops.outage import DB_DOWN_MESSAGE, database_reachable

HEALTH_PATH = "/_ops/health"


def install(app: dash.Dash) -> None:
    """Serve the health route on the app's Flask server (behind the login guard, like every route)."""
    server: Flask = app.server

    @server.get(HEALTH_PATH)
    def health():  # noqa: ANN202
        ok = database_reachable()
        return jsonify(database=ok, message=None if ok else DB_DOWN_MESSAGE), 200 if ok else 503
