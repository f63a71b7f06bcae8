"""Browser smoke tests of the dispatch pages (/leads, /inbox, /leads/<id>, /joint) and /data-quality: the real
server (``bianjian serve``) over a copy of the demo warehouse and headless Chromium. Each page must show real
rows from the warehouse (a lead row, a timeline event, a joint part, a freshness row), print no console
error and request nothing outside 127.0.0.1.
"""

from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.schema import RiskLead, RiskLeadEvent
from tests.browser import demo_login, live_server, log_in, open_browser, prepared_warehouse

pytestmark = pytest.mark.browser

TITLE_CELLS = "#leads-grid .ag-row [col-id='title']"  # the infinite grid shows empty rows until a block loads
# Grids re-render rows while blocks arrive, so texts are read in one script call (no stale elements).
TEXTS = "return Array.from(document.querySelectorAll(arguments[0]), e => e.innerText.trim())"


@pytest.fixture(scope="module")
def site(demo_db_path, tmp_path_factory):
    """(browser, base URL, engine on the served copy, log_in_as(role)); one server and one browser."""
    from data_access.db import make_engine

    workdir = tmp_path_factory.mktemp("dispatch_browser")
    url = prepared_warehouse(demo_db_path, workdir / "browser.db", steps=())
    engine = make_engine(url)
    credentials = {role: demo_login(engine, role) for role in ("LEADER", "DEPT_HEAD")}
    with live_server(url, workdir / "var") as base_url:
        browser = open_browser(workdir / "chrome-profile")

        def log_in_as(role: str) -> None:
            browser.delete_all_cookies()
            log_in(browser, base_url, *credentials[role])

        try:
            yield browser, base_url, engine, log_in_as
        finally:
            browser.quit()
            engine.dispose()


def _wait_text(browser, selector: str, expected: str, timeout: float = 30) -> str:
    browser.wait_until(lambda d: any(expected in e.text for e in d.find_elements(By.CSS_SELECTOR, selector)),
                       f"{selector} never showed {expected!r}", timeout=timeout)
    return " ".join(e.text for e in browser.find_elements(By.CSS_SELECTOR, selector))


def _click_text(browser, selector: str, text: str) -> bool:
    """Click the first ``selector`` element showing ``text``; False (retry) if the grid re-rendered it."""
    try:
        next(e for e in browser.find_elements(By.CSS_SELECTOR, selector) if e.text == text).click()
    except (StopIteration, StaleElementReferenceException):
        return False
    return True


def _clean(browser) -> None:
    assert browser.console_errors() == []
    assert browser.off_host_requests() == []


def test_leads_grid_shows_warehouse_leads_and_selecting_one_opens_the_panel(site):
    browser, base_url, engine, log_in_as = site
    log_in_as("LEADER")
    browser.get(base_url + "/leads")
    # The leader's default is every status; the grid's first block comes from queries_leads.lead_page.
    titles = browser.wait_until(lambda d: [t for t in d.execute_script(TEXTS, TITLE_CELLS) if t],
                                "no lead rows", timeout=30)
    with Session(engine) as s:
        known = set(s.scalars(select(RiskLead.title)))
    assert set(titles) <= known
    clicked = titles[0]
    browser.wait_until(lambda d: _click_text(d, TITLE_CELLS, clicked), f"could not click {clicked}")
    _wait_text(browser, "#leads-selected", "状态：")
    link = browser.find_element(By.CSS_SELECTOR, "#leads-selected a")
    with Session(engine) as s:
        lead = s.get(RiskLead, int(link.get_attribute("href").rsplit("/", 1)[1]))
    assert link.text == f"#{lead.lead_id} {lead.title}" and lead.title == clicked
    _clean(browser)


def test_lead_detail_shows_reason_and_timeline(site):
    browser, base_url, engine, log_in_as = site
    log_in_as("LEADER")
    with Session(engine) as s:
        lead = s.scalars(select(RiskLead).where(RiskLead.status == "已办结").order_by(RiskLead.lead_id)).first()
        actions = list(s.scalars(select(RiskLeadEvent.action).where(RiskLeadEvent.lead_id == lead.lead_id)))
        title, reason = lead.title, lead.reason
    assert actions, "the demo's closed lead has no events"
    browser.get(f"{base_url}/leads/{lead.lead_id}")
    assert title in _wait_text(browser, "#lead-detail-title", title)
    assert browser.find_element(By.ID, "lead-detail-reason").text == reason
    timeline = browser.find_element(By.ID, "lead-detail-timeline").text
    assert "尚无处置记录" not in timeline and "已办结" in timeline
    _clean(browser)


def test_inbox_lists_department_leads_and_loads_one_into_the_form(site):
    browser, base_url, engine, log_in_as = site
    log_in_as("DEPT_HEAD")
    browser.get(base_url + "/inbox")
    links = browser.wait_until(lambda d: d.find_elements(By.CSS_SELECTOR, "#inbox-list a[href^='/leads/']"),
                               "the inbox shows no lead cards", timeout=30)
    lead_id = int(links[0].get_attribute("href").rsplit("/", 1)[1])
    with Session(engine) as s:
        lead = s.get(RiskLead, lead_id)
    assert links[0].text == lead.title
    browser.find_elements(By.CSS_SELECTOR, "#inbox-list button")[0].click()
    assert f"#{lead_id} {lead.title}" in _wait_text(browser, "#inbox-current", f"#{lead_id}")
    enabled = [b.text for b in browser.find_elements(By.CSS_SELECTOR, "#inbox-form button") if b.is_enabled()]
    assert enabled, "no action enabled for a lead in the department's own queue"
    _clean(browser)


def test_joint_page_shows_department_parts(site):
    browser, base_url, _engine, log_in_as = site
    log_in_as("DEPT_HEAD")
    browser.get(base_url + "/joint")
    summary = _wait_text(browser, "#joint-summary-table tbody", "市场监管")
    assert summary.strip()
    depts = browser.wait_until(
        lambda d: [t for t in d.execute_script(TEXTS, "#joint-grid .ag-row [col-id='dept_name']") if t],
        "no joint parts in the grid", timeout=30)
    assert set(depts) == {depts[0]} and "市场监管" in depts[0]  # a department head sees only its own parts
    _clean(browser)


def test_data_quality_shows_freshness_rows(site):
    browser, base_url, _engine, log_in_as = site
    log_in_as("LEADER")
    browser.get(base_url + "/data-quality")
    fresh = _wait_text(browser, "#data-quality-freshness tbody", "12345热线")
    assert "正常" in fresh or "静默" in fresh
    assert "数据来源" in _wait_text(browser, "#data-quality-cards", "数据来源")
    browser.wait_for_css("#data-quality-daily .main-svg")
    assert browser.find_elements(By.CSS_SELECTOR, "#data-quality-pipeline table, #data-quality-pipeline div")
    _clean(browser)
