"""Table exports (CSV/XLSX through dcc.Download) with a row limit, masking and an audit trail.

Query functions already mask personal data for roles outside PII_ROLES; this module caps the row count
(setting ``export_row_limit``, stated next to every export button), writes the file, and records every
export that carries personal data in the audit log: ``pii_export`` when the data left unmasked,
``export_masked`` otherwise, so who took which complainants' data out of the system is always known.

Every page's export runs as a Dash background callback (``background_callback``: a Celery worker in
production, a local process otherwise), so a 50 000-row file never ties up a web worker; the job works
for the user who clicked (``ops.background.job_scope``), never for a scope the browser could name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import MATCH, Input, Output, State, callback, ctx, dcc, html
from sqlalchemy.orm import Session

import settings
from data_access import db, spreadsheet
from data_access.scope import Scope
from ops import background
from security import audit

FORMATS = {"csv": "CSV", "xlsx": "Excel"}
RUNNING_TEXT = "正在生成…"
EMPTY_TEXT = "暂无可导出的数据"
FAILED_TEXT = "导出失败：生成文件时出错，请稍后重试；如仍失败请联系系统管理员。"

log = logging.getLogger(__name__)

# build(session, scope, table, *state values) -> (frame with its final column labels, file name) or None
Build = Callable[..., tuple[pd.DataFrame, str] | None]


def row_limit() -> int:
    return int(settings.get("export_row_limit"))


def ids(page: str, table: Any) -> dict[str, dict[str, Any]]:
    """Pattern-matching ids of one table's export buttons, download target, running indicator and status
    line (``table`` may be ``MATCH``). The ``type`` carries the page prefix, so security.access ties the
    export callback to its page's roles."""
    return {part: {"type": f"{page}-{part}", "table": table} for part in (*FORMATS, "download", "running", "status")}


def controls(page: str, table: str) -> html.Div:
    """CSV and Excel buttons for ``table`` with the row limit stated, the job's 正在生成… indicator and status
    line, and the dcc.Download they fill."""
    component_ids = ids(page, table)
    return html.Div([
        *(dbc.Button(f"导出 {label}", id=component_ids[fmt], size="sm", color="secondary", outline=True,
                     className="me-2") for fmt, label in FORMATS.items()),
        html.Small(f"单次最多导出 {row_limit():,} 行；含个人信息的导出按角色脱敏并记入审计日志。", className="text-muted"),
        html.Small(RUNNING_TEXT, id=component_ids["running"], hidden=True, className="ms-2 text-primary"),
        html.Small(id=component_ids["status"], className="ms-2 text-danger"),
        dcc.Download(id=component_ids["download"]),
    ], className="my-2 d-flex align-items-center flex-wrap")


def fmt_of(triggered_id: dict | None) -> str:
    """``{"type": "complaints-xlsx", ...}`` → ``xlsx``."""
    fmt = ((triggered_id or {}).get("type") or "").rsplit("-", 1)[-1]
    return fmt if fmt in FORMATS else "csv"


def background_callback(page: str, build: Build, *states: State) -> Callable:
    """Register ``page``'s export callback for all its tables, run as a background job; returns the job
    function. ``build(session, scope, table, *state values)`` runs in the job with the clicking user's scope
    and returns the table (column labels final, at most ``row_limit()`` rows taken) and its file name, or None
    when there is nothing to export. While it runs, both buttons are disabled and 正在生成… shows; a refused
    scope or a failure shows a Chinese message in the table's status line instead of a file."""
    pattern = ids(page, MATCH)

    @callback(Output(pattern["download"], "data"), Output(pattern["status"], "children"),
              Input(pattern["csv"], "n_clicks"), Input(pattern["xlsx"], "n_clicks"), *states,
              background=True, prevent_initial_call=True, cache_ignore_triggered=False,
              running=[(Output(pattern["csv"], "disabled"), True, False),
                       (Output(pattern["xlsx"], "disabled"), True, False),
                       (Output(pattern["running"], "hidden"), False, True)])
    def export(csv_clicks: int | None, xlsx_clicks: int | None, *values: Any) -> tuple[Any, str]:
        if not ctx.triggered_id or not (csv_clicks or xlsx_clicks):
            return dash.no_update, dash.no_update
        table, fmt = ctx.triggered_id["table"], fmt_of(ctx.triggered_id)
        try:
            with db.session_scope() as session:
                built = build(session, background.job_scope(session), table, *values)
            payload = None if built is None else download(*built, fmt)
        except PermissionError as exc:
            return dash.no_update, f"未导出：{exc}"
        except Exception:  # any failure must reach the user as a message, not a silent spinner
            log.exception("export of %s/%s failed", page, table)
            return dash.no_update, FAILED_TEXT
        return (dash.no_update, EMPTY_TEXT) if payload is None else (payload, "")

    return export


def download(df: pd.DataFrame, filename: str, fmt: str) -> dict:
    """The dcc.Download payload for ``df`` (at most ``row_limit()`` rows; column labels as given; no cell can
    run as a formula: data_access.spreadsheet)."""
    df = df.head(row_limit())
    if fmt == "xlsx":
        return dcc.send_bytes(spreadsheet.xlsx_bytes(df), f"{filename}.xlsx")
    return dcc.send_string(spreadsheet.csv_text(df), f"{filename}.csv", type="text/csv")


def record(session: Session, scope: Scope, object_type: str, object_ids: Sequence[str | int],
           fields: Sequence[str], *, purpose: str) -> None:
    """Audit an export of ``object_ids`` whose ``fields`` hold personal data (masked or not)."""
    if scope.sees_pii:
        audit.record_pii_access(session, scope, object_type, object_ids, export=True, fields=fields, purpose=purpose)
        return
    ids = [str(i) for i in object_ids]
    audit.record(session, scope.user, "export_masked", object_type, None,
                 {"role": scope.role, "count": len(ids), "ids": ids[:200], "fields": list(fields), "purpose": purpose})
