"""The pipeline as ``bianjian pipeline`` and the worker's scheduled task run it: under the warehouse's
pipeline lock (``ops.pipeline_lock``), first closing the runs a crash left open."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import Engine

from ops.pipeline_lock import mark_interrupted, pipeline_lock
from pipeline.runner import Step, StepResult, run_steps


def run_pipeline(engine: Engine, steps: Iterable[Step],
                 progress: Callable[[str], None] = lambda _m: None) -> list[StepResult]:
    """Run steps under the pipeline lock, first closing runs a crash left open; raises
    ``ops.pipeline_lock.PipelineBusy`` when another run holds the lock."""
    with pipeline_lock(engine):
        mark_interrupted(engine)
        return run_steps(engine, steps, progress=progress)
