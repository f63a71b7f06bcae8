"""What every user sees, in headless Chromium over a copy of the demo warehouse: no code or English word
on any page for any role (tests/crawl.py says what counts), and grids show all the rows they say they have.
"""

from __future__ import annotations

import sqlite3

import pytest
from selenium.webdriver.common.by import By

from tests.browser import demo_login, kiosk_token, live_server, log_in, open_browser, prepared_warehouse
from tests.crawl import latin_words, settle
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


ROLES = ("LEADER", "ANALYST", "DEPT_HEAD", "DATA_ADMIN", "SYS_ADMIN")


@pytest.fixture(scope="module")
def warehouse(demo_db_path, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("ui_browser")
    return workdir, prepared_warehouse(demo_db_path, workdir / "ui.db")


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
    AUTO_HEIGHT_ROWS rows now draws them all whole; a longer one pages (its pager states the total).
    信用名单 and 分流 are Markdown tables now (``tables.small_table``), which always show every row."""
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
            if path == "/credit":
                lists = browser.execute_script("return document.querySelectorAll('#credit-lists tbody tr').length")
        for grid in seen.values():
            if grid["rows"] <= AUTO_HEIGHT_ROWS:
                assert grid["whole"] == grid["rows"], grid
            else:
                assert grid["pager"], grid
        inspections = next(g for i, g in seen.items() if '"inspections"' in i)
        assert inspections["rows"] > 4 and lists >= 4  # the cases of the issue
        assert browser.console_errors() == []
    finally:
        browser.quit()


def _first_lead(url: str) -> int:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        return db.execute("SELECT MIN(lead_id) FROM derived_risk_lead").fetchone()[0]


def _menu_paths(browser, server: str) -> list[str]:  # noqa: ANN001
    """The pages in the logged-in user's navigation."""
    return sorted({a.get_attribute("href").removeprefix(server)
                   for a in browser.find_elements(By.CSS_SELECTOR, "nav a.nav-link")
                   if (a.get_attribute("href") or "").startswith(server)})


@pytest.mark.parametrize("role", ROLES)
def test_every_page_speaks_chinese(warehouse, server, tmp_path, role):
    """Each page a role can open (its navigation, an entity profile, a lead, an unknown address) shows no
    Latin-letter word but the allowed few, ID-like values and the user's own login name."""
    from data_access.db import make_engine
    from security.users import DEMO_USERS

    _, url = warehouse
    engine = make_engine(url)
    username, password = demo_login(engine, role)
    engine.dispose()
    logins = frozenset(u[0] for u in DEMO_USERS)  # login names are identifiers (audit log, user list)
    browser = open_browser(tmp_path / "chrome")
    try:
        log_in(browser, server, username, password)
        settle(browser)
        paths = _menu_paths(browser, server)
        paths += [f"/enterprise/{_busiest_inspected_subject(url)}", f"/leads/{_first_lead(url)}", "/no-such-page"]
        found = {}
        for path in paths:
            browser.get(server + path)
            words = latin_words(settle(browser), logins)
            if words:
                found[path] = sorted(words)
        assert found == {}
        assert len(paths) > 5
    finally:
        browser.quit()


# Per drawn graph: its trace types, those plotly.js drew as another type (it draws a type it does not know as
# a scatter), and whether its SVG is there; and the trace types the page's plotly.js knows.
CHARTS_JS = """
const known = Object.keys(Plotly.PlotSchema.get().traces);
return {known: known, graphs: [...document.querySelectorAll('.js-plotly-plot')].map(gd => ({
  types: gd.data.map(t => t.type || 'scatter'), svg: !!gd.querySelector('.main-svg'),
  redrawn: gd._fullData.filter(t => t.type !== (gd.data[t.index].type || 'scatter')).length}))};
"""


def test_every_chart_draws_with_the_partial_plotly(warehouse, server, tmp_path):
    """The browser gets web/vendor/plotly-bianjian.min.js (only the trace types the app uses): every graph of
    every page a leader opens, a lead's series and the wall draws every trace with it."""
    from data_access.db import make_engine

    _, url = warehouse
    engine = make_engine(url)
    credentials, token = demo_login(engine, "LEADER"), kiosk_token(engine, "plotly-wall")
    engine.dispose()
    browser = open_browser(tmp_path / "chrome")
    try:
        log_in(browser, server, *credentials)
        settle(browser)
        paths = _menu_paths(browser, server)
        drawn = {}
        for path in [*paths, f"/leads/{_first_lead(url)}", f"/wall?kiosk={token}"]:
            browser.get(server + path)
            if path.startswith("/wall"):  # its clock never lets the text settle
                browser.wait_for_css("#wall-funnel .main-svg", timeout=60)
            else:
                settle(browser)
            if browser.find_elements(By.CSS_SELECTOR, ".js-plotly-plot"):
                browser.wait_until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".js-plotly-plot:not(:has(.main-svg))"),
                                   f"a graph of {path} was not drawn", timeout=30)
                drawn[path] = browser.execute_script(CHARTS_JS)
        types = {t for page in drawn.values() for g in page["graphs"] for t in g["types"]}
        assert {"bar", "scatter", "choropleth", "scattergeo", "funnel"} <= types  # the pages were all reached
        for path, page in drawn.items():
            assert "scatter3d" not in page["known"], path  # the full bundle would know it
            for graph in page["graphs"]:
                assert graph["svg"] and graph["redrawn"] == 0 and set(graph["types"]) <= set(page["known"]), path
        assert browser.console_errors() == []
    finally:
        browser.quit()


