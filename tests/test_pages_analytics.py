"""Analyst pages (home, complaints, enterprise, credit, unlicensed, catalog, model cards, guide): every
layout builds for every role, every callback runs as a plain function under a real scope, deep links
restore state, personal data is masked per role, exports obey the row limit and are audited.
Exports are background jobs: they run here as the job process runs them, with the requester's scope in
the callback context (test_ops_background drives them through a browser and a real manager).

The app runs over a private copy of the demo warehouse; callbacks are called inside a Flask request
context whose identity is set the way web.guard sets it (``g.bianjian_identity``).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
from contextlib import contextmanager
from contextvars import copy_context
from dataclasses import asdict

import dash
import pandas as pd
import pytest
from dash._callback_context import context_value
from dash._utils import AttributeDict
from flask import g
from sqlalchemy import delete, func, insert, select, text

from data_access import db, queries_complaints, queries_evaluation
from data_access.schema import (
    AuditLog,
    ComplaintFeature,
    Department,
    HotlineTicket,
    ModelBacktest,
    RegItem,
    Subject,
    UnlicensedLead,
)
from data_access.scope import ROLES, Scope
from evaluation import indicators
from security.sessions import Identity
from tests.db_fixtures import app_warehouse
from ui import tables

DEPT_KEY = "SCJG"


@pytest.fixture(scope="module")
def app(demo_db_path, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("pages_analytics")
    with app_warehouse(workdir, demo_db_path, name="pages.db"):
        from app import create_app

        yield create_app()


@pytest.fixture(scope="module")
def pages(app):
    import importlib

    return {name: importlib.import_module(f"pages.{name}") for name in
            ("home", "complaints", "enterprise", "credit", "unlicensed", "catalog", "model_cards", "guide")}


@pytest.fixture(scope="module")
def scjg(app) -> str:
    with db.session_scope() as session:
        return session.scalar(select(Department.dept_code).where(Department.dept_key == DEPT_KEY))


def scope_of(role: str, dept_code: str | None = None) -> Scope:
    return Scope(user=f"test-{role.lower()}", role=role, dept_code=dept_code if role == "DEPT_HEAD" else None)


@contextmanager
def as_role(app, role: str, dept_code: str | None = None):
    """A request context logged in as ``role`` (what web.guard does after checking the session)."""
    with app.server.test_request_context("/"):
        g.bianjian_identity = Identity(session_id=0, scope=scope_of(role, dept_code))
        yield


@pytest.fixture(scope="module")
def job_users(app, scjg) -> None:
    """Warehouse users behind scope_of(role): a job re-reads its requester in the warehouse."""
    from security import users

    with db.session_scope() as session:
        for role in ("ANALYST", "LEADER"):
            users.add_user(session, scope_of(role).user, role, "Export-Job-Pass-123", actor="test")


def run_job(func, prop_id: str, scope: Scope, *args):
    """Run a background export job as its process does: ``prop_id`` fired, and ``scope`` is what the
    request-side hook (ops.background.requester_scope) put into the callback context."""
    from ops.background import SCOPE_NAMESPACE

    def run():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop_id, "value": 1}],
                                        custom_data={SCOPE_NAMESPACE: asdict(scope)}))
        return func(*args)

    return copy_context().run(run)


def export_frame(payload: dict) -> pd.DataFrame:
    if payload["filename"].endswith(".xlsx"):
        return pd.read_excel(io.BytesIO(base64.b64decode(payload["content"])))
    assert payload["content"].startswith("\ufeff"), "CSV must carry a BOM for Excel"
    return pd.read_csv(io.StringIO(payload["content"][1:]), dtype=str)


def audit_rows(action: str) -> list[AuditLog]:
    with db.session_scope() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.audit_id)))


def table_rows(table) -> list[list[str]]:  # noqa: ANN001
    """The body rows of a ``tables.small_table`` (a Markdown table): cells as shown, escapes removed."""
    return [[re.sub(r"\\(.)", r"\1", cell) for cell in line[2:-2].split(" | ")]
            for line in table.children.split("\n")[2:]]


def count(stmt) -> int:
    with db.session_scope() as session:
        return session.scalar(select(func.count()).select_from(stmt.subquery()))


# ------------------------------------------------------------------------------------ layouts, every role


@pytest.mark.parametrize("role", [r for r in ROLES if r != "WALL"])
def test_every_layout_builds_for_every_role(app, pages, scjg, role):
    with db.session_scope() as session:
        uscc = session.scalar(select(Subject.uscc).order_by(Subject.subject_id).limit(1))
    with as_role(app, role, scjg):
        for name, module in pages.items():
            assert module.layout() is not None, name
        assert "enterprise-name" in str(pages["enterprise"].layout(uscc=uscc))


# --------------------------------------------------------------------------- complaints: deep link, filters


def test_deep_link_restores_filtered_panels(app, pages):
    complaints = pages["complaints"]
    with as_role(app, "LEADER"):
        page = str(complaints.layout(region="410204", category="HC04", period="all", q=""))
        assert "value=['410204']" in page and "value=['HC04']" in page
        by_region, by_category, county_map, trend, _, _, summary, search = complaints.update_panels(
            ["410204"], ["HC04"], "all", None)
    expected = count(select(HotlineTicket.ticket_id).where(HotlineTicket.region_code == "410204",
                                                         HotlineTicket.category_code == "HC04"))
    assert expected > 0, "demo has no 鼓楼区 消费维权 orders"
    assert "鼓楼区" in summary and "消费维权" in summary and f"共 {expected:,} 件" in summary
    assert search == "?region=410204&category=HC04&period=all"
    # The trend and the category bars are filtered by the county; the county bars by the category.
    assert sum(sum(t.y) for t in trend.data) == expected
    cat_bars = dict(zip(by_category.data[0].customdata, by_category.data[0].y, strict=True))
    assert cat_bars["HC04"] == expected
    region_bars = dict(zip(by_region.data[0].customdata, by_region.data[0].y, strict=True))
    assert region_bars["410204"] == expected and len(region_bars) > 1
    colours = dict(zip(by_region.data[0].customdata, by_region.data[0].marker.color, strict=True))
    assert colours["410204"] == complaints.SELECTED and colours["410221"] == complaints.OTHERS
    # The map shows the county counts (not filtered by the county, like the county bars) and outlines the pick.
    polygons = county_map["data"][0]
    shaded = dict(zip(polygons["customdata"], polygons["z"], strict=True))
    assert shaded["410204"] == expected and shaded["410221"] == region_bars["410221"]
    outlines = dict(zip(polygons["customdata"], polygons["marker"]["line"]["color"], strict=True))
    assert outlines["410204"] == complaints.SELECTED and outlines["410221"] != complaints.SELECTED


def test_layout_drops_unknown_codes_from_the_url(app, pages):
    with as_role(app, "LEADER"):
        page = str(pages["complaints"].layout(region="410204,999999", category="NOPE", period="bogus"))
    assert "value=['410204']" in page and "value=[]" in page and "value='365d'" in page


def test_clicks_toggle_the_filter(app, pages):
    complaints = pages["complaints"]
    click = {"points": [{"customdata": "410204", "x": "鼓楼区"}]}
    assert complaints.click_region(click, []) == ["410204"]
    assert complaints.click_region(click, ["410204"]) == []
    assert complaints.click_region(click, ["410221", "410222"]) == ["410204"]
    assert complaints.click_category({"points": [{"customdata": ["HC04"]}]}, None) == ["HC04"]
    # A map click carries the polygon's code (choropleth) or the 示范区 star's code in customdata too.
    assert complaints.click_map({"points": [{"customdata": "410221", "location": "410221"}]}, ["410204"]) == ["410221"]
    assert complaints.click_map({"points": [{"customdata": "410290"}]}, ["410290"]) == []


def test_full_text_search_finds_title_and_content(app, pages):
    with as_role(app, "LEADER"):
        response = pages["complaints"].load_rows({"startRow": 0, "endRow": 50, "sortModel": []}, [], [], "all", "噪音")
    expected = count(select(HotlineTicket.ticket_id).where(
        HotlineTicket.title.like("%噪音%") | HotlineTicket.content.like("%噪音%")))
    assert response["rowCount"] == expected > 0
    assert all("噪音" in r["title"] + r["content"] for r in response["rowData"])
    with as_role(app, "LEADER"):  # LIKE wildcards in the query are literal
        assert pages["complaints"].load_rows({"startRow": 0, "endRow": 5}, [], [], "all", "%")["rowCount"] == 0


def test_grid_pages_and_sorts_server_side(app, pages):
    with as_role(app, "LEADER"):
        first = pages["complaints"].load_rows({"startRow": 0, "endRow": 10, "sortModel": [
            {"colId": "accepted_at", "sort": "asc"}]}, [], [], "all", None)
        second = pages["complaints"].load_rows({"startRow": 10, "endRow": 20, "sortModel": [
            {"colId": "accepted_at", "sort": "asc"}]}, [], [], "all", None)
    assert len(first["rowData"]) == len(second["rowData"]) == 10
    stamps = [r["accepted_at"] for r in first["rowData"] + second["rowData"]]
    assert stamps == sorted(stamps)
    assert first["rowCount"] == count(select(HotlineTicket.ticket_id))


# ---------------------------------------------------------------------------------- masking and auditing


def test_complaints_are_masked_for_roles_without_pii_rights(app, pages):
    request = {"startRow": 0, "endRow": 20, "sortModel": []}
    with as_role(app, "LEADER"):
        masked = pages["complaints"].load_rows(request, [], [], "all", None)["rowData"]
    before = len(audit_rows("pii_view"))
    with as_role(app, "ANALYST"):
        clear = pages["complaints"].load_rows(request, [], [], "all", None)["rowData"]
    phones = [r["caller_phone"] for r in clear if r["caller_phone"]]
    assert phones and all("*" not in p for p in phones)
    assert all("*" in r["caller_phone"] for r in masked if r["caller_phone"])
    assert all(r["caller_name"].endswith("*") for r in masked if r["caller_name"] and len(r["caller_name"]) > 1)
    assert [r["ticket_id"] for r in masked] == [r["ticket_id"] for r in clear]
    views = audit_rows("pii_view")
    assert len(views) == before + 1 and views[-1].detail["count"] == len(clear)


@pytest.mark.parametrize(("role", "action", "masked"), [("ANALYST", "pii_export", False),
                                                        ("LEADER", "export_masked", True)])
def test_ticket_export_obeys_the_row_limit_masks_and_is_audited(pages, job_users, monkeypatch, role, action,
                                                               masked):
    monkeypatch.setenv("BIANJIAN_EXPORT_ROW_LIMIT", "7")
    before = len(audit_rows(action))
    payload, status = run_job(pages["complaints"].export, '{"table":"tickets","type":"complaints-csv"}.n_clicks',
                              scope_of(role), 1, None, [], [], "all", None)
    assert status == ""
    df = export_frame(payload)
    assert len(df) == 7 and payload["filename"] == "投诉分析_匹配工单.csv"
    assert "联系电话" in df.columns and df["联系电话"].str.contains(r"\*", regex=True).all() == masked
    rows = audit_rows(action)
    assert len(rows) == before + 1 and rows[-1].detail["count"] == 7 and rows[-1].detail["role"] == role


@pytest.mark.parametrize(("table", "first"), [("tickets", "受理时间"), ("hot_issues", "问题"), ("hot_words", "热词")])
def test_every_complaints_export_has_chinese_headers(pages, job_users, table, first):
    """What an analyst opens in Excel reads like the panel: Chinese headers, no internal column names."""
    payload, status = run_job(pages["complaints"].export, f'{{"table":"{table}","type":"complaints-csv"}}.n_clicks',
                              scope_of("ANALYST"), 1, None, [], [], "all", None)
    df = export_frame(payload)
    assert status == "" and first in df.columns
    assert all(re.search(r"[\u4e00-\u9fff]", str(c)) for c in df.columns), list(df.columns)


def test_xlsx_export_and_limit_stated_in_the_ui(app, pages, job_users, monkeypatch):
    monkeypatch.setenv("BIANJIAN_EXPORT_ROW_LIMIT", "5")
    payload, _ = run_job(pages["unlicensed"].export, '{"table":"leads","type":"unlicensed-xlsx"}.n_clicks',
                         scope_of("LEADER"), None, 1, [], "all")
    with as_role(app, "LEADER"):
        page = str(pages["unlicensed"].layout())
    assert len(export_frame(payload)) == 5 and payload["filename"].endswith(".xlsx")
    assert "单次最多导出 5 行" in page


def test_an_export_job_refuses_a_forged_or_widened_scope_and_writes_nothing(pages, job_users):
    """The job works for the requester as the warehouse knows them: an analyst's login claiming LEADER, a
    department head's scope naming another unit, or an unknown user gets a message, no file, no audit row."""
    ticket_csv = '{"table":"tickets","type":"complaints-csv"}.n_clicks'
    before = len(audit_rows("pii_export")) + len(audit_rows("export_masked"))
    forged = [Scope(user=scope_of("ANALYST").user, role="LEADER", dept_code=None),
              Scope(user=scope_of("LEADER").user, role="DEPT_HEAD", dept_code="X" * 18),
              Scope(user="nobody-here", role="ANALYST", dept_code=None)]
    for scope in forged:
        payload, status = run_job(pages["complaints"].export, ticket_csv, scope, 1, None, [], [], "all", None)
        assert payload is dash.no_update and status.startswith("未导出："), (scope, status)
    assert len(audit_rows("pii_export")) + len(audit_rows("export_masked")) == before
    payload, status = run_job(pages["complaints"].export, ticket_csv, scope_of("ANALYST"), 1, None, [], [], "all", None)
    assert status == "" and len(export_frame(payload)) > 0  # the same request under the real scope succeeds


