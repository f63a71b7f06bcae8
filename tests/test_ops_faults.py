"""Faults, one test each: the database going away and coming back, a failing pipeline step, and a pipeline
killed with SIGKILL in the middle of a step."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import Connection, delete, func, select
from sqlalchemy.exc import OperationalError

from data_access import cache, db, warehouse
from data_access.db import make_engine
from data_access.schema import Base, DailyComplaintCount, PipelineRun
from data_access.scope import Scope
from ops import outage
from ops.health import HEALTH_PATH
from ops.pipeline_lock import PipelineBusy, pipeline_lock
from ops.pipeline_run import run_pipeline
from pipeline.runner import Step
from pipeline.steps import STEP_BY_NAME
from tests.conftest import REPO_ROOT
from tests.db_fixtures import postgres_database


class TcpProxy:
    """A TCP relay from a local port to PostgreSQL. ``stop()`` refuses new connections and cuts the open
    ones, as a crashed or unreachable database server does; ``start()`` brings it back on the same port."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone would not
        self._listener.close()
        for sock in self._open:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.fixture(scope="module")
def dash_app(tmp_path_factory):
    """One app for the module; each test points the process at its own warehouse through the environment."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BIANJIAN_VAR_DIR", str(tmp_path_factory.mktemp("var")))
        from app import create_app

        yield create_app()


@pytest.fixture
def warehouse_env(monkeypatch, tmp_path):
    def use(url: str) -> None:
        monkeypatch.setenv("BIANJIAN_DATABASE_URL", url)
        monkeypatch.setenv("BIANJIAN_VAR_DIR", str(tmp_path))
        db.reset()
        cache.reset()
        outage._probe.clear()

    yield use
    db.reset()
    cache.reset()
    outage._probe.clear()


@contextmanager
def _warehouse_behind_proxy(warehouse_env):
    """A fresh PostgreSQL warehouse, reached through a :class:`TcpProxy`, as the app's warehouse; yields the
    proxy and a demo LEADER's (username, password)."""
    from tests.browser import demo_login

    with postgres_database() as direct_url:
        proxy = TcpProxy(5432)
        proxy.start()
        url = direct_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        engine = make_engine(url)
        warehouse.init(engine)
        username, password = demo_login(engine, "LEADER")
        engine.dispose()
        warehouse_env(url)
        yield proxy, username, password
        db.reset()


def test_database_down_shows_banner_and_cached_data_then_recovers(dash_app, warehouse_env):
    from pages import wall
    from security import testing

    leader = Scope("leader", "LEADER")
    with _warehouse_behind_proxy(warehouse_env) as (proxy, username, password):
        client, stranger = dash_app.server.test_client(), dash_app.server.test_client()
        assert testing.log_in(client, username, password).status_code == 302
        assert testing.log_in(stranger, username, password).status_code == 302  # logged in, no page opened yet
        assert client.get("/wall", headers={"Accept": "text/html"}).status_code == 200
        rendered = _route(client, "/wall")
        assert rendered.status_code == 200 and "wall-canvas" in rendered.get_data(as_text=True)
        shown = wall.kpi_values(leader), wall.county_risk(leader)
        assert outage.database_reachable()
        assert "display" in dash_app.layout().children[1].children[0].style  # banner hidden

        proxy.stop()
        outage._probe.clear()
        cache.reset()  # forget the remembered data version: the next call must ask the database
        assert not outage.database_reachable()
        assert (wall.kpi_values(leader), wall.county_risk(leader).to_dict()) == (shown[0], shown[1].to_dict())
        with pytest.raises(OperationalError):
            wall.county_risk(Scope("analyst", "ANALYST"))  # never cached: nothing to fall back on, the error stays
        health = client.get(HEALTH_PATH)
        assert health.status_code == 503 and health.json["message"] == outage.DB_DOWN_MESSAGE
        # A new page load of a recently seen session opens the wall with the cached panels and the banner.
        page = client.get("/wall", headers={"Accept": "text/html"})
        assert page.status_code == 200
        rendered = _route(client, "/wall")
        assert rendered.status_code == 200 and "wall-canvas" in rendered.get_data(as_text=True)
        assert dash_app.layout().children[1].children[0].style == {}  # banner shown on any page load
        # A session the server has not resolved recently cannot be authorised: the outage page.
        page = stranger.get("/wall", headers={"Accept": "text/html"})
        assert page.status_code == 503 and outage.DB_DOWN_MESSAGE in page.get_data(as_text=True)

        proxy.start()
        outage._probe.clear()
        deadline = time.monotonic() + 30
        while client.get(HEALTH_PATH).status_code != 200:  # the pool reconnects by itself
            assert time.monotonic() < deadline, "the app did not recover after the database came back"
            time.sleep(0.5)
        assert client.get("/wall").status_code == 200
        wall.county_risk(Scope("analyst", "ANALYST"))  # computed again from the database

        # Disabling the user counts as soon as the database is back, and in the next outage too.
        from security import users

        with db.session_scope() as session:
            users.disable_user(session, username, actor="test")
        assert client.get("/wall", headers={"Accept": "text/html"}).status_code == 302
        _cut(proxy)
        assert client.get("/wall", headers={"Accept": "text/html"}).status_code == 503


