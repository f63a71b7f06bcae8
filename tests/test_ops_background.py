"""Background callbacks: the monthly bulletin on 本部门 is generated outside the web request, by a
diskcache-managed process locally and by a real Celery worker over Redis in production, and the job works
for the user whose request started it (taken from the server-side session, never from the browser)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from selenium.webdriver.common.by import By

from data_access.db import make_engine
from security import users
from tests.browser import demo_login, downloading_browser, live_server, log_in, prepared_warehouse
from tests.conftest import REPO_ROOT, require_or_skip

BROKER_DB = "redis://127.0.0.1:6379/12"
CELERY_ENV = {"BIANJIAN_BROKER_URL": BROKER_DB, "BIANJIAN_CACHE_URL": BROKER_DB}


@pytest.fixture(scope="module")
def warehouse(demo_db_path, tmp_path_factory) -> str:
    workdir = tmp_path_factory.mktemp("background")
    return prepared_warehouse(demo_db_path, workdir / "background.db", steps=("indicators",))


def _download_bulletin(base_url: str, warehouse: str, workdir: Path) -> Path:
    """Log in as the demo department head, click 下载本单位月通报 on 本部门 and return the file received."""
    engine = make_engine(warehouse)
    username, password = demo_login(engine, "DEPT_HEAD")
    engine.dispose()
    with downloading_browser(workdir) as (browser, downloads):
        log_in(browser, base_url, username, password)
        browser.get(base_url + "/my-department")
        browser.wait_until(lambda d: "市市场监管局" in d.find_element(By.ID, "my-dept-summary").text, "no summary", 60)
        button = browser.find_element(By.ID, "my-dept-download-button")
        button.click()
        browser.wait_until(lambda _d: not button.is_enabled() and button.text == "正在生成…",
                           "the button did not show the running state", 30)
        browser.wait_until(lambda _d: [p for p in downloads.iterdir() if p.suffix == ".pdf"],
                           "no bulletin downloaded", 240)
        browser.wait_until(lambda _d: button.is_enabled() and button.text == "下载本单位月通报",
                           "the button did not come back", 30)
        assert browser.find_element(By.ID, "my-dept-download-status").text == ""
        assert browser.console_errors() == []
        assert browser.off_host_requests() == []
    (pdf,) = [p for p in downloads.iterdir() if p.suffix == ".pdf"]
    return pdf


def _is_bulletin_of_own_unit(pdf: Path) -> bool:
    return pdf.name.startswith("月通报-") and pdf.name.endswith("-市市场监管局.pdf") and pdf.read_bytes()[:5] == b"%PDF-"


@pytest.mark.browser
def test_bulletin_is_generated_by_a_local_background_process(warehouse, tmp_path):
    with live_server(warehouse, tmp_path / "var") as base_url:
        pdf = _download_bulletin(base_url, warehouse, tmp_path)
    assert _is_bulletin_of_own_unit(pdf)
    assert (tmp_path / "var" / "background" / "cache.db").exists()  # the DiskcacheManager's job store


@contextmanager
def celery_worker(warehouse: str, workdir: Path, env: dict[str, str] | None = None) -> Iterator[Path]:
    """A real ``bianjian worker`` on the test broker (Redis db 12) over ``warehouse``; yields its log file.
    Skipped outside CI when Redis is absent. Servers started inside must get ``CELERY_ENV``."""
    try:
        redis.Redis.from_url(BROKER_DB, socket_timeout=2).ping()
        available, reason = True, ""
    except redis.RedisError as exc:
        available, reason = False, f"Redis not reachable at 127.0.0.1:6379: {exc}"
    require_or_skip(available, reason)
    log_path = workdir / "worker.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen([sys.executable, "-m", "bianjian_cli", "worker", "--concurrency", "1"],
                                  cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                  env={**os.environ, "BIANJIAN_DATABASE_URL": warehouse,
                                       "BIANJIAN_VAR_DIR": str(workdir / "worker-var"), **CELERY_ENV, **(env or {})})
    try:
        deadline = time.monotonic() + 240
        while "ready." not in log_path.read_text(errors="replace"):
            assert worker.poll() is None and time.monotonic() < deadline, log_path.read_text(errors="replace")
            time.sleep(0.5)
        yield log_path
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=120)


@pytest.mark.browser
def test_bulletin_is_generated_by_the_celery_worker_over_redis(warehouse, tmp_path):
    with celery_worker(warehouse, tmp_path) as log_path, \
            live_server(warehouse, tmp_path / "var", env=CELERY_ENV) as base_url:
        pdf = _download_bulletin(base_url, warehouse, tmp_path)
    assert _is_bulletin_of_own_unit(pdf)
    worker_log = log_path.read_text(errors="replace")
    assert "background_callback_" in worker_log and "succeeded" in worker_log, worker_log
    assert not (tmp_path / "var" / "background").exists()  # nothing ran in the web server's own processes


def test_a_job_works_only_for_the_user_who_started_it_as_they_still_are(warehouse):
    """job_scope takes the scope the request side resolved from the session (Dash hands the callback context
    to the job) and re-reads the user: a scope wider than the user's, or of a user disabled since, is refused."""
    from dash._callback import context_value
    from dash._utils import AttributeDict
    from sqlalchemy.orm import Session

    from ops import background

    engine = make_engine(warehouse)
    with Session(engine) as session, session.begin():
        head = users.add_user(session, "bg-head", "DEPT_HEAD", "Bg-Head-Pass-123", actor="test", dept_key="SCJG")
        own = {"user": head.username, "role": "DEPT_HEAD", "dept_code": head.dept_code}

    def scope_of_job(custom_data: dict):  # noqa: ANN202
        token = context_value.set(AttributeDict(custom_data=custom_data))  # what Dash sets in the job process
        try:
            with Session(engine) as session:
                return background.job_scope(session)
        finally:
            context_value.reset(token)

    assert own["dept_code"] and scope_of_job({background.SCOPE_NAMESPACE: own}).dept_code == own["dept_code"]
    for forged in ({**own, "dept_code": "X" * 18}, {**own, "role": "LEADER", "dept_code": None}):
        with pytest.raises(PermissionError):
            scope_of_job({background.SCOPE_NAMESPACE: forged})
    with pytest.raises(PermissionError):
        scope_of_job({})  # a request without a login never reaches a callback; a job without one gets nothing
    with Session(engine) as session, session.begin():
        users.disable_user(session, "bg-head", actor="test")
    with pytest.raises(PermissionError):
        scope_of_job({background.SCOPE_NAMESPACE: own})
    engine.dispose()


