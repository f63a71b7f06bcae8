"""The five daily journeys, end to end in headless Chromium against the real server and warehouse:

1. an analyst triages the queue (triage order, level badges) and 转办 a lead from its lead page, choosing
   the department;
2. a department head works a lead in 部门待办 — 签收 → 开始核查 → 延期申请 (a bad day count first) → 反馈 —
   on a desktop and on a phone-sized viewport;
3. an analyst 办结 a fed-back lead from its lead page;
4. a department head downloads the monthly bulletin;
5. a leader opens the wall;

and an administrator disables a user from its row in 用户与密钥, after a confirmation dialog.

Every test fails on a server-side callback exception (the server's log is read: no Traceback, no HTTP 500
from ``_dash-update-component``), on any browser console error, and on a form left stale: after each
action the displayed status and the offered buttons must be the new ones, read from the page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data_access.db import make_engine
from data_access.reference import DEPT_CODE_BY_KEY
from data_access.schema import RiskLead
from data_access.scope import Scope
from dispatch.lifecycle import transition
from tests.browser import Browser, demo_login, downloading_browser, live_server, log_in, prepared_warehouse
from ui import inputs

pytestmark = pytest.mark.browser

SCJG = DEPT_CODE_BY_KEY["SCJG"]  # the demo department head's department (市市场监管局)
PHONE = (390, 844)
SLOW = 120  # first loads of plotly pages on a busy 2-core CI machine
# (level, id) of the queue's loaded rows in display order, once the first row has its data; then a click.
GRID_ROWS = """
const rows = Array.from(document.querySelectorAll('#leads-grid .ag-center-cols-container .ag-row'))
    .sort((a, b) => a.getAttribute('row-index') - b.getAttribute('row-index'))
    .map(r => [r.querySelector("[col-id='level']"), r.querySelector("[col-id='lead_id']")])
    .filter(([level, id]) => level && id && id.innerText.trim())
    .map(([level, id]) => [level.innerText.trim(), id.innerText.trim()]);
return rows.length ? rows : null;"""
CLICK_TITLE = """
const row = Array.from(document.querySelectorAll('#leads-grid .ag-center-cols-container .ag-row'))
    .find(r => (r.querySelector("[col-id='lead_id']") || {}).innerText == String(arguments[0]));
if (!row) { return false; }
row.querySelector("[col-id='title']").click();
return true;"""
SERVER_FAILURE = re.compile(r"Traceback|_dash-update-component\S*\s+HTTP/1\.1\S*\"?\s+5\d\d")


@dataclass
class Site:
    base_url: str
    engine: Engine
    browser: Browser
    downloads: Path
    server_log: Path
    credentials: dict[str, tuple[str, str]]

    def log_in_as(self, role: str) -> None:
        self.browser.delete_all_cookies()
        log_in(self.browser, self.base_url, *self.credentials[role])


@pytest.fixture(scope="module")
def site(demo_db_path, tmp_path_factory):
    """One server (its log kept) and one downloading browser for the module."""
    workdir = tmp_path_factory.mktemp("journeys")
    url = prepared_warehouse(demo_db_path, workdir / "journeys.db")  # daily counts (wall), indicators (bulletin)
    engine = make_engine(url)
    credentials = {role: demo_login(engine, role) for role in ("LEADER", "ANALYST", "DEPT_HEAD", "SYS_ADMIN")}
    var = workdir / "var"
    with live_server(url, var) as base_url, downloading_browser(workdir) as (browser, downloads):
        yield Site(base_url, engine, browser, downloads, var / "server.log", credentials)
    engine.dispose()


@pytest.fixture
def journey(site):
    """The site, checked after the test: nothing new in the server log's failures or the console."""
    site.browser.set_viewport(1920, 1080)
    log_start = site.server_log.stat().st_size
    console_before = len(site.browser.console_errors())
    yield site
    with open(site.server_log, encoding="utf-8", errors="replace") as log:
        log.seek(log_start)
        failures = [line for line in log.read().splitlines() if SERVER_FAILURE.search(line)]
    assert failures == [], "server-side callback failure:\n" + "\n".join(failures)
    assert site.browser.console_errors()[console_before:] == []
    assert site.browser.off_host_requests() == []


# --------------------------------------------------------------------------------------------- helpers


def _xpath_id(**pattern) -> str:
    """XPath of a component with a pattern-matching id (Dash renders it as sorted-key JSON)."""
    return f"//*[@id='{json.dumps(pattern, sort_keys=True, separators=(',', ':'), ensure_ascii=False)}']"


