"""The lead pages' layouts and callbacks, called as functions inside a request whose identity is set the
way security's request guard sets it (``flask.g.bianjian_identity``), on a copy of the demo warehouse;
and the leads table's server-side paging over 100k leads."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import dash
import pandas as pd
import pytest
from dash._callback_context import context_value
from dash._utils import AttributeDict
from flask import g
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from data_access import db, queries_leads, warehouse
from data_access.bulk import insert_frame
from data_access.reference import DEPT_CODE_BY_KEY
from data_access.schema import RiskLead
from data_access.scope import Scope
from security.sessions import Identity
from tests.db_fixtures import app_warehouse

SCJG = DEPT_CODE_BY_KEY["SCJG"]


@pytest.fixture(scope="module")
def dash_app():
    from app import create_app

    return create_app()


@pytest.fixture
def warehouse_copy(demo_engine_copy, tmp_path):
    with app_warehouse(tmp_path, url=str(demo_engine_copy.url)):
        yield demo_engine_copy


@contextmanager
def acting_as(dash_app, scope: Scope, triggered: dict | None = None):
    with dash_app.server.test_request_context("/"):
        g.bianjian_identity = Identity(session_id=0, scope=scope)
        token = None
        if triggered is not None:
            import json

            prop = json.dumps(triggered, separators=(",", ":"), sort_keys=True) + ".n_clicks"
            token = context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop, "value": 1}]))
        try:
            yield
        finally:
            if token is not None:
                context_value.reset(token)


def test_leads_grid_dispatch_and_refusal(dash_app, warehouse_copy):
    from pages import leads

    analyst = Scope("研判员", "ANALYST")
    with acting_as(dash_app, analyst):
        response = leads.load_rows({"startRow": 0, "endRow": 50, "sortModel": [{"colId": "score", "sort": "desc"}],
                                    "filterModel": {}}, ["待研判"], None)
        rows = response["rowData"]
        assert rows and all(r["status"] == "待研判" for r in rows) and response["rowCount"] >= len(rows)
        assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
        form = leads.show_selected([rows[0]])
    assert _buttons(form) == {"dispatch", "dismiss"}
    with acting_as(dash_app, analyst, {"type": "lead-form-act", "form": "leads", "action": "dispatch"}):
        message, panel, refresh = leads.act([1], *_submit_args(form, dept=SCJG, co_depts=[DEPT_CODE_BY_KEY["WJW"]],
                                                               note="请核查"), 0)
    assert "已转办" in str(message) and refresh == 1
    assert "状态：已转办" in str(panel) and _buttons(panel) == {"escalate"}
    # the form as it was before (now stale): refused with the optimistic-locking message, panel reloaded
    with acting_as(dash_app, analyst, {"type": "lead-form-act", "form": "leads", "action": "dismiss"}):
        message, panel, refresh = leads.act([1], *_submit_args(form, note="重复"), 1)
    assert "该线索已被他人更新，请刷新后重试" in str(message) and "状态：已转办" in str(panel)


def test_queue_comes_in_triage_order(dash_app, warehouse_copy):
    """Unsorted, the queue shows the most severe level first (红>橙>黄>蓝), then the highest score, then the
    oldest; sorting 等级 follows severity, not the code's alphabet."""
    from pages import leads

    rank = {lv: i for i, lv in enumerate(("RED", "ORANGE", "YELLOW", "BLUE"))}
    with acting_as(dash_app, Scope("研判员", "ANALYST")):
        rows = leads.load_rows({"startRow": 0, "endRow": 500, "sortModel": [], "filterModel": {}}, None, None)["rowData"]
        by_level = leads.load_rows({"startRow": 0, "endRow": 500, "sortModel": [{"colId": "level", "sort": "desc"}],
                                    "filterModel": {}}, None, None)["rowData"]
    keys = [(rank[r["level"]], -r["score"], r["created_at"]) for r in rows]
    assert len({r["level"] for r in rows}) > 1 and keys == sorted(keys)
    assert [rank[r["level"]] for r in by_level] == sorted((rank[r["level"]] for r in by_level), reverse=True)


