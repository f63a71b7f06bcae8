"""Run pipeline steps in order, recording each run."""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, insert, update

from data_access.cache import bump_data_version
from data_access.schema import PipelineRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    name: str
    help: str
    run: Callable[[Connection], int]  # returns rows written
    # Tables the step rewrites whole (delete + insert): on PostgreSQL vacuumed and analysed after the step
    # succeeds, so the next reads do not wade through the old rows' dead tuples until autovacuum comes, if it
    # is on at all.
    rewrites: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepResult:
    step: str
    status: str
    rows_written: int
    seconds: float
    message: str | None = None


def run_steps(engine: Engine, steps: Iterable[Step], progress: Callable[[str], None] = lambda _m: None
              ) -> list[StepResult]:
    results = []
    for step in steps:
        progress(step.name)
        started = dt.datetime.now()
        with engine.begin() as conn:
            run_id = conn.execute(insert(PipelineRun).values(step=step.name, started_at=started, status="running")
                                  .returning(PipelineRun.run_id)).scalar_one()
        try:
            with engine.begin() as conn:
                rows = step.run(conn)
            status, message = "ok", None
        except Exception as exc:  # a failing step must not take the others down
            log.exception("pipeline step %s failed", step.name)
            status, rows, message = "failed", 0, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"
        finished = dt.datetime.now()
        with engine.begin() as conn:
            conn.execute(update(PipelineRun).where(PipelineRun.run_id == run_id).values(
                finished_at=finished, status=status, rows_written=rows, message=message))
            if status == "ok":
                bump_data_version(conn)  # cached read models are now stale
        if status == "ok" and step.rewrites and engine.dialect.name == "postgresql":
            _vacuum(engine, step.rewrites)
        results.append(StepResult(step.name, status, rows, (finished - started).total_seconds(), message))
    return results


def _vacuum(engine: Engine, tables: tuple[str, ...]) -> None:
    """``VACUUM (ANALYZE)`` each table (PostgreSQL; VACUUM runs outside a transaction)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.exec_driver_sql(f'VACUUM (ANALYZE) "{table}"')
