"""The pipeline runner: every run recorded; a failing step rolls back alone, keeps previous results,
is logged with its error, and does not stop independent later steps."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import Connection, func, select, text

from data_access import cache
from data_access.schema import DailyComplaintCount, PipelineRun, Setting
from pipeline.runner import Step, run_steps
from pipeline.steps import daily_counts


def _broken(conn: Connection) -> int:
    conn.execute(text("DELETE FROM agg_daily_complaints"))  # would lose results if it were not rolled back
    raise RuntimeError("model file corrupt")


def test_failed_step_keeps_previous_results_and_later_steps_run(demo_engine_copy):
    first = run_steps(demo_engine_copy, [Step("daily_counts", "", daily_counts)])
    assert first[0].status == "ok" and first[0].rows_written > 0
    with demo_engine_copy.connect() as conn:
        before = conn.execute(select(func.count()).select_from(DailyComplaintCount)).scalar_one()
        version_before = conn.execute(select(Setting.value).where(Setting.key == cache.DATA_VERSION_KEY)).scalar()

    results = run_steps(demo_engine_copy, [Step("broken", "", _broken), Step("daily_counts", "", daily_counts)])
    assert [r.status for r in results] == ["failed", "ok"]
    assert "model file corrupt" in results[0].message
    with demo_engine_copy.connect() as conn:
        assert conn.execute(select(func.count()).select_from(DailyComplaintCount)).scalar_one() == before
        runs = conn.execute(select(PipelineRun.step, PipelineRun.status).order_by(PipelineRun.run_id)).all()
        version_after = conn.execute(select(Setting.value).where(Setting.key == cache.DATA_VERSION_KEY)).scalar()
    assert runs[-2:] == [("broken", "failed"), ("daily_counts", "ok")]
    assert version_after != version_before


def test_daily_counts_sum_to_the_tickets(demo_engine_copy):
    run_steps(demo_engine_copy, [Step("daily_counts", "", daily_counts)])
    with demo_engine_copy.connect() as conn:
        total = conn.execute(text("SELECT SUM(n) FROM agg_daily_complaints")).scalar_one()
        tickets = conn.execute(text("SELECT COUNT(*) FROM fact_hotline_ticket")).scalar_one()
    assert total == tickets


def test_cli_reports_unknown_steps(monkeypatch, demo_db_path):
    from bianjian_cli import cli

    monkeypatch.setenv("BIANJIAN_DATABASE_URL", f"sqlite:///{demo_db_path}")
    result = CliRunner().invoke(cli, ["pipeline", "--step", "no_such_step"])
    assert result.exit_code == 2
    assert "unknown step" in result.output


@pytest.mark.parametrize("args", [["--list"]])
def test_cli_lists_steps(args):
    from bianjian_cli import cli
    from pipeline.steps import STEPS

    result = CliRunner().invoke(cli, ["pipeline", *args])
    assert result.exit_code == 0
    assert all(step.name in result.output for step in STEPS)


def test_cli_refuses_a_warehouse_whose_schema_is_behind_the_code(monkeypatch, tmp_path):
    from bianjian_cli import cli
    from data_access import db, migrate
    from data_access.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate.upgrade(engine, "0001")  # a warehouse created before the feature branches' migrations
    missing = migrate.missing_revisions(engine)
    assert missing and "0001" not in missing
    monkeypatch.setenv("BIANJIAN_DATABASE_URL", str(engine.url))
    db.reset()
    result = CliRunner().invoke(cli, ["pipeline", "--step", "daily_counts"])
    assert result.exit_code == 1
    assert "bianjian init" in result.output and missing[-1] in result.output
    migrate.upgrade(engine)
    assert migrate.missing_revisions(engine) == []
    result = CliRunner().invoke(cli, ["pipeline", "--step", "daily_counts"])
    assert result.exit_code == 0, result.output
    db.reset()
    engine.dispose()


def test_every_step_has_a_chinese_name():
    """数据质量 and the audit log name pipeline steps in Chinese (codes.PIPELINE_STEP_NAMES), never by key."""
    from data_access import codes
    from pipeline.steps import STEPS

    assert {s.name for s in STEPS} <= set(codes.PIPELINE_STEP_NAMES)
