"""What every user sees, in headless Chromium over a copy of the demo warehouse: grids show all the rows
they say they have.
"""

from __future__ import annotations

import sqlite3

import pytest

from tests.browser import demo_login, live_server, log_in, open_browser, prepared_warehouse
from tests.crawl import settle
from ui.tables import AUTO_HEIGHT_ROWS

pytestmark = pytest.mark.browser

# Per AG Grid on the page: its id, the rows it holds, the rows in the DOM and those drawn whole inside its
# viewport, and whether it has a pager.
GRID_ROWS_JS = """
return [...document.querySelectorAll('.ag-root-wrapper')].map(w => {
  const id = w.closest('div[id]').id;
  const viewport = w.querySelector('.ag-body-viewport').getBoundingClientRect();
  const rows = [...w.querySelectorAll('.ag-center-cols-container .ag-row')];
  const whole = rows.filter(r => { const b = r.getBoundingClientRect();
                                   return b.top >= viewport.top - 1 && b.bottom <= viewport.bottom + 1; });
  return {id: id, rows: dash_ag_grid.getApi(id).getDisplayedRowCount(), whole: whole.length,
          pager: !!w.parentElement.querySelector('.ag-paging-panel:not(.ag-hidden)')};
});
"""


@pytest.fixture(scope="module")
def warehouse(demo_db_path, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("ui_browser")
    return workdir, prepared_warehouse(demo_db_path, workdir / "ui.db", steps=())


@pytest.fixture(scope="module")
def server(warehouse):
    workdir, url = warehouse
    with live_server(url, workdir / "var") as base_url:
        yield base_url


def _busiest_inspected_subject(url: str) -> str:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        return db.execute("SELECT subject_uscc FROM fact_inspection GROUP BY subject_uscc "
                          "ORDER BY COUNT(*) DESC LIMIT 1").fetchone()[0]


def test_small_grids_show_every_row_and_large_ones_page(warehouse, server, tmp_path):
    """信用名单 said 4 rows and drew 3; 分流 5 of 9; an entity's inspections 4 of 11. A grid with up to
    AUTO_HEIGHT_ROWS rows now draws them all whole; a longer one pages (its pager states the total)."""
    from data_access.db import make_engine

    _, url = warehouse
    engine = make_engine(url)
    credentials = demo_login(engine, "ANALYST")
    engine.dispose()
    browser = open_browser(tmp_path / "chrome")
    try:
        log_in(browser, server, *credentials)
        seen = {}
        for path in ("/credit", "/unlicensed", f"/enterprise/{_busiest_inspected_subject(url)}"):
            browser.get(server + path)
            browser.wait_for_css(".ag-root-wrapper", timeout=30)
            settle(browser)
            for grid in browser.execute_script(GRID_ROWS_JS):
                seen[grid["id"]] = grid
        for grid in seen.values():
            if grid["rows"] <= AUTO_HEIGHT_ROWS:
                assert grid["whole"] == grid["rows"], grid
            else:
                assert grid["pager"], grid
        inspections = next(g for i, g in seen.items() if '"inspections"' in i)
        assert inspections["rows"] > 4 and seen["credit-lists-grid"]["rows"] >= 4  # the cases of the issue
        assert browser.console_errors() == []
    finally:
        browser.quit()