def test_a_failing_export_job_tells_the_user_in_chinese(pages, job_users):
    """A query that fails inside the job (here: its table is gone) ends in the status line, not a stuck button."""
    from ui import exports

    with db.session_scope() as session:
        session.execute(text("ALTER TABLE derived_model_backtest RENAME TO derived_model_backtest_away"))
    try:
        payload, status = run_job(pages["model_cards"].export, '{"table":"spike","type":"model_cards-csv"}.n_clicks',
                                  scope_of("LEADER"), 1, None)
    finally:
        with db.session_scope() as session:
            session.execute(text("ALTER TABLE derived_model_backtest_away RENAME TO derived_model_backtest"))
    assert payload is dash.no_update and status == exports.FAILED_TEXT


# ------------------------------------------------------------------------------------- department scope


def test_department_head_sees_only_own_department(app, pages, scjg):
    with as_role(app, "DEPT_HEAD", scjg):
        response = pages["complaints"].load_rows({"startRow": 0, "endRow": 5000}, [], [], "all", None)
        catalog = pages["catalog"].update_panels(None, "all")
    own = count(select(HotlineTicket.ticket_id).where(HotlineTicket.main_dept_code == scjg))
    assert response["rowCount"] == own < count(select(HotlineTicket.ticket_id))
    assert {r["dept"] for r in response["rowData"]} == {"市市场监管局"}
    coverage = catalog[1].rowData
    assert [r["dept"] for r in coverage] == ["市市场监管局"]


