"""The warehouse's clock: Kaifeng's local time, whatever zone the server's system clock is set to.

Every datetime in the warehouse is a naive Asia/Shanghai time (``data_access.tables``), so a process that
compares them with "now" must read the clock in that zone too: deadlines (时限 23:59), 今日到期, 超期, 近24小时,
the day a wall's 今日 counts start, the demo's "yesterday", the bulletin's month. Servers and containers often
run on UTC, where ``datetime.now()`` is eight hours behind Kaifeng and a lead due today would turn overdue at
08:00. Each entry point — the ``bianjian`` command (and so the servers and workers it starts), the WSGI module
``app``, the Celery app and the tests — calls :func:`use_warehouse_time` before anything reads the clock;
processes they start inherit ``TZ``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from data_access.codes import TIMEZONE, TIMEZONE_POSIX

TZ_DATABASE = Path("/usr/share/zoneinfo")


def use_warehouse_time() -> None:
    """Make ``datetime.now()``, ``date.today()``, pandas' ``Timestamp.now()`` and log times Kaifeng's.

    By the zone's name where the system has a tz database (browsers a test starts understand only names), else
    by its POSIX rule, which the C library reads without one (a name it cannot find would silently mean UTC).
    """
    os.environ["TZ"] = TIMEZONE if (TZ_DATABASE / TIMEZONE).is_file() else TIMEZONE_POSIX
    time.tzset()
