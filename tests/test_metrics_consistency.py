"""The same figure reads the same everywhere: the real server over a prepared warehouse, headless Chromium
logged in as several roles, every figure a page marks with ``data-metric`` read from the DOM and compared
with ``bianjian metrics --json`` for the same role and scope; the 排名 grid and the 月通报 XLSX are compared
with the declared rankings; and a KPI-looking figure that carries no declared metric fails the test."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

import metrics
from data_access.db import make_engine
from data_access.scope import SYSTEM
from evaluation import render, reports
from tests.browser import demo_login, live_server, log_in, open_browser, prepared_warehouse
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.browser

# role → (--dept for the CLI, pages to read and the selector that says the page's figures are drawn)
ROLES = {
    "LEADER": (None, {"/wall": "[data-metric='department_ranking']", "/": "#home-kpi-complaints_30d",
                      "/leads": "#leads-grid .ag-row", "/rankings?group=DEPARTMENT": "#rankings-table .ag-row",
                      "/unlicensed": "[data-metric='unlicensed_open_stock']"}),
    "ANALYST": (None, {"/": "#home-kpi-leads_triage", "/inbox": "[data-metric='inbox_items']",
                       "/rankings?group=COUNTY": "#rankings-table .ag-row"}),
    "DEPT_HEAD": ("SCJG", {"/": "#home-kpi-inbox_items", "/inbox": "[data-metric='inbox_items']",
                           "/leads": "#leads-grid .ag-row", "/my-department": "[data-metric='own_unit_status']",
                           "/unlicensed": "[data-metric='unlicensed_open_stock']"}),
}
# Components that look like a headline figure: each must carry a declared metric.
KPI_SELECTOR = ".home-kpi .fs-3, .wall-kpi-value, .wall-kpi-level-count"
# textContent, not innerText: the wall's second carousel screen is hidden but its figures are on the page.
READ_MARKED = """return Array.from(document.querySelectorAll('[data-metric]')).map(e => ({
    name: e.dataset.metric, text: e.textContent.trim(), unit: e.dataset.unit || null,
    parts: Array.from(e.children).map(c => c.textContent.trim()), status: e.dataset.status || null}));"""
READ_UNMARKED = f"""return Array.from(document.querySelectorAll('{KPI_SELECTOR}'))
    .filter(e => !e.dataset.metric).map(e => e.id || e.className);"""
READ_GRID = """return Array.from(document.querySelectorAll('#rankings-table .ag-center-cols-container .ag-row')).map(r => {
    const cell = c => (r.querySelector(`[col-id="${c}"]`) || {innerText: ''}).innerText.trim();
    return {rank: cell('rank'), unit_name: cell('unit_name'), score: cell('score'), status: cell('status_name')};});"""


@pytest.fixture(scope="module")
def site(demo_db_path, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("metrics_consistency")
    url = prepared_warehouse(demo_db_path, workdir / "metrics.db")
    engine = make_engine(url)
    logins = {role: demo_login(engine, role) for role in ROLES}
    engine.dispose()
    with live_server(url, workdir / "var") as base_url:
        yield base_url, url, logins, workdir


def cli_metrics(url: str, role: str, dept: str | None) -> dict[str, dict]:
    """What ``bianjian metrics --json`` says for the role and scope, run as another system would."""
    args = [sys.executable, "-m", "bianjian_cli", "metrics", "--json", "--role", role] + (["--dept", dept] if dept else [])
    out = subprocess.run(args, cwd=REPO_ROOT, env={**os.environ, "BIANJIAN_DATABASE_URL": url}, capture_output=True,
                         text=True, timeout=300, check=True).stdout
    return {row["name"]: row for row in map(json.loads, out.splitlines())}


def check_figure(figure: dict, expected: dict[str, dict], where: str) -> None:
    name = figure["name"]
    metrics.get(name)  # a marked figure must be declared
    assert name in expected, f"{where}: {name} is shown but not among this role's metrics"
    value = expected[name]["value"]
    if name.endswith("_ranking"):
        row = next(u for u in value if u["unit_code"] == figure["unit"])
        assert figure["parts"][:3] == [str(row["rank"]), row["unit_name"], f"{row['score']:.1f}"], (where, figure, row)
        assert figure["status"] == row["status"], (where, figure, row)
    elif name == "ranking_month":
        assert figure["text"] == metrics.month_label(value, None) or figure["text"] == value, (where, figure, value)
    else:
        assert figure["text"] == metrics.display(metrics.get(name), value), (where, figure, value)


def check_grid(rows: list[dict], ranking: list[dict], where: str) -> None:
    by_name = {u["unit_name"]: u for u in ranking}
    assert len(rows) == len(ranking), where
    for row in rows:
        unit = by_name[row["unit_name"]]
        assert (row["rank"] or None) == (str(unit["rank"]) if unit["rank"] is not None else None), (where, row, unit)
        assert (float(row["score"]) if row["score"] else None) == unit["score"], (where, row, unit)
        assert row["status"] == unit["status"], (where, row, unit)


@pytest.mark.parametrize("role", list(ROLES))
def test_every_marked_figure_equals_the_command(site, role):
    base_url, url, logins, workdir = site
    dept, pages = ROLES[role]
    expected = cli_metrics(url, role, dept)
    browser = open_browser(workdir / f"chrome-{role}", width=1920, height=1080)
    seen: set[str] = set()
    try:
        log_in(browser, base_url, *logins[role])
        for path, ready in pages.items():
            browser.get(base_url + path)
            browser.wait_for_css(ready, timeout=60)
            if path.startswith("/my-department"):
                browser.wait_until(lambda d: d.execute_script(READ_MARKED), "no marked figures", 30)
            assert "超期0个工作日" not in browser.page_source
            unmarked = browser.execute_script(READ_UNMARKED)
            assert unmarked == [], f"{path}: figures without a declared metric: {unmarked}"
            for figure in browser.execute_script(READ_MARKED):
                check_figure(figure, expected, f"{role} {path}")
                seen.add(figure["name"])
            if path.startswith("/rankings"):
                group = path.split("=")[1].lower()
                check_grid(browser.execute_script(READ_GRID), expected[f"{group}_ranking"]["value"], path)
        browser.save_screenshot(str(workdir / f"{role}.png"))
        assert browser.console_errors() == []
    finally:
        browser.quit()
    shown_somewhere = {"LEADER": {"complaints_today", "leads_unclosed_red", "leads_overdue", "department_ranking",
                                  "ranking_month", "complaints_30d", "leads_new_30d", "unlicensed_open_stock"},
                       "ANALYST": {"leads_triage", "leads_handling", "inbox_items"},
                       "DEPT_HEAD": {"inbox_items", "own_unit_rank", "own_unit_score", "own_unit_status"}}[role]
    assert shown_somewhere <= seen, shown_somewhere - seen


def test_the_bulletin_ranks_like_the_command(site, tmp_path):
    _, url, _, _ = site
    expected = cli_metrics(url, "LEADER", None)
    month = expected["ranking_month"]["value"]
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            doc = reports.monthly_bulletin(session, month, scope=SYSTEM)
        path = render.write(doc, "xlsx", tmp_path / "bulletin.xlsx")
    finally:
        engine.dispose()
    book = load_workbook(path)
    for group, metric in (("市直部门", "department_ranking"), ("区县", "county_ranking")):
        rows = list(book[f"综合排名-{group}"].iter_rows(values_only=True))
        assert month in rows[0][0]
        header = list(rows[1])
        table = [dict(zip(header, r, strict=True)) for r in rows[2:] if any(v is not None for v in r)]
        ranking = {u["unit_name"]: u for u in expected[metric]["value"]}
        assert len(table) == len(ranking)
        for row in table:
            unit = ranking[row["单位"]]
            rank = None if row["排名"] in (None, "", "无数据") else int(float(row["排名"]))
            score = None if row["综合得分"] in (None, "", "无数据") else float(row["综合得分"])
            assert (rank, score, row["状态"]) == (unit["rank"], unit["score"], unit["status"]), (group, row, unit)