# ---------------------------------------------------------------------------------------- text mining


def test_hot_panels_say_when_text_mining_has_not_run_then_show_its_results(app, pages):
    with as_role(app, "ANALYST"):
        _, _, _, _, issues, words, _, _ = pages["complaints"].update_panels([], [], "all", None)
    assert "尚未运行文本挖掘" in str(issues) and "尚未运行文本挖掘" in str(words)
    with db.session_scope() as session:
        ids = session.scalars(select(HotlineTicket.ticket_id).where(HotlineTicket.region_code == "410204")
                              .order_by(HotlineTicket.ticket_id).limit(5)).all()
        session.execute(insert(ComplaintFeature), [
            {"ticket_id": i, "tokens": "油烟 扰民 饭店" if n < 3 else "油烟 噪音", "hot_issue_id": 7 if n < 3 else 8,
             "computed_at": pd.Timestamp("2026-07-01").to_pydatetime()} for n, i in enumerate(ids)])
    try:
        with as_role(app, "ANALYST"):
            _, _, _, _, issues, words, _, _ = pages["complaints"].update_panels(["410204"], [], "all", None)
            _, _, _, _, other, _, _, _ = pages["complaints"].update_panels(["410221"], [], "all", None)
        assert [int(r[1]) for r in table_rows(issues)] == [3, 2]  # 问题, 工单数, …
        assert "油烟·5" in str(words) and "扰民·3" in str(words)
        assert other.children == tables.EMPTY_TEXT
    finally:
        with db.session_scope() as session:
            session.execute(ComplaintFeature.__table__.delete())