def _click(browser: Browser, element) -> None:  # noqa: ANN001
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
    element.click()


def _buttons(browser: Browser, form: str) -> list[str]:
    return [b.text for b in browser.find_elements(By.CSS_SELECTOR, f"#{form}-form-buttons button")]


def _act(browser: Browser, form: str, label: str) -> None:
    button = next(b for b in browser.find_elements(By.CSS_SELECTOR, f"#{form}-form-buttons button")
                  if b.text == label)
    _click(browser, button)


def _wait_state(browser: Browser, form: str, status: str, buttons: list[str], *, note: str = "") -> None:
    """The form shows ``status`` (and ``note``) and offers exactly ``buttons``: the form is not stale."""
    def shown(d) -> bool:  # noqa: ANN001
        line = d.find_elements(By.ID, f"{form}-form-status")
        return bool(line) and line[0].text.startswith(f"状态：{status}") and note in line[0].text \
            and _buttons(d, form) == buttons
    browser.wait_until(shown, f"the {form} form never showed {status} with {buttons} "
                              f"(it shows {_form_text(browser, form)!r})", timeout=30)


def _form_text(browser: Browser, form: str) -> str:
    found = browser.find_elements(By.ID, f"{form}-form-status")
    return f"{found[0].text if found else '—'} {_buttons(browser, form)}"


def _type(browser: Browser, form: str, name: str, text: str, *, kind: str = inputs.TEXT) -> None:
    box = browser.find_element(By.XPATH, _xpath_id(type=kind, form=form, name=name))
    box.clear()
    box.send_keys(text)


def _message(browser: Browser, message_id: str, expected: str) -> str:
    browser.wait_until(lambda d: expected in d.find_element(By.ID, message_id).text,
                       f"#{message_id} never said {expected!r}", timeout=30)
    return browser.find_element(By.ID, message_id).text


def _lead_in(engine: Engine, path: tuple[str, ...]) -> int:
    """A 待研判 demo lead moved through ``path`` (dispatched to 市市场监管局) by the lifecycle itself."""
    payload = {"dispatch": {"dept_code": SCJG}, "feedback": {"result": "属实", "note": "已现场核查"}}
    actor = {"dispatch": Scope("研判员", "ANALYST")}
    with Session(engine) as session, session.begin():
        lead_id = session.scalar(select(RiskLead.lead_id).where(RiskLead.status == "待研判", RiskLead.kind != "provincial")
                                 .order_by(RiskLead.lead_id.desc()).limit(1))
        for action in path:
            transition(session, lead_id, action, actor.get(action, Scope("科长", "DEPT_HEAD", SCJG)),
                       **payload.get(action, {}))
    return lead_id


def _status(engine: Engine, lead_id: int) -> str:
    with Session(engine) as session:
        return session.get(RiskLead, lead_id).status


# -------------------------------------------------------------------------------------------- journeys


def test_analyst_triages_the_queue_and_dispatches_from_the_lead_page(journey):
    browser, base_url = journey.browser, journey.base_url
    journey.log_in_as("ANALYST")
    browser.get(base_url + "/leads")
    # The grid redraws rows while blocks arrive: read and click in one script call (no stale elements).
    rows = browser.wait_until(lambda d: d.execute_script(GRID_ROWS), "no lead rows", SLOW)
    rank = {"▲红": 0, "◆橙": 1, "●黄": 2, "■蓝": 3}
    levels = [level for level, _ in rows]
    assert set(levels) <= set(rank) and [rank[v] for v in levels] == sorted(rank[v] for v in levels)
    lead_id = int(rows[0][1])
    browser.wait_until(lambda d: d.execute_script(CLICK_TITLE, lead_id), f"could not click lead {lead_id}", 20)
    _wait_state(browser, "leads", "待研判", ["转办", "误报"])
    _click(browser, browser.find_element(By.CSS_SELECTOR, f"#leads-selected a[href='/leads/{lead_id}']"))

    browser.wait_until(lambda d: d.find_elements(By.ID, "lead-detail-created"), "no lead page", SLOW)
    created = browser.find_element(By.ID, "lead-detail-created").text
    assert created.startswith("生成") and browser.find_element(By.ID, "lead-detail-reason").text in created
    assert browser.find_element(By.CSS_SELECTOR, "#lead-detail-title .level-badge").text in rank
    _wait_state(browser, "lead-detail", "待研判", ["转办", "误报"])
    dept = browser.find_element(By.XPATH, _xpath_id(type="lead-form-field", form="lead-detail", name="dept"))
    chosen = "市公安局" if "市城管局" in dept.text else "市城管局"  # not the suggested department
    _click(browser, dept)
    option = browser.wait_until(lambda d: [o for o in d.find_elements(By.CSS_SELECTOR, "[role=option]")
                                           if o.text == chosen], f"no option {chosen}", 10)[0]
    _click(browser, option)
    browser.wait_until(lambda _d: chosen in dept.text, "the department was not chosen", 10)
    _type(browser, "lead-detail", "note", "请牵头核查")
    _act(browser, "lead-detail", "转办")
    _message(browser, "lead-detail-message", f"线索 #{lead_id} 已转办，当前状态：已转办")
    _wait_state(browser, "lead-detail", "已转办", ["督办"])
    header = browser.find_element(By.ID, "lead-detail-header").text
    assert "已转办" in header and chosen in header
    assert "请牵头核查" in browser.find_element(By.ID, "lead-detail-timeline").text
    with Session(journey.engine) as session:
        lead = session.get(RiskLead, lead_id)
    assert (lead.status, lead.dept_code) == ("已转办", DEPT_CODE_BY_KEY["GAJ" if chosen == "市公安局" else "CGJ"])


