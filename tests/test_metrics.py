"""The metrics layer: declarations are complete, docs/metrics.md is generated from them, ``bianjian metrics``
prints them, and figures that used to disagree across surfaces now agree or carry different labels."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

import metrics
from bianjian_cli import cli
from data_access import codes, queries_unlicensed
from data_access.reference import DEPT_CODE_BY_KEY
from data_access.schema import PipelineRun, RiskLead
from data_access.scope import SYSTEM, Scope
from metrics.core import CLOCKS, GOOD_DIRECTIONS
from metrics.declarations import SURFACE_NAMES, overview
from metrics.docs import markdown
from tests.conftest import REPO_ROOT
from tests.db_fixtures import app_warehouse

SCJG = DEPT_CODE_BY_KEY["SCJG"]


def test_docs_are_generated_from_the_declarations():
    doc = (REPO_ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert doc == markdown(), "regenerate with `bianjian metrics --doc > docs/metrics.md`"
    for m in metrics.METRICS:
        assert f"| `{m.name}` | {m.label} |" in doc


def test_every_declaration_is_complete():
    names = [m.name for m in metrics.METRICS]
    assert len(names) == len(set(names))
    for m in metrics.METRICS:
        assert m.label and m.definition.endswith("。") and m.window and m.scope, m.name
        assert m.clock in CLOCKS and m.good in GOOD_DIRECTIONS and set(m.surfaces) <= set(SURFACE_NAMES), m.name
    with pytest.raises(KeyError, match="undeclared metric"):
        metrics.get("no_such_metric")


def test_readme_documents_the_command():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "bianjian metrics --json" in readme and "docs/metrics.md" in readme


@pytest.fixture(scope="module")
def prepared_url(demo_db_path, tmp_path_factory) -> str:
    """The demo warehouse with its indicators (rankings) computed; read-only for these tests."""
    from tests.browser import prepared_warehouse

    return prepared_warehouse(demo_db_path, tmp_path_factory.mktemp("metrics") / "metrics.db")


@pytest.fixture
def runner(prepared_url, tmp_path):
    with app_warehouse(tmp_path, url=prepared_url):
        yield CliRunner()


def _rows(runner, *args: str) -> dict[str, dict]:
    result = runner.invoke(cli, ["metrics", "--json", *args])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert all({"name", "label", "definition", "value", "window", "as_of"} <= set(r) for r in rows)
    return {r["name"]: r for r in rows}


def test_cli_prints_every_metric_of_the_role(runner):
    system = _rows(runner)
    assert set(system) == {m.name for m in metrics.METRICS if "SYS_ADMIN" in m.roles}
    head = _rows(runner, "--role", "DEPT_HEAD", "--dept", "SCJG")
    assert {"inbox_items", "own_unit_rank", "own_unit_status"} <= set(head)
    assert head["leads_unclosed"]["value"] <= system["leads_unclosed"]["value"]
    assert runner.invoke(cli, ["metrics", "--role", "DEPT_HEAD"]).exit_code == 2
    assert "unknown department" in runner.invoke(cli, ["metrics", "--role", "DEPT_HEAD", "--dept", "NOPE"]).output
    text = runner.invoke(cli, ["metrics"])
    assert text.exit_code == 0 and "全部在办风险线索" in text.output


def test_as_of_pins_the_windows(runner):
    pinned = _rows(runner, "--as-of", "2026-05-31")
    assert pinned["complaints_30d"]["as_of"].startswith("2026-05-31")
    assert pinned["ranking_month"]["value"] == "2026-04"  # the last month complete on 2026-05-31
    later = _rows(runner, "--as-of", "2026-06-30")
    assert later["ranking_month"]["value"] == "2026-05"
    assert pinned["complaints_30d"]["value"] != later["complaints_30d"]["value"]


def test_open_lead_figures_add_up_and_are_labelled_apart(demo_engine_copy):
    with Session(demo_engine_copy) as session:
        ctx = metrics.context(session, SYSTEM)
        levels = sum(metrics.value(f"leads_unclosed_{lv.lower()}", ctx) for lv in codes.LEAD_LEVELS)
        assert metrics.value("leads_unclosed", ctx) == levels
        # the overview's cards add up: 待研判 + 处置中 + 待办结 = 全部在办 (退回 returns a lead to 待研判 at once)
        parts = ("leads_triage", "leads_handling", "leads_awaiting_close")
        assert sum(metrics.value(n, ctx) for n in parts) == metrics.value("leads_unclosed", ctx)
        labels = {metrics.get(n).label for n in (*parts, "leads_unclosed", "inbox_items")}
        assert len(labels) == 5


def test_new_leads_include_the_ones_the_pipeline_created_today(demo_engine_copy):
    """The 30-day window of new leads ends at the clock, not at the 12345 data's as-of time."""
    with Session(demo_engine_copy) as session, session.begin():
        before = metrics.value("leads_new_30d", metrics.context(session, SYSTEM))
        now = dt.datetime.now()
        session.execute(insert(RiskLead).values(lead_key="test:today", kind="repeat", level="YELLOW", score=0.5,
                                                title="今日生成的线索", reason="测试", evidence={}, status="待研判",
                                                created_at=now, updated_at=now, version=1))
        assert metrics.value("leads_new_30d", metrics.context(session, SYSTEM)) == before + 1
        session.rollback()


