"""Tables of the analyst pages: a client-side AG Grid over a query's DataFrame, in a card with exports."""

from __future__ import annotations

import re

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from ui import exports

EMPTY_TEXT = "暂无数据"
# AG Grid's own words (pagination, filter menus) in Chinese; every grid of the app uses them.
GRID_LOCALE = {
    "noRowsToShow": EMPTY_TEXT, "loadingOoo": "加载中…", "page": "第", "of": "共", "to": "至", "more": "更多",
    "first": "首页", "previous": "上一页", "next": "下一页", "last": "末页", "pageSizeSelectorLabel": "每页行数：",
    "ariaPageSizeSelectorLabel": "每页行数", "filterOoo": "筛选…", "searchOoo": "搜索…", "selectAll": "全选",
    "blanks": "空白", "noMatches": "无匹配项", "equals": "等于", "notEqual": "不等于", "blank": "为空",
    "notBlank": "不为空", "empty": "请选择", "lessThan": "小于", "greaterThan": "大于", "lessThanOrEqual": "小于等于",
    "greaterThanOrEqual": "大于等于", "inRange": "介于", "inRangeStart": "起", "inRangeEnd": "止",
    "contains": "包含", "notContains": "不包含", "startsWith": "开头是", "endsWith": "结尾是",
    "andCondition": "且", "orCondition": "或", "applyFilter": "应用", "resetFilter": "重置", "clearFilter": "清除",
    "cancelFilter": "取消", "dateFormatOoo": "年-月-日",
}


# Every grid's look: AG Grid's legacy CSS theme, Quartz (the look of its default theme), from the stylesheets in
# assets/vendor/ that every page loads once, instead of the Theming API, which writes its stylesheets into the
# page when a grid mounts and then reads sizes back from the DOM, restyling the whole page each time (docs/pages.md
# § In the browser). Every grid passes GRID_OPTIONS' keys in its dashGridOptions and THEME_CLASS as its className.
THEME_CLASS = "ag-theme-quartz"
GRID_OPTIONS = {"theme": "legacy", "localeText": GRID_LOCALE}


PAGE_SIZE = 20
# Grids with at most this many rows size to their rows (AG Grid's autoHeight): no row hides below a fold.
# Longer ones keep a fixed height and page through PAGE_SIZE rows, the pager stating the total.
AUTO_HEIGHT_ROWS = 25
# Every grid's headers wrap onto a second line instead of being cut with "…" (grids built outside ``grid``
# spread this into their defaultColDef); ``grid``'s columns also carry the header as a tooltip.
HEADER_WRAP = {"wrapHeaderText": True, "autoHeaderHeight": True}
DEFAULT_COL_DEF = {"flex": 1, "minWidth": 100, "sortable": True, "filter": True, "resizable": True, **HEADER_WRAP}


def column(field: str, header: str, **options) -> dict:  # noqa: ANN003
    """One column definition with the header as its tooltip (grids built outside ``grid`` use this too)."""
    return {"field": field, "headerName": header, "headerTooltip": header, **options}


def sized(row_count: int | None, height: int) -> tuple[dict, dict]:
    """(dashGridOptions, style) of a grid of ``row_count`` rows: small grids grow to fit all rows; large
    ones (or ones filled later by a callback, ``None``) page inside ``height`` pixels."""
    if row_count is not None and row_count <= AUTO_HEIGHT_ROWS:
        return {"domLayout": "autoHeight", **GRID_OPTIONS}, {}
    return ({"pagination": True, "paginationPageSize": PAGE_SIZE, **GRID_OPTIONS},
            {"height": f"{height}px"})


def records(df: pd.DataFrame) -> list[dict]:
    """JSON-safe rows: dates as ISO text, missing values as None."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d %H:%M")
    return out.astype(object).where(out.notna(), None).to_dict("records")


def grid(component_id: str | dict, df: pd.DataFrame, labels: dict[str, str], *, height: int = 360,
         links: dict[str, str] | None = None, flex: dict[str, int] | None = None) -> dag.AgGrid:
    """Sortable, filterable grid of ``df``'s ``labels`` columns, sized by ``sized`` (``height`` applies to
    grids too long to show whole). ``links`` maps a column to a URL template
    (``"/enterprise/{value}"``, or another column of the row: ``"/enterprise/{uscc}"``): those cells render
    as in-app links (dcc.Link-style, no reload). ``flex``
    gives long columns a larger share of the width than the default 1."""
    columns = []
    for field, label in labels.items():
        col = column(field, label)
        if flex and field in flex:
            col["flex"] = flex[field]
        if links and field in links:
            col["cellRenderer"] = "markdown"  # its links open in the same tab (AG Grid's default)
        columns.append(col)
    data = df[list(labels)].copy()
    for field, template in (links or {}).items():
        rows = df.to_dict("records") if "{value}" not in template else [{}] * len(df)
        data[field] = [f"[{v}]({template.format(value=v, **row)})" if v else ""
                       for v, row in zip(data[field], rows, strict=True)]
    options, style = sized(len(data), height)
    return dag.AgGrid(id=component_id, rowData=records(data), columnDefs=columns, defaultColDef=DEFAULT_COL_DEF,
                      dashGridOptions=options, style=style, className=THEME_CLASS)


def card(title: str, body, *, page: str | None = None, table: str | None = None,  # noqa: ANN001
         note: str | None = None) -> dbc.Card:
    """A titled panel; with ``page`` and ``table`` it carries that table's export controls."""
    children = [body]
    if note:
        children.insert(0, html.Small(note, className="text-muted d-block mb-1"))
    if page and table:
        children.append(exports.controls(page, table))
    return dbc.Card([dbc.CardHeader(title), dbc.CardBody(children)], className="mb-3")


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")


def _cell(value) -> str:  # noqa: ANN001
    """A value as the text of a Markdown table cell: on one line, every Markdown character escaped."""
    text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split())) or " "


def markdown_table(header: list[str], rows: list[list]) -> dcc.Markdown | html.Div:
    """A read-only table of many rows as one Dash component (a GitHub-style Markdown table), where an html
    table is one component per cell: dash-renderer's cost of drawing a page grows with the square of its
    components (docs/pages.md § In the browser). Text only; ``EMPTY_TEXT`` when there are no rows."""
    if not rows:
        return html.Div(EMPTY_TEXT, className="text-muted")
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return dcc.Markdown("\n".join(lines), className="bj-table")


def small_table(df: pd.DataFrame, labels: dict[str, str]) -> dcc.Markdown | html.Div:
    """``df``'s ``labels`` columns as a ``markdown_table`` (dates as ``records`` writes them): for a short
    read-only panel — a few ranked or fixed rows, where sorting, filtering and paging add nothing — an AG
    Grid's set-up is most of what the page costs to draw (docs/pages.md § In the browser)."""
    return markdown_table(list(labels.values()), [list(r.values()) for r in records(df[list(labels)])])