def test_department_head_grid_is_scoped(dash_app, warehouse_copy):
    from pages import leads

    with acting_as(dash_app, Scope("科长", "DEPT_HEAD", SCJG)):
        response = leads.load_rows({"startRow": 0, "endRow": 500, "sortModel": [], "filterModel": {}}, None, None)
    assert response["rowData"] and {r["dept_code"] for r in response["rowData"]} == {SCJG}


def _find(component, kind: str) -> list:
    """Every component in a layout tree whose pattern-matching id has ``type == kind``."""
    found, stack = [], [component]
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(node)
            continue
        if getattr(node, "id", None) and isinstance(node.id, dict) and node.id.get("type") == kind:
            found.append(node)
        children = getattr(node, "children", None)
        if children is not None and not isinstance(children, str):
            stack.append(children)
    return found


def _submit_args(form, **typed) -> tuple:
    """The action callback's state for ``form`` (a ui.lead_form tree) with ``typed`` values filled in."""
    from ui import inputs, lead_form

    texts = _find(form, inputs.TEXT)
    fields = _find(form, lead_form.FIELD)
    return ([c.data for c in _find(form, lead_form.LEAD)],
            [typed.get(c.id["name"]) for c in texts], [c.id for c in texts],
            [typed.get(c.id["name"], getattr(c, "value", None)) for c in fields], [c.id for c in fields])


def _buttons(form) -> set[str]:
    from ui import lead_form

    return {b.id["action"] for b in _find(form, lead_form.ACT)}


def test_inbox_form_follows_the_lead_through_sign_start_feedback(dash_app, warehouse_copy):
    """After each action the form is drawn again from the database: new status, buttons and version, so
    the next click is accepted (the old form kept the stale version and answered 该线索已被他人更新)."""
    from pages import inbox

    with Session(warehouse_copy) as s, s.begin():
        from dispatch.lifecycle import transition

        lead_id = s.scalar(select(RiskLead.lead_id).where(RiskLead.status == "待研判").limit(1))
        transition(s, lead_id, "dispatch", Scope("a", "ANALYST"), dept_code=SCJG)
    head = Scope("科长", "DEPT_HEAD", SCJG)
    with acting_as(dash_app, head):
        assert f"/leads/{lead_id}" in str(inbox.layout())
    with acting_as(dash_app, head, {"type": "inbox-open", "lead": lead_id}):
        form, _message, _opened = inbox.open_lead([1])
    assert _buttons(form) == {"sign", "return"}
    steps = (("sign", {}, "已签收", {"start", "request_extension", "return"}),
             ("start", {}, "核查中", {"feedback", "request_extension", "return"}),
             ("request_extension", {"note": "需调取监控", "days": "5"}, "核查中", {"feedback", "return"}),
             ("feedback", {"result": "属实", "measures": ["责令整改"], "note": "已责令整改",
                           "attachments": "整改通知书.pdf\n"}, "已反馈", set()))
    for action, typed, status, buttons in steps:
        with acting_as(dash_app, head, {"type": "lead-form-act", "form": "inbox", "action": action}):
            message, form, cards = inbox.act([1], *_submit_args(form, **typed))
        assert f"当前状态：{status}" in str(message) and "success" in str(message), message
        assert f"状态：{status}" in str(form) and _buttons(form) == buttons
        assert f"/leads/{lead_id}" in str(cards)
    with Session(warehouse_copy) as s:
        lead = s.get(RiskLead, lead_id)
    assert (lead.feedback_result, lead.feedback_attachments, lead.extension_request_days) == \
        ("属实", ["整改通知书.pdf"], 5)
    assert _find(form, "lead-form-lead")[0].data["version"] == lead.version


