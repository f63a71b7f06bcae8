"""`bianjian pipeline` leaves no process behind (issue #25.7), and a pipeline killed with SIGKILL takes its
worker processes with it (issue #21.7): each run is a real CLI subprocess over a copy of the demo warehouse,
its descendants collected with psutil while it runs."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import psutil
import pytest

from tests.conftest import REPO_ROOT


@pytest.fixture
def warehouse(demo_db_path, tmp_path):
    shutil.copy(demo_db_path, tmp_path / "w.db")
    env = {**os.environ, "BIANJIAN_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}", "BIANJIAN_VAR_DIR": str(tmp_path),
           "PYTHONPATH": str(REPO_ROOT), "BIANJIAN_TEXT_WORKERS": "2",
           "BIANJIAN_TEXT_BATCH_ROWS": "500"}  # the small demo in several batches: the worker pool starts
    return tmp_path, env


def _start(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bianjian_cli", "pipeline", *args], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _watch(proc: subprocess.Popen, seen: dict[int, str], until) -> None:  # noqa: ANN001
    """Record every descendant of ``proc`` (pid → command line) until ``until()`` is true or it exits."""
    parent = psutil.Process(proc.pid)
    while proc.poll() is None and not until():
        try:
            for child in parent.children(recursive=True):
                seen.setdefault(child.pid, " ".join(child.cmdline()[:4]))
        except psutil.Error:
            pass
        time.sleep(0.05)


def _alive(seen: dict[int, str], grace: float = 10.0) -> dict[int, str]:
    deadline = time.monotonic() + grace
    while True:
        alive = {pid: cmd for pid, cmd in seen.items()
                 if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE}
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def test_no_process_outlives_the_pipeline(warehouse):
    _, env = warehouse
    proc, seen = _start(env, "--step", "text_features", "--step", "hot_topics", "--step", "spike_leads"), {}
    _watch(proc, seen, until=lambda: False)
    output = proc.communicate(timeout=600)[0]
    assert proc.returncode == 0, output
    assert seen, "the pipeline started no worker process: nothing was tested"
    assert _alive(seen, grace=2.0) == {}


def _workers(seen: dict[int, str]) -> dict[int, str]:
    return {pid: cmd for pid, cmd in seen.items() if "multiprocessing" in cmd and "resource_tracker" not in cmd}


def test_killing_the_pipeline_kills_its_workers_and_the_next_run_succeeds(warehouse):
    """SIGKILL while the text workers run (the text model is trained and saved in that window): every worker
    dies with the pipeline, the killed run leaves no feature rows, and the next run completes."""
    from sqlalchemy import create_engine, func, select

    from data_access.schema import ComplaintFeature, PipelineRun, RiskLead

    directory, env = warehouse
    engine = create_engine(env["BIANJIAN_DATABASE_URL"])
    with engine.connect() as conn:
        leads_before = conn.scalar(select(func.count()).select_from(RiskLead))
    proc, seen = _start(env, "--step", "text_features"), {}
    started = time.monotonic()
    _watch(proc, seen, until=lambda: len(_workers(seen)) >= 2 and time.monotonic() - started > 5)
    assert proc.poll() is None, "the step ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert _workers(seen), seen
    # A worker still starting up (imports take seconds on a loaded machine) exits as soon as it finds its
    # parent gone; one already working is killed by the kernel at once.
    assert _alive(_workers(seen), grace=60.0) == {}, "workers outlived the killed pipeline"
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ComplaintFeature)) == 0  # nothing half-written
    rerun = _start(env, "--step", "text_features", "--step", "spike_leads", "--step", "rule_leads")
    output = rerun.communicate(timeout=900)[0]
    assert rerun.returncode == 0, output
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ComplaintFeature)) > 0
        statuses = dict(conn.execute(select(PipelineRun.step, PipelineRun.status)
                                     .order_by(PipelineRun.run_id)).all())
        assert statuses["text_features"] == "ok"
        assert conn.scalar(select(func.count()).select_from(RiskLead)) >= leads_before
    engine.dispose()


def test_a_truncated_model_file_is_retrained_not_fatal(warehouse, caplog):
    """The state a kill -9 in the middle of ``joblib.dump`` used to leave: an empty and a truncated model file.
    The next run logs it, moves the file aside, retrains, and every later run loads the new model."""
    import joblib
    from sqlalchemy import create_engine, delete

    from data_access.schema import ComplaintFeature

    directory, env = warehouse
    first = _start(env, "--step", "text_features")
    assert first.wait(timeout=900) == 0, first.communicate()[0]
    (model,) = (directory / "models").glob("text_category_*.joblib")
    good = model.read_bytes()
    engine = create_engine(env["BIANJIAN_DATABASE_URL"])
    for broken in (b"", good[: len(good) // 2]):
        model.write_bytes(broken)
        with engine.begin() as conn:
            conn.execute(delete(ComplaintFeature))
        rerun = _start(env, "--step", "text_features")
        output = rerun.communicate(timeout=900)[0]
        assert rerun.returncode == 0, output
        assert "unreadable" in output, output
        assert "model" in joblib.load(model)  # a complete model replaced the broken file
    assert not list((directory / "models").glob(".*.tmp")), "a temporary file was left behind"
    engine.dispose()


def test_atomic_dump_leaves_the_old_file_when_writing_fails(tmp_path):
    from data_access import artifacts

    target = tmp_path / "m.joblib"
    artifacts.dump({"v": 1}, target)

    class Unpicklable:
        def __reduce__(self):
            raise RuntimeError("fails half-way through writing")

    with pytest.raises(RuntimeError):
        artifacts.dump({"v": 2, "bad": Unpicklable()}, target)
    assert artifacts.load_or_none(target) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["m.joblib"]
    target.write_bytes(b"\x80\x04truncated")
    assert artifacts.load_or_none(target) is None and (tmp_path / "m.joblib.corrupt").exists()


def test_a_step_that_fails_after_writing_a_lead_leaves_no_lead(demo_engine_copy):
    """One transaction per step: a RED lead written by a step that then fails (as a killed or crashing step
    would) is rolled back with the rest of the step."""
    import datetime as dt

    from sqlalchemy import func, insert, select

    from data_access.schema import RiskLead
    from pipeline.runner import Step, run_steps

    def writes_then_fails(conn):  # noqa: ANN001, ANN202
        conn.execute(insert(RiskLead).values(
            lead_key="test:spurious", kind="spike", level="RED", score=0.99, title="失败步骤的线索", reason="r",
            evidence={}, status="待研判", created_at=dt.datetime.now(), updated_at=dt.datetime.now(), version=1))
        raise EOFError("the model file is empty")

    with demo_engine_copy.connect() as conn:
        before = conn.scalar(select(func.count()).select_from(RiskLead))
    (result,) = run_steps(demo_engine_copy, [Step("spurious", "失败的步骤", writes_then_fails)])
    assert result.status == "failed"
    with demo_engine_copy.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(RiskLead)) == before
        assert conn.scalar(select(func.count()).select_from(RiskLead).where(RiskLead.lead_key == "test:spurious")) == 0
