"""The product reads Kaifeng's clock on a server set to another zone (data_access/clock.py).

Stored datetimes are naive Asia/Shanghai times, so every entry point — the ``bianjian`` command, the WSGI
module and the Celery app — must make ``datetime.now()`` Kaifeng's before anything compares with it; on a
UTC server (the usual container) it would otherwise be eight hours behind and leads due today would turn
overdue at 08:00.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

KAIFENG = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.parametrize("entry_point", ["bianjian_cli", "app", "ops.celery_app"])
def test_entry_points_read_kaifeng_time_on_a_utc_server(entry_point):
    code = f"import datetime, {entry_point}; print(datetime.datetime.now().isoformat())"
    env = {**os.environ, "TZ": "UTC"}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                         check=True, timeout=300).stdout.strip().splitlines()[-1]
    kaifeng_now = dt.datetime.now(KAIFENG).replace(tzinfo=None)
    assert abs(dt.datetime.fromisoformat(out) - kaifeng_now) < dt.timedelta(minutes=5), (out, kaifeng_now)


def test_this_process_reads_kaifeng_time():
    """conftest.py sets the tests' clock as the product sets its own, so expectations computed here agree."""
    assert abs(dt.datetime.now() - dt.datetime.now(KAIFENG).replace(tzinfo=None)) < dt.timedelta(seconds=5)