# ---------------------------------------------------------------------------------------- enterprise


def test_enterprise_profile_gathers_every_source(app, pages):
    with db.session_scope() as session:
        uscc = session.scalar(select(HotlineTicket.subject_uscc).where(HotlineTicket.subject_uscc.is_not(None))
                              .group_by(HotlineTicket.subject_uscc).order_by(func.count().desc()).limit(1))
        name = session.scalar(select(Subject.name).where(Subject.uscc == uscc))
    n_complaints = count(select(HotlineTicket.ticket_id).where(HotlineTicket.subject_uscc == uscc))
    with as_role(app, "LEADER"):
        page = str(pages["enterprise"].layout(uscc=uscc.lower()))
        results = pages["enterprise"].search(name[:3])
    assert name in page and "校验码通过" in page and f"投诉举报（12345 工单）（{n_complaints}）" in page
    assert any(r["uscc"] == f"[{uscc}](/enterprise/{uscc})" for r in results.rowData)


def test_enterprise_profile_audits_unmasked_complaints_as_a_view(app, pages):
    """The profile shows the complaints naming the subject: a PII role's view is audited by the page (the read
    records nothing), a masked view is not."""
    with db.session_scope() as session:
        uscc = session.scalar(select(HotlineTicket.subject_uscc).where(HotlineTicket.subject_uscc.is_not(None))
                              .group_by(HotlineTicket.subject_uscc).order_by(func.count().desc()).limit(1))
        before = len(audit_rows("pii_view"))
        shown, total = queries_complaints.complaint_rows(session, scope_of("ANALYST"), ticket_ids=select(
            HotlineTicket.ticket_id).where(HotlineTicket.subject_uscc == uscc), limit=200)
    assert total > 0 and len(audit_rows("pii_view")) == before, "a read must not write the audit log"
    with as_role(app, "LEADER"):
        pages["enterprise"].layout(uscc=uscc)
    assert len(audit_rows("pii_view")) == before
    with as_role(app, "ANALYST"):
        pages["enterprise"].layout(uscc=uscc)
    views = audit_rows("pii_view")
    assert len(views) == before + 1
    assert views[-1].actor == scope_of("ANALYST").user and views[-1].object_type == "hotline_ticket"
    assert views[-1].detail["count"] == len(shown) and views[-1].detail["fields"] == ["caller_name", "caller_phone",
                                                                                       "content"]


