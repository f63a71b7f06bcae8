"""One pipeline at a time per warehouse, and the runs a crash left 'running' closed as 'interrupted'.

A ``kill -9`` or a power cut leaves its step's row in ``app_pipeline_run`` at 'running' (the step's own
transaction is rolled back by the database, so no half-written rows remain). Runs take an exclusive
lock (a PostgreSQL advisory lock, or an flock beside the SQLite file), which the operating system or the
server drops when the holder dies; so whoever holds the lock knows every 'running' row is a dead run.
"""

from __future__ import annotations

import datetime as dt
import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, select, text, update

from data_access.schema import PipelineRun

ADVISORY_LOCK_KEY = 20_201_045  # any constant shared by every Bianjian process on one PostgreSQL database


class PipelineBusy(RuntimeError):
    """Another pipeline run holds the lock on this warehouse."""


@contextmanager
def pipeline_lock(engine: Engine) -> Iterator[None]:
    """Hold the warehouse's pipeline lock for the block; raise PipelineBusy if someone else holds it."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            if not conn.execute(select(text(f"pg_try_advisory_lock({ADVISORY_LOCK_KEY})"))).scalar():
                raise PipelineBusy("another pipeline run is in progress on this database")
            conn.commit()
            try:
                yield
            finally:
                conn.execute(select(text(f"pg_advisory_unlock({ADVISORY_LOCK_KEY})")))
                conn.commit()
        return
    path = Path(engine.url.database or "memory").with_suffix(".pipeline.lock")
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise PipelineBusy("another pipeline run is in progress on this database") from exc
        yield


def mark_interrupted(engine: Engine) -> int:
    """Close runs left 'running' by a dead process. Call only while holding the pipeline lock."""
    with engine.begin() as conn:
        return conn.execute(update(PipelineRun).where(PipelineRun.status == "running").values(
            status="interrupted", finished_at=dt.datetime.now(),
            message="进程中断（未正常结束），本步骤的写入已回滚，下次运行会重新执行")).rowcount
