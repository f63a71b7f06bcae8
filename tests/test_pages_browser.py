"""Browser smoke tests of the analyst pages: the real server (``bianjian serve``) over a copy of the demo
warehouse and headless Chromium. Each page must render its callback-filled panels with no console error
and no request leaving 127.0.0.1; a deep link must come back with its filters applied.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from tests.browser import demo_login, live_server, log_in, open_browser, prepared_warehouse

pytestmark = pytest.mark.browser

# path → (CSS selector of an element a callback fills, text it must contain)
PAGES = {
    "/": ("#home-kpi-complaints_30d", ""),
    "/complaints": ("#complaints-summary", "当前筛选"),
    "/enterprise?q=": ("#enterprise-q", ""),
    "/credit": ("#credit-summary", "当前筛选"),
    "/unlicensed": ("#unlicensed-summary", "当前筛选"),
    "/catalog": ("#catalog-summary", "在用事项"),
    "/model-cards": ("#model_cards-empty", "暂无回测结果"),
    "/guide": ("#guide-roles", "分析员"),
}


@pytest.fixture(scope="module")
def site(demo_db_path, tmp_path_factory):
    """(browser, base URL) logged in as the analyst, shared by the module (one server, one browser)."""
    from data_access.db import make_engine

    workdir = tmp_path_factory.mktemp("pages_browser")
    url = prepared_warehouse(demo_db_path, workdir / "browser.db", steps=())
    engine = make_engine(url)
    credentials = demo_login(engine, "ANALYST")
    engine.dispose()
    with live_server(url, workdir / "var") as base_url:
        browser = open_browser(workdir / "chrome-profile")
        try:
            log_in(browser, base_url, *credentials)
            yield browser, base_url
        finally:
            browser.quit()


def _text_of(browser, selector: str, expected: str) -> str:
    browser.wait_until(lambda d: expected in d.find_element(By.CSS_SELECTOR, selector).text,
                       f"{selector} never showed {expected!r}", timeout=30)
    return browser.find_element(By.CSS_SELECTOR, selector).text


@pytest.mark.parametrize("path", list(PAGES))
def test_page_renders_without_console_errors(site, path):
    browser, base_url = site
    selector, expected = PAGES[path]
    browser.get(base_url + path)
    browser.wait_for_css(selector, timeout=30)
    _text_of(browser, selector, expected)
    if path not in ("/", "/enterprise?q=", "/model-cards", "/guide"):
        # plotly.js draws after the callback's data arrives (it loads asynchronously): wait for the SVG.
        browser.wait_for_css(".js-plotly-plot .main-svg", timeout=30)
    assert browser.console_errors() == []
    assert browser.off_host_requests() == []


def test_deep_link_shows_filtered_panels_and_keeps_the_url(site):
    browser, base_url = site
    browser.get(base_url + "/complaints?region=410204&category=HC04&period=all")
    summary = _text_of(browser, "#complaints-summary", "鼓楼区")
    assert "消费维权" in summary and "全部" in summary
    browser.wait_until(lambda d: "鼓楼区" in d.find_element(By.ID, "complaints-grid").text
                       or "没有符合条件" in d.find_element(By.ID, "complaints-grid").text, "grid did not load")
    grid = browser.find_element(By.ID, "complaints-grid").text
    assert "禹王台区" not in grid and "杞县" not in grid
    assert browser.execute_script("return window.location.search") == "?region=410204&category=HC04&period=all"
    assert browser.console_errors() == []


def test_enterprise_profile_by_path(site):
    browser, base_url = site
    browser.get(base_url + "/enterprise?q=")
    search = browser.wait_for_css("#enterprise-q", timeout=30)
    search.send_keys("火锅\n")
    link = browser.wait_until(lambda d: d.find_elements(By.CSS_SELECTOR, "#enterprise-results a[href^='/enterprise/']"),
                              "no search result links")[0]
    uscc = link.text
    link.click()
    browser.wait_until(lambda d: d.current_url.endswith(f"/enterprise/{uscc}"), "link did not open the profile")
    name = _text_of(browser, "#enterprise-name", "校验码")
    assert "火锅" in name
    assert browser.console_errors() == []


def test_map_click_filters_the_other_panels_and_the_url(site):
    from ui.kaifeng_map import districts

    browser, base_url = site
    browser.get(base_url + "/complaints?period=all")
    _text_of(browser, "#complaints-summary", "全部区县")
    paths = browser.wait_until(lambda d: d.find_elements(By.CSS_SELECTOR, "#complaints-map path.choroplethlocation"),
                               "the map drew no counties", timeout=30)
    codes = [f["id"] for f in districts()["features"]]
    assert len(paths) == len(codes)
    county = codes.index("410221")  # 杞县: a large, compact county away from the labels of the city districts
    ActionChains(browser).move_to_element_with_offset(paths[county], 0, 25).click().perform()
    _text_of(browser, "#complaints-summary", "区县：杞县")
    browser.wait_until(lambda d: d.execute_script("return window.location.search") == "?region=410221&period=all",
                       "the URL did not take the county")
    # The category bars now count 杞县 only, and the county's bar is highlighted among its peers.
    browser.wait_until(lambda d: "杞县" in d.find_element(By.ID, "complaints-region").text, "dropdown not set")
    browser.wait_until(lambda d: "杞县" in d.find_element(By.ID, "complaints-grid").text
                       or "没有符合条件" in d.find_element(By.ID, "complaints-grid").text, "grid did not reload")
    assert "兰考县" not in browser.find_element(By.ID, "complaints-grid").text
    # A second click on the same county clears the filter (and the URL).
    paths = browser.find_elements(By.CSS_SELECTOR, "#complaints-map path.choroplethlocation")
    ActionChains(browser).move_to_element_with_offset(paths[county], 0, 25).click().perform()
    _text_of(browser, "#complaints-summary", "全部区县")
    browser.wait_until(lambda d: d.execute_script("return window.location.search") == "?period=all",
                       "the URL kept the cleared county")
    assert browser.console_errors() == []
    assert browser.off_host_requests() == []


def test_county_map_labels_stay_inside_the_frame(site):
    """Every county label of 投诉分析's map is drawn whole inside the map's frame (two were clipped)."""
    browser, base_url = site
    browser.get(base_url + "/complaints?period=all")
    _text_of(browser, "#complaints-summary", "全部区县")
    browser.wait_until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#complaints-map .scattergeo text")) >= 10,
                       "the map drew no labels", timeout=30)
    outside = browser.execute_script("""
        const frame = document.querySelector('#complaints-map .main-svg').getBoundingClientRect();
        return [...document.querySelectorAll('#complaints-map .scattergeo text')].filter(t => {
            const r = t.getBoundingClientRect();
            return r.left < frame.left || r.right > frame.right || r.top < frame.top || r.bottom > frame.bottom;
        }).map(t => t.textContent);""")
    assert outside == []
