"""``./run.sh``, the README's main command, on an empty var directory: it builds the demo warehouse, prints
the demo logins, runs the pipeline and serves the dashboard behind the login; run again, it keeps the
warehouse."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_until_served(var_dir: Path, timeout: float = 600) -> tuple[str, int]:
    """Start ./run.sh, wait until the dashboard answers, stop it; return its output and the login page status."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIANJIAN_")}
    env["BIANJIAN_VAR_DIR"] = str(var_dir)
    proc = subprocess.Popen([str(ROOT / "run.sh"), "--scale", "0.002", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines, status = [], None
    deadline = time.monotonic() + timeout
    try:
        for line in proc.stdout:
            lines.append(line)
            if "Bianjian dashboard:" in line:
                break
            assert time.monotonic() < deadline, "".join(lines[-30:])
        while status is None and time.monotonic() < deadline:
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5).status
            except OSError:
                time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    return "".join(lines), status


def test_run_script_prints_the_demo_logins_serves_and_keeps_the_warehouse(tmp_path):
    first, status = _run_until_served(tmp_path)
    assert status == 200, first[-3000:]
    assert "demo login: leader / " in first and "demo login: wall / " in first
    assert "rule_leads: ok" in first  # the pipeline ran before the dashboard came up
    assert (tmp_path / "bianjian.db").is_file()
    # the model cards open with the planted backtest of the new demo, stored after the pipeline
    assert "backtest against the demo's planted events" in first and "recall=" in first
    after = first[first.index("backtest against"):].splitlines()[1:]
    backtest = "\n".join(line for line in after[:12] if line.startswith(("recall=", "  ")))
    # figures a person reads: no Python reprs, no raw floats
    assert "ranking warnings" in backtest
    assert "{'" not in backtest and "None" not in backtest and not re.search(r"\d\.\d{4,}", backtest), backtest
    with sqlite3.connect(tmp_path / "bianjian.db") as db:
        # one planted backtest (the pipeline's text step stores its routing curve in the same table)
        runs = db.execute("SELECT COUNT(DISTINCT run_id) FROM derived_model_backtest "
                          "WHERE dataset LIKE '演示仓库植入事件%'").fetchone()[0]
    assert runs == 1
    again, status = _run_until_served(tmp_path)
    assert status == 200 and "warehouse already filled" in again and "demo login:" not in again
    assert "backtest against" not in again  # a kept warehouse keeps its track record; no second run
