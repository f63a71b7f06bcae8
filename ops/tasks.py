"""Celery tasks. Each returns plain data (step results as dicts) so any result backend can store it."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from ops.celery_app import celery


@celery.task(name="ops.tasks.run_pipeline")
def run_pipeline(step_names: list[str] | None = None) -> list[dict]:
    """Run the pipeline (all steps, or these) under the pipeline lock; see ops.pipeline_run."""
    from data_access import db
    from ops.pipeline_run import run_pipeline as run_locked
    from pipeline.steps import STEP_BY_NAME, STEPS

    steps = [STEP_BY_NAME[name] for name in step_names] if step_names else list(STEPS)
    return [asdict(r) for r in run_locked(db.engine(), steps)]


@celery.task(name="ops.tasks.write_due_reports")
def write_due_reports(as_of: str | None = None) -> list[str]:
    """The reports due on ``as_of`` (ISO date, default today) written under VAR_DIR/reports: the 月通报 on
    the 1st, the 周检查 on Mondays (evaluation.reports.scheduled_reports)."""
    import settings
    from evaluation import reports

    day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    return [str(p) for p in reports.write_due_reports(day, settings.var_dir() / "reports")]