def test_the_wall_speaks_chinese(warehouse, server, tmp_path):
    from data_access.db import make_engine

    _, url = warehouse
    engine = make_engine(url)
    token = kiosk_token(engine)
    engine.dispose()
    browser = open_browser(tmp_path / "chrome")
    try:
        browser.get(f"{server}/wall?kiosk={token}")
        browser.wait_for_css("#wall-map .main-svg", timeout=60)
        assert latin_words(settle(browser)) == set()
    finally:
        browser.quit()


# Per drawn graph: its id, the width of its box, the width plotly.js drew it at, and whether plotly.js relayouted
# it to its box after the first plot (Plots.resize's relayout sets ``layout.autosize``).
CHART_SIZES_JS = """
return [...document.querySelectorAll('.dash-graph .js-plotly-plot')].map(gd => ({
  id: gd.closest('.dash-graph').id, box: gd.parentElement.getBoundingClientRect().width,
  drawn: gd.querySelector('.main-svg').getBoundingClientRect().width, relayouted: gd.layout.autosize === true}));
"""


def test_charts_fill_their_boxes_and_follow_the_window(warehouse, server, tmp_path):
    """At 1366 px every chart of every page a leader opens is drawn at its box's width once (not drawn again
    by an autosize relayout: assets/plotly-resize.js); made 1920 px wide, each follows its wider box."""
    from data_access.db import make_engine

    _, url = warehouse
    engine = make_engine(url)
    credentials = demo_login(engine, "LEADER")
    engine.dispose()
    browser = open_browser(tmp_path / "chrome", width=1366, height=900)
    try:
        log_in(browser, server, *credentials)
        settle(browser)
        charted = 0
        for path in _menu_paths(browser, server):
            if path == "/wall":  # fixed-size figures on a canvas scaled to the screen (tests/test_wall_browser.py)
                continue
            browser.set_viewport(1366, 900)
            browser.get(server + path)
            settle(browser)
            narrow = browser.execute_script(CHART_SIZES_JS)
            if not narrow:
                continue
            charted += 1
            for chart in narrow:
                assert abs(chart["drawn"] - chart["box"]) <= 1 and not chart["relayouted"], (path, chart)
            browser.set_viewport(1920, 1080)
            browser.wait_until(lambda d: all(abs(c["drawn"] - c["box"]) <= 1 for c in d.execute_script(CHART_SIZES_JS)),
                               f"the charts of {path} did not follow the window", timeout=10)
            wide = {c["id"]: c["drawn"] for c in browser.execute_script(CHART_SIZES_JS)}
            assert all(wide[c["id"]] > c["drawn"] for c in narrow), (path, narrow, wide)
        assert charted >= 5
        assert browser.console_errors() == []
    finally:
        browser.quit()
