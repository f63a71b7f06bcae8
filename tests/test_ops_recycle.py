"""Production web workers are recycled (gunicorn ``max_requests``) without a client seeing a connection error.

The real gunicorn with ``ops/gunicorn_conf.py``'s worker class serves a small WSGI app that answers with its
process id; clients reusing keep-alive connections, as browsers and the load test do, send requests across
many worker recycles. With stock ``gthread`` the same run gets dozens of "connection reset" errors
(docs/benchmarks.md § Concurrent load).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time

import requests

from tests.browser import _wait_until_up, free_port
from tests.conftest import REPO_ROOT


def echo_pid_app(environ, start_response):
    """Answers every request after 50 ms (so recycles meet requests in flight) with the worker's pid."""
    environ["wsgi.input"].read()
    time.sleep(0.05)
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def test_recycling_workers_answer_every_request(tmp_path):
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "python:ops.gunicorn_conf", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--max-requests", "40", "--max-requests-jitter", "5", "--access-logfile", "/dev/null",
             "tests.test_ops_recycle:echo_pid_app"], cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    errors, pids = [], set()

    def user() -> None:
        session = requests.Session()  # one keep-alive connection, reused like a browser's
        for _ in range(60):
            try:
                pids.add(session.post(f"http://127.0.0.1:{port}/", data=b"x" * 100, timeout=30).text)
            except requests.RequestException as exc:
                errors.append(repr(exc))
            time.sleep(random.uniform(0, 0.2))

    try:
        # the master imports the app's libraries before the first fork (ops/gunicorn_conf.py): 7 CPU s
        _wait_until_up(f"http://127.0.0.1:{port}/", server, 300, log_path)
        users = [threading.Thread(target=user) for _ in range(12)]
        for thread in users:
            thread.start()
        for thread in users:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert errors == []
    assert len(pids) >= 8, "workers were not recycled: the run proves nothing"
    assert log_path.read_text().count("Draining worker") >= 7