@pytest.mark.parametrize("viewport", [(1920, 1080), PHONE], ids=["desktop", "phone"])
def test_department_head_signs_checks_extends_and_feeds_back_in_the_inbox(journey, viewport):
    browser, base_url = journey.browser, journey.base_url
    lead_id = _lead_in(journey.engine, ("dispatch",))
    journey.log_in_as("DEPT_HEAD")
    browser.set_viewport(*viewport)
    browser.get(base_url + "/inbox")
    card = browser.wait_until(lambda d: d.find_elements(By.XPATH, _xpath_id(type="inbox-card", lead=lead_id)),
                              f"no inbox card for lead {lead_id}", SLOW)[0]
    _click(browser, card.find_element(By.XPATH, "." + _xpath_id(type="inbox-open", lead=lead_id)))
    _wait_state(browser, "inbox", "已转办", ["签收", "退回"])
    top, bottom = browser.execute_script(  # 办理 brought the loaded form on screen (a phone shows cards first)
        "return [document.getElementById('inbox-form-status').getBoundingClientRect().top,"
        " document.getElementById('inbox-form-buttons').getBoundingClientRect().bottom]")
    assert 0 <= top and bottom <= viewport[1], f"after 办理 the form spans {top}–{bottom} px of {viewport[1]} px"

    _act(browser, "inbox", "签收")
    _message(browser, "inbox-message", "已签收")
    _wait_state(browser, "inbox", "已签收", ["开始核查", "延期申请", "退回"])
    _act(browser, "inbox", "开始核查")
    _message(browser, "inbox-message", "已开始核查")
    _wait_state(browser, "inbox", "核查中", ["反馈", "延期申请", "退回"])

    _type(browser, "inbox", "days", "-5", kind="lead-form-field")
    _type(browser, "inbox", "note", "需等待检验检测结果")
    counter = browser.find_element(By.XPATH, _xpath_id(type=inputs.COUNT, form="inbox", name="note"))
    browser.wait_until(lambda _d: counter.text == "9/1000", f"the live count shows {counter.text!r}", 10)
    _act(browser, "inbox", "延期申请")
    assert "延期天数须为 1–30 之间的整数" in _message(browser, "inbox-message", "延期天数")
    _wait_state(browser, "inbox", "核查中", ["反馈", "延期申请", "退回"])  # refused: the form is kept as typed
    _type(browser, "inbox", "days", "5", kind="lead-form-field")
    _act(browser, "inbox", "延期申请")
    _message(browser, "inbox-message", "已提交延期申请")
    _wait_state(browser, "inbox", "核查中", ["反馈", "退回"], note="待审批延期 5 个工作日")

    _click(browser, browser.find_element(By.XPATH, _xpath_id(type="lead-form-field", form="inbox", name="result"))
           .find_element(By.XPATH, ".//label[text()='属实']"))
    _type(browser, "inbox", "note", "经现场核查属实，已责令整改")
    _act(browser, "inbox", "反馈")
    _message(browser, "inbox-message", f"线索 #{lead_id} 已反馈，当前状态：已反馈")
    browser.wait_until(lambda d: d.find_elements(By.ID, "inbox-form-none"), "the fed-back lead still offers actions", 30)
    card = browser.find_element(By.XPATH, _xpath_id(type="inbox-card", lead=lead_id))
    assert "已反馈" in card.text
    assert _status(journey.engine, lead_id) == "已反馈"
    if viewport == PHONE:
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= PHONE[0], f"the inbox is {width} px wide on a {PHONE[0]} px phone"


