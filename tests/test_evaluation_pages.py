"""排名 (what-if) and 本部门 pages: their view functions on the demo warehouse, and the save button's
server-side refusal through the real app (Flask test client, logged-in demo users)."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access import queries_evaluation
from data_access.db import make_engine
from data_access.reference import DEPT_CODE_BY_KEY
from data_access.schema import MonthlyIndicator
from data_access.scope import Scope
from evaluation import indicators, scoring
from security import testing, users
from tests.db_fixtures import app_warehouse

SCJG, CGJ = DEPT_CODE_BY_KEY["SCJG"], DEPT_CODE_BY_KEY["CGJ"]
ANALYST = Scope("analyst", "ANALYST")
HEAD = Scope("dept_scjg", "DEPT_HEAD", SCJG)
SIGN_ONLY = {"hotline_sign_ontime": 1}


@pytest.fixture(scope="module")
def warehouse(demo_db_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("pages") / "w.db"
    shutil.copy(demo_db_path, path)
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        indicators.rebuild(conn)
    users.create_demo_users(engine)
    yield path, engine
    engine.dispose()


@pytest.fixture(scope="module")
def month(warehouse) -> str:
    with Session(warehouse[1]) as session:
        return queries_evaluation.indicator_months(session)[-2]


def test_what_if_reranks_live_without_writing(app, warehouse, month):
    from pages.rankings import ranking_view

    engine = warehouse[1]
    with Session(engine) as session:
        rows_before = session.scalar(select(func.count()).select_from(MonthlyIndicator))
        stored, _, note_stored = ranking_view(session, ANALYST, month, "COUNTY", None)
        what_if, fig, note = ranking_view(session, ANALYST, month, "COUNTY", SIGN_ONLY)
        head, _, _ = ranking_view(session, HEAD, month, "COUNTY", SIGN_ONLY)
        assert session.scalar(select(func.count()).select_from(MonthlyIndicator)) == rows_before
        assert queries_evaluation.stored_weights_text(session) is None
    assert "现行" in note_stored and "模拟" in note
    assert [r["unit_name"] for r in stored] != [r["unit_name"] for r in what_if]  # the order moved
    assert all(r["stored_rank"] is not None for r in what_if)
    assert any(r["what_if_shift"] not in ("—", "") for r in what_if)
    assert head == stored  # a department head's what-if weights are ignored
    assert len(fig.data[0].y) == len([r for r in what_if if r["score"] is not None])


def test_department_view_is_the_heads_own_unit(app, warehouse, month):
    from pages.my_department import bulletin_file, department_view

    with Session(warehouse[1]) as session:
        view = department_view(session, HEAD, None, month)
        with pytest.raises(PermissionError):
            department_view(session, HEAD, CGJ, month)
        leader = department_view(session, Scope("leader", "LEADER"), CGJ, month)
        name, content = bulletin_file(session, HEAD, None, month, "xlsx")
    assert view["name"] == "市市场监管局" and view["unit"] == SCJG
    assert {r["name"] for r in view["indicators"]} >= {"12345按时签收率", "监管事项认领率"}
    assert all(lead["dept_code"] == SCJG for lead in view["leads"])
    assert leader["name"] == "市城管局"
    assert name.endswith("市市场监管局.xlsx") and content[:2] == b"PK"


@pytest.fixture(scope="module")
def app(warehouse):
    from app import create_app

    with app_warehouse(warehouse[0].parent, url=f"sqlite:///{warehouse[0]}"):
        yield create_app()


def _login(app, role: str):
    username, password = next((u, p) for u, r, _d, p in users.DEMO_USERS if r == role)
    client = app.server.test_client()
    assert testing.log_in(client, username, password).status_code == 302
    return client


def _save_request(weights: dict[str, float]) -> dict:
    ids = [{"type": "rankings-weight", "key": k} for k in weights]
    return {
        "output": "rankings-save-result.children", "outputs": {"id": "rankings-save-result", "property": "children"},
        "inputs": [{"id": "rankings-save", "property": "n_clicks", "value": 1}],
        "state": [{"id": "rankings-group", "property": "value", "value": "COUNTY"},
                  [{"id": i, "property": "value", "value": v} for i, v in zip(ids, weights.values(), strict=True)],
                  [{"id": i, "property": "id", "value": i} for i in ids]],
        "changedPropIds": ["rankings-save.n_clicks"],
    }


@pytest.mark.parametrize("role", ["ANALYST", "LEADER"])
def test_save_is_refused_server_side_for_anyone_but_the_system_administrator(app, warehouse, role):
    client = _login(app, role)
    response = client.post("/_dash-update-component", json=_save_request(SIGN_ONLY),
                           headers=testing.csrf_headers(client))
    assert response.status_code == 200, response.text
    assert "未保存" in json.dumps(response.json, ensure_ascii=False)
    with Session(warehouse[1]) as session:
        assert queries_evaluation.stored_weights_text(session) is None


@pytest.mark.parametrize("typed", ["-5", "两", "", "1e9"])
def test_a_bad_weight_is_refused_with_a_message_not_read_as_zero(app, warehouse, typed):
    """The weight boxes are read as typed: -5, words, an empty box or an absurd number are refused and
    nothing is saved (a number box handed the server None for -5, which silently became 0)."""
    client = _login(app, "SYS_ADMIN")
    response = client.post("/_dash-update-component", json=_save_request({**SIGN_ONLY, "hotline_sign_ontime": typed}),
                           headers=testing.csrf_headers(client))
    text = json.dumps(response.json, ensure_ascii=False)
    assert response.status_code == 200 and "未保存" in text and "的权重须为 0–1000 之间的数" in text, text
    with Session(warehouse[1]) as session:
        assert queries_evaluation.stored_weights_text(session) is None


def test_system_administrator_saves_weights_through_the_page(app, warehouse):
    client = _login(app, "SYS_ADMIN")
    page = client.get("/rankings")
    assert page.status_code == 200
    response = client.post("/_dash-update-component", json=_save_request(SIGN_ONLY),
                           headers=testing.csrf_headers(client))
    assert "已保存区县权重" in json.dumps(response.json, ensure_ascii=False), response.text
    with Session(warehouse[1]) as session:
        assert scoring.load_config(session).weights["COUNTY"] == {"hotline_sign_ontime": 1.0}


def test_catalog_page_shows_the_indicator_numbers(app, warehouse, month):
    """/catalog reads 认领率 and 覆盖率 from the mart; recompute both from the warehouse with the library."""
    from pages.catalog import coverage_view, summary_text

    engine = warehouse[1]
    with engine.connect() as conn:
        fresh = indicators.compute(conn, indicators.data_window(conn, [month]), ["item_claim_rate", "item_coverage"])
    fresh = fresh[fresh.unit_group == "DEPARTMENT"].set_index(["indicator_key", "unit_code"])
    with Session(engine) as session:
        view = coverage_view(session, ANALYST, month, SCJG)
        own = coverage_view(session, HEAD, month, None)["coverage"]
    cov = view["coverage"].set_index("dept_code")
    checked = 0
    for key, num, den, rate in (("item_claim_rate", "claimed_n", "listed_n", "claimed_rate"),
                                ("item_coverage", "behaviour_n", "impl_n", "coverage")):
        for dept, row in cov.iterrows():
            if (key, dept) in fresh.index:
                expected = fresh.loc[(key, dept)]
                assert (row[num], row[den]) == (expected["numerator"], expected["denominator"]), (key, dept)
                assert row[rate] == pytest.approx(expected["value"])
                checked += 1
            else:
                assert row[den] == 0 and row[rate] != row[rate], (key, dept)  # no data, not 0 %
    assert checked >= 2 * 10
    cov_fresh = fresh.loc["item_coverage"]
    city = cov_fresh["numerator"].sum() / cov_fresh["denominator"].sum()
    assert f"{indicators.INDICATOR_BY_KEY['item_coverage'].name} {city:.1%}" in summary_text(view["coverage"], month)
    assert view["items"]["dept_code"].eq(SCJG).all() and len(view["items"])
    assert own["dept_code"].tolist() == [SCJG]  # a department head sees their own department only