def test_a_remembered_session_lasts_no_longer_than_its_ttl(dash_app, warehouse_env, monkeypatch):
    from security import testing

    with _warehouse_behind_proxy(warehouse_env) as (proxy, username, password):
        monkeypatch.setenv("BIANJIAN_OUTAGE_SESSION_SECONDS", "2")
        client = dash_app.server.test_client()
        assert testing.log_in(client, username, password).status_code == 302
        assert client.get("/", headers={"Accept": "text/html"}).status_code == 200
        _cut(proxy)
        assert client.get("/", headers={"Accept": "text/html"}).status_code == 200
        time.sleep(2.5)
        outage._probe.clear()
        page = client.get("/", headers={"Accept": "text/html"})
        assert page.status_code == 503 and outage.DB_DOWN_MESSAGE in page.get_data(as_text=True)


def _cut(proxy: TcpProxy) -> None:
    """Take the database away and make the app notice at once."""
    proxy.stop()
    outage._probe.clear()
    cache.reset()
    db.engine().dispose()


def _route(client, path: str):
    """Dash Pages' routing callback for ``path``, as dash-renderer posts it on a page load."""
    body = {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    from security import testing

    return client.post("/_dash-update-component", json=body, headers=testing.csrf_headers(client))


def _failing_daily_counts(conn: Connection) -> int:
    """A step that breaks half-way: it has already emptied its table when it fails."""
    conn.execute(delete(DailyComplaintCount))
    raise RuntimeError("source table locked by the ETL vendor")


def test_failing_step_keeps_previous_results_and_shows_on_data_quality_page(dash_app, demo_engine_copy,
                                                                            warehouse_env):
    from pages import data_quality

    run_pipeline(demo_engine_copy, [STEP_BY_NAME["daily_counts"]])
    with demo_engine_copy.connect() as conn:
        before = conn.execute(select(func.count()).select_from(DailyComplaintCount)).scalar_one()
    assert before > 0

    results = run_pipeline(demo_engine_copy, [Step("daily_counts", "broken", _failing_daily_counts)])
    assert results[0].status == "failed" and "locked by the ETL vendor" in results[0].message
    with demo_engine_copy.connect() as conn:
        assert conn.execute(select(func.count()).select_from(DailyComplaintCount)).scalar_one() == before
        last = conn.execute(select(PipelineRun.status).order_by(PipelineRun.run_id.desc()).limit(1)).scalar_one()
    assert last == "failed"

    warehouse_env(demo_engine_copy.url.render_as_string(hide_password=False))
    table = str(data_quality.refresh_pipeline("30"))
    assert "失败" in table and "RuntimeError: source table locked by the ETL vendor" in table and "成功" in table


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in Base.metadata.sorted_tables if t.name.startswith(("agg_", "derived_", "fact_"))}


