"""POST /api/v1/ingest/KIND through Flask's test client on the real app: API-key authentication (security's
request guard), the batch outcome, and clear 4xx answers for bad requests."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access import db
from data_access.schema import HotlineTicket, IngestQuarantine
from security import api_keys
from tests.db_fixtures import app_warehouse
from tests.test_ingest_files import empty_warehouse_path  # noqa: F401 - shared session fixture

RECORD = {"order_no": "API0001", "accepted_at": "2025-02-01 08:00:00", "channel": "网站", "appeal_type": "投诉",
          "category_code": "供水服务", "title": "停水", "content": "小区停水两天无通知。", "region_code": "410204",
          "handle_mode": "TRANSFER", "main_dept_code": "开封市供水总公司", "status": "待签收"}


@pytest.fixture(scope="module")
def served(empty_warehouse_path, tmp_path_factory):  # noqa: F811
    workdir = tmp_path_factory.mktemp("ingest_api")
    with app_warehouse(workdir, empty_warehouse_path, name="api.db"):
        with Session(db.engine()) as session, session.begin():
            key = api_keys.create(session, "kf12345", actor="test")
        from app import create_app

        app = create_app()
        yield app.server.test_client(), key


def _tickets() -> int:
    with db.session_scope() as session:
        return session.scalar(select(func.count()).select_from(HotlineTicket))


def test_without_or_with_a_wrong_key_nothing_loads(served):
    client, _key = served
    assert client.post("/api/v1/ingest/hotline", json=[RECORD]).status_code == 401
    wrong = client.post("/api/v1/ingest/hotline", json=[RECORD], headers={"X-API-Key": "bja_not-a-key"})
    assert wrong.status_code == 401
    assert _tickets() == 0


def test_valid_key_loads_with_the_keys_source_system(served):
    client, key = served
    bad = dict(RECORD, order_no="API0002", appeal_type="吐槽")
    spoofed = dict(RECORD, order_no="API0003", src_system="someone-else")
    response = client.post("/api/v1/ingest/hotline", json=[RECORD, bad, spoofed],
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    body = response.json
    assert {k: body[k] for k in ("received", "inserted", "updated", "unchanged", "quarantined")} == {
        "received": 3, "inserted": 2, "updated": 0, "unchanged": 0, "quarantined": 1}
    assert body["rejected"] == [{"index": 1, "reasons": "诉求类型: “吐槽”不在代码表中（可选：咨询、求助、投诉、举报、建议、表扬、其他）"}]
    with db.session_scope() as session:
        systems = set(session.scalars(select(HotlineTicket.src_system)))
        origin = session.scalar(select(IngestQuarantine.source_file))
    assert systems == {"kf12345"} and origin.startswith("api:kf12345@")
    again = client.post("/api/v1/ingest/hotline", json=[RECORD], headers={"X-API-Key": key}).json
    assert (again["unchanged"], again["inserted"]) == (1, 0)


def test_dry_run_keeps_nothing(served):
    client, key = served
    before = _tickets()
    body = client.post("/api/v1/ingest/hotline?dry_run=1", json=[dict(RECORD, order_no="API0100")],
                       headers={"X-API-Key": key}).json
    assert body["inserted"] == 1 and body["dry_run"] is True
    assert _tickets() == before


@pytest.mark.parametrize(("path", "payload", "status", "fragment"), [
    ("/api/v1/ingest/weather", [RECORD], 404, "unknown kind"),
    ("/api/v1/ingest/hotline", {"order_no": "x"}, 400, "JSON array"),
    ("/api/v1/ingest/hotline", [{"title": "只有标题"}], 422, "missing required columns"),
])
def test_bad_requests_get_clear_errors(served, path, payload, status, fragment):
    client, key = served
    response = client.post(path, json=payload, headers={"X-API-Key": key})
    assert response.status_code == status
    assert fragment in response.json["error"]


def test_too_many_records_are_refused(served, monkeypatch):
    client, key = served
    monkeypatch.setenv("BIANJIAN_INGEST_API_MAX_RECORDS", "2")
    response = client.post("/api/v1/ingest/hotline", json=[RECORD] * 3, headers={"X-API-Key": key})
    assert response.status_code == 413
