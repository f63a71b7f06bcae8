"""API keys are scoped to kinds of data, and one USCC has one register entry (issue #21.9): crafted pushes
through Flask's test client on the real app, and the CLI."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from data_access import db
from data_access.schema import ApiKey, IngestQuarantine, Subject
from security import api_keys
from security.tokens import token_hash
from tests.db_fixtures import app_warehouse
from tests.test_ingest_api import RECORD
from tests.test_ingest_files import empty_warehouse_path  # noqa: F401 - shared session fixture

SUBJECT = {"uscc": "91410200MA44TEST1X", "name": "开封市某某商贸有限公司", "industry_code": "F", "status": "存续",
           "region_code": "410204", "reg_date": "2015-03-01"}


@pytest.fixture(scope="module")
def served(empty_warehouse_path, tmp_path_factory):  # noqa: F811
    workdir = tmp_path_factory.mktemp("api_scopes")
    with app_warehouse(workdir, empty_warehouse_path, name="api.db"):
        with Session(db.engine()) as session, session.begin():
            keys = {"hotline": api_keys.create(session, "kf12345", actor="test", kinds=["hotline"]),
                    "register": api_keys.create(session, "scjg-register", actor="test"),  # its own kind by default
                    "other": api_keys.create(session, "someone", actor="test")}
            # A key issued before scoping existed: NULL kinds.
            legacy = "bja_legacy-key-for-scoping-test-0000000000000"
            session.execute(insert(ApiKey).values(src_system="oldsys", key_prefix=legacy[:12], key_hash=token_hash(legacy),
                                                  created_at=dt.datetime.now(), created_by="test", kinds=None))
            keys["legacy"] = legacy
        from app import create_app

        app = create_app()
        yield app.server.test_client(), keys


def _push(client, key: str, kind: str, records: list[dict]):  # noqa: ANN001, ANN202
    return client.post(f"/api/v1/ingest/{kind}", json=records, headers={"X-API-Key": key})


@pytest.mark.parametrize(("who", "kind", "status"), [
    ("hotline", "hotline", 200), ("hotline", "entity", 403), ("hotline", "credit", 403), ("hotline", "urban", 403),
    ("register", "entity", 200), ("register", "hotline", 403),
    ("other", "entity", 403), ("other", "credit", 403), ("other", "catalog", 403),
    ("legacy", "entity", 403), ("legacy", "credit", 403),
])
def test_a_key_pushes_only_its_kinds(served, who, kind, status):
    client, keys = served
    records = [dict(RECORD, order_no=f"SCOPE-{who}")] if kind == "hotline" else [SUBJECT] if kind == "entity" else [{}]
    response = _push(client, keys[who], kind, records)
    assert response.status_code == status, response.text
    if status == 403:
        assert "无权" in response.json["error"]


def test_a_second_register_entry_for_one_uscc_is_quarantined(served):
    """The probe's forged entry: another system pushing a different name for an existing USCC."""
    client, keys = served
    assert _push(client, keys["register"], "entity", [SUBJECT]).status_code == 200
    with Session(db.engine()) as session, session.begin():
        forger = api_keys.create(session, "forger", actor="test", kinds=["entity"])
    forged = _push(client, forger, "entity", [dict(SUBJECT, name="伪造的公司名称")])
    assert forged.status_code == 200 and forged.json["quarantined"] == 1, forged.text
    assert "已由来源系统“scjg-register”提交" in forged.json["rejected"][0]["reasons"]
    with db.session_scope() as session:
        names = session.scalars(select(Subject.name).where(Subject.uscc == SUBJECT["uscc"])).all()
        assert names == [SUBJECT["name"]]
        assert session.scalar(select(func.count()).select_from(IngestQuarantine)) >= 1


def test_cli_creates_scoped_keys_and_lists_their_kinds(served):
    from bianjian_cli import cli

    runner = CliRunner()
    made = runner.invoke(cli, ["keys", "create", "kf-urban", "--kinds", "urban,hotline", "--json"])
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["kinds"] == ["hotline", "urban"]
    assert runner.invoke(cli, ["keys", "create", "x", "--kinds", "nonsense"]).exit_code != 0
    listed = [json.loads(line) for line in runner.invoke(cli, ["keys", "list", "--json"]).output.splitlines()]
    by_system = {row["src_system"]: row["kinds"] for row in listed}
    assert by_system["kf-urban"] == ["hotline", "urban"] and by_system["oldsys"] == sorted(
        set(api_keys.default_kinds("oldsys")))
    assert "entity" not in by_system["oldsys"] and "credit" not in by_system["oldsys"]