def test_analyst_closes_a_fed_back_lead_from_the_lead_page(journey):
    browser, base_url = journey.browser, journey.base_url
    lead_id = _lead_in(journey.engine, ("dispatch", "sign", "start", "feedback"))
    journey.log_in_as("ANALYST")
    browser.get(f"{base_url}/leads/{lead_id}")
    browser.wait_until(lambda d: d.find_elements(By.ID, "lead-detail-form-buttons"), "no action form", SLOW)
    _wait_state(browser, "lead-detail", "已反馈", ["办结", "重办"])
    _act(browser, "lead-detail", "办结")
    _message(browser, "lead-detail-message", f"线索 #{lead_id} 已办结，当前状态：已办结")
    browser.wait_until(lambda d: d.find_elements(By.ID, "lead-detail-form-none"), "the closed lead still offers actions", 30)
    assert "已办结" in browser.find_element(By.ID, "lead-detail-timeline").text
    assert _status(journey.engine, lead_id) == "已办结"


def test_department_head_downloads_the_monthly_bulletin(journey):
    browser, base_url = journey.browser, journey.base_url
    journey.log_in_as("DEPT_HEAD")
    browser.get(base_url + "/my-department")
    browser.wait_until(lambda d: "市市场监管局" in d.find_element(By.ID, "my-dept-summary").text, "no summary", SLOW)
    _click(browser, browser.find_element(By.ID, "my-dept-download-button"))
    pdfs = browser.wait_until(lambda _d: [p for p in journey.downloads.iterdir() if p.suffix == ".pdf"],
                              "no bulletin downloaded", 180)
    assert pdfs[0].name.endswith("-市市场监管局.pdf") and pdfs[0].read_bytes()[:5] == b"%PDF-"
    browser.wait_until(lambda d: d.find_element(By.ID, "my-dept-download-button").is_enabled(),
                       "the download button did not come back", 30)
    assert browser.find_element(By.ID, "my-dept-download-status").text == ""


def test_leader_opens_the_wall(journey):
    browser, base_url = journey.browser, journey.base_url
    journey.log_in_as("LEADER")
    browser.get(base_url + "/wall")
    for selector in ("#wall-kpis", "#wall-map .main-svg", "#wall-trend .main-svg", "#wall-ranking .wall-row"):
        browser.wait_for_css(selector, timeout=SLOW)
    assert "▲红" in browser.find_element(By.ID, "wall-kpis").text


def test_admin_disables_a_user_from_its_row_after_confirming(journey):
    from data_access.schema import AppUser, AuditLog
    from security import users

    browser, base_url = journey.browser, journey.base_url
    with Session(journey.engine) as session, session.begin():
        users.add_user(session, "temp_clerk", "ANALYST", "Kf-Temp-Clerk-2026", actor="test")
    journey.log_in_as("SYS_ADMIN")
    browser.get(base_url + "/admin/users")
    row = _xpath_id(type="admin_users-row-action", action="disable", target="temp_clerk")
    button = browser.wait_until(lambda d: d.find_elements(By.XPATH, row), "no 停用 button on temp_clerk's row", SLOW)[0]
    assert browser.find_elements(By.XPATH, _xpath_id(type="admin_users-row-action", action="disable",
                                                     target=journey.credentials["SYS_ADMIN"][0])) == []
    _click(browser, button)
    dialog = browser.wait_until(lambda d: _alert(d), "no confirmation dialog", 10)
    assert "确认停用用户 temp_clerk" in dialog.text
    dialog.dismiss()  # cancelled: nothing happens
    _click(browser, browser.find_element(By.XPATH, row))
    browser.wait_until(lambda d: _alert(d), "no confirmation dialog the second time", 10).accept()
    _message(browser, "admin_users-message", "已停用用户 temp_clerk")
    browser.wait_until(lambda d: not d.find_elements(By.XPATH, row), "the row still offers 停用", 10)
    with Session(journey.engine) as session:
        assert session.scalar(select(AppUser.disabled).where(AppUser.username == "temp_clerk"))
        actions = session.scalars(select(AuditLog.action).where(AuditLog.object_id == "temp_clerk")).all()
    assert actions.count("user_disable") == 1  # the cancelled dialog did nothing


def _alert(browser: Browser):  # noqa: ANN202
    try:
        return browser.switch_to.alert
    except NoAlertPresentException:
        return None
