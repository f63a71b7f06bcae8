"""Table exports run as background callbacks: a person clicks 导出 CSV on 投诉分析 in headless Chromium, the
buttons are disabled and 正在生成… shows while the job runs (a local diskcache process, or a real Celery
worker over Redis), and the file that arrives holds exactly the rows the analyst may export, unmasked for
that role, capped at the row limit and audited."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from selenium.common.exceptions import ElementClickInterceptedException, TimeoutException
from selenium.webdriver.common.by import By
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access import queries, queries_complaints
from data_access.db import make_engine
from data_access.schema import AuditLog, HotlineTicket
from data_access.scope import Scope
from tests.browser import demo_login, downloading_browser, live_server, log_in, prepared_warehouse
from tests.test_ops_background import CELERY_ENV, celery_worker
from ui import filters

ROW_LIMIT = 40  # below the demo's ticket count, so the cap is what the test sees


def _part(part: str) -> str:
    """XPath of a ticket-table export component (Dash renders a pattern id as sorted-key JSON)."""
    return f"""//*[@id='{{"table":"tickets","type":"complaints-{part}"}}']"""


@pytest.fixture
def warehouse(demo_db_path, tmp_path) -> str:
    """A private copy: the export writes audit rows."""
    return prepared_warehouse(demo_db_path, tmp_path / "exports.db", steps=())


def _clicked(browser, element, covers: list[str]) -> bool:  # noqa: ANN001
    """Scroll ``element`` to the middle and click it; False (noting why) while it is covered. The scroll is
    instant: Bootstrap makes scrolling smooth, and a smooth scroll restarted at every poll may never arrive."""
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
    try:
        element.click()
    except ElementClickInterceptedException as exc:
        covers[:] = [exc.msg]
        return False
    return True


def _export_tickets(base_url: str, username: str, password: str, workdir: Path) -> Path:
    """Log in, click 导出 CSV under 匹配工单 on 投诉分析 and return the file received."""
    with downloading_browser(workdir) as (browser, downloads):
        log_in(browser, base_url, username, password)
        browser.get(base_url + "/complaints")
        button = browser.wait_until(lambda d: d.find_elements(By.XPATH, _part("csv")), "no export button", 60)[0]
        excel, running = browser.find_element(By.XPATH, _part("xlsx")), browser.find_element(By.XPATH, _part("running"))
        assert not running.is_displayed()
        browser.wait_until(lambda d: d.find_elements(By.CSS_SELECTOR, "#complaints-grid .ag-row"),
                           "the ticket grid did not load", 60)
        covers: list[str] = []
        try:
            browser.wait_until(lambda _d: _clicked(browser, button, covers), "the export button stayed covered", 30)
        except TimeoutException:
            browser.save_screenshot(str(workdir / "covered.png"))
            top, scroll_y, height = browser.execute_script(
                "return [arguments[0].getBoundingClientRect().top, window.scrollY, window.innerHeight];", button)
            raise AssertionError(f"the export button stayed covered: {covers}; its top at {top} px of a "
                                 f"{height} px viewport scrolled to {scroll_y} (screenshot: covered.png)") from None
        browser.wait_until(lambda _d: running.is_displayed() and running.text == "正在生成…"
                           and not button.is_enabled() and not excel.is_enabled(),
                           "the export did not show its running state", 30)
        browser.wait_until(lambda _d: [p for p in downloads.iterdir() if p.suffix == ".csv"], "no file downloaded", 240)
        browser.wait_until(lambda _d: button.is_enabled() and excel.is_enabled() and not running.is_displayed(),
                           "the buttons did not come back", 30)
        assert browser.find_element(By.XPATH, _part("status")).text == ""
        assert browser.console_errors() == []
        assert browser.off_host_requests() == []
    (csv,) = [p for p in downloads.iterdir() if p.suffix == ".csv"]
    return csv


def _check_file(csv: Path, warehouse: str, username: str) -> None:
    """The file is the analyst's first ROW_LIMIT tickets under the page's default filters, as the warehouse
    has them (phones unmasked: ANALYST sees personal data), and the export is audited with its ids."""
    assert csv.name == "投诉分析_匹配工单.csv" and csv.read_bytes()[:3] == b"\xef\xbb\xbf"
    got = pd.read_csv(io.StringIO(csv.read_text(encoding="utf-8-sig")), dtype=str)
    engine = make_engine(warehouse)
    try:
        with Session(engine) as session:
            scope = Scope(user=username, role="ANALYST", dept_code=None)
            start = filters.period_start(filters.DEFAULT_PERIOD, queries.data_as_of(session))
            want, total = queries_complaints.complaint_rows(session, scope, start=start, limit=ROW_LIMIT)
            phones = dict(session.execute(select(HotlineTicket.ticket_id, HotlineTicket.caller_phone)
                                          .where(HotlineTicket.ticket_id.in_(want["ticket_id"].tolist()))).all())
            (audit,) = session.scalars(select(AuditLog).where(AuditLog.action == "pii_export")).all()
            assert session.scalar(select(func.count()).select_from(HotlineTicket)) > total > ROW_LIMIT
    finally:
        engine.dispose()
    labels = queries_complaints.COMPLAINT_COLUMNS
    assert list(got.columns) == list(labels.values())
    assert got[labels["ticket_id"]].astype(int).tolist() == want["ticket_id"].tolist()
    assert got[labels["order_no"]].tolist() == want["order_no"].tolist()
    assert got[labels["caller_phone"]].fillna("").tolist() == [phones[i] or "" for i in want["ticket_id"]]
    assert audit.actor == username and audit.detail["count"] == ROW_LIMIT
    assert audit.detail["ids"] == [str(i) for i in want["ticket_id"]]


def _analyst(warehouse: str) -> tuple[str, str]:
    engine = make_engine(warehouse)
    try:
        return demo_login(engine, "ANALYST")
    finally:
        engine.dispose()


@pytest.mark.browser
def test_ticket_export_runs_in_a_local_background_process(warehouse, tmp_path):
    username, password = _analyst(warehouse)
    env = {"BIANJIAN_EXPORT_ROW_LIMIT": str(ROW_LIMIT)}
    with live_server(warehouse, tmp_path / "var", env=env) as base_url:
        csv = _export_tickets(base_url, username, password, tmp_path)
    _check_file(csv, warehouse, username)
    assert (tmp_path / "var" / "background" / "cache.db").exists()  # the DiskcacheManager's job store


@pytest.mark.browser
def test_ticket_export_runs_on_the_celery_worker_over_redis(warehouse, tmp_path):
    username, password = _analyst(warehouse)
    env = {"BIANJIAN_EXPORT_ROW_LIMIT": str(ROW_LIMIT)}
    with celery_worker(warehouse, tmp_path, env) as log_path, \
            live_server(warehouse, tmp_path / "var", env={**CELERY_ENV, **env}) as base_url:
        csv = _export_tickets(base_url, username, password, tmp_path)
    _check_file(csv, warehouse, username)
    worker_log = log_path.read_text(errors="replace")
    assert "background_callback_" in worker_log and "succeeded" in worker_log, worker_log
    assert not (tmp_path / "var" / "background").exists()  # nothing ran in the web server's own processes