@pytest.mark.parametrize(("typed", "refusal"), [
    ({"note": "x", "days": "-5"}, "延期天数须为 1–30 之间的整数"),
    ({"note": "x", "days": "两天"}, "延期天数须为 1–30 之间的整数"),
    ({"note": "x" * 30_000, "days": "3"}, "核查情况 / 理由最多1000个字"),
    ({"days": "3"}, "须填写理由"),
])
def test_inbox_refuses_bad_input_and_keeps_the_form(dash_app, warehouse_copy, typed, refusal):
    """Bad days and over-long text (as a crafted request would send them, past the box's maxLength) are
    refused with a Chinese message, nothing is written and the form is left as typed."""
    from pages import inbox

    with Session(warehouse_copy) as s, s.begin():
        from dispatch.lifecycle import transition

        lead_id = s.scalar(select(RiskLead.lead_id).where(RiskLead.status == "待研判").limit(1))
        transition(s, lead_id, "dispatch", Scope("a", "ANALYST"), dept_code=SCJG)
        for action in ("sign", "start"):
            transition(s, lead_id, action, Scope("科长", "DEPT_HEAD", SCJG))
        version = s.get(RiskLead, lead_id).version
    head = Scope("科长", "DEPT_HEAD", SCJG)
    with acting_as(dash_app, head, {"type": "inbox-open", "lead": lead_id}):
        form, _message, _opened = inbox.open_lead([1])
    with acting_as(dash_app, head, {"type": "lead-form-act", "form": "inbox", "action": "request_extension"}):
        message, kept, cards = inbox.act([1], *_submit_args(form, **typed))
    assert refusal in str(message) and "danger" in str(message), message
    assert kept is dash.no_update and cards is dash.no_update
    with Session(warehouse_copy) as s:
        lead = s.get(RiskLead, lead_id)
    assert (lead.version, lead.extension_request_days) == (version, None)


def test_analyst_dispatches_and_closes_from_the_lead_page(dash_app, warehouse_copy):
    """The lead page offers the analyst's actions for the state; 转办 to the chosen department redraws the
    header, the form (now only 督办) and the timeline; a department head sees no analyst action."""
    from pages import lead_detail

    analyst = Scope("研判员", "ANALYST")
    with Session(warehouse_copy) as s:
        lead_id = s.scalar(select(RiskLead.lead_id).where(RiskLead.status == "待研判").limit(1))
    with acting_as(dash_app, analyst):
        page = lead_detail.layout(lead_id=str(lead_id))
    form = _find(page, "lead-form-lead")[0]
    assert _buttons(page) == {"dispatch", "dismiss"} and form.data["lead_id"] == lead_id
    assert "生成" in str(_find_id(page, "lead-detail-created"))
    cgj = DEPT_CODE_BY_KEY["CGJ"]
    with acting_as(dash_app, analyst, {"type": "lead-form-act", "form": "lead-detail", "action": "dispatch"}):
        message, form, header, _parts, timeline = lead_detail.act([1], *_submit_args(page, dept=cgj, note="请核查"))
    assert f"线索 #{lead_id} 已转办" in str(message) and _buttons(form) == {"escalate"}
    assert "市城管局" in str(header) and "请核查" in str(timeline)
    with acting_as(dash_app, Scope("科长", "DEPT_HEAD", cgj)):
        assert _buttons(lead_detail.layout(lead_id=str(lead_id))) == {"sign", "return"}
    with Session(warehouse_copy) as s:
        assert (s.get(RiskLead, lead_id).status, s.get(RiskLead, lead_id).dept_code) == ("已转办", cgj)


def _find_id(component, component_id: str):
    stack = [component]
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(node)
            continue
        if getattr(node, "id", None) == component_id:
            return node
        children = getattr(node, "children", None)
        if children is not None and not isinstance(children, str):
            stack.append(children)
    return None


def test_lead_detail_renders_evidence_and_timeline(dash_app, warehouse_copy):
    from pages import lead_detail

    with Session(warehouse_copy) as s:
        lead = s.scalars(select(RiskLead).where(RiskLead.kind == "history", RiskLead.status == "已办结")).first()
    with acting_as(dash_app, Scope("领导", "LEADER")):
        page = str(lead_detail.layout(lead_id=str(lead.lead_id)))
        assert "lead-detail-series" in page and "lead-detail-timeline" in page and "办结" in page
        assert "lead-detail-missing" in str(lead_detail.layout(lead_id="abc"))
    other = "114102000000000999"
    with acting_as(dash_app, Scope("科长", "DEPT_HEAD", other)):
        assert "不存在或无权查看" in str(lead_detail.layout(lead_id=str(lead.lead_id)))
    figure = lead_detail.series_figure({"day": ["2025-01-01", "2025-01-02"], "n": [3, 9], "lower": [1, 1],
                                        "upper": [4, 4], "expected": [2, 2]})
    assert [t.name for t in figure.data] == ["预测上限", "预测区间", "预测值", "实际诉求量"]