def test_enterprise_flags_an_invalid_uscc_and_reports_unknown_codes(app, pages):
    with db.session_scope() as session:
        session.execute(text("UPDATE dim_subject SET uscc_valid = 0 WHERE subject_id = 1"))
        uscc = session.scalar(select(Subject.uscc).where(Subject.subject_id == 1))
    with as_role(app, "LEADER"):
        assert "校验码未通过" in str(pages["enterprise"].layout(uscc=uscc))
        assert "enterprise-missing" in str(pages["enterprise"].layout(uscc="91410200MA0000000X"))


# ------------------------------------------------------------------------------ credit, unlicensed, catalog


def test_credit_region_filter_and_closed_loop(app, pages):
    with as_role(app, "LEADER"):
        grades, lists, entries, loop, measures, summary, search = pages["credit"].update_panels(["410204"])
        everything = pages["credit"].update_panels([])
    assert search == "?region=410204" and "鼓楼区" in summary
    assert {r["region"] for r in entries.rowData} <= {"鼓楼区"}
    assert len(everything[2].rowData) >= len(entries.rowData)
    assert {t.name[0] for t in grades.data} == {"A", "B", "C", "D"}
    assert all(t.marker.pattern.shape is not None for t in grades.data)
    statuses = {t.name for t in loop.data}
    assert statuses == {"已实施", "已反馈", "未反馈"}
    total = sum(sum(t.x) for t in loop.data)
    assert f"联合奖惩措施 {total} 项" in summary


