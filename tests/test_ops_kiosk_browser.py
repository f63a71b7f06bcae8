"""A wall display opened as /wall?kiosk=TOKEN&screen=…&dwell=…&mode=… keeps its parameters through the
token login (issue #8): the real server and headless Chromium."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from data_access.db import make_engine
from tests.browser import kiosk_token, live_server, open_browser, prepared_warehouse

pytestmark = pytest.mark.browser


def test_kiosk_login_lands_on_the_wall_with_its_url_parameters(demo_db_path, tmp_path):
    url = prepared_warehouse(demo_db_path, tmp_path / "kiosk.db", steps=("daily_counts",))
    engine = make_engine(url)
    token = kiosk_token(engine, "kiosk-params")
    engine.dispose()
    with live_server(url, tmp_path / "var") as base_url:
        browser = open_browser(tmp_path / "profile")
        try:
            browser.get(f"{base_url}/wall?kiosk={token}&screen=1&dwell=600&mode=fill")
            browser.wait_for_css("#wall-screen-1.wall-active", timeout=120)
            assert browser.current_url == f"{base_url}/wall?screen=1&dwell=600&mode=fill"  # the token is gone
            assert "wall-mode-fill" in browser.find_element(By.ID, "wall-viewport").get_attribute("class")
            assert "wall-active" not in browser.find_element(By.ID, "wall-screen-0").get_attribute("class")
            assert not browser.find_elements(By.ID, "login-username")
        finally:
            browser.quit()