def test_a_silent_source_lead_shows_the_feeds_last_loads(dash_app, warehouse_copy):
    """数据中断: the evidence is the feed's own load history (the cadence it kept until it stopped); the link to
    数据质量 shows only to roles that may open that page."""
    from pages import lead_detail
    from risk_models.lead_writer import LeadWriter
    from risk_models.rules import SilentSourceRule

    now = dt.datetime(2026, 7, 3, 9, 0)  # the demo ends 06-30; its provincial feed stopped 6 nights before
    with warehouse_copy.begin() as conn:
        signals = SilentSourceRule().signals(conn, now)
        LeadWriter().write(conn, signals, now=now)
    provincial = next(sig for sig in signals if sig.key.startswith("silent_source:provincial:"))
    loads = provincial.evidence["loads"]
    assert len(loads) == 10 and loads == sorted(loads, key=lambda b: b["started_at"], reverse=True)
    assert loads[0]["started_at"] == provincial.evidence["signal"]["last_load_at"][:16].replace("T", " ")
    assert all(b["status"] == "ok" and b["received"] >= b["quarantined"] >= 0 for b in loads)
    with Session(warehouse_copy) as s:
        lead_id = s.scalar(select(RiskLead.lead_id).where(RiskLead.lead_key == provincial.key))
    with acting_as(dash_app, Scope("领导", "LEADER")):
        page = str(lead_detail.layout(lead_id=str(lead_id)))
    assert "lead-detail-loads" in page and "该线索没有附带证据" not in page and "/data-quality" in page
    with acting_as(dash_app, Scope("分析员", "ANALYST")):
        page = str(lead_detail.layout(lead_id=str(lead_id)))
    assert "lead-detail-loads" in page and "/data-quality" not in page  # 数据质量 is not an analyst's page


def test_joint_page_by_department(dash_app, warehouse_copy):
    from pages import joint

    head = Scope("科长", "DEPT_HEAD", SCJG)
    with acting_as(dash_app, head):
        table, rows = joint.update(None, None)
    assert rows and {r["dept_code"] for r in rows} == {SCJG}
    with acting_as(dash_app, Scope("a", "ANALYST")):
        _table, all_rows = joint.update(None, None)
        _table, open_rows = joint.update(None, "进行中")
    assert len({r["dept_code"] for r in all_rows}) > 1
    assert open_rows and {r["status"] for r in open_rows} == {"进行中"}