def _pipeline(url: str, *steps: str) -> subprocess.Popen:
    args = [a for s in steps for a in ("--step", s)]
    return subprocess.Popen([sys.executable, "-m", "bianjian_cli", "pipeline", *args], cwd=REPO_ROOT,
                            env={**os.environ, "BIANJIAN_DATABASE_URL": url}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _kill_while_running(path, steps: tuple[str, ...], victim: str) -> bool:
    """Start the pipeline, SIGKILL it as soon as ``victim`` is recorded running; True when the kill landed
    while the step was still running (a sub-second step can finish between the look and the kill)."""
    engine = make_engine(f"sqlite:///{path}")
    proc = _pipeline(f"sqlite:///{path}", *steps)
    deadline = time.monotonic() + 240
    try:
        while True:
            with engine.connect() as conn:
                running = conn.execute(select(PipelineRun.step).where(PipelineRun.status == "running")).scalars().all()
            if victim in running:
                os.kill(proc.pid, signal.SIGKILL)
                break
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, f"the pipeline never reached the {victim} step"
            time.sleep(0.01)
        proc.wait()
        with engine.connect() as conn:
            return conn.execute(select(PipelineRun.step).where(PipelineRun.status == "running")).scalars().all() \
                == [victim]
    finally:
        engine.dispose()


def test_kill_9_mid_pipeline_then_rerun_completes_without_duplicates(demo_db_path, tmp_path):
    steps = ("daily_counts", "indicators", "provincial_leads")
    clean_path, killed_path = tmp_path / "clean.db", tmp_path / "killed.db"
    shutil.copy(demo_db_path, clean_path)
    for _attempt in range(3):
        for leftover in (killed_path, killed_path.with_name("killed.db-wal"), killed_path.with_name("killed.db-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copy(demo_db_path, killed_path)
        if _kill_while_running(killed_path, steps, "indicators"):
            break
    else:
        pytest.fail("three pipelines in a row finished the indicators step before SIGKILL reached them")
    clean, killed = make_engine(f"sqlite:///{clean_path}"), make_engine(f"sqlite:///{killed_path}")

    rerun = _pipeline(f"sqlite:///{killed_path}", *steps)
    assert rerun.wait(timeout=600) == 0, rerun.stdout.read()
    assert run_pipeline(clean, [STEP_BY_NAME[s] for s in steps])  # the same steps, never interrupted
    assert _counts(killed) == _counts(clean)
    with killed.connect() as conn:
        statuses = conn.execute(select(PipelineRun.step, PipelineRun.status).order_by(PipelineRun.run_id)).all()
    assert ("indicators", "interrupted") in statuses and not [s for s in statuses if s[1] == "running"]
    assert [s for _step, s in statuses[-len(steps):]] == ["ok"] * len(steps)
    clean.dispose()
    killed.dispose()


def test_one_pipeline_at_a_time(demo_engine_copy):
    with pipeline_lock(demo_engine_copy):
        with pytest.raises(PipelineBusy):
            run_pipeline(demo_engine_copy, [STEP_BY_NAME["daily_counts"]])
    assert run_pipeline(demo_engine_copy, [STEP_BY_NAME["daily_counts"]])[0].status == "ok"


def test_pipeline_lock_on_postgres_is_released_with_its_session():
    with postgres_database() as url:
        engine = make_engine(url)
        with pipeline_lock(engine):
            other = make_engine(url)
            with pytest.raises(PipelineBusy):
                with pipeline_lock(other):
                    pass
            other.dispose()
        with pipeline_lock(engine):
            pass
        engine.dispose()
