"""Table exports (CSV/XLSX through dcc.Download) with a row limit, masking and an audit trail.

Query functions already mask personal data for roles outside PII_ROLES; this module caps the row count
(setting ``export_row_limit``, stated next to every export button), writes the file, and records every
export that carries personal data in the audit log: ``pii_export`` when the data left unmasked,
``export_masked`` otherwise, so who took which complainants' data out of the system is always known.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html
from sqlalchemy.orm import Session

import settings
from data_access.scope import Scope
from security import audit

FORMATS = {"csv": "CSV", "xlsx": "Excel"}


def row_limit() -> int:
    return int(settings.get("export_row_limit"))


def ids(page: str, table: str) -> dict[str, dict[str, str]]:
    """Pattern-matching ids of one table's export buttons and download target. The ``type`` carries the
    page prefix, so security.access ties the export callback to its page's roles."""
    return {fmt: {"type": f"{page}-{fmt}", "table": table} for fmt in (*FORMATS, "download")}


def controls(page: str, table: str) -> html.Div:
    """CSV and Excel buttons for ``table`` with the row limit stated, and the dcc.Download they fill."""
    component_ids = ids(page, table)
    return html.Div([
        *(dbc.Button(f"导出 {label}", id=component_ids[fmt], size="sm", color="secondary", outline=True,
                     className="me-2") for fmt, label in FORMATS.items()),
        html.Small(f"单次最多导出 {row_limit():,} 行；含个人信息的导出按角色脱敏并记入审计日志。", className="text-muted"),
        dcc.Download(id=component_ids["download"]),
    ], className="my-2 d-flex align-items-center flex-wrap")


def fmt_of(triggered_id: dict | None) -> str:
    """``{"type": "complaints-xlsx", ...}`` → ``xlsx``."""
    fmt = ((triggered_id or {}).get("type") or "").rsplit("-", 1)[-1]
    return fmt if fmt in FORMATS else "csv"


def download(df: pd.DataFrame, filename: str, fmt: str) -> dict:
    """The dcc.Download payload for ``df`` (at most ``row_limit()`` rows; column labels as given)."""
    df = df.head(row_limit())
    if fmt == "xlsx":
        buffer = io.BytesIO()
        df.to_excel(buffer, index=False, sheet_name="data")
        return dcc.send_bytes(buffer.getvalue(), f"{filename}.xlsx")
    # UTF-8 with BOM so Excel on Windows opens the Chinese headers correctly.
    return dcc.send_string("\ufeff" + df.to_csv(index=False), f"{filename}.csv", type="text/csv")


def record(session: Session, scope: Scope, object_type: str, object_ids: Sequence[str | int],
           fields: Sequence[str], *, purpose: str) -> None:
    """Audit an export of ``object_ids`` whose ``fields`` hold personal data (masked or not)."""
    if scope.sees_pii:
        audit.record_pii_access(session, scope, object_type, object_ids, export=True, fields=fields, purpose=purpose)
        return
    ids = [str(i) for i in object_ids]
    audit.record(session, scope.user, "export_masked", object_type, None,
                 {"role": scope.role, "count": len(ids), "ids": ids[:200], "fields": list(fields), "purpose": purpose})