def test_leads_table_stays_fast_over_100k_leads(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'big.db'}")
    warehouse.init(engine)
    n = 120_000
    depts = [DEPT_CODE_BY_KEY[k] for k in ("SCJG", "CGJ", "RSJ", "ZJJ", "WJW")]
    t0 = dt.datetime(2025, 1, 1)
    frame = pd.DataFrame({
        "lead_id": range(1, n + 1), "lead_key": [f"big:{i}" for i in range(n)], "kind": "spike",
        "level": [("RED", "ORANGE", "YELLOW", "BLUE")[i % 4] for i in range(n)],
        "score": [(i * 7919 % 1000) / 1000 for i in range(n)], "title": [f"线索{i}" for i in range(n)],
        "reason": "r", "evidence": [{}] * n, "region_code": "410204", "dept_code": [depts[i % 5] for i in range(n)],
        "status": [("待研判", "已转办", "已办结")[i % 3] for i in range(n)],
        "created_at": [t0 + dt.timedelta(minutes=i) for i in range(n)],
        "updated_at": [t0 + dt.timedelta(minutes=i) for i in range(n)], "version": 1, "extension_days": 0,
        "return_count": 0,
    })
    with engine.begin() as conn:
        insert_frame(conn, "derived_risk_lead", frame)
    as_of = dt.datetime(2025, 6, 1)
    requests = [
        {"statuses": ["待研判"], "start": 0, "end": 100},  # the analyst's default: triage order, no index
        {"sort_model": [{"colId": "level", "sort": "asc"}], "start": 50_000, "end": 50_100},
        {"sort_model": [{"colId": "score", "sort": "desc"}], "start": 0, "end": 100},
        {"sort_model": [{"colId": "created_at", "sort": "asc"}], "start": 100_000, "end": 100_100},
        {"filter_model": {"title": {"filterType": "text", "type": "contains", "filter": "线索9999"}}},
        {"filter_model": {"score": {"filterType": "number", "type": "greaterThan", "filter": 0.9}},
         "statuses": ["待研判"], "sort_model": [{"colId": "deadline", "sort": "asc"}]},
    ]
    # Fast over any number of leads because a block is paged in SQL (its rows' query carries LIMIT/OFFSET and
    # reads the block, not the table) whatever the sort and filter; the time itself is bench/'s to measure.
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, statement, *_a: statements.append(statement))
    with Session(engine) as session:
        for scope in (Scope("a", "ANALYST"), Scope("h", "DEPT_HEAD", SCJG)):
            for req in requests:
                statements.clear()
                rows, total = queries_leads.lead_page(session, scope, as_of=as_of, **req)
                assert any("LIMIT" in s and "OFFSET" in s for s in statements), (req, statements)
                assert len(rows) <= req.get("end", 100) - req.get("start", 0)
                assert total >= len(rows) and (scope.all_departments or {r["dept_code"] for r in rows} <= {SCJG})
        rows, total = queries_leads.lead_page(session, Scope("a", "ANALYST"), as_of=as_of,
                                              filter_model={"title": {"filterType": "text", "type": "equals",
                                                                      "filter": "线索99999"}})
        assert total == 1 and rows[0]["title"] == "线索99999"
        with pytest.raises(ValueError, match="unknown column"):
            queries_leads.lead_page(session, Scope("a", "ANALYST"), as_of=as_of, sort_model=[{"colId": "password"}])
    engine.dispose()


def test_a_merged_entity_lead_lists_each_signal_without_a_level_of_its_own():
    """One lead merges the signals on one entity; each part keeps the level it was raised at (uncalibrated 黄),
    so the card lists reasons only and the lead's one calibrated level stays the only level on the page."""
    from pages import lead_detail

    evidence = {"signals": {"entity": {"level": "YELLOW", "reason": "近30天被投诉5次"},
                            "repeat": {"level": "YELLOW", "reason": "近30日相关诉求5件"}}}
    card = lead_detail._evidence(evidence, "ANALYST")
    text = str(card)
    assert "同一主体的全部线索依据" in text and "近30天被投诉5次" in text and "近30日相关诉求5件" in text
    assert "（黄）" not in text


def test_the_lead_page_states_its_levels_basis_and_a_level_set_before_todays_calibration(dash_app, warehouse_copy):
    """Under the header, one line: what the level stands on and the rule; a lead dispatched at a level today's
    calibration would not give says that its level was set at triage and no longer moves."""
    from pages import lead_detail

    at = dt.datetime(2026, 6, 1, 9)
    with Session(warehouse_copy) as s, s.begin():
        lead = RiskLead(lead_key="spike:test:basis", kind="spike", level="RED", score=0.9, title="测试激增",
                        reason="测试", evidence={}, region_code="410204", dept_code=DEPT_CODE_BY_KEY["SCJG"],
                        status="核查中", created_at=at, updated_at=at, version=1)
        s.add(lead)
        s.flush()
        lead_id = lead.lead_id
    with acting_as(dash_app, Scope("研判员", "ANALYST")):
        page = lead_detail.layout(lead_id=str(lead_id))
    basis = _find_id(page, "lead-detail-level-basis").children
    assert basis.startswith("等级依据：") and "红" in str(_find_id(page, "lead-detail-header"))
    assert "。本线索的红色是研判、转办时所定，此后不再变动（按当前校准为" in basis
