"""Fault handling: one pipeline at a time, runs a crash left 'running' closed as 'interrupted', and a
database outage shown as a banner instead of an error page.

A ``kill -9`` or a power cut leaves its step's row in ``app_pipeline_run`` at 'running' (the step's own
transaction is rolled back by the database, so no half-written rows remain). Runs take an exclusive
lock (a PostgreSQL advisory lock, or an flock beside the SQLite file), which the operating system or the
server drops when the holder dies; so whoever holds the lock knows every 'running' row is a dead run.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dash
from dash import Input, Output, clientside_callback, dcc, html
from flask import Flask, jsonify, request
from sqlalchemy import Engine, select, text, update
from sqlalchemy.exc import InterfaceError, OperationalError

from data_access import db
from data_access.schema import PipelineRun
from pipeline.runner import Step, StepResult, run_steps

DB_DOWN_MESSAGE = "数据库暂时无法连接，显示的是最近缓存的数据"
ADVISORY_LOCK_KEY = 20_201_045  # any constant shared by every Bianjian process on one PostgreSQL database
HEALTH_PATH = "/_ops/health"
PROBE_SECONDS = 10
DATABASE_ERRORS = (OperationalError, InterfaceError)
OUTAGE_PAGE = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
               f'<meta http-equiv="refresh" content="{PROBE_SECONDS}"><title>汴监</title></head>'
               f'<body style="font-family:sans-serif;background:#0b1a2e;color:#f5c542;text-align:center;padding-top:20vh">'
               f'<h2 role="alert">{DB_DOWN_MESSAGE}</h2><p>页面将自动重试。</p></body></html>')


class PipelineBusy(RuntimeError):
    """Another pipeline run holds the lock on this warehouse."""


# -------------------------------------------------------------------------------------- pipeline runs


@contextmanager
def pipeline_lock(engine: Engine) -> Iterator[None]:
    """Hold the warehouse's pipeline lock for the block; raise PipelineBusy if someone else holds it."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            if not conn.execute(select(text(f"pg_try_advisory_lock({ADVISORY_LOCK_KEY})"))).scalar():
                raise PipelineBusy("another pipeline run is in progress on this database")
            conn.commit()
            try:
                yield
            finally:
                conn.execute(select(text(f"pg_advisory_unlock({ADVISORY_LOCK_KEY})")))
                conn.commit()
        return
    path = Path(engine.url.database or "memory").with_suffix(".pipeline.lock")
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise PipelineBusy("another pipeline run is in progress on this database") from exc
        yield


def mark_interrupted(engine: Engine) -> int:
    """Close runs left 'running' by a dead process. Call only while holding the pipeline lock."""
    with engine.begin() as conn:
        return conn.execute(update(PipelineRun).where(PipelineRun.status == "running").values(
            status="interrupted", finished_at=dt.datetime.now(),
            message="进程中断（未正常结束），本步骤的写入已回滚，下次运行会重新执行")).rowcount


def run_pipeline(engine: Engine, steps: Iterable[Step],
                 progress: Callable[[str], None] = lambda _m: None) -> list[StepResult]:
    """Run steps under the pipeline lock, first closing runs a crash left open."""
    with pipeline_lock(engine):
        mark_interrupted(engine)
        return run_steps(engine, steps, progress=progress)


# ------------------------------------------------------------------------------------ database outage

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
    except DATABASE_ERRORS:
        ok = False
    _probe["db"] = (now, ok)
    return ok


def install(app: dash.Dash) -> None:
    """Answer database failures with 503 and the outage message, and serve the health probe."""
    server: Flask = app.server

    def outage(exc: Exception):  # noqa: ANN202
        _probe.pop("db", None)
        if database_reachable():  # the server answers: a real bug (bad SQL, missing table), not an outage
            raise exc
        if request.method == "GET" and request.accept_mimetypes.accept_html:  # a page load: retry by itself
            return OUTAGE_PAGE, 503, {"Content-Type": "text/html; charset=utf-8", "Retry-After": str(PROBE_SECONDS)}
        return jsonify(database=False, message=DB_DOWN_MESSAGE), 503

    for error in DATABASE_ERRORS:
        server.register_error_handler(error, outage)

    @server.get(HEALTH_PATH)
    def health():  # noqa: ANN202
        ok = database_reachable()
        return jsonify(database=ok, message=None if ok else DB_DOWN_MESSAGE), 200 if ok else 503


def banner() -> html.Div:
    """The outage banner for the app shell: rendered hidden or shown, then kept current by the browser,
    which polls the health probe itself, so it still works when no callback can reach the database.
    Its ids carry the shell prefix (security.access.SHELL_PREFIX): the shell belongs to every role."""
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