def test_unlicensed_routing_follows_decree_684(app, pages):
    with db.session_scope() as session:
        other = session.scalar(select(Department.dept_code).where(Department.dept_key == "WJW"))
        lead_id = session.scalar(select(UnlicensedLead.lead_id).where(UnlicensedLead.kind == "无照").limit(1))
        session.execute(UnlicensedLead.__table__.update().where(UnlicensedLead.lead_id == lead_id)
                        .values(resp_dept_code=other))
    with as_role(app, "LEADER"):
        _, _, routing, trend, _, summary, _ = pages["unlicensed"].update_panels([], "all")
    bad = [r for r in table_rows(routing) if r[5].startswith("✗")]  # 类型, 法定查处部门, 实际责任部门, 线索数, …
    assert [(r[0], r[2], int(r[3])) for r in bad] == [("无照", "市卫健委", 1)]
    text_ = "".join(part if isinstance(part, str) else part.children for part in summary)
    assert "分流不符合第六条 1 条" in text_
    assert text_.endswith(f"未销号存量（无论何时发现）{int(trend.data[2].y[-1]):,} 条，即下方趋势图“月末未销号”的最新值")
    assert sum(trend.data[0].y) == count(select(UnlicensedLead.lead_id))


def test_catalog_coverage_and_drill_down(app, pages, scjg):
    with db.session_scope() as session:  # the page reads 认领率/覆盖率 from the indicator mart
        indicators.rebuild(session.connection())
        month = queries_evaluation.indicator_months(session)[-1]
    with as_role(app, "LEADER"):
        chart, coverage, items, summary, search = pages["catalog"].update_panels(scjg, month)
        assert pages["catalog"].click_dept({"points": [{"customdata": scjg}]}, scjg) is None
    row = next(r for r in coverage.rowData if r["dept"] == "市市场监管局")
    subs = count(select(RegItem.item_code).where(RegItem.dept_code == scjg, RegItem.item_level == "SUB"))
    assert row["sub_n"] == subs and len(items.rowData) == count(select(RegItem.item_code)
                                                                .where(RegItem.dept_code == scjg))
    assert search == f"?dept={scjg}&month={month}" and "下钻：市市场监管局" in summary
    assert len(chart.data) == 3


