"""A database outage answered with 503 and the outage message instead of an error page: page loads get a
page that retries by itself, callbacks get JSON. ``database_reachable`` tells an outage from a bug (a query
that fails while the server answers ``SELECT 1`` is a bug and is raised as such)."""

from __future__ import annotations

import time

import dash
from flask import Flask, jsonify, request
from sqlalchemy import select

from data_access import db

DB_DOWN_MESSAGE = "数据库暂时无法连接，显示的是最近缓存的数据"
PROBE_SECONDS = 10  # the outage page retries, and the banner polls the health route, this often
OUTAGE_PAGE = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
               f'<meta http-equiv="refresh" content="{PROBE_SECONDS}"><title>汴监</title></head>'
               f'<body style="font-family:sans-serif;background:#0b1a2e;color:#f5c542;text-align:center;padding-top:20vh">'
               f'<h2 role="alert">{DB_DOWN_MESSAGE}</h2><p>页面将自动重试。</p></body></html>')

_probe: dict[str, tuple[float, bool]] = {}


def database_reachable() -> bool:
    """SELECT 1 on the warehouse, remembered for a few seconds so many walls cost one probe."""
    now = time.monotonic()
    memo = _probe.get("db")
    if memo and now - memo[0] < PROBE_SECONDS / 2:
        return memo[1]
    try:
        with db.engine().connect() as conn:
            conn.execute(select(1))
        ok = True
    except db.DATABASE_ERRORS:
        ok = False
    _probe["db"] = (now, ok)
    return ok


def install(app: dash.Dash) -> None:
    """Answer database failures with 503 and the outage message."""
    server: Flask = app.server

    def outage(exc: Exception):  # noqa: ANN202
        _probe.pop("db", None)
        if database_reachable():  # the server answers: a real bug (bad SQL, missing table), not an outage
            raise exc
        if request.method == "GET" and request.accept_mimetypes.accept_html:  # a page load: retry by itself
            return OUTAGE_PAGE, 503, {"Content-Type": "text/html; charset=utf-8", "Retry-After": str(PROBE_SECONDS)}
        return jsonify(database=False, message=DB_DOWN_MESSAGE), 503

    for error in db.DATABASE_ERRORS:
        server.register_error_handler(error, outage)
