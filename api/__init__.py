"""HTTP API blueprints served by the dashboard's Flask server (``app.server``).

Routes under ``/api/v1/`` are for source systems, not people: web.guard's request guard authenticates
each request by API key (``X-API-Key`` or ``Authorization: Bearer``) before any route runs.
"""

from __future__ import annotations

from flask import Flask


def register(server: Flask) -> None:
    """Attach every API blueprint to ``server`` (called once by ``app.create_app``)."""
    from api.ingest import blueprint as ingest_blueprint

    server.register_blueprint(ingest_blueprint)
