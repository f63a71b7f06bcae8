"""Production mode: gunicorn workers sharing the Redis cache, the Celery worker running pipeline tasks
over a Redis broker, the beat schedule, and the background-callback manager chosen by configuration."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

import dash
import psutil
import pytest
import redis
from sqlalchemy import select

from data_access.schema import PipelineRun
from pipeline.steps import STEP_BY_NAME
from tests.browser import _wait_until_up, demo_login, free_port
from tests.conftest import REPO_ROOT, require_or_skip

CACHE_DB = "redis://127.0.0.1:6379/14"
BROKER_DB = "redis://127.0.0.1:6379/13"
WALL_ROUTE = {"output": ".._pages_content.children..._pages_store.data..",
              "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
              "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/wall"},
                         {"id": "_pages_location", "property": "search", "value": ""}],
              "changedPropIds": ["_pages_location.pathname"], "state": []}


@pytest.fixture
def redis_server() -> redis.Redis:
    client = redis.Redis.from_url(CACHE_DB, socket_timeout=2)
    try:
        client.ping()
        available, reason = True, ""
    except redis.RedisError as exc:
        available, reason = False, f"Redis not reachable at 127.0.0.1:6379: {exc}"
    require_or_skip(available, reason)
    return client


def _env(engine, tmp_path, **extra: str) -> dict[str, str]:
    return {**os.environ, "BIANJIAN_DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "BIANJIAN_VAR_DIR": str(tmp_path / "var"), **extra}


def _log_in(base: str, username: str, password: str) -> tuple[urllib.request.OpenerDirector, Callable[[], str]]:
    """A logged-in opener, and a function giving the CSRF token dash-renderer would send."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token,
                                   "next": "/wall"}).encode()
    opener.open(base + "/login", data=data)
    return opener, lambda: next(c.value for c in jar if c.name == "_csrf_token")


def test_serve_prod_runs_gunicorn_workers_on_the_shared_redis_cache(demo_engine_copy, tmp_path, redis_server):
    username, password = demo_login(demo_engine_copy, "LEADER")
    before = len(redis_server.keys("bj:*"))
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "bianjian_cli", "serve", "--prod", "--workers", "2",
                                 "--port", str(port)], cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                env=_env(demo_engine_copy, tmp_path, BIANJIAN_CACHE_URL=CACHE_DB))
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base + "/login", proc, 300, log_path)
        master = psutil.Process(proc.pid)
        assert "gunicorn" in " ".join(master.cmdline())
        assert len(master.children()) == 2
        opener, csrf = _log_in(base, username, password)
        for _ in range(6):  # Dash Pages' routing callback renders the wall, every panel server-side
            request = urllib.request.Request(base + "/_dash-update-component", data=json.dumps(WALL_ROUTE).encode(),
                                             headers={"Content-Type": "application/json", "X-CSRFToken": csrf()})
            assert "wall-canvas" in opener.open(request).read().decode()
        assert len(redis_server.keys("bj:*")) > before  # the wall's panels went to the shared cache
        with contextlib.suppress(urllib.error.HTTPError):  # a wall URL: its token must not reach the access log
            urllib.request.urlopen(base + "/wall?kiosk=bjk_secret-token-in-url&screen=2")
        workers = {str(c.pid) for c in master.children()}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    served_by = set(re.findall(r'pid=<(\d+)> "POST /_dash-update-component', log_path.read_text()))  # flushed at exit
    assert served_by and served_by <= workers
    assert '"GET /wall HTTP/1.1" 403' in log_path.read_text() and "bjk_secret" not in log_path.read_text()


def test_worker_runs_pipeline_tasks_from_the_redis_broker(demo_engine_copy, tmp_path, redis_server, monkeypatch):
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen([sys.executable, "-m", "bianjian_cli", "worker", "--concurrency", "1"],
                                  cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                  env=_env(demo_engine_copy, tmp_path, BIANJIAN_BROKER_URL=BROKER_DB))
    try:
        monkeypatch.setenv("BIANJIAN_BROKER_URL", BROKER_DB)
        from ops.celery_app import make_celery

        result = make_celery().send_task("ops.tasks.run_pipeline", args=[["daily_counts"]])
        steps = result.get(timeout=400)
        assert [(s["step"], s["status"]) for s in steps] == [("daily_counts", "ok")], log_path.read_text()
        with demo_engine_copy.connect() as conn:
            assert conn.execute(select(PipelineRun.status).where(PipelineRun.step == "daily_counts")).scalar() == "ok"
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=120)


def test_gunicorn_master_preloads_only_installed_libraries_the_app_imports():
    """What the master imports before forking (ops/gunicorn_conf.py) must be libraries a worker would import
    anyway (an entry the app stopped using only costs memory), and never our own code (a HUP must load it anew)."""
    code = ("import importlib.util, sys; from app import create_app; create_app()\n"
            "from ops.gunicorn_conf import PRELOADED_LIBRARIES as P\n"
            "print([m for m in P if m not in sys.modules or 'site-packages' not in importlib.util.find_spec(m).origin])")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"


def test_worker_refuses_to_start_without_a_broker(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("BIANJIAN_BROKER_URL", "BIANJIAN_CACHE_URL")}
    proc = subprocess.run([sys.executable, "-m", "bianjian_cli", "worker"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and "no broker" in proc.stderr


def test_beat_schedule_runs_the_full_pipeline_nightly_and_light_steps_hourly(monkeypatch):
    from ops.celery_app import beat_schedule

    monkeypatch.setenv("BIANJIAN_PIPELINE_NIGHTLY_AT", "03:15")
    schedule = beat_schedule()
    nightly, hourly = schedule["nightly-full-pipeline"], schedule["hourly-light-steps"]
    assert nightly["schedule"].hour == {3} and nightly["schedule"].minute == {15} and "args" not in nightly
    assert len(hourly["schedule"].hour) == 24 and all(s in STEP_BY_NAME for s in hourly["args"][0])
    monkeypatch.setenv("BIANJIAN_PIPELINE_HOURLY_STEPS", "")
    assert list(beat_schedule()) == ["nightly-full-pipeline", "daily-due-reports"]


def test_background_callbacks_use_celery_only_when_a_broker_is_configured(monkeypatch, tmp_path):
    from ops import background

    monkeypatch.setenv("BIANJIAN_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("BIANJIAN_BROKER_URL", raising=False)
    monkeypatch.delenv("BIANJIAN_CACHE_URL", raising=False)
    assert isinstance(background.manager(), dash.DiskcacheManager)
    monkeypatch.setenv("BIANJIAN_CACHE_URL", CACHE_DB)
    assert isinstance(background.manager(), dash.CeleryManager)