def test_a_job_result_is_keyed_by_who_asked(tmp_path, monkeypatch):
    """Dash keys results by callback source and arguments only: two users clicking with equal inputs
    would otherwise read one file. The key also carries the requesting session and scope."""
    from flask import Flask, g

    from data_access.scope import Scope
    from ops import background
    from security.sessions import Identity

    monkeypatch.setenv("BIANJIAN_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("BIANJIAN_BROKER_URL", raising=False)
    monkeypatch.setenv("BIANJIAN_CACHE_URL", "")
    manager = background.manager()
    server = Flask(__name__)
    analyst, leader = Scope("a", "ANALYST", None), Scope("b", "LEADER", None)

    def key(identity: Identity | None, args: list) -> str:
        with server.test_request_context("/"):
            g.bianjian_identity = identity
            return manager.build_cache_key(test_a_job_result_is_keyed_by_who_asked, args, [], [])

    same_inputs = [1, None, "all"]
    assert key(Identity(1, analyst), same_inputs) == key(Identity(1, analyst), same_inputs)
    keys = {key(Identity(1, analyst), same_inputs), key(Identity(2, analyst), same_inputs),
            key(Identity(3, leader), same_inputs), key(None, same_inputs), key(Identity(1, analyst), [2, None, "all"])}
    assert len(keys) == 5
