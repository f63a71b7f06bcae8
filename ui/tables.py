"""Tables of the analyst pages: a client-side AG Grid over a query's DataFrame, in a card with exports."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

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


def records(df: pd.DataFrame) -> list[dict]:
    """JSON-safe rows: dates as ISO text, missing values as None."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d %H:%M")
    return out.astype(object).where(out.notna(), None).to_dict("records")


def grid(component_id: str | dict, df: pd.DataFrame, labels: dict[str, str], *, height: int = 360,
         links: dict[str, str] | None = None, flex: dict[str, int] | None = None) -> dag.AgGrid:
    """Sortable, filterable grid of ``df``'s ``labels`` columns. ``links`` maps a column to a URL template
    (``"/enterprise/{value}"``, or another column of the row: ``"/enterprise/{uscc}"``): those cells render
    as in-app links (dcc.Link-style, no reload). ``flex``
    gives long columns a larger share of the width than the default 1."""
    columns = []
    for field, label in labels.items():
        col = {"field": field, "headerName": label, "filter": True, "sortable": True, "resizable": True}
        if flex and field in flex:
            col["flex"] = flex[field]
        if links and field in links:
            col["cellRenderer"] = "markdown"
            col["linkTarget"] = "_self"
        columns.append(col)
    data = df[list(labels)].copy()
    for field, template in (links or {}).items():
        rows = df.to_dict("records") if "{value}" not in template else [{}] * len(df)
        data[field] = [f"[{v}]({template.format(value=v, **row)})" if v else ""
                       for v, row in zip(data[field], rows, strict=True)]
    return dag.AgGrid(id=component_id, rowData=records(data), columnDefs=columns,
                      defaultColDef={"flex": 1, "minWidth": 100},
                      dashGridOptions={"pagination": True, "paginationPageSize": 20,
                                       "localeText": GRID_LOCALE},
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
