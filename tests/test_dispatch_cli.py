"""``bianjian leads`` through click's CliRunner on a private copy of the demo warehouse, plus the
provincial import step and export formats."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from bianjian_cli import cli
from data_access.reference import DEPT_CODE_BY_KEY
from data_access.schema import ProvincialLead, RiskLead, RiskLeadEvent
from tests.db_fixtures import app_warehouse


@pytest.fixture
def runner(demo_engine_copy, tmp_path):
    with app_warehouse(tmp_path, url=str(demo_engine_copy.url)):
        yield CliRunner()


def test_list_json_and_filters(runner):
    result = runner.invoke(cli, ["leads", "list", "--status", "已办结", "--dept", "SCJG", "--json", "--limit", "5"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert 0 < len(rows) <= 5
    assert all(r["status"] == "已办结" and r["dept_code"] == DEPT_CODE_BY_KEY["SCJG"] for r in rows)
    assert {"lead_id", "status", "level", "dept_name", "deadline", "deadline_state"} <= set(rows[0])
    bad = runner.invoke(cli, ["leads", "list", "--status", "完成"])
    assert bad.exit_code == 2 and "unknown status" in bad.output
    assert "unknown department key" in runner.invoke(cli, ["leads", "list", "--dept", "NOPE"]).output


def test_transition_and_refusal(runner, demo_engine_copy):
    runner.invoke(cli, ["leads", "import-provincial"])
    with Session(demo_engine_copy) as s:
        lead_id = s.scalar(select(RiskLead.lead_id).where(RiskLead.status == "待研判").limit(1))
    ok = runner.invoke(cli, ["leads", "transition", str(lead_id), "转办", "--actor", "王磊", "--dept", "SCJG",
                             "--co-dept", "WJW", "--note", "请核查"])
    assert ok.exit_code == 0, ok.output
    assert f"{lead_id}\t已转办" in ok.output
    refused = runner.invoke(cli, ["leads", "transition", str(lead_id), "签收", "--actor", "王磊"])
    assert refused.exit_code == 1 and "分析员无权执行“签收”" in refused.output
    signed = runner.invoke(cli, ["leads", "transition", str(lead_id), "sign", "--actor", "赵科长", "--role",
                                 "DEPT_HEAD", "--actor-dept", "SCJG"])
    assert signed.exit_code == 0, signed.output
    assert runner.invoke(cli, ["leads", "transition", str(lead_id), "sign", "--actor", "x", "--role",
                               "DEPT_HEAD"]).exit_code == 2
    with Session(demo_engine_copy) as s:
        actors = s.scalars(select(RiskLeadEvent.actor).where(RiskLeadEvent.lead_id == lead_id)
                           .order_by(RiskLeadEvent.event_id)).all()
    assert actors == ["王磊", "赵科长"]


def test_provincial_import_is_deduplicated(runner, demo_engine_copy):
    with Session(demo_engine_copy) as s:
        open_n = len(s.scalars(select(ProvincialLead.lead_no).where(ProvincialLead.status.not_in(("已反馈", "已办结"))))
                     .all())
    first = runner.invoke(cli, ["leads", "import-provincial"])
    again = runner.invoke(cli, ["leads", "import-provincial"])
    assert first.output.strip() == f"{open_n} provincial leads imported" and open_n > 0
    assert again.output.strip() == "0 provincial leads imported"
    from pipeline.steps import STEP_BY_NAME

    with demo_engine_copy.begin() as conn:
        assert STEP_BY_NAME["provincial_leads"].run(conn) == 0
    with Session(demo_engine_copy) as s:
        lead = s.scalars(select(RiskLead).where(RiskLead.kind == "provincial")).first()
    assert lead.status == "待研判" and lead.lead_key.startswith("provincial:HN")
    assert lead.evidence["complaints"][0]["order_no"] == lead.lead_key.split(":", 1)[1]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export(runner, tmp_path, fmt):
    out = tmp_path / f"leads.{fmt}"
    result = runner.invoke(cli, ["leads", "export", "--format", fmt, "--out", str(out), "--since", "2026-06-01"])
    assert result.exit_code == 0, result.output
    if fmt == "json":
        records = json.loads(out.read_text(encoding="utf-8"))
    else:
        with out.open(encoding="utf-8-sig") as fh:
            records = list(csv.DictReader(fh))
    assert records and f"{len(records)} leads" in result.output
    assert all(r["dispatched_at"] for r in records)
    assert any(r["feedback_result"] for r in records)
    assert all(max(r["dispatched_at"] or "", r["feedback_at"] or "", r["closed_at"] or "") >= "2026-06-01"
               for r in records)
