"""Filter state shared by the analyst pages: URL query strings, period choices, click-to-filter, graphs.

A page's filters live in the URL (``/complaints?region=410204&category=HC04``): ``layout(**query)`` reads
them through :func:`parse_list`, a callback writes them back with :func:`query_string`, and
:func:`url_writer` replaces the browser's URL without a reload, so a copied link restores the same view.
"""

from __future__ import annotations

from urllib.parse import urlencode

import dash
from dash import Input, Output, clientside_callback, dcc

from metrics.windows import DEFAULT_PERIOD, PERIODS, period_start  # noqa: F401 (the pages' period rule)

# dcc.Dropdown's own words (its clear button's tooltip, search box, "n selected") in Chinese; every dropdown
# of the app passes ``labels=DROPDOWN_LABELS``.
DROPDOWN_LABELS = {"select_all": "全选", "deselect_all": "取消全选", "selected_count": "已选 {num_selected} 项",
                   "search": "搜索", "clear_search": "清除搜索", "clear_selection": "清除选择",
                   "no_options_found": "无匹配选项"}

# Pages' query results in the read-side cache (data_access.cache): entries are keyed by the warehouse's
# data version, so this only bounds how long an unused entry is kept, never how stale a result may be.
CACHE_SECONDS = 3600


def parse_list(value: str | None, allowed: set[str] | None = None) -> list[str]:
    """``"410204,410205"`` → ``["410204", "410205"]``; values outside ``allowed`` are dropped."""
    items = [v.strip() for v in (value or "").split(",") if v.strip()]
    return [v for v in items if allowed is None or v in allowed]


def parse_period(value: str | None) -> str:
    return value if value in PERIODS else DEFAULT_PERIOD


def query_string(state: dict[str, str | list[str] | None]) -> str:
    """``{"region": ["410204"], "q": "", "period": "90d"}`` → ``"?region=410204&period=90d"``; empty
    values are left out so the default view has a clean URL."""
    pairs = {k: ",".join(v) if isinstance(v, list) else v for k, v in state.items()}
    pairs = {k: v for k, v in pairs.items() if v}
    return "?" + urlencode(pairs) if pairs else ""


def toggle(current: list[str] | None, clicked: str | None) -> list[str]:
    """Click-to-filter: clicking the only selected value clears the filter, any other value selects it."""
    if clicked is None:
        return current or []
    return [] if (current or []) == [clicked] else [clicked]


def clicked(click_data: dict | None) -> str | None:
    """The code a bar carries in ``customdata`` (names are for people, codes are for filters)."""
    if not click_data or not click_data.get("points"):
        return None
    point = click_data["points"][0]
    data = point.get("customdata")
    return data[0] if isinstance(data, list) else data


def graph(component_id: str, filename: str, **kwargs) -> dcc.Graph:
    """A graph whose camera button saves a PNG named ``filename`` (plotly draws it in the browser, offline)."""
    config = {"displaylogo": False, "locale": "zh-CN",
              "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
              # plotly.js fetches a world topology for any map; ours is served from assets/geo/ (offline).
              "topojsonURL": dash.get_asset_url("geo/")}
    return dcc.Graph(id=component_id, config=config, **kwargs)


def url_writer(search_store_id: str) -> None:
    """Register a browser-side callback that puts the query string held in ``search_store_id`` into the
    address bar. ``replaceState`` changes the URL without telling Dash's routers, so the page is not
    re-rendered; a reload or a shared link then rebuilds the same state from the query string. It also runs
    when the page is drawn, so the address bar shows the view the layout drew (defaults filled in, unknown
    codes dropped)."""
    clientside_callback(
        """function(search) {
            if (typeof search === "string" && window.location.search !== search) {
                window.history.replaceState(null, "", window.location.pathname + search);
            }
            return window.dash_clientside.no_update;
        }""",
        Output(search_store_id, "id"), Input(search_store_id, "data"))
