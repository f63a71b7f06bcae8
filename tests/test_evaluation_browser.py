"""Browser smoke tests of 排名 and 本部门: the real server over a demo warehouse with the indicator mart,
headless Chromium, logged in through the login form. A weight change re-ranks live; the save button is
not offered to an analyst; a department head's page shows their own department."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from data_access.db import make_engine
from tests.browser import demo_login, live_server, log_in, open_browser, prepared_warehouse

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(demo_db_path, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("evaluation_browser")
    url = prepared_warehouse(demo_db_path, workdir / "browser.db", steps=("indicators",))
    engine = make_engine(url)
    logins = {role: demo_login(engine, role) for role in ("ANALYST", "DEPT_HEAD")}
    engine.dispose()
    with live_server(url, workdir / "var") as base_url:
        yield base_url, logins, workdir


def test_rankings_what_if_reranks_live(server):
    base_url, logins, workdir = server
    browser = open_browser(workdir / "chrome-analyst")
    try:
        log_in(browser, base_url, *logins["ANALYST"])
        browser.get(base_url + "/rankings")
        browser.wait_until(lambda d: "龙亭区" in d.find_element(By.ID, "rankings-table").text, "no ranking", 40)
        assert "现行权重" in browser.find_element(By.ID, "rankings-note").text
        assert not browser.find_element(By.ID, "rankings-save").is_displayed()
        weight = browser.find_element(By.CSS_SELECTOR, "input[id*='hotline_sign_ontime']")
        weight.send_keys(Keys.CONTROL, "a")
        weight.send_keys("200")
        browser.wait_until(lambda d: "模拟" in d.find_element(By.ID, "rankings-note").text, "what-if not applied", 30)
        assert browser.find_elements(By.CSS_SELECTOR, "#rankings-chart .js-plotly-plot")
        browser.save_screenshot(str(workdir / "rankings.png"))
        assert browser.console_errors() == []
        assert browser.off_host_requests() == []
    finally:
        browser.quit()


def test_department_head_sees_their_own_department(server):
    base_url, logins, workdir = server
    browser = open_browser(workdir / "chrome-head")
    try:
        log_in(browser, base_url, *logins["DEPT_HEAD"])
        browser.get(base_url + "/my-department?unit=410202")  # asks for another unit: ignored
        browser.wait_until(lambda d: "市市场监管局" in d.find_element(By.ID, "my-dept-summary").text, "no summary", 40)
        browser.wait_until(lambda d: "12345按时签收率" in d.find_element(By.ID, "my-dept-indicators").text,
                           "no indicators", 30)
        assert "龙亭区" not in browser.find_element(By.ID, "my-dept-summary").text
        browser.save_screenshot(str(workdir / "my_department.png"))
        assert browser.console_errors() == []
    finally:
        browser.quit()
