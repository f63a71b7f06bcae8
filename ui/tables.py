"""Tables of the analyst pages: a client-side AG Grid over a query's DataFrame, in a card with exports."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from ui import exports

EMPTY_TEXT = "暂无数据"


def records(df: pd.DataFrame) -> list[dict]:
    """JSON-safe rows: dates as ISO text, missing values as None."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d %H:%M")
    return out.astype(object).where(out.notna(), None).to_dict("records")


def grid(component_id: str | dict, df: pd.DataFrame, labels: dict[str, str], *, height: int = 360,
         links: dict[str, str] | None = None) -> dag.AgGrid:
    """Sortable, filterable grid of ``df``'s ``labels`` columns. ``links`` maps a column to a URL template
    (``"/enterprise/{value}"``): those cells render as in-app links (dcc.Link-style, no reload)."""
    columns = []
    for field, label in labels.items():
        col = {"field": field, "headerName": label, "filter": True, "sortable": True, "resizable": True}
        if links and field in links:
            col["cellRenderer"] = "markdown"
            col["linkTarget"] = "_self"
        columns.append(col)
    data = df[list(labels)].copy()
    for field, template in (links or {}).items():
        data[field] = [f"[{v}]({template.format(value=v)})" if v else "" for v in data[field]]
    return dag.AgGrid(id=component_id, rowData=records(data), columnDefs=columns,
                      defaultColDef={"flex": 1, "minWidth": 100},
                      dashGridOptions={"pagination": True, "paginationPageSize": 20,
                                       "localeText": {"noRowsToShow": EMPTY_TEXT}},
                      style={"height": f"{height}px"}, className="ag-theme-alpine")


def card(title: str, body, *, page: str | None = None, table: str | None = None,  # noqa: ANN001
         note: str | None = None) -> dbc.Card:
    """A titled panel; with ``page`` and ``table`` it carries that table's export controls."""
    children = [body]
    if note:
        children.insert(0, html.Small(note, className="text-muted d-block mb-1"))
    if page and table:
        children.append(exports.controls(page, table))
    return dbc.Card([dbc.CardHeader(title), dbc.CardBody(children)], className="mb-3")
