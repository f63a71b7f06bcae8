"""The risk-based inspection plan (风险分级检查名单): step ``entity_leads`` stores every live entity's score
and city-wide rank; the top ``inspection_plan_share`` of them is the plan that 企业画像 opens on, scoped to a
department head's own department, and an entity's profile shows its own score and rank."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from flask import g
from sqlalchemy import func, select

import settings
from data_access import db, queries_enterprise
from data_access.schema import Department, EntityRiskScore, Subject
from data_access.scope import Scope
from pipeline.runner import run_steps
from pipeline.steps import STEP_BY_NAME
from risk_models import lead_reads
from security.sessions import Identity
from tests.db_fixtures import app_warehouse

SHARE = float(settings.SETTINGS_BY_NAME["inspection_plan_share"].default)


@pytest.fixture(scope="module")
def app(demo_db_path, tmp_path_factory):
    """The app on a copy of the demo warehouse on which step entity_leads has run."""
    workdir = tmp_path_factory.mktemp("inspection_plan")
    with app_warehouse(workdir, demo_db_path, name="plan.db"):
        from app import create_app

        dash_app = create_app()
        results = run_steps(db.engine(), [STEP_BY_NAME["daily_counts"], STEP_BY_NAME["entity_leads"]])
        assert [r.status for r in results] == ["ok", "ok"], results
        yield dash_app


@pytest.fixture(scope="module")
def scores(app) -> pd.DataFrame:
    with db.session_scope() as session:
        return pd.read_sql(select(EntityRiskScore), session.connection())


@pytest.fixture(scope="module")
def scjg(app) -> str:
    with db.session_scope() as session:
        return session.scalar(select(Department.dept_code).where(Department.dept_key == "SCJG"))


def scope_of(role: str, dept_code: str | None = None) -> Scope:
    return Scope(user=f"test-{role.lower()}", role=role, dept_code=dept_code)


def as_role(app, scope: Scope):
    ctx = app.server.test_request_context("/")
    ctx.push()
    g.bianjian_identity = Identity(session_id=0, scope=scope)
    return ctx


def test_the_step_scores_every_live_entity_once_ranked_by_score(scores):
    with db.session_scope() as session:
        live = session.scalar(select(func.count(func.distinct(Subject.uscc))).where(Subject.status == "存续"))
    assert len(scores) == live and scores["uscc"].is_unique
    ranked = scores.sort_values("rank")
    assert list(ranked["rank"]) == list(range(1, live + 1))
    assert ranked["score"].is_monotonic_decreasing and ranked["score"].between(0, 1).all()
    assert scores["credit_grade"].dropna().isin(list("ABCD")).all() and scores["credit_grade"].notna().any()
    # the supervising department is the one the entity leads go to
    expected = [lead_reads.subject_department(i, bool(f)) for i, f in
                zip(scores["industry_code"], scores["uscc"].map(_food_permits()), strict=True)]
    assert list(scores["dept_code"]) == expected


def _food_permits() -> dict[str, bool]:
    with db.session_scope() as session:
        return dict(session.execute(select(Subject.uscc, Subject.has_food_permit)).all())


def test_a_second_run_replaces_the_scores(app, scores):
    assert run_steps(db.engine(), [STEP_BY_NAME["entity_leads"]])[0].status == "ok"
    with db.session_scope() as session:
        assert session.scalar(select(func.count()).select_from(EntityRiskScore)) == len(scores)


def test_the_plan_is_the_top_share_of_the_city_ranking(app, scores, scjg):
    with db.session_scope() as session:
        plan, meta = queries_enterprise.inspection_plan(session, scope_of("ANALYST"), share=SHARE)
        bigger, meta2 = queries_enterprise.inspection_plan(session, scope_of("LEADER"), share=4 * SHARE)
        mine, _ = queries_enterprise.inspection_plan(session, scope_of("DEPT_HEAD", scjg), share=SHARE)
        county = plan["region_code"].iat[0]
        local, _ = queries_enterprise.inspection_plan(session, scope_of("ANALYST"), share=SHARE, regions=[county])
    size = queries_enterprise.plan_size(len(scores), SHARE)
    assert meta == {"scored": len(scores), "size": size, "as_of": scores["as_of"].max()}
    assert list(plan["rank"]) == list(range(1, size + 1))
    assert set(plan["uscc"]) == set(scores.nsmallest(size, "rank")["uscc"])
    assert meta2["size"] == queries_enterprise.plan_size(len(scores), 4 * SHARE) > size == len(plan)
    # a department head sees the part of the city plan their department supervises, nothing else
    assert set(mine["uscc"]) == set(plan.loc[plan["dept_code"] == scjg, "uscc"]) and len(mine) < len(plan)
    assert set(local["uscc"]) == set(plan.loc[plan["region_code"] == county, "uscc"])
    assert plan["region"].notna().all() and plan["dept"].notna().all() and plan["industry"].notna().all()


def test_plan_size_is_a_share_of_the_register_and_never_empty():
    assert queries_enterprise.plan_size(40_448, 0.01) == 405
    assert queries_enterprise.plan_size(3, 0.01) == 1


def test_subject_risk_reports_rank_and_plan_membership(app, scores):
    first, last = scores.nsmallest(1, "rank").iloc[0], scores.nlargest(1, "rank").iloc[0]
    with db.session_scope() as session:
        top = queries_enterprise.subject_risk(session, first["uscc"], share=SHARE)
        bottom = queries_enterprise.subject_risk(session, last["uscc"], share=SHARE)
        assert queries_enterprise.subject_risk(session, "91410200MA0000000X", share=SHARE) is None
    assert top["rank"] == 1 and top["in_plan"] and top["scored"] == len(scores)
    assert bottom["rank"] == len(scores) and not bottom["in_plan"]


def test_enterprise_opens_on_the_plan_scoped_per_role(app, scores, scjg):
    from pages import enterprise

    ctx = as_role(app, scope_of("ANALYST"))
    try:
        opened = str(enterprise.layout())  # the page draws its first view for the logged-in user's scope
        assert "风险分级检查名单" in opened and "enterprise-plan-region" in opened
        assert "enterprise-plan-region" not in str(enterprise.layout(uscc=scores["uscc"].iat[0]))  # a profile
        view = enterprise.show_plan(None)
    finally:
        ctx.pop()
    rows = view.children[1].rowData
    size = queries_enterprise.plan_size(len(scores), SHARE)
    assert len(rows) == size and f"共 {size:,} 家" in view.children[0].children
    top = scores.nsmallest(1, "rank").iloc[0]
    assert rows[0]["name"] == f"[{top['name']}](/enterprise/{top['uscc']})"  # the name opens the profile
    assert rows[0]["score_pct"] == f"{top['score']:.0%}"
    ctx = as_role(app, scope_of("DEPT_HEAD", scjg))
    try:
        mine = enterprise.show_plan(None)
        with db.session_scope() as session:
            exported, filename = enterprise.export_table(session, scope_of("DEPT_HEAD", scjg), "plan", None)
    finally:
        ctx.pop()
    assert 0 < len(mine.children[1].rowData) < size and "本部门监管的主体" in mine.children[0].children
    assert filename == "风险分级检查名单" and len(exported) == len(mine.children[1].rowData)
    assert set(exported["监管部门"]) == {"市市场监管局"} and exported["下次检查发现问题概率"].between(0, 1).all()


def test_the_profile_shows_the_entity_risk(app, scores):
    from pages import enterprise

    top = scores.nsmallest(1, "rank").iloc[0]
    ctx = as_role(app, scope_of("ANALYST"))
    try:
        page = str(enterprise.layout(uscc=top["uscc"]))
    finally:
        ctx.pop()
    assert f"下次检查发现问题概率 {top['score']:.0%}" in page and f"全市在营主体第 1 / {len(scores):,} 位" in page
    assert "列入风险分级检查名单" in page


def test_before_the_first_scoring_the_page_says_so(demo_db_path, tmp_path, monkeypatch):
    shutil.copy(demo_db_path, tmp_path / "fresh.db")
    monkeypatch.setenv("BIANJIAN_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    db.reset()
    try:
        from pages import enterprise

        df, summary = enterprise.plan_view(scope_of("ANALYST"), [])
        assert df.empty and "尚未运行主体风险评分" in summary
    finally:
        db.reset()
