"""The Celery application: pipeline tasks, the beat schedule, and the broker of Dash background callbacks.

``bianjian worker`` runs it; ``--beat`` also runs the schedule (nightly full pipeline, hourly light steps).
"""

from __future__ import annotations

from celery import Celery
from celery.schedules import crontab

import settings
from data_access.clock import use_warehouse_time
from data_access.codes import TIMEZONE

use_warehouse_time()  # a worker started by `celery -A ops.celery_app` directly, not through `bianjian`


def broker_url() -> str | None:
    """The broker: BIANJIAN_BROKER_URL, else the Redis cache server, else none (no Celery locally)."""
    url = settings.get("broker_url") or settings.get("cache_url")
    return url if url.startswith(("redis://", "rediss://")) else None


def beat_schedule() -> dict:
    hour, minute = (int(part) for part in settings.get("pipeline_nightly_at").split(":"))
    schedule = {"nightly-full-pipeline": {"task": "ops.tasks.run_pipeline",
                                          "schedule": crontab(hour=hour, minute=minute)}}
    hour, minute = (int(part) for part in settings.get("reports_daily_at").split(":"))
    schedule["daily-due-reports"] = {"task": "ops.tasks.write_due_reports", "schedule": crontab(hour=hour, minute=minute)}
    hourly = [s for s in settings.get("pipeline_hourly_steps").split(",") if s.strip()]
    if hourly:
        schedule["hourly-light-steps"] = {"task": "ops.tasks.run_pipeline", "schedule": crontab(minute=5),
                                          "args": ([s.strip() for s in hourly],)}
    return schedule


def make_celery() -> Celery:
    url = broker_url() or "redis://127.0.0.1:6379/0"
    app = Celery("bianjian", broker=url, backend=url, include=["ops.tasks"])
    app.conf.update(
        timezone=TIMEZONE,
        beat_schedule=beat_schedule(),
        task_acks_late=True,  # a worker killed mid-task gives the task back to the broker
        worker_prefetch_multiplier=1,  # pipeline tasks are long; do not hoard them
        broker_connection_retry_on_startup=True,
        result_expires=24 * 3600,
        # JSON only, stated rather than left to the default: a pickled message from whoever can write the
        # broker (Redis, shared with the cache) would run code in the worker.
        task_serializer="json", result_serializer="json", accept_content=["json"], result_accept_content=["json"],
    )
    return app


celery = make_celery()