def test_new_leads_are_compared_only_with_a_period_the_pipeline_covered(demo_engine_copy):
    """The pipeline's first run creates the backlog of every open signal at once; against the weeks before it,
    when leads were only imported or entered by hand, a fresh demo read +1,612 %."""
    from metrics.declarations import overview_previous

    with Session(demo_engine_copy) as session, session.begin():
        session.execute(delete(PipelineRun))
        ctx = metrics.context(session, SYSTEM)
        assert overview_previous(ctx, "leads") is None  # never ran
        session.execute(insert(PipelineRun).values(step="rule_leads", started_at=ctx.now - dt.timedelta(days=3),
                                                   finished_at=ctx.now - dt.timedelta(days=3), status="ok"))
        assert overview_previous(ctx, "leads") is None  # first ran inside the current window
        assert overview_previous(ctx, "complaints") == overview(ctx, "complaints", 1)  # orders are always comparable
        session.execute(insert(PipelineRun).values(step="rule_leads", started_at=ctx.now - dt.timedelta(days=90),
                                                   finished_at=ctx.now - dt.timedelta(days=90), status="ok"))
        assert overview_previous(ctx, "leads") == overview(ctx, "leads", 1)
        session.rollback()


def test_sparkline_sums_to_the_figure(demo_engine_copy):
    from metrics.declarations import overview_daily

    with Session(demo_engine_copy) as session:
        ctx = metrics.context(session, Scope("h", "DEPT_HEAD", SCJG))
        for key, name in (("complaints", "complaints_30d"), ("inspections", "inspections_30d")):
            daily = overview_daily(ctx, key)
            assert len(daily) == 30 and int(daily.sum()) == metrics.value(name, ctx)


def test_unlicensed_stock_is_where_the_trend_ends(demo_engine_copy):
    with Session(demo_engine_copy) as session:
        ctx = metrics.context(session, SYSTEM)
        trend = queries_unlicensed.unlicensed_trend(session, SYSTEM)
        assert metrics.value("unlicensed_open_stock", ctx) == int(trend["open_end"].iloc[-1])
        assert metrics.value("unlicensed_found_year_open", ctx) <= metrics.value("unlicensed_open_stock", ctx)


def test_own_unit_figures_come_from_the_ranking(prepared_url):
    from data_access.db import make_engine

    engine = make_engine(prepared_url)
    with Session(engine) as session:
        ctx = metrics.context(session, Scope("h", "DEPT_HEAD", SCJG))
        ranking = {u["unit_code"]: u for u in metrics.value("department_ranking", ctx)}
        assert ranking[SCJG]["rank"] == metrics.value("own_unit_rank", ctx)
        assert ranking[SCJG]["score"] == metrics.value("own_unit_score", ctx)
        assert ranking[SCJG]["status"] == metrics.value("own_unit_status", ctx)
    engine.dispose()