# ------------------------------------------------------------------------------ model cards, guide, home


def test_model_cards_render_only_stored_backtests(app, pages, job_users):
    with as_role(app, "LEADER"):
        assert "暂无回测结果" in str(pages["model_cards"].layout())
    run_at = dt.datetime(2026, 7, 1, 3)
    rows = [("spike", "nab", "nab_standard", 41.5), ("spike", "chicago", "recall", 0.62),
            ("entity", "chicago", "auc", 0.71), ("ComplaintClassifier", "真实留言x", "routed_share@0.80", 0.8),
            ("ComplaintClassifier", "真实留言x", "routed_accuracy@0.80", 0.98)]
    with db.session_scope() as session:
        session.add_all([ModelBacktest(run_id="test-run", model=m, dataset=d, metric=k, value=v, run_at=run_at)
                         for m, d, k, v in rows])
    try:
        with as_role(app, "LEADER"):
            page = str(pages["model_cards"].layout())
        payload, _ = run_job(pages["model_cards"].export, '{"table":"spike","type":"model_cards-csv"}.n_clicks',
                             scope_of("LEADER"), 1, None)
        assert "模型：spike（2 条回测记录）" in page and "模型：entity（1 条回测记录）" in page
        # each lead kind's level and what it stands on, beside the backtests (tables as Markdown text)
        assert "线索等级依据" in page and "| 投诉激增 |" in page and "红色 ≥ 80%" in page
        assert "暂无回测结果" not in page
        # a routing curve is drawn (not listed) under the name of its data, on the model's card in Chinese
        assert "模型：留言分类与分拨（真实留言）（0 条回测记录）" in page and "曲线数据：真实留言x" in page
        assert "routed_share@0" not in page
        # read in Chinese: headers, known metrics named (key kept), values rounded, unknown keys as stored
        assert "| 取值 |" in page and "run_id" not in page
        assert "| 召回率 | 0\\\\.620 |" in page and "| 41\\\\.5 |" in page
        assert "| nab\\\\_standard |" in page and "| 2026\\\\-07\\\\-01 03:00 |" in page
        # the export holds every stored value at full precision, under the page's Chinese headers
        exported = export_frame(payload)
        assert exported["取值"].astype(float).tolist() == [41.5, 0.62]
        assert exported["指标"].tolist() == ["nab_standard", "召回率"] and exported["指标代码"].tolist()[1] == "recall"
        assert all(re.search(r"[\u4e00-\u9fff]", c) for c in exported.columns), list(exported.columns)
    finally:
        with db.session_scope() as session:
            session.execute(delete(ModelBacktest).where(ModelBacktest.run_id == "test-run"))


def test_guide_opens_on_the_readers_role(app, pages):
    with as_role(app, "DEPT_HEAD", "x"):
        guide = pages["guide"].layout()
    accordion = guide.children[-1]
    assert accordion.active_item == "DEPT_HEAD" and accordion.children[0].title == "部门负责人（当前角色）"
    assert {item.item_id for item in accordion.children} == set(ROLES)


def test_home_counts_match_the_warehouse(app, pages):
    with as_role(app, "LEADER"):
        page = pages["home"].layout()
    with db.session_scope() as session:
        as_of = session.scalar(select(func.max(HotlineTicket.accepted_at)))
    start = pd.Timestamp(as_of.date()) - pd.Timedelta(days=29)  # 30 calendar days including the as-of day
    expected = count(select(HotlineTicket.ticket_id).where(HotlineTicket.accepted_at >= start,
                                                         HotlineTicket.accepted_at <= as_of))
    text_ = str(page)
    assert "id='home-kpi-complaints_30d'" in text_ and f"children='{expected:,}'" in text_
    assert "数据截至" in text_ and "环比" in text_
    with as_role(app, "DATA_ADMIN"):
        assert "href='/leads'" not in str(pages["home"].layout())


