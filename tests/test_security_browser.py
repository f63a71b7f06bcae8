"""Login, CSRF and session expiry in a real browser: headless Chromium against ``bianjian serve``.

dash-renderer must carry the CSRF cookie into its callback requests (else every panel stays empty), a
wall must log in from its kiosk URL without a prompt, and a session ended on the server must send the
browser back to the login page.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import update
from sqlalchemy.orm import Session

from data_access.db import make_engine
from data_access.schema import UserSession
from tests.browser import demo_login, kiosk_token, live_server, log_in, open_browser, prepared_warehouse

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(demo_db_path, tmp_path_factory):
    """One ``bianjian serve`` over a copy of the demo warehouse for the module: (base URL, engine)."""
    workdir = tmp_path_factory.mktemp("security_browser")
    url = prepared_warehouse(demo_db_path, workdir / "browser.db", steps=())
    engine = make_engine(url)
    with live_server(url, workdir / "var") as base_url:
        yield base_url, engine
    engine.dispose()


@pytest.fixture
def served(server, tmp_path):
    """(browser, base URL, engine) with a fresh browser profile, so no test inherits another's cookies."""
    browser = open_browser(tmp_path / "chrome-profile")
    try:
        yield browser, *server
    finally:
        browser.quit()


def test_admin_logs_in_and_callbacks_pass_the_csrf_check_then_expiry_returns_to_login(served):
    browser, base_url, engine = served
    browser.get(base_url + "/admin/audit")
    browser.wait_until(lambda d: "/login" in d.current_url, "anonymous visit was not sent to the login page")
    log_in(browser, base_url, *demo_login(engine, "SYS_ADMIN"))
    browser.get(base_url + "/admin/audit")
    browser.wait_until(lambda d: "sys_admin" in d.find_element(By.ID, "admin_audit-table").text,
                       "the audit table (a callback) never filled", timeout=30)
    browser.find_element(By.ID, "admin_audit-verify").click()
    browser.wait_until(lambda d: "日志链完整" in d.find_element(By.ID, "admin_audit-verify-result").text,
                       "the chain check (a POST callback) did not answer", timeout=30)
    assert browser.console_errors() == []
    assert browser.off_host_requests() == []

    with Session(engine) as session, session.begin():  # the server ends every open session
        session.execute(update(UserSession).values(ended_at=UserSession.created_at))
    browser.find_element(By.ID, "admin_audit-verify").click()
    browser.wait_until(lambda d: "/login" in d.current_url and "msg=expired" in d.current_url,
                       "a 401 callback did not send the browser to the login page", timeout=30)
    assert "会话已超时" in browser.find_element(By.ID, "login-message").text


def test_wall_logs_in_from_its_kiosk_url_without_a_prompt(served):
    browser, base_url, engine = served
    browser.get(f"{base_url}/wall?kiosk={kiosk_token(engine)}")
    browser.wait_until(lambda d: d.current_url == base_url + "/wall", "the token stayed in the address bar")
    browser.wait_for_css("[id^='wall-']", timeout=30)
    assert browser.find_elements(By.CSS_SELECTOR, ".navbar") == []  # no navigation on a wall
    browser.get(base_url + "/complaints")
    assert "无权访问" in browser.find_element(By.TAG_NAME, "body").text


def test_pages_work_under_the_content_security_policy_which_blocks_injected_scripts(served):
    """Charts, grids (with formatter functions) and the map render with the CSP on; an inline script that
    markup injection would add is refused by the browser."""
    browser, base_url, engine = served
    log_in(browser, base_url, *demo_login(engine, "ANALYST"))
    for path, selector in (("/complaints", ".js-plotly-plot"), ("/leads", ".ag-row"), ("/wall", ".js-plotly-plot")):
        browser.get(base_url + path)
        browser.wait_for_css(selector, timeout=60)
    assert browser.console_errors() == []
    browser.execute_script("const s = document.createElement('script'); s.textContent = 'window.cspRan = 1';"
                           "document.body.appendChild(s);")
    assert browser.execute_script("return window.cspRan === undefined")
    errors = browser.console_errors()
    assert len(errors) == 1 and "Content Security Policy" in errors[0], errors
